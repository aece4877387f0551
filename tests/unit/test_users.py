"""Staff users service: password hashing, authentication, sessions, API keys, audit."""

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from crm.extensions import db
from crm.models import ApiKey, AuditLog, User, UserSession
from crm.models.base import utcnow
from crm.services import users
from crm.services.errors import AuthError, ConflictError, NotFoundError, ValidationError
from tests import factories

PASSWORD = factories.PASSWORD


def _reload(model, pk):
    """Read a row back from the database, not from the session's memory."""
    db.session.expire_all()
    return db.session.get(model, pk)


def test_password_is_hashed_with_argon2_and_never_stored_plain(app):
    user = factories.make_user(password="a secret passphrase")
    stored = _reload(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    assert "a secret passphrase" not in stored
    assert PasswordHasher().verify(stored, "a secret passphrase")


def test_same_password_gives_different_hashes(app):
    first = factories.make_user()
    second = factories.make_user()
    assert first.password_hash != second.password_hash


def test_create_user_normalises_the_email(app):
    user = factories.make_user(email="  Anna.Verdi@Staff.Example ")
    assert user.email == "anna.verdi@staff.example"


def test_create_user_refuses_a_taken_email_in_any_case(app):
    factories.make_user(email="anna@staff.example")
    with pytest.raises(ConflictError) as error:
        factories.make_user(email="ANNA@staff.example")
    assert "email" in error.value.fields


@pytest.mark.parametrize(
    ("email", "password", "role", "field"),
    [
        ("no-at-sign", PASSWORD, "sales", "email"),
        ("ok@staff.example", "short", "sales", "password"),
        ("ok@staff.example", PASSWORD, "root", "role"),
    ],
)
def test_create_user_checks_its_input(app, email, password, role, field):
    with pytest.raises(ValidationError) as error:
        users.create_user(email, password, role, actor="test")
    assert field in error.value.fields
    assert db.session.scalar(select(User)) is None


def test_authenticate_returns_the_user(app):
    user = factories.make_user(email="luca@staff.example")
    assert users.authenticate("Luca@Staff.example ", PASSWORD).id == user.id


@pytest.mark.parametrize("case", ["wrong_password", "unknown_email", "inactive"])
def test_authenticate_refuses_with_one_message(app, case):
    user = factories.make_user(email="luca@staff.example")
    email, password = user.email, PASSWORD
    if case == "wrong_password":
        password = "not the password"
    elif case == "unknown_email":
        email = "nobody@staff.example"
    else:
        users.update_user(user.id, active=False, actor="test")
    with pytest.raises(AuthError) as error:
        users.authenticate(email, password)
    assert error.value.message == "Invalid email or password."
    failures = db.session.scalars(select(AuditLog).where(AuditLog.action == "auth.login_failed"))
    assert len(list(failures)) == 1


def test_sessions_are_stored_hashed_and_load_their_user(app):
    user = factories.make_user()
    token = users.start_session(user)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    assert users.load_session(token, user.id).id == user.id
    assert users.load_session(token, user.id + 1) is None
    assert users.load_session("forged", user.id) is None
    assert users.load_session(None, user.id) is None


@pytest.mark.parametrize(
    "times",
    [
        {"last_seen_at": timedelta(minutes=31)},
        {"created_at": timedelta(hours=12, minutes=1)},
    ],
    ids=["idle", "absolute"],
)
def test_timed_out_session_ends_for_good(app, times):
    user = factories.make_user()
    token = users.start_session(user)
    now = utcnow()
    db.session.execute(
        update(UserSession).values(**{column: now - age for column, age in times.items()})
    )
    db.session.commit()
    assert users.load_session(token, user.id) is None
    db.session.execute(update(UserSession).values(last_seen_at=utcnow(), created_at=utcnow()))
    db.session.commit()
    assert users.load_session(token, user.id) is None


def test_change_password_ends_every_session(app):
    user = factories.make_user()
    first, second = users.start_session(user), users.start_session(user)
    users.change_password(user, PASSWORD, "the next passphrase")
    assert users.load_session(first, user.id) is None
    assert users.load_session(second, user.id) is None
    assert users.authenticate(user.email, "the next passphrase").id == user.id
    with pytest.raises(AuthError):
        users.authenticate(user.email, PASSWORD)


def test_change_password_needs_the_current_one(app):
    user = factories.make_user()
    token = users.start_session(user)
    with pytest.raises(AuthError):
        users.change_password(user, "not the password", "the next passphrase")
    with pytest.raises(ValidationError):
        users.change_password(user, PASSWORD, "short")
    assert users.load_session(token, user.id) is not None
    assert users.authenticate(user.email, PASSWORD).id == user.id


def test_deactivation_ends_sessions_and_refuses_keys(app):
    admin = factories.make_user(role="admin")
    user = factories.make_user()
    token = users.start_session(user)
    key, _record = users.create_api_key(user, actor="test")
    users.update_user(user.id, active=False, actor=admin)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.ended_at is not None and row.end_reason == "deactivated"
    assert users.load_session(token, user.id) is None
    assert users.authenticate_api_key(key) is None
    users.update_user(user.id, active=True, actor=admin)
    assert users.load_session(token, user.id) is None  # reactivation does not revive it


def test_refused_update_changes_nothing(app):
    admin = factories.make_user(role="admin", name="Ada")
    with pytest.raises(ValidationError) as error:
        users.update_user(admin.id, name="Renamed", role="sales", active=False, actor=admin)
    assert "active" in error.value.fields
    db.session.commit()  # a later commit in the same transaction must not write half a change
    me = _reload(User, admin.id)
    assert (me.name, me.role, me.active) == ("Ada", "admin", True)


def test_update_user_refuses_unknown_role_and_user(app):
    user = factories.make_user()
    with pytest.raises(ValidationError):
        users.update_user(user.id, role="root", actor="test")
    with pytest.raises(NotFoundError):
        users.update_user(999999, role="sales", actor="test")


def test_api_key_is_stored_hashed(app):
    user = factories.make_user()
    key, record = users.create_api_key(user, "sync", actor=user)
    stored = _reload(ApiKey, record.id)
    assert key.startswith(f"crm_{stored.prefix}_")
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in (stored.key_hash, stored.prefix, stored.name)
    assert users.authenticate_api_key(key).id == user.id
    assert users.authenticate_api_key(key + "x") is None


def test_revoked_api_key_is_refused(app):
    user = factories.make_user()
    key, record = users.create_api_key(user, actor=user)
    users.revoke_api_key(record.id, actor=user)
    assert users.authenticate_api_key(key) is None
    assert _reload(ApiKey, record.id).is_revoked


def test_only_owner_or_admin_revokes_a_key(app):
    owner = factories.make_user()
    stranger = factories.make_user()
    admin = factories.make_user(role="admin")
    key, record = users.create_api_key(owner, actor=owner)
    with pytest.raises(NotFoundError):
        users.revoke_api_key(record.id, actor=stranger)
    assert users.authenticate_api_key(key).id == owner.id
    users.revoke_api_key(record.id, actor=admin)
    assert users.authenticate_api_key(key) is None


def test_audit_log_refers_to_people_by_id_only(app):
    email, name = "giulia.neri@staff.example", "Giulia Neri"
    admin = factories.make_user(role="admin")
    user = factories.make_user(email=email, name=name)
    with pytest.raises(AuthError):
        users.authenticate(email, "not the password")
    with pytest.raises(AuthError):
        users.authenticate("ghost@staff.example", "not the password")
    token = users.start_session(user)
    users.change_password(user, PASSWORD, "the next passphrase")
    users.end_session(token)
    _key, record = users.create_api_key(user, "laptop", actor=user)
    users.revoke_api_key(record.id, actor=admin)
    users.update_user(user.id, role="marketer", name="Giulia N.", active=False, actor=admin)

    entries = list(db.session.scalars(select(AuditLog)))
    actions = {entry.action for entry in entries}
    assert {
        "user.create",
        "auth.login_failed",
        "auth.login",
        "user.password_change",
        "api_key.create",
        "api_key.revoke",
        "user.update",
    } <= actions
    for entry in entries:
        text = repr((entry.actor_label, entry.object_type, entry.object_id, entry.details)).lower()
        for secret in (email, "ghost@staff.example", "giulia", "neri", "passphrase"):
            assert secret not in text, (entry.action, text)


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(app):
    admin = factories.make_user(role="admin")
    with pytest.raises(ValidationError):
        users.update_user(admin.id, role="sales", actor="test")
    with pytest.raises(ValidationError):
        users.update_user(admin.id, active=False, actor="test")
    db.session.rollback()
    assert users.get_user(admin.id).role == "admin"
    second = factories.make_user(role="admin")
    users.update_user(admin.id, role="sales", actor=second)
    assert users.get_user(admin.id).role == "sales"
