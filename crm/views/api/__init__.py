"""The JSON API under /api/v1 (flask-smorest)."""

from flask import Flask


def register_api(app: Flask, api, csrf) -> None:
    """Bind the API to app and register its blueprints; the API uses keys, not cookies."""
    from crm.views.api import duplicates, merges, profiles, records

    api.init_app(app)
    for module in (profiles, merges, records, duplicates):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1" + module.URL_PREFIX)
