"""Schema pieces shared by the API areas: strict input, error shape, cursor pages."""

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from crm.extensions import MAX_ID

UNKNOWN_FIELD = "Unknown field."


# What a location holds in `errors`: a list of messages about all of it (a body that is not
# JSON), or messages by field nested as deep as the input is (records -> index -> field), so
# its schema stays open below the first level.
_ERROR_ENTRY = {
    "oneOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "additionalProperties": True},
    ]
}


class ErrorOut(Schema):
    """An API error: HTTP code and name, a message and per-field details by location."""

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP status name"})
    message = fields.String(metadata={"description": "What went wrong, for a person"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(metadata=_ERROR_ENTRY),
        metadata={
            "description": "Location ('json', 'query', 'headers', 'path') -> either a list of "
            'messages about all of it (`{"json": ["Invalid JSON body."]}`) or field -> '
            "list of messages; a field holding a list or an object gives its items' "
            "messages by index or key instead, e.g. records -> index -> field -> messages "
            "in POST /sources/{source}/records",
            "example": {
                "json": {
                    "dates": ["Must be one of: auto, day-first, month-first."],
                    "records": {"0": {"first_name": ["Must be text, a number or null."]}},
                }
            },
        },
    )


class StrictInput(Schema):
    """An input body that refuses unknown fields and explains read-only ones by name.

    READ_ONLY maps output-only field names to the message given when a client sends one,
    so a client that echoes a read document back learns which fields to drop.
    """

    READ_ONLY: dict[str, str] = {}

    def handle_error(self, error: ValidationError, data, *, many: bool, **kwargs):
        """Replace the generic 'Unknown field.' of read-only fields with a precise message."""
        messages = error.messages
        if not isinstance(messages, dict) or not isinstance(data, dict):
            raise error
        rewritten = {
            name: [self.READ_ONLY[name]]
            if name in self.READ_ONLY and problems == [UNKNOWN_FIELD]
            else problems
            for name, problems in messages.items()
        }
        raise ValidationError(rewritten, data=data, valid_data=error.valid_data)


def up_to(limit: int) -> str:
    """A regular expression (unanchored) of the numbers 1 to limit written in decimal,
    without leading zeros: what a pattern in the OpenAPI document can say of a range."""
    digits = str(limit)
    shorter = [rf"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = []
    for n, digit in enumerate(digits):
        rest = len(digits) - n - 1
        low = "1" if n == 0 else "0"
        if digit > low:  # the digits before as in limit, this one lower, any after
            top = chr(ord(digit) - 1)
            span = low if top == low else f"[{low}-{top}]"
            same_length.append(digits[:n] + span + (f"[0-9]{{{rest}}}" if rest else ""))
    same_length.append(digits)
    return "|".join(shorter + same_length)


# The decimal ids 1 to MAX_ID: a larger number would fail in the database rather than page.
CURSOR_PATTERN = f"^(?:{up_to(MAX_ID)})$"


def _check_cursor(value: str) -> None:
    """A cursor is the id of a page's last item: digits, 1 to MAX_ID."""
    if not re.fullmatch(CURSOR_PATTERN, value):
        raise ValidationError("Not a valid cursor.")


def id_field(description: str, **kwargs) -> fields.Integer:
    """An id sent in a body: a JSON integer that a row can have (1 to MAX_ID)."""
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": description},
        **kwargs,
    )


class CursorArgs(Schema):
    """Query arguments of a cursor-paged list."""

    class Meta:
        unknown = EXCLUDE  # cache-busters and tracking parameters are harmless in a query

    MAX_LIMIT = 200

    cursor = fields.String(
        validate=_check_cursor,
        metadata={
            "description": "The `next` value of the previous page",
            "pattern": CURSOR_PATTERN,
        },
    )
    limit = fields.Integer(
        load_default=50,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"Items per page (1-{MAX_LIMIT}, default 50)"},
    )


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """A schema for {"items": [...], "next": cursor-or-null} holding item_schema items."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "next": fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Cursor of the next page; null on the last page"},
            ),
        },
        name=name,
    )
