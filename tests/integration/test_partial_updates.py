"""A record sent again under its id replaces what it speaks of and keeps the rest."""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import ImportRejection, Profile, SourceRecord
from crm.services import ingest
from tests import factories

API = "/api/v1/sources/shop/records"
IRENE = {
    "external_id": "P-1",
    "first_name": "Irene",
    "last_name": "Vitale",
    "email": "irene.vitale@example.it",
    "phone": "+39 320 5556667",
    "city": "Verona",
    "birth_date": "1979-09-09",
    "company": "Vitale Srl",
}


def _post(client, headers, *records):
    response = client.post(API, headers=headers, json={"records": list(records)})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def test_a_partial_record_of_the_api_keeps_the_fields_it_leaves_out(client, api_headers):
    headers = api_headers("marketer")
    [created] = _post(client, headers, IRENE)
    [updated] = _post(client, headers, {"external_id": "P-1", "city": "Padova"})
    assert (updated["outcome"], updated["profile_id"]) == ("updated", created["profile_id"])
    profile = db.session.get(Profile, created["profile_id"])
    assert (profile.first_name, profile.last_name, profile.city) == ("Irene", "Vitale", "Padova")
    assert (profile.birth_date.isoformat(), profile.company) == ("1979-09-09", "Vitale Srl")
    assert [p.phone for p in profile.phones] == ["+393205556667"]
    record = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "P-1"))
    # The stored record is the source's record as it stands now: what it said, updated.
    assert record.raw["city"] == "Padova" and record.raw["first_name"] == "Irene"
    assert record.email == "irene.vitale@example.it"
    # Sent again, the same partial record changes nothing.
    [again] = _post(client, headers, {"external_id": "P-1", "city": "Padova"})
    assert again["outcome"] == "unchanged"


def test_a_key_sent_empty_or_null_clears_its_field(client, api_headers):
    headers = api_headers("marketer")
    [created] = _post(client, headers, IRENE)
    _post(client, headers, {"external_id": "P-1", "company": None, "city": ""})
    profile = db.session.get(Profile, created["profile_id"])
    assert (profile.company, profile.city, profile.first_name) == (None, None, "Irene")


def _import(text: str) -> dict:
    return ingest.import_stream(io.BytesIO(text.encode()), filename="f.csv", source_name="erp")


def test_an_update_file_with_some_columns_keeps_the_others(app):
    _import("ID,Nome,Cognome,Email,Città,Azienda\nC1,Anna,Neri,anna@example.it,Torino,Neri Spa\n")
    summary = _import("ID,Città\nC1,Genova\n")
    assert summary["updated"] == 1
    profile = db.session.scalar(select(Profile))
    assert (profile.first_name, profile.last_name, profile.city) == ("Anna", "Neri", "Genova")
    assert (profile.company, profile.primary_email) == ("Neri Spa", "anna@example.it")
    # A column that is there but empty clears its field, as a full re-export means it.
    _import("ID,Nome,Cognome,Email,Città,Azienda\nC1,Anna,Neri,anna@example.it,Genova,\n")
    db.session.expire_all()
    assert db.session.scalar(select(Profile)).company is None


def test_a_column_ignored_in_the_mapping_keeps_its_field(app):
    _import("ID,Nome,Cognome,Azienda\nC1,Anna,Neri,Neri Spa\n")
    again = "ID,Nome,Cognome,Azienda\nC1,Anna,Neri,\n"
    ingest.import_stream(
        io.BytesIO(again.encode()), filename="f.csv", source_name="erp", overrides={"Azienda": ""}
    )
    db.session.expire_all()
    assert db.session.scalar(select(Profile)).company == "Neri Spa"


def test_a_workbooks_emptied_last_cell_clears_its_field_and_shows_in_the_report(app):
    def load(rows):
        book = factories.workbook(
            {"Clienti": [["ID", "Nome", "Cognome", "Email", "Azienda"], *rows]}
        )
        return ingest.import_stream(io.BytesIO(book), filename="c.xlsx", source_name="erp")

    load([["C1", "Anna", "Neri", "anna@example.it", "Neri Spa"]])
    summary = load(
        [
            ["C1", "Anna", "Neri", "anna@example.it", None],
            ["C2", "Bo", "Re", "bo(at)example.it", None],
        ]
    )
    assert summary["updated"] == 1
    db.session.expire_all()
    anna = db.session.scalar(select(Profile).where(Profile.first_name == "Anna"))
    assert anna.company is None
    # The bad email's row keeps the file's last column, empty, for the report.
    reported = db.session.scalars(select(ImportRejection).where(ImportRejection.row_number == 3))
    assert [r.raw["Azienda"] for r in reported] == [""]
