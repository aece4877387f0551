"""Merges and their undo keep people apart and give each their own: an undo is a person's
"not the same person", a decision follows merges, consents and fields come out right."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from crm.extensions import db
from crm.models import ConsentRecord, DuplicateCandidate, Merge, Profile, StageChange
from crm.services import duplicates, merging, profiles, suspects
from crm.services.errors import ConflictError, ValidationError
from tests import factories
from tests.factories import import_records as _records
from tests.unit import test_merging as base

# The merge tests' fixtures and helpers (two profiles of one person, a full snapshot).
pair, staff, snapshot, _consent = base.pair, base.staff, base.snapshot, base._consent


def _stored(profile_id: int) -> Profile:
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def _pair_status(a_id: int, b_id: int) -> tuple[str, int | None] | None:
    found = suspects.find_pair(a_id, b_id)
    return (found.status, found.decided_by_id) if found else None


def _two_people() -> tuple[int, int]:
    """Anna (crm A1) and Bruno (crm B1), each a profile of their own record."""
    (anna,) = _records("crm", {"external_id": "A1", "first_name": "Anna", "last_name": "Alfa",
                               "email": "anna@example.it", "city": "Roma",
                               "job_title": "Clerk"})  # fmt: skip
    (bruno,) = _records("crm", {"external_id": "B1", "first_name": "Bruno",
                                "last_name": "Beta", "email": "bruno@example.it",
                                "city": "Pisa"})  # fmt: skip
    return anna["profile_id"], bruno["profile_id"]


# --- A: an undo says "not the same person" -------------------------------------------------


@pytest.mark.parametrize("rule", ["manual", "review", "auto"])
def test_an_undo_marks_the_two_as_different_people(pair, staff, rule):
    a, b = pair
    merge = merging.merge_profiles(a, b, actor="rule:auto", rule=rule, score=0.9)

    merging.undo_merge(merge.id, actor=staff)

    assert _pair_status(a, b) == ("distinct", staff.id)
    assert duplicates.is_distinct(a, b)


def test_an_undone_pair_is_never_merged_or_proposed_automatically_again(pair, staff):
    a, b = pair
    (merge,) = merging.merge_many([(a, b, 0.95, ["name: exact"])], actor="rule:auto")
    merging.undo_merge(merge.id, actor=staff)

    with pytest.raises(ValidationError):
        merging.merge_profiles(a, b, actor="rule:auto", rule="auto", score=0.99)
    (refused,) = merging.merge_many([(a, b, 0.99, [])], actor="rule:auto")
    assert isinstance(refused, ValidationError)
    assert suspects.propose(a, b, 0.99, ["name: exact"]) is None
    assert _stored(b).merged_into_id is None
    # A person may still join them by hand, saying they overrule the decision.
    with pytest.raises(ConflictError):
        merging.merge_profiles(a, b, actor=staff, rule="manual")
    merging.merge_profiles(a, b, actor=staff, rule="manual", overrule_distinct=True)
    assert _stored(b).merged_into_id == a


def test_an_undo_without_a_queued_pair_records_one(app, staff):
    a, b = _two_people()
    assert suspects.find_pair(a, b) is None
    merge = merging.merge_profiles(a, b, actor=staff)

    merging.undo_merge(merge.id, actor=staff)

    stored = suspects.find_pair(a, b)
    assert (stored.status, stored.decided_by_id) == ("distinct", staff.id)
    assert stored.reasons == [merging.UNDONE]


# --- B: a decision follows the profiles' merges --------------------------------------------


def _decided_apart() -> tuple[int, int, int]:
    """X and Y marked as different people; Z a third profile, into which X is merged."""
    x, y, z = (factories.make_profile(first_name="Marco", last_name=n).id for n in "XYZ")
    duplicates.decide(duplicates.propose(x, y, 0.7, ["x"]).id, "distinct", actor="test")
    merging.merge_profiles(z, x, actor="test")
    return x, y, z


def test_a_distinct_decision_keeps_apart_the_profiles_merged_since(app):
    x, y, z = _decided_apart()
    w = factories.make_profile().id

    assert suspects.kept_apart([(z, y), (y, z), (z, w), (y, w)]) == {(z, y), (y, z)}
    assert duplicates.is_distinct(z, y) and duplicates.is_distinct(y, z)
    assert suspects.propose(y, z, 0.9, ["found after a merge"]) is None
    with pytest.raises(ValidationError):
        merging.merge_profiles(z, y, actor="rule:auto", rule="auto", score=0.99)
    results = merging.merge_many([(z, y, 0.99, []), (w, factories.make_profile().id, 0.9, [])],
                                 actor="rule:auto")  # fmt: skip
    assert isinstance(results[0], ValidationError) and isinstance(results[1], Merge)
    assert _stored(y).merged_into_id is None


def test_a_distinct_decision_follows_merges_of_merges(app):
    x, y, z = _decided_apart()
    q = factories.make_profile().id
    merging.merge_profiles(q, z, actor="test")  # X is in Z, Z in Q

    assert suspects.kept_apart([(q, y)]) == {(q, y)}
    assert suspects.keeping_apart(q, y) == suspects.find_pair(x, y)
    # A person may merge them by hand, saying they overrule the decision.
    with pytest.raises(ConflictError):
        merging.merge_profiles(q, y, actor="test", rule="manual")
    merging.merge_profiles(q, y, actor="test", rule="manual", overrule_distinct=True)
    assert _stored(y).merged_into_id == q


def test_a_survivor_takes_over_no_pair_a_decision_keeps_apart(app):
    x, y, z = _decided_apart()
    v = factories.make_profile(first_name="Marco", last_name="V").id
    duplicates.propose(v, y, 0.8, ["v"])
    db.session.commit()

    merging.merge_profiles(z, v, actor="test")  # Z holds X, and X is not Y

    assert suspects.find_pair(z, y) is None
    assert duplicates.open_pairs_of(z) == []


def test_kept_apart_reads_a_few_queries_however_many_pairs(app):
    x, y, z = _decided_apart()
    others = [factories.make_profile().id for _ in range(12)]
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        suspects.kept_apart([(z, y)])
        one = len(statements)
        statements.clear()
        found = suspects.kept_apart([(z, y)] + [(p, q) for p in others for q in others if p < q])
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert found == {(z, y)}
    assert many == one


# --- C: the merge's consent ranks after both sides' statements ----------------------------


@pytest.mark.parametrize("ahead", ["survivor", "absorbed"])
def test_a_withdrawal_wins_a_merge_over_a_grant_stamped_ahead(app, staff, ahead):
    a, b = (factories.make_profile().id for _ in range(2))
    soon = datetime.now(UTC) + timedelta(hours=20)  # the importer takes up to a day ahead
    granted, withdrawn = (a, b) if ahead == "survivor" else (b, a)
    _consent(granted, "email_marketing", "granted", at=soon)
    _consent(withdrawn, "email_marketing", "withdrawn", at=datetime(2020, 5, 1, tzinfo=UTC))
    db.session.commit()

    merge = merging.merge_profiles(a, b, actor=staff)

    assert profiles.current_consents([a])[a]["email_marketing"] == "withdrawn"
    merging.undo_merge(merge.id, actor=staff)
    consents = profiles.current_consents([granted, withdrawn])
    assert consents[granted]["email_marketing"] == "granted"
    assert consents[withdrawn]["email_marketing"] == "withdrawn"
    assert (
        db.session.scalars(select(ConsentRecord).where(ConsentRecord.merge_id.is_not(None))).all()
        == []
    )


def test_a_grant_stated_after_such_a_merge_still_lifts_its_withdrawal(app, staff):
    a, b = _two_people()
    soon = datetime.now(UTC) + timedelta(hours=20)
    _consent(a, "email_marketing", "granted", at=soon)
    _consent(b, "email_marketing", "withdrawn", at=datetime(2020, 5, 1, tzinfo=UTC))
    db.session.commit()
    merging.merge_profiles(a, b, actor=staff)
    stamped = db.session.scalar(select(ConsentRecord).where(ConsentRecord.merge_id.is_not(None)))
    assert stamped.evidence["stated_at"] < soon.isoformat()  # its real time, kept

    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    _records("crm", {"external_id": "A1", "first_name": "Anna", "last_name": "Alfa",
                     "email": "anna@example.it", "city": "Napoli",
                     "consents": [{"purpose": "email_marketing", "status": "granted",
                                   "recorded_at": later}]})  # fmt: skip

    assert profiles.current_consents([a])[a]["email_marketing"] == "granted"


def test_a_merge_decides_consents_as_before_without_future_times(pair, staff):
    a, b = pair
    merging.merge_profiles(a, b, actor=staff)

    record = db.session.scalar(select(ConsentRecord).where(ConsentRecord.merge_id.is_not(None)))
    assert record.recorded_at <= datetime.now(UTC)
    assert profiles.current_consents([a])[a]["email_marketing"] == "withdrawn"


# --- D: an undo chooses each profile's values from the records it holds --------------------


def test_a_record_updated_while_merged_gives_its_values_after_the_undo(app, staff):
    a, b = _two_people()
    merge = merging.merge_profiles(a, b, actor=staff)
    _records("crm", {"external_id": "A1", "first_name": "Anna", "last_name": "Alfa",
                     "email": "anna@example.it", "city": "Napoli", "job_title": "Manager",
                     "company": "NewCo"})  # fmt: skip
    _records("crm", {"external_id": "B1", "first_name": "Bruno", "last_name": "Gamma",
                     "email": "bruno@example.it", "city": "Lucca"})  # fmt: skip

    merging.undo_merge(merge.id, actor=staff)

    anna, bruno = _stored(a), _stored(b)
    assert (anna.city, anna.job_title, anna.company) == ("Napoli", "Manager", "NewCo")
    assert (bruno.city, bruno.last_name) == ("Lucca", "Gamma")
    # The page names a source that says the value shown.
    for profile in (anna, bruno):
        held = {r.id: r for r in profile.source_records}
        for name in ("city", "last_name"):
            origin = profile.provenance[name]
            assert held[origin["source_record_id"]].fields[name] == getattr(profile, name)


def test_a_stage_the_restored_persons_record_stated_goes_with_them(app, staff):
    a, b = _two_people()
    merge = merging.merge_profiles(a, b, actor=staff)
    _records("crm", {"external_id": "B1", "first_name": "Bruno", "last_name": "Beta",
                     "email": "bruno@example.it", "stage": "customer"})  # fmt: skip
    assert _stored(a).stage == "customer"

    merging.undo_merge(merge.id, actor=staff)

    assert (_stored(a).stage, _stored(b).stage) == ("lead", "customer")
    _assert_history_joins(a)
    _assert_history_joins(b)


def test_a_stage_set_by_hand_while_merged_stays_with_the_survivor(app, staff):
    a, b = _two_people()
    profiles.update_profile(b, {"stage": "sql"}, expected_version=None, actor=staff)
    merge = merging.merge_profiles(a, b, actor=staff)
    profiles.update_profile(a, {"stage": "customer"}, expected_version=None, actor=staff)

    merging.undo_merge(merge.id, actor=staff)

    assert (_stored(a).stage, _stored(b).stage) == ("customer", "sql")
    _assert_history_joins(a)  # lead -> sql (the merge) -> customer: no jump from nowhere


def _assert_history_joins(profile_id: int) -> None:
    changes = db.session.scalars(
        select(StageChange).where(StageChange.profile_id == profile_id).order_by(StageChange.id)
    ).all()
    for earlier, later in zip(changes, changes[1:], strict=False):
        assert later.from_stage == earlier.to_stage
    assert changes[-1].to_stage == _stored(profile_id).stage


def test_an_email_removed_by_hand_while_merged_comes_back_with_its_person(app, staff):
    a, b = _two_people()
    merge = merging.merge_profiles(a, b, actor=staff)
    profiles.update_profile(a, {"emails": ["anna@example.it"]}, expected_version=None, actor=staff)

    merging.undo_merge(merge.id, actor=staff)

    bruno = _stored(b)
    assert [(e.email, e.is_primary) for e in bruno.emails] == [("bruno@example.it", True)]
    assert [e.email for e in _stored(a).emails] == ["anna@example.it"]


def test_a_plain_merge_and_undo_still_restores_both_exactly(pair, staff):
    a, b = pair
    before_a, before_b = snapshot(a), snapshot(b)
    merge = merging.merge_profiles(a, b, actor=staff)

    merging.undo_merge(merge.id, actor=staff)

    assert (snapshot(a), snapshot(b)) == (before_a, before_b)


# --- E: values typed by hand on the absorbed profile --------------------------------------


@pytest.mark.parametrize("how", ["one", "many"])
def test_values_typed_on_the_absorbed_profile_win_over_nothing(app, staff, how):
    a, b = _two_people()
    profiles.update_profile(a, {"company": "Acme"}, expected_version=None, actor=staff)
    profiles.update_profile(
        b,
        {"job_title": "Typed Title B", "birth_date": "1990-01-01", "company": "Other"},
        expected_version=None,
        actor=staff,
    )
    before_a, before_b = snapshot(a), snapshot(b)

    if how == "one":
        merge = merging.merge_profiles(a, b, actor=staff)
    else:
        (merge,) = merging.merge_many([(a, b, None, None)], actor=staff, rule="manual")

    merged = _stored(a)
    assert merged.job_title == "Typed Title B"  # typed by hand beats a record's "Clerk"
    assert merged.birth_date.isoformat() == "1990-01-01"
    assert merged.company == "Acme"  # the survivor's own typed value stands
    assert merged.provenance["job_title"]["manual"] == staff.id
    merging.undo_merge(merge.id, actor=staff)
    assert (snapshot(a), snapshot(b)) == (before_a, before_b)


# --- F: a decision about the merged profile holds for the restored one ---------------------


def test_a_decision_about_the_merged_profile_holds_for_the_restored_one(app, staff):
    a, b, c = (factories.make_profile(first_name="Giulia", last_name=n).id for n in "ABC")
    duplicates.propose(b, c, 0.85, ["first name: exact"])
    db.session.commit()
    merge = merging.merge_profiles(a, b, actor=staff)
    carried = suspects.find_pair(a, c)
    assert carried.status == "open"
    reviewer = factories.make_user("sales")
    duplicates.decide(carried.id, "distinct", actor=reviewer)

    merging.undo_merge(merge.id, actor=staff)

    assert _pair_status(b, c) == ("distinct", reviewer.id)
    assert _pair_status(a, c) == ("distinct", reviewer.id)
    assert duplicates.open_candidates()[0] == []


def test_a_decision_taken_before_the_merge_is_not_passed_on(app, staff):
    a, b, c = (factories.make_profile(first_name="Giulia", last_name=n).id for n in "ABC")
    duplicates.decide(duplicates.propose(a, c, 0.5, ["x"]).id, "distinct", actor="test")
    duplicates.propose(b, c, 0.85, ["first name: exact"])
    db.session.commit()
    merge = merging.merge_profiles(a, b, actor=staff)

    merging.undo_merge(merge.id, actor=staff)

    # A was judged apart from C on its own; whether B is C is still open.
    assert _pair_status(b, c) == ("open", None)
    assert [(p.profile_a_id, p.profile_b_id) for p in duplicates.open_candidates()[0]] == [(b, c)]


def test_the_undo_audit_names_ids_only(app, staff):
    a, b, c = (factories.make_profile(first_name="Giulia", last_name=n).id for n in "ABC")
    merge = merging.merge_profiles(a, b, actor=staff)
    duplicates.decide(duplicates.propose(a, c, 0.5, ["x"]).id, "distinct", actor=staff)

    merging.undo_merge(merge.id, actor=staff)

    from crm.models import AuditLog

    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "profile.merge_undo"))
    assert entry.details["kept_apart_from"] == [c]
    assert all(isinstance(v, int | list | type(None)) for v in entry.details.values())
    assert db.session.scalar(select(DuplicateCandidate).filter_by(profile_a_id=b)).status == (
        "distinct"
    )
