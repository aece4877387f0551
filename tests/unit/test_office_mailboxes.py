"""Shared emails and phones that do not make one person: an office's info@, a namesake's
numbered mailbox; and a shared mobile under a new surname, which a person looks at."""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile
from crm.services import ingest, matching

BADGES = "id,name,company,email,phone,city,country\n"


def _import(text: str, source: str) -> dict:
    """Import a CSV text as a file from source."""
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _live() -> list[Profile]:
    return list(
        db.session.scalars(
            select(Profile).where(Profile.merged_into_id.is_(None)).order_by(Profile.id)
        )
    )


def _review_reasons() -> list[list[str]]:
    return [c.reasons for c in db.session.scalars(select(DuplicateCandidate))]


def test_role_mailboxes_are_told_from_personal_ones():
    for email in ("info@acme.it", "Ufficio.Vendite@acme.it", "sales2@acme.co.uk", "kontakt@x.de"):
        assert matching.role_address(email), email
    for email in ("mario.rossi@acme.it", "info.rossi@acme.it", "giulia@info.it", "m@acme.it"):
        assert not matching.role_address(email), email


def test_two_badges_of_one_name_on_an_office_mailbox_go_to_review_not_merged(app):
    _import(
        BADGES
        + "EV1,Jean Richard,Industrie Medical,info@industriemedical.fr,+33 6 31 45 20 88,,FR\n"
        + "EV2,Jean Richard,Industrie Medical SAS,info@industriemedical.fr,"
        + "+33 7 83 96 94 45,Lyon,FR\n",
        "events",
    )

    assert len(_live()) == 2
    (reasons,) = _review_reasons()
    assert matching.EMAIL_ROLE_SAME in reasons and "email: same" not in reasons


def test_a_row_with_only_a_first_name_still_joins_by_an_office_mailbox(app):
    _import(BADGES + "EV1,Jean Richard,Industrie Medical,info@industriemedical.fr,,,FR\n", "events")
    _import("email,first_name\ninfo@industriemedical.fr,Jean\n", "newsletter")

    (profile,) = _live()
    assert len(profile.source_records) == 2


def test_a_numbered_mailbox_of_a_namesake_colleague_is_not_joined_by_the_switchboard(app):
    _import(
        BADGES
        + "E1,Elizabeth Carter,Energia Partners,elizabeth.carter@energia.example,"
        + "0161 3538156,Manchester,GB\n"
        + "E2,Elizabeth Carter,Energia Partners,elizabeth.carter2@energia.example,"
        + "0161 3538156,Manchester,GB\n",
        "events",
    )

    assert len(_live()) == 2
    (reasons,) = _review_reasons()
    assert matching.NO_MERGE_COLLEAGUES in reasons
    assert matching.colleagues(("e.carter@x.example",), ("e.carter2@x.example",))
    assert not matching.colleagues(("e.carter@x.example",), ("e.crater@x.example",))  # a slip


def test_a_shared_mobile_under_a_new_surname_and_address_goes_to_review(app):
    _import(
        "id,first_name,last_name,phone,address,postcode,city,country\n"
        "S1,Sabine,Ludwig,+4915712065026,Jahnstraße 113,10804,Berlin,DE\n",
        "shop",
    )
    _import(
        "id,last_name,first_name,phone,birth_date,address,postcode,city,country\n"
        "C1,KRAUSE,Sabine,0157/12065026,20.05.1955,Bergstraße 12,10562,Berlin,DE\n",
        "oldcrm",
    )

    assert len(_live()) == 2  # never merged without a person
    (reasons,) = _review_reasons()
    assert "last name: changed, same first name and email or phone" in reasons
