"""Deny-by-default access control, session loading and security headers.

Every view names the roles that may use it with @roles(...) or declares itself @public.
A view that declares nothing is refused for everyone: forgetting is safe.
"""

from collections.abc import Callable

from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from flask_login import current_user
from werkzeug.http import HTTP_STATUS_CODES

from crm.extensions import login_manager
from crm.models import ROLES, User
from crm.services import users

# Views added by extensions, which cannot carry our decorators.
EXTERNAL_PUBLIC_ENDPOINTS = frozenset({"static", "bootstrap.static", "api-docs.openapi_json"})
SESSION_TOKEN_KEY = "sid"


def roles(*names: str) -> Callable:
    """Declare which roles may use a view or a MethodView method."""
    unknown = set(names) - set(ROLES)
    if unknown or not names:
        raise ValueError(f"unknown roles: {unknown or 'none given'}")

    def decorate(view: Callable) -> Callable:
        view._crm_roles = frozenset(names)
        return view

    return decorate


ALL_ROLES = roles(*ROLES)


def public(view: Callable) -> Callable:
    """Declare a view open to anonymous visitors (login page, health check)."""
    view._crm_public = True
    return view


def policy_of(app: Flask, endpoint: str, method: str) -> str | frozenset | None:
    """'public', the set of allowed roles, or None when the view declares nothing."""
    if endpoint in EXTERNAL_PUBLIC_ENDPOINTS:
        return "public"
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    targets = [view]
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        targets = [handler, view_class] if handler else [view_class]
    for target in targets:
        if getattr(target, "_crm_public", False):
            return "public"
        allowed = getattr(target, "_crm_roles", None)
        if allowed:
            return allowed
    return None


def is_api_request() -> bool:
    """True for requests to the JSON API."""
    return request.path.startswith("/api/")


def _json_error(status: int, message: str):
    """A JSON error body in the API's shape: code, status name (as flask-smorest gives
    it, e.g. "Forbidden") and the message for a person."""
    response = jsonify({"code": status, "status": HTTP_STATUS_CODES[status], "message": message})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="crm"'
    return response


def role_refusal(role: str, allowed) -> str:
    """Why a key's role is refused, naming the roles that may (the OpenAPI document's
    x-roles): an integrator then knows whose key to ask for."""
    if not allowed:
        return f"Your role ({role}) may not do this."
    return f"Your role ({role}) may not do this; it needs {' or '.join(sorted(allowed))}."


def enforce_policy():
    """before_request: refuse anything the view's declared roles do not allow."""
    if request.endpoint is None:
        return None  # 404 or 405: Flask answers those itself
    policy = policy_of(current_app, request.endpoint, request.method)
    if policy == "public" or request.method == "OPTIONS" and is_api_request():
        return None
    if not current_user.is_authenticated:
        if is_api_request():
            return _json_error(401, "A valid API key is required (Authorization: Bearer).")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if policy is None or current_user.role not in policy:
        if is_api_request():
            return _json_error(403, role_refusal(current_user.role, policy))
        abort(403)
    return None


@login_manager.user_loader
def _load_user_from_session(user_id: str) -> User | None:
    """Web requests: the user of a live server-side session (never for the API)."""
    if is_api_request():
        return None
    return users.load_session(session.get(SESSION_TOKEN_KEY), user_id)


@login_manager.request_loader
def _load_user_from_key(req) -> User | None:
    """API requests: the user of a bearer API key."""
    if not is_api_request():
        return None
    header = req.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    user = users.authenticate_api_key(key.strip())
    if user is not None:
        g.api_user = user
    return user


def set_security_headers(response):
    """after_request: headers that make the browser strict (CSP without inline script)."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # An API reply is for one key's holder; it is decided without current_user, which
    # may need the database after an error has spoilt the session's transaction.
    if is_api_request() or current_user and getattr(current_user, "is_authenticated", False):
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Wire the policy, the loaders and the headers into app."""
    login_manager.login_view = "auth.login"
    login_manager.session_protection = None  # our server-side sessions do the real work
    app.before_request(enforce_policy)
    app.after_request(set_security_headers)
