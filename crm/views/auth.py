"""Signing in and out, and the user's own account page."""

import hashlib
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from crm.extensions import limiter
from crm.forms.auth import ApiKeyForm, ConfirmForm, LanguageForm, LoginForm, PasswordForm
from crm.security import ALL_ROLES, SESSION_TOKEN_KEY, public
from crm.services import users
from crm.services.errors import AuthError, NotFoundError, ValidationError
from crm.views.reasons import refusal_text

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    """Throttle key for the account being tried (hashed: no email in the limiter store)."""
    email = (request.form.get("email") or "").strip().lower()
    return "login:" + hashlib.sha256(email.encode()).hexdigest()


def _failed(response) -> bool:
    """Only failed attempts count towards the login limits."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_CLIENT"], methods=["POST"], deduct_when=_failed
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_account_key,
    deduct_when=_failed,
)
def login():
    """Show the sign-in form and open a fresh server-side session on success."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.email.data, form.password.data)
        except AuthError:
            flash(_("Invalid email or password."), "danger")
            return render_template("auth/login.html", form=form), 401
        session.clear()  # rotate: nothing of the anonymous session survives
        session[SESSION_TOKEN_KEY] = users.start_session(user)
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _safe_next(target: str | None) -> str:
    """Only follow local paths after login (no open redirect)."""
    # Browsers drop tabs and newlines inside URLs, so "/\t/evil.example" becomes
    # "//evil.example": refuse control characters outright.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target)
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.index")


@bp.route("/logout", methods=["POST"])
@ALL_ROLES
def logout():
    """End the session on the server and in the browser."""
    users.end_session(session.get(SESSION_TOKEN_KEY))
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET"])
@ALL_ROLES
def account():
    """The user's own settings: language, password, API keys."""
    return render_template(
        "auth/account.html",
        password_form=PasswordForm(),
        language_form=LanguageForm(locale=current_user.locale or ""),
        key_form=ApiKeyForm(),
        revoke_form=ConfirmForm(),
        keys=users.list_api_keys(current_user.id),
    )


@bp.route("/account/password", methods=["POST"])
@ALL_ROLES
def change_password():
    """Change the password; every session ends, this one is reopened."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(current_user, form.current_password.data, form.new_password.data)
        except (AuthError, ValidationError) as error:
            flash(refusal_text(error.message), "danger")
            return redirect(url_for("auth.account"))
        user = current_user._get_current_object()
        session.clear()
        session[SESSION_TOKEN_KEY] = users.start_session(user)
        login_user(user)
        flash(_("Password changed. Other sessions were signed out."), "success")
    else:
        for errors in form.errors.values():
            flash("; ".join(str(e) for e in errors), "danger")
    return redirect(url_for("auth.account"))


@bp.route("/account/language", methods=["POST"])
@ALL_ROLES
def change_language():
    """Store the interface language."""
    form = LanguageForm()
    if form.validate_on_submit():
        users.set_locale(current_user, form.locale.data)
    return redirect(url_for("auth.account"))


@bp.route("/account/api-keys", methods=["POST"])
@ALL_ROLES
def create_api_key():
    """Create an API key and show it once."""
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.account"))
    key, _record = users.create_api_key(current_user, form.name.data or "", actor=current_user)
    return render_template("auth/api_key_created.html", key=key)


@bp.route("/account/api-keys/<int:key_id>/revoke", methods=["POST"])
@ALL_ROLES
def revoke_api_key(key_id: int):
    """Revoke one of one's own keys (admins: anyone's)."""
    if ConfirmForm().validate_on_submit():
        try:
            users.revoke_api_key(key_id, actor=current_user)
            flash(_("API key revoked."), "success")
        except NotFoundError:
            flash(_("No such API key."), "danger")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("auth.account")
    )
