"""Schemas of the source-records API: a batch of records in, per-record outcomes out."""

from marshmallow import Schema, ValidationError, fields, validate, validates
from phonenumbers import SUPPORTED_REGIONS

from crm.models import LEGAL_BASES, PURPOSES
from crm.schemas.common import StrictInput
from crm.services.ingest import DATE_ORDERS, NAME_ORDERS
from crm.services.readers import LIST_FIELDS, map_headers

MAX_RECORDS = 1000
OUTCOMES = ("created", "merged", "updated", "unchanged", "review", "rejected")
# Keys read as lists of emails and phones besides the fields' own names and synonyms.
_PLURAL_KEYS = {"emails": "email", "phones": "phone"}
_SCALAR = (str, int, float, bool)


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
        if entry.get("status") not in ("granted", "withdrawn"):
            messages.append(f"{n}: status must be granted or withdrawn.")
        if entry.get("legal_basis") not in (None, *LEGAL_BASES):
            messages.append(f"{n}: legal_basis must be one of {', '.join(LEGAL_BASES)}.")
        if "evidence" in entry and not isinstance(entry["evidence"], dict | type(None)):
            messages.append(f"{n}: evidence must be an object.")
    return {"consents": messages} if messages else {}


class RecordsIn(StrictInput):
    """Up to a thousand records of one source, each a JSON object with profile field names."""

    records = fields.List(
        fields.Dict(keys=fields.String()),
        required=True,
        validate=[
            validate.Length(min=1, error="Send at least one record."),
            validate.Length(max=MAX_RECORDS),
        ],
        metadata={
            "description": (
                "Person records: `external_id` (or `id`), `first_name`, `last_name`, `email` "
                "or `emails`, `phone` or `phones`, `company`, `job_title`, `address`, "
                "`address_line_2`, `postcode`, `city`, `state`, `country`, `birth_date`, `tax_id`, "
                "`tags` (text), `stage`; optional `consents`: [{`purpose`, `status` (granted "
                "or withdrawn), `legal_basis`, `recorded_at`, `evidence`}]. Other keys are "
                "kept in the raw record and may hold any JSON value (what lies past 32 levels "
                "of nesting or 16 MiB of one key's value is cut). NaN and Infinity read as "
                "null. No text, key or value, may hold NUL characters or lone UTF-16 "
                "surrogates (422, by index and key). 1 to 1000 records."
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

    @validates("records")
    def _check_records(self, records: list, **kwargs) -> None:
        """Report every record's shape problems at once, by index and key."""
        problems = {}
        for index, record in enumerate(records):
            found = _record_problems(record)
            if found:
                problems[index] = found
        if problems:
            raise ValidationError(problems)


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
    summary = fields.Nested(RecordsSummary, required=True)
    results = fields.List(fields.Nested(RecordResult), required=True)
