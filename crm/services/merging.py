"""Merging two profiles into one, and undoing a merge exactly.

A merge moves every row of the absorbed profile (source records, emails, phones, consent
records, stage history, touchpoints, notes) to the survivor and records their ids in
Merge.moved, with the survivor's values before the merge in Merge.survivor_before; the
absorbed profile's row stays, pointing at the survivor. Undo moves the rows back by id and
restores the survivor, except for what staff edited by hand since the merge. What reached
the survivor after the merge through the absorbed person (a record of theirs updated, a
new record joining by their email or phone) goes back with them (_follow_restored), and
so do the tags it brought (_drop_tags_that_left), but for those a person added by hand.
An automatic merge (rule auto) is the importer's decision: it is recorded as the import's
(its source and batch), not as a decision of whoever ran the import (_who_merged).
merge_many makes many merges at once (the importer's automatic ones), each recorded
exactly as merge_profiles records it.
"""

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased, selectinload

from crm.extensions import MAX_ID, db
from crm.models import (
    MERGE_RULES,
    PROFILE_FIELDS,
    STAGES,
    TAG_MAX,
    ConsentRecord,
    DuplicateCandidate,
    ImportBatch,
    MatchKey,
    Merge,
    Note,
    Profile,
    ProfileEmail,
    ProfilePhone,
    SourceRecord,
    StageChange,
    Touchpoint,
    User,
)
from crm.models.base import utcnow
from crm.models.consent import RESTRICTIVE
from crm.services import audit, match_keys, sqlin, survivorship, suspects
from crm.services.errors import ConflictError, NotFoundError, ServiceError, ValidationError
from crm.services.normalise import clean_text
from crm.services.profiles import (
    added_tags,
    refresh_search_keys,
    removed_identifiers,
    search_profiles,
    typed_identifiers,
)

# Child tables whose rows follow their profile through a merge, by key in Merge.moved.
_CHILDREN = {
    "source_records": SourceRecord,
    "emails": ProfileEmail,
    "phones": ProfilePhone,
    "consent_records": ConsentRecord,
    "stage_changes": StageChange,
    "touchpoints": Touchpoint,
    "notes": Note,
}
# A refusal (asked, the person said no) restricts as much as a withdrawal.
_RESTRICTIVENESS = {"granted": 1, **dict.fromkeys(RESTRICTIVE, 2)}
CONSENT_RULE = "most restrictive of merged profiles"


def consent_state_after_merge(
    a_states: dict[str, str | None], b_states: dict[str, str | None]
) -> dict[str, str | None]:
    """Per purpose, the most restrictive state of the two profiles (withdrawn, refused >
    granted); of a withdrawal and a refusal, the first profile's (both mean no consent).

    A profile with no state for a purpose (missing, None or 'none') contributes nothing;
    a purpose neither profile has a state for maps to None.
    """
    result: dict[str, str | None] = {}
    for purpose in sorted(set(a_states) | set(b_states)):
        states = [
            s for s in (a_states.get(purpose), b_states.get(purpose)) if s in _RESTRICTIVENESS
        ]
        result[purpose] = max(states, key=_RESTRICTIVENESS.__getitem__) if states else None
    return result


class Stated(NamedTuple):
    """What a profile's latest consent record of a purpose says: plain values, which stay
    readable however the session expires the records they were read from."""

    status: str
    recorded_at: datetime
    legal_basis: str | None


def _same_weight(a: Stated, b: Stated) -> bool:
    """Whether two latest statements restrict alike (a withdrawal and a refusal do): the
    merged history's latest is then as restrictive as the merge would make it."""
    return _RESTRICTIVENESS.get(a.status) == _RESTRICTIVENESS.get(b.status)


def _jsonable(value):
    """A column value as JSON (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date | datetime) else value


def _actor_id(actor) -> int | None:
    """The user id of an actor, if it is a user."""
    return actor.id if isinstance(actor, User) else None


def _decider(actor, rule: str):
    """Who decided a merge, as what the merge writes names them (the review pair it closes,
    its stage move, its consent records): the actor of a person's merge (manual, review);
    nobody for an automatic one, which the importer's scorer decided, whoever ran it."""
    return None if rule == "auto" else actor


# The actor label of an automatic merge made outside a known import batch.
IMPORT_LABEL = "import"


def _import_label(source_name: str) -> str:
    """The actor label of an automatic merge made by an import from source_name."""
    return f"import:{source_name}"[:100]


def _who_merged(actor, rule: str, batch_id: str | None) -> dict:
    """The Merge columns that say who or what decided a merge (actor_user_id, actor_label,
    batch_id).

    A person's merge names them. An automatic merge is the importer's decision: it names
    the import ("import:<source>") and its batch (batch_id, which the importer gives),
    never the user who ran the import (the batch and the audit trail remember them).
    """
    if rule != "auto":
        return {**audit.actor_fields(actor), "batch_id": None}
    batch = db.session.get(ImportBatch, batch_id) if batch_id is not None else None
    if batch is None:
        label = audit.actor_fields(actor)["actor_label"]
        return {
            "actor_user_id": None,
            "actor_label": IMPORT_LABEL if isinstance(actor, User) else label,
            "batch_id": None,
        }
    return {
        "actor_user_id": None,
        "actor_label": _import_label(batch.source.name),
        "batch_id": batch.id,
    }


def _lock_pair(first_id: int, second_id: int) -> dict[int, Profile]:
    """Both profiles, row-locked in id order (no deadlock between opposite merges).

    Raises NotFoundError when either is missing.
    """
    rows = db.session.scalars(
        select(Profile)
        .where(Profile.id.in_([first_id, second_id]))
        .order_by(Profile.id)
        .with_for_update(of=Profile)
        .execution_options(populate_existing=True)
    ).all()
    found = {p.id: p for p in rows}
    if first_id not in found or second_id not in found:
        raise NotFoundError("No such profile.")
    return found


def _candidate(a_id: int, b_id: int) -> DuplicateCandidate | None:
    """The review-queue entry for the pair, if any (pairs are stored lower id first)."""
    low, high = sorted((a_id, b_id))
    return db.session.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.profile_a_id == low, DuplicateCandidate.profile_b_id == high
        )
    )


def _ids(model, profile_id: int) -> list[int]:
    """Ids of model's rows that belong to profile_id, in id order."""
    return list(
        db.session.scalars(
            select(model.id).where(model.profile_id == profile_id).order_by(model.id)
        )
    )


def _same_stamp(table) -> dict:
    """What keeps a moved row's updated_at as it was: a merge or an undo changes whose the
    row is, not the row, and a source record's updated_at is survivorship's 'most recent'
    (stamped anew, the absorbed profile's records would win every field)."""
    column = table.c.get("updated_at")
    return {"updated_at": column} if column is not None and column.onupdate is not None else {}


def move_rows(model, ids: list[int], profile_id: int, from_id: int | None = None) -> None:
    """Point the rows with ids (those from_id holds, when given) at profile_id (one UPDATE;
    the caller expires the session), their updated_at unchanged (see _same_stamp)."""
    if ids:
        held = () if from_id is None else (model.profile_id == from_id,)
        db.session.execute(
            update(model)
            .where(model.id.in_(ids), *held)
            .values(profile_id=profile_id, **_same_stamp(model.__table__)),
            execution_options={"synchronize_session": False},
        )


def _typed(profile: Profile) -> dict:
    """The emails and phones typed by hand on a profile about to be absorbed, as
    {"typed": {"emails": {row id: value}, "phones": ...}} for Merge.moved (or {} when none).

    No record states them, so a survivor's edit that removes one removes it for good; an
    undo gives it back to the restored person (_restore_typed): a wrong merge shows one
    person's values on another, which is when a rep removes them.
    """
    typed = {
        "emails": {str(e.id): e.email for e in profile.emails if e.source_record_id is None},
        "phones": {str(p.id): p.phone for p in profile.phones if p.source_record_id is None},
    }
    return {"typed": typed} if any(typed.values()) else {}


def _restore_typed(merge: Merge, restored: Profile) -> int:
    """Give the restored profile back the values typed on it that no profile holds now
    (the survivor's were removed while merged); returns how many."""
    back = 0
    for key, name in (("emails", "email"), ("phones", "phone")):
        model = _CHILDREN[key]
        column = getattr(model, name)
        typed = list((((merge.moved or {}).get("typed") or {}).get(key) or {}).values())
        if not typed:
            continue
        # Rows are looked for by value: a deleted row's id may be another's now (SQLite).
        held = set(db.session.scalars(select(column).where(column.in_(typed))))
        for value in typed:
            if value not in held:
                db.session.add(model(profile_id=restored.id, **{name: value}))
                back += 1
    return back


def _latest_consents_of(profile_ids: list[int]) -> dict[int, dict[str, Stated]]:
    """{profile id: {purpose: its latest statement}} (each profile's current state), read
    a chunk of profiles a query."""
    latest: dict[int, dict[str, Stated]] = {}
    record = ConsentRecord
    for chunk in sqlin.slices(profile_ids):
        rows = db.session.execute(
            select(
                record.profile_id,
                record.purpose,
                record.status,
                record.recorded_at,
                record.legal_basis,
            )
            .where(record.profile_id.in_(chunk))
            .order_by(record.recorded_at, record.id)
        )
        for profile_id, purpose, status, at, basis in rows:
            latest.setdefault(profile_id, {})[purpose] = Stated(status, at, basis)
    return latest


def _latest_consents(profile_id: int) -> dict[str, Stated]:
    """The latest consent statement of each purpose of a profile (its current state)."""
    return _latest_consents_of([profile_id]).get(profile_id, {})


def _snapshot(profile: Profile) -> dict:
    """The survivor's own values, as JSON, for an exact undo."""
    return {
        "fields": {name: _jsonable(getattr(profile, name)) for name in PROFILE_FIELDS},
        "provenance": dict(profile.provenance or {}),
        "stage": profile.stage,
        "score": profile.score,
        "owner_id": profile.owner_id,
        "version": profile.version,
        "tags": [t.name for t in profile.tags],
        "primary": {
            "emails": [e.id for e in profile.emails if e.is_primary],
            "phones": [p.id for p in profile.phones if p.is_primary],
        },
    }


def _merge_consents(merge: Merge, survivor_id: int, a: dict, b: dict, actor) -> list[str]:
    """Append the most restrictive state for each purpose the two profiles disagree on.

    The appended record is the profiles' latest statement: a profile's state is its latest
    record by time, and a side's grant may carry a time ahead of now (the importer takes
    up to CONSENT_CLOCK_SKEW), so it is stamped now or at the latest time either side
    stated for the purpose, whichever is later (and, with an equal time, sorts after by id).
    """
    target = consent_state_after_merge(
        {k: r.status for k, r in a.items()}, {k: r.status for k, r in b.items()}
    )
    changed = []
    for purpose, status in target.items():
        if purpose not in a or purpose not in b or _same_weight(a[purpose], b[purpose]):
            continue
        deciding = a[purpose] if a[purpose].status == status else b[purpose]
        now = utcnow()
        at = max(now, a[purpose].recorded_at, b[purpose].recorded_at)
        evidence = {"merge_id": merge.id, "rule": CONSENT_RULE}
        if at > now:  # its real time, as the ledger keeps a re-stamped statement's
            evidence["stated_at"] = now.isoformat()
        db.session.add(
            ConsentRecord(
                profile_id=survivor_id,
                purpose=purpose,
                status=status,
                legal_basis=deciding.legal_basis,
                recorded_at=at,
                evidence=evidence,
                merge_id=merge.id,
                actor_user_id=_actor_id(actor),
            )
        )
        changed.append(purpose)
    return changed


def _take_manual(survivor: Profile, other: Profile) -> None:
    """Give the survivor the values typed by hand on the absorbed profile, for each field
    the survivor has no value typed by hand for (manual edit > trust rank > most recent).

    A value a person cleared on the absorbed profile takes nothing away. The provenance
    keeps the edit's own time, before the merge: an undo gives the survivor its own
    values back (the absorbed profile's row was never changed, so it keeps them).
    """
    mine, theirs = dict(survivor.provenance or {}), other.provenance or {}
    for name in PROFILE_FIELDS:
        origin = theirs.get(name)
        if not isinstance(origin, dict) or "manual" not in origin:
            continue
        if "manual" in (mine.get(name) or {}) or getattr(other, name) in (None, ""):
            continue
        setattr(survivor, name, getattr(other, name))
        mine[name] = dict(origin)
    # Tags added by hand to the absorbed profile stay added by hand (the merge gives the
    # survivor its tags): the profile page and the API say who added them, and a later
    # re-weighing of the records does not take them away.
    theirs_added = added_tags(theirs)
    if theirs_added:
        tags = dict(mine.get("tags") or {})
        added = {**theirs_added, **added_tags(mine)}
        tags["added"] = dict(sorted(added.items()))
        if tags.get("removed"):  # removed here, added there by hand: the addition stands
            tags["removed"] = sorted(set(tags["removed"]) - set(theirs_added))
        mine["tags"] = tags
    # So do the absorbed profile's emails and phones typed by hand, and those a person
    # removed from it: its records do not bring them back on the survivor.
    for kind in ("emails", "phones"):
        their_typed, their_removed = (
            typed_identifiers(theirs, kind),
            removed_identifiers(theirs, kind),
        )
        if their_typed or their_removed:
            entry = dict(mine.get(kind) or {})
            typed = {**their_typed, **typed_identifiers(mine, kind)}
            removed = (removed_identifiers(mine, kind) | their_removed) - set(typed)
            entry.update(typed=dict(sorted(typed.items())), removed=sorted(removed))
            mine[kind] = entry
    if mine != (survivor.provenance or {}):
        survivor.provenance = mine
        refresh_search_keys(survivor)


def _take_owner_and_score(survivor: Profile, other: Profile, moved: dict) -> None:
    """Give the survivor the absorbed profile's owner and score where it has none (no
    owner, a score of 0), and note in `moved` what it was given so an undo takes back
    exactly that.

    Only a person sets an owner or a score, so they are values typed by hand on the
    profile merged away, which fill what the survivor lacks: without them the lead left
    its rep's "my leads" and lost its score.
    """
    filled = {}
    if survivor.owner_id is None and other.owner_id is not None:
        survivor.owner = other.owner
        filled["owner_id"] = other.owner_id
    if not survivor.score and other.score:
        survivor.score = other.score
        filled["score"] = other.score
    if filled:
        moved["filled"] = filled


def _plan_moves(moved: dict, survivor: Profile, other: Profile, candidate) -> list:
    """Add to `moved` what undo needs beyond row ids (primary flags, tags, the queue pair);
    return the survivor's tags after the merge."""
    moved["primary"] = {
        "emails": [e.id for e in other.emails if e.is_primary],
        "phones": [p.id for p in other.phones if p.is_primary],
    }
    own_tags = {t.id for t in survivor.tags}
    moved["tags"] = sorted({t.id for t in other.tags} - own_tags)
    if candidate is not None:
        moved["candidate"] = {
            "id": candidate.id,
            "status": candidate.status,
            "decided_at": _jsonable(candidate.decided_at),
            "decided_by_id": candidate.decided_by_id,
        }
    return list(survivor.tags) + [t for t in other.tags if t.id not in own_tags]


# The first reason of a review pair that a survivor took over from the profile merged into it.
CARRIED = "carried over from a merged profile"


def _carry_pairs(merged: list[tuple[int, int, dict]]) -> None:
    """Give each survivor the open review pairs of the profile merged into it.

    merged is [(survivor id, absorbed id, that merge's `moved`)]. A pair (absorbed, C) still
    says C may be the person the survivor now is; left alone it would leave the queue with
    the absorbed profile. The survivor gets its own pair with C, same score and reasons,
    unless it has one already (open or decided: a decision stands). The absorbed profile's
    pair stays as it was (back in the queue if the merge is undone), and undo deletes the
    pairs a merge added that nobody has decided since (`moved["carried"]`).
    """
    absorbed = {other: (survivor, moved) for survivor, other, moved in merged}
    ids = sorted(absorbed)
    found: list[DuplicateCandidate] = []
    for chunk in sqlin.slices(ids):
        found += db.session.scalars(
            select(DuplicateCandidate).where(
                DuplicateCandidate.status == "open",
                or_(
                    DuplicateCandidate.profile_a_id.in_(chunk),
                    DuplicateCandidate.profile_b_id.in_(chunk),
                ),
            )
        )
    wanted: dict[tuple[int, int], tuple[float, list[str], dict]] = {}
    for pair in found:
        for mine, theirs in (
            (pair.profile_a_id, pair.profile_b_id),
            (pair.profile_b_id, pair.profile_a_id),
        ):
            if mine not in absorbed:
                continue
            survivor, moved = absorbed[mine]
            theirs = absorbed[theirs][0] if theirs in absorbed else theirs
            if theirs == survivor:
                continue
            key = (min(survivor, theirs), max(survivor, theirs))
            if key not in wanted or pair.score > wanted[key][0]:
                reasons = [CARRIED, *(r for r in pair.reasons or [] if r != CARRIED)]
                wanted[key] = (pair.score, reasons, moved)
    if not wanted:
        return
    db.session.flush()
    for key in suspects.kept_apart(list(wanted)):  # a decision about a merged profile holds
        del wanted[key]
    others = sorted({pid for key in wanted for pid in key})
    live: set[int] = set()
    taken: set[tuple[int, int]] = set()
    for chunk in sqlin.slices(others):
        live.update(
            db.session.scalars(
                select(Profile.id).where(Profile.id.in_(chunk), Profile.merged_into_id.is_(None))
            )
        )
        taken.update(
            (low, high)
            for low, high in db.session.execute(
                select(DuplicateCandidate.profile_a_id, DuplicateCandidate.profile_b_id).where(
                    DuplicateCandidate.profile_a_id.in_(chunk)
                )
            )
        )
    added = []
    for (low, high), (score, reasons, moved) in sorted(wanted.items()):
        if (low, high) in taken or low not in live or high not in live:
            continue
        pair = DuplicateCandidate(
            profile_a_id=low, profile_b_id=high, score=score, reasons=reasons, status="open"
        )
        db.session.add(pair)
        added.append((pair, moved))
    db.session.flush()
    for pair, moved in added:
        moved.setdefault("carried", []).append(pair.id)


def _drop_carried(ids: list[int] | None, survivor_id: int) -> None:
    """Undo: delete the review pairs a merge gave its survivor, unless decided since (a
    pair of the survivor's: a pair deleted since may have left its id to another)."""
    if ids:
        pair = DuplicateCandidate
        db.session.execute(
            delete(pair).where(
                pair.id.in_(ids),
                pair.status == "open",
                or_(pair.profile_a_id == survivor_id, pair.profile_b_id == survivor_id),
            )
        )


class StagePlan(NamedTuple):
    """What a merge needs to know of the stages before rows change hands: the absorbed
    profile's stage if it may move the survivor on (else None), and the stages a person
    moved either profile back from (survivorship.held_back_from of its own history)."""

    offered: str | None
    holds: tuple[str, ...]


def moved_by_a_person(change: StageChange) -> bool:
    """Whether a person moved the stage (a merge's move is its rule's, even by a person)."""
    return change.actor_user_id is not None and not (change.actor_label or "").startswith("merge:")


def _when(change: StageChange) -> tuple:
    """A stage change's place in time, as survivorship.held_back_from orders them."""
    return (change.at or utcnow(), change.id or 2**62)


def _plan_stage(survivor: Profile, other: Profile) -> StagePlan:
    """The absorbed profile's stage counts only as records would (README: after a person
    moves a stage back, records move it on only past the stage it was moved back from).

    The absorbed profile's stage is what its records said, so it may move a survivor a
    person moved back only past that stage: a rep's "churned, back to lead" is not undone
    by a duplicate whose shop record still says customer. It counts all the same when a
    person set it, later than the survivor's move back: a newer judgement of where the
    person stands than the one it would overrule.
    """
    own = list(survivor.stage_changes)
    held = survivorship.held_back_from(own)
    theirs = survivorship.held_back_from(list(other.stage_changes))
    holds = tuple(h for h in (held, theirs) if h is not None)
    if held is None or STAGES.index(other.stage) > STAGES.index(held):
        return StagePlan(other.stage, holds)
    moved_back = max((_when(c) for c in own if moved_by_a_person(c)), default=None)
    last = max(other.stage_changes, key=_when, default=None)
    if (
        last is not None
        and moved_by_a_person(last)
        and last.to_stage == other.stage
        and moved_back is not None
        and _when(last) > moved_back
    ):
        return StagePlan(other.stage, holds)
    return StagePlan(None, holds)


def _take_stage(survivor: Profile, plan: StagePlan, merge: Merge, actor) -> None:
    """Move the survivor to the absorbed profile's stage when it counts (_plan_stage) and
    was further on."""
    offered = plan.offered
    if offered is not None and STAGES.index(offered) > STAGES.index(survivor.stage):
        _move_stage(survivor, offered, merge, actor, "most advanced stage of merged profiles")


def _recompute_merged(survivor: Profile, plan: StagePlan, *, refresh_keys: bool = True) -> None:
    """survivorship.recompute of a merged profile, keeping the stage the merge decided
    when the records would move it to a stage a person moved either profile back from.

    Each profile's stage already answers for its own records, and _take_stage weighed the
    absorbed one; survivorship reads the joined history as one, where the other profile's
    latest edit can hide a move back (held_back_from reads only the latest person's move),
    and the records a rep overruled would bring the churned customer back after all.
    """
    stage, known = survivor.stage, len(survivor.stage_changes)
    survivorship.recompute(survivor, refresh_keys=refresh_keys)
    if survivor.stage == stage:
        return
    if any(STAGES.index(survivor.stage) <= STAGES.index(held) for held in plan.holds):
        for change in survivor.stage_changes[known:]:
            survivor.stage_changes.remove(change)
        survivor.stage = stage


def _move_stage(survivor: Profile, target: str, merge: Merge, actor, reason: str) -> None:
    """Move the survivor to target, recorded in its history as the merge's doing."""
    survivor.stage_changes.append(
        StageChange(
            from_stage=survivor.stage,
            to_stage=target,
            actor_user_id=_actor_id(actor),
            actor_label=f"merge:{merge.id}",
            reason=reason,
        )
    )
    survivor.stage = target


def _audit_merge(merge: Merge, survivor_id: int, other_id: int, rule: str, score, actor) -> None:
    """The audit entry of a merge: ids, rule, score and the import batch only (its actor is
    who made or ran what merged: the person, or the one who ran the import)."""
    details = {
        "merge_id": merge.id,
        "survivor_id": survivor_id,
        "merged_id": other_id,
        "rule": rule,
        "score": score,
    }
    if merge.batch_id is not None:
        details["batch_id"] = merge.batch_id
    audit.record(
        "profile.merge", actor=actor, object_type="profile", object_id=survivor_id, details=details
    )


def _distinct_error() -> ValidationError:
    """The refusal of a rule's merge of two profiles a person kept apart (suspects.kept_apart:
    they, or profiles merged into them, were marked as different people)."""
    return ValidationError(
        "These profiles were marked as different people; only a person may merge them.",
        fields={"rule": ["Pair marked distinct."]},
    )


def _unconfirmed_distinct_error() -> ConflictError:
    """The refusal of a person's merge of two profiles a person kept apart, until the
    merge says it overrules that decision (a box ticked, `confirm_distinct` in the API)."""
    return ConflictError(
        "These profiles were marked as different people; confirm that they are one person "
        "to merge them.",
        fields={"confirm_distinct": ["Pair marked distinct: confirm to merge it anyway."]},
    )


def _self_merge_error() -> ValidationError:
    """The refusal of a merge of a profile with itself."""
    return ValidationError(
        "A profile cannot be merged with itself.", fields={"other_id": ["Same profile."]}
    )


def refuse_self_merge(survivor_id: int, other_id: int) -> None:
    """Raises ValidationError when both ids are one profile's (a merge page checks first)."""
    if survivor_id == other_id:
        raise _self_merge_error()


def merge_profiles(
    survivor_id: int,
    other_id: int,
    *,
    actor,
    rule: str = "manual",
    score: float | None = None,
    reasons: list[str] | None = None,
    overrule_distinct: bool = False,
    batch_id: str | None = None,
    versions: dict[int, int] | None = None,
) -> Merge:
    """Merge profile other_id into survivor_id; the absorbed row stays, pointing at it.

    versions: {profile id: the version the person merging saw}; a profile changed since
    is not merged (ConflictError on "version" for the survivor, "other_version" for the
    other): they decided on what they no longer see.

    A pair marked as different people (suspects.kept_apart) is merged only by a person
    who says they overrule that decision (manual rule, overrule_distinct). An automatic
    merge (rule auto) is recorded as the import's, batch_id's when given (_who_merged).

    Raises NotFoundError (either profile missing), ConflictError (a profile already
    merged; a pair marked distinct, manual rule, not overruled), ValidationError (same
    profile, an unknown rule, or a pair marked distinct for any other rule).
    """
    refuse_self_merge(survivor_id, other_id)
    if rule not in MERGE_RULES:
        raise ValidationError(
            "Unknown merge rule.", fields={"rule": [f"Must be one of: {', '.join(MERGE_RULES)}."]}
        )
    profiles = _lock_pair(survivor_id, other_id)
    survivor, other = profiles[survivor_id], profiles[other_id]
    for profile in (survivor, other):
        if profile.merged_into_id is not None:
            raise ConflictError(
                f"Profile #{profile.id} was already merged into #{profile.merged_into_id}.",
                fields={"other_id" if profile is other else "id": ["Already merged."]},
            )
    # After the check above: a merge changed the profile, and that is the news to give.
    for pid, seen in (versions or {}).items():
        if pid in profiles and profiles[pid].version != seen:
            raise ConflictError(
                f"Profile #{pid} changed since you read it; nothing was merged. Read it again.",
                fields={
                    "version" if pid == survivor_id else "other_version": [
                        f"Profile #{pid} is now at version {profiles[pid].version}."
                    ]
                },
            )
    candidate = _candidate(survivor_id, other_id)
    if not (rule == "manual" and overrule_distinct) and suspects.kept_apart(
        [(survivor_id, other_id)]
    ):
        raise _unconfirmed_distinct_error() if rule == "manual" else _distinct_error()

    now = utcnow()
    who = _who_merged(actor, rule, batch_id)
    decider = _decider(actor, rule)
    merge = Merge(
        survivor_id=survivor_id,
        merged_id=other_id,
        rule=rule,
        score=score,
        reasons=list(reasons or []),
        survivor_before=_snapshot(survivor),
        created_at=now,
        **who,
    )
    db.session.add(merge)
    db.session.flush()
    survivor_consents = _latest_consents(survivor_id)
    other_consents = _latest_consents(other_id)
    before = {key: _ids(model, survivor_id) for key, model in _CHILDREN.items()}
    moved = {key: _ids(model, other_id) for key, model in _CHILDREN.items()}
    moved.update(_typed(other))
    survivor_tags = _plan_moves(moved, survivor, other, candidate)
    stage_plan = _plan_stage(survivor, other)

    # Rows change hands in bulk; the session forgets what it held so it reloads them.
    db.session.flush()
    for key, model in _CHILDREN.items():
        move_rows(model, moved[key], survivor_id)
    db.session.execute(
        update(ProfileEmail)
        .where(ProfileEmail.id.in_(moved["primary"]["emails"]))
        .values(is_primary=False),
        execution_options={"synchronize_session": False},
    )
    db.session.execute(
        update(ProfilePhone)
        .where(ProfilePhone.id.in_(moved["primary"]["phones"]))
        .values(is_primary=False),
        execution_options={"synchronize_session": False},
    )
    # An absorbed profile has no blocking keys; the survivor's follow its new values.
    db.session.execute(delete(MatchKey).where(MatchKey.profile_id == other_id))
    db.session.expire_all()

    survivor.tags = sorted(survivor_tags, key=lambda t: t.name)
    other.merged_into_id = survivor_id
    _merge_consents(merge, survivor_id, survivor_consents, other_consents, decider)
    _take_stage(survivor, stage_plan, merge, decider)
    _take_manual(survivor, other)
    _take_owner_and_score(survivor, other, moved)
    _recompute_merged(survivor, stage_plan)
    survivor.updated_at = utcnow()
    if candidate is not None and candidate.status != "merged":
        candidate.status = "merged"
        candidate.decided_at = now
        candidate.decided_by_id = _actor_id(decider)
    db.session.flush()
    _carry_pairs([(survivor_id, other_id, moved)])

    # What the merge itself created on the survivor goes again on undo.
    for key in ("stage_changes", "emails", "phones"):
        current = _ids(_CHILDREN[key], survivor_id)
        taken = set(before[key]) | set(moved[key])
        moved[f"{key}_added"] = [i for i in current if i not in taken]
    merge.moved = moved
    _audit_merge(merge, survivor_id, other_id, rule, score, actor)
    db.session.commit()
    return merge


def _owned(model, profile_ids: list[int]) -> dict[int, list[int]]:
    """{profile id: ids of model's rows it owns, in id order} for several profiles."""
    found: dict[int, list[int]] = {}
    for chunk in sqlin.slices(profile_ids):
        rows = db.session.execute(
            select(model.id, model.profile_id).where(model.profile_id.in_(chunk)).order_by(model.id)
        )
        for row_id, profile_id in rows:
            found.setdefault(profile_id, []).append(row_id)
    return found


def merge_many(
    pairs: Sequence[tuple[int, int, float | None, list[str] | None]],
    *,
    actor,
    rule: str = "auto",
    gains: dict[int, set[str]] | None = None,
    batch_id: str | None = None,
) -> list[Merge | ServiceError | SQLAlchemyError]:
    """merge_profiles for many (survivor_id, other_id, score, reasons) pairs, one commit.

    Each pair ends exactly as merge_profiles would leave it (the same rows moved, the same
    Merge.moved and survivor_before, so undo_merge restores both profiles), but the work
    is done a few statements per batch instead of a dozen per pair. A pair that
    merge_profiles would refuse gets that error in its place in the result, instead of a
    Merge; the others are merged all the same. A profile named by more than one pair is
    merged by its first pair here and by the later ones through merge_profiles, in order
    (each committed on its own; one the database refuses gets the database's error).
    gains, when given, receives {survivor id: the blocking keys it gained} for the
    survivors of the batch that gained some (what it may now match; see ingest).
    batch_id is the import batch the merges are made for, when the caller knows it
    (merge_profiles).
    Raises ValidationError for an unknown rule, SQLAlchemyError (nothing merged) if the
    database refuses the batch; commits.
    """
    if rule not in MERGE_RULES:
        raise ValidationError(
            "Unknown merge rule.", fields={"rule": [f"Must be one of: {', '.join(MERGE_RULES)}."]}
        )
    results: list = [None] * len(pairs)
    batch, later, seen = [], [], set()
    for n, (survivor_id, other_id, _score, _reasons) in enumerate(pairs):
        if survivor_id == other_id:
            results[n] = _self_merge_error()
        elif survivor_id in seen or other_id in seen:
            later.append(n)
        else:
            seen.update((survivor_id, other_id))
            batch.append(n)
    if batch:
        _merge_batch(pairs, batch, results, actor, rule, gains, batch_id)
    for n in later:
        survivor_id, other_id, score, reasons = pairs[n]
        try:
            results[n] = merge_profiles(
                survivor_id,
                other_id,
                actor=actor,
                rule=rule,
                score=score,
                reasons=reasons,
                batch_id=batch_id,
            )
        except (ServiceError, SQLAlchemyError) as exc:
            db.session.rollback()
            results[n] = exc
    return results


def _merge_batch(
    pairs,
    batch: list[int],
    results: list,
    actor,
    rule: str,
    gains: dict | None,
    batch_id: str | None,
) -> None:
    """merge_many's pairs that share no profile: merged together, committed once."""
    ids = sorted({pid for n in batch for pid in pairs[n][:2]})
    found: dict[int, Profile] = {}
    for chunk in sqlin.slices(ids):
        found.update(
            (p.id, p)
            for p in db.session.scalars(
                select(Profile)
                .where(Profile.id.in_(chunk))
                .order_by(Profile.id)
                .with_for_update(of=Profile)
                .options(
                    selectinload(Profile.tags),
                    selectinload(Profile.emails),
                    selectinload(Profile.phones),
                    selectinload(Profile.stage_changes),
                )
                .execution_options(populate_existing=True)
            )
        )
    candidates: dict[tuple[int, int], DuplicateCandidate] = {}
    lows = sorted({min(pairs[n][:2]) for n in batch})
    for chunk in sqlin.slices(lows):
        for candidate in db.session.scalars(
            select(DuplicateCandidate).where(DuplicateCandidate.profile_a_id.in_(chunk))
        ):
            candidates[(candidate.profile_a_id, candidate.profile_b_id)] = candidate
    checked = []
    for n in batch:
        survivor_id, other_id = pairs[n][:2]
        if survivor_id not in found or other_id not in found:
            results[n] = NotFoundError("No such profile.")
            continue
        for profile in (found[survivor_id], found[other_id]):
            if profile.merged_into_id is not None:
                results[n] = ConflictError(
                    f"Profile #{profile.id} was already merged into #{profile.merged_into_id}.",
                    fields={"other_id" if profile.id == other_id else "id": ["Already merged."]},
                )
                break
        else:
            checked.append((n, candidates.get(tuple(sorted((survivor_id, other_id))))))
    # A person's 'distinct' decision keeps the two apart, also through earlier merges.
    apart = (
        set()
        if rule == "manual"
        else suspects.kept_apart([tuple(pairs[n][:2]) for n, _ in checked])
    )
    valid = []
    for n, candidate in checked:
        if tuple(pairs[n][:2]) in apart:
            results[n] = _distinct_error()
        else:
            valid.append((n, candidate))
    if not valid:
        db.session.commit()
        return

    now = utcnow()
    decider = _decider(actor, rule)
    who = _who_merged(actor, rule, batch_id)
    merges = []
    for n, _candidate in valid:
        survivor_id, other_id, score, reasons = pairs[n]
        merges.append(
            Merge(
                survivor_id=survivor_id,
                merged_id=other_id,
                rule=rule,
                score=score,
                reasons=list(reasons or []),
                survivor_before=_snapshot(found[survivor_id]),
                created_at=now,
                **who,
            )
        )
    db.session.add_all(merges)
    db.session.flush()
    involved = sorted({pid for n, _ in valid for pid in pairs[n][:2]})
    latest = _latest_consents_of(involved)
    # Survivors' rows are read only where the merge may add rows of its own.
    others = sorted(pairs[n][1] for n, _ in valid)
    owned = {
        key: _owned(model, involved if key in _ADDED else others)
        for key, model in _CHILDREN.items()
    }
    plans = []
    for (n, candidate), merge in zip(valid, merges, strict=True):
        survivor_id, other_id = pairs[n][:2]
        survivor, other = found[survivor_id], found[other_id]
        moved = {key: owned[key].get(other_id, []) for key in _CHILDREN}
        moved.update(_typed(other))
        tags = _plan_moves(moved, survivor, other, candidate)
        plans.append((n, candidate, merge, moved, tags, _plan_stage(survivor, other)))

    # Rows change hands in bulk, one executemany per table; the session forgets them.
    db.session.flush()
    for key, model in _CHILDREN.items():
        params = [
            {"old": pairs[n][1], "new": pairs[n][0]}
            for n, _c, _m, moved, _t, _s in plans
            if moved[key]
        ]
        if params:
            table = model.__table__
            db.session.execute(
                table.update()
                .where(table.c.profile_id == bindparam("old"))
                .values(profile_id=bindparam("new"), **_same_stamp(table)),
                params,
            )
    for model, kind in ((ProfileEmail, "emails"), (ProfilePhone, "phones")):
        primary = sorted(i for plan in plans for i in plan[3]["primary"][kind])
        for chunk in sqlin.slices(primary):
            db.session.execute(
                update(model).where(model.id.in_(chunk)).values(is_primary=False),
                execution_options={"synchronize_session": False},
            )
    for chunk in sqlin.slices(others):
        db.session.execute(delete(MatchKey).where(MatchKey.profile_id.in_(chunk)))
    merge_ids = [merge.id for merge in merges]
    pair_ids = [candidate.id for _n, candidate in valid if candidate is not None]
    db.session.expire_all()
    # The merges and pairs read below come back a chunk a query, not one by one.
    for model, wanted in ((Merge, merge_ids), (DuplicateCandidate, pair_ids)):
        for chunk in sqlin.slices(wanted):
            db.session.scalars(select(model).where(model.id.in_(chunk))).all()

    reloaded: dict[int, Profile] = {}
    for chunk in sqlin.slices(involved):
        reloaded.update(
            (p.id, p)
            for p in db.session.scalars(
                select(Profile)
                .where(Profile.id.in_(chunk))
                .options(
                    selectinload(Profile.tags),
                    selectinload(Profile.emails),
                    selectinload(Profile.phones),
                    selectinload(Profile.stage_changes),
                    selectinload(Profile.source_records).joinedload(SourceRecord.source),
                )
                .execution_options(populate_existing=True)
            )
        )
    survivors = {pairs[n][0]: reloaded[pairs[n][0]] for n, *_ in plans}
    for n, candidate, merge, moved, tags, stage_plan in plans:
        survivor_id, other_id = pairs[n][:2]
        survivor = survivors[survivor_id]
        survivor.tags = sorted(tags, key=lambda t: t.name)
        reloaded[other_id].merged_into_id = survivor_id
        _merge_consents(
            merge, survivor_id, latest.get(survivor_id, {}), latest.get(other_id, {}), decider
        )
        _take_stage(survivor, stage_plan, merge, decider)
        _take_manual(survivor, reloaded[other_id])
        _take_owner_and_score(survivor, reloaded[other_id], moved)
        _recompute_merged(survivor, stage_plan, refresh_keys=False)
        survivor.updated_at = utcnow()
        if candidate is not None and candidate.status != "merged":
            candidate.status = "merged"
            candidate.decided_at = merge.created_at
            candidate.decided_by_id = _actor_id(decider)
    db.session.flush()
    gained = match_keys.write({pid: match_keys.keys_of(p) for pid, p in survivors.items()})
    if gains is not None:
        gains.update((pid, added) for pid, added in gained.items() if added)
    _carry_pairs([(pairs[n][0], pairs[n][1], moved) for n, _c, _m, moved, _t, _s in plans])

    # What the merges themselves created on the survivors goes again on undo.
    after = {key: _owned(_CHILDREN[key], sorted(survivors)) for key in _ADDED}
    for n, _candidate, merge, moved, _tags, _stage in plans:
        survivor_id, other_id = pairs[n][:2]
        for key in _ADDED:
            taken = set(owned[key].get(survivor_id, [])) | set(moved[key])
            moved[f"{key}_added"] = [i for i in after[key].get(survivor_id, []) if i not in taken]
        merge.moved = moved
        _audit_merge(merge, survivor_id, other_id, rule, merge.score, actor)
        results[n] = merge
    db.session.commit()


_ADDED = ("stage_changes", "emails", "phones")


def _tags_added_since(profile: Profile, since: datetime) -> set[str]:
    """The tags a person added by hand to profile after since. Not those the merge
    carried over from the absorbed profile (added there before the merge): saving the tag
    list after the merge keeps their stamps, and they are the absorbed person's."""
    names = set()
    for name, entry in added_tags(profile.provenance).items():
        try:
            at = datetime.fromisoformat(entry.get("at") or "")
        except (TypeError, ValueError):
            continue
        if at > since:
            names.add(name)
    return names


def _forget_tags_gone(profile: Profile) -> None:
    """Drop from the profile's tag provenance the hand additions of tags it no longer
    has (an undo took them back to their person)."""
    origin = (profile.provenance or {}).get("tags")
    if not isinstance(origin, dict) or not isinstance(origin.get("added"), dict):
        return
    have = {t.name for t in profile.tags}
    added = {name: entry for name, entry in origin["added"].items() if name in have}
    if added != origin["added"]:
        profile.provenance = {**profile.provenance, "tags": {**origin, "added": added}}


def _manual_since(profile: Profile, since: datetime) -> set[str]:
    """Fields edited by hand on profile after since (they keep their value on undo)."""
    names = set()
    for name, origin in (profile.provenance or {}).items():
        if not isinstance(origin, dict) or "manual" not in origin or not origin.get("at"):
            continue
        try:
            at = datetime.fromisoformat(origin["at"])
        except (TypeError, ValueError):
            continue
        if at > since:
            names.add(name)
    return names


def _field_value(name: str, value):
    """A snapshot (JSON) value as the profile column wants it."""
    if name == "birth_date" and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _set_primary(model, profile_id: int, primary_ids: set[int]) -> None:
    """Mark primary_ids primary among the profile's rows, keeping exactly one primary."""
    rows = db.session.scalars(
        select(model).where(model.profile_id == profile_id).order_by(model.id)
    ).all()
    for row in rows:
        row.is_primary = row.id in primary_ids
    if rows and not any(row.is_primary for row in rows):
        rows[0].is_primary = True


def _restore_survivor(survivor: Profile, merge: Merge) -> list[str]:
    """Take back what the merge did to the survivor's values, not what was done since:
    fields edited by hand, its owner, score and tags set after the merge stay (the stage
    is _restore_stage's; the caller then chooses again from the records each holds)."""
    before = merge.survivor_before or {}
    kept = _manual_since(survivor, merge.created_at)
    provenance = dict(before.get("provenance") or {})
    current = survivor.provenance or {}
    for name, value in (before.get("fields") or {}).items():
        if name in kept:
            provenance[name] = current[name]
            continue
        setattr(survivor, name, _field_value(name, value))
    for kind in ("tags", "emails", "phones"):
        if kind in kept:  # set by hand since: those typed and removed stay so
            provenance[kind] = current[kind]
    survivor.provenance = provenance
    _give_back_owner_and_score(survivor, merge)
    # Of the tags, the merge added the absorbed profile's own (moved["tags"]); they go,
    # but for those a person added by hand since (removed and typed again), and tags
    # added or removed since stay as they are.
    brought = set((merge.moved or {}).get("tags") or [])
    typed = _tags_added_since(survivor, merge.created_at)
    survivor.tags = [t for t in survivor.tags if t.id not in brought or t.name in typed]
    refresh_search_keys(survivor)
    survivor.updated_at = utcnow()
    return sorted(kept)


def _give_back_owner_and_score(survivor: Profile, merge: Merge) -> None:
    """Undo what _take_owner_and_score gave the survivor: an owner or score that is still
    the one the merge gave goes back to the survivor's own; one a person changed since
    stays (a person who set again the very value the merge gave cannot be told apart)."""
    filled = (merge.moved or {}).get("filled") or {}
    before = merge.survivor_before or {}
    if "owner_id" in filled and survivor.owner_id == filled["owner_id"]:
        owner_id = before.get("owner_id")
        survivor.owner = db.session.get(User, owner_id) if owner_id is not None else None
    if "score" in filled and survivor.score == filled["score"]:
        survivor.score = before.get("score") or 0


def record_tags(record: SourceRecord) -> set[str]:
    """The tag names a source record states, cleaned as survivorship stores them."""
    names = (clean_text(tag) for tag in (record.fields or {}).get("tags") or [])
    return {name[:TAG_MAX] for name in names if name}


def _edited_at(profile: Profile, name: str) -> datetime | None:
    """When a person last edited this field of the profile by hand, if they did."""
    origin = (profile.provenance or {}).get(name)
    if not isinstance(origin, dict) or "manual" not in origin or not origin.get("at"):
        return None
    try:
        return datetime.fromisoformat(origin["at"])
    except (TypeError, ValueError):
        return None


def _drop_tags_that_left(survivor: Profile, restored: Profile, merge: Merge) -> None:
    """Take from the survivor the tags that came with records now back on the restored
    profile (what _follow_restored sent back, or one of theirs updated while merged): the
    restored profile's recompute gives them to their person, and left behind they would
    say something of the wrong one.

    A tag stays when the survivor had it before the merge, a record it keeps states it,
    a person added it by hand (profiles.added_tags), or a person saved the tags after the
    records stating it were last updated, so the list they saved held it. (A save before
    a record brought the tag again cannot say whether it held the tag: it goes.)
    """
    before = set((merge.survivor_before or {}).get("tags") or [])
    kept = set().union(*(record_tags(r) for r in survivor.source_records))
    kept |= _tags_added_since(survivor, merge.created_at)
    edited = _edited_at(survivor, "tags")
    if edited is not None and edited <= merge.created_at:
        edited = None
    going, by_hand = set(), set()
    for record in restored.source_records:
        names = record_tags(record) - before - kept
        going |= names
        if edited is not None and record.updated_at <= edited:
            by_hand |= names
    going -= by_hand
    if going:
        survivor.tags = [t for t in survivor.tags if t.name not in going]


# Why an undo moved the survivor's stage (its history shows it with the merge's label).
UNDONE_STAGE = "merge undone: the record that stated this stage went back to the other profile"


def _stage_moves_since(survivor_id: int, merge: Merge) -> list[StageChange]:
    """The survivor's stage changes after the merge, but for the merge's own."""
    added = (merge.moved or {}).get("stage_changes_added") or []
    return list(
        db.session.scalars(
            select(StageChange)
            .where(
                StageChange.profile_id == survivor_id,
                StageChange.at > merge.created_at,
                StageChange.id.not_in(added or [0]),
            )
            .order_by(StageChange.id)
        )
    )


def _restore_stage(survivor: Profile, merge: Merge, since: list[StageChange], actor) -> None:
    """The survivor's stage after an undo, its records already sorted out.

    Nothing moved it since the merge: back to its stage before (the merge's own move is
    gone). A person moved it since: that stays, like a manual edit. Only records moved
    it: back to what the records it keeps state (never behind its stage before the merge,
    nor past a stage a person held it back from), the move recorded in its history: a
    stage stated by the restored person's record goes with them.
    """
    before = (merge.survivor_before or {}).get("stage")
    if before not in STAGES:
        return
    if not since:
        survivor.stage = before
        return
    if any(c.actor_user_id is not None and not c.actor_label.startswith("merge:") for c in since):
        return
    stated = [(r.fields or {}).get("stage") for r in survivor.source_records]
    said = max((STAGES.index(s) for s in stated if s in STAGES), default=0)
    held = survivorship.held_back_from(list(survivor.stage_changes))
    target = before
    if said > STAGES.index(before) and (held is None or said > STAGES.index(held)):
        target = STAGES[said]
    if target != survivor.stage:
        _move_stage(survivor, target, merge, actor, UNDONE_STAGE)


def undo_merge(
    merge_id: int, *, actor, with_later: bool = False, reopen: bool = False
) -> tuple[Profile, Profile]:
    """Undo a merge: both profiles as they were, keeping manual edits made since.

    Both profiles' values are then chosen again from the records each holds (a record
    updated while merged counts), and the two are marked as different people
    (_keep_apart): an undo is a person's decision, so the pair is never proposed or
    merged automatically again (a person may merge it by hand).

    with_later: first undo the later merges that build on this one (later_merge, newest
    first), each with reopen: the person wants this merge undone, not theirs, so their
    pairs go back to the review queue to be decided again (REOPENED) rather than being
    marked as different people. Each undo commits on its own.

    Returns (survivor, restored). Raises NotFoundError, ConflictError (already undone, a
    later merge into the survivor not undone yet, or the survivor merged away since).
    """
    if with_later:
        _undo_later(merge_id, actor)
    merge = db.session.get(Merge, merge_id, with_for_update=True, populate_existing=True)
    if merge is None:
        raise NotFoundError("No such merge.")
    if merge.undone_at is not None:
        raise ConflictError("This merge was already undone.", fields={"merge": ["Undone."]})
    # Locked before looking for later merges: a merge into the survivor committed while
    # this one waited must be seen (it builds on the merge being undone).
    profiles = _lock_pair(merge.survivor_id, merge.merged_id)
    later = later_merge(merge)
    if later is not None:
        raise ConflictError(
            f"Merge #{later} came later and builds on this one; undo it first.",
            fields={"merge": [f"Undo merge #{later} first."]},
        )
    survivor, restored = profiles[merge.survivor_id], profiles[merge.merged_id]
    moved = merge.moved or {}

    db.session.flush()
    since = _stage_moves_since(survivor.id, merge)
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.merge_id == merge.id))
    for key in ("stage_changes", "emails", "phones"):
        added = moved.get(f"{key}_added") or []
        model = _CHILDREN[key]
        if key == "stage_changes" and since:
            continue  # later moves build on the merge's: the history keeps it, in order
        if added:
            db.session.execute(
                delete(model).where(model.id.in_(added), model.profile_id == survivor.id)
            )
    for key, model in _CHILDREN.items():
        # Only rows the survivor holds: one deleted while merged may have left its id to
        # another profile's new row (SQLite reuses the highest id), which must stay there.
        move_rows(model, moved.get(key) or [], restored.id, from_id=survivor.id)
    typed_back = _restore_typed(merge, restored)
    db.session.flush()
    db.session.expire_all()
    followed, _changed = _follow_restored(merge, survivor.id, restored.id)

    primary = moved.get("primary") or {}
    _set_primary(ProfileEmail, restored.id, set(primary.get("emails") or []))
    _set_primary(ProfilePhone, restored.id, set(primary.get("phones") or []))
    before_primary = (merge.survivor_before or {}).get("primary") or {}
    _set_primary(ProfileEmail, survivor.id, set(before_primary.get("emails") or []))
    _set_primary(ProfilePhone, survivor.id, set(before_primary.get("phones") or []))
    kept = _restore_survivor(survivor, merge)
    _drop_tags_that_left(survivor, restored, merge)
    _forget_tags_gone(survivor)
    _restore_stage(survivor, merge, since, actor)
    restored.merged_into_id = None
    restored.updated_at = utcnow()
    db.session.flush()
    # Each profile's values from the records it holds now, manual edits kept: a record
    # updated while merged must not be shown with its old values. The restored profile
    # first: it takes back the emails and phones its records state that nobody holds.
    for profile in (restored, survivor):
        survivorship.recompute(profile, refresh_keys=False)
    # Blocking keys follow the (restored) values of both profiles again.
    match_keys.refresh_many([survivor, restored])
    merge.undone_at = utcnow()
    merge.undone_by_id = _actor_id(actor)
    passed = _keep_apart(merge, survivor.id, restored.id, actor, reopen=reopen)
    _drop_carried(moved.get("carried"), survivor.id)
    audit.record(
        "profile.merge_undo",
        actor=actor,
        object_type="profile",
        object_id=survivor.id,
        details={
            "merge_id": merge.id,
            "survivor_id": survivor.id,
            "restored_id": restored.id,
            "kept_manual": kept,
            "typed_back": typed_back,
            "followed": followed,
            "kept_apart_from": passed,
            "reopened": reopen,
        },
    )
    db.session.commit()
    return survivor, restored


def _follow_restored(merge: Merge, survivor_id: int, restored_id: int) -> tuple[list[int], bool]:
    """After an undo's moves, give the restored profile what reached the survivor after the
    merge through the restored person; returns the ids of the records that moved, and
    whether anything moved.

    A record that joined the survivor after the merge goes to the restored profile when
    its emails and phones are the restored profile's and none is the survivor's own (it
    joined through the absorbed person's identifier). Then every email, phone and consent
    row that a record of the restored profile brought goes with it, unless a record the
    survivor keeps states the same email or phone. Without this, a wrong merge's undo left
    one person's later opt-in, phone or records on the other.
    """
    moved_back = set((merge.moved or {}).get("source_records") or [])
    arrived = db.session.scalars(
        select(SourceRecord).where(
            SourceRecord.profile_id == survivor_id,
            SourceRecord.received_at >= merge.created_at,
            SourceRecord.id.not_in(moved_back or [0]),
        )
    ).all()
    arrived_ids = {r.id for r in arrived}

    def held(profile_id: int, model, column) -> set[str]:
        rows = db.session.execute(
            select(column, model.source_record_id).where(model.profile_id == profile_id)
        )
        return {value for value, rid in rows if profile_id != survivor_id or rid not in arrived_ids}

    theirs = held(restored_id, ProfileEmail, ProfileEmail.email) | held(
        restored_id, ProfilePhone, ProfilePhone.phone
    )
    ours = held(survivor_id, ProfileEmail, ProfileEmail.email) | held(
        survivor_id, ProfilePhone, ProfilePhone.phone
    )
    followed, shared = [], []
    for record in arrived:
        values = set(survivorship.record_emails(record)) | set(survivorship.record_phones(record))
        if values & theirs and not values & ours:
            followed.append(record.id)
        elif values & theirs:
            shared.append(record.id)
    move_rows(SourceRecord, followed, restored_id)
    _share_withdrawals(shared, survivor_id, restored_id)
    db.session.flush()

    restored_records = db.session.scalars(
        select(SourceRecord).where(SourceRecord.profile_id == restored_id)
    ).all()
    kept_values = set()
    for record in db.session.scalars(
        select(SourceRecord).where(SourceRecord.profile_id == survivor_id)
    ):
        kept_values |= set(survivorship.record_emails(record))
        kept_values |= set(survivorship.record_phones(record))
    ids = [r.id for r in restored_records]
    changed = False
    for model, column in ((ProfileEmail, ProfileEmail.email), (ProfilePhone, ProfilePhone.phone)):
        rows = db.session.execute(
            select(model.id, column).where(
                model.profile_id == survivor_id, model.source_record_id.in_(ids or [0])
            )
        ).all()
        going = [row_id for row_id, value in rows if value not in kept_values]
        if going:
            db.session.execute(
                update(model)
                .where(model.id.in_(going))
                .values(profile_id=restored_id, is_primary=False),
                execution_options={"synchronize_session": False},
            )
            changed = True
    consents = [
        consent_id
        for consent_id, evidence in db.session.execute(
            select(ConsentRecord.id, ConsentRecord.evidence).where(
                ConsentRecord.profile_id == survivor_id,
                ConsentRecord.source_record_id.in_(ids or [0]),
            )
        )
        # A withdrawal restated for the holder of the address it was sent with stays there
        # (ingest._withdrawals_for_holders): the record is the other person's, the inbox not.
        if not (isinstance(evidence, dict) and evidence.get("stated_by_profile"))
    ]
    move_rows(ConsentRecord, consents, restored_id)
    db.session.expire_all()
    return followed, changed or bool(followed or consents)


# The first reasons of the pairs an undo marks distinct: the merge's own pair, and the
# restored profile's pair with a profile the merged one was marked distinct from.
UNDONE = "a merge of the two was undone"
DECIDED_WHILE_MERGED = "decided about a merged profile this one was part of"


# How many later merges an undo with_later goes through, at most (a chain's length).
MAX_LATER = 500
# The first reason of a pair whose merge was undone only to reach an earlier merge.
REOPENED = "its merge was undone to undo an earlier one: decide again"


def _undo_later(merge_id: int, actor) -> None:
    """Undo, newest first, the later merges that build on merge_id (and those that build
    on them), each reopened for review (undo_merge with_later)."""
    merge = db.session.get(Merge, merge_id)
    if merge is None or merge.undone_at is not None:
        return  # undo_merge says so
    for _ in range(MAX_LATER):
        top = later_merge(merge)
        if top is None:
            return
        while (above := later_merge(db.session.get(Merge, top))) is not None:
            top = above  # ids only grow: the chain ends
        undo_merge(top, actor=actor, reopen=True)
    raise ConflictError(
        f"More than {MAX_LATER} later merges build on this one; undo the newest first.",
        fields={"merge": ["Too many later merges."]},
    )


def _reopen(merge: Merge, survivor_id: int, restored_id: int) -> None:
    """Put the pair of an undone merge back in the review queue, open (REOPENED)."""
    pair = suspects.find_pair(survivor_id, restored_id)
    if pair is None:
        low, high = suspects.ordered(survivor_id, restored_id)
        pair = DuplicateCandidate(
            profile_a_id=low, profile_b_id=high, score=merge.score or 0.0, reasons=[]
        )
        db.session.add(pair)
    pair.reasons = [REOPENED, *(r for r in (pair.reasons or merge.reasons or []) if r != REOPENED)]
    pair.status = "open"
    pair.decided_at = None
    pair.decided_by_id = None
    db.session.flush()


def _keep_apart(
    merge: Merge, survivor_id: int, restored_id: int, actor, *, reopen: bool = False
) -> list[int]:
    """Mark the undone merge's two profiles as different people (with reopen: put their
    pair back in the review queue instead), and pass on to the restored one the
    'distinct' decisions taken about the merged profile while it was part of it;
    returns the ids of the profiles those decisions were about.

    An undo is a person saying the two are not one person; a decision that the merged
    profile is not C was about both people, so the restored one is not asked again.
    A decision already taken on a pair stands.
    """
    decided = db.session.scalars(
        select(DuplicateCandidate).where(
            DuplicateCandidate.status == "distinct",
            or_(
                DuplicateCandidate.profile_a_id == survivor_id,
                DuplicateCandidate.profile_b_id == survivor_id,
            ),
            DuplicateCandidate.decided_at > merge.created_at,
        )
    ).all()
    passed = []
    for pair in decided:
        other = pair.profile_b_id if pair.profile_a_id == survivor_id else pair.profile_a_id
        if other != restored_id:
            _mark_distinct(
                restored_id, other, pair.decided_by_id, pair.decided_at, DECIDED_WHILE_MERGED
            )
            passed.append(other)
    if reopen:
        _reopen(merge, survivor_id, restored_id)
    else:
        _mark_distinct(survivor_id, restored_id, _actor_id(actor), utcnow(), UNDONE)
    return sorted(passed)


def _mark_distinct(a_id: int, b_id: int, by: int | None, at: datetime, reason: str) -> None:
    """Record that a person said these two profiles are different people, unless that
    pair already says so (its first decision stands)."""
    low, high = suspects.ordered(a_id, b_id)
    pair = suspects.find_pair(low, high)
    if pair is None:
        pair = DuplicateCandidate(profile_a_id=low, profile_b_id=high, score=0.0, reasons=[reason])
        db.session.add(pair)
    elif pair.status == "distinct":
        return
    pair.status = "distinct"
    pair.decided_at = at
    pair.decided_by_id = by
    db.session.flush()


# The evidence rule of a withdrawal an undo gives the restored profile (_share_withdrawals).
SHARED_AT_UNDO = "a withdrawal stated with this person's email or phone while merged"


def _share_withdrawals(record_ids: list[int], survivor_id: int, restored_id: int) -> None:
    """Give the restored profile the withdrawals of records that stay with the survivor
    but name the restored person too (a record with both people's identifiers): who
    may have said no is not contacted again because the record stayed with the other."""
    if not record_ids:
        return
    for consent in db.session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.profile_id == survivor_id,
            ConsentRecord.source_record_id.in_(record_ids),
            ConsentRecord.status.in_(RESTRICTIVE),
        )
    ).all():
        db.session.add(
            ConsentRecord(
                profile_id=restored_id,
                purpose=consent.purpose,
                status=consent.status,
                legal_basis=consent.legal_basis,
                recorded_at=consent.recorded_at,
                source_id=consent.source_id,
                evidence={**(consent.evidence or {}), "rule": SHARED_AT_UNDO},
            )
        )


def later_merge(merge: Merge) -> int | None:
    """The newest live merge after merge into or out of its survivor: it builds on merge,
    which cannot be undone before it is."""
    return db.session.scalar(
        select(Merge.id)
        .where(
            or_(Merge.survivor_id == merge.survivor_id, Merge.merged_id == merge.survivor_id),
            Merge.id > merge.id,
            Merge.undone_at.is_(None),
        )
        .order_by(Merge.id.desc())
        .limit(1)
    )


def undo_blockers(merges: list[Merge], absorbing: Merge | None) -> dict[int, int]:
    """{merge id: the later merge to undo first} for the live merges into one profile
    (merges) that undo_merge refuses now: every one but the newest, and every one when
    the profile was merged away since (absorbing). Read from what the page holds."""
    live = [m.id for m in merges if m.undone_at is None]
    if absorbing is not None:
        live.append(absorbing.id)
    newest = max(live, default=None)
    return {merge_id: newest for merge_id in live if merge_id != newest}


def records_brought(merges: list[Merge]) -> dict[int, int]:
    """{source record id: id of the live merge that brought it} among merges into one
    profile: such a record is separated by undoing that merge, not by a detach."""
    return {
        record_id: merge.id
        for merge in merges
        if merge.undone_at is None
        for record_id in (merge.moved or {}).get("source_records") or []
    }


def get_merge(merge_id: int) -> Merge:
    """One merge. Raises NotFoundError."""
    merge = db.session.get(Merge, merge_id)
    if merge is None:
        raise NotFoundError("No such merge.")
    return merge


def merge_history(profile_id: int) -> list[tuple[Merge, User | None, User | None]]:
    """Merges into profile_id, newest first, each with the user who made it and the user
    who undid it (None where it was a rule, an import, or not undone by a user)."""
    undoer = aliased(User)
    rows = db.session.execute(
        select(Merge, User, undoer)
        .outerjoin(User, User.id == Merge.actor_user_id)
        .outerjoin(undoer, undoer.id == Merge.undone_by_id)
        .where(Merge.survivor_id == profile_id)
        .order_by(Merge.id.desc())
    )
    return [(merge, user, undone_by) for merge, user, undone_by in rows]


def undone_merges_of(profile_id: int) -> list[tuple[Merge, User | None]]:
    """Undone merges that had absorbed profile_id into another profile, newest first, each
    with the user who undid it: a restored profile's page says it was merged once."""
    undoer = aliased(User)
    rows = db.session.execute(
        select(Merge, undoer)
        .outerjoin(undoer, undoer.id == Merge.undone_by_id)
        .where(Merge.merged_id == profile_id, Merge.undone_at.is_not(None))
        .order_by(Merge.id.desc())
    )
    return [(merge, undone_by) for merge, undone_by in rows]


def absorbing_merge(profile_id: int) -> Merge | None:
    """The live merge that absorbed profile_id, if it is merged into another profile."""
    return db.session.scalar(
        select(Merge)
        .where(Merge.merged_id == profile_id, Merge.undone_at.is_(None))
        .order_by(Merge.id.desc())
        .limit(1)
    )


# The most merges followed from an absorbed profile to the live one it is part of.
MAX_CHAIN = 100


def merge_candidates(profile_id: int, q: str, *, limit: int = 20) -> list[Profile]:
    """Live profiles that could be merged into profile_id: by id ('12', '#12') or search.
    The id of a profile merged into another finds the one it lives on in (the person)."""
    text = (q or "").strip()
    found: list[Profile] = []
    if re.fullmatch(r"#?\d{1,18}", text) and int(text.lstrip("#")) <= MAX_ID:
        wanted = db.session.get(Profile, int(text.lstrip("#")))
        for _ in range(MAX_CHAIN):  # a chain of merges, each absorbed into the next
            if wanted is None or wanted.merged_into_id is None:
                break
            wanted = db.session.get(Profile, wanted.merged_into_id)
        if wanted is not None and wanted.merged_into_id is None:
            found.append(wanted)
    if text:
        rows, _ = search_profiles(text, limit=limit + 1)
        found += [p for p in rows if p not in found]
    return [p for p in found if p.id != profile_id][:limit]
