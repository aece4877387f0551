"""The `crm` command: init, create-user, api-key create, demo, profiles export."""

import json

from sqlalchemy import func, select, text

from crm.extensions import db
from crm.models import PURPOSES, AuditLog, Profile, Source, SourceRecord, User
from crm.services import demo, users
from tests import factories

EXPORT_KEYS = {
    "id",
    "email",
    "first_name",
    "last_name",
    "company",
    "city",
    "country",
    "emails",
    "phones",
    "tags",
    "stage",
    "score",
    "owner",
    "consents",
    "source_records",
}


def _invoke(runner, *args, **kwargs):
    """Run a crm command and fail with its output when it does not exit 0."""
    result = runner.invoke(args=list(args), **kwargs)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _export(runner) -> list[dict]:
    """`crm profiles export --format jsonl`, parsed line by line."""
    result = _invoke(runner, "profiles", "export", "--format", "jsonl")
    return [json.loads(line) for line in result.stdout.splitlines()]


def _empty_database() -> None:
    """Delete every row and restart the ids, as in a freshly migrated database."""
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # Without AUTOINCREMENT, SQLite hands out ids from 1 again once a table is empty.
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


# --- init -----------------------------------------------------------------------------


def test_init_is_idempotent_on_a_migrated_database(runner):
    for _ in range(2):
        result = _invoke(runner, "init")
        assert "up to date" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_init_rebuilds_blocking_keys_made_by_an_older_version(runner):
    from crm.models import MatchKey, SystemState
    from crm.services import match_keys, matching

    _invoke(runner, "init")  # a database whose keys are current
    assert db.session.get(SystemState, "match_keys_version").value == str(matching.KEYS_VERSION)
    profile = factories.make_profile(first_name="Bjorn", last_name="Kaya", city="Catania")
    current = set(db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == profile.id)))
    assert any(k.startswith("ci:") for k in current)
    # An older release: other keys, an older version.
    db.session.execute(text("DELETE FROM match_keys"))
    db.session.add(MatchKey(profile_id=profile.id, key="old:scheme"))
    db.session.get(SystemState, "match_keys_version").value = "1"
    db.session.commit()
    result = _invoke(runner, "init")
    assert "Blocking keys rebuilt for 1 profiles" in result.output
    keys = set(db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == profile.id)))
    assert keys == current
    db.session.rollback()  # end the test's read, as another process would have
    assert "rebuilt" not in _invoke(runner, "init").output  # once
    assert match_keys.ensure_current() is None


# --- create-user ----------------------------------------------------------------------


def test_create_user_reads_the_password_from_stdin(runner):
    result = _invoke(
        runner,
        "create-user",
        "Ana.Sales@Staff.Example",
        "--role",
        "sales",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert "Created user" in result.stdout
    user = db.session.scalar(select(User).where(User.email == "ana.sales@staff.example"))
    assert user is not None and user.role == "sales"
    assert users.verify_password(user, "a long enough password")
    assert not users.verify_password(user, "a long enough password\n")


def test_create_user_refuses_an_unknown_role(runner):
    result = runner.invoke(
        args=["create-user", "x@staff.example", "--role", "boss", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 2
    assert "--role" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_refuses_a_short_password_with_a_message(runner):
    result = runner.invoke(
        args=["create-user", "x@staff.example", "--role", "sales", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_refuses_a_taken_email(runner):
    factories.make_user(email="taken@staff.example")
    result = runner.invoke(
        args=["create-user", "taken@staff.example", "--role", "admin", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 1
    assert "exists" in result.output


# --- api-key create -------------------------------------------------------------------


def test_api_key_is_the_last_line_of_stdout_and_authenticates(runner, client):
    user = factories.make_user(role="marketer")
    result = _invoke(runner, "api-key", "create", user.email)
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("crm_")
    ok = client.get("/api/v1/profiles", headers={"Authorization": f"Bearer {key}"})
    assert ok.status_code == 200
    assert "items" in ok.get_json()
    wrong = client.get("/api/v1/profiles", headers={"Authorization": f"Bearer {key}x"})
    assert wrong.status_code == 401


def test_api_key_for_an_unknown_user_fails(runner):
    result = runner.invoke(args=["api-key", "create", "nobody@staff.example"])
    assert result.exit_code == 1
    assert "No such active user" in result.output


# --- demo -----------------------------------------------------------------------------


def test_demo_loads_people_from_three_sources_with_overlaps(runner):
    result = _invoke(runner, "demo")
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["added"] is True
    assert summary["profiles"] == 500
    assert set(summary["source_records"]) == {"web_form", "newsletter", "shop"}

    sources = {s.name: s for s in db.session.scalars(select(Source))}
    assert {"web_form", "newsletter", "shop"} <= set(sources)
    assert sources["shop"].trust_rank > sources["web_form"].trust_rank
    assert sources["web_form"].trust_rank > sources["newsletter"].trust_rank
    assert all(sources[n].party == "first" for n in ("web_form", "newsletter", "shop"))

    # The fair's badge scans went through the importer: some joined, some are new people.
    fair = summary["fair"]
    assert fair["rows"] == fair["created"] + fair["merged"] + fair["review"]
    live = 500 + fair["created"] + fair["review"]
    assert db.session.scalar(select(func.count()).select_from(Profile)) == live
    bulk = [sources[n].id for n in ("web_form", "newsletter", "shop")]
    per_profile = (
        select(SourceRecord.profile_id, func.count(func.distinct(SourceRecord.source_id)))
        .where(SourceRecord.source_id.in_(bulk))
        .group_by(SourceRecord.profile_id)
        .subquery()
    )
    counts = dict(db.session.execute(select(per_profile)).all())
    assert len(counts) == 500
    multi = sum(1 for n in counts.values() if n >= 2)
    assert 0.5 * 500 <= multi <= 0.7 * 500
    assert any(n == 3 for n in counts.values())
    assert multi == summary["multi_source_profiles"]


def test_demo_twice_adds_nothing(runner):
    _invoke(runner, "demo")
    records = db.session.scalar(select(func.count()).select_from(SourceRecord))
    profiles = db.session.scalar(select(func.count()).select_from(Profile))
    result = _invoke(runner, "demo")
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["added"] is False
    assert "nothing was added" in summary["message"]
    assert db.session.scalar(select(func.count()).select_from(SourceRecord)) == records
    assert db.session.scalar(select(func.count()).select_from(Profile)) == profiles
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action == "demo.load"))
    assert len(actions.all()) == 2


def test_demo_gives_identical_exports_on_two_fresh_databases(runner):
    _invoke(runner, "demo")
    first = _export(runner)
    _empty_database()
    _invoke(runner, "demo")
    second = _export(runner)
    assert len(first) == db.session.scalar(select(func.count()).select_from(Profile)) > 500
    # The fair's badge scans are imported when the demo loads: those times are the clock's.
    for row in first + second:
        if any(r["source"] == demo.FAIR_SOURCE for r in row["source_records"]):
            row.pop("created_at"), row.pop("updated_at")
    assert first == second


def test_demo_takes_a_number_of_people(runner):
    summary = json.loads(_invoke(runner, "demo", "--people", "40").stdout.splitlines()[-1])
    assert summary["profiles"] == 40
    refused = runner.invoke(args=["demo", "--people", "0"])
    assert refused.exit_code == 2


def test_demo_leaves_existing_profiles_alone(runner):
    mine = factories.make_profile(first_name="Mia", last_name="Esistente")
    fair = json.loads(_invoke(runner, "demo").stdout.splitlines()[-1])["fair"]
    db.session.expire_all()
    kept = db.session.get(Profile, mine.id)
    assert kept.last_name == "Esistente"
    assert [r.source.name for r in kept.source_records] == ["manual"]
    new = fair["created"] + fair["review"]
    assert db.session.scalar(select(func.count()).select_from(Profile)) == 501 + new


# --- profiles export ------------------------------------------------------------------


def test_export_writes_one_profile_per_line_in_the_documented_shape(runner):
    _invoke(runner, "demo")
    result = _invoke(runner, "profiles", "export", "--format", "jsonl")
    lines = result.stdout.splitlines()
    live = db.session.scalar(select(func.count()).select_from(Profile))
    assert len(lines) == live
    rows = [json.loads(line) for line in lines]
    assert f"Exported {live} profiles" in result.stderr
    for row in rows:
        assert EXPORT_KEYS <= set(row)
        assert set(row["consents"]) == set(PURPOSES)
        assert set(row["consents"].values()) <= {"granted", "withdrawn", "refused", "none"}
        assert all(isinstance(t, str) for t in row["tags"])
        assert row["source_records"]
        for record in row["source_records"]:
            assert set(record) == {"source", "external_id"}
        assert row["email"] == (row["emails"][0] if row["emails"] else None)
    states = {row["consents"]["email_marketing"] for row in rows}
    assert states == {"granted", "withdrawn", "none"}
    assert {row["stage"] for row in rows} == {"lead", "mql", "sql", "customer"}
    assert any(len(row["source_records"]) == 3 for row in rows)


def test_export_of_a_manual_profile(runner):
    owner = factories.make_user(role="sales")
    profile = factories.make_profile(
        first_name="Zoë",
        last_name="Müller",
        emails=["zoe@example.com"],
        phones=["+39 347 123 4567"],
        tags=["vip"],
        owner=owner.id,
    )
    rows = _export(runner)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == profile.id
    assert (row["first_name"], row["last_name"]) == ("Zoë", "Müller")
    assert row["emails"] == ["zoe@example.com"]
    assert row["phones"] == ["+393471234567"]
    assert row["tags"] == ["vip"]
    assert row["owner"] == owner.email
    assert row["consents"] == dict.fromkeys(PURPOSES, "none")
    assert row["source_records"] == [{"source": "manual", "external_id": None}]


def test_access_log_lines_drop_query_strings():
    from crm.cli import redact_request_line

    assert (
        redact_request_line("GET /profiles/?q=mario.rossi@example.com HTTP/1.1")
        == "GET /profiles/?… HTTP/1.1"
    )
    assert redact_request_line("GET /profiles/12 HTTP/1.1") == "GET /profiles/12 HTTP/1.1"
