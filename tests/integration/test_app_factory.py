"""The app factory reads the environment and fills in safe embedded defaults."""

import logging
import os
import stat

from crm import create_app


def _clean_env(monkeypatch, tmp_path):
    for name in ("CRM_DATABASE_URL", "CRM_SECRET_KEY", "CRM_REDIS_URL", "CRM_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CRM_INSTANCE_PATH", str(tmp_path))


def test_defaults_use_sqlite_and_a_generated_secret_in_the_instance_folder(monkeypatch, tmp_path):
    _clean_env(monkeypatch, tmp_path)
    app = create_app()
    assert app.instance_path == str(tmp_path)
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'crm.sqlite'}"
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == app.config["SECRET_KEY"]
    assert len(app.config["SECRET_KEY"]) >= 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    # The same key survives a restart, so sessions stay valid.
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_environment_overrides(monkeypatch, tmp_path):
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("CRM_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql://user@db.example/crm")
    monkeypatch.setenv("CRM_REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_cookies_are_secure_outside_development(monkeypatch, tmp_path):
    _clean_env(monkeypatch, tmp_path)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    monkeypatch.setenv("CRM_ENV", "development")
    assert create_app().config["SESSION_COOKIE_SECURE"] is False


def test_proxy_hops_make_throttling_see_the_client_address(monkeypatch, tmp_path):
    _clean_env(monkeypatch, tmp_path)
    monkeypatch.setenv("CRM_PROXY_HOPS", "1")
    app = create_app()

    @app.route("/_whoami")
    def whoami():
        from flask import request

        return request.remote_addr

    app.view_functions["whoami"]._crm_public = True
    response = app.test_client().get(
        "/_whoami",
        headers={"X-Forwarded-For": "198.51.100.9"},
        environ_base={"REMOTE_ADDR": "10.0.0.1"},
    )
    assert response.get_data(as_text=True) == "198.51.100.9"


def test_psycopg_warning_on_an_already_aborted_pipeline_is_dropped(app, caplog):
    # An import that raced another stores its batch again; psycopg then warns that the
    # pipeline the error aborted could not be left cleanly. The error was handled.
    logger = logging.getLogger("psycopg")
    with caplog.at_level(logging.WARNING, logger="psycopg"):
        logger.warning("error ignored terminating %r: %s", "<Pipeline>", "pipeline aborted")
        logger.warning("something else went wrong: %s", "pipeline aborted")
    assert [r.getMessage() for r in caplog.records] == [
        "something else went wrong: pipeline aborted"
    ]
