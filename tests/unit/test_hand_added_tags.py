"""Tags a person adds by hand are recorded (who, when), so that undoing a merge or detaching
a record keeps them, as it keeps every other value typed by hand."""

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Profile, SourceRecord
from crm.services import merging, profiles, splitting, survivorship
from tests import factories
from tests.factories import import_records as _records
from tests.unit import test_merging as base

# The merge tests' fixtures (two profiles of one person) and their full snapshot.
pair, staff, snapshot = base.pair, base.staff, base.snapshot


def _stored(profile_id: int) -> Profile:
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def _tags(profile_id: int) -> list[str]:
    return [t.name for t in _stored(profile_id).tags]


def _set_tags(profile_id: int, tags: list[str], actor) -> None:
    profiles.update_profile(profile_id, {"tags": tags}, expected_version=None, actor=actor)


def _one(source: str, external_id: str, email: str, **fields) -> int:
    """The profile of one imported record of Carlo Zanetti."""
    (result,) = _records(source, {"external_id": external_id, "first_name": "Carlo",
                                  "last_name": "Zanetti", "email": email, **fields})  # fmt: skip
    return result["profile_id"]


def test_provenance_records_who_added_each_tag_by_hand_until_they_remove_it(app, staff):
    rep = factories.make_user(role="sales")
    profile = factories.make_profile()

    _set_tags(profile.id, ["vip"], staff)
    _set_tags(profile.id, ["hot", "vip"], rep)

    stamp = _stored(profile.id).provenance["tags"]
    assert {name: entry["manual"] for name, entry in stamp["added"].items()} == {
        "hot": rep.id,
        "vip": staff.id,
    }
    assert stamp["added"]["vip"]["at"] < stamp["added"]["hot"]["at"]

    _set_tags(profile.id, ["hot"], rep)

    stamp = _stored(profile.id).provenance["tags"]
    assert list(stamp["added"]) == ["hot"] and stamp["removed"] == ["vip"]
    assert profiles.added_tags(_stored(profile.id).provenance) == stamp["added"]


def test_an_undo_keeps_a_tag_a_person_typed_again_after_the_merge(pair, staff):
    a, b = pair
    merge = merging.merge_profiles(a, b, actor=staff)
    assert "webinar" in _tags(a)  # brought by the absorbed profile
    # A rep takes it off, then types it again: now it is their word, not the record's.
    _set_tags(a, ["vip"], staff)
    _set_tags(a, ["vip", "webinar"], staff)

    merging.undo_merge(merge.id, actor=staff)

    assert _tags(a) == ["vip", "webinar"]
    assert _tags(b) == ["webinar"]


def test_an_undo_keeps_a_tag_typed_by_hand_that_a_record_of_the_other_person_states_too(app, staff):
    x = _one("shop", "T1x", "carlo@alpha.example")
    y = _one("newsletter", "T1y", "carlo@beta.example")
    merge = merging.merge_profiles(x, y, actor=staff)
    _set_tags(x, ["vip"], staff)
    # The absorbed person's record comes again, now stating the same tag: it is newer
    # than the edit, yet the rep typed the tag themselves.
    _one("newsletter", "T1y", "carlo@beta.example", tags=["vip"])

    merging.undo_merge(merge.id, actor=staff)

    assert _tags(x) == ["vip"]
    assert _tags(y) == ["vip"]


def test_an_undo_still_takes_back_the_tags_the_merge_brought(pair, staff):
    a, b = pair
    before_a = snapshot(a)
    merge = merging.merge_profiles(a, b, actor=staff)
    _set_tags(a, ["vip", "webinar", "later"], staff)  # saved with it, not typed

    merging.undo_merge(merge.id, actor=staff)

    assert _tags(a) == ["later", "vip"]
    assert set(before_a["tags"]) == {"vip"}


def test_an_undo_takes_back_the_tags_typed_on_the_absorbed_profile_after_a_tag_edit(app, staff):
    anna = factories.make_profile(first_name="Anna", emails=["anna@tags.example"]).id
    bruno = factories.make_profile(first_name="Bruno", emails=["bruno@tags.example"]).id
    _set_tags(anna, ["anna-tag"], staff)
    _set_tags(bruno, ["bruno-tag"], staff)
    merge = merging.merge_profiles(anna, bruno, actor=staff)
    # Saving the tag list after the merge holds Bruno's tag, typed by hand on his profile
    # before the merge: that does not make it Anna's.
    _set_tags(anna, [*_tags(anna), "hot"], staff)

    merging.undo_merge(merge.id, actor=staff)

    assert _tags(anna) == ["anna-tag", "hot"]
    assert _tags(bruno) == ["bruno-tag"]
    assert list(profiles.added_tags(_stored(anna).provenance)) == ["anna-tag", "hot"]


@pytest.mark.parametrize("typed_first", [True, False])
def test_a_detach_keeps_a_tag_a_person_added_by_hand(app, staff, typed_first):
    profile_id = _one("shop", "D1", "carlo@gamma.example")
    if typed_first:
        _set_tags(profile_id, ["vip"], staff)
        _one("fair", "D2", "carlo@gamma.example", tags=["vip", "fiera"])
    else:
        _one("fair", "D2", "carlo@gamma.example", tags=["vip", "fiera"])
        _set_tags(profile_id, ["fiera"], staff)
        _set_tags(profile_id, ["fiera", "vip"], staff)
    record_id = db.session.scalar(select(SourceRecord.id).where(SourceRecord.external_id == "D2"))

    new = splitting.detach_record(record_id, actor=staff)

    assert _tags(profile_id) == ["vip"]  # "fiera" came with the record, and goes with it
    assert _tags(new.id) == ["fiera", "vip"]


def _tag_origins(profile_id: int) -> dict[str, dict]:
    from crm.services.provenance import profile_provenance

    items = profile_provenance(_stored(profile_id))["tags"]["items"]
    return {item["name"]: item for item in items}


def test_a_tag_added_by_hand_to_the_absorbed_profile_stays_added_by_hand(pair, staff):
    """After a merge the survivor said of such a tag "no record states it"."""
    a, b = pair
    rep = factories.make_user(role="sales")
    _set_tags(b, ["fair2026", *_tags(b)], rep)
    before_a, before_b = snapshot(a), snapshot(b)
    merge = merging.merge_profiles(a, b, actor=staff)

    assert _tag_origins(a)["fair2026"]["manual"] == rep.id
    # Weighed again from its records, the survivor keeps it: a person's word.
    survivorship.recompute(_stored(a))
    db.session.commit()
    assert "fair2026" in _tags(a)
    merging.undo_merge(merge.id, actor=staff)

    assert snapshot(a) == before_a and snapshot(b) == before_b
    assert "fair2026" not in _tags(a)
    assert _tag_origins(b)["fair2026"]["manual"] == rep.id
