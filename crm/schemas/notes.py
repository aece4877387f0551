"""Schemas of a profile's notes and touchpoints in the API: a note in, notes and
touchpoints out, cursor-paged."""

from marshmallow import Schema, fields, validate

from crm.schemas.common import StrictInput, page_of
from crm.services.notes import NOTE_MAX

_STAMPS = "Read-only: set by the server."


class NoteIn(StrictInput):
    """A note to write on a profile."""

    READ_ONLY = {
        "id": _STAMPS,
        "profile_id": "Read-only: the profile is the one in the path.",
        "author": "Read-only: the author is the API key's user.",
        "author_id": "Read-only: the author is the API key's user.",
        "created_at": _STAMPS,
    }

    body = fields.String(
        required=True,
        validate=validate.Length(min=1, max=NOTE_MAX),
        metadata={
            "description": f"The note's text, 1 to {NOTE_MAX} characters; line breaks are "
            "kept, blank space around it is trimmed (only blank space is refused)"
        },
    )


class NoteOut(Schema):
    """A note, who wrote it and when."""

    id = fields.Integer(required=True)
    profile_id = fields.Integer(required=True)
    body = fields.String(required=True)
    author_id = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "The user who wrote it; null when deleted since"},
    )
    author = fields.String(
        allow_none=True,
        required=True,
        metadata={"description": "Email of the user who wrote it; null when deleted since"},
    )
    created_at = fields.AwareDateTime(required=True)


class TouchpointOut(Schema):
    """A moment the person met the brand, as its source told it."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    channel = fields.String(allow_none=True, required=True)
    online = fields.Boolean(required=True, metadata={"description": "false: offline"})
    phase = fields.String(allow_none=True, required=True)
    occurred_at = fields.AwareDateTime(required=True)
    source = fields.String(
        allow_none=True, required=True, metadata={"description": "The source's name"}
    )
    external_id = fields.String(
        allow_none=True, required=True, metadata={"description": "The source's own id"}
    )
    properties = fields.Dict(
        keys=fields.String(),
        required=True,
        metadata={"description": "The source's free properties, as it sent them (untrusted)"},
    )


NotePage = page_of(NoteOut, "NotePage")
TouchpointPage = page_of(TouchpointOut, "TouchpointPage")
