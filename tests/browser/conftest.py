"""Browser tests: the app served from a thread, driven by Playwright through a real Chromium.

The system's chromium (Debian: apt-get install chromium) is preferred; Playwright's own
download is the fallback. `make test` makes sure one of them exists.
"""

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import WSGIRequestHandler, make_server

from config import TestConfig
from crm import create_app
from crm.extensions import db
from tests import factories
from tests.conftest import PG_URL, _migrate

# Without these, Chromium keeps trying to reach the internet and is slow to start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium_path(playwright) -> str | None:
    """The system's chromium if there is one, else None when Playwright's own is installed.

    Fails the test (never skips it) when there is no browser at all.
    """
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    if os.path.exists(playwright.chromium.executable_path):
        return None
    pytest.fail(
        "No Chromium for the browser tests: run `make test` (it installs one), or "
        "`apt-get install chromium`, or `.venv/bin/python -m playwright install chromium`.",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    """Launch Chromium quietly, using the system's build when available."""
    args = {**browser_type_launch_args, "args": CHROMIUM_ARGS}
    path = _chromium_path(playwright)
    if path:
        args["executable_path"] = path
    return args


@pytest.fixture(scope="session")
def live_database_url(database_template, tmp_path_factory) -> Iterator[str]:
    """A migrated database of the live server's own, so per-test truncation never hits it."""
    if database_template["kind"] == "sqlite":
        path = tmp_path_factory.mktemp("live") / "live.sqlite"
        shutil.copy(database_template["path"], path)
        yield f"sqlite:///{path}"
        return
    server = make_url(PG_URL).set(drivername="postgresql+psycopg")
    name = f"crm_live_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    _migrate(url, str(tmp_path_factory.mktemp("live")))
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def live_app(live_database_url, tmp_path_factory):
    """The app the live server runs (its own config: cookies without https, as in tests)."""
    app = create_app(TestConfig(live_database_url))
    app.instance_path = str(tmp_path_factory.mktemp("live-instance"))
    # Imports run as they do in production without Redis: in a background thread of the
    # server, followed by job-progress.js (whatever CRM_JOBS_MODE/CRM_REDIS_URL say).
    app.config["JOBS_MODE"] = "thread"
    yield app
    with app.app_context():
        db.engine.dispose()


class _QuietRequestHandler(WSGIRequestHandler):
    """Leaves out the access log (one line per asset); errors are still logged."""

    def log_request(self, code="-", size="-") -> None:
        """Log nothing for a served request."""


def _read_whole(app):
    """Wrap a WSGI app so each response is read, and its iterable closed, before sending.

    When the browser drops a connection mid-response (it navigates away while an asset is
    on its way), the development server never closes the response's iterable: a file it
    served is then left open, and its ResourceWarning fails whatever test runs next.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    """Serve live_app on a free 127.0.0.1 port from a thread; yields its base URL."""
    server = make_server(
        "127.0.0.1", 0, _read_whole(live_app), threaded=True, request_handler=_QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Relative URLs in page.goto() go to the live server."""
    return live_server


@pytest.fixture
def in_live_app(live_app):
    """Context manager that runs code (factories, queries) against the live server's database."""

    @contextmanager
    def context():
        with live_app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    return context


@pytest.fixture
def make_live_user(in_live_app):
    """Create a staff user in the live database; returns (email, password)."""

    def make(role: str = "sales") -> tuple[str, str]:
        email = f"{role}-{uuid.uuid4().hex[:10]}@staff.example"
        with in_live_app():
            factories.make_user(role=role, email=email)
        return email, factories.PASSWORD

    return make


@pytest.fixture(autouse=True)
def _short_timeouts(page):
    """Fail in seconds, not Playwright's default 30, when an element never appears."""
    page.set_default_timeout(10_000)


@pytest.fixture
def csp_errors(page) -> list[str]:
    """Console messages about Content Security Policy violations on this test's page."""
    errors: list[str] = []

    def collect(message):
        if "content security policy" in message.text.lower():
            errors.append(message.text)

    page.on("console", collect)
    return errors


@pytest.fixture
def login(page):
    """Sign in through the login form as a person would."""

    def sign_in(email: str, password: str) -> None:
        page.goto("/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("input[type=submit][value='Sign in'], button[type=submit]:has-text('Sign in')")
        page.wait_for_url(lambda url: "/login" not in url)

    return sign_in
