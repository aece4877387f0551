"""Staff users: accounts, passwords, server-side sessions and API keys."""

import hashlib
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select, update

from crm.extensions import db
from crm.models import ROLES, ApiKey, User, UserSession
from crm.models.base import utcnow
from crm.services import audit
from crm.services.errors import AuthError, ConflictError, NotFoundError, ValidationError

# Refresh last_seen_at at most this often, so reads do not turn into writes on every request.
_TOUCH_EVERY = timedelta(seconds=60)
# Verified against when the account does not exist, so timing does not reveal accounts.
_DUMMY_HASH: dict[str, str] = {}


def _hasher() -> PasswordHasher:
    """The argon2 hasher with the configured cost."""
    return PasswordHasher(**current_app.config.get("ARGON2_PARAMS", {}))


def _digest(token: str) -> str:
    """SHA-256 of a high-entropy token (session ids, API keys)."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_login_email(email: str) -> str:
    """Lower-case and validate a staff email. Raises ValidationError."""
    try:
        info = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(str(exc), fields={"email": [str(exc)]}) from exc
    return info.normalized.lower()


def check_password_rules(password: str) -> None:
    """Raise ValidationError if the password is too weak to accept."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        message = f"Use at least {minimum} characters."
        raise ValidationError(message, fields={"password": [message]})


def create_user(
    email: str, password: str, role: str, *, name: str = "", actor: User | str | None
) -> User:
    """Create a staff account. Raises ValidationError or ConflictError."""
    email = normalise_login_email(email)
    if role not in ROLES:
        raise ValidationError("Unknown role.", fields={"role": [f"Choose one of {ROLES}."]})
    check_password_rules(password)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise ConflictError("A user with this email exists.", fields={"email": ["Taken."]})
    user = User(email=email, name=name, role=role, password_hash=_hasher().hash(password))
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.create", actor=actor, object_type="user", object_id=user.id, details={"role": role}
    )
    db.session.commit()
    return user


def get_user(user_id: int) -> User:
    """Load a user by id. Raises NotFoundError."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFoundError("No such user.")
    return user


def list_users() -> list[User]:
    """All staff users, by email."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def update_user(
    user_id: int,
    *,
    role: str | None = None,
    active: bool | None = None,
    name: str | None = None,
    actor: User | str | None,
) -> User:
    """Change a user's role, name or active flag; deactivation ends their sessions and keys.

    Raises NotFoundError, ValidationError.
    """
    user = get_user(user_id)
    # Check everything before changing anything: a refused update must leave no half-made
    # change in the session for a later commit to write.
    if role is not None and role not in ROLES:
        raise ValidationError("Unknown role.", fields={"role": ["Unknown role."]})
    deactivating = active is not None and not active and user.active
    if deactivating and isinstance(actor, User) and actor.id == user.id:
        raise ValidationError(
            "You cannot deactivate yourself.",
            fields={"active": ["You cannot deactivate yourself."]},
        )
    demoting = role is not None and role != "admin"
    if user.role == "admin" and user.active and (deactivating or demoting):
        admins = db.session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active)
        )
        if admins <= 1:
            message = "Keep at least one active admin."
            raise ValidationError(message, fields={"role" if demoting else "active": [message]})
    changes = {}
    if role is not None and role != user.role:
        changes["role"] = [user.role, role]
        user.role = role
    if name is not None:
        user.name = name
    if active is not None and active != user.active:
        changes["active"] = [user.active, active]
        user.active = active
        if not active:
            _end_all_sessions(user.id, "deactivated")
    if changes:
        audit.record(
            "user.update", actor=actor, object_type="user", object_id=user.id, details=changes
        )
    db.session.commit()
    return user


def set_locale(user: User, locale: str | None) -> None:
    """Store the user's interface language; None or "" follows the browser's. Raises
    ValidationError."""
    if locale and locale not in current_app.config["LANGUAGES"]:
        raise ValidationError("Unknown language.", fields={"locale": ["Unknown language."]})
    user.locale = locale or None
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Change a password after checking the current one; ends every session of the user.

    Raises AuthError, ValidationError.
    """
    if not verify_password(user, current):
        raise AuthError(
            "The current password is wrong.", fields={"current_password": ["Wrong password."]}
        )
    set_password(user, new, actor=user)


def set_password(user: User, new: str, *, actor: User | str | None) -> None:
    """Set a new password and end every session of the user. Raises ValidationError."""
    check_password_rules(new)
    user.password_hash = _hasher().hash(new)
    user.password_changed_at = utcnow()
    _end_all_sessions(user.id, "password_changed")
    audit.record("user.password_change", actor=actor, object_type="user", object_id=user.id)
    db.session.commit()


def verify_password(user: User, password: str) -> bool:
    """True when password matches the user's hash."""
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(email: str, password: str) -> User:
    """Return the active user with these credentials. Raises AuthError (one message for all)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        # Spend the same time as a real check so that timing does not reveal accounts.
        hasher = _hasher()
        key = repr(current_app.config.get("ARGON2_PARAMS"))
        _DUMMY_HASH.setdefault(key, hasher.hash(secrets.token_hex(8)))
        try:
            hasher.verify(_DUMMY_HASH[key], password)
        except VerificationError:
            pass
        audit.record("auth.login_failed", actor=None, object_type="user", object_id="")
        db.session.commit()
        raise AuthError("Invalid email or password.")
    if not verify_password(user, password) or not user.active:
        audit.record("auth.login_failed", actor=None, object_type="user", object_id=user.id)
        db.session.commit()
        raise AuthError("Invalid email or password.")
    return user


def start_session(user: User) -> str:
    """Open a server-side session for user and return its secret token."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token)))
    audit.record("auth.login", actor=user, object_type="user", object_id=user.id)
    db.session.commit()
    return token


def load_session(token: str | None, user_id: str | int) -> User | None:
    """The user of a live session, or None when the session is unknown, ended or timed out.

    Timeouts end the session on the server, so the same cookie never works again.
    """
    if not token:
        return None
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if record is None or record.ended_at is not None or str(record.user_id) != str(user_id):
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=current_app.config["SESSION_MAX_HOURS"])
    if now - record.last_seen_at > idle or now - record.created_at > absolute:
        _end_session_row(record.id, "timeout")
        return None
    user = record.user
    if not user.active:
        return None
    if now - record.last_seen_at > _TOUCH_EVERY:
        # End the read transaction first: on SQLite a write that opens its own transaction
        # waits for the lock, while upgrading a read transaction fails at once.
        db.session.commit()
        db.session.execute(
            update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
        )
        db.session.commit()
    return user


def end_session(token: str | None, reason: str = "logout") -> None:
    """End one session (logout)."""
    if not token:
        return
    record = db.session.scalar(select(UserSession).where(UserSession.token_hash == _digest(token)))
    if record is not None and record.ended_at is None:
        audit.record("auth.logout", actor=record.user, object_type="user", object_id=record.user_id)
        _end_session_row(record.id, reason)


def _end_session_row(session_id: int, reason: str) -> None:
    """Mark one session ended and commit."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id)
        .values(ended_at=utcnow(), end_reason=reason)
    )
    db.session.commit()


def _end_all_sessions(user_id: int, reason: str) -> None:
    """Mark every open session of a user ended (the caller commits)."""
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )


def create_api_key(user: User, name: str = "", *, actor: User | str | None) -> tuple[str, ApiKey]:
    """Create an API key for user; the plain key is returned once and only its hash kept."""
    prefix = secrets.token_hex(4)
    key = f"crm_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(user_id=user.id, name=name, prefix=prefix, key_hash=_digest(key))
    db.session.add(record)
    db.session.flush()
    audit.record(
        "api_key.create",
        actor=actor,
        object_type="api_key",
        object_id=record.id,
        details={"user_id": user.id},
    )
    db.session.commit()
    return key, record


def list_api_keys(user_id: int | None = None) -> list[ApiKey]:
    """API keys of one user, or of everyone, newest first."""
    query = select(ApiKey).order_by(ApiKey.id.desc())
    if user_id is not None:
        query = query.where(ApiKey.user_id == user_id)
    return list(db.session.scalars(query))


def revoke_api_key(key_id: int, *, actor: User) -> ApiKey:
    """Revoke a key; users revoke their own, admins anyone's. Raises NotFoundError."""
    record = db.session.get(ApiKey, key_id)
    if record is None or (record.user_id != actor.id and actor.role != "admin"):
        raise NotFoundError("No such API key.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record("api_key.revoke", actor=actor, object_type="api_key", object_id=key_id)
    db.session.commit()
    return record


def authenticate_api_key(key: str) -> User | None:
    """The active user owning a live key, or None."""
    record = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == _digest(key)))
    if record is None or record.revoked_at is not None or not record.user.active:
        return None
    now = utcnow()
    user = record.user
    if record.last_used_at is None or now - record.last_used_at > _TOUCH_EVERY:
        db.session.commit()  # a fresh write transaction; see load_session
        db.session.execute(update(ApiKey).where(ApiKey.id == record.id).values(last_used_at=now))
        db.session.commit()
    return user
