"""A detach never leaves a profile that an undo empties: the last record of a profile that
no undo of a live merge can take stays (F9), and a detached record's new profile names the
detach in its stage history, not an import (F15)."""

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Profile, SourceRecord, StageChange
from crm.services import merging, splitting
from crm.services.errors import ConflictError, ValidationError
from tests.factories import import_records


def _record(external_id: str) -> SourceRecord:
    return db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == external_id))


def _person(source: str, external_id: str, first: str, email: str, **more) -> int:
    """Import one record of a De Luca; returns its profile's id."""
    record = {"id": external_id, "first_name": first, "last_name": "De Luca", "email": email}
    (result,) = import_records(source, {**record, **more})
    return result["profile_id"]


def _assert_no_empty_profile() -> None:
    """Every live profile keeps a source record (and so a name or an identifier)."""
    db.session.expire_all()
    empty = db.session.scalars(
        select(Profile.id).where(
            Profile.merged_into_id.is_(None),
            ~select(SourceRecord.id).where(SourceRecord.profile_id == Profile.id).exists(),
        )
    ).all()
    assert empty == []


@pytest.fixture
def merged(app):
    """Maria Grazia (#B, record B1) absorbed Mariagrazia (#A, record A1): merge #N.
    Returns (survivor id, absorbed id, merge id)."""
    absorbed = _person("web", "A1", "Mariagrazia", "mg@example.it")
    survivor = _person("crm", "B1", "Maria Grazia", "mariagrazia.deluca@example.it")
    merge = merging.merge_profiles(survivor, absorbed, actor="test")
    return survivor, absorbed, merge.id


def test_the_founding_record_is_not_detached_while_only_merged_records_are_left(merged):
    survivor, _absorbed, merge_id = merged
    with pytest.raises(ValidationError) as refused:
        splitting.detach_record(_record("B1").id, actor="test")
    assert f"merge #{merge_id}" in refused.value.message
    assert "undo that merge instead" in refused.value.message
    assert refused.value.fields == {"merge": [str(merge_id)]}
    assert _record("B1").profile_id == survivor
    assert db.session.scalar(select(func.count()).select_from(Profile)) == 2  # no new profile


def test_detach_then_undo_leaves_no_empty_profile(merged):
    survivor, absorbed, merge_id = merged
    with pytest.raises(ValidationError):
        splitting.detach_record(_record("B1").id, actor="test")
    merging.undo_merge(merge_id, actor="test")
    _assert_no_empty_profile()
    db.session.expire_all()
    kept = db.session.get(Profile, survivor)
    assert (kept.first_name, kept.primary_email) == (
        "Maria Grazia",
        "mariagrazia.deluca@example.it",
    )
    assert [r.external_id for r in kept.source_records] == ["B1"]
    assert [r.external_id for r in db.session.get(Profile, absorbed).source_records] == ["A1"]


def test_undo_then_detach_is_refused_as_the_only_record(merged):
    survivor, _absorbed, merge_id = merged
    merging.undo_merge(merge_id, actor="test")
    with pytest.raises(ValidationError, match="only record"):
        splitting.detach_record(_record("B1").id, actor="test")
    _assert_no_empty_profile()


def test_the_merged_record_still_goes_back_by_undoing_the_merge(merged):
    _survivor, _absorbed, merge_id = merged
    with pytest.raises(ConflictError, match=f"came with merge #{merge_id}"):
        splitting.detach_record(_record("A1").id, actor="test")


def test_of_two_own_records_one_is_detached_and_the_last_one_stays(app):
    absorbed = _person("web", "A1", "Mariagrazia", "mg@example.it")
    survivor = _person("crm", "B1", "Maria Grazia", "mariagrazia.deluca@example.it")
    _person("fair", "B2", "Maria Grazia", "mariagrazia.deluca@example.it", phone="051 123456")
    assert _record("B2").profile_id == survivor  # joined by its email: no merge
    merge = merging.merge_profiles(survivor, absorbed, actor="test")

    first = splitting.detach_record(_record("B2").id, actor="test")  # B1 stays: allowed
    with pytest.raises(ValidationError, match=f"merge #{merge.id} or after it"):
        splitting.detach_record(_record("B1").id, actor="test")
    merging.undo_merge(merge.id, actor="test")

    _assert_no_empty_profile()
    assert _record("B1").profile_id == survivor
    assert _record("B2").profile_id == first.id


def test_a_record_received_since_the_merge_does_not_keep_the_profile(merged):
    """A record that joined through the absorbed person's email after the merge follows
    that person when the merge is undone: it cannot be what the profile keeps."""
    survivor, absorbed, merge_id = merged
    _person("shop", "A2", "Mariagrazia", "mg@example.it")
    assert _record("A2").profile_id == survivor  # joined the merged profile by A1's email

    with pytest.raises(ValidationError, match=f"merge #{merge_id}"):
        splitting.detach_record(_record("B1").id, actor="test")
    splitting.detach_record(_record("A2").id, actor="test")  # B1 stays: allowed
    merging.undo_merge(merge_id, actor="test")

    _assert_no_empty_profile()
    assert _record("B1").profile_id == survivor
    assert _record("A1").profile_id == absorbed


def test_the_page_hides_the_detach_of_the_record_that_keeps_the_profile(merged):
    survivor, _absorbed, merge_id = merged
    profile = db.session.get(Profile, survivor)
    merges = [m for m, *_ in merging.merge_history(survivor)]
    assert splitting.detach_blockers(profile, merges) == {_record("B1").id: merge_id}
    merging.undo_merge(merge_id, actor="test")
    db.session.expire_all()
    merges = [m for m, *_ in merging.merge_history(survivor)]
    assert splitting.detach_blockers(db.session.get(Profile, survivor), merges) == {}


def test_the_new_profiles_first_stage_names_the_detach(app):
    _person("crm", "B1", "Maria Grazia", "mariagrazia.deluca@example.it")
    _person("shop", "B2", "Maria Grazia", "mariagrazia.deluca@example.it", stage="customer")
    record_id = _record("B2").id

    new = splitting.detach_record(record_id, actor="test")

    changes = db.session.scalars(
        select(StageChange).where(StageChange.profile_id == new.id).order_by(StageChange.id)
    ).all()
    assert [(c.to_stage, c.actor_label) for c in changes] == [
        ("customer", f"{splitting.DETACH_LABEL}{record_id}")
    ]
    assert changes[0].actor_user_id is None
