"""Importing person records from files: normalise, match deterministically, report.

A file is streamed and stored a batch of rows at a time (one transaction per batch), so
memory stays flat and a failure keeps the batches already stored. Every row ends up
somewhere: imported (created, merged, updated or unchanged) or rejected with its reason;
every dropped field value is reported as a warning with its row and column.

Deterministic matching only (DESIGN.md, identity resolution): same source and external id,
else the same normalised email, else the same E.164 phone. Fuzzy matching comes later.
"""

import io
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.models import (
    LEGAL_BASES,
    PROFILE_FIELDS,
    ConsentRecord,
    ImportBatch,
    ImportRejection,
    Profile,
    ProfileEmail,
    ProfilePhone,
    Source,
    SourceRecord,
)
from crm.models.base import utcnow
from crm.services import audit, readers, survivorship
from crm.services.errors import ValidationError
from crm.services.normalise import (
    clean_text,
    fold,
    normalise_country,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
)

BATCH_SIZE = 500
FORMATS = ("auto", "csv", "hubspot", "mailchimp", "jsonl")
# What a --mapping file may map a header onto ("" means: ignore the column).
MAPPING_TARGETS = frozenset(readers.SYNONYMS) | frozenset(
    [*readers.HUBSPOT_EXTRA.values(), *readers.MAILCHIMP_EXTRA.values()]
)
SUMMARY_KEYS = ("rows", "created", "merged", "review", "rejected", "suppressed", "warnings")
EXTRA_KEYS = ("updated", "unchanged", "consents")

# Lifecycle stage names of other tools (folded, spaces removed) -> ours.
STAGE_ALIASES = {
    "subscriber": "lead",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "mql": "mql",
    "salesqualifiedlead": "sql",
    "sql": "sql",
    "opportunity": "sql",
    "opportunita": "sql",
    "customer": "customer",
    "evangelist": "customer",
    "cliente": "customer",
}
# HubSpot's legal-basis texts (folded, first match wins) -> GDPR Art. 6 basis.
LEGAL_BASIS_TEXTS = (
    ("freely given consent", "consent"),
    ("legitimate interest", "legitimate_interests"),
    ("performance of a contract", "contract"),
    ("legal obligation", "legal_obligation"),
    ("consent", "consent"),
    ("contract", "contract"),
)
_TRUE = {"true", "yes", "y", "1", "si", "x"}
_NAME_PARTICLES = {"de", "di", "da", "del", "della", "dei", "degli", "van", "von", "la", "lo"}
_LIST_SPLIT = re.compile(r"[;,]")
_TIME_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M")


def _column_limit(name: str) -> int | None:
    """The length limit of a profile column, so an over-long value warns instead of failing."""
    return getattr(Profile.__table__.c[name].type, "length", None)


_FIELD_NORMALISERS: dict[str, Callable] = {
    "first_name": normalise_name,
    "last_name": normalise_name,
    "postcode": normalise_postcode,
    "country": normalise_country,
    "birth_date": lambda v: d.isoformat() if (d := normalise_date(v)) else None,
}


@dataclass
class NormalisedRow:
    """A row's normalised values, identifiers and the problems found on the way."""

    external_id: str | None = None
    fields: dict = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    stage: str | None = None
    # (canonical field, reason) for each value left out of the normalised record
    warnings: list[tuple[str, str]] = field(default_factory=list)
    reject_reason: str | None = None

    @property
    def has_name(self) -> bool:
        """True when the row names the person."""
        return bool(self.fields.get("first_name") or self.fields.get("last_name"))

    def record_fields(self) -> dict:
        """The normalised record as stored on the source record (JSON-ready)."""
        data = dict(self.fields)
        for key in ("emails", "phones", "tags"):
            if getattr(self, key):
                data[key] = list(getattr(self, key))
        if self.stage:
            data["stage"] = self.stage
        return data


def split_full_name(full: str) -> tuple[str | None, str | None]:
    """Split 'Maria Grazia De Luca' into ('Maria Grazia', 'De Luca'); 'Rossi, Anna' too."""
    text = clean_text(full)
    if not text:
        return None, None
    if "," in text:
        last, _, first = text.partition(",")
        return clean_text(first), clean_text(last)
    parts = text.split(" ")
    if len(parts) == 1:
        return parts[0], None
    cut = len(parts) - 1
    while cut > 1 and parts[cut - 1].lower().rstrip("'’") in _NAME_PARTICLES:
        cut -= 1
    return " ".join(parts[:cut]), " ".join(parts[cut:])


def _items(value) -> list[str]:
    """A cell as a list: lists stay lists, text splits on commas and semicolons."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v not in (None, "")]
    return [part for part in _LIST_SPLIT.split(str(value)) if part.strip()]


def normalise_stage(value) -> str | None:
    """Our lifecycle stage for a stage name from a file. Raises ValueError if unknown."""
    text = clean_text(value)
    if text is None:
        return None
    stage = STAGE_ALIASES.get(fold(text).replace(" ", ""))
    if stage is None:
        raise ValueError(f"unknown lifecycle stage {text!r}")
    return stage


def normalise_row(values: dict, region: str) -> NormalisedRow:
    """Normalise one mapped row (canonical field -> value); a pure function."""
    row = NormalisedRow()
    external = clean_text(values.get("external_id") or values.get("id"))
    if external and len(external) > 200:
        row.reject_reason = "external id longer than 200 characters"
    row.external_id = external
    for name in PROFILE_FIELDS:
        if values.get(name) in (None, ""):
            continue
        try:
            value = _FIELD_NORMALISERS.get(name, clean_text)(values[name])
        except ValueError as exc:
            row.warnings.append((name, str(exc)))
            continue
        limit = _column_limit(name)
        if value and limit and len(value) > limit:
            row.warnings.append((name, f"longer than {limit} characters"))
            continue
        if value:
            row.fields[name] = value
    if values.get("full_name") and not row.has_name:
        first, last = split_full_name(str(values["full_name"]))
        for key, part in (("first_name", first), ("last_name", last)):
            if part:
                row.fields[key] = normalise_name(part)
    for item in _items(values.get("email")):
        _add(row.emails, row.warnings, "email", normalise_email, item)
    phone_region = row.fields.get("country") or region
    for item in _items(values.get("phone")):
        _add(row.phones, row.warnings, "phone", lambda v: normalise_phone(v, phone_region), item)
    for tag in _items(values.get("tags")):
        text = clean_text(tag.strip().strip('"'))
        if text and text[:80] not in row.tags:
            row.tags.append(text[:80])
    try:
        row.stage = normalise_stage(values.get("stage"))
    except ValueError as exc:
        row.warnings.append(("stage", str(exc)))
    return row


def _add(target: list[str], warnings: list, name: str, normaliser: Callable, value) -> None:
    """Normalise value into target (no duplicates), or record why it was left out."""
    try:
        clean = normaliser(value)
    except ValueError as exc:
        warnings.append((name, str(exc)))
        return
    if clean and clean not in target:
        target.append(clean)


def parse_time(value) -> datetime | None:
    """A timestamp from an export (ISO or US/EU text); naive means UTC. Raises ValueError."""
    text = clean_text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _TIME_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        else:
            raise ValueError("unrecognised time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class ConsentFact:
    """What one imported row says about email-marketing consent."""

    status: str
    legal_basis: str
    recorded_at: datetime | None
    evidence: dict
    warnings: list[tuple[str, str]] = field(default_factory=list)


def _raw_value(raw: dict, key: str) -> str | None:
    """A raw cell by folded header name (for columns the readers do not map)."""
    for header, value in raw.items():
        if readers.header_key(str(header)) == key:
            return clean_text(value)
    return None


def legal_basis_from_text(text: str | None) -> str | None:
    """Our legal basis for a tool's legal-basis text, if recognised."""
    folded = fold(text)
    for needle, basis in LEGAL_BASIS_TEXTS:
        if needle in folded:
            return basis
    return None


def consent_from_row(fmt: str, values: dict, raw: dict) -> ConsentFact | None:
    """The email-marketing consent a Mailchimp or HubSpot row states, if any; pure."""
    warnings: list[tuple[str, str]] = []

    def when(name: str) -> datetime | None:
        try:
            return parse_time(values.get(name))
        except ValueError as exc:
            warnings.append((name, str(exc)))
            return None

    status_text = fold(values.get("subscription_status"))
    if fmt == "mailchimp":
        evidence = {
            k: clean_text(values.get(k))
            for k in ("optin_time", "optin_ip", "confirm_time", "confirm_ip")
        }
        unsub_time = clean_text(values.get("unsub_time"))
        clean_time = _raw_value(raw, "clean time")
        if status_text in ("unsubscribed", "cleaned") or unsub_time or clean_time:
            evidence.update(
                status=status_text or ("cleaned" if clean_time else "unsubscribed"),
                unsub_time=unsub_time,
                clean_time=clean_time,
            )
            at = when("unsub_time") or when("last_changed")
            return ConsentFact("withdrawn", "consent", at, evidence, warnings)
        if status_text in ("subscribed", "") and (
            evidence["optin_time"] or evidence["confirm_time"]
        ):
            at = when("confirm_time") or when("optin_time")
            return ConsentFact("granted", "consent", at, evidence, warnings)
        return None
    if fmt == "hubspot":
        basis_text = clean_text(values.get("legal_basis"))
        basis = legal_basis_from_text(basis_text)
        evidence = {"legal_basis_text": basis_text}
        unsubscribed = fold(values.get("unsubscribed")) in _TRUE
        if unsubscribed or status_text in ("unsubscribed", "opted out"):
            evidence["unsubscribed_from_all_email"] = True
            return ConsentFact("withdrawn", basis or "consent", None, evidence, warnings)
        if basis_text and basis is None:
            warnings.append(("legal_basis", "unrecognised legal basis"))
        if basis:
            return ConsentFact("granted", basis, None, evidence, warnings)
    return None


def validate_mapping(data: object) -> dict[str, str]:
    """Check a --mapping object {header: field or ""}. Raises ValidationError."""
    if not isinstance(data, dict):
        raise ValidationError("The mapping must be a JSON object {header: field}.")
    problems = {}
    for header, target in data.items():
        if not isinstance(target, str) or (target and target not in MAPPING_TARGETS):
            problems[str(header)] = [
                f"unknown field {target!r}; use one of {', '.join(sorted(MAPPING_TARGETS))} "
                'or "" to ignore the column'
            ]
    if problems:
        raise ValidationError("The mapping names unknown fields.", fields=problems)
    return {str(k): v for k, v in data.items()}


def ensure_source(name: str, region: str | None = None) -> Source:
    """The source called name, created (first party, trust 50) when unknown.

    Raises ValidationError for an unusable name or region.
    """
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise ValidationError("A source name of 1 to 64 characters is required.")
    if region is not None and not re.fullmatch(r"[A-Za-z]{2}", region):
        raise ValidationError("The region must be a two-letter country code such as IT.")
    source = db.session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(
            name=name,
            label=name,
            party="first",
            trust_rank=50,
            default_region=(region or "IT").upper(),
        )
        db.session.add(source)
        db.session.flush()
    return source


def _looks_like_jsonl(stream: BinaryIO, filename: str) -> bool:
    """JSON Lines by extension, else by a first character '{'."""
    if filename.lower().endswith((".jsonl", ".ndjson", ".json")):
        return True
    if not stream.seekable():
        return False
    head = stream.read(1024)
    stream.seek(0)
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def open_reader(
    stream: BinaryIO, *, filename: str, fmt: str, overrides: dict[str, str] | None
) -> tuple[readers.Mapping, Iterator[readers.Row]]:
    """The reader for a file: JSON Lines or CSV (plain, HubSpot, Mailchimp).

    Raises ValidationError when no column of a CSV file can be used.
    """
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    if fmt == "jsonl" or (fmt == "auto" and _looks_like_jsonl(stream, filename)):
        return readers.read_jsonl(stream, overrides)
    mapping, rows = readers.read_csv(stream, fmt=fmt, overrides=overrides)
    if mapping.unmapped and not mapping.columns:
        raise ValidationError(
            "No column of the file could be recognised; give a --mapping.",
            fields={"columns": mapping.unmapped},
        )
    return mapping, rows


def _jsonable(value):
    """Raw values as JSON can hold them."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class _Run:
    """The state of one import run: its source, batch, counts and row handling."""

    def __init__(self, source: Source, batch: ImportBatch, mapping, region, overrides):
        self.source_id = source.id
        self.source_name = source.name
        self.batch_id = batch.id
        self.format = mapping.format
        self.region = region
        self.overrides = overrides
        self.headers = {target: header for header, target in mapping.columns.items()}
        self.counts: Counter = Counter(dict.fromkeys((*SUMMARY_KEYS, *EXTRA_KEYS), 0))

    def column(self, row: readers.Row, name: str) -> str:
        """The file's header for a canonical field (what a person will look for)."""
        headers = self.headers
        if self.format == "jsonl":
            local = readers.map_headers(list(row.raw), "jsonl", self.overrides).columns
            headers = {target: header for header, target in local.items()}
        if name in headers:
            return headers[name]
        if name in ("first_name", "last_name") and "full_name" in headers:
            return headers["full_name"]
        return name

    def note(self, row: readers.Row, kind: str, reason: str, column: str | None = None) -> None:
        """Keep a rejection or warning in the batch report."""
        db.session.add(
            ImportRejection(
                batch_id=self.batch_id,
                row_number=row.number,
                column=column,
                reason=reason[:500],
                kind=kind,
                raw=_jsonable(row.raw),
            )
        )
        self.counts["rejected" if kind == "rejected" else "warnings"] += 1

    def handle(self, row: readers.Row) -> str:
        """Import one row; returns its outcome."""
        self.counts["rows"] += 1
        if row.error:
            self.note(row, "rejected", row.error)
            return "rejected"
        norm = normalise_row(row.values, self.region)
        consent = consent_from_row(self.format, row.values, row.raw)
        warnings = list(norm.warnings) + (consent.warnings if consent else [])
        for name, reason in warnings:
            self.note(row, "warning", reason, self.column(row, name))
        if norm.reject_reason:
            self.note(row, "rejected", norm.reject_reason)
            return "rejected"
        if not (norm.external_id or norm.emails or norm.phones or norm.has_name):
            self.note(row, "rejected", "no usable email, phone, external id or name")
            return "rejected"
        conflicts: list[tuple[str, str]] = []
        try:
            with db.session.begin_nested():
                outcome = self._store(row, norm, consent, conflicts)
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", exc).__class__.__name__
            self.note(row, "rejected", f"could not be stored ({reason})")
            return "rejected"
        for name, reason in conflicts:
            self.note(row, "warning", reason, self.column(row, name))
        self.counts[outcome] += 1
        return outcome

    def _existing_record(self, norm: NormalisedRow, raw: dict) -> SourceRecord | None:
        """This source's earlier record of the same row, if any.

        With an external id that is the record with that id; without one, a record of
        this source with the same first identifier (or name) and the same raw payload.
        """
        query = select(SourceRecord).where(SourceRecord.source_id == self.source_id)
        if norm.external_id:
            return db.session.scalar(query.where(SourceRecord.external_id == norm.external_id))
        query = query.where(SourceRecord.external_id.is_(None))
        if norm.emails:
            query = query.where(SourceRecord.email == norm.emails[0])
        elif norm.phones:
            query = query.where(SourceRecord.phone == norm.phones[0])
        else:
            name = fold(" ".join(norm.fields.get(k, "") for k in ("first_name", "last_name")))
            query = query.join(Profile).where(
                SourceRecord.email.is_(None),
                SourceRecord.phone.is_(None),
                Profile.search_name == name[:210],
            )
        for candidate in db.session.scalars(query.limit(50)):
            if candidate.raw == raw:
                return candidate
        return None

    def _owners(self, norm: NormalisedRow) -> tuple[dict[str, int], dict[str, int]]:
        """Which profile holds each of the row's emails and phones."""
        emails = (
            dict(
                db.session.execute(
                    select(ProfileEmail.email, ProfileEmail.profile_id).where(
                        ProfileEmail.email.in_(norm.emails)
                    )
                ).all()
            )
            if norm.emails
            else {}
        )
        phones = (
            dict(
                db.session.execute(
                    select(ProfilePhone.phone, ProfilePhone.profile_id).where(
                        ProfilePhone.phone.in_(norm.phones)
                    )
                ).all()
            )
            if norm.phones
            else {}
        )
        return emails, phones

    def _store(self, row, norm: NormalisedRow, consent, conflicts: list) -> str:
        """Store the row's source record, attach it to a profile and recompute that profile."""
        raw = _jsonable(row.raw)
        fields = norm.record_fields()
        record = self._existing_record(norm, raw)
        if record is not None and record.profile_id is not None:
            if record.raw == raw and record.fields == fields:
                return "unchanged"
        email_owner, phone_owner = self._owners(norm)
        if record is not None and record.profile_id is not None:
            target_id = record.profile_id
        else:
            target_id = next((email_owner[e] for e in norm.emails if e in email_owner), None)
            if target_id is None:
                target_id = next((phone_owner[p] for p in norm.phones if p in phone_owner), None)
        for name, owners in (("email", email_owner), ("phone", phone_owner)):
            for owner in owners.values():
                if target_id is not None and owner != target_id:
                    conflicts.append(
                        (name, f"{name} belongs to another profile (#{owner}); not merged")
                    )
        if record is None:
            record = SourceRecord(source_id=self.source_id, external_id=norm.external_id)
            db.session.add(record)
            outcome = "merged" if target_id is not None else "created"
        else:
            outcome = (
                "updated"
                if record.profile_id is not None
                else ("merged" if target_id is not None else "created")
            )
        record.raw = raw
        record.fields = fields
        record.email = norm.emails[0] if norm.emails else None
        record.phone = norm.phones[0] if norm.phones else None
        record.batch_id = self.batch_id
        record.updated_at = utcnow()
        if target_id is None:
            profile = Profile(provenance={})
            db.session.add(profile)
        else:
            profile = db.session.get(Profile, target_id)
        record.profile = profile
        db.session.flush()
        survivorship.recompute(profile)
        if consent is not None and self._record_consent(profile, record, consent):
            self.counts["consents"] += 1
        return outcome

    def _record_consent(self, profile: Profile, record: SourceRecord, fact) -> bool:
        """Append the row's consent unless the same statement is already on file."""
        history = db.session.execute(
            select(ConsentRecord.status, ConsentRecord.source_id, ConsentRecord.recorded_at)
            .where(
                ConsentRecord.profile_id == profile.id,
                ConsentRecord.purpose == "email_marketing",
            )
            .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        ).all()
        same = [h for h in history if h.status == fact.status and h.source_id == self.source_id]
        if fact.recorded_at is not None:
            if any(h.recorded_at == fact.recorded_at for h in same):
                return False
        elif history and history[0] in same:
            return False
        evidence = {k: v for k, v in fact.evidence.items() if v is not None}
        evidence.update(source=self.source_name, batch_id=self.batch_id)
        db.session.add(
            ConsentRecord(
                profile_id=profile.id,
                purpose="email_marketing",
                status=fact.status,
                legal_basis=fact.legal_basis if fact.legal_basis in LEGAL_BASES else "consent",
                recorded_at=fact.recorded_at or utcnow(),
                source_id=self.source_id,
                source_record_id=record.id,
                evidence=evidence,
            )
        )
        return True


def _chunks(rows: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of at most size items, read lazily."""
    chunk = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_stream(
    stream: BinaryIO,
    *,
    filename: str,
    source_name: str,
    fmt: str = "auto",
    overrides: dict | None = None,
    region: str | None = None,
    actor=None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Import a file's rows as source records of source_name; returns the summary.

    The summary has rows, created, merged, review, rejected, suppressed, warnings and
    batch_id (plus updated, unchanged and consents). Raises ValidationError for a bad
    format, mapping, source name or region, or a file with no usable column; any other
    failure marks the batch failed (batches already stored stay) and is raised again.
    """
    overrides = validate_mapping(overrides) if overrides is not None else None
    mapping, rows = open_reader(stream, filename=filename, fmt=fmt, overrides=overrides)
    source = ensure_source(source_name, region)
    region = (region or source.default_region or "IT").upper()
    actor_label = audit.actor_fields(actor)["actor_label"]
    batch = ImportBatch(
        source_id=source.id,
        filename=os.path.basename(filename)[:255],
        format=mapping.format,
        mapping={"columns": mapping.columns, "unmapped": mapping.unmapped},
        actor_label=actor_label,
    )
    db.session.add(batch)
    db.session.commit()
    run = _Run(source, batch, mapping, region, overrides)
    try:
        for chunk in _chunks(rows, batch_size):
            for row in chunk:
                run.handle(row)
            db.session.commit()
            if progress:
                progress(dict(run.counts))
    except Exception:
        db.session.rollback()
        _finish(run, "failed", actor)
        raise
    return _finish(run, "done", actor)


def _finish(run: _Run, status: str, actor) -> dict:
    """Close the batch, audit the run (ids and counts only) and commit."""
    batch = db.session.get(ImportBatch, run.batch_id)
    batch.status = status
    batch.finished_at = utcnow()
    batch.counts = dict(run.counts)
    audit.record(
        "import.run",
        actor=actor,
        object_type="import_batch",
        object_id=run.batch_id,
        details={"batch_id": run.batch_id, "status": status, "counts": dict(run.counts)},
    )
    db.session.commit()
    return {**{k: run.counts[k] for k in SUMMARY_KEYS}, **dict(run.counts), "batch_id": batch.id}


class _Borrowed(io.RawIOBase):
    """A read-only view of a stream that the readers' wrappers may close or finalise.

    The readers wrap the stream in buffers that, once dropped, close what they wrap and
    warn about an unclosed file; the file belongs to import_file, which closes it.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer) -> int:
        """Read from the borrowed stream."""
        return self._stream.readinto(buffer)


def import_file(path: str, **kwargs) -> dict:
    """Import the file at path (see import_stream). Raises ValidationError if unreadable."""
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise ValidationError(f"Cannot read {os.path.basename(path)}: {exc.strerror}.") from exc
    with stream:
        if _looks_like_jsonl(stream, path) and kwargs.get("fmt", "auto") == "auto":
            kwargs["fmt"] = "jsonl"
        return import_stream(_Borrowed(stream), filename=path, **kwargs)
