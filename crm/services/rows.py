"""One row of a file as the importer reads it: its values normalised, its consents, and
what was wrong with it (reported as warnings with the field, or a reason to reject it).

Pure functions over a row's values by canonical field (readers.Mapping.values): nothing
here reads or writes the database; ingest stores what they return.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from crm.models import LEGAL_BASES, PROFILE_FIELDS, PURPOSES, Profile
from crm.services.given_names import GIVEN_NAMES
from crm.services.normalise import (
    clean_text,
    fold,
    normalise_country,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_tax_id,
    strip_titles,
)

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
    "tax_id": normalise_tax_id,
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


def _in_capitals(word: str) -> bool:
    """A word written in capitals (two letters at least: an initial says nothing)."""
    return word.isupper() and sum(c.isalpha() for c in word) >= 2


def _surname_in_capitals(parts: list[str]) -> tuple[str, str] | None:
    """(first, last) when the capitals mark the surname: 'ROSSI Mario', 'DE LUCA Maria
    Grazia', 'Anna BIANCHI' (lists, badges and forms often write it so); else None."""
    caps = [_in_capitals(p) for p in parts]
    if all(caps) or not any(caps):
        return None
    lead = caps.index(False)
    if lead and not any(caps[lead:]):
        return " ".join(parts[lead:]), " ".join(parts[:lead])
    tail = caps[::-1].index(False)
    if tail and not any(caps[: len(parts) - tail]):
        return " ".join(parts[:-tail]), " ".join(parts[-tail:])
    return None


def _particle(word: str) -> bool:
    """A surname particle written as a word of its own: de, di, della, van, von, ..."""
    return word.lower().rstrip("'’") in _NAME_PARTICLES


def _given(word: str) -> bool:
    """A common given name (given_names.GIVEN_NAMES)."""
    return fold(word).replace(" ", "") in GIVEN_NAMES


# How many of a file's full names must say "surname first" before it is read so.
NAME_ORDER_MIN = 5


def surname_first(samples) -> bool:
    """Whether a file's full names put the surname first ("Rossi Mario"), from a sample.

    A name opening with a common given name and not closing with one says "given name
    first"; the other way round says "surname first". The file is read surname first
    when that is said at least NAME_ORDER_MIN times and four times as often as the
    other; anything less keeps the usual order (names written in capitals follow their
    own rule, see split_full_name).
    """
    given_first = surname_before = 0
    for sample in samples:
        text = clean_text(sample) if isinstance(sample, str) else None
        if not text or "," in text:
            continue
        parts = strip_titles(text).split(" ")
        if len(parts) < 2 or _surname_in_capitals(parts):
            continue
        opens, closes = _given(parts[0]), _given(parts[-1])
        given_first += opens and not closes
        surname_before += closes and not opens
    return surname_before >= max(NAME_ORDER_MIN, 4 * given_first)


def split_full_name(full: str, *, surname_first: bool = False) -> tuple[str | None, str | None]:
    """Split 'Maria Grazia De Luca' into ('Maria Grazia', 'De Luca'); 'Rossi, Anna' and
    'ROSSI Anna' (the surname in capitals, first or last) too.

    surname_first: the file writes names surname first ("De Luca Maria Grazia"): the
    given names are the common given names at the end (at least the last word), unless
    this name plainly opens with a given name and does not close with one.
    """
    text = clean_text(full)
    if not text:
        return None, None
    text = strip_titles(text)
    if "," in text:
        last, _, first = text.partition(",")
        return clean_text(first), clean_text(last)
    parts = text.split(" ")
    if len(parts) == 1:
        return parts[0], None
    if marked := _surname_in_capitals(parts):
        return marked
    if surname_first and not (_given(parts[0]) and not _given(parts[-1])):
        cut = len(parts) - 1
        # More given names before the last ("Maria Grazia"), but never the word after a
        # particle ("De Luca Maria": Luca is the surname's).
        while cut > 1 and _given(parts[cut - 1]) and not _particle(parts[cut - 2]):
            cut -= 1
        return " ".join(parts[cut:]), " ".join(parts[:cut])
    cut = len(parts) - 1
    while cut > 1 and _particle(parts[cut - 1]):
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


def normalise_row(
    values: dict, region: str, *, month_first: bool = False, surname_first: bool = False
) -> NormalisedRow:
    """Normalise one mapped row (canonical field -> value); a pure function.

    month_first: the file writes numeric dates month first (normalise.dates_month_first).
    surname_first: the file writes full names surname first (see surname_first).
    """
    row = NormalisedRow()
    external = clean_text(values.get("external_id") or values.get("id"))
    if external and len(external) > 200:
        row.reject_reason = "external id longer than 200 characters"
    row.external_id = external
    for name in PROFILE_FIELDS:
        if values.get(name) in (None, ""):
            continue
        try:
            if name == "birth_date" and month_first:
                born = normalise_date(values[name], month_first=True)
                value = born.isoformat() if born else None
            else:
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
    _join_house_number(row, values.get("street_number"), region)
    if values.get("full_name") and not row.has_name:
        first, last = split_full_name(str(values["full_name"]), surname_first=surname_first)
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


# Countries that write the house number after the street name ("Via Roma 12"); elsewhere
# it comes first ("8 Stanley Street"). Matching ignores the order either way.
_NUMBER_AFTER_STREET = frozenset(
    "IT SM VA CH DE AT LI NL BE ES PT PL CZ SK HU SI HR RS BA ME MK AL GR RO BG DK SE NO FI "
    "IS EE LV LT UA TR AR CL CO MX PE UY BR".split()
)


def _join_house_number(row: NormalisedRow, number, region: str) -> None:
    """Join a separate house-number column to the street, in the country's order."""
    number = clean_text(number)
    street = row.fields.get("address")
    if not number or not street:
        return  # a number without a street says nothing; the raw record keeps it
    if number in street.split():
        return
    country = (row.fields.get("country") or region or "").upper()
    if country in _NUMBER_AFTER_STREET:
        joined = f"{street} {number}"
    else:
        joined = f"{number} {street}"
    limit = _column_limit("address")
    if limit and len(joined) > limit:
        row.warnings.append(("street_number", f"address longer than {limit} characters"))
        return
    row.fields["address"] = joined


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
    """What one imported row says about a consent (email marketing, unless it says which)."""

    status: str
    legal_basis: str
    recorded_at: datetime | None
    evidence: dict
    warnings: list[tuple[str, str]] = field(default_factory=list)
    purpose: str = "email_marketing"


def consents_from_object(value) -> tuple[list[ConsentFact], list[tuple[str, str]]]:
    """The consents a JSON record states, as [{"purpose", "status", "legal_basis",
    "recorded_at", "evidence"}] (only purpose and status required); pure.

    Returns the facts and a warning for each entry left out.
    """
    if value in (None, "", []):
        return [], []
    if not isinstance(value, list):
        return [], [("consents", "consents must be a list of objects")]
    facts, warnings = [], []
    for entry in value:
        if (
            not isinstance(entry, dict)
            or entry.get("purpose") not in PURPOSES
            or entry.get("status") not in ("granted", "withdrawn")
        ):
            warnings.append(
                ("consents", "a consent needs a known purpose and status granted or withdrawn")
            )
            continue
        basis = entry.get("legal_basis") or "consent"
        if basis not in LEGAL_BASES:
            warnings.append(("consents", f"unknown legal basis {str(basis)[:40]!r}"))
            continue
        try:
            at = parse_time(entry.get("recorded_at"))
        except ValueError as exc:
            warnings.append(("consents", f"recorded_at: {exc}"))
            at = None
        evidence = entry.get("evidence")
        evidence = jsonable(evidence) if isinstance(evidence, dict) else {}
        facts.append(ConsentFact(entry["status"], basis, at, evidence, purpose=entry["purpose"]))
    return facts, warnings


def legal_basis_from_text(text: str | None) -> str | None:
    """Our legal basis for a tool's legal-basis text, if recognised."""
    folded = fold(text)
    for needle, basis in LEGAL_BASIS_TEXTS:
        if needle in folded:
            return basis
    return None


def consent_from_row(fmt: str, values: dict) -> ConsentFact | None:
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
        clean_time = clean_text(values.get("clean_time"))
        if status_text in ("unsubscribed", "cleaned") or unsub_time or clean_time:
            evidence.update(
                status=status_text or ("cleaned" if clean_time else "unsubscribed"),
                unsub_time=unsub_time,
                clean_time=clean_time,
            )
            at = when("unsub_time") or when("clean_time") or when("last_changed")
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


# What an opt-in or opt-out column says, folded.
_SAYS_YES = frozenset(
    "true yes y 1 si x subscribed granted confirmed accepted iscritto".split()
    + ["opted in", "opt in"]
)
_SAYS_NO = frozenset(
    ["false", "no", "n", "0", "never subscribed", "not subscribed", "non iscritto"]
)
_SAYS_WITHDRAWN = frozenset(
    ["unsubscribed", "opted out", "withdrawn", "revoked", "cleaned", "revocato", "disiscritto"]
)


def consent_from_columns(values: dict) -> tuple[ConsentFact | None, list[tuple[str, str]]]:
    """The email-marketing consent of plain opt-in / opt-out columns, if they say one, and
    a warning for each value not understood; pure.

    An opt-in that says yes (or gives the date of the opt-in) is a grant; one that says
    unsubscribed, or an opt-out that says yes (or gives its date), a withdrawal. "No" says
    only that there is no consent, which needs no record (nobody is contacted without).
    """
    warnings: list[tuple[str, str]] = []
    said: dict[str, tuple[str, datetime | None]] = {}
    for name in ("email_opt_in", "email_opt_out"):
        text = clean_text(values.get(name))
        if text is None:
            continue
        folded = fold(text.replace("_", " "))
        if folded in _SAYS_NO:
            continue
        at = None
        if folded not in _SAYS_YES and folded not in _SAYS_WITHDRAWN:
            try:
                at = parse_time(text)
            except ValueError:
                warnings.append((name, f"unrecognised {name.replace('_', ' ')} value"))
                continue
        opted_out = name == "email_opt_out" or folded in _SAYS_WITHDRAWN
        said[name] = ("withdrawn" if opted_out else "granted", at)
    if not said:
        return None, warnings
    # An opt-out beside an opt-in wins: the person said no last, or the tools disagree.
    status, at = said.get("email_opt_out") or said["email_opt_in"]
    evidence = {name: clean_text(values.get(name)) for name in said}
    return ConsentFact(status, "consent", at, evidence), warnings


def jsonable(value):
    """Raw values as JSON can hold them."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
