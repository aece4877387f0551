"""Append-only consent records; a profile's current consent is derived from them."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db
from crm.models.base import UTCDateTime, utcnow

PURPOSES = (
    "email_marketing",
    "sms_marketing",
    "phone_marketing",
    "profiling",
    "third_party_sharing",
)
# "refused": asked (an opt-in that says no), the person said no; "withdrawn": a consent
# given and then taken back. Both mean no consent: neither may be marketed to.
CONSENT_STATUSES = ("granted", "withdrawn", "refused")
# The statuses that mean no consent for the purpose (RESTRICTIVE), of equal weight.
RESTRICTIVE = frozenset({"withdrawn", "refused"})
LEGAL_BASES = (
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
)


class ConsentRecord(db.Model):
    """One grant, withdrawal or refusal of one purpose for one profile, with its evidence."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_profile_purpose", "profile_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    legal_basis: Mapped[str] = mapped_column(String(30), default="consent")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"))
    source_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_records.id", ondelete="SET NULL")
    )
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    # Set on the record a merge appends (most restrictive state); an undo removes it.
    merge_id: Mapped[int | None] = mapped_column(
        ForeignKey("merges.id", ondelete="CASCADE"), index=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
