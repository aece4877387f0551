"""Error pages for the web UI and JSON errors for the API."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from crm.extensions import db
from crm.security import is_api_request


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
        return render_template(template, error=error), error.code


def _json_error(api, error: HTTPException):
    """flask-smorest's JSON error, keeping the error's own headers (a 405's Allow)."""
    payload, code, headers = api.handle_http_exception(error)
    own = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return payload, code, {**own, **(headers or {})}
