"""Schema pieces shared by the API areas: strict input, error shape, cursor pages."""

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

UNKNOWN_FIELD = "Unknown field."


class ErrorOut(Schema):
    """An API error: HTTP code and name, a message and per-field details by location."""

    code = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = fields.String(required=True, metadata={"description": "HTTP status name"})
    message = fields.String(metadata={"description": "What went wrong, for a person"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.List(fields.String())),
        metadata={
            "description": "Location ('json', 'query', 'headers') -> field -> messages",
            "example": {"json": {"stage": ["Must be one of: lead, mql, sql, customer."]}},
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


class CursorArgs(Schema):
    """Query arguments of a cursor-paged list."""

    class Meta:
        unknown = EXCLUDE  # cache-busters and tracking parameters are harmless in a query

    MAX_LIMIT = 200

    cursor = fields.String(
        validate=validate.Regexp(r"^[1-9][0-9]{0,17}$", error="Not a valid cursor."),
        metadata={"description": "The `next` value of the previous page"},
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
