"""Helpers shared by the API resources: service errors as HTTP, documented error replies."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, request
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import RequestEntityTooLarge

from crm.schemas.common import ErrorOut
from crm.services.errors import (
    ConflictError,
    LikelyDuplicateError,
    NotFoundError,
    ValidationError,
)
from crm.services.normalise import UNSTORABLE

# Deeper than any body of this API nests; a deeper one would exhaust Python's recursion
# limit in whatever walks it next (decoder, validation, storing it), a 500.
MAX_JSON_DEPTH = 64
INVALID_JSON = "The body is not valid JSON."
# JSON may escape what is not text: a lone UTF-16 surrogate ("\\ud800") cannot be encoded
# to store or log it, and PostgreSQL cannot store a NUL (0x00) in a text or a JSON value.
UNSTORABLE_TEXT = UNSTORABLE
NUL_TEXT = "Must not contain NUL characters (\\u0000)."
SURROGATE_TEXT = "Must not contain lone UTF-16 surrogates (\\ud800 to \\udfff)."
KEY_TEXT = "A key holds a NUL character or a lone UTF-16 surrogate."


def _deeper_than(value, limit: int) -> bool:
    """Whether value nests lists and objects more than limit levels deep (found level by
    level, without recursion)."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for node in level
            if isinstance(node, dict | list)
            for child in (node.values() if isinstance(node, dict) else node)
        ]
    return any(isinstance(node, dict | list) for node in level)


def _text_problems(text: str) -> list[str]:
    """Why text cannot be stored: it holds a NUL, a lone surrogate, or both."""
    found = set(UNSTORABLE_TEXT.findall(text))
    return [NUL_TEXT] * ("\x00" in found) + [SURROGATE_TEXT] * bool(found - {"\x00"})


def unstorable_text(value) -> dict:
    """Where value holds text that cannot be stored, as errors nested like the input
    (records -> index -> key -> messages); empty when all of it can. A key that cannot be
    stored is reported at its object, under the key with the bad characters replaced."""
    problems: dict = {}
    pending = [((), value)]
    while pending:  # without recursion, as _deeper_than
        path, node = pending.pop()
        if isinstance(node, str):
            for message in _text_problems(node):
                _put(problems, path, message)
        elif isinstance(node, list):
            pending.extend(((*path, n), item) for n, item in enumerate(node))
        elif isinstance(node, dict):
            for key, item in node.items():
                if UNSTORABLE_TEXT.search(key):
                    _put(problems, (*path, UNSTORABLE_TEXT.sub("\ufffd", key)), KEY_TEXT)
                else:
                    pending.append(((*path, key), item))
    return problems


def _put(problems: dict, path: tuple, message: str) -> None:
    """Add message at path of the nested problems (the body itself: under "_schema").

    Keys alike once replaced can make a path meet messages already there (they get this
    one too) or an object of problems (it gets it under "_schema").
    """
    *parents, last = path or ("_schema",)
    node = problems
    for part in parents:
        node = node.setdefault(part, {})
        if isinstance(node, list):
            break
    else:
        node = node.setdefault(last, [])
    if isinstance(node, dict):
        node = node.setdefault("_schema", [])
    if isinstance(node, list) and message not in node:
        node.append(message)


class _Parser(FlaskParser):
    """webargs parser whose errors (422, a body that is not JSON or not sent as JSON)
    carry a message besides the per-field errors."""

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        """Abort with the shared error shape: code, status, message, errors by location."""
        abort(
            error_status_code or self.DEFAULT_VALIDATION_STATUS,
            message="Some fields are invalid.",
            errors=error.messages,
            headers=error_headers,
        )

    def load_json(self, req, schema):
        """The JSON body; 415 for a body sent as another type (webargs would read it as no
        body at all, and the client would hear of missing fields instead), 413 for one
        larger than the API takes."""
        try:
            req.get_data(cache=True)
        except RequestEntityTooLarge:
            abort(
                413,
                message=f"The body is larger than the API takes ({req.max_content_length} "
                "bytes); nothing was done.",
            )
        if not is_json_request(req) and req.get_data(cache=True):
            abort(
                415,
                message="Send the body as JSON, with Content-Type: application/json.",
                errors={"headers": {"Content-Type": [f"Not JSON: {req.mimetype or 'none'}."]}},
            )
        return super().load_json(req, schema)

    def _raw_load_json(self, req):
        """The decoded body; a nesting too deep for the decoder, or for what follows it,
        is invalid JSON (400) rather than a RecursionError (500), and text that cannot be
        stored (a NUL, a lone surrogate) is refused where it is (422), before it fails in
        the database or an encoder (500)."""
        try:
            data = super()._raw_load_json(req)
        except RecursionError as exc:
            self._handle_invalid_json_error(exc, req)
        if _deeper_than(data, MAX_JSON_DEPTH):
            abort(
                400,
                message=INVALID_JSON,
                errors={"json": [f"Nested more than {MAX_JSON_DEPTH} levels deep."]},
            )
        problems = unstorable_text(data)
        if problems:
            abort(422, message="Some fields are invalid.", errors={"json": problems})
        return data

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        """A body that is not JSON: 400 in the shared error shape."""
        abort(400, message=INVALID_JSON, errors={"json": ["Invalid JSON body."]})


ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON (or nests too deep); nothing was done.",
    401: "No valid API key (Authorization: Bearer).",
    403: "The key's role may not do this.",
    404: "No such object.",
    409: "Clashes with another object (e.g. an email of another profile) or with the "
    "state of one (a profile already merged, a pair already decided).",
    412: "If-Match does not match the current ETag; nothing was saved.",
    413: "The body is larger than the server takes (16 MiB unless configured); nothing was done.",
    415: "The body was not sent as JSON (Content-Type: application/json).",
    422: "Invalid input; details per field (text holding NUL characters or lone UTF-16 "
    "surrogates is refused where it is).",
}


def _limit_body() -> None:
    """before_request: bound the API's bodies (413 beyond), more tightly than the app's
    MAX_CONTENT_LENGTH, which allows for web uploads of big files."""
    request.max_content_length = current_app.config.get("API_MAX_CONTENT_LENGTH")


class Blueprint(SmorestBlueprint):
    """A flask-smorest blueprint whose input errors follow the shared error shape."""

    ARGUMENTS_PARSER = _Parser()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(_limit_body)

    def arguments(self, schema, *, location="json", **kwargs):
        """flask-smorest's arguments; a JSON body also documents the 400, 413 and 415
        the API gives a body that is not JSON, too large, or not sent as JSON."""
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse

        def decorate(view):
            view = parse(view)
            for code in (415, 413, 400):
                view = self.alt_response(
                    code, schema=ErrorOut, description=ERROR_DESCRIPTIONS[code]
                )(view)
            return view

        return decorate


@contextmanager
def service_errors(location: str = "json") -> Iterator[None]:
    """Turn the domain errors of a service call into JSON 404, 409 and 422 replies (a
    likely duplicate's 409 lists the look-alikes in details.duplicates), their fields
    filed under location: the body's, unless the call checked a path or query argument."""
    try:
        yield
    except NotFoundError as exc:
        abort(404, message=exc.message or "Not found.")
    except ValidationError as exc:
        abort(422, message=exc.message or "Invalid input.", errors={location: exc.fields})
    except LikelyDuplicateError as exc:
        abort(
            409,
            message="This person may already be in the CRM (details.duplicates); nothing was "
            "saved. Send on_duplicate=review to create it anyway, with the pairs queued.",
            errors={location: exc.fields},
            details={"duplicates": exc.look_alikes()},
        )
    except ConflictError as exc:
        abort(409, message=exc.message or "Conflict.", errors={location: exc.fields})


def error_responses(blp, *codes: int, schemas: dict | None = None):
    """Document the error replies an endpoint may give, in the shared error shape (or, per
    code in schemas, a schema extending ErrorOut, e.g. with details)."""

    def decorate(view):
        for code in reversed(codes):
            view = blp.alt_response(
                code,
                schema=(schemas or {}).get(code, ErrorOut),
                description=ERROR_DESCRIPTIONS[code],
            )(view)
        return view

    return decorate
