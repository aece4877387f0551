"""The source-records API takes NaN and Infinity as empty values and keeps any extra value."""

import json

from sqlalchemy import select

from crm.extensions import db
from crm.models import Profile, SourceRecord
from crm.services import readers

API = "/api/v1/sources/{}/records"


def _post_text(client, headers, body: str, source="webshop"):
    """Post a body as written: NaN and Infinity are no JSON the test client would write."""
    headers = {**headers, "Content-Type": "application/json"}
    return client.post(API.format(source), headers=headers, data=body)


def _raw(external_id: str) -> dict:
    return db.session.scalar(
        select(SourceRecord).where(SourceRecord.external_id == external_id)
    ).raw


def test_nan_and_infinity_in_a_record_are_empty_values(client, api_headers):
    body = (
        '{"records": [{"external_id": "nan", "first_name": NaN, "last_name": "Son",'
        ' "email": "nan@example.com", "phones": [Infinity], "score": -Infinity}]}'
    )
    response = _post_text(client, api_headers("admin"), body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["results"][0]["outcome"] == "created"
    profile = db.session.scalar(select(Profile))
    assert (profile.first_name, profile.last_name) == (None, "Son")
    raw = _raw("nan")
    assert (raw["first_name"], raw["phones"], raw["score"]) == (None, [None], None)


def test_posting_a_record_with_nan_again_changes_nothing(client, api_headers):
    headers = api_headers("admin")
    body = '{"records": [{"external_id": "n", "email": "n@example.com", "score": NaN}]}'
    assert _post_text(client, headers, body).status_code == 200
    again = _post_text(client, headers, body).get_json()
    assert again["results"][0]["outcome"] == "unchanged"


def test_extra_keys_may_hold_objects_and_lists(client, api_headers):
    record = {
        "external_id": "u",
        "email": "u@example.com",
        "utm": {"source": "x", "campaign": {"id": 7}},
        "x": [[[]]],
        "visits": [{"at": "2024-05-01", "pages": ["/", "/prices"]}],
    }
    response = client.post(
        API.format("web"), headers=api_headers("admin"), json={"records": [record]}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["results"][0]["outcome"] == "created"
    assert _raw("u") == record


def test_profile_fields_still_take_only_text_numbers_or_null(client, api_headers):
    records = [
        {"email": "a@example.com", "nome": {"x": 1}},  # a synonym of first_name
        {"email": "b@example.com", "emails": {"work": "b@example.com"}},
        {"email": "c@example.com", "tags": [["nested"]]},
        {"email": "d@example.com", "work_email": ["d2@example.com"], "utm": {"s": 1}},
    ]
    response = client.post(
        API.format("web"), headers=api_headers("admin"), json={"records": records}
    )
    assert response.status_code == 200
    reasons = [r["reasons"] for r in response.get_json()["results"]]
    refused = "the record's shape is refused: "
    assert reasons[:3] == [
        [refused + "nome: Must be text, a number or null."],
        [refused + "emails: Must be text or a list of text."],
        [refused + "tags: Must be a list of text values."],
    ]
    assert response.get_json()["results"][3]["outcome"] == "created"


def test_a_deep_extra_is_stored_cut_at_raw_depth(client, api_headers):
    depth = readers.RAW_DEPTH + 20
    body = json.dumps({"records": [{"external_id": "d", "email": "d@example.com", "x": []}]})
    body = body.replace('"x": []', '"x": ' + "[" * depth + "]" * depth)
    response = _post_text(client, api_headers("admin"), body)
    assert response.status_code == 200, response.get_json()
    kept, levels = _raw("d")["x"], 0
    while isinstance(kept, list):
        kept, levels = kept[0], levels + 1
    assert (levels, kept) == (readers.RAW_DEPTH, readers.CUT)
