"""Sources administration: the list, the edit form, the recompute job, and `crm sources`."""

import json
import re

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Profile, Source
from crm.services import ingest, profiles, sources
from tests import factories


@pytest.fixture
def anna(app):
    """Anna from the shop and from the newsletter, who disagree on her city; the newer
    newsletter record wins while the two sources rank the same."""
    app.config["JOBS_MODE"] = "sync"
    ingest.import_records(
        [{"id": "s1", "email": "anna@example.it", "first_name": "Anna", "city": "Milano"}],
        source_name="shop",
    )
    ingest.import_records(
        [{"id": "n1", "email": "anna@example.it", "first_name": "Anna", "city": "Torino"}],
        source_name="newsletter",
    )
    return _city()


def _city() -> str:
    db.session.expire_all()
    found = profiles.search_query("anna@example.it").with_only_columns(Profile.id)
    return db.session.scalar(select(Profile.city).where(Profile.id.in_(found)))


def _source(name: str) -> Source:
    db.session.expire_all()
    return db.session.scalar(select(Source).where(Source.name == name))


def _form(client, source: Source) -> dict:
    page = f"/admin/sources/{source.id}"
    html = client.get(page).get_data(as_text=True)
    version = re.search(r'id="version" name="version" type="hidden" value="(\d+)"', html)
    return {
        "csrf_token": factories.csrf_token(client, page),
        "label": source.label,
        "party": source.party,
        "trust_rank": str(source.trust_rank),
        "default_region": source.default_region,
        "version": version.group(1),
    }


def test_sources_page_lists_settings_and_counts(client, auth, anna):
    auth.login_as("admin")
    html = client.get("/admin/sources").get_data(as_text=True)
    row = html[html.index(f'id="source-{_source("shop").id}"') :]
    row = row[: row.index("</tr>")]
    assert "<code>shop</code>" in row and "Italy" in row and ">50<" in row
    assert f'href="/admin/sources/{_source("shop").id}"' in row
    assert 'href="/admin/sources"' in client.get("/profiles/").get_data(as_text=True)


def test_a_new_trust_rank_runs_a_job_that_chooses_values_again(client, auth, anna):
    assert anna == "Torino"
    auth.login_as("admin")
    shop = _source("shop")
    response = client.post(f"/admin/sources/{shop.id}", data={**_form(client, shop),
                                                               "trust_rank": "80"})  # fmt: skip
    assert response.status_code == 302
    job_page = response.headers["Location"]
    assert job_page.startswith("/admin/sources/jobs/")
    html = client.get(job_page).get_data(as_text=True)
    assert "1 of 1 profiles changed" in html
    status = client.get(job_page + "/status").get_json()
    assert status["status"] == "done" and status["result"]["changed"] == 1
    assert _city() == "Milano" and _source("shop").trust_rank == 80


def test_other_settings_save_without_a_job(client, auth, anna):
    auth.login_as("admin")
    shop = _source("shop")
    data = {**_form(client, shop), "label": "Online shop", "party": "second"}
    response = client.post(f"/admin/sources/{shop.id}", data=data)
    assert response.headers["Location"] == "/admin/sources"
    assert (_source("shop").label, _source("shop").party) == ("Online shop", "second")


def test_a_stale_form_is_refused_and_keeps_the_other_edit(client, auth, anna):
    auth.login_as("admin")
    shop = _source("shop")
    stale = _form(client, shop)
    sources.update_source(shop.id, {"trust_rank": 70}, expected_version=None, actor="other")
    response = client.post(f"/admin/sources/{shop.id}", data={**stale, "trust_rank": "20"})
    assert response.status_code == 200
    assert "Someone else changed this source" in response.get_data(as_text=True)
    assert _source("shop").trust_rank == 70


def test_an_out_of_range_rank_is_shown_on_its_field(client, auth, anna):
    auth.login_as("admin")
    shop = _source("shop")
    response = client.post(f"/admin/sources/{shop.id}", data={**_form(client, shop),
                                                               "trust_rank": "500"})  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "between 0 and 100" in html
    assert _source("shop").trust_rank == 50


def test_manual_entry_has_no_edit_page(client, auth, app):
    auth.login_as("admin")
    manual = profiles.manual_source()
    response = client.get(f"/admin/sources/{manual.id}", follow_redirects=True)
    assert response.request.path == "/admin/sources"
    assert "a value typed by hand always wins" in response.get_data(as_text=True)
    token = factories.csrf_token(client, "/admin/users/new")
    posted = client.post(f"/admin/sources/{manual.id}", data={"csrf_token": token,
                                                               "trust_rank": "1"})  # fmt: skip
    assert posted.status_code == 302 and db.session.get(Source, manual.id).trust_rank == 100
    assert f'id="edit-source-{manual.id}"' not in client.get("/admin/sources").get_data(
        as_text=True
    )
    assert client.get("/admin/sources/999").status_code == 404
    assert client.get("/admin/sources/jobs/nope").status_code == 404


def test_cli_lists_and_sets_sources(runner, anna):
    result = runner.invoke(args=["sources", "set", "shop", "--trust-rank", "80"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary == {"source": "shop", "changed": ["trust_rank"],
                       "recomputed": {"profiles": 1, "changed": 1}}  # fmt: skip
    assert _city() == "Milano"
    listed = runner.invoke(args=["sources", "list"])
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert lines[0]["name"] == "shop" and lines[0]["trust_rank"] == 80
    assert {"records": 1, "profiles": 1, "region": "IT"}.items() <= lines[0].items()
    bad = runner.invoke(args=["sources", "set", "shop", "--region", "ZZ"])
    assert bad.exit_code == 1 and "default_region" in bad.output
    missing = runner.invoke(args=["sources", "set", "nowhere", "--label", "x"])
    assert missing.exit_code == 1 and "No source is called" in missing.output


def test_an_italian_admin_reads_dates_the_italian_way(client, auth, anna):
    from babel.dates import format_datetime

    from crm.models import ImportBatch

    auth.login_as("admin")
    token = factories.csrf_token(client, "/account")
    client.post("/account/language", data={"locale": "it", "csrf_token": token})
    last = db.session.scalar(select(ImportBatch.started_at).order_by(ImportBatch.started_at.desc()))
    html = client.get("/admin/sources").get_data(as_text=True)
    assert format_datetime(last, "medium", locale="it", tzinfo="UTC") in html


def test_a_recompute_that_has_not_counted_its_profiles_says_so(app):
    from crm.models import Job
    from crm.views.admin import recompute_message

    with app.test_request_context():
        starting = recompute_message(Job(status="running", progress=0, total=None))
        counted = recompute_message(Job(status="running", progress=5, total=40))
    assert "0 of 0" not in starting and "Finding the profiles" in starting
    assert counted == "Choosing values again: 5 of 40 profiles."
