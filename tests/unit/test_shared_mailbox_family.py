"""A family's shared mailbox belongs to one profile; the others who gave it are still
found by it: a daughter's next row from it joins her profile, not a new one."""

import io

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile, SourceRecord
from crm.services import duplicates, ingest

HEADER = "id,first_name,last_name,email,phone,city\n"


def _import(text: str, source: str) -> dict:
    stream = io.BytesIO((HEADER + text).encode())
    return ingest.import_stream(stream, filename=f"{source}.csv", source_name=source)


def _profile_of(external_id: str, source: str) -> int:
    return db.session.scalar(
        select(SourceRecord.profile_id).where(
            SourceRecord.external_id == external_id, SourceRecord.source.has(name=source)
        )
    )


def _named(first: str) -> int:
    query = select(func.count()).where(
        Profile.first_name == first, Profile.merged_into_id.is_(None)
    )
    return db.session.scalar(query)


def _family() -> tuple[int, int]:
    _import(
        "1,Giovanni,Rossi,famiglia.rossi@example.com,011 4445566,Torino\n"
        "2,Giovanna,Rossi,famiglia.rossi@example.com,011 4445566,Torino\n",
        "crm",
    )
    giovanni, giovanna = _profile_of("1", "crm"), _profile_of("2", "crm")
    assert giovanni != giovanna
    return giovanni, giovanna


def test_a_daughters_row_from_the_family_mailbox_joins_her_profile(app):
    giovanni, giovanna = _family()
    summary = _import("n1,Giovanna,Rossi,famiglia.rossi@example.com,,\n", "newsletter")
    assert summary["created"] == 0 and summary["merged"] == 1
    assert _profile_of("n1", "newsletter") == giovanna
    # Again from another source: still one Giovanna.
    _import("s1,Giovanna,Rossi,famiglia.rossi@example.com,,\n", "shop")
    assert _profile_of("s1", "shop") == giovanna
    assert _named("Giovanna") == 1
    # The address stays with the profile that holds it.
    assert [e.email for e in db.session.get(Profile, giovanni).emails] == [
        "famiglia.rossi@example.com"
    ]


def test_a_third_person_on_the_family_mailbox_is_still_kept_apart(app):
    giovanni, giovanna = _family()
    _import("n2,Marco,Rossi,famiglia.rossi@example.com,,\n", "newsletter")
    assert _profile_of("n2", "newsletter") not in (giovanni, giovanna)


def test_the_family_pair_in_the_queue_is_weighed_on_the_mailbox_they_share(app):
    """Giovanni holds the family address; Giovanna's record gave it too. Their pair was
    proposed on it, and its page weighs it the same way (not 'score now 0.00')."""
    giovanni, giovanna = _family()
    (pair,) = db.session.scalars(select(DuplicateCandidate))
    assert {pair.profile_a_id, pair.profile_b_id} == {giovanni, giovanna}
    verdict = duplicates.current_verdict(pair)
    assert not verdict.moved
    assert "email: same" in verdict.reasons and "phone: same" in verdict.reasons


def test_a_diminutive_of_two_family_members_does_not_pick_one_by_the_mailbox(app):
    """Sam on the Browns' address may be Samuel or Samantha: weighed, not joined."""
    _import(
        "1,Samuel,Brown,brownfamily@example.com,,\n2,Samantha,Brown,brownfamily@example.com,,\n",
        "crm",
    )
    samuel, samantha = _profile_of("1", "crm"), _profile_of("2", "crm")
    summary = _import("n1,Sam,Brown,brownfamily@example.com,,\n", "newsletter")
    assert summary["merged"] == 0
    assert _profile_of("n1", "newsletter") not in (samuel, samantha)
    # Alone on its address, the diminutive still joins the one it fits.
    _import("3,Samuel,Green,green@example.com,,\n", "crm")
    _import("n2,Sam,Green,green@example.com,,\n", "newsletter")
    assert _profile_of("n2", "newsletter") == _profile_of("3", "crm")
