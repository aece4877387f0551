"""A merge, its undo and a detach respect what people decided: a stage moved back or set
by hand, tags that left with their person, an owner and a score; a detach leaves a trace."""

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditLog, Profile, SourceRecord
from crm.services import duplicates, merging, profiles, splitting
from tests import factories
from tests.factories import import_records as _records
from tests.unit import test_merging as base

# The merge tests' fixtures and helpers (a sales user, a full snapshot of a profile).
staff, snapshot = base.staff, base.snapshot


def _stored(profile_id: int) -> Profile:
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def _record_id(external_id: str) -> int:
    return db.session.scalar(select(SourceRecord.id).where(SourceRecord.external_id == external_id))


def _one(source: str, external_id: str, email: str, **fields) -> int:
    """The profile of one imported record of Carlo Zanetti."""
    (result,) = _records(source, {"external_id": external_id, "first_name": "Carlo",
                                  "last_name": "Zanetti", "email": email, **fields})  # fmt: skip
    return result["profile_id"]


def _merge(survivor_id: int, other_id: int, actor, how: str):
    """A merge by hand (merge_profiles) or as the importer makes them (merge_many)."""
    if how == "one":
        return merging.merge_profiles(survivor_id, other_id, actor=actor)
    (merge,) = merging.merge_many([(survivor_id, other_id, None, None)], actor=actor, rule="auto")
    return merge


def _churned(staff, moved_back_from: str = "customer") -> int:
    """A profile a rep moved back to lead from the stage its shop record states."""
    a = _one("shop", "R3", "carlo.z@alpha.example", stage=moved_back_from)
    profiles.update_profile(
        a, {"stage": "lead", "stage_reason": "churned"}, expected_version=None, actor=staff
    )
    return a


# --- a merge respects a stage a person moved back ------------------------------------------


@pytest.mark.parametrize("how", ["one", "many"])
def test_a_merge_does_not_bring_back_the_stage_a_rep_moved_a_profile_back_from(app, staff, how):
    a = _churned(staff)
    b = _one("crmx", "R3b", "carlo.z@beta.example", stage="customer")

    merge = _merge(a, b, staff, how)

    survivor = _stored(a)
    assert survivor.stage == "lead"
    assert not [c for c in survivor.stage_changes if c.actor_label == f"merge:{merge.id}"]
    merging.undo_merge(merge.id, actor=staff)
    assert (_stored(a).stage, _stored(b).stage) == ("lead", "customer")


@pytest.mark.parametrize("how", ["one", "many"])
def test_a_merge_moves_a_held_back_profile_past_the_stage_it_was_moved_back_from(app, staff, how):
    a = _churned(staff, moved_back_from="mql")
    b = _one("crmx", "R3b", "carlo.z@beta.example", stage="customer")

    _merge(a, b, staff, how)

    assert _stored(a).stage == "customer"


@pytest.mark.parametrize("how", ["one", "many"])
def test_a_stage_a_person_set_on_the_absorbed_profile_after_the_move_back_counts(app, staff, how):
    a = _churned(staff)
    b = _one("crmx", "R3b", "carlo.z@beta.example")
    profiles.update_profile(b, {"stage": "sql"}, expected_version=None, actor=staff)

    merge = _merge(a, b, staff, how)

    # The later judgement of a person counts; the shop's "customer" the rep overruled does
    # not come back through it.
    assert _stored(a).stage == "sql"
    merging.undo_merge(merge.id, actor=staff)
    assert (_stored(a).stage, _stored(b).stage) == ("lead", "sql")


def test_a_stage_a_person_set_on_the_absorbed_profile_before_the_move_back_does_not(app, staff):
    b = _one("crmx", "R3b", "carlo.z@beta.example")
    profiles.update_profile(b, {"stage": "sql"}, expected_version=None, actor=staff)
    a = _churned(staff)

    merging.merge_profiles(a, b, actor=staff)

    assert _stored(a).stage == "lead"


def test_a_merge_still_takes_the_more_advanced_stage_when_nobody_moved_one_back(app, staff):
    a = _one("shop", "R3", "carlo.z@alpha.example", stage="mql")
    b = _one("crmx", "R3b", "carlo.z@beta.example", stage="customer")

    merge = merging.merge_profiles(a, b, actor=staff)

    survivor = _stored(a)
    assert survivor.stage == "customer"
    assert survivor.stage_changes[-1].actor_label == f"merge:{merge.id}"


# --- a detach keeps a stage a person set ---------------------------------------------------


def _joined_after_a_rep_set(staff, stage: str = "sql") -> int:
    """A shop lead a rep moved to a stage by hand, then a crmx record saying customer that
    joined by its email."""
    a = _one("shop", "R2", "bruna@example.it", stage="lead")
    profiles.update_profile(a, {"stage": stage}, expected_version=None, actor=staff)
    assert _one("crmx", "R2c", "bruna@example.it", stage="customer") == a
    assert _stored(a).stage == "customer"
    return a


def test_a_detach_keeps_the_stage_a_rep_set_by_hand(app, staff):
    a = _joined_after_a_rep_set(staff)

    new = splitting.detach_record(_record_id("R2c"), actor=staff)

    kept = _stored(a)
    assert (kept.stage, _stored(new.id).stage) == ("sql", "customer")
    last = kept.stage_changes[-1]
    assert (last.from_stage, last.to_stage) == ("customer", "sql")


def test_a_detach_keeps_what_the_remaining_records_state_when_it_is_further(app, staff):
    a = _one("shop", "R2", "bruna@example.it", stage="lead")
    profiles.update_profile(a, {"stage": "mql"}, expected_version=None, actor=staff)
    _records("fair", {"external_id": "R2f", "email": "bruna@example.it", "stage": "sql"})
    _one("crmx", "R2c", "bruna@example.it", stage="customer")

    splitting.detach_record(_record_id("R2c"), actor=staff)

    assert _stored(a).stage == "sql"


# --- an undo puts tags back exactly --------------------------------------------------------


def _merged_then_joined() -> tuple[int, int, int]:
    """X (newsletter, nl-tag) merged into Y (shop, shop-tag); then a webform record with
    X's email, a tag and a phone joins. Returns (x, y, merge id)."""
    x = _one("newsletter", "R4x", "irene@alpha.example", tags=["nl-tag"])
    y = _one("shop", "R4y", "irene@beta.example", tags=["shop-tag"])
    merge = merging.merge_profiles(y, x, actor="test")
    joined = _one("webform", "R4w", "irene@alpha.example", tags=["webinar"],
                  phone="+39 345 7654321")  # fmt: skip
    assert joined == y
    return x, y, merge.id


def _tags(profile_id: int) -> list[str]:
    return [t.name for t in _stored(profile_id).tags]


def test_an_undo_takes_from_the_survivor_a_tag_that_left_with_its_record(app, staff):
    x, y, merge_id = _merged_then_joined()

    merging.undo_merge(merge_id, actor=staff)

    assert _tags(y) == ["shop-tag"]
    assert _tags(x) == ["nl-tag", "webinar"]


def test_a_tag_a_record_the_survivor_keeps_states_stays_after_the_undo(app, staff):
    x, y, merge_id = _merged_then_joined()
    _records("shop", {"external_id": "R4y", "first_name": "Carlo", "last_name": "Zanetti",
                      "email": "irene@beta.example", "tags": ["shop-tag", "webinar"]})  # fmt: skip

    merging.undo_merge(merge_id, actor=staff)

    assert _tags(y) == ["shop-tag", "webinar"]


def test_a_tag_a_person_kept_by_hand_after_it_arrived_stays_after_the_undo(app, staff):
    x, y, merge_id = _merged_then_joined()
    profiles.update_profile(
        y, {"tags": ["shop-tag", "webinar", "hot"]}, expected_version=None, actor=staff
    )

    merging.undo_merge(merge_id, actor=staff)

    assert _tags(y) == ["hot", "shop-tag", "webinar"]
    assert _tags(x) == ["nl-tag", "webinar"]


# --- owner and score of the absorbed profile fill what the survivor lacks ------------------


@pytest.mark.parametrize("how", ["one", "many"])
def test_the_absorbed_profiles_owner_and_score_fill_the_survivors_and_undo_restores_them(
    app, staff, how
):
    rep = factories.make_user(role="sales")
    x = _one("newsletter", "R9x", "teresa@alpha.example")
    y = _one("shop", "R9y", "teresa@beta.example")
    profiles.update_profile(
        x, {"owner": rep.email, "score": 40}, expected_version=None, actor=staff
    )
    before_x, before_y = snapshot(x), snapshot(y)

    merge = _merge(y, x, staff, how)

    survivor = _stored(y)
    assert (survivor.owner_id, survivor.score) == (rep.id, 40)
    merging.undo_merge(merge.id, actor=staff)
    assert (snapshot(x), snapshot(y)) == (before_x, before_y)


def test_the_survivors_own_owner_and_score_stand_in_a_merge(app, staff):
    mine, theirs = factories.make_user(role="sales"), factories.make_user(role="sales")
    x = _one("newsletter", "R9x", "teresa@alpha.example")
    y = _one("shop", "R9y", "teresa@beta.example")
    profiles.update_profile(x, {"owner": theirs.email, "score": 40}, expected_version=None,
                            actor=staff)  # fmt: skip
    profiles.update_profile(y, {"owner": mine.email, "score": 5}, expected_version=None,
                            actor=staff)  # fmt: skip

    merging.merge_profiles(y, x, actor=staff)

    assert (_stored(y).owner_id, _stored(y).score) == (mine.id, 5)


def test_an_owner_and_score_changed_after_the_merge_stay_after_its_undo(app, staff):
    rep, other = factories.make_user(role="sales"), factories.make_user(role="sales")
    x = _one("newsletter", "R9x", "teresa@alpha.example")
    y = _one("shop", "R9y", "teresa@beta.example")
    profiles.update_profile(x, {"owner": rep.email, "score": 40}, expected_version=None,
                            actor=staff)  # fmt: skip
    merge = merging.merge_profiles(y, x, actor=staff)
    profiles.update_profile(y, {"owner": other.email, "score": 55}, expected_version=None,
                            actor=staff)  # fmt: skip

    merging.undo_merge(merge.id, actor=staff)

    assert (_stored(y).owner_id, _stored(y).score) == (other.id, 55)
    assert (_stored(x).owner_id, _stored(x).score) == (rep.id, 40)


# --- a detach leaves a trace on both profiles -----------------------------------------------


def test_a_detach_is_recorded_for_both_profiles_with_ids_only(app, staff):
    a = _joined_after_a_rep_set(staff)
    record_id = _record_id("R2c")

    new = splitting.detach_record(record_id, actor=staff)

    for profile_id in (a, new.id):
        (event,) = splitting.detach_history(profile_id)
        assert (event.record_id, event.from_id, event.to_id) == (record_id, a, new.id)
        assert event.by == staff and event.at is not None
    assert splitting.detach_history(_one("shop", "Z9", "other@example.it")) == []
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "profile.detach"))
    assert entry.actor_user_id == staff.id
    assert all(isinstance(v, int) for v in entry.details.values())
    assert duplicates.is_distinct(a, new.id)  # and never proposed again


def test_the_detach_history_lists_the_newest_first(app, staff):
    a = _one("shop", "R2", "bruna@example.it")
    _records("crmx", {"external_id": "R2c", "email": "bruna@example.it", "city": "Pisa"})
    _records("fair", {"external_id": "R2f", "email": "bruna@example.it", "city": "Lucca"})

    first = splitting.detach_record(_record_id("R2c"), actor=staff)
    second = splitting.detach_record(_record_id("R2f"), actor="test")

    assert [e.to_id for e in splitting.detach_history(a)] == [second.id, first.id]
    assert splitting.detach_history(a)[0].by is None
