"""Schemas of the source-records API: a batch of records in, per-record outcomes out."""

from marshmallow import Schema, ValidationError, fields, validate, validates
from phonenumbers import SUPPORTED_REGIONS

from crm.models import (
    CONSENT_STATUSES,
    LEGAL_BASES,
    PROFILE_FIELDS,
    PURPOSES,
    TAG_MAX,
    Profile,
    ProfileEmail,
    Source,
    SourceRecord,
)
from crm.schemas.common import StrictInput
from crm.schemas.profiles import ReviewPairOut
from crm.services.consent_ledger import RESERVED_KEYS, SENT_KEY
from crm.services.ingest import DATE_ORDERS, NAME_ORDERS, RefusedRecord
from crm.services.readers import LIST_FIELDS, map_headers

MAX_RECORDS = 1000
# The longest external id a source record keeps: a longer one rejects the record.
MAX_EXTERNAL_ID = SourceRecord.__table__.c.external_id.type.length
# The profile fields whose length the description states (the text ones: a country is a
# code, a birth date a date): a longer value (once normalised) is left out of the profile
# with a warning, so a client can cut it itself instead.
_LIMITED = tuple(name for name in PROFILE_FIELDS if name not in ("country", "birth_date"))
OUTCOMES = ("created", "merged", "updated", "unchanged", "review", "rejected")
# Keys read as lists of emails and phones besides the fields' own names and synonyms.
_PLURAL_KEYS = {"emails": "email", "phones": "phone"}
_SCALAR = (str, int, float, bool)

MAX_SOURCE_NAME = Source.__table__.c.name.type.length
# The characters a source name may not hold (ingest.source_name_problem: control and
# invisible formatting characters, private use, line and paragraph separators), those of
# the Basic Multilingual Plane, which a pattern without Unicode classes can list; and "/",
# which would end the path segment. A name must hold more than spaces (trimmed at its ends).
_NOT_IN_SOURCE_NAME = (
    r"/\u0000-\u001F\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891"
    r"\u08E2\u180E\u200B-\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uE000-\uF8FF"
    r"\uFEFF\uFFF9-\uFFFB"
)
SOURCE_NAME_PATTERN = rf"^(?!\s*$)[^{_NOT_IN_SOURCE_NAME}]+$"
# The records endpoint's path parameter, as the route's converter cannot describe it.
SOURCE_PARAMETER = {
    "in": "path",
    "name": "source",
    "required": True,
    "description": (
        "The source's name, as `crm import --source` takes it: 1 to "
        f"{MAX_SOURCE_NAME} characters once spaces at its ends are trimmed, without "
        "control or invisible formatting characters (Unicode categories Cc, Cf, Co, Zl, "
        "Zp; the pattern lists those of the Basic Multilingual Plane) or `/`. A name that "
        "differs from an existing source's only in case (`Shopify` for `shopify`) is "
        "refused (409), naming that source; a name no source has creates one "
        "(`source_created`). `manual` (in any case) is the app's own source of values "
        "typed by hand and takes no records (422)."
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_SOURCE_NAME,
        "pattern": SOURCE_NAME_PATTERN,
    },
}


def _tag_problem(value) -> str | None:
    """Why value is no tags: tags are text or null (true or 3 as a tag is a client's
    mistake, not a label)."""
    if value is None:
        return None
    if isinstance(value, list):
        if all(isinstance(v, str) or v is None for v in value):
            return None
        return "Must be a list of text values."
    return None if isinstance(value, str) else "Must be text or a list of text."


def _record_problems(record: dict) -> dict[str, list[str]]:
    """Shape problems of one record, by key (values are checked by the importer).

    Keys read as profile fields (as the importer maps them: names and synonyms) hold text,
    a number or null, or a list of those for emails, phones and tags; any other key is only
    kept in the raw record, so it may hold any JSON value.
    """
    fields_of = map_headers(list(record), "jsonl").columns
    problems: dict[str, list[str]] = {}
    for key, value in record.items():
        target = fields_of.get(key) or _PLURAL_KEYS.get(key)
        if key == "consents":
            problems.update(_consent_problems(value))
        elif target == "tags" and (problem := _tag_problem(value)):
            problems[key] = [problem]
        elif target is None or value is None or isinstance(value, _SCALAR):
            continue
        elif target in LIST_FIELDS and isinstance(value, list):
            if not all(isinstance(v, _SCALAR) or v is None for v in value):
                problems[key] = ["Must be a list of text values."]
        elif target in LIST_FIELDS:
            problems[key] = ["Must be text or a list of text."]
        else:
            problems[key] = ["Must be text, a number or null."]
    return problems


def _consent_problems(value) -> dict[str, list[str]]:
    """Shape problems of a record's consents list."""
    if value is None:
        return {}
    if not isinstance(value, list):
        return {"consents": ["Must be a list of objects."]}
    messages = []
    for n, entry in enumerate(value):
        if not isinstance(entry, dict):
            messages.append(f"{n}: must be an object.")
            continue
        if entry.get("purpose") not in PURPOSES:
            messages.append(f"{n}: purpose must be one of {', '.join(PURPOSES)}.")
        status = entry.get("status")
        if status not in CONSENT_STATUSES:
            said = f"{str(status)[:40]!r} is not a status" if status is not None else "missing"
            messages.append(
                f"{n}: status {said}; it must be one of {', '.join(CONSENT_STATUSES)} "
                "(refused: asked, the person said no)."
            )
        if entry.get("legal_basis") not in (None, *LEGAL_BASES):
            messages.append(f"{n}: legal_basis must be one of {', '.join(LEGAL_BASES)}.")
        if "evidence" in entry and not isinstance(entry["evidence"], dict | type(None)):
            messages.append(f"{n}: evidence must be an object.")
    return {"consents": messages} if messages else {}


def _limits_text() -> str:
    """The length limits of a record's values, as the profile's columns set them."""
    by_length: dict[int, list[str]] = {}
    columns = [Profile.__table__.c[name] for name in _LIMITED]
    for column in [*columns, ProfileEmail.__table__.c.email]:
        by_length.setdefault(column.type.length, []).append(f"`{column.name}`")
    lengths = "; ".join(f"{', '.join(names)} {n}" for n, names in sorted(by_length.items()))
    return (
        f"Lengths in characters, once normalised: {lengths}. A longer value is left out "
        f"with a warning (the person still imports); a tag over {TAG_MAX} "
        f"characters is cut, with a warning; an `external_id` over {MAX_EXTERNAL_ID} "
        "rejects the record."
    )


_LIMITS_TEXT = _limits_text()
# What a consent's evidence may hold, and which of its keys the CRM writes itself.
_EVIDENCE_TEXT = (
    "A consent's `evidence` is an object kept with the statement as sent (the proof of "
    "consent: a form's confirmation token, an opt-in IP). The CRM adds its own keys to it: "
    "`source` and `batch_id` (which source and batch stated it), and for a statement "
    "stamped when imported (no time, or one it could not keep) `time` and `stated_at`; "
    "evidence keys named "
    + ", ".join(f"`{key}`" for key in RESERVED_KEYS)
    + f" are kept, with their values as sent, under `{SENT_KEY}`."
)


class _Record(fields.Dict):
    """One record: a JSON object whose profile fields have the shape the importer reads.

    Its problems are found here, each record on its own: such a record is rejected with
    them as its result's reasons (ingest.RefusedRecord), and one sync's bad consent does
    not keep its 999 other records out.
    """

    def _deserialize(self, value, attr, data, **kwargs) -> dict:
        """The record, or with its shape problems by key a RefusedRecord: the importer
        rejects it alone (its result says why) and stores the call's other records."""
        record = super()._deserialize(value, attr, data, **kwargs)
        problems = _record_problems(record)
        return RefusedRecord(record, problems) if problems else record


class RecordsIn(StrictInput):
    """Up to a thousand records of one source, each a JSON object with profile field names."""

    records = fields.List(
        _Record(keys=fields.String()),
        required=True,
        validate=[
            validate.Length(min=1, error="Send at least one record."),
            validate.Length(
                max=MAX_RECORDS,
                error="At most {max} records a call: send the rest in another.",
            ),
        ],
        metadata={
            "description": (
                "Person records: `external_id` (or `id`), `first_name`, `last_name`, `email` "
                "or `emails`, `phone` or `phones`, `company`, `job_title`, `address`, "
                "`address_line_2`, `postcode`, `city`, `state`, `country`, `birth_date`, `tax_id`, "
                "`tags` (text or a list of text), `stage`; optional `consents`: [{`purpose`, "
                "`status` (granted, withdrawn, or refused: asked, the person said no), "
                "`legal_basis`, `recorded_at`, `evidence`}]. "
                f"{_EVIDENCE_TEXT} {_LIMITS_TEXT} Other keys are "
                "kept in the raw record and may hold any JSON value (what lies past 32 levels "
                "of nesting or 16 MiB of one key's value is cut). NaN and Infinity read as "
                "null. No text, key or value, may hold NUL characters or lone UTF-16 "
                f"surrogates (422, by index and key). A record of another shape (an "
                "object where text belongs, a consent without a known purpose or status) "
                "is rejected on its own, its result's reasons saying what is wrong; the "
                f"others are stored. 1 to {MAX_RECORDS} records."
            ),
            "example": [
                {
                    "external_id": "C-1001",
                    "first_name": "Anna",
                    "last_name": "Bianchi",
                    "email": "anna.bianchi@example.com",
                    "city": "Milano",
                    "tags": ["webinar"],
                }
            ],
        },
    )

    region = fields.String(
        load_default=None,
        metadata={
            "description": "Country of phones written without a calling code: a two-letter "
            "ISO 3166-1 code, in any case, of a country phone numbers are known for (e.g. IT; "
            "not 001 or other non-geographic codes); default: the source's. A new source "
            "keeps it.",
            "pattern": "^[A-Za-z]{2}$",
        },
    )
    dates = fields.String(
        load_default="auto",
        validate=validate.OneOf(DATE_ORDERS),
        metadata={
            "description": "How numeric dates such as 03/04/1980 are written; auto: as the "
            "records show (day first unless they say otherwise)."
        },
    )
    names = fields.String(
        load_default="auto",
        validate=validate.OneOf(NAME_ORDERS),
        metadata={
            "description": "How a `full_name` is written (Rossi Mario or Mario Rossi); auto: "
            "as the records show."
        },
    )

    @validates("region")
    def _check_region(self, region: str | None, **kwargs) -> None:
        """A two-letter code of a country phone numbers are known for, in any case."""
        if region is not None and region.upper() not in SUPPORTED_REGIONS:
            raise ValidationError("Not a country code phone numbers are known for (e.g. IT).")


class FieldWarning(Schema):
    """A value left out of a record, and why."""

    field = fields.String(required=True)
    reason = fields.String(required=True)


class RecordResult(Schema):
    """What happened to one record of the request."""

    index = fields.Integer(required=True, metadata={"description": "Position in `records`"})
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    profile_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null when rejected"}
    )
    reasons = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Why: the matching evidence, or the reason for rejection"},
    )
    warnings = fields.List(fields.Nested(FieldWarning), required=True)
    merge_id = fields.Integer(
        metadata={
            "description": "merged by the scorer: the merge that joined the record's profile "
            "to an earlier one (GET /profiles/{id}/merges; POST /merges/{id}/undo)"
        }
    )
    review_pairs = fields.List(
        fields.Nested(ReviewPairOut),
        metadata={
            "description": "review: the queue's pairs the record's profile is in, likely "
            "duplicates first (GET /duplicates/{id})"
        },
    )


class RecordsSummary(Schema):
    """Counts of the request's records by outcome, as `crm import` reports them."""

    rows = fields.Integer(required=True)
    created = fields.Integer(required=True)
    merged = fields.Integer(required=True)
    updated = fields.Integer(required=True)
    unchanged = fields.Integer(required=True)
    review = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    suppressed = fields.Integer(required=True)
    warnings = fields.Integer(required=True)
    consents = fields.Integer(required=True)
    rematched = fields.Integer(
        required=True,
        metadata={
            "description": "Pairs of earlier profiles merged or sent to review because these "
            "records gave one of them new evidence (a company, a city, a birth date)"
        },
    )


class RecordsOut(Schema):
    """The batch the records were stored in, its summary and one result per record."""

    batch_id = fields.String(required=True)
    source_created = fields.Boolean(
        required=True,
        metadata={
            "description": "true when no source had this name, and this call created it "
            "(first party, trust rank 50): on an integration's first call that is "
            "expected; on a later one, its source name is mistyped"
        },
    )
    summary = fields.Nested(RecordsSummary, required=True)
    results = fields.List(fields.Nested(RecordResult), required=True)
