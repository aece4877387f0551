"""Touchpoints (moments a person met the brand) and notes written by staff."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db
from crm.models.base import UTCDateTime, utcnow

PHASES = ("awareness", "consideration", "decision", "service", "loyalty")


class Touchpoint(db.Model):
    """One moment where the person met the brand, online or offline."""

    __tablename__ = "touchpoints"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_touchpoints_profile_occurred", "profile_id", "occurred_at"),
        Index("ix_touchpoints_kind_occurred", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str | None] = mapped_column(String(40))
    online: Mapped[bool] = mapped_column(default=True)
    phase: Mapped[str | None] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Untrusted free properties from the source: escaped wherever shown.
    properties: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Note(db.Model):
    """A note a staff member wrote on a profile."""

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
