"""Detaching a source record that joined the wrong profile: it becomes a profile of its own."""

import io

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, ConsentRecord, DuplicateCandidate, Merge, Profile, SourceRecord
from crm.services import duplicates, ingest, merging, profiles, splitting
from crm.services.errors import ConflictError, ValidationError
from tests import factories

HEADER = "id,first_name,last_name,phone,email,accepts_marketing\n"


def _import(text: str, source: str) -> dict:
    stream = io.BytesIO((HEADER + text).encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _record(source_external_id: str) -> SourceRecord:
    return db.session.scalar(
        select(SourceRecord).where(SourceRecord.external_id == source_external_id)
    )


@pytest.fixture
def joined(app):
    """Father and son of one name, no birth dates, one landline: the son's record joined
    the father's profile. Returns (profile id, the son's record id)."""
    _import("F1,Luca,Moretti,051 654321,,\n", source="crm")
    _import("S1,Luca,Moretti,051 654321,luca85@example.com,yes\n", source="shop")
    son = _record("S1")
    assert son.profile_id == _record("F1").profile_id  # the wrong join
    return son.profile_id, son.id


def test_a_detached_record_becomes_a_profile_with_what_only_it_brought(joined):
    father_id, son_record = joined
    stamp = db.session.get(SourceRecord, son_record).updated_at
    new = splitting.detach_record(son_record, actor="test")
    db.session.expire_all()
    father, son = db.session.get(Profile, father_id), db.session.get(Profile, new.id)
    assert [r.external_id for r in son.source_records] == ["S1"]
    assert [r.external_id for r in father.source_records] == ["F1"]
    assert [e.email for e in son.emails] == ["luca85@example.com"] and son.emails[0].is_primary
    assert father.emails == []
    assert [p.phone for p in father.phones] == ["+39051654321"]  # F1 carries it too: stays
    assert son.phones == []
    consents = profiles.current_consents([father_id, son.id])
    assert consents[son.id]["email_marketing"] == "granted"
    assert consents[father_id]["email_marketing"] == "none"
    assert (son.first_name, son.last_name) == ("Luca", "Moretti")
    assert db.session.get(SourceRecord, son_record).updated_at == stamp
    assert duplicates.is_distinct(father_id, son.id)
    assert duplicates.propose(father_id, son.id, 0.99, ["again"]) is None
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "profile.detach"))
    assert audit.details == {"from": father_id, "source_record": son_record}


def test_the_detached_record_stays_apart_when_its_source_sends_it_again(joined):
    _father_id, son_record = joined
    new = splitting.detach_record(son_record, actor="test")
    summary = _import("S1,Luca,Moretti,051 654321,luca85@example.com,yes\n", source="shop")
    assert summary["unchanged"] == 1
    assert _record("S1").profile_id == new.id


def test_a_profiles_only_record_cannot_be_detached(app):
    _import("A1,Ada,Lovelace,,ada@example.com,\n", source="crm")
    with pytest.raises(ValidationError):
        splitting.detach_record(_record("A1").id, actor="test")


def test_a_record_that_came_with_a_merge_is_separated_by_undoing_the_merge(app):
    _import("A1,Ada,Lovelace,,ada@example.com,\n", source="crm")
    _import("B1,Ada,Lovelace,,ada.l@example.com,\n", source="shop")
    a, b = _record("A1").profile_id, _record("B1").profile_id
    merge = merging.merge_profiles(a, b, actor="test")
    with pytest.raises(ConflictError) as refused:
        splitting.detach_record(_record("B1").id, actor="test")
    assert f"merge #{merge.id}" in refused.value.message
    assert db.session.scalar(select(func.count()).select_from(Merge)) == 1
    assert db.session.scalar(select(func.count()).select_from(DuplicateCandidate)) == 0
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def test_a_withdrawal_stays_on_the_profile_a_detached_record_leaves(app):
    ingest.import_records(
        [
            {
                "id": "A1",
                "first_name": "Olga",
                "email": "olga@example.com",
                "consents": [
                    {
                        "purpose": "email_marketing",
                        "status": "granted",
                        "recorded_at": "2026-01-10T00:00:00Z",
                    }
                ],
            }
        ],
        source_name="crm",
    )
    ingest.import_records(
        [
            {
                "id": "B1",
                "first_name": "Olga",
                "email": "olga@example.com",
                "consents": [
                    {
                        "purpose": "email_marketing",
                        "status": "withdrawn",
                        "recorded_at": "2026-05-10T00:00:00Z",
                    }
                ],
            }
        ],
        source_name="news",
    )
    profile_id = _record("A1").profile_id
    assert profiles.current_consents([profile_id])[profile_id]["email_marketing"] == "withdrawn"
    new = splitting.detach_record(_record("B1").id, actor="test")
    consents = profiles.current_consents([profile_id, new.id])
    assert consents[profile_id]["email_marketing"] == "withdrawn"  # she keeps the address
    assert consents[new.id]["email_marketing"] == "withdrawn"
    db.session.expire_all()
    kept = db.session.get(Profile, profile_id)
    assert [e.email for e in kept.emails] == ["olga@example.com"]
    assert kept.emails[0].source_record_id == _record("A1").id  # not the detached record


def test_undoing_a_merge_after_a_detach_shows_nothing_of_the_detached_record(app):
    ingest.import_records(
        [{"id": "A1", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}],
        source_name="crm",
    )
    ingest.import_records(
        [
            {
                "id": "A2",
                "first_name": "Ada",
                "email": "ada@example.com",
                "address": "Via Marconi 180",
                "city": "Bologna",
            }
        ],
        source_name="shop",
    )
    _import("B1,Ada,Lovelace,,ada.l@example.com,\n", source="web")
    a, b = _record("A1").profile_id, _record("B1").profile_id
    assert _record("A2").profile_id == a
    merge = merging.merge_profiles(a, b, actor="test")
    detached = splitting.detach_record(_record("A2").id, actor="test")  # not the merge's
    merging.undo_merge(merge.id, actor="test")
    db.session.expire_all()
    survivor = db.session.get(Profile, a)
    assert (survivor.address, survivor.city) == (None, None)  # A2's, gone with it
    assert db.session.get(Profile, detached.id).city == "Bologna"
    assert db.session.get(Profile, b).merged_into_id is None


def _stage_import(text: str, source: str) -> None:
    stream = io.BytesIO(("id,first_name,last_name,phone,lifecycle stage\n" + text).encode())
    ingest.import_stream(stream, filename="people.csv", source_name=source)


def test_the_stage_only_the_detached_record_gave_goes_back(app):
    _stage_import("F1,Luca,Moretti,051 654321,\n", source="crm")
    _stage_import("S1,Luca,Moretti,051 654321,customer\n", source="shop")
    father_id = _record("F1").profile_id
    assert db.session.get(Profile, father_id).stage == "customer"  # the son's order
    new = splitting.detach_record(_record("S1").id, actor="test")
    father = db.session.get(Profile, father_id)
    assert (father.stage, db.session.get(Profile, new.id).stage) == ("lead", "customer")
    last = father.stage_changes[-1]
    assert (last.from_stage, last.to_stage) == ("customer", "lead")
    assert "detached" in last.reason


def test_a_stage_that_other_records_or_a_person_gave_stays(app):
    _stage_import("F1,Luca,Moretti,051 654321,sql\n", source="crm")
    _stage_import("S1,Luca,Moretti,051 654321,customer\n", source="shop")
    father_id = _record("F1").profile_id
    splitting.detach_record(_record("S1").id, actor="test")
    assert db.session.get(Profile, father_id).stage == "sql"  # what F1 says
    _stage_import("F2,Anna,Neri,02 1234567,\n", source="crm")
    anna = db.session.get(Profile, _record("F2").profile_id)
    user = factories.make_user(role="sales")
    profiles.update_profile(anna.id, {"stage": "customer"}, expected_version=None, actor=user)
    db.session.commit()  # a person said so before the shop's record joined
    _stage_import("S2,Anna,Neri,02 1234567,customer\n", source="shop")
    splitting.detach_record(_record("S2").id, actor="test")
    assert db.session.get(Profile, anna.id).stage == "customer"


def test_the_tags_only_the_detached_record_carried_go_with_it(app):
    header = "id,first_name,last_name,email,tags\n"
    for source, row in (
        ("crm", "C1,Alessandro,Palumbo,a.palumbo@example.it,cliente\n"),
        ("crm_export", "X1,Alessandro,Palumbo,a.palumbo@example.it,ebook;vip;cliente\n"),
    ):
        ingest.import_stream(io.BytesIO((header + row).encode()), filename="t.csv",
                             source_name=source)  # fmt: skip
    old_id = _record("C1").profile_id
    new = splitting.detach_record(_record("X1").id, actor="test")
    db.session.expire_all()
    old = db.session.get(Profile, old_id)
    assert [t.name for t in old.tags] == ["cliente"]  # C1 carries it too
    assert sorted(t.name for t in db.session.get(Profile, new.id).tags) == [
        "cliente",
        "ebook",
        "vip",
    ]
