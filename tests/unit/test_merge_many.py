"""merge_many: many merges in one transaction, each exactly what merge_profiles leaves."""

import re

from sqlalchemy import event, select

from crm.extensions import db
from crm.models import AuditLog, DuplicateCandidate, MatchKey, Merge, Profile
from crm.services import merging, profiles, suspects
from crm.services.errors import NotFoundError, ValidationError
from tests import factories
from tests.unit import test_merging as base

# The fixtures and helpers of the merge tests (their two-profile pair, the snapshot).
pair, staff, snapshot = base.pair, base.staff, base.snapshot
_person, _consent = base._person, base._consent


def _other_pair() -> tuple[int, int]:
    """A second pair of one person's profiles: a stage, tags and a consent on each side."""
    c = _person(
        ("shop", "C1", {"first_name": "Luca", "last_name": "Bianchi", "email": "luca@ex.it"}),
    )
    d = _person(
        (
            "newsletter",
            "D1",
            {
                "first_name": "Luca",
                "last_name": "Bianchi",
                "city": "Torino",
                "email": "lb@mail.example",
                "phone": "+393401112233",
                "tags": ["fair"],
                "stage": "customer",
            },
        ),
    )
    _consent(c.id, "email_marketing", "granted")
    _consent(d.id, "email_marketing", "withdrawn")
    db.session.commit()
    return c.id, d.id


def _comparable(snap: dict, merge_ids: set[int]) -> dict:
    """A snapshot without the ids of rows a merge creates (a second merge makes new ones)."""
    snap = dict(snap)
    snap["email_rows"] = sorted((e, p) for _i, e, p in snap["email_rows"])
    snap["phone_rows"] = sorted((p, x) for _i, p, x in snap["phone_rows"])
    snap["stage_history"] = [
        (f, t, re.sub(r"merge:\d+", "merge:N", label)) for _i, f, t, label in snap["stage_history"]
    ]
    snap["consent_record_ids"] = len(snap["consent_record_ids"])
    return snap


def _moved(merge: Merge) -> dict:
    moved = dict(merge.moved)
    moved.pop("candidate", None)  # the pair's status before: distinct after an undo
    for key in ("stage_changes_added", "emails_added", "phones_added"):
        moved[key] = len(moved[key])
    return moved


def test_merge_many_then_undo_restores_every_profile_exactly(pair, staff):
    a, b = pair
    c, d = _other_pair()
    before = {pid: snapshot(pid) for pid in (a, b, c, d)}

    results = merging.merge_many([(a, b, 0.95, ["name: exact"]), (c, d, None, None)], actor=staff)

    assert all(isinstance(m, Merge) for m in results)
    assert db.session.get(Profile, b).merged_into_id == a
    assert db.session.get(Profile, d).merged_into_id == c
    assert snapshot(a) != before[a] and snapshot(c) != before[c]
    assert db.session.scalar(select(DuplicateCandidate)).status == "merged"
    audited = db.session.scalars(select(AuditLog).where(AuditLog.action == "profile.merge"))
    assert sorted(e.details["merge_id"] for e in audited) == sorted(m.id for m in results)
    for merge in reversed(results):
        merging.undo_merge(merge.id, actor=staff)
    for pid, snap in before.items():
        assert snapshot(pid) == snap
    assert db.session.scalar(select(DuplicateCandidate)).status == "distinct"


def test_merge_many_leaves_what_merge_profiles_leaves(pair, staff):
    a, b = pair
    c, d = _other_pair()
    bulk_merges = merging.merge_many([(a, b, 0.9, ["x"]), (c, d, 0.9, ["y"])], actor=staff)
    bulk = {pid: _comparable(snapshot(pid), set()) for pid in (a, b, c, d)}
    bulk_moved = [(_moved(m), m.survivor_before) for m in bulk_merges]
    for merge in reversed(bulk_merges):
        merging.undo_merge(merge.id, actor=staff)

    one_by_one = [
        # Undone, the pairs are two people to the rules: only a person merges them again,
        # overruling that decision.
        merging.merge_profiles(
            s, o, actor=staff, rule="manual", score=0.9, reasons=[r], overrule_distinct=True
        )
        for s, o, r in ((a, b, "x"), (c, d, "y"))
    ]

    assert {pid: _comparable(snapshot(pid), set()) for pid in (a, b, c, d)} == bulk
    for (moved, before), merge in zip(bulk_moved, one_by_one, strict=True):
        assert _moved(merge) == moved
        assert {k: v for k, v in merge.survivor_before.items() if k != "version"} == {
            k: v for k, v in before.items() if k != "version"
        }


def test_merge_many_returns_the_errors_merge_profiles_would_raise(pair, staff):
    a, b = pair
    c, d = _other_pair()
    candidate = db.session.scalar(select(DuplicateCandidate))
    candidate.status = "distinct"
    db.session.commit()

    results = merging.merge_many(
        [(a, b, 0.99, []), (c, c, 0.99, []), (c, 999_999, 0.99, []), (d, c, 0.99, [])],
        actor="rule:auto",
    )

    assert isinstance(results[0], ValidationError)  # marked distinct
    assert isinstance(results[1], ValidationError)  # the same profile
    assert isinstance(results[2], NotFoundError)
    assert isinstance(results[3], Merge)  # c was named before, so merged after the batch
    assert db.session.get(Profile, c).merged_into_id == d
    assert db.session.get(Profile, b).merged_into_id is None


def test_a_survivor_named_twice_is_merged_twice_in_order(pair, staff):
    a, b = pair
    c, d = _other_pair()
    results = merging.merge_many([(a, b, 0.9, []), (a, d, 0.9, [])], actor=staff)
    assert [m.merged_id for m in results] == [b, d]
    assert results[0].id < results[1].id
    assert db.session.get(Profile, d).merged_into_id == a


def test_merge_many_reports_the_blocking_keys_each_survivor_gained(app):
    c, d = _other_pair()  # d lives in Torino; c has no city
    before = set(db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == c)))
    gains: dict[int, set[str]] = {}
    [merge] = merging.merge_many([(c, d, 0.95, ["name: exact"])], actor="test", gains=gains)
    assert isinstance(merge, Merge)
    after = set(db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == c)))
    assert gains == {c: after - before} and gains[c]
    assert any("torino" in key for key in gains[c])


def _selects_to_merge(pairs: list[tuple[int, int]]) -> tuple[int, list]:
    """How many SELECTs merge_many runs to merge pairs, and its results."""
    selects = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        results = merging.merge_many([(a, b, 0.97, ["email: same"]) for a, b in pairs],
                                     actor="rule:auto")  # fmt: skip
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(selects), results


def _queued_pairs(n: int) -> list[tuple[int, int]]:
    """n pairs of profiles, each in the review queue, one side granting email marketing
    and the other having withdrawn it."""
    pairs = []
    for _ in range(n):
        a, b = factories.make_profile().id, factories.make_profile().id
        _consent(a, "email_marketing", "granted")
        _consent(b, "email_marketing", "withdrawn")
        suspects.propose(a, b, 0.8, ["name: exact"])
        pairs.append((a, b))
    db.session.commit()
    return pairs


def test_merging_more_pairs_at_once_reads_no_more_rows_one_by_one(app):
    """merge_many reads the consents, merges and queue pairs of a batch a chunk a query:
    six pairs take as many SELECTs as two (each pair's own would grow with the batch)."""
    few, few_results = _selects_to_merge(_queued_pairs(2))
    many, many_results = _selects_to_merge(_queued_pairs(6))

    assert many == few
    for merge in few_results + many_results:
        assert isinstance(merge, Merge)
        assert (
            profiles.current_consents([merge.survivor_id])[merge.survivor_id]["email_marketing"]
            == "withdrawn"
        )
        pair = suspects.find_pair(merge.survivor_id, merge.merged_id)
        assert pair.status == "merged"
