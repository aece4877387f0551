"""Administration pages: staff users, roles, deactivation and everyone's API keys."""

import pytest
from babel.dates import format_date
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import ApiKey, AuditLog, User
from crm.services import users
from tests import factories
from tests.conftest import AuthActions


@pytest.fixture
def admin(auth):
    """A signed-in administrator."""
    return auth.login_as("admin")


def _post(client, page: str, data: dict, action: str | None = None):
    """Post a form with the CSRF token read from page."""
    token = factories.csrf_token(client, page)
    return client.post(action or page, data={**data, "csrf_token": token})


def _reload(user_id: int) -> User:
    """Read a user back from the database, not from the session's memory."""
    db.session.expire_all()
    return db.session.get(User, user_id)


def _user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_users_page_lists_every_user(client, admin):
    other = factories.make_user(role="marketer", name="Marta Bianchi")
    response = client.get("/admin/users")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="new-user"' in html
    assert other.email in html and "Marta Bianchi" in html and "Marketer" in html
    assert admin.email in html
    assert format_date(other.created_at, "medium", locale="en") in html
    assert f'href="/admin/users/{other.id}"' in html


def test_admin_creates_a_user_who_can_sign_in(app, client, admin):
    response = _post(
        client,
        "/admin/users/new",
        {
            "email": "New.Person@Staff.example",
            "name": "New Person",
            "role": "compliance",
            "password": "initial passphrase",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users"
    user = db.session.scalar(select(User).where(User.email == "new.person@staff.example"))
    assert user is not None and user.role == "compliance" and user.active
    assert user.name == "New Person"
    assert "initial passphrase" not in user.password_hash
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "user.create", AuditLog.object_id == str(user.id))
    )
    assert entry.actor_user_id == admin.id

    newcomer = app.test_client()
    assert AuthActions(newcomer).login(user.email, "initial passphrase").status_code == 302


def test_duplicate_email_shows_an_error(client, admin):
    existing = factories.make_user()
    before = _user_count()
    response = _post(
        client,
        "/admin/users/new",
        {"email": existing.email.upper(), "role": "sales", "password": "initial passphrase"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "A user with this email exists." in html
    assert "is-invalid" in html
    assert _user_count() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "role": "sales", "password": "initial passphrase"}, "@"),
        ({"email": "short@staff.example", "role": "sales", "password": "short"}, "at least"),
        ({"email": "role@staff.example", "role": "root", "password": "initial passphrase"}, ""),
        ({"email": "", "role": "sales", "password": "initial passphrase"}, ""),
    ],
)
def test_invalid_new_user_is_refused_with_an_error(client, admin, data, message):
    before = _user_count()
    response = _post(client, "/admin/users/new", data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "invalid-feedback" in html and message in html
    assert _user_count() == before


def test_admin_changes_a_role(client, admin):
    user = factories.make_user(role="sales")
    page = f"/admin/users/{user.id}"
    assert client.get(page).status_code == 200
    response = _post(client, page, {"name": user.name, "role": "marketer", "active": "y"})
    assert response.status_code == 302
    changed = _reload(user.id)
    assert changed.role == "marketer" and changed.active
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.update"))
    assert entry.details == {"role": ["sales", "marketer"]}
    assert entry.object_id == str(user.id)


def test_admin_deactivates_and_reactivates_a_user(app, client, admin, api_headers):
    user = factories.make_user()
    key, _record = users.create_api_key(user, "script", actor="test")
    bearer = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/profiles", headers=bearer).status_code == 200

    page = f"/admin/users/{user.id}"
    assert _post(client, page, {"name": user.name, "role": user.role}).status_code == 302
    assert not _reload(user.id).active
    assert "inactive" in client.get("/admin/users").get_data(as_text=True)
    assert client.get("/api/v1/profiles", headers=bearer).status_code == 401
    assert AuthActions(app.test_client()).login(user.email).status_code == 401

    _post(client, page, {"name": user.name, "role": user.role, "active": "y"})
    assert _reload(user.id).active
    assert AuthActions(app.test_client()).login(user.email).status_code == 302


def test_deactivating_yourself_is_refused(client, admin):
    page = f"/admin/users/{admin.id}"
    response = _post(client, page, {"name": "Renamed", "role": "sales"})
    assert response.status_code == 200
    assert "You cannot deactivate yourself." in response.get_data(as_text=True)
    me = _reload(admin.id)
    assert me.active and me.role == "admin" and me.name != "Renamed"
    assert client.get("/admin/users").status_code == 200


def test_unknown_user_is_404(client, admin):
    assert client.get("/admin/users/999999").status_code == 404
    assert _post(client, "/admin/users", {}, action="/admin/users/999999").status_code == 404


@pytest.mark.parametrize("role", ["sales", "marketer", "compliance"])
def test_non_admins_are_refused(client, auth, role):
    user = auth.login_as(role)
    other = factories.make_user()
    before = _user_count()
    for path in ("/admin/users", "/admin/users/new", f"/admin/users/{other.id}", "/admin/api-keys"):
        assert client.get(path).status_code == 403, path
    token = factories.csrf_token(client, "/account")
    response = client.post(
        "/admin/users/new",
        data={
            "email": "x@staff.example",
            "role": "admin",
            "password": "initial passphrase",
            "csrf_token": token,
        },
    )
    assert response.status_code == 403
    response = client.post(
        f"/admin/users/{user.id}", data={"role": "admin", "active": "y", "csrf_token": token}
    )
    assert response.status_code == 403
    assert _user_count() == before
    assert _reload(user.id).role == role


def test_admin_sees_and_revokes_anyones_api_key(client, admin):
    owner = factories.make_user()
    key, record = users.create_api_key(owner, "nightly sync", actor="test")
    html = client.get("/admin/api-keys").get_data(as_text=True)
    assert "nightly sync" in html and owner.email in html
    assert f"crm_{record.prefix}_" in html and key not in html
    assert f'id="revoke-key-{record.id}"' in html

    token = factories.csrf_token(client, "/admin/api-keys")
    response = client.post(
        f"/account/api-keys/{record.id}/revoke",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/admin/api-keys"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/admin/api-keys"
    db.session.expire_all()
    assert db.session.get(ApiKey, record.id).revoked_at is not None
    assert (
        client.get("/api/v1/profiles", headers={"Authorization": f"Bearer {key}"}).status_code
        == 401
    )
    assert f'id="revoke-key-{record.id}"' not in client.get("/admin/api-keys").get_data(
        as_text=True
    )


def test_non_admin_cannot_revoke_someone_elses_key(client, auth):
    auth.login_as("sales")
    owner = factories.make_user()
    _key, record = users.create_api_key(owner, "theirs", actor="test")
    token = factories.csrf_token(client, "/account")
    client.post(f"/account/api-keys/{record.id}/revoke", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(ApiKey, record.id).revoked_at is None
