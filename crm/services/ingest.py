"""Importing person records from files: normalise, match deterministically, report.

A file is streamed and stored a batch of rows at a time (one transaction per batch), so
memory stays flat and a failure keeps the batches already stored. Every row ends up
somewhere: imported (created, merged, updated or unchanged) or rejected with its reason;
every dropped field value is reported as a warning with its row and column. A row's values
are normalised, and its consents read, by crm.services.rows.

Identity resolution (DESIGN.md): deterministic first (same source and external id, else the
same normalised email, else the same E.164 phone); a row with none of those is compared
with the live profiles sharing a blocking key (match_keys) by the scorer (matching): a
sure match gets its own profile merged into the candidate (rule "auto", recorded and
undoable), a likely one goes to the review queue, anything else stays apart.

A shared email or phone joins a row to the profile holding it only when the names do not
conflict. Households share a landline and sometimes a family address
(famiglia.rossi@...), and a typo can turn one person's email into another's: when the row
and the holder both have a first name and the scorer calls the first names "different"
(not a nickname, a typo, an initial or a swapped first/last name), and they are not one
slip apart either (at most two edits or one inside the other, Chiara/Chiera, Cesco/
Francesco; but a different final vowel, Francesco/Francesca, or different birth dates
always conflict), the identifier is not proof of one person. The row is then matched
like one without identifiers, with the holder as one more candidate, so at most it lands
in the review queue (the scorer never auto-merges different first names); the identifier
stays with its holder and the row reports it as a conflict. A missing first name on either
side conflicts with nothing.

A batch is read ahead in a few IN queries (earlier records, owners of emails and phones,
match keys and candidates); a row reads only its blocking keys' blocks of at most
MAX_BLOCK profiles (its smallest block when every one is bigger), so the work per row
stays bounded as common surnames fill up. A batch's automatic merges are made together
(merging.merge_many) once the batch is committed. Source records and profiles first seen
in the batch are stored with Core bulk INSERTs (executemany), their values computed in
memory by survivorship.new_profile; profiles that existed before are read as plain rows
(with their identifiers, tags, history and every source record), given the same rules
(survivorship.survive) and written with executemany UPDATEs that name the version read.
A candidate is screened by a cheap upper bound on its score (matching.may_match) before
it is weighed in full. If the database refuses a batch (for example another import
stored the same email meanwhile, or someone edited one of its profiles), it is stored
again row by row, each refused row retried so it attaches to what the other import
stored.
"""

import gc
import os
import random
import re
import stat
import threading
import time
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from types import SimpleNamespace
from typing import BinaryIO

from flask import current_app
from sqlalchemy import bindparam, delete, func, insert, or_, select, text
from sqlalchemy import update as update_rows
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import db
from crm.models import (
    PROFILE_FIELDS,
    ConsentRecord,
    DuplicateCandidate,
    ImportBatch,
    ImportRejection,
    MatchKey,
    Merge,
    Profile,
    ProfileEmail,
    ProfilePhone,
    Source,
    SourceRecord,
    StageChange,
    Tag,
)
from crm.models.base import utcnow
from crm.models.profile import profile_tags
from crm.services import (
    audit,
    consent_ledger,
    jobs,
    match_keys,
    matching,
    merging,
    profiles,
    readers,
    sources,
    splitting,
    sqlin,
    survivorship,
    suspects,
)
from crm.services.errors import ConflictError, ServiceError, ValidationError
from crm.services.normalise import (
    NUMERIC_DATE,
    clean_text,
    dates_month_first,
    normalise_country,
)
from crm.services.profiles import record_search_columns
from crm.services.rows import (
    HEADER_AGAIN,
    ConsentFact,
    NormalisedRow,
    consent_from_row,
    consents_from_columns,
    consents_from_object,
    jsonable,
    normalise_row,
    phone_region_hint,
    phones_lost_zeros,
    repeats_headers,
    surname_first,
)

BATCH_SIZE = 500
# Fuzzy candidates compared per row (those sharing most blocking keys): bounds the work
# on a huge block such as a very common name.
MAX_CANDIDATES = 50
# Blocks of more profiles than this are not read for a row that has smaller ones (see
# match_keys.readable_keys): bounds the rows read per batch as the database grows.
MAX_BLOCK = match_keys.BLOCK_CAP
# Candidates' scorer views kept between batches of a run (a common name's block is read
# by batch after batch); bounded, and forgotten for every profile the run changes.
PERSON_CACHE = 65_536
# Review-queue pairs proposed per row at most (the likeliest candidates).
REVIEW_PER_ROW = 3
# How many times the survivors of an import's merges are weighed again in turn (a merge
# that weighing makes has a survivor of its own): see _Run._weigh_survivors.
SURVIVOR_ROUNDS = 2
# The first reason of a pair of profiles that one row ties together (_Batch._ties).
TIED = suspects.TIED
# The file name of a batch of records sent to the records API.
API_BATCH = "api"
NO_PERSON = "no email, phone, name or tax id, and no earlier record with this id"
# Tries to store a row the database refused (a concurrent import took its email or phone,
# or changed its profile), waiting twice as long each time: ten writers on one profile at
# once (an API client sending in parallel) all get through.
STORE_ATTEMPTS = 8
# What the database may refuse a batch or a merge with, for a retry row by row: a clash
# with a concurrent writer, a lock, a value it will not take, a profile edited meanwhile.
# Anything else (a bug) fails the import loudly instead of rejecting rows.
RETRYABLE = (DBAPIError, StaleDataError)
# The cycle collector's thresholds while an import runs (_fewer_collections): the
# youngest generation is collected after 50,000 new objects instead of 700, the oldest
# after 100 collections of the middle one instead of 10.
IMPORT_GC = (50_000, 20, 100)
# Batches after which PostgreSQL's statistics are refreshed (the tables grow ~4x between).
ANALYZE_AFTER = frozenset({2, 8, 32, 128, 512, 2048})
FORMATS = ("auto", "csv", "hubspot", "mailchimp", "jsonl", "vcard")
# Rows read ahead to tell how a file writes dates (03/14/1985 or 14/03/1985) and full
# names (Rossi Mario or Mario Rossi).
ORDER_SAMPLE_ROWS = 5000
# What a --mapping file may map a header onto ("" means: ignore the column).
MAPPING_TARGETS = frozenset(readers.SYNONYMS) | frozenset(
    [*readers.HUBSPOT_EXTRA.values(), *readers.MAILCHIMP_EXTRA.values(), *readers.ORDER_FIELDS]
)
SUMMARY_KEYS = ("rows", "created", "merged", "review", "rejected", "suppressed", "warnings")
EXTRA_KEYS = ("updated", "unchanged", "consents", "rematched")


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


def default_region() -> str:
    """The country of phones without a calling code for a source that names none: the
    app's CRM_DEFAULT_PHONE_REGION (IT unless set)."""
    return current_app.config.get("DEFAULT_PHONE_REGION") or "IT"


# Unicode categories a source name may not hold: control and (invisible) format characters,
# surrogates, private use, line and paragraph separators (they hide in lists and logs).
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
UNPRINTABLE_NAME = "A source name must not hold control or invisible formatting characters."


def source_name_problem(name: str | None) -> str | None:
    """Why name cannot name a source (stripped of spaces at its ends), or None."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        return "A source name of 1 to 64 characters is required."
    if any(unicodedata.category(ch) in _UNPRINTABLE for ch in name):
        return UNPRINTABLE_NAME
    return None


def ensure_source(name: str, region: str | None = None) -> Source:
    """The source called name, created (first party, trust 50) when unknown; a name that
    differs from an existing source's only in case is refused (sources.source_for_records).

    Raises ValidationError for an unusable name (source_name_problem) or region,
    ConflictError for a name differing only in case from an existing source's.
    """
    problem = source_name_problem(name)
    if problem:
        raise ValidationError(problem, fields={"source": [problem]})
    name = name.strip()
    if region is not None and not re.fullmatch(r"[A-Za-z]{2}", region):
        raise ValidationError("The region must be a two-letter country code such as IT.")
    source = sources.source_for_records(name)
    if source is None:
        try:
            with db.session.begin_nested():
                source = Source(
                    name=name,
                    label=name,
                    party="first",
                    trust_rank=50,
                    default_region=(region or default_region()).upper(),
                )
                db.session.add(source)
        except IntegrityError:
            # Another import created it at the same moment.
            source = db.session.scalar(select(Source).where(Source.name == name))
    return source


def open_reader(
    stream: BinaryIO, *, filename: str, fmt: str, overrides: dict[str, str] | None
) -> tuple[readers.Mapping, Iterator[readers.Row]]:
    """The reader for a file: JSON Lines or a JSON array, CSV or an .xlsx workbook (plain,
    HubSpot, Mailchimp), a vCard file, or a zip archive of tables (a Mailchimp audience
    export), as readers.file_kind tells them.

    Raises ValidationError when no column of a CSV file can be used.
    """
    if fmt not in FORMATS:
        raise ValidationError(f"Unknown format {fmt!r}; use one of {', '.join(FORMATS)}.")
    kind = readers.file_kind(stream, fmt=fmt, filename=filename)
    if kind == "jsonl":
        return readers.read_jsonl(stream, overrides)
    read = {
        "archive": readers.read_archive,
        "vcard": readers.read_vcard,
        "workbook": readers.read_xlsx,
        "csv": readers.read_csv,
    }[kind]
    mapping, rows = read(stream, fmt=fmt, overrides=overrides)
    _check_usable(mapping)
    return mapping, rows


def _check_usable(mapping: readers.Mapping) -> None:
    """Raise ValidationError when a file has columns and none of them is recognised."""
    if mapping.unmapped and not mapping.columns:
        raise ValidationError(
            "No column of the file could be recognised; give a --mapping.",
            fields={"columns": mapping.unmapped},
        )


# Said of a row without an id that repeats an earlier row of the same import, cell by cell.
SAME_ROW_AGAIN = (
    "the same as an earlier row of this import, with no id to tell them apart: stored once"
)


# The record fields a column speaks of, where they are not the column's own field.
_SPOKEN_FIELDS = {
    "email": ("emails", "bounced", "bounced_at"),
    "phone": ("phones",),
    "lead_status": ("stage",),
    "full_name": ("first_name", "last_name"),
    "middle_name": ("first_name", "last_name"),
    "name_suffix": ("last_name",),
    "street_number": ("address",),
}


@dataclass
class _Item:
    """One row on its way through a batch: what was read, what was decided, what to report."""

    row: readers.Row
    norm: NormalisedRow | None = None
    consents: list[ConsentFact] = field(default_factory=list)
    raw: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    # (canonical field, reason) found while reading the row
    warnings: list[tuple[str, str]] = field(default_factory=list)
    reject: str | None = None
    # Decided while storing (reset before a retry).
    outcome: str | None = None
    profile_id: int | None = None
    reasons: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    # The profile each conflict names (parallel to conflicts once they are reported).
    held_apart: list[int | None] = field(default_factory=list)
    consents_recorded: int = 0
    merge_id: int | None = None  # the fuzzy merge that took the row's profile
    person: matching.Person | None = None
    keys: set[str] = field(default_factory=set)
    # The keys whose blocks of earlier profiles are read (the small ones among keys).
    read_keys: set[str] = field(default_factory=set)
    # The row's city block (matching.place_key) and how many earlier profiles hold it.
    place: str | None = None
    place_count: int = 0

    def count_place(self, sizes: dict[str, int]) -> None:
        """Remember the row's city block and its size among the counted blocks."""
        self.place = matching.place_key(self.person)
        self.place_count = sizes.get(self.place, 0) if self.place else 0

    record: object = None  # a SourceRecord, or a _NewRecord of this batch
    target: object = None  # a live profile's id, or a _NewProfile of this batch
    fuzzy: list = field(default_factory=list)  # [(candidate, Decision)], best first
    # Holders of the row's email or phone whose first names conflict with the row's.
    held_by: list = field(default_factory=list)
    # The earlier profiles among its candidates that passed the screen when the batch was
    # read (None: not screened ahead, every candidate is weighed).
    passed: set[int] | None = None

    def reset(self) -> None:
        """Forget what a failed attempt to store the row decided."""
        self.outcome, self.profile_id, self.record, self.target = None, None, None, None
        self.reasons, self.conflicts, self.fuzzy, self.held_by = [], [], [], []
        self.held_apart = []
        self.keys, self.read_keys, self.passed = set(), set(), None
        self.place, self.place_count = None, 0
        self.consents_recorded = 0

    def result(self, index: int, pairs: dict[int, list[dict]]) -> dict:
        """The row's outcome as the records API reports it: a fuzzy merge names its merge
        (to show or undo it), a row sent to review the pairs its profile is in (pairs:
        profiles.review_pairs_of)."""
        found = {
            "index": index,
            "outcome": self.outcome or "rejected",
            "profile_id": self.profile_id,
            "reasons": [self.reject] if self.reject else list(self.reasons),
            "warnings": [
                {"field": name, "reason": reason} for name, reason in self.warnings + self.conflicts
            ],
        }
        if self.merge_id is not None:
            found["merge_id"] = self.merge_id
        if self.outcome == "review":
            found["review_pairs"] = pairs.get(self.profile_id, [])
        return found


@dataclass
class _PendingMerge:
    """A fuzzy match to merge once its batch is committed (merging commits on its own)."""

    item: _Item | None  # None: two earlier profiles weighed again (_Batch._rematch)
    survivor_id: int
    new_id: int
    score: float
    reasons: list[str]


def _handle_id(handle) -> int | None:
    """The profile id behind a handle (an id, or a profile created in this batch)."""
    return handle if isinstance(handle, int) or handle is None else handle.id


class _NewProfile:
    """A profile created in this batch: a handle until its row is inserted (with Core)."""

    __slots__ = ("id", "records")

    def __init__(self) -> None:
        self.id: int | None = None
        self.records: list = []


class _NewRecord:
    """A source record first seen in this batch, inserted with Core (not an ORM object)."""

    __slots__ = (
        "id",
        "source",
        "external_id",
        "raw",
        "fields",
        "email",
        "phone",
        "batch_id",
        "updated_at",
        "received_at",
        "profile_id",
    )

    def __init__(self, source: Source, external_id: str | None) -> None:
        self.id = self.profile_id = None
        self.source, self.external_id = source, external_id
        self.received_at = utcnow()

    def row(self) -> dict:
        """The record's values for an INSERT."""
        return {
            "source_id": self.source.id,
            "external_id": self.external_id,
            "profile_id": self.profile_id,
            "raw": self.raw,
            "fields": self.fields,
            "email": self.email,
            "phone": self.phone,
            "batch_id": self.batch_id,
            "received_at": self.received_at,
            "updated_at": self.updated_at,
            **record_search_columns(self.fields),
        }


class _Batch:
    """What one attempt at storing a batch knows: earlier records, owners, candidates.

    Everything is read up front in a few IN queries, and kept up to date as the rows of
    the batch are stored, so a later row sees what an earlier row of the batch did.
    """

    def __init__(self, run: "_Run", items: list[_Item]) -> None:
        self.run = run
        self.items = items
        self.by_external: dict[str, SourceRecord] = {}
        self.without_id: dict[tuple, list[SourceRecord]] = {}
        self.record_profile: dict[SourceRecord, object] = {}
        self.owners: dict[str, dict[str, object]] = {"email": {}, "phone": {}}
        self.key_owners: dict[str, list[int]] = {}  # key -> sorted profile ids
        self.persons: dict[int, matching.Person] = {}
        # Profiles created in this batch, by blocking key, for rows later in the batch.
        self.new_by_key: dict[str, list[_NewProfile]] = {}
        self.new_persons: dict[_NewProfile, matching.Person] = {}
        # The row that created each profile of this batch, as the scorer sees it.
        self.handle_persons: dict[_NewProfile, matching.Person] = {}
        self.new_profiles: list[_NewProfile] = []
        # Earlier profiles that rows of this batch gave new blocking keys (a company, a
        # city, a birth date): {id: (the scorer's view now, the keys added)}.
        self.gained: dict[int, tuple[matching.Person, set[str]]] = {}
        self.rematched = 0  # pairs of them merged or proposed (see _rematch)
        # (holder, row's emails, row's phones) -> views of the records that gave them (_givers)
        self.givers: dict[tuple, list[matching.Person]] = {}
        # Everything this attempt added to the session (let go of once committed).
        self.created: set = set()

    # -- reading ahead -------------------------------------------------------------------

    def prefetch(self) -> None:
        """Read the batch's earlier records, identifier owners and fuzzy candidates."""
        source_id = self.run.source_id
        externals = sorted({i.norm.external_id for i in self.items if i.norm.external_id})
        for chunk in sqlin.slices(externals):
            for record in db.session.scalars(
                select(SourceRecord).where(
                    SourceRecord.source_id == source_id, SourceRecord.external_id.in_(chunk)
                )
            ):
                self.by_external[record.external_id] = record
                self.record_profile[record] = record.profile_id
        self._prefetch_without_id()
        for kind, model, column in (
            ("email", ProfileEmail, ProfileEmail.email),
            ("phone", ProfilePhone, ProfilePhone.phone),
        ):
            values = sorted({v for i in self.items for v in getattr(i.norm, kind + "s")})
            for chunk in sqlin.slices(values):
                rows = db.session.execute(select(column, model.profile_id).where(column.in_(chunk)))
                self.owners[kind].update(dict(rows.all()))
        self._prefetch_candidates()

    def _identity_key(self, norm: NormalisedRow) -> tuple:
        """How a row without an external id is filed for its repeats: first email, phone, name."""
        return self._identity_keys(norm)[0]

    @staticmethod
    def _identity_keys(norm: NormalisedRow) -> list[tuple]:
        """Where a row's earlier record may be filed: under its first email, its first phone
        or its name. A record is filed under the first it had, so a phone that read as no
        number then (in another country, say) left it under the name."""
        keys = []
        if norm.emails:
            keys.append(("email", norm.emails[0]))
        if norm.phones:
            keys.append(("phone", norm.phones[0]))
        return [*keys, ("name", record_search_columns(norm.fields)["search_name"])]

    def _prefetch_without_id(self) -> None:
        """Records of this source without an external id that rows of the batch may repeat."""
        wanted: dict[str, set[str]] = {"email": set(), "phone": set(), "name": set()}
        for item in self.items:
            if not item.norm.external_id:
                for kind, value in self._identity_keys(item.norm):
                    wanted[kind].add(value)
        base = select(SourceRecord).where(
            SourceRecord.source_id == self.run.source_id, SourceRecord.external_id.is_(None)
        )
        for kind, column in (("email", SourceRecord.email), ("phone", SourceRecord.phone)):
            for chunk in sqlin.slices(sorted(wanted[kind])):
                query = base.where(column.in_(chunk))
                if kind == "phone":
                    query = query.where(SourceRecord.email.is_(None))
                for record in db.session.scalars(query):
                    self._remember(record, (kind, getattr(record, kind)), record.profile_id)
        # By the record's own name, not its profile's: a record whose name a merge, a typo
        # or survivorship left behind (Sorentino in Sorrentino's profile) is still found.
        for chunk in sqlin.slices(sorted(wanted["name"])):
            query = base.where(
                SourceRecord.email.is_(None),
                SourceRecord.phone.is_(None),
                SourceRecord.profile_id.is_not(None),
                SourceRecord.search_name.in_(chunk),
            )
            for record in db.session.scalars(query):
                self._remember(record, ("name", record.search_name), record.profile_id)

    def _remember(self, record: SourceRecord, key: tuple, profile) -> None:
        """Index a record without an external id under the key rows look it up by."""
        self.without_id.setdefault(key, []).append(record)
        self.record_profile[record] = profile

    def _prefetch_candidates(self) -> None:
        """Match keys of the rows that may need fuzzy matching, and their candidates' data.

        Rows whose email or phone has a holder need the holder's names (a conflict makes
        the row fuzzy after all); rows without one need their blocking keys' candidates.
        """
        maybe, owned, holders = [], [], set()
        for item in self.items:
            norm = item.norm
            record = self.by_external.get(norm.external_id) if norm.external_id else None
            if record is not None and record.profile_id is not None:
                continue
            item.person = matching.person_from_fields(norm.fields, norm.emails, norm.phones)
            found = self._holders(norm)
            if not found:
                maybe.append(item)
                continue
            owned.append(item)
            person = item.person
            if person.first_name or person.last_name or person.birth_date or person.tax_id:
                # _not_the_holder weighs the row against them
                holders.update(h for h in found if isinstance(h, int))
        self.persons = self.run.persons.get_many(holders)
        for item in owned:
            if any(self._not_the_holder(item, h) for h in self._holders(item.norm)):
                maybe.append(item)
        for item in maybe:
            item.keys = matching.blocking_keys(item.person)
        sizes = match_keys.block_sizes(k for item in maybe for k in item.keys)
        for item in maybe:
            item.read_keys = match_keys.readable_keys(item.keys, sizes, self.run.max_block)
            item.count_place(sizes)
        found = match_keys.candidates(k for item in maybe for k in item.read_keys)
        self.key_owners = found  # each block's ids ascending
        self._screen(maybe)

    def _screen(self, items: list[_Item]) -> None:
        """Screen the rows' earlier candidates, then read the full view of those that pass.

        Most candidates of a block are hopeless (matching.may_match). They are screened on
        a view without emails and phones, one query for many: a candidate that is not the
        holder of one of the row's identifiers cannot share one with it (identifiers are
        unique, and holders are known and read in full), so leaving them out only raises
        the bound. The full view, identifiers included, is read for the few that pass.
        """
        thresholds = self.run.thresholds
        ranked = [
            (item, [pid for pid, _ in self._ranked(item, include_new=False)]) for item in items
        ]
        ids = {pid for _, pids in ranked for pid in pids}
        views = self.run.persons.get_many(ids - set(self.persons), identifiers=False)
        views.update(self.persons)  # the holders, in full
        passed: set[int] = set()
        for item, pids in ranked:
            alone = item.place is not None and item.place_count <= 1
            # A Gmail inbox in common is an email the screening view does not hold.
            inbox = {
                pid
                for key in item.read_keys
                if key.startswith(matching.INBOX_KEY)
                for pid in self.key_owners.get(key, ())
            }
            item.passed = {
                pid
                for pid in pids
                if pid in views
                and (
                    pid in inbox
                    or matching.may_match(item.person, views[pid], thresholds, alone_in_city=alone)
                )
            }
            passed |= item.passed
        self.persons.update(self.run.persons.get_many(passed - set(self.persons)))

    def _holders(self, norm: NormalisedRow) -> list:
        """Holders of the row's emails, then phones (profile ids or batch handles)."""
        found = []
        for kind in ("email", "phone"):
            owners = self.owners[kind]
            found += [owners[v] for v in getattr(norm, kind + "s") if v in owners]
        return found

    def _person_of(self, handle) -> matching.Person | None:
        """The scorer's view of a live profile or a profile of this batch, if known."""
        if isinstance(handle, int):
            return self.persons.get(handle)
        return self.handle_persons.get(handle)

    def _not_the_holder(self, item: _Item, holder) -> bool:
        """True when the row and the holder of its identifier are different people.

        A shared email or phone is strong evidence, but a family shares a landline or an
        address, and colleagues an office's email or switchboard: clearly different birth
        dates (not a slip of one digit or a day and month swapped) or tax ids say two
        people, whatever the names, and so do surnames no slip makes of each other
        (matching.surnames_apart: Rossi and Bianchi at info@; a woman's new surname after
        marriage goes to review too). Otherwise both
        need a first name, and the scorer must call the first names different; a name that
        reads as a slip of the keyboard (at most two edits, or one name inside the other:
        Chiara/Chiera, Francesco/Cesco) still joins, unless only the final vowel differs
        (Francesco/Francesca, Giulio/Giulia) or both are names people bear (Marco/Marta).
        An office's mailbox (info@), when it is all a row with a whole name shares with
        the holder, names nobody: _one_at_the_office decides.
        """
        if self._only_office_shared(item, holder):
            return not self._one_at_the_office(item, holder)
        mine = item.person or matching.person_from_fields(item.norm.fields)
        other = self._person_of(holder)
        apart = _apart(mine, other) if other is not None else None
        if apart is None:
            return other is not None and self._another_fits(item, holder, mine, other)
        if apart == FACTS_APART:
            # Another birth date or tax id than the profile's own: no record of it speaks
            # for the row (a record without a birth date that brought the shared email
            # would chain a son to his father's profile through their home's landline).
            return True
        # A merged profile shows one of its people's names (survivorship), but holds every
        # record: the row is the holder's person when it agrees with the record that gave
        # the shared identifier (Giulia Rossi's unsubscribe after her merge with her
        # married name's record).
        return all(_apart(mine, giver) for giver in self._givers(item, holder))

    def _only_office_shared(self, item: _Item, holder) -> bool:
        """Whether all the row shares with the holder is an office's mailbox
        (matching.role_address), and the row gives a whole name to weigh instead."""
        norm = item.norm
        if not (norm.fields.get("first_name") and norm.fields.get("last_name")):
            return False
        if any(self.owners["phone"].get(v) == holder for v in norm.phones):
            return False
        shared = [v for v in norm.emails if self.owners["email"].get(v) == holder]
        return bool(shared) and all(matching.role_address(v) for v in shared)

    def _one_at_the_office(self, item: _Item, holder) -> bool:
        """Whether a row and the holder of its office mailbox (info@: matching.role_address)
        are one person: the same whole name, and nothing else that disagrees (their phones,
        their towns). An office's inbox names nobody; a slip of the name, or another
        mobile, is weighed instead, and at most reviewed: two namesakes who work there, or
        a father and his son in the family firm."""
        other = self._person_of(holder)
        if other is None:
            return False
        norm = item.norm
        mine = item.person or matching.person_from_fields(norm.fields, norm.emails, norm.phones)
        reasons = matching.compare(mine, other).reasons
        return (
            "first name: exact" in reasons
            and "last name: exact" in reasons
            and not any(r.startswith("veto:") for r in reasons)
            and not {"phone: different", "city: different"} & set(reasons)
        )

    def _another_fits(self, item: _Item, holder, mine, other) -> bool:
        """Whether a diminutive of several names (Sam: Samuel or Samantha) that fits the
        holder fits another person who gave the same email or phone as well: on a
        family's mailbox it names neither for sure, and the row is weighed instead."""
        if not (mine.first_name and other.first_name) or not isinstance(holder, int):
            return False
        if matching.first_level(mine.first_name, other.first_name) != "nickname (ambiguous)":
            return False
        # Not the profile the row itself went to: its record, stored by now, says the same.
        joined = [item.target] if isinstance(item.target, int) else []
        for pid in self._stated_by_others(item, exclude=[holder, *joined], holder=holder):
            person = self.persons.get(pid)
            if person is not None and person.first_name:
                level = matching.first_level(mine.first_name, person.first_name)
                if level in ("exact", "nickname", "nickname (ambiguous)"):
                    return True
        return False

    def _givers(self, item: _Item, holder) -> list[matching.Person]:
        """The scorer's views of the holder's records that gave it the row's emails and
        phones (none for a profile of this batch, or identifiers typed by hand)."""
        if not isinstance(holder, int):
            return []
        key = (holder, tuple(item.norm.emails), tuple(item.norm.phones))
        if key not in self.givers:  # asked again as the row is placed and tied
            self.givers[key] = self._read_givers(holder, item.norm)
        return self.givers[key]

    @staticmethod
    def _read_givers(holder: int, norm: NormalisedRow) -> list[matching.Person]:
        records = set()
        for model, column, values in (
            (ProfileEmail, ProfileEmail.email, norm.emails),
            (ProfilePhone, ProfilePhone.phone, norm.phones),
        ):
            if values:
                records.update(
                    db.session.scalars(
                        select(model.source_record_id).where(
                            model.profile_id == holder,
                            column.in_(values),
                            model.source_record_id.is_not(None),
                        )
                    )
                )
        if not records:
            return []
        fields = db.session.scalars(
            select(SourceRecord.fields).where(SourceRecord.id.in_(sorted(records)))
        )
        return [matching.person_from_fields(f or {}) for f in fields]

    # -- storing -------------------------------------------------------------------------

    def _ranked(self, item: _Item, *, include_new: bool = True) -> list[tuple[object, int]]:
        """Candidate profiles sharing a blocking key with the row, most shared keys first.

        Keys and ids are walked in a fixed order, so ties are broken the same way every run.
        """
        shared: Counter = Counter()
        for key in sorted(item.keys):
            if key in item.read_keys:
                shared.update(self.key_owners.get(key, ()))  # sorted ids
            if include_new:
                shared.update(self.new_by_key.get(key, ()))
        return shared.most_common(self.run.max_candidates)

    def _fuzzy(self, item: _Item) -> list:
        """[(candidate, Decision)] worth acting on, best first (empty when none)."""
        norm = item.norm
        if item.person is None:
            item.person = matching.person_from_fields(norm.fields, norm.emails, norm.phones)
        if not item.keys:
            item.keys = matching.blocking_keys(item.person)
            # Not read ahead (the row looked deterministic): read its candidates now.
            sizes = match_keys.block_sizes(item.keys)
            item.read_keys = match_keys.readable_keys(item.keys, sizes, self.run.max_block)
            item.count_place(sizes)
            unknown = [k for k in item.read_keys if k not in self.key_owners]
            found = match_keys.candidates(unknown)
            for key in unknown:
                self.key_owners[key] = found.get(key, [])
            wanted = {pid for pid, _ in self._ranked(item, include_new=False)}
            self.persons.update(self.run.persons.get_many(wanted - set(self.persons)))
        ranked = [candidate for candidate, _shared in self._ranked(item)]
        ranked += [h for h in item.held_by if h not in ranked]
        stated = self._stated_by_others(item) if item.held_by else {}
        ranked += [pid for pid in stated if pid not in ranked]
        # Alone in its city: the one profile with a name like the row's there, if any, is
        # the candidate that shares it (profiles of this batch count too).
        alone = item.place is not None and (
            item.place_count + len(self.new_by_key.get(item.place, ())) <= 1
        )
        thresholds = self.run.thresholds
        found = []
        for candidate in ranked:
            other = (
                self.new_persons.get(candidate)
                if isinstance(candidate, _NewProfile)
                else self.persons.get(candidate)
            )
            if other is None:
                continue  # merged away, or beyond the candidates read for this batch
            if candidate in stated:
                other = matching.with_identifiers(other, *stated[candidate])
            elif item.passed is not None and isinstance(candidate, int):
                if candidate not in item.passed and candidate not in item.held_by:
                    continue  # screened out when the batch was read
            decision = matching.weigh(item.person, other, thresholds, alone_in_city=alone)
            if decision is not None:
                found.append((candidate, decision))
        found.sort(key=lambda pair: -pair[1].score)
        return _one_of_several(found)

    def _stated_by_others(
        self, item: _Item, exclude: list[int] | None = None, holder=None
    ) -> dict[int, tuple[list[str], list[str]]]:
        """{profile id: (emails, phones)} of the row's that records of profiles other than
        their holders stated: a family's shared mailbox belongs to the father's profile,
        but the daughter's record gave it too, and her next row from it is weighed against
        her profile as the identifier's (Giovanna's unsubscribe from the family address
        joins Giovanna, not a new profile with her name alone). Read only for a row kept
        apart from a holder (or exclude's profiles); holder: only the identifiers of the
        row that this profile holds. The profiles' views join the batch's."""
        norm = item.norm
        held = exclude if exclude is not None else [h for h in item.held_by if isinstance(h, int)]
        wanted = {
            kind: [
                value
                for value in getattr(norm, kind + "s")
                if holder is None or self.owners[kind].get(value) == holder
            ]
            for kind in ("email", "phone")
        }
        conditions = []
        if wanted["email"]:
            conditions.append(SourceRecord.email.in_(wanted["email"]))
        if wanted["phone"]:
            conditions.append(SourceRecord.phone.in_(wanted["phone"]))
        if not conditions:
            return {}
        rows = db.session.execute(
            select(SourceRecord.profile_id, SourceRecord.email, SourceRecord.phone).where(
                or_(*conditions),
                SourceRecord.profile_id.is_not(None),
                SourceRecord.profile_id.not_in(held),
            )
        )
        found: dict[int, tuple[list[str], list[str]]] = {}
        for profile_id, email, phone in rows:
            emails, phones = found.setdefault(profile_id, ([], []))
            if email in norm.emails and email not in emails:
                emails.append(email)
            if phone in norm.phones and phone not in phones:
                phones.append(phone)
        missing = set(found) - set(self.persons)
        if missing:
            self.persons.update(self.run.persons.get_many(missing))
        return found

    def _earlier_record(self, item: _Item) -> SourceRecord | None:
        """This source's earlier record of the row (same external id, or same raw row)."""
        norm = item.norm
        if norm.external_id:
            return self.by_external.get(norm.external_id)
        for key in self._identity_keys(norm):
            for record in self.without_id.get(key, ()):
                if record.raw == item.raw:
                    return record
        return None

    def place(self, item: _Item, source: Source) -> None:
        """Decide where the row goes and stage its source record (phase one, no flush)."""
        norm = item.norm
        record = self._earlier_record(item)
        if record is not None and norm.external_id:
            self._keep_unspoken(item, record)
        if record is None and not (
            norm.emails or norm.phones or norm.has_name or norm.fields.get("tax_id")
        ):
            # A source's row id alone names nobody: a profile with no name, email or phone
            # (a spreadsheet's numbered empty rows) helps no one. An earlier record of the
            # id may still be updated by such a row (a consent, a city).
            item.reject = NO_PERSON
            return
        known = self.record_profile.get(record) if record is not None else None
        if known is not None and record.raw == item.raw and record.fields == item.fields:
            item.outcome, item.target = "unchanged", known
            item.reasons = ["source record: unchanged"]
            if record.batch_id == self.run.batch_id and not norm.external_id:
                # Two badge scans of namesakes, or one scanned twice: the data cannot
                # tell, so the row is one record, and the report says so.
                item.warnings.append(("", SAME_ROW_AGAIN))
            self._note_conflicts(item, known)  # still left out: the report says so again
            return
        owners = self.owners
        target, reasons = known, ["source record: same id"] if known is not None else []
        if target is None:
            for kind in ("email", "phone"):
                for value in getattr(norm, kind + "s"):
                    owner = owners[kind].get(value)
                    if owner is None:
                        continue
                    if self._not_the_holder(item, owner):
                        if owner not in item.held_by:
                            item.held_by.append(owner)
                        continue
                    target, reasons = owner, [f"{kind}: same"]
                    break
                if target is not None:
                    break
        self._note_conflicts(item, target)
        if target is None:
            item.fuzzy = self._fuzzy(item)
        if record is None:
            record = _NewRecord(source, norm.external_id)
            if norm.external_id:
                self.by_external[norm.external_id] = record
            else:
                self._remember(record, self._identity_key(norm), None)
            outcome = "merged" if target is not None else "created"
        else:
            outcome = (
                "updated" if known is not None else ("merged" if target is not None else "created")
            )
        record.raw = item.raw
        record.fields = item.fields
        record.email = next(iter(item.fields.get("emails") or ()), None)
        record.phone = next(iter(item.fields.get("phones") or ()), None)
        record.batch_id = self.run.batch_id
        record.updated_at = utcnow()
        if target is None:
            # Inserted in phase two, once its values are known (bulk INSERTs).
            target = _NewProfile()
            self.new_profiles.append(target)
            self.handle_persons[target] = item.person or matching.person_from_fields(
                norm.fields, norm.emails, norm.phones
            )
            best = item.fuzzy[0][1] if item.fuzzy else None
            if best is not None and best.outcome == "merge":
                outcome = "merged"
            else:
                if best is not None:
                    outcome = "review"
                # Later rows of the batch may be this person again.
                self.new_persons[target] = item.person
                for key in item.keys:
                    self.new_by_key.setdefault(key, []).append(target)
            if item.fuzzy:
                reasons = list(item.fuzzy[0][1].reasons)
        if isinstance(target, int):
            record.profile_id = target
        self.record_profile[record] = target
        for kind in ("email", "phone"):
            for value in getattr(norm, kind + "s"):
                owners[kind].setdefault(value, target)
        item.outcome, item.target, item.record, item.reasons = outcome, target, record, reasons

    def _keep_unspoken(self, item: _Item, record) -> None:
        """A record sent again under its id replaces the values its row speaks of, and
        keeps the others: a shop's "customer updated" call sends the fields that changed,
        an update file only some columns. A key or column that is there but empty (null,
        "") clears its field; one that is not there leaves it as it was."""
        spoken = self.run.spoken_fields(item.raw)
        kept = {k: v for k, v in (record.fields or {}).items() if k not in spoken}
        if kept:
            item.fields = {**kept, **item.fields}
        if isinstance(record.raw, dict) and record.raw.keys() - item.raw.keys():
            item.raw = {**record.raw, **item.raw}

    def _note_conflicts(self, item: _Item, target) -> None:
        """Remember each email or phone of the row that a profile other than target holds
        (it is left with its holder, and the report says so)."""
        if target is None and not item.held_by:
            return
        for kind in ("email", "phone"):
            for value in getattr(item.norm, kind + "s"):
                owner = self.owners[kind].get(value)
                if owner is not None and owner is not target and owner != target:
                    item.conflicts.append((kind, owner))

    def finish(self) -> list[_PendingMerge]:
        """Phase two: store records and profiles, recompute, keys, consents, review pairs.

        Records and profiles first seen in this batch go in with Core bulk INSERTs, their
        values computed from the batch in memory (survivorship.new_profile); profiles that
        existed before are read as plain rows and updated in bulk (_update_profiles).
        """
        stored = [i for i in self.items if i.outcome not in (None, "unchanged")]
        new_records = list(
            {id(i.record): i.record for i in stored if isinstance(i.record, _NewRecord)}.values()
        )
        _insert_records(new_records)
        for item in stored:
            if isinstance(item.target, _NewProfile) and item.record not in item.target.records:
                item.target.records.append(item.record)
        tags = _TagCache({t for i in stored for t in i.fields.get("tags") or []})
        self._insert_profiles([p for p in self.new_profiles if p.records], tags)
        self.created.update(db.session.new)
        db.session.flush()  # changed earlier records, before their profiles are read again
        self._update_profiles(sorted({i.target for i in stored if isinstance(i.target, int)}), tags)
        pending, proposals, consents = [], [], []
        for item in self.items:
            if item.outcome is None:
                continue
            item.profile_id = _handle_id(item.target)
            ties = self._ties(item) if item.outcome != "unchanged" else []
            if item.outcome != "unchanged":
                consents += _withdrawals_for_holders(item)
            item.held_apart = [_handle_id(owner) for _, owner in item.conflicts]
            item.conflicts = [
                (
                    self.run.header_of(item.row, kind, self._value_held(item, kind, owner)),
                    f"{kind} belongs to another profile (#{_handle_id(owner)}); not merged",
                )
                for kind, owner in item.conflicts
            ]
            if item.outcome == "unchanged":
                continue
            proposals += ties
            consents += [(item, fact) for fact in item.consents]
            if not item.fuzzy:
                continue
            candidate, best = item.fuzzy[0]
            if item.outcome == "merged" and best.outcome == "merge":
                pending.append(
                    _PendingMerge(
                        item, _handle_id(candidate), item.profile_id, best.score, list(best.reasons)
                    )
                )
                continue
            proposals += [
                (_handle_id(candidate), item.profile_id, decision.score, list(decision.reasons))
                for candidate, decision in item.fuzzy[:REVIEW_PER_ROW]
            ]
        late_merges, late_proposals = self._rematch({m.new_id for m in pending})
        pending += late_merges
        proposals += late_proposals
        fresh = {_handle_id(p) for p in self.new_profiles if p.records}
        self.run.record_consents(consents, fresh)
        self._count_rematched(late_merges, late_proposals, _propose_many(proposals))
        self.created.update(db.session.new)
        db.session.flush()
        for item in self.items:
            item.record = item.target = None
            item.fuzzy = [(_handle_id(c), d) for c, d in item.fuzzy]
        return pending

    def _value_held(self, item: _Item, kind: str, owner) -> str | None:
        """The row's email or phone (kind) that owner holds."""
        held = self.owners[kind]
        return next((v for v in getattr(item.norm, kind + "s") if held.get(v) == owner), None)

    def _ties(self, item: _Item) -> list[tuple]:
        """Review proposals for the profiles a row ties together: it joined one, and an
        email or phone of it belongs to another that it looks like (not a relative
        sharing a landline: see _not_the_holder). Never a merge: two profiles that each
        hold an identifier are for a person to join; nor two profiles whose own names
        or birth dates say two people."""
        if item.target is None or item.person is None:
            return []
        joined = self._person_of(item.target)
        proposals, seen = [], set()
        for kind, owner in item.conflicts:
            # A holder the row was kept apart from is weighed by the fuzzy step instead.
            if owner in seen or owner in item.held_by or self._not_the_holder(item, owner):
                continue
            seen.add(owner)
            other = self._person_of(owner)
            if other is None or (joined is not None and _apart(joined, other)):
                continue  # a nameless row with a wife's email and the home landline
            decision = matching.compare(item.person, other, self.run.thresholds)
            reasons = [TIED, f"{kind}: same", *decision.reasons]
            target, owner_id = _handle_id(item.target), _handle_id(owner)
            proposals.append((target, owner_id, decision.score, list(dict.fromkeys(reasons))))
        return proposals

    def _held(self, owner) -> survivorship.HeldLookup:
        """Who holds what, for a profile (id or batch handle): the batch, else the database."""

        def held(kind: str, values: list[str]) -> set[str]:
            model, column = (
                (ProfileEmail, ProfileEmail.email)
                if kind == "emails"
                else (ProfilePhone, ProfilePhone.phone)
            )
            owners = self.owners[kind[:-1]]
            found = {
                v for v in values if v in owners and owners[v] is not owner and owners[v] != owner
            }
            unknown = [v for v in values if v not in owners]
            if unknown:
                me = SimpleNamespace(id=owner if isinstance(owner, int) else None)
                found |= survivorship.taken_in_database(model, column, unknown, me)
            return found

        return held

    def _update_profiles(self, ids: list[int], tags: "_TagCache") -> None:
        """Apply survivorship to the batch's profiles that existed before, a few statements.

        The same rules as survivorship.recompute, on plain rows: read each profile with its
        identifiers, tags, history and every source record, compute what changes
        (survivorship.survive), write it with executemany. The update is refused (and the
        batch retried) when another writer changed a profile meanwhile (its version).
        """
        if not ids:
            return
        states, records = _profile_states(ids)
        updates = {
            pid: survivorship.survive(state, records.get(pid, []), self._held(pid))
            for pid, state in states.items()
        }
        now = utcnow()
        columns = [*PROFILE_FIELDS, "provenance", "stage", *_SEARCH_COLUMNS, "updated_at"]
        rows: list[dict] = []  # profile UPDATEs
        identifiers: dict[str, list[dict]] = {"emails": [], "phones": []}
        changes: list[dict] = []  # stage history
        links: list[dict] = []  # tags
        # (kind, profile id, value, record id): drops, new primaries, new provenance.
        dropped, primaries, repointed = [], [], []
        keys: dict[int, set[str]] = {}
        persons: dict[int, matching.Person] = {}
        names = {name for u in updates.values() for name in u.tags}
        tag_ids = {t.name: t for t in tags(names)} if names else {}
        if any(t.id is None for t in tag_ids.values()):
            db.session.flush()
        for pid, update in updates.items():
            state = states[pid]
            final = {**state.columns, **update.columns}
            if update.columns:
                row = {f"v_{name}": final.get(name) for name in columns}
                row["v_updated_at"] = update.columns.get("updated_at", now)
                rows.append({**row, "v_id": pid, "v_version": state.version})
            for kind in ("emails", "phones"):
                identifiers[kind] += [
                    {
                        "profile_id": pid,
                        kind[:-1]: v,
                        "source_record_id": rid,
                        "is_primary": primary,
                    }
                    for v, rid, primary in getattr(update, kind)
                ]
                if kind in update.primary:
                    primaries.append((kind, pid, update.primary[kind], None))
                dropped += [(kind, pid, v, None) for v in update.dropped.get(kind, ())]
                repointed += [(kind, pid, v, rid) for v, rid in update.repointed.get(kind, ())]
            if update.stage_change is not None:
                changes.append(
                    {**update.stage_change, "profile_id": pid, "at": now, "actor_user_id": None}
                )
            links += [{"profile_id": pid, "tag_id": tag_ids[name].id} for name in update.tags]
            person = matching.person_from_fields(
                final,
                [v for v, *_ in state.emails if v not in update.dropped.get("emails", ())]
                + [e[0] for e in update.emails],
                [v for v, *_ in state.phones if v not in update.dropped.get("phones", ())]
                + [p[0] for p in update.phones],
            )
            keys[pid] = match_keys.keys_of_person(person)
            persons[pid] = person
            self.run.persons.put(pid, person)
        if rows:
            table = Profile.__table__
            result = db.session.execute(
                table.update()
                .where(table.c.id == bindparam("v_id"), table.c.version == bindparam("v_version"))
                .values(
                    {
                        **{name: bindparam(f"v_{name}") for name in columns},
                        "version": bindparam("v_version") + 1,
                    }
                ),
                rows,
            )
            if result.rowcount != len(rows):
                raise StaleDataError("a profile changed while the import was storing it")
        _write_identifier_changes(dropped, repointed)
        for kind, model in (("emails", ProfileEmail), ("phones", ProfilePhone)):
            if identifiers[kind]:
                db.session.execute(
                    model.__table__.insert(), [{**r, "created_at": now} for r in identifiers[kind]]
                )
        _write_identifier_changes(primaries=primaries)
        if changes:
            db.session.execute(StageChange.__table__.insert(), changes)
        if links:
            db.session.execute(profile_tags.insert(), links)
        for pid, added in match_keys.write(keys).items():
            if added:
                self.gained[pid] = (persons[pid], added)

    def _rematch(
        self, merging: set[int], reason: str = "evidence added by an import"
    ) -> tuple[list["_PendingMerge"], list[tuple]]:
        """Weigh again the earlier profiles that this batch gave new evidence.

        A row that joins a profile by its email or phone is not matched by name, yet it may
        bring what the profile lacked: a company, a city, a birth date. The profile is then
        weighed, as a row would be, against the profiles in the blocks it has just joined
        (only those: the blocks it was in already were weighed when it or they arrived).
        Returns (merges, review proposals) under the same thresholds as rows, each pair's
        first reason being reason; a profile that a merge of this batch already takes
        away is left for a later batch. The survivors of the import's own merges are
        weighed so too (_Run._weigh_survivors).
        """
        gained = {pid: g for pid, g in self.gained.items() if pid not in merging}
        if not gained:
            return [], []
        places = {matching.place_key(person) for person, _ in gained.values()} - {None}
        wanted = {k for _, added in gained.values() for k in added}
        sizes = match_keys.block_sizes(wanted | places)
        readable = {k for k in wanted if sizes.get(k, 0) <= self.run.max_block}
        owners = match_keys.candidates(readable)
        ranked = {
            pid: match_keys.most_shared(owners, added & readable, pid, self.run.max_candidates)
            for pid, (_, added) in gained.items()
        }
        others = {o for found in ranked.values() for o in found} - set(gained)
        views = {pid: person for pid, (person, _) in gained.items()}
        views.update(self.run.persons.get_many(others))
        thresholds = self.run.thresholds
        merges, proposals, seen = [], [], set()
        for pid in sorted(ranked):
            person = views[pid]
            alone = match_keys.alone_in_city(person, sizes)
            for other in ranked[pid]:
                pair = (min(pid, other), max(pid, other))
                if pair in seen or other not in views or other in merging:
                    continue
                seen.add(pair)
                decision = matching.weigh(person, views[other], thresholds, alone_in_city=alone)
                if decision is None:
                    continue
                reasons = [reason, *decision.reasons]
                if decision.outcome == "merge":
                    merges.append(_PendingMerge(None, pair[0], pair[1], decision.score, reasons))
                elif decision.outcome == "review":
                    proposals.append((*pair, decision.score, reasons))
        return merges, proposals

    def _count_rematched(
        self, merges: list["_PendingMerge"], proposals: list[tuple], queued: set[tuple[int, int]]
    ) -> None:
        """Count the pairs that weighing again merges or newly sends to review: a pair
        already in the queue (only its score raised) is not counted again."""
        self.rematched = len(merges) + len({(a, b) for a, b, *_ in proposals} & queued)

    def _insert_profiles(self, handles: list[_NewProfile], tags: "_TagCache") -> None:
        """Insert the batch's new profiles and what hangs off them, a few statements each."""
        if not handles:
            return
        computed = [survivorship.new_profile(h.records, self._held(h)) for h in handles]
        ids = sqlin.insert_with_ids(Profile.__table__, [c.columns for c in computed])
        emails, phones, changes, keys, links, owned = [], [], [], [], [], []
        tag_rows = tags({name for c in computed for name in c.tags})
        if any(t.id is None for t in tag_rows):
            db.session.flush()
        tag_ids = {t.name: t.id for t in tag_rows}
        for handle, values, pid in zip(handles, computed, ids, strict=True):
            handle.id = pid
            for target, found, name in (
                (emails, values.emails, "email"),
                (phones, values.phones, "phone"),
            ):
                target += [
                    {"profile_id": pid, name: v, "source_record_id": rid, "is_primary": primary}
                    for v, rid, primary in found
                ]
            changes.append({**values.stage_change, "profile_id": pid, "actor_user_id": None})
            links += [{"profile_id": pid, "tag_id": tag_ids[name]} for name in values.tags]
            person = matching.person_from_fields(
                values.columns, [e[0] for e in values.emails], [p[0] for p in values.phones]
            )
            keys += [
                {"profile_id": pid, "key": k} for k in sorted(match_keys.keys_of_person(person))
            ]
            self.run.persons.put(pid, person)
            for record in handle.records:
                if isinstance(record, _NewRecord):
                    owned.append({"rid": record.id, "pid": pid, "at": record.updated_at})
                record.profile_id = pid  # an earlier record's change is flushed by the ORM
        now = utcnow()
        for model, rows in (
            (ProfileEmail, emails),
            (ProfilePhone, phones),
            (StageChange, changes),
            (MatchKey, keys),
        ):
            if rows:
                if "created_at" in model.__table__.c:
                    rows = [{**r, "created_at": now} for r in rows]
                db.session.execute(model.__table__.insert(), rows)
        if links:
            db.session.execute(profile_tags.insert(), links)
        if owned:
            records = SourceRecord.__table__
            db.session.execute(
                records.update()
                .where(records.c.id == bindparam("rid"))
                # The record's own time stays (survivorship ranked by it), not "now".
                .values(profile_id=bindparam("pid"), updated_at=bindparam("at")),
                owned,
            )


class _TagCache:
    """Tag rows by name for a batch: read in one query, created as needed."""

    def __init__(self, names: set[str]) -> None:
        names = {n[:80] for n in (clean_text(x) for x in names) if n}
        self.rows = {
            t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(sorted(names))))
        }

    def __call__(self, names: set[str]) -> list[Tag]:
        """Tag rows for names."""
        missing = sorted(n for n in names if n not in self.rows)
        if missing:
            self.rows.update(
                {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(missing)))}
            )
        rows = []
        for name in sorted(names):
            if name not in self.rows:
                self.rows[name] = Tag(name=name)
                db.session.add(self.rows[name])
            rows.append(self.rows[name])
        return rows


def _waves(items: list[_Item]) -> list[list[_Item]]:
    """Rows in the order they are stored: the n-th row naming an external id in wave n
    (rows without one in the first), each wave in file order."""
    waves: list[list[_Item]] = [[]]
    named: Counter = Counter()
    for item in items:
        external_id = item.norm.external_id if item.norm is not None else None
        wave = named[external_id] if external_id else 0
        if external_id:
            named[external_id] += 1
        while len(waves) <= wave:
            waves.append([])
        waves[wave].append(item)
    return [wave for wave in waves if wave]


def _holds(cell: str, name: str, value: str) -> bool:
    """Whether a cell gave a read email or phone (a phone by its last eight digits, as
    written with any spaces or prefix)."""
    if name == "phone":
        digits = re.sub(r"\D", "", value)[-8:]
        return bool(digits) and digits in re.sub(r"\D", "", cell)
    return value in cell.lower()


# What a row is told when its record id now names another person (_part_other_people).
RECORD_ID = "external_id"
ANOTHER_PERSON_PARTED = (
    "this record now describes another person: it left its profile for one of its own"
)
ANOTHER_PERSON_MERGED = (
    "this record now describes another person, but it came with a merge: undo the merge "
    "or send the new person under a new record id"
)


def _keep_earlier_version(record_id: int) -> None:
    """Leave on a record's profile a copy of the record as it was (no external id: the id
    now names another person), which from now on gives the profile what the record gave
    it: its emails and phones and the consents it stated, so that none of them leaves
    with the record (an earlier withdrawal going to the new person would leave the old
    one contactable). Flushed, not committed."""
    record = db.session.get(SourceRecord, record_id)
    copy = SourceRecord(
        source_id=record.source_id,
        external_id=None,
        profile_id=record.profile_id,
        raw=record.raw,
        fields=record.fields,
        email=record.email,
        phone=record.phone,
        batch_id=record.batch_id,
        received_at=record.received_at,
        updated_at=record.updated_at,
    )
    db.session.add(copy)
    db.session.flush()
    for model in (ProfileEmail, ProfilePhone, ConsentRecord):
        db.session.execute(
            update_rows(model)
            .where(model.source_record_id == record_id, model.profile_id == record.profile_id)
            .values(source_record_id=copy.id),
            execution_options={"synchronize_session": False},
        )
    db.session.expire_all()


def _another_person(
    before: dict, after: dict, reached: tuple[str | None, str | None], norm: NormalisedRow
) -> bool:
    """Whether a record's new values name another person than its earlier ones: birth
    dates or tax ids that differ, or a first name that is no slip of the other beside a
    surname no slip makes of the other or a new email or phone (reached: the earlier
    record's first email and phone). A new surname alone (a marriage), a first name
    corrected on the same inbox, a name filled in or a move are the same person."""
    old = matching.person_from_fields(before)
    new = matching.person_from_fields(after)
    decision = matching.compare(old, new)
    if decision.veto in ("different birth dates", "different tax ids"):
        return True
    if not (
        old.first_name
        and new.first_name
        and "first name: different" in decision.reasons
        and not matching.first_names_slip(old.first_name, new.first_name)
    ):
        return False
    email, phone = reached
    moved = (email and norm.emails and email not in norm.emails) or (
        phone and norm.phones and phone not in norm.phones
    )
    apart = bool(old.last_name and new.last_name) and matching.surnames_apart(
        old.last_name, new.last_name
    )
    return bool(moved or apart)


# What tells two people apart who share an email or a phone (_apart): facts (birth dates,
# tax ids), or names and mailboxes.
FACTS_APART, NAMES_APART = "facts", "names"


def _one_of_several(found: list) -> list:
    """found, with no automatic merge when a diminutive of several names (Sam) would merge
    into two profiles (Samuel and Samantha on one family mailbox): a person picks."""
    ambiguous = "first name: nickname (ambiguous)"
    merging = [d for _c, d in found if d.outcome == "merge" and ambiguous in d.reasons]
    if len(merging) < 2:
        return found
    return [
        (
            candidate,
            replace(
                decision,
                outcome="review",
                reasons=(*decision.reasons, matching.NO_MERGE_AMBIGUOUS),
            )
            if decision in merging
            else decision,
        )
        for candidate, decision in found
    ]


def _apart(mine: matching.Person, other: matching.Person) -> str | None:
    """What clearly says two people though their views share an email or a phone
    (FACTS_APART, NAMES_APART), or None (see _Batch._not_the_holder). Kept apart, the
    holder is still weighed by the fuzzy step: a surname changed by marriage reaches
    review there."""
    both_born = matching.births_comparable(mine, other)  # a date, or a codice fiscale's
    both_taxed = bool(mine.tax_id and other.tax_id)
    both_named = bool(mine.last_name and other.last_name)
    if not (both_born or both_taxed or both_named or (mine.first_name and other.first_name)):
        return None
    decision = matching.compare(mine, other)
    if decision.veto in ("different birth dates", "different tax ids"):
        return FACTS_APART
    if (
        mine.first_name
        and other.first_name
        and matching.first_names_clash(decision.reasons)
        and not matching.first_names_slip(mine.first_name, other.first_name)
    ):
        return NAMES_APART
    if (
        mine.first_name
        and other.first_name
        and "first name: partial" in decision.reasons
        and matching.clipped_names(mine.first_name, other.first_name)
    ):
        return NAMES_APART  # Giulia / Lia on the family email
    if matching.colleagues(mine.emails, other.emails):
        return NAMES_APART  # laura.romano@ and laura.rovani@ on the office's switchboard
    swapped = "names: swapped" in decision.reasons  # "Rossi Mario" read given name first
    if both_named and not swapped and matching.surnames_apart(mine.last_name, other.last_name):
        return NAMES_APART
    return None


def _propose_many(proposals: list[tuple[int, int, float, list[str]]]) -> set[tuple[int, int]]:
    """suspects.propose for many pairs, in a few statements, with the same outcome.

    A pair proposed twice keeps its higher score (with that score's reasons); a pair
    already queued is raised if the new score is higher and left alone once decided; a
    pair with a profile merged away is not proposed. Returns the pairs (lower id first)
    that were not in the queue before.
    """
    best: dict[tuple[int, int], tuple[float, list[str]]] = {}
    for a_id, b_id, score, reasons in proposals:
        if a_id == b_id:
            continue
        pair = (a_id, b_id) if a_id < b_id else (b_id, a_id)
        if pair not in best or score > best[pair][0]:
            best[pair] = (score, reasons)
    for pair in suspects.kept_apart(list(best)):  # a person said two people
        del best[pair]
    if not best:
        return set()
    ids = sorted({pid for pair in best for pid in pair})
    live: set[int] = set()
    existing: dict[tuple[int, int], DuplicateCandidate] = {}
    for chunk in sqlin.slices(ids):
        live.update(
            db.session.scalars(
                select(Profile.id).where(Profile.id.in_(chunk), Profile.merged_into_id.is_(None))
            )
        )
    lows = sorted({low for low, _ in best})
    for chunk in sqlin.slices(lows):
        for candidate in db.session.scalars(
            select(DuplicateCandidate).where(DuplicateCandidate.profile_a_id.in_(chunk))
        ):
            pair = (candidate.profile_a_id, candidate.profile_b_id)
            if pair in best:
                existing[pair] = candidate
    rows = []
    for pair, (score, reasons) in best.items():
        if pair[0] not in live or pair[1] not in live:
            continue
        candidate = existing.get(pair)
        if candidate is None:
            rows.append(
                {
                    "profile_a_id": pair[0],
                    "profile_b_id": pair[1],
                    "score": score,
                    "reasons": list(reasons),
                    "status": "open",
                }
            )
        elif candidate.status == "open" and score > candidate.score:
            candidate.score, candidate.reasons = score, list(reasons)
    if rows:
        db.session.execute(insert(DuplicateCandidate), rows)
    return {(row["profile_a_id"], row["profile_b_id"]) for row in rows}


def _insert_records(records: list[_NewRecord]) -> None:
    """Insert new source records in one statement, learning their ids."""
    if not records:
        return
    ids = sqlin.insert_with_ids(SourceRecord.__table__, [r.row() for r in records])
    for record, rid in zip(records, ids, strict=True):
        record.id = rid


class _PersonCache:
    """The scorer's view of live profiles by id, read as needed, least recently used dropped.

    Two views are kept, each bounded by size: the full one (emails and phones included)
    and the screening one (without them, see _Batch._screen), which the candidates of a
    common name's block need batch after batch and most never go further than. The run
    forgets a profile once it changes it (recomputed, merged); what another process
    changes meanwhile is seen when the entry is read again, and a profile merged away
    elsewhere loses its match keys, so it is no longer offered as a candidate.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[int, matching.Person] = OrderedDict()
        self.screens: OrderedDict[int, matching.Person] = OrderedDict()

    def get_many(self, ids: set[int], *, identifiers: bool = True) -> dict[int, matching.Person]:
        """{id: Person} for the live profiles among ids (cached or read in a few queries).

        identifiers=False may answer with a screening view (no emails and phones) and
        reads what the cache lacks that way, in one query (see _Batch._screen).
        """
        found = self._cached(self.entries, ids)
        missing = ids - found.keys()
        if missing and not identifiers:
            found.update(self._cached(self.screens, missing))
            missing = ids - found.keys()
        if missing:
            loaded = _persons(missing, identifiers=identifiers)
            found.update(loaded)
            for pid, person in loaded.items():
                if identifiers:
                    self.put(pid, person)
                else:
                    self._keep(self.screens, pid, person)
        return found

    @staticmethod
    def _cached(entries: OrderedDict, ids: Iterable[int]) -> dict[int, matching.Person]:
        """The entries held for ids, marked as just used."""
        found = {}
        for pid in ids:
            person = entries.get(pid)
            if person is not None:
                entries.move_to_end(pid)
                found[pid] = person
        return found

    def _keep(self, entries: OrderedDict, pid: int, person: matching.Person) -> None:
        """Remember one view, dropping the least recently used beyond the size."""
        entries[pid] = person
        entries.move_to_end(pid)
        while len(entries) > self.size:
            entries.popitem(last=False)

    def put(self, pid: int, person: matching.Person) -> None:
        """Remember (or refresh) one profile's full view (it serves screening too)."""
        self.screens.pop(pid, None)
        self._keep(self.entries, pid, person)

    def forget(self, ids: Iterable[int]) -> None:
        """Drop profiles that changed."""
        for pid in ids:
            self.entries.pop(pid, None)
            self.screens.pop(pid, None)


def _persons(ids: set[int], *, identifiers: bool = True) -> dict[int, matching.Person]:
    """The scorer's view of the live profiles with these ids, read in a few queries.

    identifiers=False leaves their emails and phones out (one query instead of three).

    A big database has many candidates per batch that no cache holds, so the rows come
    straight from the driver's cursor (plain tuples), on the session's transaction.
    """
    fields = match_keys.PERSON_FIELDS
    # By primary key only; merged profiles are dropped here. (With a condition on
    # merged_into_id, PostgreSQL without fresh statistics scans that index instead.)
    rows = [
        row
        for row in sqlin.driver_rows(
            f"SELECT id, merged_into_id, {', '.join(fields)} FROM {Profile.__tablename__} "
            "WHERE id IN ({marks})",
            sorted(ids),
        )
        if row[1] is None
    ]
    held: dict[str, dict[int, list[str]]] = {"email": {}, "phone": {}}
    live = [row[0] for row in rows]
    for name, model in (("email", ProfileEmail), ("phone", ProfilePhone)):
        if not (live and identifiers):
            break
        by_profile = held[name]
        for pid, value in sqlin.driver_rows(
            f"SELECT profile_id, {name} FROM {model.__tablename__} WHERE profile_id IN ({{marks}})",
            live,
        ):
            by_profile.setdefault(pid, []).append(value)
    return {
        row[0]: matching.person_from_fields(
            dict(zip(fields, row[2:], strict=True)),
            held["email"].get(row[0], ()),
            held["phone"].get(row[0], ()),
        )
        for row in rows
    }


_SEARCH_COLUMNS = ("search_name", "search_last", "search_company")


def _profile_states(
    ids: list[int],
) -> tuple[dict[int, survivorship.ProfileState], dict[int, list], dict[int, dict[str, int]]]:
    """Stored profiles as survivorship reads them, with all their source records.

    Returns ({id: ProfileState}, {id: [record]}, {id: {kind: id of its first stored
    email/phone}}); records are plain objects with what survivorship.record_rank and the
    rules read.
    """
    profiles, emails, phones = Profile.__table__, ProfileEmail.__table__, ProfilePhone.__table__
    records_table = SourceRecord.__table__
    sources = {
        row.id: SimpleNamespace(name=row.name, trust_rank=row.trust_rank)
        for row in db.session.execute(select(Source.id, Source.name, Source.trust_rank))
    }
    states: dict[int, survivorship.ProfileState] = {}
    records: dict[int, list] = {}
    wanted = [*PROFILE_FIELDS, "provenance", "stage", *_SEARCH_COLUMNS]
    for chunk in sqlin.slices(ids):
        for row in db.session.execute(
            select(profiles.c.id, profiles.c.version, *[profiles.c[n] for n in wanted]).where(
                profiles.c.id.in_(chunk)
            )
        ):
            columns = dict(zip(wanted, row[2:], strict=True))
            columns["provenance"] = columns["provenance"] or {}
            states[row.id] = survivorship.ProfileState(columns, version=row.version)
        for kind, table, name in (("emails", emails, "email"), ("phones", phones, "phone")):
            for pid, value, primary, record_id in db.session.execute(
                select(
                    table.c.profile_id, table.c[name], table.c.is_primary, table.c.source_record_id
                )
                .where(table.c.profile_id.in_(chunk))
                .order_by(table.c.profile_id, table.c.is_primary.desc(), table.c.id)
            ):
                getattr(states[pid], kind).append((value, bool(primary), record_id))
        for pid, name in db.session.execute(
            select(profile_tags.c.profile_id, Tag.name)
            .join(Tag, Tag.id == profile_tags.c.tag_id)
            .where(profile_tags.c.profile_id.in_(chunk))
        ):
            states[pid].tags.add(name)
        for pid in db.session.scalars(
            select(StageChange.profile_id).where(StageChange.profile_id.in_(chunk)).distinct()
        ):
            states[pid].has_history = True
        by_people: dict[int, list] = {}
        for change in db.session.execute(
            select(
                StageChange.profile_id,
                StageChange.at,
                StageChange.id,
                StageChange.from_stage,
                StageChange.to_stage,
                StageChange.actor_user_id,
                StageChange.actor_label,
            ).where(StageChange.profile_id.in_(chunk), StageChange.actor_user_id.is_not(None))
        ):
            by_people.setdefault(change.profile_id, []).append(change)
        for pid, changes in by_people.items():
            states[pid].held_back_from = survivorship.held_back_from(changes)
        for row in db.session.execute(
            select(
                records_table.c.id,
                records_table.c.profile_id,
                records_table.c.source_id,
                records_table.c.fields,
                records_table.c.email,
                records_table.c.phone,
                records_table.c.updated_at,
                records_table.c.received_at,
            ).where(records_table.c.profile_id.in_(chunk))
        ):
            records.setdefault(row.profile_id, []).append(
                SimpleNamespace(
                    id=row.id,
                    fields=row.fields,
                    email=row.email,
                    phone=row.phone,
                    updated_at=row.updated_at,
                    received_at=row.received_at,
                    source=sources[row.source_id],
                )
            )
    return states, records


class _Run:
    """The state of one import run: its source, batch, counts and row handling."""

    def __init__(self, source: Source, batch: ImportBatch, mapping, region, overrides, actor=None):
        self.source_id = source.id
        self.source_name = source.name
        self.batch_id = batch.id
        self.format = mapping.format
        # The full-name column's header says the surname comes first ("Cognome e nome").
        self.header_surname_first = mapping.surname_first
        self.region = region
        # Records of the API are read each on its own (their numeric dates by what they
        # show, else by their own country or the source's region), not by whichever
        # other records share the call.
        self.dates_per_record = False
        self.month_first = False  # numeric dates of this file: day first unless it shows
        self.surname_first = False  # full names of this file: "Rossi Mario" (it shows)
        self.zeros_dropped = False  # its phones lost their leading 0 (rows.phones_lost_zeros)
        self.overrides = overrides
        self.actor = actor
        self.columns = dict(mapping.columns)  # header -> field
        self.key_fields: dict[str, str | None] = {}  # other keys -> field (spoken_fields)
        # The consent statements before this run's: those after it are read back at its
        # end by id, not by a scan of the whole ledger (_consent_changes).
        self.consents_before = db.session.scalar(select(func.max(ConsentRecord.id))) or 0
        self.headers: dict[str, str] = {}  # field -> its first column, for the report
        for header, target in mapping.columns.items():
            self.headers.setdefault(target, header)
        self.counts: Counter = Counter(dict.fromkeys((*SUMMARY_KEYS, *EXTRA_KEYS), 0))
        self.thresholds = suspects.thresholds()
        self.max_candidates = MAX_CANDIDATES
        self.max_block = MAX_BLOCK
        self.persons = _PersonCache(
            int(current_app.config.get("IMPORT_PROFILE_CACHE", PERSON_CACHE))
        )
        self.created: set = set()
        self.batches = 0
        # Pairs weighed again (_Batch._rematch) in the transaction not yet committed.
        self.rematched = 0

    def spoken_fields(self, raw: dict) -> set[str]:
        """The record fields (NormalisedRow.record_fields) a row's keys or columns speak
        of, empty ones included: its columns' fields, by the file's mapping, else by the
        key's own name (a record of the API names what it sends)."""
        spoken: set[str] = set()
        for header in raw:
            # A file's column left unmapped (unknown, or ignored in the preview) speaks of
            # nothing; the keys of JSON records are mapped record by record.
            if header not in self.columns and header not in self.key_fields:
                found = None
                if self.format == "jsonl" and (self.overrides or {}).get(header) != "":
                    found = readers.map_headers([header], self.format).columns.get(header)
                self.key_fields[header] = found
            target = self.columns.get(header) or self.key_fields.get(header)
            spoken.update(_SPOKEN_FIELDS.get(target, (target,) if target else ()))
        return spoken

    def header_of(self, row: readers.Row, name: str, value: str | None) -> str:
        """The file's column that holds value for an email or phone field (a row may have
        several: Telefono and Cellulare), else the field's first column (column())."""
        columns = self.columns
        if (row.format or self.format) == "jsonl":
            columns = readers.map_headers(list(row.raw), "jsonl", self.overrides).columns
        if value:
            for header, target in columns.items():
                cell = str(row.raw.get(header) or "")
                if target == name and cell and _holds(cell, name, value):
                    return header
        return self.column(row, name)

    def unread_column(
        self, row: readers.Row, name: str, read: list[str], named: frozenset[str] = frozenset()
    ) -> str | None:
        """Of the columns that give an email or phone field (Phone and Mobile), the first
        whose value is none of those read (the one a warning about a bad value is about)
        and that no earlier warning of the row named (named); None when one column gives
        the field."""
        columns = self.columns
        if (row.format or self.format) == "jsonl":
            columns = readers.map_headers(list(row.raw), "jsonl", self.overrides).columns
        headers = [h for h, target in columns.items() if target == name]
        if len(headers) < 2:
            return None
        for header in headers:
            cell = str(row.raw.get(header) or "").strip()
            if header not in named and cell and not any(_holds(cell, name, v) for v in read):
                return header
        return None

    def column(self, row: readers.Row, name: str) -> str:
        """The file's header for a canonical field (what a person will look for)."""
        headers = self.headers
        if (row.format or self.format) == "jsonl":
            local = readers.map_headers(list(row.raw), "jsonl", self.overrides).columns
            headers = {target: header for header, target in reversed(local.items())}
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
                file=row.file,
                column=column,
                reason=reason[:500],
                kind=kind,
                raw=jsonable(row.raw),
            )
        )

    def read_order(
        self,
        sample: list[readers.Row],
        *,
        dates: str = "auto",
        names: str = "auto",
        region_detected: bool = False,
        region_hint: str | None = None,
    ) -> None:
        """Tell from the first rows how the file writes dates and full names, unless the
        person importing it said (dates, names: see DATE_ORDERS, NAME_ORDERS). The batch
        keeps how the file was read: its phone region (region_detected when a new source
        took it from the file's phones; region_hint, the country they read as when the
        source's region was kept), whether its phones lost their leading 0, and its date
        and name orders where it has such values (see ImportBatch.mapping)."""
        values = [r.values for r in sample]
        month_first, surname_first = reading_order(values, self.region)
        surname_first = surname_first or self.header_surname_first
        self.month_first = month_first if dates == "auto" else dates == "month-first"
        self.surname_first = surname_first if names == "auto" else names == "surname-first"
        has_dates, has_names = reading_needed(values)
        self.zeros_dropped = phones_lost_zeros(values, self.region)
        read = {"region": self.region}  # of phones without a calling code
        if self.zeros_dropped:
            read["phone_zeros"] = True
        if region_detected:
            read["region_detected"] = True
        elif region_hint and region_hint != self.region:
            read["region_hint"] = region_hint
        if has_dates or dates != "auto":
            read["dates"] = "month-first" if self.month_first else "day-first"
            read["dates_chosen"] = dates != "auto"
            if dates == "auto" and dates_ambiguous(values):
                read["dates_by"] = dates_country(values, self.region)
        if has_names or names != "auto":
            read["names"] = "surname-first" if self.surname_first else "given-first"
            read["names_chosen"] = names != "auto"
        batch = db.session.get(ImportBatch, self.batch_id)
        batch.mapping = {**(batch.mapping or {}), **read}

    def prepare(self, row: readers.Row) -> _Item:
        """Read one row: normalise it, find its consents and what makes it unusable (pure)."""
        item = _Item(row)
        if row.error:
            item.reject = row.error
            return item
        fmt = row.format or self.format  # a file of a zip archive has its own
        if fmt != "jsonl" and repeats_headers(row.raw):
            item.reject = HEADER_AGAIN
            return item
        month_first = self.month_first
        if self.dates_per_record:
            month_first = reading_order([row.values], self.region)[0]
        norm = normalise_row(
            row.values,
            self.region,
            month_first=month_first,
            surname_first=self.surname_first,
            zeros_dropped=self.zeros_dropped,
            number_phones=frozenset(
                row.raw[h] for h in row.numbers if self.columns.get(h) == "phone"
            ),
        )
        item.norm = norm
        if fmt == "jsonl":
            item.consents, warnings = consents_from_object(row.raw.get("consents"))
        else:
            fact = consent_from_row(fmt, row.values, month_first=month_first)
            item.consents, warnings = ([fact], fact.warnings) if fact else ([], [])
        if not item.consents and fmt in ("csv", "jsonl"):
            facts, more = consents_from_columns(row.values, month_first=month_first)
            item.consents, warnings = facts, [*warnings, *more]
        item.warnings = list(norm.warnings) + list(warnings)
        if norm.reject_reason:
            item.reject = norm.reject_reason
        elif not (norm.external_id or norm.emails or norm.phones or norm.has_name):
            item.reject = "no usable email, phone, external id or name"
        item.raw = jsonable(row.raw)
        item.fields = norm.record_fields()
        return item

    def _store(self, items: list[_Item]) -> list[_PendingMerge]:
        """Store rows in the current transaction (raises a RETRYABLE error if refused).

        A record id the rows name again is stored after the rows before it, as if it came
        in the next batch (_waves): a later row of one record updates it as a later file
        would, so records still move a stage only forward.
        """
        pending: list[_PendingMerge] = []
        source = db.session.get(Source, self.source_id)
        for wave in _waves(items):
            batch = _Batch(self, wave)
            batch.prefetch()
            for item in wave:
                batch.place(item, source)
            pending += batch.finish()
            self.created |= batch.created
            self.rematched += batch.rematched
        return pending

    def _let_go(self) -> None:
        """Drop the committed batch's new objects from the session.

        Nobody else holds them, and every later commit or merge would otherwise expire
        thousands of them again.
        """
        for obj in self.created:
            if obj in db.session:
                db.session.expunge(obj)
        self.created = set()

    def process(self, rows: list[readers.Row]) -> list[_Item]:
        """Import a batch of rows in one transaction, then make its fuzzy merges.

        When the database refuses the batch (typically another import stored the same
        email or phone meanwhile), it is stored again row by row, each row retried until it
        sees what the other import stored.
        """
        items = [self.prepare(row) for row in rows]
        live = [i for i in items if i.reject is None]
        self._part_other_people(live)
        live = [i for i in live if i.reject is None]
        try:
            pending = self._store(live)
            self._report(items)
            db.session.commit()
        except RETRYABLE:
            db.session.rollback()
            self.rematched = 0
            for item in live:
                item.reset()
            pending = self._store_each(live)
            self._report(items)
            db.session.commit()
        self._let_go()
        self._weigh_survivors(self._merge(pending))
        self._drop_settled_conflicts(items)
        self._count(items)
        self.counts["rematched"] += self.rematched
        self.rematched = 0
        self.batches += 1
        if self.batches in ANALYZE_AFTER:
            _refresh_statistics()
        return items

    def _part_other_people(self, items: list[_Item]) -> None:
        """Rows that give a record id of this source again with another person's values (a
        ticket passed on, an account handed over) do not rename the profile it joined.

        Such a record leaves its profile first (splitting.detach_record), leaving behind a
        copy of itself as it was (_keep_earlier_version): the profile keeps the earlier
        person's values, identifiers, consents (a withdrawal included), stage, notes and
        owner, and the two are never proposed again; the row then updates the record on a
        profile of its own. A record that came with a merge cannot leave that way: the row
        is refused (undo the merge, or send the new person under a new id).
        """
        ids = {i.norm.external_id: i for i in items if i.norm.external_id}
        if not ids:
            return
        earlier = []
        for chunk in sqlin.slices(sorted(ids)):
            earlier += db.session.execute(
                select(
                    SourceRecord.id,
                    SourceRecord.external_id,
                    SourceRecord.fields,
                    SourceRecord.email,
                    SourceRecord.phone,
                ).where(
                    SourceRecord.source_id == self.source_id,
                    SourceRecord.external_id.in_(chunk),
                    SourceRecord.profile_id.is_not(None),
                )
            ).all()
        for record_id, external_id, fields, email, phone in earlier:
            item = ids[external_id]
            if not _another_person(fields or {}, item.fields, (email, phone), item.norm):
                continue
            _keep_earlier_version(record_id)
            try:
                splitting.detach_record(
                    record_id,
                    actor=self.actor or f"import:{self.source_name}"[:100],
                    by_import=True,
                )
            except (ValidationError, ConflictError):
                db.session.rollback()
                item.reject = ANOTHER_PERSON_MERGED
            else:
                item.warnings.append((RECORD_ID, ANOTHER_PERSON_PARTED))

    def _store_each(self, items: list[_Item]) -> list[_PendingMerge]:
        """Store rows one at a time, each in a savepoint, retrying a refused row."""
        pending: list[_PendingMerge] = []
        for item in items:
            for attempt in range(STORE_ATTEMPTS):
                rematched = self.rematched
                try:
                    with db.session.begin_nested():
                        found = self._store([item])
                    pending += found
                    break
                except RETRYABLE as exc:
                    self.rematched = rematched  # that attempt was rolled back
                    item.reset()
                    # A value the database will not take is refused again: no retry.
                    if attempt + 1 == STORE_ATTEMPTS or isinstance(exc, DataError):
                        reason = getattr(exc, "orig", exc).__class__.__name__
                        item.reject = f"could not be stored ({reason})"
                        break
                    time.sleep(random.uniform(0.5, 1.5) * 0.01 * 2**attempt)
        return pending

    def _report(self, items: list[_Item]) -> None:
        """Add the batch report's warnings and rejections for these rows."""
        for item in items:
            named: set[str] = set()  # columns a warning of the row is about already
            for name, reason in item.warnings:
                column = None
                if name in ("email", "phone") and item.norm is not None:
                    read = getattr(item.norm, name + "s")
                    column = self.unread_column(item.row, name, read, frozenset(named))
                    named |= {column} if column else set()
                self.note(item.row, "warning", reason, column or self.column(item.row, name))
            if item.reject:
                self.note(item.row, "rejected", item.reject)
            for column, reason in item.conflicts:  # named by header_of already
                self.note(item.row, "warning", reason, column)

    def _merge(self, pending: list[_PendingMerge]) -> dict[int, set[str]]:
        """Merge each fuzzy match into its candidate (recorded, undoable); else queue it.

        The batch's merges are made together (merging.merge_many, one transaction); if the
        database refuses that, they are made one by one. Returns {survivor id: blocking
        keys it gained} (merge_many's gains; none after merges made one by one).
        """
        gains: dict[int, set[str]] = {}
        if not pending:
            return gains
        self.persons.forget(pid for m in pending for pid in (m.survivor_id, m.new_id))
        try:
            results = merging.merge_many(
                [(m.survivor_id, m.new_id, m.score, m.reasons) for m in pending],
                actor=self.actor or f"import:{self.source_name}"[:100],
                rule="auto",
                gains=gains,
                batch_id=self.batch_id,
            )
        except RETRYABLE:
            db.session.rollback()
            self._merge_each(pending)
            return {}
        refused = False
        for merge, result in zip(pending, results, strict=True):
            if not isinstance(result, Merge):
                # The candidate changed meanwhile (merged away): a person decides instead;
                # a pair a person kept apart stays apart, the row a profile of its own.
                queued = suspects.propose(
                    merge.survivor_id, merge.new_id, merge.score, merge.reasons
                )
                if merge.item is not None:
                    merge.item.outcome = "review" if queued is not None else "created"
                refused = True
            elif merge.item is not None:
                merge.item.profile_id, merge.item.merge_id = merge.survivor_id, result.id
        if refused:
            db.session.commit()
        return gains

    def _weigh_survivors(self, gains: dict[int, set[str]]) -> None:
        """Weigh the survivors of the import's merges against the blocks they just joined.

        A row merged by the scorer brings its values to the profile it joins: together
        they may match someone neither matched alone (one had the birth date, the other
        the company). Like a profile that a row joined by email (_Batch._rematch), each
        survivor is weighed against the profiles of its new blocks; merges and proposals
        follow the same thresholds, and the survivors of those merges are weighed in turn,
        at most SURVIVOR_ROUNDS times.
        """
        for _round in range(SURVIVOR_ROUNDS):
            if not gains:
                return
            views = self.persons.get_many(set(gains))
            batch = _Batch(self, [])
            batch.gained = {
                pid: (views[pid], added) for pid, added in gains.items() if pid in views
            }
            merges, proposals = batch._rematch(set(), suspects.AFTER_MERGE)
            batch._count_rematched(merges, proposals, _propose_many(proposals))
            db.session.commit()
            self.counts["rematched"] += batch.rematched
            gains = self._merge(merges)

    def _merge_each(self, pending: list[_PendingMerge]) -> None:
        """Merge each fuzzy match into its candidate (recorded, undoable); else queue it."""
        for merge in pending:
            item = merge.item
            self.persons.forget((merge.survivor_id, merge.new_id))
            try:
                if suspects.is_distinct(merge.survivor_id, merge.new_id):
                    raise ValidationError("pair marked distinct")
                made = merging.merge_profiles(
                    merge.survivor_id,
                    merge.new_id,
                    actor=self.actor or f"import:{self.source_name}"[:100],
                    rule="auto",
                    score=merge.score,
                    reasons=merge.reasons,
                    batch_id=self.batch_id,
                )
                if item is not None:
                    item.profile_id, item.merge_id = merge.survivor_id, made.id
            except (ServiceError, *RETRYABLE):
                # The candidate changed meanwhile (merged away, or marked distinct): a
                # person decides instead.
                db.session.rollback()
                queued = suspects.propose(
                    merge.survivor_id, merge.new_id, merge.score, merge.reasons
                )
                db.session.commit()
                if item is not None:
                    item.outcome = "review" if queued is not None else "created"

    def _drop_settled_conflicts(self, items: list[_Item]) -> None:
        """Take back a row's "belongs to another profile; not merged" warning when this
        import then merged the two profiles (weighing them again after its merges): the
        report must not say the opposite of what happened. Commits."""
        pairs = [
            (item, n, owner)
            for item in items
            if item.profile_id is not None
            for n, owner in enumerate(item.held_apart)
            if owner is not None
        ]
        if not pairs:
            return
        root = _merged_roots({p for item, _, owner in pairs for p in (item.profile_id, owner)})
        settled: dict[int, set[int]] = {}
        for item, n, owner in pairs:
            if root[item.profile_id] == root[owner]:
                settled.setdefault(id(item), set()).add(n)
        for item in items:
            gone = settled.get(id(item))
            if not gone:
                continue
            for n in sorted(gone):
                column, reason = item.conflicts[n]
                db.session.execute(
                    delete(ImportRejection).where(
                        ImportRejection.batch_id == self.batch_id,
                        ImportRejection.row_number == item.row.number,
                        ImportRejection.kind == "warning",
                        ImportRejection.reason == reason[:500],
                    )
                )
            keep = [n for n in range(len(item.conflicts)) if n not in gone]
            item.conflicts = [item.conflicts[n] for n in keep]
            item.held_apart = [item.held_apart[n] for n in keep]
        db.session.commit()

    def _count(self, items: list[_Item]) -> None:
        """Add the rows' outcomes to the run's counts."""
        for item in items:
            self.counts["rows"] += 1
            self.counts["warnings"] += len(item.warnings) + len(item.conflicts)
            self.counts[item.outcome if item.reject is None else "rejected"] += 1
            self.counts["consents"] += item.consents_recorded

    def record_consents(
        self, entries: list[tuple[_Item, ConsentFact]], fresh: set[int] = frozenset()
    ) -> None:
        """Append the rows' consent statements to their profiles' histories (see
        consent_ledger.record_statements)."""
        consent_ledger.record_statements(
            entries,
            source_id=self.source_id,
            source_name=self.source_name,
            batch_id=self.batch_id,
            fresh=fresh,
        )


# The purposes whose withdrawal is about an address (where messages go), by its kind.
ADDRESS_PURPOSES = {
    "email_marketing": "email",
    "sms_marketing": "phone",
    "phone_marketing": "phone",
}


@dataclass
class _OnBehalf:
    """A row's statement appended to another profile's consent history (see
    _withdrawals_for_holders): the row's record and warnings, another profile."""

    item: _Item
    profile_id: int
    # What the CRM adds to the statement's evidence (consent_ledger.SERVER_KEYS).
    server_evidence: dict = field(default_factory=dict)

    @property
    def record(self):
        return self.item.record

    @property
    def warnings(self) -> list:
        return self.item.warnings

    @property
    def consents_recorded(self) -> int:
        return self.item.consents_recorded

    @consents_recorded.setter
    def consents_recorded(self, count: int) -> None:
        self.item.consents_recorded = count


def _withdrawals_for_holders(item: _Item) -> list[tuple[_OnBehalf, ConsentFact]]:
    """A row's withdrawal of marketing to an address another profile holds, restated for
    that profile: Elsa unsubscribing with the family email Dario's profile holds is not
    Dario, but no more newsletters may go to that inbox. Grants stay the row's own (one
    person's yes is nobody else's), and so do purposes about a person, not an address.

    Call before item.conflicts are turned into report lines: they are (kind, holder)."""
    held = {(kind, _handle_id(owner)) for kind, owner in item.conflicts}
    entries = []
    for fact in item.consents:
        kind = ADDRESS_PURPOSES.get(fact.purpose)
        if fact.status != "withdrawn" or kind is None:
            continue
        for holder in sorted({pid for k, pid in held if k == kind and pid != item.profile_id}):
            said = {"held_address": kind, "stated_by_profile": item.profile_id}
            entries.append((_OnBehalf(item, holder, said), fact))
    return entries


def _write_identifier_changes(
    dropped: list[tuple] = (), repointed: list[tuple] = (), primaries: list[tuple] = ()
) -> None:
    """Apply survivorship's changes to stored emails and phones, each list of (kind,
    profile id, value, record id): drop them, point them at another record, or make
    them the profile's only primary one. One statement per kind and change."""
    for kind, model in (("emails", ProfileEmail), ("phones", ProfilePhone)):
        table, column = model.__table__, model.__table__.c[kind[:-1]]
        where = (table.c.profile_id == bindparam("p"), column == bindparam("v"))
        only = table.update().where(table.c.profile_id == bindparam("p"))
        for changes, statement in (
            (dropped, table.delete().where(*where)),
            (repointed, table.update().where(*where).values(source_record_id=bindparam("r"))),
            (primaries, only.values(is_primary=column == bindparam("v"))),
        ):
            rows = [{"p": pid, "v": value, "r": rid} for k, pid, value, rid in changes if k == kind]
            if rows:
                db.session.execute(statement, rows)


def _merged_roots(ids: set[int]) -> dict[int, int]:
    """Each profile id -> the live profile it was merged into, through any chain of
    merges (itself when it is live)."""
    parent: dict[int, int | None] = {}
    asked = set(ids)
    while asked:
        found = dict(
            db.session.execute(
                select(Profile.id, Profile.merged_into_id).where(Profile.id.in_(asked))
            ).all()
        )
        parent.update({pid: found.get(pid) for pid in asked})
        asked = {p for p in found.values() if p is not None and p not in parent}

    def root(pid: int) -> int:
        seen = set()
        while parent.get(pid) is not None and pid not in seen:
            seen.add(pid)
            pid = parent[pid]
        return pid

    return {pid: root(pid) for pid in ids}


# How a file's numeric dates ("03/04/1980") and full names ("Rossi Mario") are read: as
# its rows show ("auto": reading_order), or as the person importing it says.
DATE_ORDERS = ("auto", "day-first", "month-first")
NAME_ORDERS = ("auto", "given-first", "surname-first")


def check_reading(dates: str, names: str) -> None:
    """Raise ValidationError unless dates is one of DATE_ORDERS and names of NAME_ORDERS."""
    problems = {
        name: [f"one of {', '.join(allowed)}"]
        for name, value, allowed in (("dates", dates, DATE_ORDERS), ("names", names, NAME_ORDERS))
        if value not in allowed
    }
    if problems:
        raise ValidationError("Unknown reading order.", fields=problems)


# The fields whose numeric dates tell a file's order: birth dates and consent times.
DATED_FIELDS = (
    "birth_date",
    "email_opt_in",
    "email_opt_out",
    "email_consent_time",
    "sms_opt_in",
    "sms_opt_out",
    "sms_consent_time",
    "profiling_opt_in",
    "submitted_at",
    "optin_time",
    "confirm_time",
    "unsub_time",
    "clean_time",
)


def _dates(values: list[dict]) -> Iterator:
    return (v.get(name) for v in values for name in DATED_FIELDS)


def reading_needed(values: list[dict]) -> tuple[bool, bool]:
    """(has numeric dates, has full names): whether rows' values (canonical fields) hold
    dates or names whose order reading_order tells."""
    dates = _dates(values)
    return (
        any(isinstance(d, str) and NUMERIC_DATE.match(d.strip()) for d in dates),
        any(v.get("full_name") for v in values),
    )


def reading_order(values: list[dict], region: str) -> tuple[bool, bool]:
    """(month first, surname first): how a file writes numeric dates ("03/14/1985") and
    full names ("Rossi Mario"), told from the values of its first rows (ORDER_SAMPLE_ROWS).
    Dates that do not tell (no number over 12) are read as the rows' own country writes
    them, where most rows name one (an American list in an Italian CRM), else the
    source's region."""
    month_first = dates_month_first(_dates(values), dates_country(values, region))
    return month_first, surname_first(v.get("full_name") for v in values)


def dates_country(values: list[dict], region: str) -> str:
    """The country whose way of writing dates a file's ambiguous dates follow: the one
    most of its rows name, else region."""
    named: Counter = Counter()
    for value in values:
        try:
            country = normalise_country(value.get("country"))
        except ValueError:
            country = None
        if country:
            named[country] += 1
    if named:
        country, count = named.most_common(1)[0]
        if 2 * count > len(values):
            return country
    return region


def dates_ambiguous(values: list[dict]) -> bool:
    """True when a file's numeric dates do not show their order themselves (none has a
    number over 12 where the other order could not have it): a country decided it."""
    dates = list(_dates(values))
    return dates_month_first(dates, "US") != dates_month_first(dates, "IT")


def _refresh_statistics() -> None:
    """PostgreSQL: refresh the planner's statistics of the tables an import fills.

    A big import grows them many times over within minutes, faster than autovacuum
    notices (or at all, where it is off), and plans made for a nearly empty table (a
    scan of every profile instead of a primary-key lookup) make each batch slower than
    the last. SQLite plans by its indexes and needs nothing.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    tables = (Profile, ProfileEmail, ProfilePhone, MatchKey, SourceRecord, StageChange)
    names = ", ".join(model.__tablename__ for model in tables)
    try:
        db.session.execute(text(f"ANALYZE {names}"))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()  # e.g. not the tables' owner: the import goes on without


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


_collections_lock = threading.Lock()
_collections_held = 0
_collections_before: tuple[int, ...] = ()


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the block with Python's cycle collector woken less often (IMPORT_GC).

    An import keeps many long-lived objects (the profiles it weighs, the session's
    state) and makes hundreds of thousands of short-lived ones per batch. At Python's
    default thresholds the collector walks the long-lived ones again and again: a fifth
    of a big import's time, measured (bench/RESULTS.md). Objects without cycles are freed
    as before, and cycles are still collected, less often (the peak memory measured the
    same).
    Imports running at once in one process share the setting; the last to finish puts
    the process's own back.
    """
    global _collections_held, _collections_before
    with _collections_lock:
        if _collections_held == 0:
            _collections_before = gc.get_threshold()
            gc.set_threshold(*IMPORT_GC)
        _collections_held += 1
    try:
        yield
    finally:
        with _collections_lock:
            _collections_held -= 1
            if _collections_held == 0:
                gc.set_threshold(*_collections_before)


def _open_batch(source: Source, *, filename: str, fmt: str, mapping: dict, actor) -> ImportBatch:
    """Start the report of an import run (committed, so a failed run keeps it)."""
    batch = ImportBatch(
        source_id=source.id,
        filename=os.path.basename(filename)[:255],
        format=fmt,
        mapping=mapping,
        actor_label=audit.actor_fields(actor)["actor_label"],
        runner=jobs.runner_id(),
    )
    db.session.add(batch)
    db.session.commit()
    return batch


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
    dates: str = "auto",
    names: str = "auto",
    region_hint: str | None = None,
) -> dict:
    """Import a file's rows as source records of source_name; returns the summary.

    The summary has rows, created, merged, review, rejected, suppressed, warnings and
    batch_id (plus updated, unchanged and consents). Numeric dates and full names are
    read as the file's first rows show, unless dates or names say (DATE_ORDERS,
    NAME_ORDERS). Phones without a calling code are read in region, else the source's
    country, else (for a new source) the country they show; region_hint is what a
    preview told of them, for the batch to say whether region followed it.

    Raises ValidationError for a bad format, mapping, reading order, source name or
    region, or a file with no usable column; any other failure marks the batch failed
    (batches already stored stay) and is raised again.
    """
    check_reading(dates, names)
    overrides = validate_mapping(overrides) if overrides is not None else None
    mapping, rows = open_reader(stream, filename=filename, fmt=fmt, overrides=overrides)
    rows = iter(rows)
    head = list(islice(rows, ORDER_SAMPLE_ROWS))
    hint, detected = (region_hint or "").upper() or None, False
    if region is None:  # the source's, unless it is new: then as its phones show
        known = db.session.scalar(select(Source).where(Source.name == (source_name or "").strip()))
        preset = (known.default_region if known else None) or default_region()
        hint = phone_region_hint([r.values for r in head if not r.error], preset)
        if hint and known is None:
            region, detected = hint, True
    elif hint:  # a preview told (region_hint), and the person chose region
        detected = hint == region.upper()
    source = ensure_source(source_name, region)
    region = (region or source.default_region or default_region()).upper()
    batch = _open_batch(
        source,
        filename=filename,
        fmt=mapping.format,
        mapping={
            "columns": mapping.columns,
            "unmapped": mapping.unmapped,
            "rivals": mapping.rivals,
            "other_sheets": mapping.other_sheets,
            "held_sheets": mapping.held_sheets,
        },
        actor=actor,
    )
    run = _Run(source, batch, mapping, region, overrides, actor)
    run.read_order(
        head, dates=dates, names=names, region_detected=detected, region_hint=hint or None
    )
    try:
        with _fewer_collections():
            for chunk in _chunks(chain(head, rows), batch_size):
                run.process(chunk)
                # The batch shows what is stored so far, even if the process dies before
                # the end.
                db.session.execute(
                    ImportBatch.__table__.update()
                    .where(ImportBatch.id == run.batch_id)
                    .values(counts=dict(run.counts))
                )
                db.session.commit()
                if progress:
                    progress({**run.counts, "batch_id": run.batch_id})
    except Exception:
        db.session.rollback()
        _finish(run, "failed", actor)
        raise
    return _finish(run, "done", actor)


def region_notes(batch_id: str) -> list[str]:
    """What a person importing from the command line should know about how a batch read
    its rows (see _Run.read_order): the country of its phones, taken from them or
    doubtful; the order of its numeric dates when nothing showed it; the order of its
    full names, when it read any and was not told."""
    batch = db.session.get(ImportBatch, batch_id)
    read = (batch.mapping or {}) if batch else {}
    region, hint = read.get("region"), read.get("region_hint")
    notes = []
    if read.get("region_detected"):
        notes.append(
            f"Phones without a calling code are written as numbers of {region}: the new "
            f"source {batch.source.name} reads them so (--region to choose another country)."
        )
    if hint:
        notes.append(
            f"Most phones without a calling code are written as numbers of {hint}, not of "
            f"{region}: if they are, import again with --region {hint}."
        )
    if by := read.get("dates_by"):
        month_first = read.get("dates") == "month-first"
        notes.append(
            f"No date of the first rows shows whether the day or the month comes first: "
            f"they were read {'month' if month_first else 'day'} first, as in {by} "
            f"(03/04/1980 is {'4 March' if month_first else '3 April'} 1980). If the file "
            f"writes them the other way, import again with --dates "
            f"{'day-first' if month_first else 'month-first'}."
        )
    if read.get("names") and not read.get("names_chosen"):
        surname_first = read["names"] == "surname-first"
        notes.append(
            f"Full names were read {'surname' if surname_first else 'given name'} first "
            f'("{"Rossi Mario" if surname_first else "Mario Rossi"}"), as the first rows '
            "show. If the file writes them the other way, import again with --names "
            f"{'given-first' if surname_first else 'surname-first'}."
        )
    return notes


def mapping_notes(batch_id: str) -> list[str]:
    """What a person importing from the command line should know about the columns and
    sheets a batch left out (the web preview shows the same before the import)."""
    batch = db.session.get(ImportBatch, batch_id)
    read = (batch.mapping or {}) if batch else {}
    notes = []
    rivals = read.get("rivals") or {}
    unmapped = [c for c in read.get("unmapped") or [] if c not in rivals and str(c).strip()]
    if unmapped:
        left = ", ".join(f'"{column}"' for column in unmapped)
        notes.append(
            f"Columns not imported: {left} (no field reads them; they stay in each record's "
            "raw payload, shown with the record on the profile page). If one holds a field "
            "under another name, name it in a --mapping file."
        )
    if rivals:
        left = ", ".join(f'"{column}" (its field is read from "{taker}")' for column, taker in
                         rivals.items())  # fmt: skip
        notes.append(
            f"Columns not imported: {left}. Name them in a --mapping file to import them "
            "as other fields."
        )
    sheets = read.get("other_sheets") or []
    if sheets:
        notes.append(
            f"Sheets not imported: {', '.join(sheets)} (their columns differ from the first "
            "sheet's): import each as a file of its own."
        )
    held = read.get("held_sheets") or []
    if held:
        notes.append(
            f"Sheets not imported: {', '.join(held)} (the name says its people are not to be "
            "contacted): import one as a file of its own only if they are to be in the CRM."
        )
    return notes


class RefusedRecord(dict):
    """A record of the records API whose shape is wrong (a consent without a known
    purpose, an object where text belongs): rejected on its own, with its problems by
    key, while the call's other records are stored."""

    def __init__(self, record: dict, problems: dict[str, list[str]]) -> None:
        super().__init__(record)
        self.problems = problems

    @property
    def reason(self) -> str:
        said = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in self.problems.items())
        return f"{SHAPE_REFUSED}: {said}"


SHAPE_REFUSED = "the record's shape is refused"


def import_records(
    records: list[dict],
    *,
    source_name: str,
    actor=None,
    region: str | None = None,
    dates: str = "auto",
    names: str = "auto",
) -> dict:
    """Upsert up to a thousand records given as JSON objects (the records API).

    The records are stored in one transaction; fuzzy merges follow, each its own. Phones,
    numeric dates and full names read as for a file (region, dates, names: see
    import_stream). Returns {"batch_id", "summary", "results": [{"index", "outcome",
    "profile_id", "reasons", "warnings"}]}. Raises ValidationError for an unusable source
    name, region or reading order.
    """
    check_reading(dates, names)
    source = ensure_source(source_name, region)
    region = (region or source.default_region or default_region()).upper()
    mapping = readers.Mapping(format="jsonl")
    batch = _open_batch(
        source,
        filename=API_BATCH,
        fmt="jsonl",
        mapping={"columns": {}, "unmapped": []},
        actor=actor,
    )
    run = _Run(source, batch, mapping, region, None, actor)
    rows = [
        readers.row_from_object(n, obj, sent=True)
        if not isinstance(obj, RefusedRecord)
        else readers.Row(n, {}, readers.json_value(dict(obj)), error=obj.reason)
        for n, obj in enumerate(records)
    ]
    run.read_order(rows, dates=dates, names=names)
    run.dates_per_record = dates == "auto"
    try:
        with _fewer_collections():
            items = run.process(rows)
    except Exception:
        db.session.rollback()
        _finish(run, "failed", actor)
        raise
    summary = _finish(run, "done", actor)
    queued = [item.profile_id for item in items if item.outcome == "review" and item.profile_id]
    pairs = profiles.review_pairs_of(queued) if queued else {}
    return {
        "batch_id": summary.pop("batch_id"),
        "summary": summary,
        "results": [item.result(n, pairs) for n, item in enumerate(items)],
    }


def _consent_changes(run: _Run) -> dict[str, int]:
    """The consent statements a run appended, counted by "purpose:status" (each is in
    the consent ledger, with its source and evidence; the audit trail says how many)."""
    rows = db.session.execute(
        select(ConsentRecord.purpose, ConsentRecord.status, func.count())
        .where(
            ConsentRecord.id > run.consents_before,
            ConsentRecord.evidence["batch_id"].as_string() == run.batch_id,
        )
        .group_by(ConsentRecord.purpose, ConsentRecord.status)
        .order_by(ConsentRecord.purpose, ConsentRecord.status)
    )
    return {f"{purpose}:{status}": n for purpose, status, n in rows}


def _finish(run: _Run, status: str, actor) -> dict:
    """Close the batch, audit the run (ids and counts only) and commit."""
    batch = db.session.get(ImportBatch, run.batch_id)
    batch.status = status
    batch.finished_at = utcnow()
    batch.counts = dict(run.counts)
    changes = _consent_changes(run)
    audit.record(
        "import.run",
        actor=actor,
        object_type="import_batch",
        object_id=run.batch_id,
        details={
            "batch_id": run.batch_id,
            "status": status,
            "counts": dict(run.counts),
            # Consent changes are data events: how many of each, by purpose and status
            # (each statement, with its source and evidence, is in the consent ledger).
            "consent_changes": changes,
        },
    )
    db.session.commit()
    return {**{k: run.counts[k] for k in SUMMARY_KEYS}, **dict(run.counts), "batch_id": batch.id}


def import_file(path: str, **kwargs) -> dict:
    """Import the file at path (see import_stream). Raises ValidationError if unreadable
    or empty."""
    try:
        stream = open(path, "rb")
        status = os.fstat(stream.fileno())
    except OSError as exc:
        raise ValidationError(f"Cannot read {os.path.basename(path)}: {exc.strerror}.") from exc
    with stream:
        if stat.S_ISREG(status.st_mode) and status.st_size == 0:  # a pipe says 0 too
            raise ValidationError("The file is empty.", fields={"file": ["No bytes."]})
        fmt = kwargs.get("fmt", "auto")
        if fmt == "auto" and readers.file_kind(stream, fmt=fmt, filename=path) == "jsonl":
            kwargs["fmt"] = "jsonl"
        return import_stream(readers.Borrowed(stream), filename=path, **kwargs)
