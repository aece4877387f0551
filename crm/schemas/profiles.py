"""Schemas of the profiles API: input for create and edit, output, and search arguments."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from crm.models import (
    CONSENT_STATUSES,
    MAX_EMAILS,
    MAX_PHONES,
    MAX_TAGS,
    PROFILE_FIELDS,
    PURPOSES,
    STAGES,
)
from crm.schemas.common import CursorArgs, ErrorOut, StrictInput, page_of
from crm.services.profiles import NEEDS_IDENTITY

_LIST_HINT = "Read-only: set '{0}s' instead (the first one is the primary)."
_STAMPS = "Read-only: set by the server."


class _Stage(fields.String):
    """A lifecycle stage in any case ("MQL" is mql), as the records API reads it."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return text.strip().lower()


class _Owner(fields.Field):
    """A user by email, or by id as a number or as text (the service looks them up)."""

    default_error_messages = {"invalid": "Not a valid email or user id."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.make_error("invalid")
        return value


def _text(description: str = "") -> fields.String:
    """An optional free-text profile field; null or empty clears it."""
    return fields.String(
        allow_none=True, metadata={"description": description} if description else {}
    )


class _ProfileFields(StrictInput):
    """The client-settable profile fields; everything else is refused by name."""

    READ_ONLY = {
        "id": _STAMPS,
        "version": "Read-only: send the ETag in an If-Match header instead.",
        "created_at": _STAMPS,
        "updated_at": _STAMPS,
        "provenance": _STAMPS,
        "source_records": "Read-only: source records come from imports and the sources API.",
        "consents": "Read-only: consents come from sources: send them as a record's "
        "'consents' (POST /sources/{source}/records) or import a file.",
        "email": _LIST_HINT.format("email"),
        "phone": _LIST_HINT.format("phone"),
    }

    first_name = _text()
    last_name = _text()
    company = _text()
    job_title = _text()
    address = _text()
    address_line_2 = _text()
    postcode = _text()
    city = _text()
    state = _text()
    country = _text("ISO 3166-1 alpha-2 code or an English or Italian country name")
    birth_date = fields.Date(
        allow_none=True,
        error_messages={"invalid": "Not a valid date: write it as YYYY-MM-DD (1990-07-15)."},
        metadata={"description": "ISO 8601 date, from 1900-01-01 to today (as the importer takes)"},
    )
    tax_id = _text("A personal tax or national id (codice fiscale, social security number)")
    emails = fields.List(
        fields.String(),
        validate=validate.Length(max=MAX_EMAILS),
        metadata={
            "description": f"Replaces all addresses; the first is primary (at most {MAX_EMAILS})"
        },
    )
    phones = fields.List(
        fields.String(),
        validate=validate.Length(max=MAX_PHONES),
        metadata={
            "description": "Replaces all numbers; the first is primary (E.164 or local; at "
            f"most {MAX_PHONES})"
        },
    )
    tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=80)),
        validate=validate.Length(max=MAX_TAGS),
        metadata={"description": f"Replaces all tags (at most {MAX_TAGS})"},
    )
    stage = _Stage(validate=validate.OneOf(STAGES))
    stage_reason = fields.String(
        validate=validate.Length(max=500),
        metadata={"description": "Why the stage changed; kept in the stage history"},
    )
    score = fields.Integer(strict=True)
    owner = _Owner(
        allow_none=True,
        metadata={
            "description": "An active sales rep or admin, by email or id; null for none",
            "oneOf": [{"type": "string"}, {"type": "integer"}],
        },
    )


class ProfileIn(_ProfileFields):
    """A profile typed in by hand (POST); it needs a name, an email, a phone or a tax id
    (the profiles service checks that on the cleaned values; this refuses a body without
    any early)."""

    @validates_schema
    def _needs_identity(self, data: dict, **kwargs) -> None:
        """Refuse a body naming no one: nothing to find them by."""
        keys = ("first_name", "last_name", "emails", "phones", "tax_id")
        if not any(data.get(key) for key in keys):
            raise ValidationError(NEEDS_IDENTITY)


class ProfilePatch(_ProfileFields):
    """A partial edit (PATCH): only the fields present change."""


class SourceRecordRef(Schema):
    """Which source gave a record of this person, under which id."""

    source = fields.String(required=True)
    external_id = fields.String(allow_none=True)


class OriginOut(Schema):
    """Where a value came from: a source record (source, source_record_id) or a person's
    hand (manual, at)."""

    source = fields.String(metadata={"description": "The source of the record stating it"})
    source_record_id = fields.Integer(metadata={"description": "The id of that record"})
    manual = fields.Integer(
        allow_none=True,
        metadata={
            "description": "Present when typed by hand in the CRM: the id of the user who "
            "did (null when not a user, or not known)"
        },
    )
    at = fields.String(metadata={"description": "When it was typed by hand (ISO 8601)"})


class IdentifierOriginOut(OriginOut):
    """An email or phone of the profile and the record that brought it (else: manual)."""

    value = fields.String(required=True)


class RecordOriginOut(Schema):
    """A source record stating a value."""

    source = fields.String(required=True)
    source_record_id = fields.Integer(required=True)


class TagOriginOut(OriginOut):
    """A tag of the profile: the records stating it (one per source, its first) and, when a
    person added it by hand, who and when (manual, at)."""

    name = fields.String(required=True)
    sources = fields.List(
        fields.Nested(RecordOriginOut),
        required=True,
        metadata={
            "description": "The records stating it; the 'manual' source's when it was typed "
            "in as the profile was created by hand; empty when no record states it"
        },
    )


class TagsOriginOut(OriginOut):
    """The tags' origins: the latest change of the list by hand (manual, at) and what it
    removed, and each tag's."""

    removed = fields.List(
        fields.String(),
        metadata={"description": "Tags a person removed: records stating them do not add them"},
    )
    items = fields.List(
        fields.Nested(TagOriginOut),
        required=True,
        metadata={"description": "Each tag of the profile, in the order of 'tags'"},
    )


class StageOriginOut(OriginOut):
    """Where the stage comes from: the latest move of the stage history to it, by a person
    (manual), a merge (merge_id), an import whose record states it (source,
    source_record_id), or another actor (actor)."""

    reason = fields.String(metadata={"description": "Why it moved, as the stage history says"})
    merge_id = fields.Integer(metadata={"description": "The merge that moved it"})
    actor = fields.String(metadata={"description": "What moved it, when none of the above"})
    at = fields.String(metadata={"description": "When it moved there (ISO 8601)"})


ProvenanceOut = Schema.from_dict(
    {
        **{
            name: fields.Nested(
                OriginOut, metadata={"description": f"Where the {name} value came from"}
            )
            for name in PROFILE_FIELDS
        },
        "emails": fields.List(
            fields.Nested(IdentifierOriginOut),
            required=True,
            metadata={"description": "Each email, in the order of 'emails'"},
        ),
        "phones": fields.List(
            fields.Nested(IdentifierOriginOut),
            required=True,
            metadata={"description": "Each phone, in the order of 'phones'"},
        ),
        "tags": fields.Nested(TagsOriginOut, required=True),
        "stage": fields.Nested(
            StageOriginOut,
            required=True,
            metadata={"description": "Empty when no move of the stage history leads to it"},
        ),
    },
    name="ProvenanceOut",
)


class ProfileOut(Schema):
    """A unified profile: its fields at top level, identifiers, consents and sources."""

    id = fields.Integer(required=True)
    first_name = fields.String(allow_none=True)
    last_name = fields.String(allow_none=True)
    company = fields.String(allow_none=True)
    job_title = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    address_line_2 = fields.String(allow_none=True)
    postcode = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    state = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    birth_date = fields.Date(allow_none=True)
    tax_id = fields.String(allow_none=True)
    email = fields.String(allow_none=True, metadata={"description": "The primary email"})
    phone = fields.String(allow_none=True, metadata={"description": "The primary phone (E.164)"})
    emails = fields.List(fields.String(), required=True)
    phones = fields.List(fields.String(), required=True)
    tags = fields.List(fields.String(), required=True)
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    score = fields.Integer(required=True)
    owner = fields.String(allow_none=True, metadata={"description": "Email of the owning user"})
    consents = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PURPOSES)),
        values=fields.String(validate=validate.OneOf((*CONSENT_STATUSES, "none"))),
        required=True,
        metadata={
            "description": "Current consent per purpose: granted, withdrawn (given, then "
            "taken back), refused (asked, the person said no) or none (never asked); "
            "withdrawn and refused both mean no consent"
        },
    )
    provenance = fields.Nested(
        ProvenanceOut,
        metadata={
            "description": "Where each value came from, as the profile page says: a field's "
            "(only those that have a value from somewhere), each email's, phone's and tag's, "
            "and the stage's"
        },
    )
    source_records = fields.List(fields.Nested(SourceRecordRef), required=True)
    merged_into = fields.Integer(
        allow_none=True,
        metadata={"description": "Set when this profile was merged into another: that one's id"},
    )
    version = fields.Integer(required=True, metadata={"description": "Changes on every edit"})
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


_REASONS = "The scorer's evidence, in English, as the review queue gives it"


class ReviewPairOut(Schema):
    """A review-queue pair a new profile was put in: read it at GET /duplicates/{id}."""

    id = fields.Integer(required=True, metadata={"description": "The pair's id in the queue"})
    profile_id = fields.Integer(
        required=True, metadata={"description": "The profile on the other side of the pair"}
    )
    score = fields.Float(required=True)


class ProfileCreatedOut(ProfileOut):
    """A profile just created, and the review pairs it was put in."""

    review_pairs = fields.List(
        fields.Nested(ReviewPairOut),
        required=True,
        metadata={
            "description": "The people already here the new profile may duplicate, each as "
            "a pair queued for a reviewer, in the queue's order (highest score first, a "
            "pair with a veto after every pair without one); empty when it looks like no "
            "one here"
        },
    )


class LookAlikeOut(Schema):
    """A profile that a refused new one looks like (ids and evidence only)."""

    profile_id = fields.Integer(required=True)
    score = fields.Float(required=True)
    reasons = fields.List(fields.String(), required=True, metadata={"description": _REASONS})


class LikelyDuplicatesOut(Schema):
    """The details of a creation refused with on_duplicate=refuse."""

    duplicates = fields.List(
        fields.Nested(LookAlikeOut),
        required=True,
        metadata={"description": "Best first; nothing was saved"},
    )


class ProfileConflictOut(ErrorOut):
    """A 409 of creating a profile: an email or phone of another profile, or (with
    on_duplicate=refuse) people already here it looks like, listed in details."""

    details = fields.Nested(
        LikelyDuplicatesOut,
        metadata={
            "description": "Only when on_duplicate=refuse found likely duplicates: who they "
            "are, by profile id, with score and reasons"
        },
    )


class ProfileQueryArgs(CursorArgs):
    """Search arguments: free text matched against name, email, phone and company."""

    q = fields.String(
        load_default="",
        validate=validate.Length(max=200),
        metadata={"description": "Name, email, phone or company (prefix match)"},
    )


class CreateArgs(Schema):
    """Query arguments of creating a profile by hand."""

    on_duplicate = fields.String(
        load_default="review",
        validate=validate.OneOf(("review", "refuse")),
        metadata={
            "description": "When the new profile looks like people already here: 'review' "
            "creates it and puts each pair in the review queue (listed in review_pairs of "
            "the reply); 'refuse' saves nothing and answers 409 with them listed in "
            "details.duplicates (and as text in errors.json.duplicates)"
        },
    )


class IfMatchArgs(Schema):
    """The optional If-Match header of an edit."""

    class Meta:
        unknown = EXCLUDE  # every other request header

    if_match = fields.String(
        data_key="If-Match",
        metadata={"description": "ETag from a previous read; a stale one gets 412"},
    )


ProfilePage = page_of(ProfileOut, "ProfilePage")
