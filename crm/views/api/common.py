"""Helpers shared by the API resources: service errors as HTTP, documented error replies."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from webargs.flaskparser import FlaskParser

from crm.schemas.common import ErrorOut
from crm.services.errors import (
    ConflictError,
    LikelyDuplicateError,
    NotFoundError,
    ValidationError,
)


class _Parser(FlaskParser):
    """webargs parser whose 422 carries a message besides the per-field errors."""

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        """Abort with the shared error shape: code, status, message, errors by location."""
        abort(
            error_status_code or self.DEFAULT_VALIDATION_STATUS,
            message="Some fields are invalid.",
            errors=error.messages,
            headers=error_headers,
        )

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        """A body that is not JSON: 400 in the shared error shape."""
        abort(400, message="The body is not valid JSON.", errors={"json": ["Invalid JSON body."]})


class Blueprint(SmorestBlueprint):
    """A flask-smorest blueprint whose input errors follow the shared error shape."""

    ARGUMENTS_PARSER = _Parser()


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn the domain errors of a service call into JSON 404, 409 and 422 replies (a
    likely duplicate's 409 lists the look-alikes in details.duplicates)."""
    try:
        yield
    except NotFoundError as exc:
        abort(404, message=exc.message or "Not found.")
    except ValidationError as exc:
        abort(422, message=exc.message or "Invalid input.", errors={"json": exc.fields})
    except LikelyDuplicateError as exc:
        abort(
            409,
            message="This person may already be in the CRM (details.duplicates); nothing was "
            "saved. Send on_duplicate=review to create it anyway, with the pairs queued.",
            errors={"json": exc.fields},
            details={"duplicates": exc.look_alikes()},
        )
    except ConflictError as exc:
        abort(409, message=exc.message or "Conflict.", errors={"json": exc.fields})


def error_responses(blp, *codes: int, schemas: dict | None = None):
    """Document the error replies an endpoint may give, in the shared error shape (or, per
    code in schemas, a schema extending ErrorOut, e.g. with details)."""
    descriptions = {
        401: "No valid API key (Authorization: Bearer).",
        403: "The key's role may not do this.",
        404: "No such object.",
        409: "Clashes with another object (e.g. an email of another profile).",
        412: "If-Match does not match the current ETag; nothing was saved.",
        422: "Invalid input; details per field.",
    }

    def decorate(view):
        for code in reversed(codes):
            view = blp.alt_response(
                code,
                schema=(schemas or {}).get(code, ErrorOut),
                description=descriptions[code],
            )(view)
        return view

    return decorate
