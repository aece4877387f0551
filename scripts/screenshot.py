"""Take docs/screenshot.png: a profile page of the demo data, as a signed-in sales rep sees it.

Runs against a throw-away SQLite database (migrated, demo data loaded) served from a thread,
with the system's chromium (or Playwright's own). Usage: .venv/bin/python scripts/screenshot.py
"""

import argparse
import os
import secrets
import shutil
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def prepare(workdir: str):
    """Build the app on a fresh database with demo data; returns (app, email, password, id)."""
    os.environ.update(
        CRM_DATABASE_URL=f"sqlite:///{workdir}/screenshot.sqlite",
        CRM_SECRET_KEY=secrets.token_hex(32),
        CRM_ENV="development",
    )
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from crm import create_app
    from crm.extensions import db
    from crm.models import Profile, SourceRecord
    from crm.services import demo, profiles, users

    app = create_app()
    app.instance_path = workdir
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        demo.load_demo()
        # The person with the most source records tells the unified-view story best.
        profile_id = db.session.scalar(
            select(SourceRecord.profile_id)
            .where(SourceRecord.profile_id.is_not(None))
            .group_by(SourceRecord.profile_id)
            .order_by(func.count().desc(), SourceRecord.profile_id)
            .limit(1)
        ) or db.session.scalar(select(Profile.id).order_by(Profile.id).limit(1))
        if profile_id is None:  # no demo data yet: one hand-made person
            profile_id = profiles.create_profile(
                {
                    "first_name": "Giulia",
                    "last_name": "Rossi",
                    "emails": ["giulia.rossi@example.com"],
                    "company": "Rossi Arredamenti",
                    "city": "Bergamo",
                    "country": "IT",
                },
                actor="screenshot",
            ).id
        email, password = "sales@example.com", secrets.token_urlsafe(16)
        users.create_user(email, password, "sales", name="Sara Sales", actor="screenshot")
    return app, email, password, profile_id


def main() -> None:
    """Serve the app, sign in, open a profile and save the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--profile-id", type=int, help="profile to show (default: a rich one)")
    options = parser.parse_args()

    from playwright.sync_api import sync_playwright
    from werkzeug.serving import WSGIRequestHandler, make_server

    class QuietHandler(WSGIRequestHandler):
        """No access log."""

        def log_request(self, code="-", size="-") -> None:
            """Log nothing."""

    with tempfile.TemporaryDirectory() as workdir:
        app, email, password, profile_id = prepare(workdir)
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as p:
                launch = {"args": CHROMIUM_ARGS}
                if shutil.which("chromium"):
                    launch["executable_path"] = shutil.which("chromium")
                browser = p.chromium.launch(**launch)
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(f"{base}/login")
                page.fill("input[name=email]", email)
                page.fill("input[name=password]", password)
                page.click("input[type=submit]")
                page.wait_for_url(lambda url: "/login" not in url)
                page.goto(f"{base}/profiles/{options.profile_id or profile_id}")
                page.wait_for_load_state("networkidle")
                Path(options.output).parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=options.output)
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
            with app.app_context():
                from crm.extensions import db

                db.engine.dispose()
    print(f"Saved {options.output}")


if __name__ == "__main__":
    main()
