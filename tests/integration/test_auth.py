"""Signing in and out: credentials, CSRF, session rotation, throttling, timeouts, language."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from crm.extensions import db
from crm.models import User, UserSession
from crm.models.base import utcnow
from tests import factories
from tests.conftest import AuthActions

COOKIE = "crm_session"
REFUSED = "Invalid email or password."


def _signed_in(client) -> bool:
    """True when the client's cookie opens the start page."""
    return client.get("/").status_code == 200


def _post_login(client, email: str, password: str = factories.PASSWORD, **query):
    """Post the login form with a valid CSRF token."""
    token = factories.csrf_token(client, "/login")
    return client.post(
        "/login",
        query_string=query,
        data={"email": email, "password": password, "csrf_token": token},
    )


def _post_form(client, page: str, action: str, data: dict):
    """Post a form with the CSRF token read from page."""
    token = factories.csrf_token(client, page)
    return client.post(action, data={**data, "csrf_token": token})


def _open_sessions(user_id: int) -> int:
    """How many live server-side sessions the user has."""
    return db.session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    )


def _set_session_times(user_id: int, **values) -> None:
    """Move a user's session timestamps (instead of sleeping)."""
    db.session.execute(update(UserSession).where(UserSession.user_id == user_id).values(**values))
    db.session.commit()


def test_login_with_right_password_opens_a_session(client, auth):
    user = factories.make_user()
    response = auth.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _signed_in(client)
    assert _open_sessions(user.id) == 1


def test_login_is_case_insensitive_on_email(client, auth):
    factories.make_user(email="Mixed.Case@staff.example")
    assert auth.login("  MIXED.case@STAFF.example ").status_code == 302


def test_wrong_password_is_refused_with_401_and_a_message(client, auth):
    user = factories.make_user()
    response = auth.login(user.email, "wrong password!")
    assert response.status_code == 401
    assert REFUSED in response.get_data(as_text=True)
    assert not _signed_in(client)
    assert _open_sessions(user.id) == 0


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client, auth):
    user = factories.make_user()
    inactive = factories.make_user()
    db.session.execute(update(User).where(User.id == inactive.id).values(active=False))
    db.session.commit()
    answers = [
        auth.login(user.email, "wrong password!"),
        auth.login("nobody@staff.example", "wrong password!"),
        auth.login(inactive.email),
    ]
    assert [r.status_code for r in answers] == [401, 401, 401]
    alerts = [
        [line for line in r.get_data(as_text=True).splitlines() if 'role="alert"' in line]
        for r in answers
    ]
    assert alerts[0] == alerts[1] == alerts[2]
    assert REFUSED in alerts[0][0]


def test_login_without_csrf_token_is_refused(client):
    user = factories.make_user()
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert not _signed_in(client)
    assert _open_sessions(user.id) == 0


def test_login_rotates_the_session(client, auth):
    user = factories.make_user()
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "anonymous data"
    before = client.get_cookie(COOKIE).value
    assert auth.login(user.email).status_code == 302
    after = client.get_cookie(COOKIE).value
    assert after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert "sid" in sess
    # The anonymous cookie does not carry the new session.
    stale = client.application.test_client()
    stale.set_cookie(COOKIE, before)
    assert not _signed_in(stale)


def test_repeated_failures_for_one_account_are_throttled(app, client, auth):
    assert app.config["LOGIN_LIMIT_PER_ACCOUNT"] == "5 per 15 minutes"
    user = factories.make_user()
    other = factories.make_user()
    for _ in range(5):
        assert auth.login(user.email, "wrong password!").status_code == 401
    assert auth.login(user.email, "wrong password!").status_code == 429
    # Even the right password waits now; other accounts from this client still work.
    assert auth.login(user.email).status_code == 429
    assert _open_sessions(user.id) == 0
    assert auth.login(other.email).status_code == 302


def test_account_throttle_ignores_case_and_spaces_in_the_email(client, auth):
    user = factories.make_user()
    for variant in (user.email, user.email.upper(), f" {user.email}", user.email, user.email):
        assert auth.login(variant, "wrong password!").status_code == 401
    assert auth.login(user.email.upper(), "wrong password!").status_code == 429


def test_repeated_failures_from_one_client_are_throttled(app, client, auth):
    assert app.config["LOGIN_LIMIT_PER_CLIENT"] == "20 per 15 minutes"
    user = factories.make_user()
    for n in range(20):
        assert auth.login(f"nobody{n}@staff.example", "wrong password!").status_code == 401
    assert auth.login("someone-else@staff.example", "wrong password!").status_code == 429
    assert auth.login(user.email).status_code == 429
    # Another client (address) is not affected.
    other = app.test_client()
    response = other.post(
        "/login",
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
        data={
            "email": user.email,
            "password": factories.PASSWORD,
            "csrf_token": _csrf_from(other, "192.0.2.7"),
        },
    )
    assert response.status_code == 302


def _csrf_from(client, address: str) -> str:
    """Fetch the login form from a given client address and return its CSRF token."""
    import re

    html = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_successful_logins_do_not_count_towards_the_limit(client, auth):
    user = factories.make_user()
    for _ in range(4):
        assert auth.login(user.email, "wrong password!").status_code == 401
    for _ in range(3):
        assert auth.login(user.email).status_code == 302
    assert auth.login(user.email, "wrong password!").status_code == 401
    assert auth.login(user.email, "wrong password!").status_code == 429


def test_cookie_replayed_after_logout_is_refused(app, client, auth):
    auth.login_as("sales")
    stolen = client.get_cookie(COOKIE).value
    replay = app.test_client()
    replay.set_cookie(COOKIE, stolen)
    assert _signed_in(replay)  # the copy works while the session lives

    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not _signed_in(client)

    replay = app.test_client()
    replay.set_cookie(COOKIE, stolen)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_password_change_ends_the_other_sessions(app, client, auth):
    user = auth.login_as("sales")
    laptop = app.test_client()
    assert AuthActions(laptop).login(user.email).status_code == 302
    assert _signed_in(laptop)

    response = _post_form(
        client,
        "/account",
        "/account/password",
        {
            "current_password": factories.PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert "Password changed" in client.get("/account").get_data(as_text=True)
    assert _signed_in(client)
    assert not _signed_in(laptop)
    assert _open_sessions(user.id) == 1
    assert auth.login(user.email).status_code == 401
    assert auth.login(user.email, "a brand new passphrase").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(app, client, auth):
    user = auth.login_as("sales")
    laptop = app.test_client()
    AuthActions(laptop).login(user.email)
    _post_form(
        client,
        "/account",
        "/account/password",
        {
            "current_password": "not my password",
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert _signed_in(client) and _signed_in(laptop)
    assert auth.login(user.email).status_code == 302


def test_deactivation_ends_the_session_and_blocks_login(app, client, auth):
    auth.login_as("admin")
    user = factories.make_user()
    desk = app.test_client()
    desk_auth = AuthActions(desk)
    assert desk_auth.login(user.email).status_code == 302
    assert _signed_in(desk)

    page = f"/admin/users/{user.id}"
    response = _post_form(client, page, page, {"name": user.name, "role": user.role})
    assert response.status_code == 302

    response = desk.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert _open_sessions(user.id) == 0
    assert desk_auth.login(user.email).status_code == 401


def test_idle_session_ends_and_stays_ended(app, client, auth):
    user = auth.login_as("sales")
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"])
    _set_session_times(user.id, last_seen_at=utcnow() - idle + timedelta(minutes=1))
    assert _signed_in(client)

    _set_session_times(user.id, last_seen_at=utcnow() - idle - timedelta(minutes=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")

    # Fresh activity cannot revive it: the session ended on the server.
    _set_session_times(user.id, last_seen_at=utcnow())
    assert not _signed_in(client)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_at is not None and row.end_reason == "timeout"


def test_session_ends_after_the_absolute_limit_even_when_busy(app, client, auth):
    user = auth.login_as("sales")
    limit = timedelta(hours=app.config["SESSION_MAX_HOURS"])
    _set_session_times(
        user.id, created_at=utcnow() - limit - timedelta(minutes=1), last_seen_at=utcnow()
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")

    _set_session_times(user.id, created_at=utcnow(), last_seen_at=utcnow())
    assert not _signed_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "//evil.example/profiles/",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_refuses_to_redirect_off_site(client, target):
    user = factories.make_user()
    response = _post_login(client, user.email, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client):
    user = factories.make_user()
    response = _post_login(client, user.email, next="/profiles/?q=rossi")
    assert response.headers["Location"] == "/profiles/?q=rossi"


def test_anonymous_visit_comes_back_after_login(client):
    user = factories.make_user(role="admin")
    response = client.get("/admin/users")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    token = factories.csrf_token(client, login_url)
    response = client.post(
        login_url,
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/admin/users"


def test_language_preference_is_applied(client, auth):
    auth.login_as("sales")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    response = _post_form(client, "/account", "/account/language", {"locale": "it"})
    assert response.status_code == 302
    assert 'lang="it"' in client.get("/").get_data(as_text=True)
    assert 'lang="it"' in client.get("/account").get_data(as_text=True)


def test_unknown_language_is_not_stored(client, auth):
    user = auth.login_as("sales")
    _post_form(client, "/account", "/account/language", {"locale": "xx"})
    assert db.session.get(User, user.id).locale is None  # still the browser's
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
