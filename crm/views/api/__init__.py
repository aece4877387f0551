"""The JSON API under /api/v1 (flask-smorest)."""

from apispec import BasePlugin
from flask import Flask

from crm.security import policy_of


class RolesPlugin(BasePlugin):
    """Writes into the OpenAPI document which roles may call each operation, read from the
    roles its view declares (security.roles), so the document cannot drift from them."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.app = app

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        for method, operation in operations.items():
            policy = policy_of(self.app, rule.endpoint, method.upper())
            if policy is None or policy == "public":
                continue
            operation["x-roles"] = sorted(policy)
            said = f"Roles: {', '.join(sorted(policy))}."
            operation["description"] = "\n\n".join(
                part for part in (operation.get("description"), said) if part
            )


def register_api(app: Flask, api, csrf) -> None:
    """Bind the API to app and register its blueprints; the API uses keys, not cookies."""
    from crm.views.api import duplicates, merges, notes, profiles, records

    api.init_app(app, spec_kwargs={"extra_plugins": [RolesPlugin(app)]})
    for module in (profiles, notes, merges, records, duplicates):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp, url_prefix="/api/v1" + module.URL_PREFIX)
