"""Small facts the application keeps about its own data (not about people)."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db


class SystemState(db.Model):
    """A named value, e.g. the version of the blocking keys the stored match keys follow."""

    __tablename__ = "system_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
