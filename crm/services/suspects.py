"""Suspected duplicates of one profile: weigh it against its blocks, queue the pairs.

Below merging and profiles in the import order (it needs only the scorer, the match keys
and the models), so that a person's edit, creation or merge can weigh the profile again
without an import cycle. The review queue itself (listing, deciding, exporting) is in
duplicates.
"""

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile
from crm.services import match_keys, matching

# The first reason of a pair found after a person's merge or edit (see weigh_again), or
# when a person creates a profile (profiles.create_profile).
AFTER_MERGE = "found after a merge"
AFTER_EDIT = "found after an edit by hand"
AT_CREATION = "found when created by hand"
# Profiles of a profile's blocks weighed against it at most (those sharing most keys).
WEIGH_AGAIN_CANDIDATES = 50


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


def is_distinct(a_id: int, b_id: int) -> bool:
    """True when a person decided that these two profiles are different people."""
    candidate = find_pair(a_id, b_id)
    return candidate is not None and candidate.status == "distinct"


def propose(a_id: int, b_id: int, score: float, reasons: list[str]) -> DuplicateCandidate | None:
    """Put a suspected pair in the queue, or raise its score if it is already there.

    Returns None and changes nothing when the pair was already decided ('distinct' or
    'merged'), or when either profile is missing or merged into another. Does not commit:
    the caller (e.g. an import batch) owns the transaction.
    """
    if a_id == b_id:
        return None
    low, high = ordered(a_id, b_id)
    live = db.session.scalars(
        select(Profile.id).where(Profile.id.in_((low, high)), Profile.merged_into_id.is_(None))
    ).all()
    if len(live) != 2:
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
