"""The `manual` source holds what staff type in the CRM, which outranks every source: no
integration, file or upload may put records under it (nor under a case variant of it)."""

import io

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import ImportBatch, Source, SourceRecord
from crm.services import ingest, sources
from crm.services.errors import ValidationError
from tests import factories

API = "/api/v1/sources/{}/records"
FORGED = {"external_id": "F1", "first_name": "Giulia", "email": "giulia@example.com"}


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _manual_records() -> int:
    return _count(SourceRecord, SourceRecord.source_id.in_(select(Source.id).where(
        func.lower(Source.name) == "manual")))  # fmt: skip


@pytest.mark.parametrize("name", ["manual", "Manual", " MANUAL "])
@pytest.mark.parametrize("exists", [True, False])
def test_records_sent_to_the_manual_source_are_refused_per_field(client, api_headers, name, exists):
    if exists:
        factories.make_profile()  # a profile typed in: the manual source exists
    records = _manual_records()

    response = client.post(
        API.format(name), headers=api_headers("marketer"), json={"records": [FORGED]}
    )

    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert body["message"] == sources.MANUAL_ENTRY
    assert body["errors"]["path"]["source"] == [sources.MANUAL_RECORDS]
    assert _manual_records() == records
    assert _count(Source) == int(exists)
    assert _count(ImportBatch) == 0


def test_an_admin_may_not_send_records_to_it_either(client, api_headers):
    factories.make_profile()

    response = client.post(API.format("manual"), headers=api_headers("admin"),
                           json={"records": [FORGED]})  # fmt: skip

    assert response.status_code == 422


def test_the_records_endpoint_documents_the_refusal(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    path = spec["paths"]["/api/v1/sources/{source}/records"]
    (parameter,) = path["parameters"]
    assert "`manual`" in parameter["description"]


def test_the_importer_refuses_it_for_files_and_records(app):
    with pytest.raises(ValidationError) as refused:
        ingest.import_records([FORGED], source_name="manual", actor="test")
    assert refused.value.fields == {"source": [sources.MANUAL_RECORDS]}
    with pytest.raises(ValidationError):
        ingest.import_stream(
            io.BytesIO(b"email\ngiulia@example.com\n"), filename="a.csv", source_name="Manual"
        )
    assert _count(SourceRecord) == 0 and _count(ImportBatch) == 0


def test_crm_import_refuses_it(runner, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("email\ngiulia@example.com\n")

    result = runner.invoke(args=["import", str(path), "--source", "manual"])

    assert result.exit_code != 0
    assert sources.MANUAL_ENTRY in result.output and sources.MANUAL_RECORDS in result.output
    assert _count(SourceRecord) == 0


def test_a_web_upload_does_not_offer_it_and_refuses_it_by_name(client, auth):
    factories.make_profile()
    auth.login_as("marketer")

    page = client.get("/imports/new").get_data(as_text=True)
    assert 'value="manual"' not in page
    data = {
        "csrf_token": factories.csrf_token(client, "/imports/new"),
        "source": "",
        "new_source": "manual",
        "format": "auto",
        "file": (io.BytesIO(b"email\ngiulia@example.com\n"), "people.csv"),
    }
    response = client.post("/imports/new", data=data, content_type="multipart/form-data")

    assert response.status_code == 200
    assert "Manual entry is the app&#39;s own source" in response.get_data(as_text=True)
    chosen = {**data, "source": "manual", "new_source": "",
              "csrf_token": factories.csrf_token(client, "/imports/new"),
              "file": (io.BytesIO(b"email\ngiulia@example.com\n"), "people.csv")}  # fmt: skip
    response = client.post("/imports/new", data=chosen, content_type="multipart/form-data")
    assert response.status_code == 200  # the form refuses a source it does not offer
    assert _count(SourceRecord) == 1  # the typed-in profile's own


def test_a_sources_own_name_that_merely_contains_manual_is_fine(client, api_headers):
    response = client.post(API.format("manual-entry-app"), headers=api_headers("marketer"),
                           json={"records": [FORGED]})  # fmt: skip

    assert response.status_code == 200 and response.get_json()["source_created"]
