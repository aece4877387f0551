"""The review queue's order (likely duplicates first, vetoed pairs last), the warnings of a
manual merge, and the undone merge that keeps a pair apart."""

from datetime import date

from crm.extensions import db
from crm.services import duplicates, merging, profiles
from tests import factories

VETOED = ["email: same", "first name: exact", "last name: exact", "veto: different birth dates"]


def _queued(score: float, reasons=("last name: exact",)):
    """A committed open pair of two new profiles."""
    a, b = factories.make_profile(), factories.make_profile()
    pair = duplicates.propose(a.id, b.id, score, list(reasons))
    db.session.commit()
    return pair


def _queue() -> tuple:
    """Two vetoed pairs scored above two likely duplicates."""
    vetoed_high = _queued(1.0, VETOED)
    likely_high = _queued(0.9)
    vetoed_low = _queued(0.95, ["found after a merge", "phone: same", "veto: different tax ids"])
    likely_low = _queued(0.8)
    return likely_high, likely_low, vetoed_high, vetoed_low


def test_vetoes_are_read_from_the_reasons():
    assert duplicates.vetoes(VETOED) == ["different birth dates"]
    assert duplicates.vetoes(["last name: exact"]) == []
    assert duplicates.vetoes(None) == []


def test_a_vetoed_pair_is_listed_after_every_pair_without_a_veto(app):
    expected = [pair.id for pair in _queue()]
    rows, cursor = duplicates.open_candidates()
    assert [row.id for row in rows] == expected
    assert cursor is None


def test_the_head_of_the_queue_is_a_likely_duplicate_not_a_vetoed_pair(app):
    likely_high, *_rest = _queue()
    assert duplicates.next_open_candidate().id == likely_high.id


def test_pages_cross_from_likely_to_vetoed_pairs_without_skipping_or_repeating(app):
    expected = [pair.id for pair in _queue()]
    for limit in (1, 2, 3):
        seen, after = [], None
        while True:
            rows, after = duplicates.open_candidates(after=after, limit=limit)
            seen += [row.id for row in rows]
            if after is None:
                break
        assert seen == expected, limit


def test_a_decision_taken_meanwhile_does_not_make_the_next_page_skip(app):
    likely_high, likely_low, vetoed_high, vetoed_low = _queue()
    first, after = duplicates.open_candidates(limit=2)
    assert [row.id for row in first] == [likely_high.id, likely_low.id]
    duplicates.decide(likely_low.id, "distinct", actor="test")  # the cursor's own pair
    rest, _after = duplicates.open_candidates(after=after, limit=2)
    assert [row.id for row in rest] == [vetoed_high.id, vetoed_low.id]


def test_the_filter_keeps_the_order(app):
    likely_high, _likely_low, vetoed_high, vetoed_low = _queue()
    rows, _cursor = duplicates.open_candidates(only=duplicates.QueueFilter(min_score=0.9))
    assert [row.id for row in rows] == [likely_high.id, vetoed_high.id, vetoed_low.id]


def test_the_export_and_a_profiles_own_pairs_list_vetoed_pairs_last(app):
    expected = [pair.id for pair in _queue()]
    exported = [(row["a"], row["b"]) for row in duplicates.export_queue(batch_size=1)]
    pairs = {pair.id: pair for pair in map(duplicates.get_candidate, expected)}
    assert exported == [(pairs[i].profile_a_id, pairs[i].profile_b_id) for i in expected]

    me = factories.make_profile()
    vetoed = duplicates.propose(me.id, factories.make_profile().id, 1.0, VETOED)
    likely = duplicates.propose(me.id, factories.make_profile().id, 0.8, ["last name: exact"])
    db.session.commit()
    assert [pair.id for pair, _other in duplicates.open_pairs_of(me.id)] == [likely.id, vetoed.id]
    # The pairs the API gives with a profile it created, in the same order.
    assert [pair["id"] for pair in profiles.review_pairs(me.id)] == [likely.id, vetoed.id]


# --- a manual merge's warnings -------------------------------------------------------------


def test_a_merge_of_two_people_born_on_other_days_with_other_tax_ids_is_warned_of(app):
    a = factories.make_profile(
        first_name="Mario", last_name="Bianchi", birth_date=date(1960, 3, 1), tax_id="AB12345"
    )
    b = factories.make_profile(
        first_name="Maria", last_name="Bianchi", birth_date=date(1991, 7, 9), tax_id="ZX98765"
    )
    warnings = duplicates.merge_warnings(a.id, b.id)
    assert "veto: different birth dates" in warnings
    assert any(w.startswith("first name: ") for w in warnings)


def test_a_merge_of_two_generations_is_warned_of(app):
    a = factories.make_profile(first_name="Carlo", last_name="Moretti Sr.")
    b = factories.make_profile(first_name="Carlo", last_name="Moretti Jr.")
    assert "last name: same, two generations (Jr. and Sr.)" in duplicates.merge_warnings(a.id, b.id)


def test_a_merge_of_one_person_written_twice_has_no_warning(app):
    a = factories.make_profile(first_name="Giulia", last_name="Verdi", birth_date=date(1980, 1, 2))
    b = factories.make_profile(first_name="Giulia", last_name="Verdi", birth_date=date(1980, 1, 2))
    assert duplicates.merge_warnings(a.id, b.id) == []
    assert duplicates.merge_warnings(a.id, a.id) == []


# --- the undone merge that keeps a pair apart ----------------------------------------------


def test_the_undone_merge_of_a_pair_names_who_merged_and_who_undid(app):
    merger, undoer = factories.make_user(role="sales"), factories.make_user(role="admin")
    a, b = factories.make_profile().id, factories.make_profile().id
    assert duplicates.undone_merge(a, b) is None
    merge = merging.merge_profiles(a, b, actor=merger)
    assert duplicates.undone_merge(a, b) is None  # the merge stands
    merging.undo_merge(merge.id, actor=undoer)
    found, made_by, undone_by = duplicates.undone_merge(b, a)
    assert (found.id, made_by.id, undone_by.id) == (merge.id, merger.id, undoer.id)
    assert found.undone_at is not None


def test_the_queue_walks_its_index_in_order_on_sqlite(app):
    """A page of the queue reads the pairs in the order of the (status, score) index and
    stops at the page's end; its count reads that index alone. Joined to the profiles
    table, SQLite started from every live profile and sorted all the pairs: ~300 ms a page
    at 65,000 pairs."""
    from sqlalchemy import func, insert, not_, select, text, update

    from crm.models import DuplicateCandidate, Profile

    if db.engine.dialect.name != "sqlite":
        return  # the plan asked about is SQLite's; PostgreSQL plans by its statistics
    blank = {"stage": "lead", "score": 0, "version": 1, "provenance": {}, "search_name": ""}
    blank |= {"search_last": "", "search_company": ""}
    db.session.execute(insert(Profile), [blank] * 4000)
    ids = db.session.scalars(select(Profile.id).order_by(Profile.id)).all()
    db.session.execute(
        insert(DuplicateCandidate),
        [
            {"profile_a_id": a, "profile_b_id": b, "score": 0.5 + (a % 40) / 100, "reasons": []}
            for a, b in zip(ids[:1500], ids[1500:3000], strict=True)
        ],
    )
    # Profiles merged into others, each into its own survivor, as after any import: SQLite
    # then reckons few profiles per merged_into_id value, the live ones (NULL) included.
    for pid in ids[3000::4]:
        db.session.execute(
            update(Profile.__table__).where(Profile.id == pid).values(merged_into_id=pid - 1)
        )
    db.session.commit()
    db.session.execute(text("ANALYZE"))

    def plan(statement) -> str:
        sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
        return " | ".join(r[3] for r in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))

    page = (
        duplicates._open_query()
        .where(not_(duplicates._vetoed()))
        .order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id.desc())
        .limit(51)
    )
    steps = plan(page)
    assert steps.startswith(
        "SEARCH duplicate_candidates USING INDEX ix_duplicate_candidates_status_score"
    )
    assert "FOR ORDER BY" not in steps.replace("RIGHT PART OF ORDER BY", "")
    counted = plan(select(func.count()).select_from(duplicates._open_query().subquery()))
    assert "COVERING INDEX ix_duplicate_candidates_status_score" in counted
    assert duplicates.count_open() == 1500
