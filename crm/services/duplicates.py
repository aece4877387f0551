"""The review queue of suspected duplicates: propose pairs, compare them, decide, export."""

from collections.abc import Iterator

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased, selectinload

from crm.extensions import db
from crm.models import DuplicateCandidate, Merge, Profile, SourceRecord, User
from crm.models.base import utcnow
from crm.services import audit, match_keys, matching, merging
from crm.services.errors import ConflictError, NotFoundError, ValidationError

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


def _ordered(a_id: int, b_id: int) -> tuple[int, int]:
    """The pair in the stored order (smaller id first)."""
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def _find(a_id: int, b_id: int) -> DuplicateCandidate | None:
    """The stored candidate for a pair, in whatever status."""
    low, high = _ordered(a_id, b_id)
    return db.session.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.profile_a_id == low, DuplicateCandidate.profile_b_id == high
        )
    )


def propose(a_id: int, b_id: int, score: float, reasons: list[str]) -> DuplicateCandidate | None:
    """Put a suspected pair in the queue, or raise its score if it is already there.

    Returns None and changes nothing when the pair was already decided ('distinct' or
    'merged'), or when either profile is missing or merged into another. Does not commit:
    the caller (e.g. an import batch) owns the transaction.
    """
    if a_id == b_id:
        return None
    low, high = _ordered(a_id, b_id)
    live = db.session.scalars(
        select(Profile.id).where(Profile.id.in_((low, high)), Profile.merged_into_id.is_(None))
    ).all()
    if len(live) != 2:
        return None
    candidate = _find(low, high)
    if candidate is None:
        candidate = DuplicateCandidate(
            profile_a_id=low, profile_b_id=high, score=score, reasons=list(reasons), status="open"
        )
        db.session.add(candidate)
        db.session.flush()
        return candidate
    if candidate.status != "open":
        return None
    if score > candidate.score:
        # The reasons go with the score they explain.
        candidate.score = score
        candidate.reasons = list(reasons)
    return candidate


def thresholds() -> matching.Thresholds:
    """The fuzzy-matching thresholds of the app (MATCH_AUTO_THRESHOLD, MATCH_REVIEW_THRESHOLD)."""
    default = matching.Thresholds()
    config = current_app.config
    return matching.Thresholds(
        auto=float(config.get("MATCH_AUTO_THRESHOLD", default.auto)),
        review=float(config.get("MATCH_REVIEW_THRESHOLD", default.review)),
    )


# The first reason of a pair found after a person's merge or edit (see weigh_again).
AFTER_MERGE = "found after a merge"
AFTER_EDIT = "found after an edit by hand"
# Profiles of the survivor's blocks weighed against it at most (those sharing most keys).
WEIGH_AGAIN_CANDIDATES = 50


def weigh_again(profile_id: int, reason: str = AFTER_MERGE) -> int:
    """Propose for review the likely duplicates of a profile a person just merged or
    changed (a name, a birth date, a place, a company).

    Together, the two halves of a merge may match someone neither matched alone (one had
    the birth date, the other the company). The profile is weighed, as an imported row is,
    against the profiles sharing its blocks (blocks of at most match_keys.BLOCK_CAP
    profiles); what the scorer would merge or review becomes a review pair: a person's
    action sets off no automatic merge. Returns how many pairs were put in the queue or
    raised; commits.
    """
    profile = db.session.get(Profile, profile_id)
    if profile is None or profile.merged_into_id is not None:
        return 0
    person = match_keys.person_of(profile)
    keys = match_keys.keys_of_person(person)
    sizes = match_keys.block_sizes(keys)
    readable = match_keys.readable_keys(keys, sizes, match_keys.BLOCK_CAP)
    owners = match_keys.candidates(readable)
    wanted = match_keys.most_shared(owners, readable, profile_id, WEIGH_AGAIN_CANDIDATES)
    if not wanted:
        return 0
    others = db.session.scalars(
        select(Profile)
        .where(Profile.id.in_(wanted), Profile.merged_into_id.is_(None))
        .options(selectinload(Profile.emails), selectinload(Profile.phones))
    )
    alone = match_keys.alone_in_city(person, sizes)
    cut = thresholds()
    proposed = 0
    for other in others:
        decision = matching.weigh(person, match_keys.person_of(other), cut, alone_in_city=alone)
        if decision is not None:
            reasons = [reason, *decision.reasons]
            proposed += propose(profile_id, other.id, decision.score, reasons) is not None
    db.session.commit()
    return proposed


def merge_and_weigh_again(
    survivor_id: int,
    other_id: int,
    *,
    actor,
    rule: str = "manual",
    score: float | None = None,
    reasons: list[str] | None = None,
) -> Merge:
    """A person's merge (merging.merge_profiles), then the survivor weighed again against
    its blocks (weigh_again). Raises what merge_profiles raises."""
    merge = merging.merge_profiles(
        survivor_id, other_id, actor=actor, rule=rule, score=score, reasons=reasons
    )
    weigh_again(survivor_id)
    return merge


def is_distinct(a_id: int, b_id: int) -> bool:
    """True when a person decided that these two profiles are different people."""
    candidate = _find(a_id, b_id)
    return candidate is not None and candidate.status == "distinct"


def _open_query():
    """A select() of open candidates whose two profiles are both still live."""
    pa, pb = aliased(Profile), aliased(Profile)
    return (
        select(DuplicateCandidate)
        .join(pa, pa.id == DuplicateCandidate.profile_a_id)
        .join(pb, pb.id == DuplicateCandidate.profile_b_id)
        .where(
            DuplicateCandidate.status == "open",
            pa.merged_into_id.is_(None),
            pb.merged_into_id.is_(None),
        )
    )


def open_candidates(
    *, after: int | None = None, limit: int = 50
) -> tuple[list[DuplicateCandidate], int | None]:
    """One page of open pairs, highest score first, and the cursor of the next page.

    The cursor is the id of the last pair shown; pages are keyed on (score, id) so a
    decision taken meanwhile never makes a pair skip or repeat.
    """
    query = _open_query()
    if after is not None:
        last = db.session.get(DuplicateCandidate, after)
        if last is None:
            return [], None
        query = query.where(
            or_(
                DuplicateCandidate.score < last.score,
                and_(DuplicateCandidate.score == last.score, DuplicateCandidate.id < last.id),
            )
        )
    query = query.order_by(DuplicateCandidate.score.desc(), DuplicateCandidate.id.desc())
    rows = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


def next_open_candidate() -> DuplicateCandidate | None:
    """The open pair at the head of the queue, if any."""
    rows, _cursor = open_candidates(limit=1)
    return rows[0] if rows else None


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
    values["emails"] = [e.email for e in profile.emails]
    values["phones"] = [p.phone for p in profile.phones]
    values["tags"] = [t.name for t in profile.tags]
    values["sources"] = sorted({r.source.name for r in profile.source_records})
    return values


def _status(a, b) -> str:
    """'same', 'different', 'only_a' or 'only_b' for two values (lists compare as sets)."""
    if not a and not b:
        return "same"
    if not b:
        return "only_a"
    if not a:
        return "only_b"
    if isinstance(a, list):
        return "same" if set(a) == set(b) else "different"
    return "same" if a == b else "different"


def compare_fields(candidate: DuplicateCandidate) -> list[dict]:
    """Rows for the side-by-side view: {"field", "a", "b", "status"}, in display order.

    Both sides empty counts as 'same'. Raises NotFoundError if a profile is gone.
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
        {"field": name, "a": a[name], "b": b[name], "status": _status(a[name], b[name])}
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
    candidate_id: int, decision: str, *, actor: User | str | None, survivor: str = "a"
) -> DuplicateCandidate:
    """Record a reviewer's decision: merge the pair (keeping survivor 'a' or 'b') or mark
    it distinct, which is remembered and never proposed again.

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
        )
    except Exception:
        db.session.rollback()  # the pair stays open, undecided
        raise
    weigh_again(kept)
    return get_candidate(candidate_id)


def export_queue(batch_size: int = 500) -> Iterator[dict]:
    """Every open pair as {"a", "b", "score", "reasons"}, highest score first, streamed."""
    after = None
    while True:
        rows, after = open_candidates(after=after, limit=batch_size)
        for c in rows:
            yield {
                "a": c.profile_a_id,
                "b": c.profile_b_id,
                "score": c.score,
                "reasons": list(c.reasons or []),
            }
        if after is None:
            return
