"""Blueprints of the web UI and the API, registered from one list."""

from flask import Flask

from crm.extensions import api as rest_api
from crm.extensions import csrf


def register_views(app: Flask) -> None:
    """Register every blueprint, the API and the error pages."""
    from crm.views import admin, auth, duplicates, errors, imports, main, profiles
    from crm.views.api import register_api

    for module in (auth, main, profiles, duplicates, imports, admin):
        app.register_blueprint(module.bp)
    register_api(app, rest_api, csrf)
    errors.register(app, rest_api)
