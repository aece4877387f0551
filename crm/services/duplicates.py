"""The review queue of suspected duplicates: list and compare pairs, decide, export (pairs
are found and proposed by suspects, re-exported here)."""

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import aliased, selectinload

from crm.extensions import db
from crm.models import DuplicateCandidate, Merge, Profile, Source, SourceRecord, User
from crm.models.base import utcnow
from crm.services import audit, match_keys, matching, merging, survivorship, suspects
from crm.services.errors import ConflictError, NotFoundError, ValidationError
from crm.services.suspects import AFTER_EDIT as AFTER_EDIT
from crm.services.suspects import AFTER_MERGE as AFTER_MERGE
from crm.services.suspects import VETO as VETO
from crm.services.suspects import is_distinct as is_distinct
from crm.services.suspects import propose as propose
from crm.services.suspects import thresholds as thresholds
from crm.services.suspects import vetoed as _vetoed
from crm.services.suspects import weigh_again

DECISIONS = ("merge", "distinct")
SURVIVORS = ("a", "b")
# The fields of the side-by-side view, in display order (plain fields, then lists).
COMPARED_FIELDS = (
    "first_name",
    "last_name",
    "emails",
    "phones",
    "company",
    "job_title",
    "address",
    "address_line_2",
    "postcode",
    "city",
    "state",
    "country",
    "birth_date",
    "tax_id",
    "stage",
    "tags",
    "sources",
)
_LIST_FIELDS = frozenset({"emails", "phones", "tags", "sources"})


def vetoes(reasons) -> list[str]:
    """The vetoes among a pair's reasons, without their first words ("different birth
    dates")."""
    return [r.removeprefix(VETO) for r in reasons or [] if r.startswith(VETO)]


def merge_and_weigh_again(
    survivor_id: int,
    other_id: int,
    *,
    actor,
    rule: str = "manual",
    score: float | None = None,
    reasons: list[str] | None = None,
    overrule_distinct: bool = False,
    versions: dict[int, int] | None = None,
) -> Merge:
    """A person's merge (merging.merge_profiles), then the survivor weighed again against
    its blocks (weigh_again). Raises what merge_profiles raises."""
    merge = merging.merge_profiles(
        survivor_id,
        other_id,
        actor=actor,
        rule=rule,
        score=score,
        reasons=reasons,
        overrule_distinct=overrule_distinct,
        versions=versions,
    )
    weigh_again(survivor_id)
    return merge


@dataclass(frozen=True)
class QueueFilter:
    """Which open pairs a reviewer looks at (every field None: all of them)."""

    owner_id: int | None = None  # pairs with a profile owned by this user (a rep's leads)
    source: str | None = None  # pairs with a profile holding a record of this source
    min_score: float | None = None  # pairs scored at least this

    def __bool__(self) -> bool:
        return any(v is not None for v in (self.owner_id, self.source, self.min_score))


def _open_query(only: QueueFilter = QueueFilter()):
    """A select() of open candidates whose two profiles are both still live (and that
    pass the filter only).

    Written so that the database walks the (status, score, pair) index in the queue's
    order and checks each pair against the few merged profiles: joined to the profiles
    table instead, SQLite started from the live profiles and sorted every pair, ~300 ms a
    page at 65,000 open pairs (a million records) where this takes ~2 ms.
    """
    pair = DuplicateCandidate
    merged = select(Profile.id).where(Profile.merged_into_id.is_not(None))
    query = select(pair).where(
        pair.status == "open", pair.profile_a_id.not_in(merged), pair.profile_b_id.not_in(merged)
    )
    if only.owner_id is not None:
        owned = select(Profile.id).where(Profile.owner_id == only.owner_id)
        query = query.where(or_(pair.profile_a_id.in_(owned), pair.profile_b_id.in_(owned)))
    if only.source is not None:

        def holds(side):
            return (
                select(SourceRecord.id)
                .join(Source, Source.id == SourceRecord.source_id)
                .where(SourceRecord.profile_id == side, Source.name == only.source)
                .exists()
            )

        query = query.where(or_(holds(pair.profile_a_id), holds(pair.profile_b_id)))
    if only.min_score is not None:
        query = query.where(pair.score >= only.min_score)
    return query


GONE_CURSOR = "The pair this page followed is gone; start again from the first page."


def open_candidates(
    *, after: int | None = None, limit: int = 50, only: QueueFilter = QueueFilter()
) -> tuple[list[DuplicateCandidate], int | None]:
    """One page of open pairs (those passing only), likely duplicates first, and the cursor
    of the next page.

    Pairs without a veto come first, highest score first; then the vetoed ones (vetoes),
    highest score first: a shared email scores a pair born on other days 1.00, and a
    reviewer must not take it for the likeliest duplicate. The cursor is the id of the last
    pair shown; pages are keyed on (veto, score, id) so a decision taken meanwhile never
    makes a pair skip or repeat. A cursor naming a pair that is gone (an undo drops the
    pairs its merge carried over) raises ValidationError: the page after it is unknown,
    and an empty page would say the queue had ended.
    """
    vetoed = _vetoed()
    last = None
    if after is not None:
        last = db.session.execute(
            select(DuplicateCandidate.score, DuplicateCandidate.id, vetoed).where(
                DuplicateCandidate.id == after
            )
        ).first()
        if last is None:
            raise ValidationError(GONE_CURSOR, fields={"cursor": [GONE_CURSOR]})
    rows: list[DuplicateCandidate] = []
    # One query per tier, each in the order of the (status, score) index.
    for tier in (False, True):
        if last is not None and bool(last[2]) and not tier:
            continue
        query = _open_query(only).where(vetoed if tier else not_(vetoed))
        if last is not None and bool(last[2]) == tier:
            query = query.where(
                or_(
                    DuplicateCandidate.score < last.score,
                    and_(DuplicateCandidate.score == last.score, DuplicateCandidate.id < last.id),
                )
            )
        query = query.order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id.desc())
        rows += db.session.scalars(query.limit(limit + 1 - len(rows)))
        if len(rows) > limit:
            break
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


def count_open(only: QueueFilter = QueueFilter()) -> int:
    """How many open pairs pass the filter."""
    return db.session.scalar(select(func.count()).select_from(_open_query(only).subquery()))


def next_open_candidate(only: QueueFilter = QueueFilter()) -> DuplicateCandidate | None:
    """The open pair at the head of the queue (of those passing only), if any."""
    rows, _cursor = open_candidates(limit=1, only=only)
    return rows[0] if rows else None


def open_pairs_of(profile_id: int, limit: int = 10) -> list[tuple[DuplicateCandidate, Profile]]:
    """The open pairs a live profile is in, likely duplicates first (as open_candidates:
    vetoed pairs last), each with the profile on the other side (at most limit)."""
    query = (
        _open_query()
        .where(
            or_(
                DuplicateCandidate.profile_a_id == profile_id,
                DuplicateCandidate.profile_b_id == profile_id,
            )
        )
        .order_by(_vetoed(), DuplicateCandidate.score.desc(), DuplicateCandidate.id.desc())
        .limit(limit)
    )
    pairs = list(db.session.scalars(query))
    others = profiles_of(pairs)
    return [
        (c, others[c.profile_b_id if c.profile_a_id == profile_id else c.profile_a_id])
        for c in pairs
    ]


def profiles_of(candidates: list[DuplicateCandidate]) -> dict[int, Profile]:
    """{profile id: profile} for both sides of every candidate, loaded in one query."""
    ids = {c.profile_a_id for c in candidates} | {c.profile_b_id for c in candidates}
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Profile)
        .where(Profile.id.in_(ids))
        .options(selectinload(Profile.emails), selectinload(Profile.phones))
    )
    return {p.id: p for p in rows}


def merge_of(candidate: DuplicateCandidate) -> Merge | None:
    """The merge (not undone) that a 'merged' pair was decided with; None for another."""
    if candidate.status != "merged":
        return None
    a, b = candidate.profile_a_id, candidate.profile_b_id
    return db.session.scalar(
        select(Merge)
        .where(
            or_(
                and_(Merge.survivor_id == a, Merge.merged_id == b),
                and_(Merge.survivor_id == b, Merge.merged_id == a),
            ),
            Merge.undone_at.is_(None),
        )
        .order_by(Merge.id.desc())
        .limit(1)
    )


@dataclass
class Verdict:
    """The scorer's verdict on a pair as its two profiles are now: score, outcome
    ("merge", "review" or "separate") and reasons, and whether the score moved since the
    pair was proposed (records, edits and merges change profiles while a pair waits). A
    tied pair (suspects.TIED: one record holds identifiers of both) was proposed on
    evidence the profiles' values do not show, so its score now is no sign of change."""

    score: float
    outcome: str
    reasons: list[str]
    moved: bool
    tied: bool = False


def current_verdict(candidate: DuplicateCandidate) -> Verdict:
    """Weigh the pair's two profiles again, as they are now, the way the importer weighs
    a row (with its namesakes-in-the-city check). Raises NotFoundError if one is gone."""
    decision = _weigh_now(candidate.profile_a_id, candidate.profile_b_id)
    tied = (candidate.reasons or [None])[0] == suspects.TIED
    moved = not tied and round(decision.score, 2) != round(candidate.score, 2)
    return Verdict(decision.score, decision.outcome, list(decision.reasons), moved, tied)


def _weigh_now(a_id: int, b_id: int) -> matching.Decision:
    """The scorer's decision on two profiles as they are now, with the identifiers their
    records stated. Raises NotFoundError if one is gone."""
    pair = {
        p.id: p
        for p in db.session.scalars(
            select(Profile)
            .where(Profile.id.in_((a_id, b_id)))
            .options(selectinload(Profile.emails), selectinload(Profile.phones))
        )
    }
    if len(pair) != 2:
        raise NotFoundError("A profile of this pair no longer exists.")
    # With what their records stated: a pair proposed on a family's shared mailbox (which
    # one of them holds), weighed without it, would seem changed.
    stated = _stated_identifiers(list(pair))
    a, b = (
        matching.with_identifiers(
            match_keys.person_of(pair[pid]), *(sorted(v) for v in stated.get(pid, ((), ())))
        )
        for pid in (a_id, b_id)
    )
    sizes = match_keys.block_sizes(match_keys.keys_of_person(a))
    alone = suspects.alone_in_city(a, sizes)
    return matching.compare(a, b, thresholds(), alone_in_city=alone)


# The reasons of compare() beyond vetoes that say two people: first names that clash, and
# one surname across two generations (a father and his son named after him).
_TWO_PEOPLE = (
    "first name: different",
    matching.MAN_AND_WOMAN,
    matching.LAST_GENERATIONS,
    matching.LAST_ONE_GENERATION,
)


def merge_warnings(a_id: int, b_id: int) -> list[str]:
    """What says that two profiles a person is about to merge by hand are different
    people, in compare()'s words: its vetoes (different birth dates or tax ids...), first
    names that clash, two generations of one surname. Empty when nothing does, or when a
    profile is gone. A warning, not a refusal: the person may know better."""
    if a_id == b_id:
        return []
    try:
        reasons = _weigh_now(a_id, b_id).reasons
    except NotFoundError:
        return []
    return [r for r in reasons if r.startswith(VETO) or r in _TWO_PEOPLE]


def undone_merge(a_id: int, b_id: int) -> tuple[Merge, User | None, User | None] | None:
    """The latest undone merge of these two profiles (either way round), with the user who
    made it and the user who undid it (None where a rule or an import did, or the user is
    gone); None if they were never merged, or the merge stands."""
    merger, undoer = aliased(User), aliased(User)
    row = db.session.execute(
        select(Merge, merger, undoer)
        .outerjoin(merger, merger.id == Merge.actor_user_id)
        .outerjoin(undoer, undoer.id == Merge.undone_by_id)
        .where(
            or_(
                and_(Merge.survivor_id == a_id, Merge.merged_id == b_id),
                and_(Merge.survivor_id == b_id, Merge.merged_id == a_id),
            ),
            Merge.undone_at.is_not(None),
        )
        .order_by(Merge.id.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def _stated_identifiers(profile_ids: list[int]) -> dict[int, tuple[set[str], set[str]]]:
    """{profile id: (emails, phones)} that the profiles' source records stated."""
    found: dict[int, tuple[set[str], set[str]]] = {}
    rows = db.session.execute(
        select(SourceRecord.profile_id, SourceRecord.email, SourceRecord.phone).where(
            SourceRecord.profile_id.in_(profile_ids)
        )
    )
    for profile_id, email, phone in rows:
        emails, phones = found.setdefault(profile_id, (set(), set()))
        emails.update([email] if email else [])
        phones.update([phone] if phone else [])
    return found


def distinct_decision(a_id: int, b_id: int) -> tuple[DuplicateCandidate | None, User | None]:
    """The 'not the same person' decision that keeps the two apart, if one was made (the
    pair's own, or one about profiles merged into them: suspects.keeping_apart), and the
    user who made it (None when it was no user, or the user is gone)."""
    pair = suspects.keeping_apart(a_id, b_id)
    if pair is None:
        return None, None
    return pair, db.session.get(User, pair.decided_by_id) if pair.decided_by_id else None


def get_candidate(candidate_id: int) -> DuplicateCandidate:
    """Load one candidate. Raises NotFoundError."""
    candidate = db.session.get(DuplicateCandidate, candidate_id)
    if candidate is None:
        raise NotFoundError("No such suspected duplicate.")
    return candidate


def _values(profile: Profile) -> dict[str, object]:
    """The compared values of one profile: text (or None) for fields, sorted lists for sets."""
    values: dict[str, object] = {}
    for name in COMPARED_FIELDS:
        if name in _LIST_FIELDS:
            continue
        value = getattr(profile, name)
        if value is not None and not isinstance(value, str):
            value = value.isoformat()
        values[name] = (value or "").strip() or None
    # With those its records state that another profile holds (a shared landline): the
    # scorer weighed them, and "phone: same" must show on both sides.
    for kind, held, stated in (
        ("emails", [e.email for e in profile.emails], survivorship.record_emails),
        ("phones", [p.phone for p in profile.phones], survivorship.record_phones),
    ):
        carried = [v for r in profile.source_records for v in stated(r)]
        values[kind] = list(dict.fromkeys(held + carried))
    values["tags"] = [t.name for t in profile.tags]
    values["sources"] = sorted({r.source.name for r in profile.source_records})
    return values


def _status(name: str, a, b) -> str:
    """'same', 'different', 'only_a', 'only_b' or 'empty' (nothing on either side) for two
    values of a field; lists compare as sets, fields the scorer reads by its rules."""
    if not a and not b:
        return "empty"
    if not b:
        return "only_a"
    if not a:
        return "only_b"
    if isinstance(a, list):
        return "same" if set(a) == set(b) else "different"
    # The scorer's reasons on the same page ("address: same") must not be contradicted.
    same = matching.values_same(name, a, b)
    return "same" if (a == b if same is None else same) else "different"


def compare_fields(candidate: DuplicateCandidate) -> list[dict]:
    """Rows for the side-by-side view: {"field", "a", "b", "status"}, in display order.

    Values the scorer reads (names, address, city...) are "same" as it counts them; both
    sides empty are "empty". Raises NotFoundError if a profile is gone.
    """
    profiles = {
        p.id: p
        for p in db.session.scalars(
            select(Profile)
            .where(Profile.id.in_((candidate.profile_a_id, candidate.profile_b_id)))
            .options(
                selectinload(Profile.emails),
                selectinload(Profile.phones),
                selectinload(Profile.tags),
                selectinload(Profile.source_records).joinedload(SourceRecord.source),
            )
        )
    }
    if len(profiles) != 2:
        raise NotFoundError("A profile of this pair no longer exists.")
    a = _values(profiles[candidate.profile_a_id])
    b = _values(profiles[candidate.profile_b_id])
    return [
        {"field": name, "a": a[name], "b": b[name], "status": _status(name, a[name], b[name])}
        for name in COMPARED_FIELDS
    ]


def _lock(candidate_id: int) -> DuplicateCandidate:
    """The candidate, row-locked so two reviewers cannot decide it at once."""
    candidate = db.session.scalar(
        select(DuplicateCandidate)
        .where(DuplicateCandidate.id == candidate_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if candidate is None:
        raise NotFoundError("No such suspected duplicate.")
    return candidate


def decide(
    candidate_id: int,
    decision: str,
    *,
    actor: User | str | None,
    survivor: str = "a",
    versions: dict[int, int] | None = None,
) -> DuplicateCandidate:
    """Record a reviewer's decision: merge the pair (keeping survivor 'a' or 'b') or mark
    it distinct, which is remembered and never proposed again. versions: {profile id:
    the version the reviewer saw}; a merge refuses a profile changed since (ConflictError).

    Raises NotFoundError, ValidationError (unknown decision or survivor), ConflictError
    (already decided), and whatever merging.merge_profiles raises.
    """
    if decision not in DECISIONS:
        raise ValidationError("Unknown decision.", fields={"decision": [f"one of {DECISIONS}"]})
    if survivor not in SURVIVORS:
        raise ValidationError("Unknown survivor.", fields={"survivor": [f"one of {SURVIVORS}"]})
    candidate = _lock(candidate_id)
    if candidate.status != "open":
        db.session.rollback()
        raise ConflictError(f"This pair was already decided ({candidate.status}).")
    actor_id = actor.id if isinstance(actor, User) else None
    if decision == "distinct":
        candidate.status = "distinct"
        candidate.decided_at = utcnow()
        candidate.decided_by_id = actor_id
        audit.record(
            "duplicates.distinct",
            actor=actor,
            object_type="duplicate_candidate",
            object_id=candidate.id,
            details={"a": candidate.profile_a_id, "b": candidate.profile_b_id},
        )
        db.session.commit()
        return candidate
    kept, absorbed = candidate.profile_a_id, candidate.profile_b_id
    if survivor == "b":
        kept, absorbed = absorbed, kept
    try:
        # One transaction: the merge closes the pair as 'merged', stamped with the actor.
        merging.merge_profiles(
            kept,
            absorbed,
            actor=actor,
            rule="review",
            score=candidate.score,
            reasons=list(candidate.reasons or []),
            versions=versions,
        )
    except ConflictError as exc:
        db.session.rollback()  # the pair stays open, undecided
        # A profile changed since it was compared: named as the pair names it (a or b).
        side = {candidate.profile_a_id: "a_version", candidate.profile_b_id: "b_version"}
        named = {"version": side[kept], "other_version": side[absorbed]}
        raise ConflictError(
            exc.message, fields={named.get(k, k): v for k, v in exc.fields.items()}
        ) from None
    except Exception:
        db.session.rollback()  # the pair stays open, undecided
        raise
    weigh_again(kept)
    return get_candidate(candidate_id)


def export_queue(batch_size: int = 500) -> Iterator[dict]:
    """Every open pair as {"a", "b", "score", "reasons"}, in the queue's order (likely
    duplicates first, vetoed pairs last: open_candidates), streamed by one query (no
    cursor, so a pair an undo drops meanwhile cannot cut the export short)."""
    pair = DuplicateCandidate
    query = (
        _open_query()
        .order_by(_vetoed(), pair.score.desc(), pair.id.desc())
        .execution_options(yield_per=batch_size)
    )
    for c in db.session.scalars(query):
        yield {
            "a": c.profile_a_id,
            "b": c.profile_b_id,
            "score": c.score,
            "reasons": list(c.reasons or []),
        }
