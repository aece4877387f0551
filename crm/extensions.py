"""Flask extensions, created unbound here and bound in create_app, and the range of ids."""

from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api as SmorestApi
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from werkzeug.routing import IntegerConverter

# Stable constraint names so that migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Ids are INTEGER columns: PostgreSQL's int4 bounds them (SQLite's integers go further).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """werkzeug's `int` URL converter bounded by MAX_ID, bound app-wide as `int` in
    create_app: a route's `<int:id>` then answers 404 for an id no row can have, where
    the database would fail (out of range on PostgreSQL, overflow on SQLite)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def query_id(value: str) -> int:
    """An id read as `request.args.get(name, type=query_id)`: the default if no id can be it."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"not an id: {value}")
    return number


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Api(SmorestApi):
    """flask-smorest's Api; an error may also carry machine-readable `details`, passed
    as abort(..., details=...) and documented by the endpoint's error schema."""

    def handle_http_exception(self, error):
        """The shared error body (code, status, message, errors), plus details if given;
        an error raised outside our views (404 of an unknown URL, 405) gets werkzeug's
        description as its message."""
        payload, code, headers = super().handle_http_exception(error)
        payload.setdefault("message", error.description)  # an unknown URL or method says why
        details = (getattr(error, "data", None) or {}).get("details")
        if details is not None:
            payload["details"] = details
        return payload, code, headers


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
bootstrap = Bootstrap5()
babel = Babel()
api = Api()
