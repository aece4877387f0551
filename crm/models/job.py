"""Background jobs (imports, exports, erasures) and their progress."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db
from crm.models.base import UTCDateTime, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


def _job_id() -> str:
    """A new job id: a random UUID in hex."""
    return uuid.uuid4().hex


class Job(db.Model):
    """A long piece of work run in-process or on an RQ worker, with visible progress.

    `params` and `result` hold ids, counts and file names in the instance folder only,
    never personal data.
    """

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=_job_id)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    status: Mapped[str] = mapped_column(String(10), default="queued", index=True)
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None] = mapped_column()
    message: Mapped[str] = mapped_column(String(300), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    result: Mapped[dict] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "host:pid" of the process running it, so a job whose process died can be told apart
    # from one still at work.
    runner: Mapped[str | None] = mapped_column(String(100))
