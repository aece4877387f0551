"""Where each value of a profile comes from: a source record, or a person's hand.

The profile page and the API say it alike: a field's origin is the profile's own
provenance (Profile.provenance); an email's or a phone's is the record that brought it
(else a person typed it); a tag's are the records that state it and the person who added
it by hand (profiles.added_tags); the stage's is the latest move of the stage history.
"""

from crm.models import PROFILE_FIELDS, TAG_MAX, Profile, SourceRecord, StageChange
from crm.services.normalise import clean_text
from crm.services.profiles import MANUAL_SOURCE, added_tags, typed_identifiers


def stated_tags(values: object) -> set[str]:
    """The tag names a record states, cleaned as survivorship cleans them."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        return set()
    texts = (clean_text(v) for v in values if isinstance(v, str))
    return {text[:TAG_MAX] for text in texts if text}


def tag_sources(profile: Profile) -> dict[str, list[tuple[str, int]]]:
    """{tag name: [(source name, id of its first record stating the tag)]} for the tags
    of the profile that its records state; a tag typed in when the profile was created
    by hand has the manual source among them. A tag no record states has no entry."""
    found: dict[str, list[tuple[str, int]]] = {}
    tags = {t.name for t in profile.tags}
    for record in profile.source_records:
        # The manual record keeps what was typed at creation only in its raw payload.
        manual = record.source.name == MANUAL_SOURCE
        stated = record.raw if manual else record.fields
        said = stated.get("tags") if isinstance(stated, dict) else None
        for name in sorted(stated_tags(said) & tags):
            sources = found.setdefault(name, [])
            if all(source != record.source.name for source, _ in sources):
                sources.append((record.source.name, record.id))
    return found


def _record(record: SourceRecord) -> dict:
    """A source record as an origin: its source's name and its id."""
    return {"source": record.source.name, "source_record_id": record.id}


def _typed(entry: dict) -> dict:
    """A person's hand as an origin: who (a user id, None when not a user) and when."""
    origin = {"manual": entry.get("manual")}
    if entry.get("at"):
        origin["at"] = entry["at"]
    return origin


def _identifiers(rows, column: str, records: dict[int, SourceRecord], typed: dict) -> list[dict]:
    """Each email or phone with its origin: the record of the profile that brought it,
    else a person's hand (as the profile page says: 'manual edit'), who and when where
    the edit was recorded (profiles.typed_identifiers)."""
    found = []
    for row in rows:
        value = getattr(row, column)
        record = records.get(row.source_record_id) if row.source_record_id else None
        if value in typed and (record is None or record.source.name == MANUAL_SOURCE):
            origin = _typed(typed[value])
        else:
            origin = _record(record) if record is not None else {"manual": None}
        found.append({"value": value, **origin})
    return found


def _tags(profile: Profile) -> dict:
    """The tags' origins: the latest edit of the list by hand (who, when, the tags removed),
    and for each tag the records stating it and who added it by hand."""
    stamp = (profile.provenance or {}).get("tags")
    stamp = stamp if isinstance(stamp, dict) else {}
    origin = _typed(stamp) if "manual" in stamp else {}
    if "removed" in stamp:
        origin["removed"] = list(stamp.get("removed") or [])
    sources = tag_sources(profile)
    added = added_tags(profile.provenance)
    items = []
    for tag in profile.tags:
        item = {
            "name": tag.name,
            "sources": [
                {"source": source, "source_record_id": record_id}
                for source, record_id in sources.get(tag.name, [])
            ],
        }
        if tag.name in added:
            item.update(_typed(added[tag.name]))
        items.append(item)
    return {**origin, "items": items}


def _stage_record(profile: Profile, label: str) -> SourceRecord | None:
    """The record of the profile that states its stage: of the source the move names,
    else the most trusted, the most recently updated."""
    stating = [r for r in profile.source_records if (r.fields or {}).get("stage") == profile.stage]
    named = label.removeprefix("import:") if label.startswith("import:") else None
    return max(
        stating,
        key=lambda r: (r.source.name == named, r.source.trust_rank, r.updated_at, r.id),
        default=None,
    )


def stage_origin(profile: Profile) -> dict:
    """Where the profile's stage comes from: the latest move of its history to it (the
    first row of the page's stage history): when, why, and by a person (manual), a
    merge (merge_id), the record that states it (source, source_record_id), or what else
    moved it (actor). Empty when no move of the history leads to it."""
    change: StageChange | None = next(
        (c for c in reversed(profile.stage_changes) if c.to_stage == profile.stage), None
    )
    if change is None:
        return {}
    origin: dict = {"at": change.at.isoformat(), "reason": change.reason}
    label = change.actor_label or ""
    kind, _, merge_id = label.partition(":")
    if kind == "merge" and merge_id.isdigit():
        return {**origin, "merge_id": int(merge_id)}
    if change.actor_user_id is not None:
        return {**origin, "manual": change.actor_user_id}
    record = _stage_record(profile, label)
    if record is not None:
        return {**origin, **_record(record)}
    return {**origin, "actor": label}


def profile_provenance(profile: Profile) -> dict:
    """Where every value of the profile comes from, as the API gives it: each field's
    origin (Profile.provenance), each email's and phone's, the tags' and the stage's."""
    stored = profile.provenance or {}
    found = {name: stored[name] for name in PROFILE_FIELDS if isinstance(stored.get(name), dict)}
    records = {r.id: r for r in profile.source_records}
    for kind in ("emails", "phones"):
        typed = typed_identifiers(stored, kind)
        found[kind] = _identifiers(getattr(profile, kind), kind[:-1], records, typed)
    found["tags"] = _tags(profile)
    found["stage"] = stage_origin(profile)
    return found
