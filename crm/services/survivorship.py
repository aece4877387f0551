"""Survivorship: choosing a profile's displayed values from its source records.

Rules (DESIGN.md): a manual edit wins, then the source with the higher trust rank, then
the most recently updated record. Every chosen value records where it came from. Emails,
phones and tags are never chosen between: the profile keeps all of them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from crm.extensions import db
from crm.models import (
    PROFILE_FIELDS,
    STAGES,
    Profile,
    ProfileEmail,
    ProfilePhone,
    SourceRecord,
    StageChange,
    Tag,
)
from crm.models.base import utcnow
from crm.services import match_keys
from crm.services.normalise import clean_text, fold
from crm.services.profiles import refresh_search_keys

STAGE_REASON = "most advanced stage among source records"


def record_rank(record: SourceRecord) -> tuple:
    """Sort key of a record for survivorship: trust rank, then recency, then id."""
    stamp = record.updated_at or record.received_at or utcnow()
    return (record.source.trust_rank, stamp, record.id or 0)


def _field_value(name: str, value):
    """A stored (JSON) field value as the profile column wants it."""
    if name == "birth_date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value


def record_emails(record: SourceRecord) -> list[str]:
    """Every normalised email a record carries, its primary one first."""
    emails = list((record.fields or {}).get("emails") or [])
    if record.email and record.email not in emails:
        emails.insert(0, record.email)
    return emails


def record_phones(record: SourceRecord) -> list[str]:
    """Every E.164 phone a record carries, its primary one first."""
    phones = list((record.fields or {}).get("phones") or [])
    if record.phone and record.phone not in phones:
        phones.insert(0, record.phone)
    return phones


def _choose_fields(profile: Profile, records: list[SourceRecord]) -> list[str]:
    """Set each plain field from the best record offering it; returns the changed names."""
    changed = []
    provenance = dict(profile.provenance or {})
    for name in PROFILE_FIELDS:
        if "manual" in (provenance.get(name) or {}):
            continue
        offering = [r for r in records if (r.fields or {}).get(name) not in (None, "")]
        if offering:
            best = offering[0]
            value = _field_value(name, best.fields[name])
            origin = {"source_record_id": best.id, "source": best.source.name}
        else:
            # Only clear what records put there; a value of unknown origin stays.
            if name not in provenance:
                continue
            value, origin = None, None
        if getattr(profile, name) != value:
            setattr(profile, name, value)
            changed.append(name)
        if origin is None:
            provenance.pop(name, None)
        else:
            provenance[name] = origin
    if provenance != (profile.provenance or {}):
        profile.provenance = provenance
    return changed


# (model, column, values, profile) -> the values another profile holds
TakenLookup = Callable[[type, object, list[str], Profile], set[str]]
# tag names -> Tag rows (created as needed)
TagLookup = Callable[[set[str]], list[Tag]]


def taken_in_database(model, column, values: list[str], profile: Profile) -> set[str]:
    """Which of values another profile already holds (unique across profiles)."""
    if not values:
        return set()
    query = select(column).where(column.in_(values))
    if profile.id is not None:
        query = query.where(model.profile_id != profile.id)
    return set(db.session.scalars(query))


def _add_identifiers(
    profile: Profile, records: list[SourceRecord], taken: TakenLookup = taken_in_database
) -> list[str]:
    """Add every email and phone of the records that no other profile holds."""
    changed = []
    by_id = sorted(records, key=lambda r: r.id or 0)
    for kind, model, column, collection, values_of in (
        ("emails", ProfileEmail, ProfileEmail.email, profile.emails, record_emails),
        ("phones", ProfilePhone, ProfilePhone.phone, profile.phones, record_phones),
    ):
        attribute = column.key
        have = {getattr(item, attribute) for item in collection}
        wanted: dict[str, int | None] = {}
        for record in by_id:
            for value in values_of(record):
                if value not in have:
                    wanted.setdefault(value, record.id)
        held = taken(model, column, list(wanted), profile) if wanted else set()
        for value, record_id in wanted.items():
            if value not in held:
                collection.append(model(**{attribute: value}, source_record_id=record_id))
                changed.append(kind)
        if collection and not any(item.is_primary for item in collection):
            collection[0].is_primary = True
    return sorted(set(changed))


def tag_rows(names: set[str]) -> list[Tag]:
    """Tag rows for names, created as needed."""
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    rows = []
    for name in sorted(names):
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        rows.append(tag)
    return rows


def _union_tags(profile: Profile, records: list[SourceRecord], tags: TagLookup = tag_rows) -> bool:
    """Give the profile every tag of its records (tags are only ever added here)."""
    names = set()
    for record in records:
        for tag in (record.fields or {}).get("tags") or []:
            text = clean_text(tag)
            if text:
                names.add(text[:80])
    missing = names - {t.name for t in profile.tags}
    if not missing:
        return False
    profile.tags.extend(tags(missing))
    return True


def _advance_stage(profile: Profile, records: list[SourceRecord]) -> str | None:
    """Move the profile to the most advanced stage among its records; never backwards.

    A later stage set by hand is kept: an old list saying 'lead' must not undo a sale.
    Returns the previous stage when it changed.
    """
    staged = [r for r in records if (r.fields or {}).get("stage") in STAGES]
    best = max(staged, key=lambda r: STAGES.index(r.fields["stage"]), default=None)
    target = best.fields["stage"] if best else "lead"
    origin = best or (records[0] if records else None)
    label = f"import:{origin.source.name}" if origin else "import"
    current = profile.stage
    history = bool(profile.stage_changes)
    if history and current in STAGES and STAGES.index(target) <= STAGES.index(current):
        return None
    profile.stage_changes.append(
        StageChange(
            from_stage=current if history else None,
            to_stage=target,
            actor_label=label,
            reason=STAGE_REASON,
        )
    )
    profile.stage = target
    return current or ""


def recompute(
    profile: Profile,
    *,
    taken: TakenLookup = taken_in_database,
    tags: TagLookup = tag_rows,
    refresh_keys: bool = True,
) -> list[str]:
    """Recompute a profile's values, identifiers, tags and stage from its source records.

    Emails and phones that another profile holds are left with it (callers that match
    records report those conflicts). The profile's match keys follow its values unless
    refresh_keys is False (a caller refreshing many profiles at once). taken and tags
    let a caller that already knows who holds which identifier, and which tags exist,
    answer without a query. Returns the names of what changed; the caller commits.
    """
    if any(r.id is None for r in profile.source_records):
        db.session.flush()  # provenance names records by id
    records = sorted(profile.source_records, key=record_rank, reverse=True)
    changed = _choose_fields(profile, records)
    changed += _add_identifiers(profile, records, taken)
    if _union_tags(profile, records, tags):
        changed.append("tags")
    if _advance_stage(profile, records) is not None:
        changed.append("stage")
    if changed:
        refresh_search_keys(profile)
        profile.updated_at = utcnow()
    if refresh_keys:
        match_keys.refresh(profile)
    return changed


# -- a profile created by an import, computed without the ORM ---------------------------


@dataclass
class NewProfile:
    """What recompute() would give a brand-new profile of these records, as plain data.

    columns are the profile row's values (every profile field, provenance, stage, search
    columns); emails and phones are (value, source record id, primary) in the order
    recompute() would add them; tags the tag names; stage_change the first stage history
    entry. The import stores it with bulk inserts.
    """

    columns: dict
    emails: list[tuple[str, int | None, bool]]
    phones: list[tuple[str, int | None, bool]]
    tags: list[str]
    stage_change: dict


# (kind "emails" | "phones", values) -> the values another profile holds
HeldLookup = Callable[[str, list[str]], set[str]]


def new_profile(records: list, held: HeldLookup) -> NewProfile:
    """recompute() for a profile with no values yet, whose records are these (with ids).

    records need id, fields, email, phone, updated_at, received_at and source (trust_rank,
    name), like SourceRecord. A pure function but for held (who holds which identifier).
    """
    ranked = sorted(records, key=record_rank, reverse=True)
    columns: dict = dict.fromkeys(PROFILE_FIELDS)
    provenance = {}
    for name in PROFILE_FIELDS:
        best = next((r for r in ranked if (r.fields or {}).get(name) not in (None, "")), None)
        if best is not None:
            columns[name] = _field_value(name, best.fields[name])
            provenance[name] = {"source_record_id": best.id, "source": best.source.name}
    columns["provenance"] = provenance
    by_id = sorted(ranked, key=lambda r: r.id or 0)
    found = {}
    for kind, values_of in (("emails", record_emails), ("phones", record_phones)):
        wanted: dict[str, int | None] = {}
        for record in by_id:
            for value in values_of(record):
                wanted.setdefault(value, record.id)
        taken = held(kind, list(wanted)) if wanted else set()
        kept = [(v, rid) for v, rid in wanted.items() if v not in taken]
        found[kind] = [(v, rid, n == 0) for n, (v, rid) in enumerate(kept)]
    tags = set()
    for record in ranked:
        for tag in (record.fields or {}).get("tags") or []:
            text = clean_text(tag)
            if text:
                tags.add(text[:80])
    staged = [r for r in ranked if (r.fields or {}).get("stage") in STAGES]
    best = max(staged, key=lambda r: STAGES.index(r.fields["stage"]), default=None)
    target = best.fields["stage"] if best else "lead"
    origin = best or (ranked[0] if ranked else None)
    columns["stage"] = target
    first, last, company = columns["first_name"], columns["last_name"], columns["company"]
    columns["search_name"] = fold(" ".join(p for p in (first, last) if p))[:210]
    columns["search_last"] = fold(last)[:100]
    columns["search_company"] = fold(company)[:200]
    now = utcnow()
    columns["created_at"] = columns["updated_at"] = now
    stage_change = {
        "from_stage": None,
        "to_stage": target,
        "at": now,
        "actor_label": f"import:{origin.source.name}" if origin else "import",
        "reason": STAGE_REASON,
    }
    return NewProfile(columns, found["emails"], found["phones"], sorted(tags), stage_change)
