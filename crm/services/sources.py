"""Sources: what admins see and set about each system that gives us person records.

A source's trust rank decides which record's value a profile shows when its sources
disagree (services/survivorship). Changing it chooses those values again, for the profiles
whose records come from this source and another: as a background job, since a big source
can stand behind most of the CRM. The phone country applies to the files imported after
the change; numbers already read keep the country they were read in.
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
from anyascii import anyascii
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.models import ImportBatch, Job, Profile, Source, SourceRecord, User
from crm.models.source import PARTIES
from crm.services import audit, jobs, match_keys, survivorship
from crm.services.errors import ConflictError, NotFoundError, ValidationError
from crm.services.profiles import MANUAL_LABEL, MANUAL_SOURCE

SETTINGS = ("label", "party", "trust_rank", "default_region")
# Why a source's label may not look like the manual-entry source's.
LOOKS_MANUAL = "This label would pass for the app's own manual-entry source."
TRUST_RANKS = range(0, 101)
# Why the manual-entry source is refused as an admin's or an import's (crm/views/reasons.py
# says it in the reader's language).
MANUAL_ENTRY = "Manual entry is the app's own source: a value typed by hand always wins."
# Profiles chosen again per transaction: short enough not to hold up an import for long.
RECOMPUTE_CHUNK = 200
# The slowest profiles are assumed to be chosen again (a few hundred a second is usual).
RECOMPUTE_FLOOR_PER_SECOND = 20
# A chunk that an import or a user changed meanwhile is read again, this many times.
RECOMPUTE_RETRIES = 3


@dataclass
class SourceSummary:
    """A source with how much it gave: records, profiles they stand behind, last import."""

    source: Source
    records: int
    profiles: int
    last_import: datetime | None

    @property
    def editable(self) -> bool:
        """Whether admins may change its settings (not the app's own manual entry)."""
        return self.source.name != MANUAL_SOURCE


def list_sources() -> list[SourceSummary]:
    """Every source, most trusted first, with its counts (one query each, not per source)."""
    counts = {
        row.source_id: (row.records, row.profiles)
        for row in db.session.execute(
            select(
                SourceRecord.source_id,
                func.count().label("records"),
                func.count(SourceRecord.profile_id.distinct()).label("profiles"),
            ).group_by(SourceRecord.source_id)
        )
    }
    last = dict(
        db.session.execute(
            select(ImportBatch.source_id, func.max(ImportBatch.started_at)).group_by(
                ImportBatch.source_id
            )
        ).all()
    )
    found = db.session.scalars(select(Source).order_by(Source.trust_rank.desc(), Source.name))
    return [
        SourceSummary(source, *counts.get(source.id, (0, 0)), last.get(source.id))
        for source in found
    ]


def get_source(source_id: int) -> Source:
    """The source with this id. Raises NotFoundError."""
    source = db.session.get(Source, source_id)
    if source is None:
        raise NotFoundError("No such source.")
    return source


def find_source(name: str) -> Source:
    """The source called name. Raises NotFoundError."""
    source = db.session.scalar(select(Source).where(Source.name == (name or "").strip()))
    if source is None:
        raise NotFoundError(f"No source is called {name!r}.")
    return source


def name_key(name: str) -> str:
    """What two source names are compared by: trimmed, without case, and with letters
    written alike however they are encoded (NFKC), so "Shopify" is "shopify"."""
    return unicodedata.normalize("NFKC", (name or "").strip()).casefold()


def source_for_records(name: str) -> Source | None:
    """The source that records sent under name go to: the one called name (spaces at its
    ends trimmed, as imports do), or None when none is, and the import will create it.

    A name that differs from an existing source's only in case ("Shopify" for "shopify")
    is almost always one system's name mistyped in an integration's settings: created, it
    would be a second source holding the same customers' ids again, each record matched
    to its profile a second time and ranked apart. It is refused instead, naming the
    source it resembles, so the first call tells.

    The app's own manual-entry source takes no records from outside (refuse_manual_records).

    Raises ValidationError (the manual source's name), ConflictError.
    """
    name = (name or "").strip()
    refuse_manual_records(name)
    source = db.session.scalar(select(Source).where(Source.name == name))
    if source is not None:
        return source
    key = name_key(name)
    # Sources are few (one per system): compared here, alike in every database (SQLite's
    # lower() folds only ASCII letters).
    alike = [other for other in db.session.scalars(select(Source.name)) if name_key(other) == key]
    if alike:
        named = ", ".join(repr(other) for other in sorted(alike))
        raise ConflictError(
            f"A source is already called {named}; a name differing from it only in case "
            "is refused, so that one system does not become two sources. Send the records "
            "under that name.",
            fields={"source": [f"Differs only in case from {named}."]},
        )
    return None


# Why records sent under the manual source's name are refused, beside the name (the API's
# per-field message; pages say refuse_manual's message, in the reader's language).
MANUAL_RECORDS = (
    f"'{MANUAL_SOURCE}' is the app's own source of values typed by hand in the CRM: records "
    "cannot be sent or imported under it. Send them under the name of the system they "
    "come from."
)


def refuse_manual_records(name: str) -> None:
    """Refuse records sent or imported under the manual-entry source's name, in any case.

    Values typed by hand win over every source, and the manual source ranks above all
    others: records under its name (an integration's, a file's) would outrank what every
    real source says and pass for a person's edits.

    Raises ValidationError.
    """
    if passes_for_manual(name):
        raise ValidationError(MANUAL_ENTRY, fields={"source": [MANUAL_RECORDS]})


# Characters that pass for others in a name: "manuaI" (a capital i), "manua1", "rn" for "m".
_LOOKALIKES = (("rn", "m"), ("1", "l"), ("i", "l"), ("|", "l"), ("0", "o"))


def _looks(text: str) -> str:
    """What a name looks like to a reader: in Latin letters (a Cyrillic 'а' is an 'a'),
    without case, spaces or punctuation, lookalike characters made one."""
    folded = anyascii(unicodedata.normalize("NFKC", text or "")).casefold()
    looks = "".join(ch for ch in folded if ch.isalnum())
    for seen, meant in _LOOKALIKES:
        looks = looks.replace(seen, meant)
    return looks


def passes_for_manual(name: str) -> bool:
    """Whether a source's name or label would pass for the manual-entry source's ("manual",
    "Manual entry", "manual.", "manuaI", a Cyrillic "mаnual"): on a profile page it would
    say "from Manual entry" of an import's values."""
    return _looks(name) in {_looks(MANUAL_SOURCE), _looks(MANUAL_LABEL)}


def _cleaned(source: Source, data: dict) -> dict:
    """The settings in data, checked and normalised. Raises ValidationError."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    if "label" in data:
        label = " ".join(str(data["label"] or "").split())
        if len(label) > 200:
            errors["label"] = ["At most 200 characters."]
        elif source.name != MANUAL_SOURCE and passes_for_manual(label):
            errors["label"] = [LOOKS_MANUAL]
        clean["label"] = label or source.name
    if "party" in data:
        if data["party"] not in PARTIES:
            errors["party"] = [f"One of {', '.join(PARTIES)}."]
        clean["party"] = data["party"]
    if "trust_rank" in data:
        rank = data["trust_rank"]
        if isinstance(rank, bool) or not isinstance(rank, int) or rank not in TRUST_RANKS:
            errors["trust_rank"] = ["A whole number from 0 to 100."]
        clean["trust_rank"] = rank
    if "default_region" in data:
        region = str(data["default_region"] or "").strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            errors["default_region"] = ["A country code phone numbers can be read for, e.g. IT."]
        clean["default_region"] = region
    unknown = set(data) - set(SETTINGS)
    for name in sorted(unknown):
        errors[name] = ["Not a setting of a source."]
    if errors:
        raise ValidationError("The source's settings were refused.", fields=errors)
    return clean


def refuse_manual(source: Source) -> None:
    """Raises ConflictError for the app's own manual-entry source (its settings are not
    an admin's to change: a value typed by hand always wins)."""
    if source.name == MANUAL_SOURCE:
        raise ConflictError(MANUAL_ENTRY)


def update_source(
    source_id: int, data: dict, *, expected_version: int | None, actor: User | str | None
) -> tuple[Source, list[str]]:
    """Change a source's label, party, trust rank or phone country; returns it and the
    names of what changed. The caller starts recompute when trust_rank is among them.

    Raises NotFoundError, ValidationError, ConflictError (the source changed since
    expected_version, or it is the app's own manual-entry source).
    """
    source = get_source(source_id)
    refuse_manual(source)
    if expected_version is not None and expected_version != source.version:
        raise ConflictError(
            "Someone else changed this source meanwhile; check its settings and save again.",
            fields={"version": [f"current version is {source.version}"]},
        )
    clean = _cleaned(source, data)
    changes = {
        name: [getattr(source, name), value]
        for name, value in clean.items()
        if getattr(source, name) != value
    }
    for name, (_, value) in changes.items():
        setattr(source, name, value)
    if changes:
        audit.record(
            "source.update",
            actor=actor,
            object_type="source",
            object_id=source.id,
            details={"changed": changes},
        )
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise ConflictError(
            "Someone else changed this source meanwhile; check its settings and save again."
        ) from None
    return source, sorted(changes)


def profiles_to_recompute(source_id: int):
    """A select of the ids of profiles whose records come from this source and another:
    the only ones whose values a change of its trust rank can change."""
    other = (
        select(SourceRecord.profile_id)
        .where(SourceRecord.source_id != source_id, SourceRecord.profile_id.is_not(None))
        .scalar_subquery()
    )
    return (
        select(SourceRecord.profile_id)
        .where(SourceRecord.source_id == source_id, SourceRecord.profile_id.in_(other))
        .distinct()
        .order_by(SourceRecord.profile_id)
    )


def _recompute_chunk(ids: list[int]) -> int:
    """Choose the values of these profiles again; commits. Returns how many changed."""
    found = db.session.scalars(
        select(Profile)
        .where(Profile.id.in_(ids), Profile.merged_into_id.is_(None))
        .options(
            selectinload(Profile.source_records),
            selectinload(Profile.emails),
            selectinload(Profile.phones),
            selectinload(Profile.tags),
            selectinload(Profile.stage_changes),
        )
    ).all()
    changed = [p for p in found if survivorship.recompute(p, refresh_keys=False)]
    match_keys.refresh_many(changed)
    db.session.commit()
    return len(changed)


def recompute(source_id: int, *, progress=None) -> dict:
    """Choose again the values of every profile a change of this source's trust rank can
    change, in short transactions; progress(done, total) is told after each. Returns
    counts: profiles looked at and changed.

    Raises NotFoundError, ConflictError when profiles keep changing under it.
    """
    get_source(source_id)
    ids = list(db.session.scalars(profiles_to_recompute(source_id)))
    db.session.rollback()  # no transaction held open between chunks
    changed = 0
    for start in range(0, len(ids), RECOMPUTE_CHUNK):
        chunk = ids[start : start + RECOMPUTE_CHUNK]
        for attempt in range(RECOMPUTE_RETRIES):
            try:
                changed += _recompute_chunk(chunk)
                break
            except StaleDataError:
                db.session.rollback()  # an import or a user changed one of them: read again
                if attempt == RECOMPUTE_RETRIES - 1:
                    raise ConflictError(
                        "Profiles kept changing while their values were chosen again; "
                        "run it again when the imports have finished."
                    ) from None
        if progress is not None:
            progress(start + len(chunk), len(ids))
    return {"profiles": len(ids), "changed": changed}


def start_recompute(source_id: int, *, actor: User | str | None) -> Job:
    """Queue the recompute of a source's profiles as a background job (given time by how
    many profiles it has to look at, at RECOMPUTE_FLOOR_PER_SECOND)."""
    ids = profiles_to_recompute(source_id).order_by(None).subquery()
    count = db.session.scalar(select(func.count()).select_from(ids))
    timeout = max(jobs.JOB_TIMEOUT, count // RECOMPUTE_FLOOR_PER_SECOND)
    return jobs.enqueue("sources.recompute", {"source_id": source_id}, actor=actor, timeout=timeout)


def run_recompute(params: dict, *, progress: jobs.Progress, actor) -> dict:
    """Job function "sources.recompute": recompute, reporting progress."""
    source_id = params["source_id"]
    progress(0, None, "starting")

    def report(done: int, total: int) -> None:
        progress(done, total, f"{done} of {total} profiles")

    result = recompute(source_id, progress=report)
    audit.record(
        "source.recompute",
        actor=actor,
        object_type="source",
        object_id=source_id,
        details=result,
    )
    db.session.commit()
    return {"source_id": source_id, **result}
