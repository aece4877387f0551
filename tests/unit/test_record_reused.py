"""A source sends a record id again with another person's values (a ticket passed on, an
account handed over): the profile it had joined is not renamed after the new person."""

from sqlalchemy import select

from crm.extensions import db
from crm.models import Profile, SourceRecord
from crm.services import ingest, merging, profiles, suspects
from tests.factories import import_records

WITHDRAWN = {"purpose": "email_marketing", "status": "withdrawn",
             "recorded_at": "2026-01-05T10:00:00Z"}  # fmt: skip
GRANTED = {"purpose": "email_marketing", "status": "granted",
           "recorded_at": "2026-06-01T10:00:00Z"}  # fmt: skip
LAURA = {"first_name": "Laura", "last_name": "Fontana", "email": "laura@example.it"}
CARLO = {"first_name": "Carlo", "last_name": "Verdi", "email": "carlo@example.it",
         "birth_date": "1960-07-07", "city": "Palermo", "consents": [GRANTED]}  # fmt: skip


def _profile(profile_id: int) -> Profile:
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def _state(profile_id: int) -> str:
    return profiles.current_consents([profile_id])[profile_id]["email_marketing"]


def test_a_record_now_naming_another_person_leaves_the_profile_it_joined(app):
    [shop] = import_records("shop", {"id": "r1", **LAURA, "consents": [WITHDRAWN],
                                     "birth_date": "1990-03-04", "city": "Bologna"})  # fmt: skip
    [joined] = import_records("events", {"id": "EV1", **LAURA})
    assert joined["profile_id"] == shop["profile_id"]

    [result] = import_records("events", {"id": "EV1", **CARLO})

    laura, carlo = _profile(shop["profile_id"]), _profile(result["profile_id"])
    assert carlo.id != laura.id
    assert (laura.first_name, laura.birth_date.isoformat()) == ("Laura", "1990-03-04")
    assert [e.email for e in laura.emails] == ["laura@example.it"]
    assert _state(laura.id) == "withdrawn"
    assert (carlo.first_name, carlo.last_name, carlo.city) == ("Carlo", "Verdi", "Palermo")
    assert [e.email for e in carlo.emails] == ["carlo@example.it"]
    assert _state(carlo.id) == "granted"
    assert {"field": "external_id", "reason": ingest.ANOTHER_PERSON_PARTED} in result["warnings"]
    assert suspects.kept_apart([(laura.id, carlo.id)])  # never proposed again
    record = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "EV1"))
    assert record.profile_id == carlo.id


def test_a_profile_with_no_other_record_keeps_the_earlier_person(app):
    [first] = import_records("events", {"id": "EV2", **LAURA, "consents": [WITHDRAWN]})
    laura_id = first["profile_id"]
    profiles.update_profile(laura_id, {"phones": ["+39 333 9990001"]}, expected_version=None,
                            actor="test")  # fmt: skip

    [result] = import_records("events", {"id": "EV2", **CARLO})

    assert result["profile_id"] != laura_id
    assert {"field": "external_id", "reason": ingest.ANOTHER_PERSON_PARTED} in result["warnings"]
    laura, carlo = _profile(laura_id), _profile(result["profile_id"])
    assert (laura.first_name, [e.email for e in laura.emails]) == ("Laura", ["laura@example.it"])
    assert [p.phone for p in laura.phones] == ["+393339990001"]  # typed by hand for her
    assert _state(laura.id) == "withdrawn"  # her no stays hers
    assert (carlo.first_name, [e.email for e in carlo.emails]) == ("Carlo", ["carlo@example.it"])
    assert _state(carlo.id) == "granted"
    # When she comes back, she is still the profile that said no.
    [back] = import_records("web", {**LAURA, "email_opt_in": "yes"})
    assert back["profile_id"] == laura_id
    assert _state(laura_id) == "withdrawn"


def test_an_earlier_withdrawal_the_record_stated_stays_with_the_earlier_person(app):
    [shop] = import_records("shop", {"id": "r6", **LAURA})
    import_records("events", {"id": "EV6", **LAURA, "consents": [WITHDRAWN]})

    [result] = import_records("events", {"id": "EV6", **CARLO})

    assert _state(shop["profile_id"]) == "withdrawn"
    assert _state(result["profile_id"]) == "granted"


def test_a_new_surname_or_a_move_is_the_same_person(app):
    [shop] = import_records("shop", {"id": "r3", **LAURA, "phone": "+39 333 1112223"})
    import_records("events", {"id": "EV3", **LAURA})

    [result] = import_records("events", {"id": "EV3", **LAURA, "last_name": "Rossi",
                                         "city": "Milano"})  # fmt: skip

    assert result["profile_id"] == shop["profile_id"]
    assert result["outcome"] == "updated" and result["warnings"] == []


def test_a_record_that_came_with_a_merge_is_refused_not_renamed(app):
    [a] = import_records("shop", {"id": "r4", **LAURA})
    [b] = import_records("events", {"id": "EV4", **LAURA, "email": "l.fontana@example.it"})
    merging.merge_profiles(a["profile_id"], b["profile_id"], actor="test")

    [result] = import_records("events", {"id": "EV4", **CARLO})

    assert result["outcome"] == "rejected"
    assert "came with a merge" in result["reasons"][0]
    assert _profile(a["profile_id"]).first_name == "Laura"


def test_a_first_name_corrected_on_the_same_email_is_the_same_person(app):
    [shop] = import_records("shop", {"id": "r5", **LAURA, "phone": "+39 333 1112224"})
    import_records("events", {"id": "EV5", **LAURA})

    [result] = import_records("events", {"id": "EV5", **LAURA, "first_name": "Loredana"})

    assert result["profile_id"] == shop["profile_id"]
    assert result["warnings"] == []


def test_the_pair_an_import_parts_says_the_import_did_it(app):
    """A matching test: the pair read 'detached by hand', though nobody detached anything."""
    from crm.models import DuplicateCandidate
    from crm.services import splitting

    import_records("shop", {"id": "r2", **LAURA, "birth_date": "1990-03-04"})
    import_records("events", {"id": "EV3", **LAURA})
    import_records("events", {"id": "EV3", **CARLO})
    (pair,) = db.session.scalars(select(DuplicateCandidate))
    assert pair.status == "distinct" and pair.decided_by_id is None
    assert pair.reasons == [splitting.DETACHED_BY_IMPORT]
