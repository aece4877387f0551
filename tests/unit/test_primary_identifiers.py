"""Which email and phone a profile shows first: survivorship's rule, as for its fields."""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import Profile, ProfileEmail, ProfilePhone, Source
from crm.services import ingest, merging, profiles

HEADER = "first_name,last_name,email,phone\n"


def _import(text: str, source: str = "shop") -> dict:
    """Import a CSV text as a file from source."""
    stream = io.BytesIO((HEADER + text).encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _only_profile() -> Profile:
    """The one live profile."""
    (profile,) = db.session.scalars(select(Profile).where(Profile.merged_into_id.is_(None)))
    db.session.refresh(profile)
    return profile


def _primary(model, profile_id: int) -> list[str]:
    """The profile's primary values of model (exactly one is expected)."""
    column = model.email if model is ProfileEmail else model.phone
    return list(
        db.session.scalars(
            select(column).where(model.profile_id == profile_id, model.is_primary.is_(True))
        )
    )


def test_a_corrected_list_imported_again_makes_its_new_phone_the_primary_one(app):
    _import("Anna,Bianchi,anna@example.org,+39 333 1234567\n")
    _import("Anna,Bianchi,anna@example.org,+39 347 7654321\n")  # the same list, corrected

    profile = _only_profile()
    # Both are kept (the old number still finds her), the new one is shown first.
    assert [p.phone for p in profile.phones] == ["+393477654321", "+393331234567"]
    assert _primary(ProfilePhone, profile.id) == ["+393477654321"]

    again = _import("Anna,Bianchi,anna@example.org,+39 347 7654321\n")
    assert (again["unchanged"], again["updated"]) == (1, 0)  # and stays so


def test_a_more_trusted_source_keeps_its_email_primary_against_a_newer_one(app):
    _import("Anna,Bianchi,anna@example.org,+39 333 1234567\n", source="crm")
    db.session.scalar(select(Source).where(Source.name == "crm")).trust_rank = 80
    db.session.commit()
    _import("Anna,Bianchi,anna.b@work.example,+39 333 1234567\n", source="badges")

    profile = _only_profile()
    assert [e.email for e in profile.emails] == ["anna@example.org", "anna.b@work.example"]
    assert _primary(ProfileEmail, profile.id) == ["anna@example.org"]


def test_the_email_a_person_put_first_stays_first(app):
    _import("Anna,Bianchi,anna@example.org,+39 333 1234567\n")
    pid = _only_profile().id
    profiles.update_profile(
        pid,
        {"emails": ["anna.private@example.net", "anna@example.org"]},
        expected_version=None,
        actor="test",
    )
    _import("Anna,Bianchi,anna@example.org,+39 347 7654321\n", source="newsletter")

    profile = _only_profile()
    assert _primary(ProfileEmail, pid) == ["anna.private@example.net"]
    # Nobody chose among the phones: the newer record's is shown first.
    assert [p.phone for p in profile.phones][0] == "+393477654321"


def test_a_merge_shows_the_best_ranked_records_email_first(app):
    _import("Anna,Bianchi,anna@example.org,\n", source="crm")
    _import("Anna,Bianki,anna.b@work.example,\n", source="badges")
    db.session.scalar(select(Source).where(Source.name == "crm")).trust_rank = 80
    db.session.commit()
    crm, badges = (
        db.session.scalar(select(ProfileEmail.profile_id).where(ProfileEmail.email == email))
        for email in ("anna@example.org", "anna.b@work.example")
    )
    assert crm != badges

    merging.merge_profiles(badges, crm, actor="test")

    assert _primary(ProfileEmail, badges) == ["anna@example.org"]
