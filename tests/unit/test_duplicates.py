"""The review queue service: proposing pairs, paging, comparing, deciding, exporting."""

import io

import pytest
from sqlalchemy import delete, func, select

from crm.extensions import db
from crm.models import AuditLog, DuplicateCandidate, MatchKey, Merge, Profile, SourceRecord
from crm.services import duplicates, ingest, merging, profiles, suspects
from crm.services.errors import (
    ConflictError,
    LikelyDuplicateError,
    NotFoundError,
    ValidationError,
)
from tests import factories


def _pair(**b_fields):
    """Two fresh profiles (ids a < b)."""
    a = factories.make_profile()
    b = factories.make_profile(**b_fields)
    return a.id, b.id


def _candidates() -> int:
    return db.session.scalar(select(func.count()).select_from(DuplicateCandidate))


def _queued(score: float = 0.8, reasons=("last name: exact",)) -> DuplicateCandidate:
    """A committed open candidate for two new profiles."""
    a, b = _pair()
    candidate = duplicates.propose(a, b, score, list(reasons))
    db.session.commit()
    return candidate


# --- propose ------------------------------------------------------------------------------


def test_propose_orders_the_pair(app):
    a, b = _pair()
    candidate = duplicates.propose(b, a, 0.7, ["postcode: same"])
    assert (candidate.profile_a_id, candidate.profile_b_id) == (a, b)
    assert candidate.status == "open"
    assert candidate.reasons == ["postcode: same"]


def test_propose_keeps_the_higher_score_with_its_reasons(app):
    a, b = _pair()
    first = duplicates.propose(a, b, 0.7, ["name: similar"])
    lower = duplicates.propose(b, a, 0.6, ["company: same"])
    assert lower.id == first.id
    assert (first.score, first.reasons) == (0.7, ["name: similar"])
    higher = duplicates.propose(a, b, 0.9, ["name: exact", "birth date: same"])
    assert higher.id == first.id
    assert (first.score, first.reasons) == (0.9, ["name: exact", "birth date: same"])
    assert _candidates() == 1


def test_propose_leaves_the_commit_to_the_caller(app):
    a, b = _pair()
    duplicates.propose(a, b, 0.7, [])
    db.session.rollback()
    assert _candidates() == 0


def test_propose_ignores_a_profile_paired_with_itself(app):
    a, _b = _pair()
    assert duplicates.propose(a, a, 0.9, []) is None
    assert _candidates() == 0


def test_propose_skips_profiles_merged_away(app):
    a, b = _pair()
    c = factories.make_profile().id
    db.session.get(Profile, b).merged_into_id = c
    db.session.commit()
    assert duplicates.propose(a, b, 0.8, []) is None
    assert _candidates() == 0


def test_distinct_pair_is_never_proposed_again(app):
    candidate = _queued(0.7)
    a, b = candidate.profile_a_id, candidate.profile_b_id
    duplicates.decide(candidate.id, "distinct", actor="test")
    assert duplicates.propose(b, a, 0.99, ["everything: same"]) is None
    db.session.commit()
    stored = db.session.get(DuplicateCandidate, candidate.id)
    assert (stored.status, stored.score) == ("distinct", 0.7)
    assert duplicates.is_distinct(a, b) and duplicates.is_distinct(b, a)
    assert _candidates() == 1


def test_is_distinct_is_false_for_open_and_unknown_pairs(app):
    candidate = _queued()
    assert not duplicates.is_distinct(candidate.profile_a_id, candidate.profile_b_id)
    assert not duplicates.is_distinct(candidate.profile_b_id, candidate.profile_b_id + 100)


# --- the open queue ----------------------------------------------------------------------


def test_open_candidates_pages_highest_score_first(app):
    made = [_queued(score) for score in (0.5, 0.9, 0.7, 0.9, 0.6)]
    expected = sorted(made, key=lambda c: (-c.score, -c.id))
    seen, after = [], None
    while True:
        rows, after = duplicates.open_candidates(after=after, limit=2)
        seen.extend(rows)
        if after is None:
            break
    assert [c.id for c in seen] == [c.id for c in expected]


def test_open_candidates_leave_out_decided_and_merged_away_pairs(app):
    keep = _queued(0.6)
    distinct = _queued(0.9)
    stale = _queued(0.8)
    duplicates.decide(distinct.id, "distinct", actor="test")
    db.session.get(Profile, stale.profile_b_id).merged_into_id = keep.profile_a_id
    db.session.commit()
    rows, after = duplicates.open_candidates()
    assert [c.id for c in rows] == [keep.id]
    assert after is None


def test_get_candidate_of_unknown_id_raises(app):
    with pytest.raises(NotFoundError):
        duplicates.get_candidate(12345)


# --- comparison --------------------------------------------------------------------------


def test_compare_fields_marks_same_different_and_one_sided(app):
    a = factories.make_profile(
        first_name="Giulia", last_name="Rossi", company="Acme", city="Milano", job_title="CEO"
    )
    b = factories.make_profile(
        first_name="Giulia", last_name="Rossi", company="Acme", city="Roma", postcode="00100"
    )
    candidate = duplicates.propose(a.id, b.id, 0.8, [])
    rows = {row["field"]: row for row in duplicates.compare_fields(candidate)}
    assert list(rows) == list(duplicates.COMPARED_FIELDS)
    assert rows["company"] == {"field": "company", "a": "Acme", "b": "Acme", "status": "same"}
    assert rows["city"]["status"] == "different"
    assert (rows["city"]["a"], rows["city"]["b"]) == ("Milano", "Roma")
    assert rows["job_title"]["status"] == "only_a"
    assert rows["postcode"]["status"] == "only_b"
    assert rows["emails"]["status"] == "different"
    assert rows["emails"]["a"] == [a.primary_email]
    assert rows["sources"] == {
        "field": "sources",
        "a": ["manual"],
        "b": ["manual"],
        "status": "same",
    }
    assert rows["stage"]["status"] == "same"
    assert rows["birth_date"]["status"] == "empty"  # nothing to compare


# --- decisions ---------------------------------------------------------------------------


def test_decide_merge_keeps_left_through_the_real_merge(app):
    reviewer = factories.make_user("sales")
    candidate = _queued(0.77, ["last name: exact"])
    a, b = candidate.profile_a_id, candidate.profile_b_id
    decided = duplicates.decide(candidate.id, "merge", actor=reviewer)
    db.session.expire_all()
    assert db.session.get(Profile, b).merged_into_id == a
    assert db.session.get(Profile, a).merged_into_id is None
    assert decided.status == "merged"
    stored = db.session.get(DuplicateCandidate, candidate.id)
    assert stored.status == "merged"
    assert stored.decided_by_id == reviewer.id and stored.decided_at is not None
    merge = db.session.scalar(select(Merge).where(Merge.merged_id == b))
    assert (merge.survivor_id, merge.rule, merge.score) == (a, "review", 0.77)
    assert merge.reasons == ["last name: exact"]
    assert duplicates.open_candidates() == ([], None)


def test_decide_merge_can_keep_right(app):
    candidate = _queued()
    a, b = candidate.profile_a_id, candidate.profile_b_id
    duplicates.decide(candidate.id, "merge", actor="test", survivor="b")
    db.session.expire_all()
    assert db.session.get(Profile, a).merged_into_id == b
    assert db.session.get(Profile, b).merged_into_id is None


def test_undoing_a_reviewed_merge_marks_the_pair_as_two_people(app):
    reviewer = factories.make_user("sales")
    candidate = _queued()
    duplicates.decide(candidate.id, "merge", actor=reviewer)
    merge = db.session.scalar(select(Merge).where(Merge.merged_id == candidate.profile_b_id))
    merging.undo_merge(merge.id, actor=reviewer)
    db.session.expire_all()
    stored = db.session.get(DuplicateCandidate, candidate.id)
    assert (stored.status, stored.decided_by_id) == ("distinct", reviewer.id)
    assert duplicates.open_candidates()[0] == []


def test_merging_a_pair_whose_profile_was_merged_away_leaves_it_open(app):
    candidate = _queued()
    elsewhere = factories.make_profile()
    merging.merge_profiles(elsewhere.id, candidate.profile_b_id, actor="test")
    with pytest.raises(ConflictError):
        duplicates.decide(candidate.id, "merge", actor="test")
    db.session.expire_all()
    assert db.session.get(DuplicateCandidate, candidate.id).status == "open"
    assert db.session.get(Profile, candidate.profile_a_id).merged_into_id is None


def test_not_same_is_remembered_and_audited(app):
    reviewer = factories.make_user("admin")
    candidate = _queued()
    duplicates.decide(candidate.id, "distinct", actor=reviewer)
    db.session.expire_all()
    stored = db.session.get(DuplicateCandidate, candidate.id)
    assert stored.status == "distinct"
    assert stored.decided_by_id == reviewer.id and stored.decided_at is not None
    assert db.session.get(Profile, candidate.profile_b_id).merged_into_id is None
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "duplicates.distinct"))
    assert entry.object_id == str(candidate.id)
    assert entry.details == {"a": candidate.profile_a_id, "b": candidate.profile_b_id}


@pytest.mark.parametrize("first", ["merge", "distinct"])
def test_deciding_twice_is_a_conflict(app, first):
    candidate = _queued()
    duplicates.decide(candidate.id, first, actor="test")
    with pytest.raises(ConflictError):
        duplicates.decide(candidate.id, "distinct", actor="test")
    with pytest.raises(ConflictError):
        duplicates.decide(candidate.id, "merge", actor="test")


@pytest.mark.parametrize(("decision", "survivor"), [("maybe", "a"), ("merge", "c")])
def test_unknown_decision_or_survivor_is_refused(app, decision, survivor):
    candidate = _queued()
    with pytest.raises(ValidationError):
        duplicates.decide(candidate.id, decision, actor="test", survivor=survivor)
    assert db.session.get(DuplicateCandidate, candidate.id).status == "open"


def test_deciding_an_unknown_pair_raises_not_found(app):
    with pytest.raises(NotFoundError):
        duplicates.decide(999, "distinct", actor="test")


# --- export ------------------------------------------------------------------------------


def test_export_queue_yields_open_pairs_in_the_interface_shape(app):
    low = _queued(0.6, ["postcode: same"])
    high = _queued(0.9, ["name: exact", "birth date: same"])
    decided = _queued(0.95)
    duplicates.decide(decided.id, "distinct", actor="test")
    rows = list(duplicates.export_queue(batch_size=1))
    assert rows == [
        {
            "a": high.profile_a_id,
            "b": high.profile_b_id,
            "score": 0.9,
            "reasons": ["name: exact", "birth date: same"],
        },
        {"a": low.profile_a_id, "b": low.profile_b_id, "score": 0.6, "reasons": ["postcode: same"]},
    ]


# --- a person's merge, then the survivor weighed again ----------------------------------------


def _halves_and_a_third():
    """Two halves of Giulia (one knows her birth date, the other her company) and a third
    profile that the two together match on everything; an unrelated colleague beside them."""
    mk = factories.make_profile
    half = mk(first_name="Giulia", last_name="Ferraresi", birth_date="1985-03-14", emails=[])
    other = mk(first_name="Giulia", last_name="Ferraresi", company="Acme Srl", city="Milano")
    third = mk(
        first_name="Giulia",
        last_name="Ferraresi",
        birth_date="1985-03-14",
        company="ACME S.r.l.",
        emails=["gf@acme.example"],
    )
    colleague = mk(first_name="Marco", last_name="Bellandi", company="Acme Srl")
    # Profiles created by hand are weighed at once (third meets each half on the name and
    # one more fact); start from an empty queue so that only what the merge finds is seen.
    db.session.execute(delete(DuplicateCandidate))
    db.session.commit()
    return half.id, other.id, third.id, colleague.id


def test_after_a_persons_merge_the_survivor_meets_who_its_halves_did_not(app):
    half, other, third, colleague = _halves_and_a_third()
    assert duplicates.open_candidates()[0] == []
    duplicates.merge_and_weigh_again(half, other, actor="test")
    rows, _cursor = duplicates.open_candidates()
    assert [(c.profile_a_id, c.profile_b_id) for c in rows] == [(half, third)]
    assert rows[0].reasons[0] == duplicates.AFTER_MERGE
    assert {"birth date: same", "company: same"} <= set(rows[0].reasons)
    # Never a merge in reply to a person's merge, however strong the evidence.
    assert db.session.scalar(select(func.count()).select_from(Merge)) == 1
    assert colleague not in (rows[0].profile_a_id, rows[0].profile_b_id)


def test_a_merge_from_the_review_queue_weighs_the_survivor_again(app):
    half, other, third, _colleague = _halves_and_a_third()
    pair = duplicates.propose(half, other, 0.8, ["first name: exact"])
    db.session.commit()
    duplicates.decide(pair.id, "merge", actor="test")
    rows, _cursor = duplicates.open_candidates()
    assert [(c.profile_a_id, c.profile_b_id) for c in rows] == [(half, third)]


def test_weighing_again_never_reopens_a_pair_marked_distinct(app):
    half, other, third, _colleague = _halves_and_a_third()
    duplicates.decide(duplicates.propose(half, third, 0.5, ["x"]).id, "distinct", actor="test")
    duplicates.merge_and_weigh_again(half, other, actor="test")
    assert duplicates.open_candidates()[0] == []


def test_a_profile_changed_by_hand_meets_its_likely_duplicates(app):
    office = factories.make_profile(
        first_name="Giulia", last_name="Ferraresi", company="Acme Srl", city="Milano"
    )
    other = factories.make_profile(first_name="Marco", last_name="Bellandi", city="Bari")
    # A change of stage or score says nothing new about who this is.
    profiles.update_profile(other.id, {"score": 10}, expected_version=None, actor="test")
    assert duplicates.open_candidates()[0] == []
    # Her details typed into the wrong profile: now the two look like one person.
    profiles.update_profile(
        other.id,
        {"first_name": "Giulia", "last_name": "Ferraresi", "company": "ACME", "city": "Milano"},
        expected_version=None,
        actor="test",
    )
    rows, _cursor = duplicates.open_candidates()
    assert [(c.profile_a_id, c.profile_b_id) for c in rows] == [(office.id, other.id)]
    assert rows[0].reasons[0] == duplicates.AFTER_EDIT


# --- a profile created by hand, weighed against the people already here -----------------------


# What a refused creation must leave as it found it.
_KEPT = (Profile, SourceRecord, MatchKey, DuplicateCandidate, AuditLog)


def _giulia(**extra):
    """Giulia Ferraresi of Acme in Milano, born 1985-03-14, already in the CRM."""
    return factories.make_profile(
        first_name="Giulia",
        last_name="Ferraresi",
        company="Acme Srl",
        city="Milano",
        birth_date="1985-03-14",
        **extra,
    )


def test_a_profile_created_by_hand_meets_its_likely_duplicates_in_the_review_queue(app):
    known = _giulia()
    typed = profiles.create_profile(
        {"first_name": "Giulia", "last_name": "Ferraresi", "company": "ACME", "city": "Milano"},
        actor="test",
    )
    rows, _cursor = duplicates.open_candidates()
    assert [(c.profile_a_id, c.profile_b_id) for c in rows] == [(known.id, typed.id)]
    assert rows[0].reasons[0] == suspects.AT_CREATION
    assert {"first name: exact", "company: same"} <= set(rows[0].reasons)
    # Never merged behind the person's back, however alike.
    assert db.session.scalar(select(func.count()).select_from(Merge)) == 0


def test_refusing_a_likely_duplicate_saves_nothing_and_names_who_it_looks_like(app):
    known = _giulia()
    before = {m: db.session.scalar(select(func.count()).select_from(m)) for m in _KEPT}
    with pytest.raises(LikelyDuplicateError) as refused:
        profiles.create_profile(
            {"first_name": "Giulia", "last_name": "Ferraresi", "birth_date": "14/03/1985"},
            actor="test",
            on_duplicate="refuse",
        )
    [(other, decision)] = refused.value.matches
    assert other.id == known.id and decision.outcome in ("merge", "review")
    assert refused.value.fields["duplicates"][0].startswith(f"profile {known.id} (")
    after = {m: db.session.scalar(select(func.count()).select_from(m)) for m in _KEPT}
    assert after == before


def test_someone_new_is_created_at_once_even_when_duplicates_are_refused(app):
    _giulia()
    colleague = profiles.create_profile(
        {"first_name": "Marco", "last_name": "Bellandi", "company": "Acme Srl", "city": "Milano"},
        actor="test",
        on_duplicate="refuse",
    )
    assert colleague.id is not None
    assert duplicates.open_candidates()[0] == []


def test_an_unknown_duplicate_policy_is_a_validation_error(app):
    with pytest.raises(ValidationError) as refused:
        profiles.create_profile({"first_name": "Ada"}, actor="test", on_duplicate="merge")
    assert "on_duplicate" in refused.value.fields


def test_a_filtered_queue_pages_and_counts_only_what_passes(app):
    owner = factories.make_user("sales")
    kept = []
    for n in range(5):
        a = factories.make_profile(owner=owner.id if n % 2 == 0 else None)
        b = factories.make_profile()
        kept.append(duplicates.propose(a.id, b.id, 0.9 - n / 100, ["x"]))
    db.session.commit()
    only = duplicates.QueueFilter(owner_id=owner.id)
    first, cursor = duplicates.open_candidates(limit=2, only=only)
    rest, end = duplicates.open_candidates(after=cursor, limit=2, only=only)
    assert [c.id for c in first + rest] == [kept[0].id, kept[2].id, kept[4].id]
    assert end is None
    assert duplicates.count_open(only) == 3 and duplicates.count_open() == 5
    assert duplicates.next_open_candidate(duplicates.QueueFilter(min_score=0.95)) is None
    assert not duplicates.QueueFilter() and only


def test_a_third_copy_typed_in_by_hand_is_still_caught(app):
    person = {"first_name": "Caterina", "last_name": "Giuliani", "city": "Napoli"}
    first = profiles.create_profile(dict(person), actor="test")
    second = profiles.create_profile(dict(person), actor="test")  # queued with the first
    assert duplicates.count_open() == 1
    with pytest.raises(LikelyDuplicateError) as refused:
        profiles.create_profile(dict(person), actor="test", on_duplicate="refuse")
    assert {other.id for other, _ in refused.value.matches} == {first.id, second.id}


def test_a_waiting_pair_is_weighed_again_as_its_profiles_are_now(app):
    a = factories.make_profile(first_name="Giulia", last_name="Gallo", city="Catania",
                               company="Ferramenta Gallo", emails=["g1@example.it"])  # fmt: skip
    b = factories.make_profile(first_name="Giulia", last_name="Gallo", city="Catania",
                               company="Ferramenta Gallo", emails=["g2@example.it"])  # fmt: skip
    first = duplicates.current_verdict(duplicates.propose(a.id, b.id, 0.0, ["test"]))
    candidate = duplicates.propose(a.id, b.id, first.score, ["city: same"])
    assert duplicates.current_verdict(candidate).moved is False
    # A recompute, an edit or a merge changes one of them while the pair waits.
    profiles.update_profile(a.id, {"city": "Milano"}, expected_version=None, actor="test")
    now = duplicates.current_verdict(candidate)
    assert now.moved and now.score < first.score
    assert "city: same" not in now.reasons


def test_compare_fields_shows_a_phone_the_records_state_though_another_profile_holds_it(app):
    header = "id,first_name,last_name,birth_date,city,phone\n"
    for row, source in (
        ("1,Laura,Bianchi,1985-03-12,Milano,02 1234567\n", "crm"),
        ("2,Laura,Colombo,1985-03-12,Milano,02 1234567\n", "shop"),
    ):
        ingest.import_stream(
            io.BytesIO((header + row).encode()), filename="p.csv", source_name=source
        )
    candidate = db.session.scalar(select(DuplicateCandidate))
    assert candidate is not None and "phone: same" in candidate.reasons
    rows = {row["field"]: row for row in duplicates.compare_fields(candidate)}
    assert rows["phones"]["status"] == "same"
    assert rows["phones"]["a"] == rows["phones"]["b"] == ["+39021234567"]
