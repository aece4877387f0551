"""The CRM application factory."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, request
from flask_login import current_user
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config
from crm.extensions import (
    IdConverter,
    babel,
    bootstrap,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config: object | None = None) -> Flask:
    """Build the app; with no argument the configuration is read from the environment."""
    config = config if config is not None else Config()
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=getattr(config, "INSTANCE_PATH", None) or None,
    )
    app.config.from_object(config)
    # Before any route: a rule takes its converters when it is added.
    app.url_map.converters["int"] = IdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    _resolve_defaults(app)
    hops = app.config.get("PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    bootstrap.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    with app.app_context():
        _configure_sqlite(app)
    _quiet_aborted_pipelines()

    from crm import security
    from crm.cli import register_commands
    from crm.views import register_views

    security.init_app(app)
    register_views(app)
    register_commands(app)
    return app


def _resolve_defaults(app: Flask) -> None:
    """Fill in the embedded defaults: a SQLite file and a secret key in the instance folder."""
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        path = os.path.join(app.instance_path, "crm.sqlite")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri[len("postgres://") :]
    elif uri.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            "postgresql+psycopg://" + uri[len("postgresql://") :]
        )
    if uri.startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}


def _instance_secret(instance_path: str) -> str:
    """Read the secret key stored in the instance folder, creating it on first use."""
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as handle:
            value = handle.read().strip()
        if value:
            return value
    except FileNotFoundError:
        pass
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
    return value


def _configure_sqlite(app: Flask) -> None:
    """SQLite: WAL, foreign keys, secure delete, busy timeout, and BEGIN IMMEDIATE for writes.

    Read-only requests (GET/HEAD) open deferred transactions so readers never queue;
    everything else takes the write lock up front, so concurrent writers wait their turn
    (busy timeout) instead of failing with "database is locked" on a lock upgrade.
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    cache_kib = max(app.config.get("SQLITE_CACHE_MB", 64), 1) * 1024

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "secure_delete=ON",
            "busy_timeout=30000",
            "synchronous=NORMAL",
            f"cache_size=-{cache_kib}",  # negative: KiB, not pages
            # Checkpoint the WAL every ~64 MiB instead of every 4 MiB (fewer fsyncs during
            # imports), and cut it back to that size afterwards.
            "wal_autocheckpoint=16384",
            "journal_size_limit=67108864",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        from flask import has_request_context

        if has_request_context() and request.method in ("GET", "HEAD", "OPTIONS"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


class _AbortedPipelineNoise(logging.Filter):
    """Drops psycopg's warning on leaving a pipeline that an error already aborted.

    The error itself is raised and handled (an import stores a batch that another import
    raced again, row by row); the warning only made a successful import look failed.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """False for that one warning; every other record passes."""
        noise = record.msg == "error ignored terminating %r: %s" and "aborted" in str(
            (record.args or ("",))[-1]
        )
        return not noise


def _quiet_aborted_pipelines() -> None:
    """Install _AbortedPipelineNoise on psycopg's logger, once per process."""
    logger = logging.getLogger("psycopg")
    if not any(isinstance(f, _AbortedPipelineNoise) for f in logger.filters):
        logger.addFilter(_AbortedPipelineNoise())


def _select_locale() -> str:
    """The language the signed-in user chose, else the browser's best match."""
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale:
        return current_user.locale
    return request.accept_languages.best_match(("en", "it")) or "en"
