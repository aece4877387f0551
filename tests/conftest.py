"""Shared fixtures: an app with its own database per test, clients, and sign-in helpers.

SQLite (default): migrations run once into a template file that each test copies.
PostgreSQL (CRM_TEST_DATABASE_URL set): each pytest worker gets a fresh database, migrated
once; every test starts from empty tables.
"""

import os
import shutil
import uuid

import pytest
from flask import g
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import TestConfig
from crm import create_app
from crm.extensions import db, limiter
from tests import factories

PG_URL = os.environ.get("CRM_TEST_DATABASE_URL")


def _migrate(url: str, instance: str) -> None:
    """Run every migration against url."""
    from flask_migrate import upgrade

    app = create_app(TestConfig(url))
    app.instance_path = instance
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, worker_id):
    """A migrated database for this worker: a template file (SQLite) or a fresh database."""
    base = tmp_path_factory.mktemp("db")
    if not PG_URL:
        path = base / "template.sqlite"
        _migrate(f"sqlite:///{path}", str(base))
        yield {"kind": "sqlite", "path": path}
        return
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"crm_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    _migrate(url, str(base))
    yield {"kind": "postgresql", "url": url}
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id(request):
    """xdist worker name, or 'main' without xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture
def database_url(database_template, tmp_path):
    """A database for one test, holding the schema and no rows."""
    if database_template["kind"] == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copy(database_template["path"], path)
        return f"sqlite:///{path}"
    url = database_template["url"]
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def app(database_url, tmp_path):
    """The app bound to this test's database."""
    app = create_app(TestConfig(database_url))
    app.instance_path = str(tmp_path)

    @app.teardown_request
    def _forget_request_globals(_error):
        # The test holds one app context open, so without this `g` (Flask-Login's user,
        # Flask-WTF's CSRF token) would leak from one request into the next.
        for key in list(g):
            g.pop(key)

    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real login form (CSRF token included)."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = factories.PASSWORD, follow: bool = False):
        """Post the login form as a browser would."""
        token = factories.csrf_token(self.client, "/login")
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": token},
            follow_redirects=follow,
        )

    def login_as(self, role: str, **kwargs):
        """Create a user with role and sign in as them; returns the user."""
        user = factories.make_user(role=role, **kwargs)
        response = self.login(user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def logout(self):
        """Press the sign-out button."""
        token = factories.csrf_token(self.client, "/account")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    """Sign-in helper bound to the test client."""
    return AuthActions(client)


@pytest.fixture
def api_headers(app):
    """Return a function role -> Authorization headers for a new user of that role."""

    def make(role: str = "admin") -> dict:
        from crm.services import users

        user = factories.make_user(role=role)
        key, _ = users.create_api_key(user, "test", actor="test")
        return {"Authorization": f"Bearer {key}"}

    return make


@pytest.fixture
def redis_queue(app, monkeypatch):
    """JOBS_MODE=rq with a queue of this test's own: on the local Redis when one answers
    (CI), else on an in-process fake Redis server, so a fresh machine runs the test too."""
    import redis
    from rq import Queue

    url = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.RedisError:
        connection.close()
        import fakeredis

        server = fakeredis.FakeServer()
        monkeypatch.setattr(
            redis.Redis,
            "from_url",
            classmethod(lambda cls, *a, **k: fakeredis.FakeRedis(server=server)),
        )
        connection = redis.Redis.from_url(url)
    app.config.update(JOBS_MODE="rq", REDIS_URL=url, JOBS_QUEUE=f"test-{uuid.uuid4().hex}")
    queue = Queue(app.config["JOBS_QUEUE"], connection=connection)
    yield queue
    queue.delete(delete_jobs=True)
    connection.close()
