"""The unified profile (golden record) with its emails, phones, tags and stage history."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import UTCDateTime, utcnow

STAGES = ("lead", "mql", "sql", "customer")

TAG_MAX = 80  # characters of a tag's name
# A profile's lists at most: far more than a person has; a longer list is a client's
# mistake (or an attack). The API refuses more, the importer keeps the first ones.
MAX_EMAILS = 50
MAX_PHONES = 50
MAX_TAGS = 200

# The profile fields that survivorship chooses from source records (DESIGN.md words).
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "job_title",
    "address",
    "address_line_2",
    "postcode",
    "city",
    "state",
    "country",
    "birth_date",
    "tax_id",
)

profile_tags = Table(
    "profile_tags",
    db.metadata,
    Column("profile_id", ForeignKey("profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(db.Model):
    """A free label on profiles."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(TAG_MAX), unique=True)


class Profile(db.Model):
    """One person behind one or more source records."""

    __tablename__ = "profiles"
    __table_args__ = (
        Index("ix_profiles_search_name", "search_name"),
        Index("ix_profiles_search_last", "search_last"),
        Index("ix_profiles_search_company", "search_company"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    address_line_2: Mapped[str | None] = mapped_column(String(300))
    postcode: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    birth_date: Mapped[date | None] = mapped_column(Date)
    # A personal tax or national id (codice fiscale, social security number): strong
    # evidence for identity resolution, shown only to those who may see the profile.
    tax_id: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    stage: Mapped[str] = mapped_column(String(10), default="lead", index=True)
    score: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1)
    # Set when this profile was merged into another; the row stays so a merge can be undone.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("profiles.id", ondelete="SET NULL"), index=True
    )
    # field name -> {"source_record_id": id, "source": name} or {"manual": user id}
    provenance: Mapped[dict] = mapped_column(JSON, default=dict)
    # Folded, lower-case copies for indexed prefix search.
    search_name: Mapped[str] = mapped_column(String(210), default="")
    search_last: Mapped[str] = mapped_column(String(100), default="")
    search_company: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    owner: Mapped["User | None"] = relationship(lazy="joined")  # noqa: F821
    emails: Mapped[list["ProfileEmail"]] = relationship(
        back_populates="profile",
        cascade="all, delete-orphan",
        order_by="(ProfileEmail.is_primary.desc(), ProfileEmail.id)",
    )
    phones: Mapped[list["ProfilePhone"]] = relationship(
        back_populates="profile",
        cascade="all, delete-orphan",
        order_by="(ProfilePhone.is_primary.desc(), ProfilePhone.id)",
    )
    tags: Mapped[list[Tag]] = relationship(secondary=profile_tags, order_by=Tag.name)
    source_records: Mapped[list["SourceRecord"]] = relationship(  # noqa: F821
        back_populates="profile", order_by="SourceRecord.id"
    )
    stage_changes: Mapped[list["StageChange"]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="StageChange.id"
    )

    @property
    def primary_email(self) -> str | None:
        """The preferred email address, if any."""
        return self.emails[0].email if self.emails else None

    @property
    def primary_phone(self) -> str | None:
        """The preferred phone number (E.164), if any."""
        return self.phones[0].phone if self.phones else None

    @property
    def display_name(self) -> str:
        """A name to show, falling back to the email or the id."""
        name = " ".join(p for p in (self.first_name, self.last_name) if p)
        return name or self.primary_email or f"#{self.id}"

    def __repr__(self) -> str:
        return f"<Profile {self.id}>"


class ProfileEmail(db.Model):
    """An email address of a profile; unique across profiles (one person per address)."""

    __tablename__ = "profile_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    is_primary: Mapped[bool] = mapped_column(default=False)
    source_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_records.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[Profile] = relationship(back_populates="emails")


class ProfilePhone(db.Model):
    """A phone number (E.164) of a profile; unique across profiles."""

    __tablename__ = "profile_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    is_primary: Mapped[bool] = mapped_column(default=False)
    source_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_records.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[Profile] = relationship(back_populates="phones")


class StageChange(db.Model):
    """One move of a profile between lifecycle stages; never rewritten."""

    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(String(10))
    to_stage: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    reason: Mapped[str] = mapped_column(String(500), default="")

    profile: Mapped[Profile] = relationship(back_populates="stage_changes")
