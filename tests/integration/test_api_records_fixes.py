"""The source-records API as an integrator reads it: errors filed under the record they
are about, consent evidence kept as sent, source names that say when they are new and
refuse a second spelling, and an OpenAPI document that states the limits the endpoint keeps."""

import re

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import ConsentRecord, Source, SourceRecord
from crm.services import consent_ledger, ingest

API = "/api/v1/sources/{}/records"
SPEC = "/api/v1/openapi.json"
RECORDS_PATH = "/api/v1/sources/{source}/records"


def _post(client, headers, records, source="webshop"):
    return client.post(API.format(source), headers=headers, json={"records": records})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _record_errors(response) -> dict:
    """The per-record messages of a 422, by index as the response files them."""
    assert response.status_code == 422, response.get_data(as_text=True)
    return response.get_json()["errors"]["json"]["records"]


# --- a 422 files each message under the record it is about -------------------------------


def test_a_record_after_an_item_that_is_no_object_keeps_its_own_index(client, api_headers):
    records = [
        {"external_id": "OK-1", "first_name": "Ada", "email": "ada@example.it"},
        "oops",
        {"external_id": "OK-3", "first_name": "Dino", "email": "dino@example.it"},
        {"external_id": "BAD-4", "first_name": "Italo", "last_name": ["Calvino"]},
    ]
    errors = _record_errors(_post(client, api_headers("admin"), records))
    # An item that is no object refuses the request; a record of another shape is
    # rejected on its own once the request is whole (test_api_records).
    assert errors == {"1": ["Not a valid mapping type."]}
    assert _count(SourceRecord) == 0


def test_numbers_and_nulls_among_records_do_not_merge_errors_into_theirs(client, api_headers):
    records = [
        {"external_id": "B0", "first_name": "Fine", "email": "fine@example.it"},
        42,
        None,
        {"external_id": "B3", "last_name": ["a"], "consents": "yes"},
    ]
    errors = _record_errors(_post(client, api_headers("admin"), records))
    assert errors == {"1": ["Not a valid mapping type."], "2": ["Field may not be null."]}


def test_records_with_problems_are_rejected_each_under_its_own_index(client, api_headers):
    records = [
        {"first_name": "A", "tags": [1]},
        {"first_name": "B", "email": "b@example.it"},
        {"first_name": {"x": 1}},
    ]
    response = _post(client, api_headers("admin"), records)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [(r["index"], r["outcome"]) for r in results] == [
        (0, "rejected"),
        (1, "created"),
        (2, "rejected"),
    ]
    assert "tags: Must be a list of text values." in results[0]["reasons"][0]
    assert "first_name: Must be text, a number or null." in results[2]["reasons"][0]


# --- consent evidence is kept as the source sent it -------------------------------------


def test_a_consents_own_source_and_batch_id_are_kept_beside_the_crms(client, api_headers):
    evidence = {
        "source": "landing-page-B",
        "batch_id": "DOI-2026-05-05-0042",
        "confirmation_token": "abc123",
    }
    record = {
        "external_id": "EVD-1",
        "email": "prova@example.it",
        "consents": [
            {
                "purpose": "email_marketing",
                "status": "granted",
                "recorded_at": "2026-05-05T08:00:00Z",
                "evidence": evidence,
            }
        ],
    }
    body = _post(client, api_headers("marketer"), [record], source="webform").get_json()

    stored = dict(db.session.scalar(select(ConsentRecord)).evidence)
    sent = stored.pop(consent_ledger.SENT_KEY)
    assert {"confirmation_token": stored["confirmation_token"], **sent} == evidence
    assert (stored["source"], stored["batch_id"]) == ("webform", body["batch_id"])


def test_the_document_names_the_evidence_keys_the_crm_writes(client):
    spec = client.get(SPEC).get_json()
    described = spec["components"]["schemas"]["RecordsIn"]["properties"]["records"]
    for key in consent_ledger.RESERVED_KEYS:
        assert f"`{key}`" in described["description"]


# --- source names: a new one says so, a second spelling of one is refused ---------------


def test_a_call_that_creates_its_source_says_so_and_later_ones_do_not(client, api_headers):
    headers = api_headers("sales")
    record = {"external_id": "C-1", "first_name": "Rita", "email": "rita@example.it"}

    first = _post(client, headers, [record], source="shopify").get_json()
    again = _post(client, headers, [record], source=" shopify ").get_json()

    assert first["source_created"] is True
    assert again["source_created"] is False
    assert again["results"][0]["outcome"] == "unchanged"


def test_a_source_name_differing_only_in_case_is_refused_naming_the_source(client, api_headers):
    headers = api_headers("admin")
    record = {"external_id": "C-1", "first_name": "Rita", "email": "rita@example.it"}
    _post(client, headers, [record], source="Shopify_x")

    response = _post(client, headers, [record], source="shopify_X")

    assert response.status_code == 409, response.get_json()
    body = response.get_json()
    assert "'Shopify_x'" in body["message"]
    assert body["errors"] == {"path": {"source": ["Differs only in case from 'Shopify_x'."]}}
    assert [s.name for s in db.session.scalars(select(Source))] == ["Shopify_x"]
    assert _count(SourceRecord) == 1


def test_letters_written_another_way_are_the_same_name(client, api_headers):
    headers = api_headers("admin")
    _post(client, headers, [{"first_name": "Ada"}], source="Négozio")  # é as one character

    response = _post(client, headers, [{"first_name": "Ada"}], source="ne\u0301gozio")

    assert response.status_code == 409
    assert "'Négozio'" in response.get_json()["message"]


def test_a_source_spelt_exactly_is_used_even_beside_one_differing_in_case(client, api_headers):
    # Two such sources made before names were compared without case both stay reachable.
    db.session.add_all([Source(name="Fiera", label="Fiera"), Source(name="fiera", label="f")])
    db.session.commit()

    response = _post(client, api_headers("admin"), [{"first_name": "Ada"}], source="fiera")

    assert response.status_code == 200
    assert response.get_json()["source_created"] is False


# --- the OpenAPI document states the limits the endpoint keeps ---------------------------


@pytest.fixture
def records_doc(client) -> dict:
    """The records endpoint's path item in the OpenAPI document."""
    return client.get(SPEC).get_json()["paths"][RECORDS_PATH]


def _source_parameter(records_doc) -> dict:
    (parameter,) = [p for p in records_doc["parameters"] if p["name"] == "source"]
    return parameter


def test_the_source_parameter_states_its_length_and_characters(records_doc):
    parameter = _source_parameter(records_doc)
    assert parameter["in"] == "path" and parameter["required"] is True
    assert (parameter["schema"]["minLength"], parameter["schema"]["maxLength"]) == (1, 64)
    assert "case" in parameter["description"]
    assert "409" in records_doc["post"]["responses"]


def test_the_source_pattern_refuses_the_characters_the_endpoint_refuses(records_doc):
    # The pattern is written for ECMA-262, whose \uXXXX escapes Python reads alike.
    pattern = re.compile(_source_parameter(records_doc)["schema"]["pattern"])
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue  # halves of the pairs a pattern without Unicode classes sees
        name = f"a{chr(code)}b"
        refused = ingest.source_name_problem(name) is not None or chr(code) == "/"
        assert (pattern.match(name) is None) == refused, hex(code)
    assert pattern.match("   ") is None and pattern.match(" shop ")


def test_the_source_pattern_and_length_agree_with_the_endpoint(client, api_headers, records_doc):
    headers = api_headers("admin")
    schema = _source_parameter(records_doc)["schema"]
    pattern = re.compile(schema["pattern"])
    for name, accepted in [("x" * 64, True), ("x" * 65, False), ("a\u200bb", False)]:
        status = _post(client, headers, [{"first_name": "Ada"}], source=name).status_code
        assert status == (200 if accepted else 422), name
        fits = len(name) <= schema["maxLength"] and pattern.match(name) is not None
        assert fits == accepted, name


def test_the_created_flag_is_documented_and_required(client):
    schema = client.get(SPEC).get_json()["components"]["schemas"]["RecordsOut"]
    assert schema["properties"]["source_created"]["type"] == "boolean"
    assert "source_created" in schema["required"]


def test_the_records_description_states_the_lengths_the_importer_keeps(
    client, api_headers, records_doc
):
    spec = client.get(SPEC).get_json()
    described = spec["components"]["schemas"]["RecordsIn"]["properties"]["records"]
    text = described["description"]
    assert "`first_name`, `last_name`, `city`, `state` 100" in text
    assert "`external_id` over 200 rejects the record" in text
    assert described["maxItems"] == 1000 and described["minItems"] == 1
    records = [
        {"external_id": "L1", "first_name": "A" * 101, "city": "Roma"},
        {"external_id": "L2", "first_name": "A" * 100, "city": "Roma"},
        {"external_id": "X" * 201, "first_name": "Z"},
    ]
    results = _post(client, api_headers("admin"), records).get_json()["results"]
    assert results[0]["warnings"] == [
        {"field": "first_name", "reason": "longer than 100 characters"}
    ]
    assert results[1]["warnings"] == []
    assert results[2]["outcome"] == "rejected"
