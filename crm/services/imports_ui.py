"""Imports from the web UI: uploads kept in the instance folder, their preview, the job.

An upload is stored as instance/uploads/<random id>.bin with a <id>.json beside it (the
file's base name for display, source, format, uploader). The user's file name is never a
path. The file goes when its import job finishes, succeeded or failed; uploads nobody
imported go after UPLOAD_TTL.
"""

import csv
import io
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice
from typing import BinaryIO

import phonenumbers
from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.models import ImportBatch, ImportRejection, Job, Source, User
from crm.models.base import utcnow
from crm.services import audit, ingest, jobs, readers, sources
from crm.services.errors import ConflictError, NotFoundError, ValidationError
from crm.services.normalise import format_phone, lost_leading_zeros
from crm.services.profiles import MANUAL_SOURCE
from crm.services.rows import (
    list_items,
    name_order_counts,
    own_phone_region,
    phone_region_hint,
    read_phone,
)

UPLOAD_DIR = "uploads"
PHONE_SAMPLE = 3  # phones of the first rows shown read with the preview's country
UPLOAD_TTL_SECONDS = 24 * 3600
# The slowest an import is assumed to read its file (the importer reads ~100-200 KB/s of
# a typical CSV), so that a worker does not stop a big import as if it hung.
IMPORT_FLOOR_BYTES_PER_SECOND = 10_000
PREVIEW_ROWS = 5
# Rows read to collect the keys of a JSON Lines file (they may differ from line to line).
JSONL_KEY_ROWS = 50
REPORT_COLUMNS = ("row", "kind", "column", "reason")
# The fields that name a person: a file with none of them mapped has every row rejected.
IDENTITY_FIELDS = frozenset({"email", "phone", "first_name", "last_name", "full_name"})
# The preview's warnings about the mapping (crm/views/reasons.py says them in Italian).
NO_IDENTITY = (
    "No column is read as an email, a phone or a name, so every row would be rejected: "
    "choose below the columns that hold them."
)
FULL_NAME_BY_VALUES = (
    '"{column}" is read as the full name: most of its values are two words or more and '
    "no column holds the surname."
)
NAMES_UNSURE = (
    "Too few full names to tell whether they are written surname first (Rossi Mario): "
    "they are read given name first. Choose the order below if that is wrong."
)
_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
# Cells a spreadsheet would run as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Upload:
    """A file uploaded for import and what the uploader said about it."""

    id: str
    filename: str
    source_name: str
    fmt: str
    user_id: int | None
    size: int
    created: float
    job_id: str | None = None
    # How its dates and full names read, and the country its phones read as, once a preview
    # told ([month_first, surname_first, region_hint], and True when the names were too
    # few to tell their order: Preview.names_unsure): telling reads up to
    # ingest.ORDER_SAMPLE_ROWS rows, too many for every page view.
    reading: list | None = None

    @property
    def region_hint(self) -> str | None:
        """The country a preview found the file's phones written as, if not the source's."""
        reading = self.reading or []
        return reading[2] if len(reading) > 2 else None


@dataclass
class Preview:
    """What the file looks like: format, encoding, delimiter, first rows, detected mapping."""

    format: str
    encoding: str
    delimiter: str | None
    headers: list[str]
    rows: list[list[str]]
    mapping: dict[str, str] = field(default_factory=dict)
    # For each row shown, the columns whose cells a workbook stores as numbers (Row.numbers).
    numbers: list[frozenset[str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # the tables of a zip archive
    # A header several columns share -> the names they are told apart by (readers.Mapping).
    repeated: dict[str, list[str]] = field(default_factory=dict)
    # A column left out because an earlier one took its field -> that column.
    rivals: dict[str, str] = field(default_factory=dict)
    # The sheets of a workbook that are read, and those that are not.
    sheets: list[str] = field(default_factory=list)
    other_sheets: list[str] = field(default_factory=list)
    held_sheets: list[str] = field(default_factory=list)  # "NON CONTATTARE" (readers)
    # How the import will read the file's numeric dates and full names (None: it has none).
    month_first: bool | None = None
    surname_first: bool | None = None
    # The full-name column's header says the surname comes first ("Cognome e nome").
    header_surname_first: bool = False
    # The country of its phones without a calling code: the source's (IT for a new one),
    # unless they read as another country's (region_hint, then preset to it).
    region: str = "IT"
    region_hint: str | None = None
    source_region: str = "IT"
    # A few phones of the first rows as they will be stored with that country: (as
    # written, international form or None when it reads as no number there).
    phones: list[tuple[str, str | None]] = field(default_factory=list)
    # The first rows' full names lean to surname first (two or more, more than the other
    # way), too few to tell (rows.surname_first).
    names_unsure: bool = False
    # The phones of the rows shown lost their leading 0, as a spreadsheet drops it.
    zeros_dropped: bool = False

    def note_mapping(self, settled: dict[str, str]) -> None:
        """Add the preview's warnings about the detected mapping: a column read by its
        values (settled: header -> field), and no column naming the person."""
        for header, target in settled.items():
            if target == "full_name":
                self.problems.append(FULL_NAME_BY_VALUES.format(column=header))
        if self.headers and not IDENTITY_FIELDS & set(self.mapping.values()):
            self.problems.append(NO_IDENTITY)

    def repeats(self) -> list[tuple[str, list[str], list[str]]]:
        """(header, the columns that share it, those of them the detected mapping leaves
        out though it maps another) for each header several columns share: the second of
        two "Name" columns is left out, its field taking one column only, and the preview
        says so."""
        found = []
        for header, columns in self.repeated.items():
            left = [c for c in columns if not self.mapping.get(c)]
            found.append((header, columns, left if len(left) < len(columns) else []))
        return found

    def rival_columns(self) -> list[tuple[str, str]]:
        """(column, the column whose field it wanted) for each column left out because an
        earlier one took its single-value field ("First name" beside "Nome"); repeated
        headers have their own note (repeats)."""
        repeated = {c for columns in self.repeated.values() for c in columns}
        return [
            (column, taker)
            for column, taker in self.rivals.items()
            if not self.mapping.get(column) and column not in repeated
        ]

    def sample_phones(self, limit: int = PHONE_SAMPLE) -> None:
        """Read the first phones of the rows shown as the import will (see phones): in
        the row's own country when it names one, else in region; with their leading 0 put
        back when the rows shown lost it (zeros_dropped, normalise.lost_leading_zeros)."""
        columns = [n for n, h in enumerate(self.headers) if self.mapping.get(h) == "phone"]
        countries = [n for n, h in enumerate(self.headers) if self.mapping.get(h) == "country"]
        phones = []  # (as written, the country it is read in first, a number cell's)
        for i, row in enumerate(self.rows):
            cells = [row[n] for n in countries if n < len(row) and row[n]]
            own = own_phone_region(cells[0]) if cells else None
            numbers = self.numbers[i] if i < len(self.numbers) else frozenset()
            for n in (n for n in columns if n < len(row) and row[n]):
                number = self.headers[n] in numbers
                phones += [(phone, own, number) for phone in list_items(row[n], "phone")]
        self.zeros_dropped = lost_leading_zeros(
            (cell, own or self.region) for cell, own, _ in phones
        )
        self.phones = []
        for cell, own, number in phones[:limit]:
            try:
                dropped = self.zeros_dropped or number
                stored = read_phone(cell, own, self.region, zeros_dropped=dropped)
            except ValueError:
                stored = None
            self.phones.append((cell, format_phone(stored) if stored else None))

    def read_order(self, first: list, rest: Iterator, region: str, known=None) -> None:
        """Tell, as the import will, how the file writes dates and names, and which
        country its phones read as if not region (rows.phone_region_hint): from the rows
        shown (first) and the rows after them (rest), ORDER_SAMPLE_ROWS in all; or take
        known, what an earlier preview of the file told ([month_first, surname_first,
        region_hint])."""
        if known is not None:
            self.month_first, self.surname_first, *more = known
            self.region_hint = more[0] if more else None
            self.names_unsure = bool(more[1]) if len(more) > 1 else False
            return
        sample = first + list(islice(rest, max(0, ingest.ORDER_SAMPLE_ROWS - len(first))))
        values = [row.values for row in sample if not row.error]
        self.region_hint = phone_region_hint(values, region)
        month_first, surname_first = ingest.reading_order(values, region)
        surname_first = surname_first or self.header_surname_first
        has_dates, has_names = ingest.reading_needed(values)
        if has_dates:
            self.month_first = month_first
        if has_names:
            self.surname_first = surname_first
            given, surname = name_order_counts(v.get("full_name") for v in values)
            self.names_unsure = not surname_first and surname > max(given, 1)


def upload_dir() -> str:
    """The folder of uploads, created private to this user."""
    path = os.path.join(current_app.instance_path, UPLOAD_DIR)
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def _paths(upload_id: str) -> tuple[str, str]:
    """The data and metadata files of an upload id. Raises NotFoundError for a bad id."""
    if not _UPLOAD_ID.fullmatch(upload_id or ""):
        raise NotFoundError("No such upload.")
    base = os.path.join(upload_dir(), upload_id)
    return base + ".bin", base + ".json"


def data_path(upload_id: str) -> str:
    """Where an upload's bytes are stored. Raises NotFoundError for a bad id."""
    return _paths(upload_id)[0]


def _write_meta(upload: Upload) -> None:
    """Store an upload's metadata atomically."""
    _data, meta = _paths(upload.id)
    tmp = meta + ".tmp"
    # Owner-only, as the file's bytes: the metadata names the file and its source.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(upload.__dict__, handle)
    os.replace(tmp, meta)


def source_names() -> list[str]:
    """The names of the existing sources, sorted."""
    return list(db.session.scalars(select(Source.name).order_by(Source.name)))


def import_source_names() -> list[str]:
    """The names of the existing sources a file may be imported into, sorted: not the
    app's own manual-entry source (sources.refuse_manual_records)."""
    return [name for name in source_names() if name != MANUAL_SOURCE]


def save_upload(
    stream: BinaryIO, *, filename: str, source_name: str, fmt: str, actor: User
) -> Upload:
    """Store an uploaded file for preview and import; returns the upload.

    Raises ValidationError for a bad source name or format, or an empty file.
    """
    problem = ingest.source_name_problem(source_name)
    if problem:
        raise ValidationError(problem, fields={"source": []})
    source_name = source_name.strip()
    try:
        sources.source_for_records(source_name)  # not a second spelling of a known one
    except ConflictError as clash:
        raise ValidationError(clash.message, fields={"source": []}) from None
    if fmt not in ingest.FORMATS:
        raise ValidationError(f"Unknown format {fmt!r}.", fields={"format": []})
    sweep_uploads()
    upload_id = secrets.token_hex(16)
    data, _meta = _paths(upload_id)
    fd = os.open(data, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
        size = out.tell()
    if size == 0:
        os.remove(data)
        raise ValidationError("The file is empty.", fields={"file": []})
    # Only the base name, for display: a browser may send a whole path.
    name = re.split(r"[\\/]", filename or "")[-1].strip()[:255] or "upload"
    upload = Upload(
        id=upload_id,
        filename=name,
        source_name=source_name,
        fmt=fmt,
        user_id=actor.id if isinstance(actor, User) else None,
        size=size,
        created=time.time(),
    )
    _write_meta(upload)
    audit.record(
        "import.upload", actor=actor, object_type="upload", object_id=upload_id, details={}
    )
    db.session.commit()
    return upload


def get_upload(upload_id: str, *, actor: User | None = None) -> Upload:
    """An upload by id; with an actor, only theirs (admins see all). Raises NotFoundError."""
    data, meta = _paths(upload_id)
    try:
        with open(meta, encoding="utf-8") as handle:
            upload = Upload(**json.load(handle))
    except (OSError, ValueError, TypeError):
        raise NotFoundError("No such upload.") from None
    if not os.path.exists(data):
        raise NotFoundError("No such upload.")
    if isinstance(actor, User) and actor.role != "admin" and upload.user_id != actor.id:
        raise NotFoundError("No such upload.")
    return upload


def delete_upload(upload_id: str) -> None:
    """Remove an upload's files (nothing to do when they are gone already)."""
    for path in _paths(upload_id):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def sweep_uploads(max_age: float = UPLOAD_TTL_SECONDS) -> int:
    """Delete uploads older than max_age that no queued or running job needs; returns how many."""
    folder = upload_dir()
    cutoff = time.time() - max_age
    busy = db.session.scalars(
        select(Job.params).where(Job.kind == "import", Job.status.in_(("queued", "running")))
    )
    busy_ids = {params.get("upload_id") for params in busy if isinstance(params, dict)}
    removed = 0
    for entry in os.scandir(folder):
        upload_id = entry.name.split(".", 1)[0]
        if not _UPLOAD_ID.fullmatch(upload_id) or upload_id in busy_ids:
            continue
        try:
            if entry.stat().st_mtime < cutoff:
                os.remove(entry.path)
                removed += entry.name.endswith(".bin")
        except FileNotFoundError:
            continue  # a finishing job removed it first
    return removed


def sweep_reports(days: int | None = None) -> int:
    """Delete the rows kept in the reports of imports finished more than days ago
    (CRM_IMPORT_REPORT_DAYS; 0 keeps them): each holds a row's cells, personal data the
    marketer needed to correct a file, not forever. The batch keeps its counts and says
    its report was deleted. Returns how many batches lost their report."""
    days = current_app.config.get("IMPORT_REPORT_DAYS", 90) if days is None else days
    if days <= 0:
        return 0
    cutoff = utcnow() - timedelta(days=days)
    # The old batches only (by finished_at), each asked whether it still holds a row
    # (by the rows' batch index): no scan of every report's rows on each page view.
    reported = select(ImportRejection.id).where(ImportRejection.batch_id == ImportBatch.id)
    old = list(
        db.session.scalars(
            select(ImportBatch).where(ImportBatch.finished_at < cutoff, reported.exists())
        )
    )
    for batch in old:
        db.session.execute(delete(ImportRejection).where(ImportRejection.batch_id == batch.id))
        batch.counts = {**(batch.counts or {}), REPORT_DELETED: 1}
    if old:
        db.session.commit()
    return len(old)


# The key of a batch's counts that says its report's rows were deleted (sweep_reports).
REPORT_DELETED = "report_deleted"


def _cell(value) -> str:
    """A raw value as text for display."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def preview_upload(upload: Upload) -> Preview:
    """The format, encoding, delimiter, first rows and detected mapping of an upload, and
    how its dates and full names will be read.

    Raises ValidationError for a file that is not text (a spreadsheet, a PDF).
    """
    source = db.session.scalar(select(Source).where(Source.name == upload.source_name))
    region = (source.default_region if source else None) or ingest.default_region()
    shown = _preview_file(upload, region)
    shown.source_region = region.upper()
    shown.region = shown.region_hint or shown.source_region
    shown.sample_phones()
    if upload.reading is None:
        upload.reading = [shown.month_first, shown.surname_first, shown.region_hint]
        if shown.names_unsure:
            upload.reading.append(True)
        _write_meta(upload)
    if shown.names_unsure:
        shown.problems.append(NAMES_UNSURE)
    return shown


def phone_sample(
    upload: Upload, region: str, mapped: dict[str, list[str]] | None = None
) -> list[tuple[str, str | None]]:
    """The first phones of an upload's preview as they would be stored if read as region's
    (see Preview.phones), for the preview to show when the person picks another country
    or maps columns by hand: mapped, the headers the person's mapping gives the phone and
    country fields ({"phone": [...], "country": [...]}), else the detected mapping's.

    Raises ValidationError for a region phone numbers are not known for.
    """
    region = (region or "").upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError("Unknown country.", fields={"region": ["Unknown country."]})
    shown = _preview_file(upload, region)
    shown.region = region
    if mapped is not None:
        kept = {h: f for h, f in shown.mapping.items() if f not in ("phone", "country")}
        chosen = {h: f for f in ("phone", "country") for h in mapped.get(f, [])}
        shown.mapping = {**kept, **{h: f for h, f in chosen.items() if h in shown.headers}}
    shown.sample_phones()
    return shown.phones


def _preview_file(upload: Upload, region: str) -> Preview:
    """preview_upload's reading of the file, by its kind."""
    known = upload.reading
    with open(data_path(upload.id), "rb") as handle:
        kind = readers.file_kind(handle, fmt=upload.fmt, filename=upload.filename)
        if kind == "archive":
            return _preview_archive(handle, upload.fmt, region, known)
        if kind == "workbook":
            return _preview_workbook(handle, upload.fmt, region, known)
        if kind == "vcard":
            opened = readers.read_vcard(readers.Borrowed(handle), fmt=upload.fmt)
            return _preview_read(*opened, encoding="vcard", region=region, known=known)
        sample = handle.read(readers.SAMPLE_BYTES)
        handle.seek(0)
        readers.check_text_sample(sample)
        encoding = readers.detect_encoding(sample, truncated=len(sample) >= readers.SAMPLE_BYTES)
        if kind == "jsonl":
            return _preview_jsonl(readers.Borrowed(handle), encoding, region, known)
        return _preview_csv(readers.Borrowed(handle), sample, encoding, upload.fmt, region, known)


def _preview_csv(
    stream: BinaryIO, sample: bytes, encoding: str, fmt: str, region: str, known=None
) -> Preview:
    """Preview of a CSV file (plain, HubSpot or Mailchimp)."""
    text = sample.decode(encoding, errors="replace").lstrip("\ufeff")
    dialect, _skip = readers.csv_layout(text)
    mapping, rows = readers.read_csv(stream, fmt=fmt)
    headers = mapping.headers  # repeated ones told apart, as the rows are read
    preview = Preview(
        format=mapping.format,
        encoding=encoding,
        delimiter=dialect.delimiter,
        headers=headers,
        rows=[],
        mapping=dict(mapping.columns),
        header_surname_first=mapping.surname_first,
        repeated=mapping.repeated,
        rivals=mapping.rivals,
    )
    preview.note_mapping(mapping.settled)
    first = list(islice(rows, PREVIEW_ROWS))
    for row in first:
        preview.rows.append([_cell(row.raw.get(h)) for h in headers])
        if row.error:
            preview.problems.append(f"row {row.number}: {row.error}")
    preview.read_order(first, rows, region, known)
    return preview


def _preview_workbook(stream: BinaryIO, fmt: str, region: str, known=None) -> Preview:
    """Preview of an .xlsx workbook: the sheets it reads, those it does not, first rows."""
    opened = readers.read_xlsx(stream, fmt=fmt)
    return _preview_read(*opened, encoding="xlsx", region=region, known=known)


def _preview_archive(stream: BinaryIO, fmt: str, region: str, known=None) -> Preview:
    """Preview of a zip archive of tables: its files, their columns, its first rows."""
    opened = readers.read_archive(stream, fmt=fmt)
    return _preview_read(*opened, encoding="zip", region=region, known=known)


def _preview_read(
    mapping: readers.Mapping, rows, *, encoding: str, region: str, known=None
) -> Preview:
    """Preview of what a reader opened (its mapping and rows); lets the file go."""
    preview = Preview(
        format=mapping.format,
        encoding=encoding,
        delimiter=None,
        headers=mapping.headers,
        rows=[],
        mapping=dict(mapping.columns),
        header_surname_first=mapping.surname_first,
        files=mapping.files,
        repeated=mapping.repeated,
        rivals=mapping.rivals,
        sheets=mapping.sheets,
        other_sheets=mapping.other_sheets,
        held_sheets=mapping.held_sheets,
    )
    preview.note_mapping(mapping.settled)
    first = list(islice(rows, PREVIEW_ROWS))
    for row in first:
        preview.rows.append([_cell(row.raw.get(h)) for h in mapping.headers])
        preview.numbers.append(row.numbers)
        if row.error:
            where = f"{row.file}, row" if row.file else "row"
            preview.problems.append(f"{where} {row.number}: {row.error}")
    preview.read_order(first, rows, region, known)
    if hasattr(rows, "close"):
        rows.close()  # lets the workbook or the archive go
    return preview


def _preview_jsonl(stream: BinaryIO, encoding: str, region: str, known=None) -> Preview:
    """Preview of a JSON Lines file: the keys of its first lines act as headers."""
    _mapping, rows = readers.read_jsonl(stream)
    first = list(islice(rows, JSONL_KEY_ROWS))
    headers = list(dict.fromkeys(k for row in first if not row.error for k in row.raw))
    preview = Preview(
        format="jsonl",
        encoding=encoding,
        delimiter=None,
        headers=headers,
        rows=[],
        # Lines differ in their keys ('phone' here, 'telefono' there): each key maps alone.
        mapping={
            key: target
            for key in headers
            if (target := readers.map_headers([key], "jsonl").columns.get(key))
        },
    )
    preview.note_mapping({})
    for row in first[:PREVIEW_ROWS]:
        preview.rows.append([_cell(row.raw.get(h)) for h in headers])
        if row.error:
            preview.problems.append(f"line {row.number}: {row.error}")
    preview.read_order(first, rows, region, known)
    return preview


def mapping_targets(fmt: str) -> list[str]:
    """The fields a column of a file of format fmt can be mapped onto."""
    extra = {"hubspot": readers.HUBSPOT_EXTRA, "mailchimp": readers.MAILCHIMP_EXTRA}.get(fmt, {})
    return list(dict.fromkeys([*readers.SYNONYMS, *extra.values()]))


def check_mapping(headers: list[str], chosen: dict[str, str], fmt: str) -> dict[str, str]:
    """A complete mapping {header: field or ""} from the user's choices.

    Emails, phones and tags may take several columns, and an address field one column per
    address ("Home City", "Business City"). Raises ValidationError for an unknown field or
    any other field chosen for two columns (JSON Lines excepted: its lines may name the
    same field with different keys).
    """
    allowed = set(mapping_targets(fmt))
    problems: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], str] = {}
    for header in headers:
        target = chosen.get(header, "")
        group = readers.read_header(header)[1] if target in readers.ADDRESS_FIELDS else ""
        if target and target not in allowed:
            problems[header] = [f"unknown field {target!r}"]
        elif target in readers.LIST_FIELDS | readers.CONSENT_FIELDS or fmt == "jsonl":
            continue
        elif target and (target, group) in seen:
            problems[header] = [f"{target} is already taken by column {seen[target, group]!r}"]
        elif target:
            seen[target, group] = header
    if problems:
        raise ValidationError("Some columns cannot be mapped like that.", fields=problems)
    return ingest.validate_mapping({h: chosen.get(h, "") for h in headers})


def import_timeout(size: int) -> int:
    """How long a worker lets the import of a file of size bytes run: an hour at least,
    and time for IMPORT_FLOOR_BYTES_PER_SECOND (a 1 GB file gets over a day)."""
    return max(jobs.JOB_TIMEOUT, size // IMPORT_FLOOR_BYTES_PER_SECOND)


def start_import(
    upload: Upload,
    *,
    fmt: str,
    overrides: dict[str, str],
    actor: User,
    dates: str = "auto",
    names: str = "auto",
    region: str | None = None,
) -> Job:
    """Queue the import of an upload with a checked mapping and reading order (dates,
    names: see ingest.DATE_ORDERS, NAME_ORDERS) and the region of its phones without a
    calling code (None: the source's); a second start gets the first job.

    Raises ValidationError for an unknown format, reading order or region.
    """
    if upload.job_id:
        existing = db.session.get(Job, upload.job_id)
        if existing is not None:
            return existing
    if fmt not in ingest.FORMATS:
        raise ValidationError(f"Unknown format {fmt!r}.")
    ingest.check_reading(dates, names)
    if region is not None and region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"Unknown region {region!r}.", fields={"region": ["Unknown."]})
    params = {
        "upload_id": upload.id,
        "source_name": upload.source_name,
        "fmt": fmt,
        "overrides": overrides,
        "dates": dates,
        "names": names,
        "region": region.upper() if region else None,
    }
    job = jobs.enqueue("import", params, actor=actor, timeout=import_timeout(upload.size))
    upload.job_id = job.id
    if os.path.exists(_paths(upload.id)[1]):
        _write_meta(upload)
    return job


def run_import(params: dict, *, progress: jobs.Progress, actor) -> dict:
    """Job function "import": import a stored upload, report progress, delete the upload.

    Raises ValidationError when the upload is gone or the file cannot be imported.
    """
    upload_id = params["upload_id"]
    try:
        try:
            upload = get_upload(upload_id)
        except NotFoundError:
            raise ValidationError(
                "The uploaded file is no longer available; upload it again."
            ) from None
        with open(data_path(upload_id), "rb") as handle:
            stream = readers.Borrowed(handle)
            size = os.fstat(handle.fileno()).st_size
            progress(0, size, "starting")

            def on_batch(counts: dict) -> None:
                progress(
                    min(stream.position, size), size, f"{counts['rows']} rows read", dict(counts)
                )

            return ingest.import_stream(
                stream,
                filename=upload.filename,
                source_name=params["source_name"],
                fmt=params.get("fmt", "auto"),
                overrides=params.get("overrides"),
                dates=params.get("dates", "auto"),
                names=params.get("names", "auto"),
                region=params.get("region"),
                region_hint=upload.region_hint,
                actor=actor,
                progress=on_batch,
            )
    finally:
        delete_upload(upload_id)


def interrupted_import(job: Job) -> None:
    """Cleanup of an import job whose process died: close its batch, delete its upload."""
    batch_id = (job.result or {}).get("batch_id")
    batch = db.session.get(ImportBatch, batch_id) if batch_id else None
    if batch is not None and batch.status == "running":
        batch.status = "failed"
        batch.finished_at = utcnow()
    upload_id = (job.params or {}).get("upload_id")
    if upload_id:
        delete_upload(upload_id)


def recent_batches(limit: int = 50) -> list[ImportBatch]:
    """The latest import batches, newest first (runs whose process died closed as failed)."""
    query = select(ImportBatch).order_by(ImportBatch.started_at.desc()).limit(limit)
    batches = list(db.session.scalars(query))
    for batch in batches:
        close_if_interrupted(batch)
    return batches


def close_if_interrupted(batch: ImportBatch) -> bool:
    """Close a "running" batch whose importing process died (a killed `crm import`, a
    restart) as failed; True if it did. A database that refuses the write now leaves it."""
    if batch.status != "running" or jobs.process_alive(batch.runner):
        return False
    batch.status = "failed"
    batch.finished_at = utcnow()
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def active_jobs() -> list[Job]:
    """Import jobs still queued or running, oldest first (interrupted ones closed first)."""
    query = (
        select(Job)
        .where(Job.kind == "import", Job.status.in_(("queued", "running")))
        .order_by(Job.created_at)
    )
    return [job for job in db.session.scalars(query) if not jobs.reap(job)]


def get_batch(batch_id: str) -> ImportBatch:
    """An import batch by id. Raises NotFoundError."""
    batch = db.session.get(ImportBatch, batch_id) if batch_id else None
    if batch is None:
        raise NotFoundError("No such import batch.")
    close_if_interrupted(batch)
    return batch


def batch_job(batch_id: str) -> Job | None:
    """The web-UI job that produced a batch, if any (the newest, should there be several)."""
    query = (
        select(Job)
        .where(Job.kind == "import", Job.result["batch_id"].as_string() == batch_id)
        .order_by(Job.created_at.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def _safe_cell(value) -> str:
    """A report cell that a spreadsheet will show as text, not run as a formula."""
    text = _cell(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True)
class ReportWords:
    """How a report speaks to the person downloading it: its own column names and kinds
    (keys of REPORT_COLUMNS and "rejected", "warning" -> words), the importer's reasons
    in their language (reason: stored reason -> text), and the delimiter their spreadsheet
    expects (";" where the decimal mark is a comma, as in Italy)."""

    labels: dict[str, str] = field(default_factory=dict)
    delimiter: str = ","
    reason: Callable[[str], str] | None = None

    def __call__(self, key: str) -> str:
        return self.labels.get(key, key)


def report_lines(batch_id: str, limit: int) -> list[str]:
    """The batch's first rejected rows and warnings in words, one a line ("row 3, column
    Email: rejected: ..."), for the command line; no cell of the row is shown."""
    found = db.session.execute(
        select(
            ImportRejection.file,
            ImportRejection.row_number,
            ImportRejection.column,
            ImportRejection.kind,
            ImportRejection.reason,
        )
        .where(ImportRejection.batch_id == batch_id)
        .order_by(ImportRejection.file, ImportRejection.row_number, ImportRejection.id)
        .limit(limit)
    )
    lines = []
    for file, row, column, kind, reason in found:
        where = f"{file}: " if file else ""
        where += f"row {row}" + (f", column {column}" if column else "")
        lines.append(f"{where}: {kind}: {reason}")
    return lines


def report_csv(batch_id: str, *, actor: User, words: ReportWords | None = None) -> Iterator[str]:
    """The batch's rejected and warning rows as CSV text chunks; the download is audited.

    Columns: row, kind, column, reason (in words, see ReportWords), then every raw column
    of the reported rows under its own name. Raises NotFoundError.
    """
    batch_id = get_batch(batch_id).id
    count = db.session.scalar(
        select(func.count())
        .select_from(ImportRejection)
        .where(ImportRejection.batch_id == batch_id)
    )
    db.session.commit()  # end the read, so the audit insert starts its own write
    audit.record(
        "import.report_download",
        actor=actor,
        object_type="import_batch",
        object_id=batch_id,
        details={"rows": count},
    )
    db.session.commit()
    return _report_chunks(batch_id, words or ReportWords())


def _report_chunks(batch_id: str, words: ReportWords) -> Iterator[str]:
    """Two streaming passes: the raw columns first, then one line per reported row.

    The rows of a zip archive are ordered by file and say which file they come from.
    """
    where = ImportRejection.batch_id == batch_id
    order = (ImportRejection.file, ImportRejection.row_number, ImportRejection.id)
    keys: dict[str, None] = {}
    archive = False
    raws = (
        select(ImportRejection.raw, ImportRejection.file)
        .where(where)
        .order_by(*order)
        .execution_options(yield_per=1000)
    )
    for raw, file in db.session.execute(raws):
        keys.update(dict.fromkeys(map(str, raw or {})))
        archive = archive or file is not None
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=words.delimiter)
    columns = ("file",) if archive else ()
    # The file's own headers are the uploader's text, like its cells (a formula too).
    writer.writerow([*map(words, (*columns, *REPORT_COLUMNS)), *map(_safe_cell, keys)])
    yield "\ufeff" + buffer.getvalue()  # the BOM makes spreadsheets read UTF-8
    rows = select(ImportRejection).where(where).order_by(*order).execution_options(yield_per=1000)
    for item in db.session.scalars(rows):
        buffer.seek(0)
        buffer.truncate()
        raw = item.raw or {}
        writer.writerow(
            [
                *((_safe_cell(item.file or ""),) if archive else ()),
                item.row_number,
                words(item.kind),
                _safe_cell(item.column),
                _safe_cell(words.reason(item.reason) if words.reason else item.reason),
                *(_safe_cell(raw.get(k)) for k in keys),
            ]
        )
        yield buffer.getvalue()
