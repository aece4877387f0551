"""Imports from the web UI of files that repeat a header, hold several sheets, or write
their countries in German."""

import html
import io
import re

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import ImportBatch, ImportRejection, Job, Profile, SourceRecord
from crm.services import ingest
from tests import factories

REPEATED = b"Email,Email,Name,Name\na1@example.it,a2@example.it,Anna,Neri\n"
GERMAN = (
    "Vorname;Nachname;E-Mail-Adresse;Telefon;PLZ;Ort;Land\n"
    "Jürgen;Müller;juergen@example.de;030 1234567;10115;Berlin;Deutschland\n"
    "Grete;Weiß;grete@example.at;0664 1234567;1010;Wien;Österreich\n"
).encode()


@pytest.fixture
def sync_jobs(app):
    """Jobs run inline, before the request that starts them returns."""
    app.config["JOBS_MODE"] = "sync"


def _preview(client, content: bytes, filename: str) -> tuple[str, str]:
    """Upload a file as a browser would; returns (preview path, preview page)."""
    response = client.post(
        "/imports/new",
        data={
            "csrf_token": factories.csrf_token(client, "/imports/new"),
            "source": "",
            "new_source": "lista",
            "format": "auto",
            "file": (io.BytesIO(content), filename),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    path = response.headers["Location"]
    return path, client.get(path).get_data(as_text=True)


def _selects(page: str) -> dict[str, tuple[str, str]]:
    """The mapping form: column label -> (select name, selected field, "" for none)."""
    found = {}
    for name, label in re.findall(r'<label[^>]*for="(col_\d+)"[^>]*>([^<]*)</label>', page):
        select = page.split(f'name="{name}"')[1].split("</select>")[0]
        chosen = re.search(r'<option selected value="([^"]*)"', select)
        found[html.unescape(label)] = (name, chosen.group(1) if chosen else "")
    return found


def _form(page: str, changes: dict | None = None) -> dict[str, str]:
    """The mapping form's data as submitted, with changes {column: field}."""
    selects = _selects(page)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": token, **dict(selects.values())}
    for column, target in (changes or {}).items():
        data[selects[column][0]] = target
    return data


def _start(client, path: str, page: str, changes: dict | None = None) -> Job:
    """Submit the mapping form with changes {column: field}; returns the finished job."""
    response = client.post(path, data=_form(page, changes))
    assert response.status_code == 302, response.get_data(as_text=True)
    job = db.session.get(Job, response.headers["Location"].rsplit("/", 1)[1])
    assert job.status == "done", job.error
    return job


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx file with these sheets (title -> rows), in order."""
    return factories.workbook(sheets)


def test_columns_sharing_a_header_are_previewed_apart_and_mapped_one_by_one(
    client, auth, sync_jobs
):
    auth.login_as("marketer")
    path, page = _preview(client, REPEATED, "doppie.csv")
    rows = re.search(r'id="preview-rows">(.*?)</table>', page, re.DOTALL).group(1)
    assert re.findall(r"<td>([^<]*)</td>", rows) == [
        "a1@example.it",
        "a2@example.it",
        "Anna",
        "Neri",
    ]
    assert {label: chosen for label, (_name, chosen) in _selects(page).items()} == {
        "Email": "email",
        "Email (2)": "email",
        "Name": "full_name",
        "Name (2)": "",
    }
    # The column left out is named, with what to do about it.
    left_out = re.search(
        r'class="alert alert-warning repeated-header">(.*?)</div>', page, re.DOTALL
    )
    assert "Name (2)" in left_out.group(1) and "Not imported unless you map them" in left_out.group(
        1
    )
    job = _start(client, path, page, {"Name": "first_name", "Name (2)": "last_name"})
    record = db.session.scalar(select(SourceRecord))
    profile = db.session.get(Profile, record.profile_id)
    assert (profile.first_name, profile.last_name) == ("Anna", "Neri")
    assert record.fields["emails"] == ["a1@example.it", "a2@example.it"]
    assert record.raw == {
        "Email": "a1@example.it",
        "Email (2)": "a2@example.it",
        "Name": "Anna",
        "Name (2)": "Neri",
    }
    batch = db.session.get(ImportBatch, job.result["batch_id"])
    assert batch.mapping["columns"] == {
        "Email": "email",
        "Email (2)": "email",
        "Name": "first_name",
        "Name (2)": "last_name",
    }


def test_two_columns_of_one_header_may_not_feed_one_single_field(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, page = _preview(client, REPEATED, "doppie.csv")
    refused = client.post(path, data=_form(page, {"Name (2)": "full_name"}))
    refused = refused.get_data(as_text=True)
    assert "full_name is already taken by column &#39;Name&#39;" in refused


def test_the_batch_page_names_the_columns_not_imported(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, page = _preview(client, REPEATED, "doppie.csv")
    job = _start(client, path, page)
    batch_page = client.get(f"/imports/batches/{job.result['batch_id']}").get_data(as_text=True)
    unmapped = re.search(r'id="batch-unmapped">(.*?)</p>', batch_page, re.DOTALL).group(1)
    assert "<code>Name (2)</code>" in unmapped


def test_a_workbook_imports_every_sheet_of_its_columns_and_names_the_others(
    client, auth, sync_jobs
):
    content = _workbook(
        {
            "Clienti": [["Nome", "Cognome", "Email"], ["Rita", "Levi", "rita@example.it"]],
            "Foglio2": [["Nome", "Email"], ["Secondo", "bad-email"]],
            "Listino": [["Prodotto", "Prezzo"], ["Penna", 2]],
            "Foglio3": [],
        }
    )
    auth.login_as("marketer")
    path, page = _preview(client, content, "clienti.xlsx")
    assert re.search(r'id="workbook-sheets"><code>Clienti</code>, <code>Foglio2</code></dd>', page)
    other = re.search(r'id="other-sheets">([^<]*)</div>', page).group(1)
    assert "Listino" in other and "Foglio3" not in other
    job = _start(client, path, page)
    assert job.result["created"] == 2
    # A reported row says which sheet it is on.
    warning = db.session.scalar(select(ImportRejection))
    assert (warning.file, warning.row_number, warning.column) == ("Foglio2", 2, "Email")


def test_the_preview_says_a_sheet_of_people_not_to_contact_is_left_out(client, auth):
    content = _workbook(
        {
            "Clienti": [["Nome", "Email"], ["Rita", "rita@example.it"]],
            "Non contattare": [["Nome", "Email"], ["Ugo", "ugo@example.it"]],
        }
    )
    auth.login_as("marketer")
    _path, page = _preview(client, content, "clienti.xlsx")
    held = re.search(r'id="held-sheets">([^<]*)</div>', page).group(1)
    assert "Non contattare" in held and "not to be contacted" in held
    assert "rita@example.it" in page and "ugo@example.it" not in page  # the sample rows


def test_a_german_file_stores_phones_and_postcodes_of_each_rows_country(app):
    summary = ingest.import_stream(io.BytesIO(GERMAN), filename="kontakte.csv", source_name="de")
    assert (summary["created"], summary["warnings"]) == (2, 0)
    stored = {p.first_name: p for p in db.session.scalars(select(Profile))}
    berlin, vienna = stored["Jürgen"], stored["Grete"]
    assert (berlin.country, vienna.country, vienna.postcode) == ("DE", "AT", "1010")
    assert [p.phone for p in berlin.phones] == ["+49301234567"]
    assert [p.phone for p in vienna.phones] == ["+436641234567"]


def test_a_second_column_for_a_one_column_field_is_named_in_the_preview(client, auth):
    from tests.integration.test_imports_views import _preview

    auth.login_as("marketer")
    content = b"Nome,First name,Email\nAnna,Annie,anna@example.it\n"
    path, reader = _preview(client, content=content, filename="rivali.csv")
    assert reader.mapping() == {"Nome": "first_name", "First name": "", "Email": "email"}
    page = client.get(path).get_data(as_text=True)
    assert "rival-column" in page
    assert "&#34;First name&#34; is not imported" in page or '"First name" is not imported' in page
