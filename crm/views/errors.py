"""Error pages for the web UI and JSON errors for the API."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from crm.extensions import db
from crm.security import is_api_request

# The pages of the other errors a browser can meet: a title and what to do, in the user's
# language (werkzeug's own name and description are English).
ERROR_TEXTS = {
    400: (
        _l("Bad request"),
        _l("The request could not be read. Go back, reload the page and try again."),
    ),
    405: (
        _l("Method not allowed"),
        _l("This address cannot be opened like that: use the links and buttons of the app."),
    ),
    413: (
        _l("Too large"),
        _l("What was sent is larger than the server accepts; nothing was saved."),
    ),
    429: (
        _l("Too many requests"),
        _l("Too many requests in a short time: wait a moment and try again."),
    ),
}
# A form whose CSRF token is missing or expired (a 400).
CSRF_TEXT = _l(
    "The form has expired or was not sent from a page of this app. Go back, reload the "
    "page and send it again."
)
OTHER_TEXT = _l("The request could not be completed. Go back and try again.")


def register(app: Flask, api) -> None:
    """Serve HTML error pages, except under /api/ where flask-smorest's JSON errors apply."""

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if error.code is not None and error.code >= 500:
            # An unexpected error may have left the session needing a rollback: the page,
            # or the headers added after it, would fail again on the next query.
            db.session.rollback()
        if is_api_request():
            return _json_error(api, error)
        template = {403: "errors/403.html", 404: "errors/404.html", 500: "errors/500.html"}.get(
            error.code, "errors/generic.html"
        )
        title, text = ERROR_TEXTS.get(error.code, (None, OTHER_TEXT))
        if isinstance(error, CSRFError):
            text = CSRF_TEXT
        # As plain text, escaped like any other (a lazy string would pass as markup).
        title, text = (str(title) if title else None), str(text)
        return render_template(template, error=error, title=title, text=text), error.code


def _json_error(api, error: HTTPException):
    """flask-smorest's JSON error, keeping the error's own headers (a 405's Allow)."""
    payload, code, headers = api.handle_http_exception(error)
    own = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return payload, code, {**own, **(headers or {})}
