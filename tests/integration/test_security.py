"""Deny by default, security headers, cookie flags and role refusals."""

import pytest

from config import Config
from crm.security import policy_of

PUBLIC_ENDPOINTS = {
    "auth.login",
    "main.health",
    "static",
    "bootstrap.static",
    "api-docs.openapi_json",
}


def _checked_methods(rule) -> set[str]:
    """The methods a rule serves, minus the OPTIONS Flask answers by itself."""
    methods = set(rule.methods)
    if getattr(rule, "provide_automatic_options", False):
        methods.discard("OPTIONS")
    return methods


def test_every_endpoint_declares_a_policy(app):
    missing = [
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in _checked_methods(rule)
        if policy_of(app, rule.endpoint, method) is None
    ]
    assert missing == []


def test_only_the_allowlist_is_public(app):
    public = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        for method in _checked_methods(rule)
        if policy_of(app, rule.endpoint, method) == "public"
    }
    assert public == PUBLIC_ENDPOINTS


def test_undeclared_view_is_refused_to_everyone(app, client, auth):
    @app.route("/undeclared-probe")
    def undeclared_probe():
        return "should never be served"

    assert policy_of(app, "undeclared_probe", "GET") is None
    assert client.get("/undeclared-probe").status_code == 302
    auth.login_as("admin")
    assert client.get("/undeclared-probe").status_code == 403


def _private_get_paths(app) -> list[str]:
    """Every GET route without URL arguments that is not public."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and policy_of(app, rule.endpoint, "GET") != "public"
    )


def test_anonymous_is_sent_to_login_or_gets_401(app, client):
    paths = _private_get_paths(app)
    assert "/admin/users" in paths and "/api/v1/profiles" in paths
    for path in paths:
        response = client.get(path)
        if path.startswith("/api/"):
            assert response.status_code == 401, path
            assert response.is_json, path
        else:
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/login"), path


@pytest.mark.parametrize("path", ["/login", "/healthz"])
def test_public_pages_need_no_login(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/login", "/admin/users"])
def test_security_headers(client, auth, path):
    auth.login_as("admin")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_or_style(client, auth):
    auth.login_as("admin")
    for path in ("/", "/account", "/admin/users", "/admin/users/new", "/admin/api-keys"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html, path


def test_session_cookie_is_httponly_and_samesite_lax(client):
    client.get("/login")
    cookie = client.get_cookie("crm_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


def test_cookies_are_secure_by_default_outside_development(monkeypatch):
    monkeypatch.delenv("CRM_ENV", raising=False)
    monkeypatch.delenv("CRM_SECURE_COOKIES", raising=False)
    assert Config().SESSION_COOKIE_SECURE is True
    monkeypatch.setenv("CRM_ENV", "development")
    assert Config().SESSION_COOKIE_SECURE is False


def test_secure_flag_is_sent_when_configured(app, client):
    app.config["SESSION_COOKIE_SECURE"] = True
    response = client.get("/login")
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("crm_session=")
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("role", ["sales", "marketer", "compliance"])
@pytest.mark.parametrize(
    "path", ["/admin/users", "/admin/users/new", "/admin/api-keys", "/admin/sources"]
)
def test_other_roles_cannot_open_admin_pages(client, auth, role, path):
    auth.login_as(role)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("role", ["sales", "marketer", "compliance"])
def test_api_takes_valid_keys_and_refuses_bad_ones(client, api_headers, role):
    assert client.get("/api/v1/profiles", headers=api_headers(role)).status_code == 200
    bad = {"Authorization": "Bearer crm_nope_nope"}
    assert client.get("/api/v1/profiles", headers=bad).status_code == 401
