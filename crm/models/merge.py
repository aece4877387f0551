"""Identity resolution: match keys for blocking, suspected duplicates, and merges."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db
from crm.models.base import UTCDateTime, utcnow

CANDIDATE_STATUSES = ("open", "merged", "distinct")
MERGE_RULES = ("auto", "review", "manual")


class MatchKey(db.Model):
    """A blocking key of a live profile (e.g. phonetic name + birth year).

    Profiles that share a key are compared by the scorer; profiles that share none never
    are, so the work grows with the data, not with its square.
    """

    __tablename__ = "match_keys"
    # (key, profile_id): reading a block's profile ids is an index-only scan.
    __table_args__ = (Index("ix_match_keys_key_profile", "key", "profile_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(80))


class DuplicateCandidate(db.Model):
    """Two profiles that may be one person, waiting for (or given) a human decision.

    'distinct' is remembered: the pair is never proposed or merged automatically again.
    """

    __tablename__ = "duplicate_candidates"
    __table_args__ = (
        UniqueConstraint("profile_a_id", "profile_b_id"),
        CheckConstraint("profile_a_id < profile_b_id", name="ordered_pair"),
        # The queue's order and, with the pair, its count without reading the rows.
        Index(
            "ix_duplicate_candidates_status_score",
            "status",
            "score",
            "profile_a_id",
            "profile_b_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_a_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    profile_b_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float] = mapped_column(Float)
    # Evidence in words, e.g. ["last name: exact", "birth date: same"]; no personal values.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Merge(db.Model):
    """One merge of a profile into a survivor: who or which rule, why, and how to undo it.

    A person's merge (rule manual or review) names them (actor_user_id). An automatic one
    (rule auto) was decided by the importer's scorer, not by whoever ran the import: it
    names no user, its actor_label is the import's ("import:<source>"), and batch_id the
    import batch whose records it was made for (the batch remembers who ran it).

    The absorbed profile's row stays (Profile.merged_into_id points at the survivor) with
    its own field values; `moved` lists the ids of every row moved to the survivor (and,
    under "typed", the emails and phones typed by hand on the absorbed profile, which no
    record would give back) and `survivor_before` the survivor's values before the merge,
    so an undo restores both profiles exactly. Both hold personal data: an erasure must
    reach them.
    """

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    merged_id: Mapped[int] = mapped_column(
        ForeignKey("profiles.id", ondelete="CASCADE"), index=True
    )
    rule: Mapped[str] = mapped_column(String(10))
    score: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    batch_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    moved: Mapped[dict] = mapped_column(JSON, default=dict)
    survivor_before: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
