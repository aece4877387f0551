"""Sources of person records and the records as each source gave them."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import UTCDateTime, utcnow

PARTIES = ("first", "second", "third")


class Source(db.Model):
    """A system that gives us person records (web form, newsletter tool, shop, ...)."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    party: Mapped[str] = mapped_column(String(10), default="first")
    # Higher wins when two sources disagree on a value.
    trust_rank: Mapped[int] = mapped_column(default=50)
    default_region: Mapped[str] = mapped_column(String(2), default="IT")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # An admin's edit names the version it was made on; a stale one is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Source {self.name}>"


class SourceRecord(db.Model):
    """One person record as one source gave it: raw payload plus normalised identifiers.

    Matching never edits a source record; it only points it at a profile.
    """

    __tablename__ = "source_records"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id"),
        Index("ix_source_records_profile_id", "profile_id"),
        Index("ix_source_records_search_name", "search_name"),
        Index("ix_source_records_search_last", "search_last"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    profile_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id", ondelete="SET NULL"))
    raw: Mapped[dict] = mapped_column(JSON, default=dict)
    # Normalised profile fields (same names as Profile's), used for survivorship.
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    batch_id: Mapped[str | None] = mapped_column(String(40), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The record's name folded as a profile's search columns are (profiles.search_columns):
    # a search finds a person by the spelling of any record behind the profile, not only
    # by the one survivorship shows (a typo, a maiden name, a nickname).
    search_name: Mapped[str] = mapped_column(String(210), default="", server_default="")
    search_last: Mapped[str] = mapped_column(String(100), default="", server_default="")

    source: Mapped[Source] = relationship(lazy="joined")
    profile: Mapped["Profile | None"] = relationship(  # noqa: F821
        back_populates="source_records"
    )


@event.listens_for(SourceRecord, "before_insert")
@event.listens_for(SourceRecord, "before_update")
def _fold_names(_mapper, _connection, record: SourceRecord) -> None:
    """Keep a record's search columns with its fields (bulk inserts set them themselves)."""
    from crm.services.profiles import record_search_columns  # services import the models

    for name, value in record_search_columns(record.fields).items():
        if getattr(record, name) != value:
            setattr(record, name, value)
