"""Recording security and data events in the audit trail (ids only, never personal data)."""

from crm.extensions import db
from crm.models import AuditLog, User


def actor_fields(actor: User | str | None) -> dict:
    """Split an actor (a user, a label such as 'system' or 'rule:x', or None) into columns."""
    if isinstance(actor, User):
        return {"actor_user_id": actor.id, "actor_label": f"user:{actor.id}"}
    return {"actor_user_id": None, "actor_label": actor or "system"}


def record(
    action: str,
    *,
    actor: User | str | None,
    object_type: str = "",
    object_id: int | str = "",
    details: dict | None = None,
) -> AuditLog:
    """Add an audit entry to the current transaction; the calling service commits."""
    entry = AuditLog(
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        details=details or {},
        **actor_fields(actor),
    )
    db.session.add(entry)
    return entry
