"""Suspected duplicates of one profile: weigh it against its blocks, queue the pairs.

Below merging and profiles in the import order (it needs only the scorer, the match keys
and the models), so that a person's edit, creation or merge can weigh the profile again
without an import cycle. The review queue itself (listing, deciding, exporting) is in
duplicates.
"""

from flask import current_app
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile
from crm.services import match_keys, matching, sqlin

# The first reason of a pair found after a person's merge or edit (see weigh_again), or
# when a person creates a profile (profiles.create_profile).
AFTER_MERGE = "found after a merge"
AFTER_EDIT = "found after an edit by hand"
AT_CREATION = "found when created by hand"
# The first reason of a pair an import tied: one record holds identifiers of both (its
# email is one profile's, its phone the other's), evidence no weighing of the two sees.
TIED = "one record holds identifiers of both"
# Profiles of a profile's blocks weighed against it at most (those sharing most keys).
WEIGH_AGAIN_CANDIDATES = 50
# The first words of a veto reason of matching.compare ("veto: different birth dates"):
# evidence that the two are different people, which kept the pair from an automatic merge.
# A vetoed pair reaches the queue only on what the two share (an email, a phone, a tax id),
# and scores high for it: it is listed after every pair without a veto (duplicates.
# open_candidates, profiles.review_pairs).
VETO = "veto: "


def vetoed():
    """SQL: whether a pair's reasons hold a veto (a stored list item starting with it)."""
    stored = func.coalesce(cast(DuplicateCandidate.reasons, Text), "")
    return stored.like(f'%"{VETO}%')


def ordered(a_id: int, b_id: int) -> tuple[int, int]:
    """The pair in the stored order (smaller id first)."""
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def find_pair(a_id: int, b_id: int) -> DuplicateCandidate | None:
    """The stored candidate for a pair, in whatever status."""
    low, high = ordered(a_id, b_id)
    return db.session.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.profile_a_id == low, DuplicateCandidate.profile_b_id == high
        )
    )


def families(ids: set[int] | list[int]) -> dict[int, set[int]]:
    """{id: the profile and every profile merged into it, transitively} for each id.

    One query per level of merges (a merge of a merge is one level more), each in slices.
    """
    family = {pid: {pid} for pid in ids}
    owners: dict[int, set[int]] = {pid: {pid} for pid in ids}  # member -> whose family
    frontier = set(ids)
    while frontier:
        found: list[tuple[int, int]] = []
        for chunk in sqlin.slices(sorted(frontier)):
            found += db.session.execute(
                select(Profile.id, Profile.merged_into_id).where(Profile.merged_into_id.in_(chunk))
            ).all()
        frontier = set()
        for member, into in found:
            for root in owners[into]:
                if member not in family[root]:
                    family[root].add(member)
                    owners.setdefault(member, set()).add(root)
                    frontier.add(member)
    return family


def _apart(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], DuplicateCandidate]:
    """{pair: a 'distinct' decision between the two sides' families} for pairs kept apart."""
    wanted = {(a, b) for a, b in pairs if a != b}
    if not wanted:
        return {}
    family = families({pid for pair in wanted for pid in pair})
    roots: dict[int, set[int]] = {}
    for root, members in family.items():
        for member in members:
            roots.setdefault(member, set()).add(root)
    members = sorted(roots)
    found: dict[tuple[int, int], DuplicateCandidate] = {}
    for chunk in sqlin.slices(members):
        for decision in db.session.scalars(
            select(DuplicateCandidate)
            .where(
                DuplicateCandidate.status == "distinct",
                DuplicateCandidate.profile_a_id.in_(chunk),
            )
            .order_by(DuplicateCandidate.id)
        ):
            for x in roots[decision.profile_a_id]:
                for y in roots.get(decision.profile_b_id, ()):
                    for pair in ((x, y), (y, x)):
                        if pair in wanted:
                            found.setdefault(pair, decision)
    return found


def kept_apart(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pairs (as given) that a person's 'not the same person' decision keeps apart.

    A decision follows the profiles' merges: two profiles are kept apart when any profile
    of one's merge family (itself and every profile merged into it, transitively) was
    marked distinct from any profile of the other's. Such a pair is never proposed or
    merged automatically; a person may still merge it by hand. A few queries for all
    the pairs (one per level of merges, then one for the decisions), in slices.
    """
    return set(_apart(list(pairs)))


def keeping_apart(a_id: int, b_id: int) -> DuplicateCandidate | None:
    """The 'distinct' decision that keeps these two profiles apart (see kept_apart), if
    any: their own pair's, or one between profiles merged into them."""
    own = find_pair(a_id, b_id)
    if own is not None and own.status == "distinct":
        return own
    return _apart([(a_id, b_id)]).get((a_id, b_id))


def is_distinct(a_id: int, b_id: int) -> bool:
    """True when a person decided that these two profiles, or profiles merged into them,
    are different people (kept_apart)."""
    return bool(kept_apart([(a_id, b_id)]))


def propose(a_id: int, b_id: int, score: float, reasons: list[str]) -> DuplicateCandidate | None:
    """Put a suspected pair in the queue, or raise its score if it is already there.

    Returns None and changes nothing when the pair was already decided ('distinct' or
    'merged'), when a decision keeps the two apart (kept_apart: one side's merged profile
    was marked distinct from the other's), or when either profile is missing or merged
    into another. Does not commit: the caller (e.g. an import batch) owns the transaction.
    """
    if a_id == b_id:
        return None
    low, high = ordered(a_id, b_id)
    live = db.session.scalars(
        select(Profile.id).where(Profile.id.in_((low, high)), Profile.merged_into_id.is_(None))
    ).all()
    if len(live) != 2 or kept_apart([(low, high)]):
        return None
    candidate = find_pair(low, high)
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


def likely_duplicates(profile: Profile) -> list[tuple[Profile, matching.Decision]]:
    """The live profiles the scorer would merge with this one or send to review, with its
    verdict on each, best first.

    The profile (stored, or flushed in the caller's transaction) is weighed as an imported
    row is: against the profiles sharing its blocks (blocks of at most
    match_keys.BLOCK_CAP profiles), the WEIGH_AGAIN_CANDIDATES sharing most keys with it.
    """
    person = match_keys.person_of(profile)
    keys = match_keys.keys_of_person(person)
    sizes = match_keys.block_sizes(keys)
    readable = match_keys.readable_keys(keys, sizes, match_keys.BLOCK_CAP)
    owners = match_keys.candidates(readable)
    wanted = match_keys.most_shared(owners, readable, profile.id, WEIGH_AGAIN_CANDIDATES)
    if not wanted:
        return []
    others = db.session.scalars(
        select(Profile)
        .where(Profile.id.in_(wanted), Profile.merged_into_id.is_(None))
        .options(selectinload(Profile.emails), selectinload(Profile.phones))
    )
    alone = alone_in_city(person, sizes)
    cut = thresholds()
    found = []
    for other in others:
        decision = matching.weigh(person, match_keys.person_of(other), cut, alone_in_city=alone)
        if decision is not None:
            found.append((other, decision))
    found.sort(key=lambda pair: (-pair[1].score, pair[0].id))
    return found


def alone_in_city(person: matching.Person, sizes: dict[str, int]) -> bool:
    """match_keys.alone_in_city, counting the namesakes of the city that already wait in
    the review queue as one person: a third copy typed in by hand is no crowd."""
    if match_keys.alone_in_city(person, sizes):
        return True
    place = matching.place_key(person)
    if place is None or sizes.get(place, 0) > match_keys.BLOCK_CAP:
        return False
    ids = match_keys.candidates([place]).get(place, [])
    queued = db.session.scalar(
        select(func.count())
        .select_from(DuplicateCandidate)
        .where(
            DuplicateCandidate.status == "open",
            DuplicateCandidate.profile_a_id.in_(ids),
            DuplicateCandidate.profile_b_id.in_(ids),
        )
    )
    return len(ids) - queued <= 2


def weigh_again(profile_id: int, reason: str = AFTER_MERGE) -> int:
    """Propose for review the likely duplicates of a profile a person just merged or
    changed (a name, a birth date, a place, a company).

    Together, the two halves of a merge may match someone neither matched alone (one had
    the birth date, the other the company). What the scorer would merge or review becomes
    a review pair (likely_duplicates): a person's action sets off no automatic merge.
    Returns how many pairs were put in the queue or raised; commits.
    """
    profile = db.session.get(Profile, profile_id)
    if profile is None or profile.merged_into_id is not None:
        return 0
    proposed = 0
    for other, decision in likely_duplicates(profile):
        reasons = [reason, *decision.reasons]
        proposed += propose(profile_id, other.id, decision.score, reasons) is not None
    db.session.commit()
    return proposed
