"""Error pages for the web UI and JSON errors for the API."""

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

from crm.security import is_api_request


def register(app: Flask, api) -> None:
    """Serve HTML error pages, except under /api/ where flask-smorest's JSON errors apply."""

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        if is_api_request():
            return api.handle_http_exception(error)
        template = {403: "errors/403.html", 404: "errors/404.html", 500: "errors/500.html"}.get(
            error.code, "errors/generic.html"
        )
        return render_template(template, error=error), error.code
