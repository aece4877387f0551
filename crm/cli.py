"""The `crm` command (also available as `flask --app crm ...`)."""

import json
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_migrate import upgrade

from crm.models import ROLES
from crm.services.ingest import DATE_ORDERS, FORMATS, NAME_ORDERS


def _click_error(error) -> click.ClickException:
    """A service error as the CLI prints it: its message, then each field's problems."""
    details = "".join(f"\n  {k}: {'; '.join(map(str, v))}" for k, v in error.fields.items())
    return click.ClickException(error.message + details)


@click.command("init")
@with_appcontext
def init_command():
    """Create or upgrade the database to the latest migration (safe to run again).

    After an upgrade that changed the blocking keys of fuzzy matching, it also rebuilds
    every profile's keys.
    """
    from crm.services import match_keys

    upgrade(directory=current_app.extensions["migrate"].directory)
    changed = match_keys.ensure_current()
    if changed:
        click.echo(f"Blocking keys rebuilt for {changed} profiles (new matching rules).", err=True)
    click.echo("Database is up to date.", err=True)


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--name", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user_command(email: str, role: str, name: str, password_stdin: bool):
    """Create a staff user; the password comes from a prompt or standard input."""
    from crm.services import users
    from crm.services.errors import ServiceError

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = users.create_user(email, password, role, name=name, actor="cli")
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Created user {user.id} ({role}).")


@click.group("api-key")
def api_key_group():
    """Manage API keys."""


@api_key_group.command("create")
@click.argument("email")
@click.option("--name", default="cli")
@with_appcontext
def api_key_create_command(email: str, name: str):
    """Create an API key for a user and print it once, as the last line."""
    from sqlalchemy import select

    from crm.extensions import db
    from crm.models import User
    from crm.services import users

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        raise click.ClickException("No such active user.")
    key, _record = users.create_api_key(user, name, actor="cli")
    click.echo("Store this key now; it cannot be shown again:", err=True)
    click.echo(key)


@click.group("profiles")
def profiles_group():
    """Work with unified profiles."""


@profiles_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@with_appcontext
def profiles_export_command(fmt: str, output):
    """Write one unified profile per line (JSON Lines)."""
    from crm.extensions import db
    from crm.services import audit, profiles

    count = 0
    for row in profiles.export_profiles():
        output.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    audit.record(
        "profiles.export",
        actor="cli",
        object_type="profiles",
        details={"count": count, "format": fmt},
    )
    db.session.commit()
    click.echo(f"Exported {count} profiles.", err=True)


@click.group("duplicates")
def duplicates_group():
    """Work with the review queue of suspected duplicates."""


@duplicates_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@with_appcontext
def duplicates_export_command(fmt: str, output):
    """Write the open suspected pairs, one per line: {"a", "b", "score", "reasons"}."""
    from crm.extensions import db
    from crm.services import audit, duplicates

    count = 0
    for row in duplicates.export_queue():
        output.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    audit.record(
        "duplicates.export", actor="cli", object_type="duplicates", details={"count": count}
    )
    db.session.commit()
    click.echo(f"Exported {count} suspected pairs.", err=True)


@profiles_group.command("rebuild-keys")
@with_appcontext
def profiles_rebuild_keys_command():
    """Recompute every profile's blocking keys for fuzzy matching (after an upgrade)."""
    from crm.services import match_keys

    changed = match_keys.rebuild_all()
    match_keys.mark_current()
    click.echo(f"Blocking keys changed for {changed} profiles.")


@click.command("demo")
@click.option(
    "--people",
    default=500,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="How many people to simulate.",
)
@with_appcontext
def demo_command(people: int):
    """Load a deterministic multi-source demo data set."""
    from crm.services import demo

    summary = demo.load_demo(people=people)
    click.echo(json.dumps(summary))


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", "source_name", required=True, help="The source's name (created if new).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="auto",
    show_default=True,
)
@click.option(
    "--mapping",
    "mapping_file",
    type=click.File("rb"),
    help='A JSON object {header: field, or "" to ignore the column}.',
)
@click.option(
    "--region",
    default=None,
    help="Country of phones written without a calling code (e.g. US), for this import; a "
    "new source keeps it. Default: the source's, or for a new source what its phones show.",
)
@click.option(
    "--dates",
    type=click.Choice(DATE_ORDERS),
    default="auto",
    show_default=True,
    help="How numeric dates are written (03/04/1980); auto: as the first rows show.",
)
@click.option(
    "--names",
    type=click.Choice(NAME_ORDERS),
    default="auto",
    show_default=True,
    help="How full names are written (Rossi Mario); auto: as the first rows show.",
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10000))
@click.option(
    "--report",
    "report_file",
    type=click.File("w", encoding="utf-8", lazy=True),
    help="Write the rejected rows and the warnings as CSV (row, kind, column, reason, the "
    "row's cells), as the web's report; the first few are printed whatever the option.",
)
@with_appcontext
def import_command(
    file, source_name, fmt, mapping_file, region, dates, names, batch_size, report_file
):
    """Import person records from a file; prints a JSON summary last.

    CSV, JSON Lines or a JSON array, an .xlsx workbook, or a zip archive of such files (a
    Mailchimp audience export as downloaded).
    """
    from crm.services import imports_ui, ingest
    from crm.services.errors import ServiceError

    overrides = None
    if mapping_file is not None:
        try:
            overrides = json.load(mapping_file)
        except (ValueError, UnicodeDecodeError) as exc:
            raise click.ClickException(f"The mapping file is not valid JSON: {exc}") from exc

    def progress(counts: dict) -> None:
        # Earlier profiles that the rows' new evidence merged or sent to review count
        # apart: no row of this file was merged there (the batch page says the same).
        again = counts.get("rematched") or 0
        click.echo(
            f"{counts['rows']} rows: {counts['created']} created, {counts['merged']} merged, "
            f"{counts['review']} to review, {counts['rejected']} rejected, "
            f"{counts['warnings']} warnings"
            + (f"; earlier profiles merged or sent to review: {again} pairs" if again else ""),
            err=True,
        )

    try:
        summary = ingest.import_file(
            file,
            source_name=source_name,
            fmt=fmt,
            overrides=overrides,
            region=region,
            dates=dates,
            names=names,
            actor=f"cli:import:{source_name}"[:100],
            batch_size=batch_size,
            progress=progress,
        )
    except ServiceError as error:
        raise _click_error(error) from error
    for line in ingest.region_notes(summary["batch_id"]) + ingest.mapping_notes(
        summary["batch_id"]
    ):
        click.echo(line, err=True)
    reported = summary["rejected"] + summary["warnings"]
    for line in imports_ui.report_lines(summary["batch_id"], REPORT_LINES):
        click.echo(line, err=True)
    if report_file is not None:
        for chunk in imports_ui.report_csv(
            summary["batch_id"], actor=f"cli:import:{source_name}"[:100]
        ):
            report_file.write(chunk)
        report_file.close()
    elif reported > REPORT_LINES:
        click.echo(f"... {reported - REPORT_LINES} more: --report FILE writes them all.", err=True)
    imports_ui.sweep_reports()  # older imports' reports past CRM_IMPORT_REPORT_DAYS
    click.echo(json.dumps(summary))


# The rejected rows and warnings an import prints (all go to --report FILE).
REPORT_LINES = 10


@click.group("sources")
def sources_group():
    """The sources of person records: their party, trust rank and phone country."""


@sources_group.command("list")
@with_appcontext
def sources_list_command():
    """Print every source, most trusted first, one JSON object per line."""
    from crm.services import sources

    for s in sources.list_sources():
        source = s.source
        line = {
            "name": source.name,
            "label": source.label,
            "party": source.party,
            "trust_rank": source.trust_rank,
            "region": source.default_region,
            "records": s.records,
            "profiles": s.profiles,
            "last_import": s.last_import.isoformat() if s.last_import else None,
        }
        click.echo(json.dumps(line, ensure_ascii=False))


@sources_group.command("set")
@click.argument("name")
@click.option("--label", help="What people call it.")
@click.option("--party", type=click.Choice(["first", "second", "third"]))
@click.option("--trust-rank", type=click.IntRange(0, 100), help="0-100; higher wins.")
@click.option("--region", help="Phone country of its files from now on, e.g. IT.")
@with_appcontext
def sources_set_command(name, label, party, trust_rank, region):
    """Change a source's settings; a new trust rank chooses its profiles' values again.

    Prints a JSON summary: what changed, and how many profiles were looked at and changed.
    """
    from crm.services import sources
    from crm.services.errors import ServiceError

    data = {"label": label, "party": party, "trust_rank": trust_rank, "default_region": region}
    data = {k: v for k, v in data.items() if v is not None}
    if not data:
        raise click.UsageError("Name at least one of --label, --party, --trust-rank, --region.")

    def progress(done: int, total: int) -> None:
        click.echo(f"{done} of {total} profiles", err=True)

    actor = f"cli:sources:{name}"[:100]
    try:
        source = sources.find_source(name)
        source, changed = sources.update_source(source.id, data, expected_version=None, actor=actor)
        summary = {"source": source.name, "changed": changed}
        if "trust_rank" in changed:
            summary["recomputed"] = sources.recompute(source.id, progress=progress)
    except ServiceError as error:
        raise _click_error(error) from error
    click.echo(json.dumps(summary))


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int):
    """Run the web app (for production, put gunicorn 'crm:create_app()' behind a proxy)."""
    from werkzeug.serving import WSGIRequestHandler, run_simple

    class PrivateLogHandler(WSGIRequestHandler):
        """Access log without query strings: searches carry names, emails and phones."""

        def log_request(self, code="-", size="-"):
            self.log("info", '"%s" %s %s', redact_request_line(self.requestline), code, size)

    click.echo(f"CRM listening on http://{host}:{port}/", err=True)
    run_simple(
        host,
        port,
        current_app._get_current_object(),
        threaded=True,
        use_reloader=False,
        request_handler=PrivateLogHandler,
    )


def redact_request_line(line: str) -> str:
    """'GET /profiles/?q=mario HTTP/1.1' -> 'GET /profiles/?… HTTP/1.1'."""
    parts = line.split(" ")
    if len(parts) >= 2 and "?" in parts[1]:
        parts[1] = parts[1].split("?", 1)[0] + "?…"
    return " ".join(parts)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@with_appcontext
def worker_command(burst: bool):
    """Run an RQ worker for background jobs (imports, exports, erasures); needs CRM_REDIS_URL."""
    from crm.services import jobs
    from crm.services.errors import ServiceError

    try:
        jobs.work(burst=burst)
    except ServiceError as error:
        raise click.ClickException(error.message) from error


def register_commands(app: Flask) -> None:
    """Attach the commands to the app's CLI (so `flask --app crm` has them too)."""
    for command in (
        init_command,
        create_user_command,
        api_key_group,
        profiles_group,
        duplicates_group,
        demo_command,
        import_command,
        sources_group,
        serve_command,
        worker_command,
    ):
        app.cli.add_command(command)


def _create_app_for_cli() -> Flask:
    """App factory used by the console script."""
    from crm import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app_for_cli, add_default_commands=True, help="The CRM command line."
)
