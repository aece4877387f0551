"""Detaching a source record from its profile: the undo of a join that was no merge.

An imported record that shares an email or a phone with a profile joins it directly (a
deterministic match, no Merge to undo). When that join was wrong (two relatives sharing
a landline, an email typed into the wrong record), a person detaches the record: it
becomes a profile of its own, with the identifiers and consents only it brought, and the
two profiles are remembered as different people. A detach has no undo: the audit trail
keeps it, and both profiles' pages show it (detach_history). A record that came with a
merge leaves by that merge's undo instead, and the last record of a profile that no undo
can take stays with it (detach_blockers): a profile never ends up with no record at all.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from crm.extensions import db
from crm.models import (
    STAGES,
    AuditLog,
    ConsentRecord,
    DuplicateCandidate,
    Merge,
    Profile,
    ProfileEmail,
    ProfilePhone,
    SourceRecord,
    StageChange,
    User,
)
from crm.models.base import utcnow
from crm.models.consent import RESTRICTIVE
from crm.services import audit, match_keys, merging, profiles, survivorship
from crm.services.errors import ConflictError, NotFoundError, ValidationError
from crm.services.survivorship import record_emails, record_phones
from crm.services.suspects import find_pair, ordered

# The audit trail's action of a detach; detach_history reads the detaches back from it.
DETACH_ACTION = "profile.detach"
# The actor label (+ the record's id) and reason of the stage move a detach makes.
DETACH_LABEL = "detach:"
DETACHED_STAGE = "the record that stated this stage was detached: it is a profile of its own now"
# The reason of the 'distinct' pair a detach leaves: a person's, or an import's (a record
# id sent again with another person's values: ingest).
DETACHED_BY_HAND = "detached by hand"
DETACHED_BY_IMPORT = "detached by an import: the record's id now names another person"


def detach_record(record_id: int, *, actor: User | str | None, by_import: bool = False) -> Profile:
    """Make a source record a profile of its own; returns the new profile.

    It takes the emails and phones no other record of its old profile carries, and the
    consents recorded from it; both profiles' values are chosen again from their records,
    and a stage that only the record gave goes with it (_stage_after_detach); the pair is
    marked 'distinct', so it is never proposed again. Touchpoints and notes stay where
    they are (they name no record). Commits.

    by_import: an import detaches it (its id now names another person), not the actor
    who ran the import: the pair says so (DETACHED_BY_IMPORT) and names no decider.

    Raises NotFoundError, ValidationError (the profile's only record, a profile merged
    away, or the last record of the profile that no undo can take: detach_blockers),
    ConflictError (the record came with a merge: undo that merge instead).
    """
    record = db.session.get(SourceRecord, record_id)
    if record is None or record.profile_id is None:
        raise NotFoundError("No such source record.")
    old = profiles.get_profile(record.profile_id, for_update=True)
    if old.merged_into_id is not None:
        raise ValidationError("This record's profile was merged into another one.")
    others = [r for r in old.source_records if r.id != record.id]
    if not others:
        raise ValidationError("This is the profile's only record: there is nothing to detach.")
    merges = _live_merges_into(old.id)
    brought = merging.records_brought(merges).get(record.id)
    if brought is not None:
        raise ConflictError(
            f"This record came with merge #{brought}; undo that merge instead.",
            fields={"merge": [str(brought)]},
        )
    first = detach_blockers(old, merges).get(record.id)
    if first is not None:
        raise ValidationError(
            f"The other records of this profile came with merge #{first} or after it; "
            "undo that merge instead.",
            fields={"merge": [str(first)]},
        )
    new = Profile(provenance={})
    db.session.add(new)
    db.session.flush()
    for model, values_of in ((ProfileEmail, record_emails), (ProfilePhone, record_phones)):
        carried = values_of(record)
        keep = {v: r.id for r in others for v in values_of(r)}  # value -> a record of it
        column = model.email if model is ProfileEmail else model.phone
        for row in db.session.scalars(
            select(model).where(model.profile_id == old.id, column.in_(carried))
        ):
            value = getattr(row, column.key)
            if value not in keep:
                row.profile_id, row.is_primary = new.id, False
            elif row.source_record_id == record.id:
                row.source_record_id = keep[value]  # another record of the profile holds it
    before = profiles.current_consents([old.id])[old.id]
    for consent in db.session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.profile_id == old.id, ConsentRecord.source_record_id == record.id
        )
    ):
        consent.profile_id = new.id
    db.session.flush()
    _keep_withdrawals(old.id, before, actor)
    merging.move_rows(SourceRecord, [record.id], new.id)  # its updated_at stays
    db.session.flush()
    db.session.expire_all()
    old, new = db.session.get(Profile, old.id), db.session.get(Profile, new.id)
    for profile in (old, new):  # a profile left without a primary email gets one here
        survivorship.recompute(profile, refresh_keys=False)
    for change in new.stage_changes:  # its first stage: the detach's doing, not an import's
        change.actor_label = f"{DETACH_LABEL}{record.id}"
    _tags_after_detach(old, record)
    _stage_after_detach(old, record)
    match_keys.refresh_many([old, new])
    _mark_distinct(old.id, new.id, None if by_import else actor, by_import)
    audit.record(
        DETACH_ACTION,
        actor=actor,
        object_type="profile",
        object_id=new.id,
        details={"from": old.id, "source_record": record.id},
    )
    db.session.commit()
    return new


def _tags_after_detach(profile: Profile, record: SourceRecord) -> None:
    """Take from the profile the tags that only the detached record carried: they go
    with it (the new profile's recompute gives them), as its emails and phones do. A tag
    a person added to the profile by hand stays (profiles.added_tags)."""
    still = set().union(*(merging.record_tags(r) for r in profile.source_records))
    still |= set(profiles.added_tags(profile.provenance))
    only = merging.record_tags(record) - still
    if only:
        profile.tags = [t for t in profile.tags if t.name not in only]


def _stage_after_detach(profile: Profile, record: SourceRecord) -> None:
    """Move the profile the record left back from the stage only that record gave it.

    An import moves a profile forward to the most advanced stage its records state, and
    never back by itself. When the detached record said "customer" and no other record
    of the profile does, the profile was a customer only because of the wrong join: it
    goes back to the more advanced of what its records still say (lead if none; only
    past a stage a person moved it back from, as survivorship reads them) and the latest
    stage a person set by hand (a rep's SQL stands, as it does when a merge is undone),
    with the reason in its history. A stage that a person set last is left to
    people.

    The move is the detach's consequence, not a person judging the stage: it names the
    detach ("detach:<record id>") and no user, as a merge's move names the merge, so it
    holds nothing back (survivorship.held_back_from); the audit trail keeps who detached.
    """
    said = (record.fields or {}).get("stage")
    if said not in STAGES or profile.stage != said:
        return
    stated = [(r.fields or {}).get("stage") for r in profile.source_records]
    still = max((STAGES.index(s) for s in stated if s in STAGES), default=0)
    changes = list(
        db.session.scalars(
            select(StageChange).where(StageChange.profile_id == profile.id).order_by(StageChange.id)
        )
    )
    if not changes or changes[-1].to_stage != said or changes[-1].actor_user_id is not None:
        return
    held = survivorship.held_back_from(changes)
    if held is not None and still <= STAGES.index(held):
        still = 0  # records move a profile a person moved back only past that stage
    target = max(still, _set_by_hand(changes))
    if target >= STAGES.index(said):
        return
    profile.stage_changes.append(
        StageChange(
            from_stage=profile.stage,
            to_stage=STAGES[target],
            actor_user_id=None,
            actor_label=f"{DETACH_LABEL}{record.id}",
            reason=DETACHED_STAGE,
        )
    )
    profile.stage = STAGES[target]


def _set_by_hand(changes: list[StageChange]) -> int:
    """The place in STAGES of the latest stage a person set (0, lead, when none did)."""
    by_people = [c for c in changes if merging.moved_by_a_person(c)]
    if not by_people or by_people[-1].to_stage not in STAGES:
        return 0
    return STAGES.index(by_people[-1].to_stage)


# The evidence rule of a withdrawal a detach leaves on the profile the record left.
KEPT_AT_DETACH = "a withdrawal stays when the record that stated it is detached"


def _keep_withdrawals(profile_id: int, before: dict[str, str], actor) -> None:
    """Append a withdrawal (or a refusal, as it was) where the profile was withdrawn (or
    refused) before the detach and no longer is either: the record that said so left, but
    the person behind the profile (and the address it keeps) said it; one record's leaving
    never makes a profile more permissive."""
    after = profiles.current_consents([profile_id])[profile_id]
    for purpose, status in before.items():
        if status in RESTRICTIVE and after[purpose] not in RESTRICTIVE:
            db.session.add(
                ConsentRecord(
                    profile_id=profile_id,
                    purpose=purpose,
                    status=status,
                    recorded_at=utcnow(),
                    evidence={"rule": KEPT_AT_DETACH},
                    actor_user_id=actor.id if isinstance(actor, User) else None,
                )
            )


@dataclass(frozen=True)
class Detach:
    """One detach as a profile's page shows it: when, who (a user, else the label of what
    did it), the record and the two profiles, by id (the audit entry holds no more)."""

    at: datetime
    by: User | None
    actor_label: str
    record_id: int
    from_id: int
    to_id: int


def detach_history(profile_id: int) -> list[Detach]:
    """The detaches of records from profile_id or into it (the profile a record became),
    newest first, from the audit trail: a detach has no undo, so both profiles' pages say
    what happened to the record, who did it and when."""
    rows = db.session.execute(
        select(AuditLog, User)
        .outerjoin(User, User.id == AuditLog.actor_user_id)
        .where(
            AuditLog.action == DETACH_ACTION,
            AuditLog.object_type == "profile",
            or_(
                AuditLog.object_id == str(profile_id),
                AuditLog.details["from"].as_integer() == profile_id,
            ),
        )
        .order_by(AuditLog.id.desc())
    )
    return [
        Detach(
            at=entry.at,
            by=user,
            actor_label=entry.actor_label,
            record_id=entry.details["source_record"],
            from_id=entry.details["from"],
            to_id=int(entry.object_id),
        )
        for entry, user in rows
    ]


def _live_merges_into(profile_id: int) -> list[Merge]:
    """The merges into profile_id not undone, oldest first."""
    return list(
        db.session.scalars(
            select(Merge)
            .where(Merge.survivor_id == profile_id, Merge.undone_at.is_(None))
            .order_by(Merge.id)
        )
    )


def detach_blockers(profile: Profile, merges: list[Merge]) -> dict[int, int]:
    """{source record id: the merge to undo instead} for the records of profile that
    detach_record refuses because they are the last it keeps whatever is undone (merges:
    the merges into the profile, as its page holds them). Read from what the page holds.

    An undo gives the restored profile the records its merge brought, and may give it
    the records received since (merging._follow_restored follows the restored person's
    identifiers). Only a record that came with no live merge and arrived before the
    first one surely stays; a detach that leaves none of those, followed by an undo,
    left a profile with no record, no name and no identifier. Detaching the profile's
    own record then says "this profile is the other person": that is an undo of the
    first merge (the records a merge brought are refused by detach_record already).
    """
    live = sorted((m for m in merges if m.undone_at is None), key=lambda m: m.id)
    records = list(profile.source_records)
    if not live or len(records) < 2:
        return {}
    brought = merging.records_brought(live)
    since = min(m.created_at for m in live)
    staying = {r.id for r in records if r.id not in brought and r.received_at < since}
    return {r.id: live[0].id for r in records if r.id not in brought and not staying - {r.id}}


def _mark_distinct(a_id: int, b_id: int, actor, by_import: bool = False) -> None:
    """Remember that a person (or an import) said these two profiles are different people."""
    low, high = ordered(a_id, b_id)
    reason = DETACHED_BY_IMPORT if by_import else DETACHED_BY_HAND
    pair = find_pair(low, high) or DuplicateCandidate(
        profile_a_id=low, profile_b_id=high, score=0.0, reasons=[reason]
    )
    pair.status = "distinct"
    pair.decided_at = utcnow()
    pair.decided_by_id = actor.id if isinstance(actor, User) else None
    db.session.add(pair)
