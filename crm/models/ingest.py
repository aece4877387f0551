"""Import batches and the rows they rejected or warned about."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.base import UTCDateTime, utcnow

BATCH_STATUSES = ("running", "done", "failed")
REJECTION_KINDS = ("rejected", "warning")


def _batch_id() -> str:
    """A new batch id: a random UUID in hex."""
    return uuid.uuid4().hex


class ImportBatch(db.Model):
    """One run of an import: which file, from which source, how it went."""

    __tablename__ = "import_batches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_batch_id)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"), index=True)
    # The file's base name only: paths on the importing machine are not ours to keep.
    filename: Mapped[str] = mapped_column(String(255), default="")
    format: Mapped[str] = mapped_column(String(20), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="running")
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    # {"columns": {header: field}, "unmapped": [header, ...]}
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    # "host:pid" of the process importing, so a run whose process died is seen as failed.
    runner: Mapped[str | None] = mapped_column(String(100))

    source: Mapped["Source"] = relationship(lazy="joined")  # noqa: F821
    rejections: Mapped[list["ImportRejection"]] = relationship(
        back_populates="batch",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ImportRejection.id",
    )

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.status}>"


class ImportRejection(db.Model):
    """A rejected row, or a warning about one field of an imported row.

    raw holds the row as read, which is personal data: it goes when its batch goes, and
    erasure reaches it.
    """

    __tablename__ = "import_rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int] = mapped_column()
    # The file of a zip archive the row comes from (None for a plain file).
    file: Mapped[str | None] = mapped_column(String(255))
    column: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(10), default="rejected")
    raw: Mapped[dict] = mapped_column(JSON, default=dict)

    batch: Mapped[ImportBatch] = relationship(back_populates="rejections")
