"""The API says where each value of a profile comes from, as the profile page does: fields,
emails, phones, tags and stage, each from a source record or a person's hand."""

import re

import pytest
from openapi_schema_validator import OAS30Validator
from sqlalchemy import select

from crm.extensions import db
from crm.models import Profile, SourceRecord, User
from crm.services import merging
from tests.factories import import_records as _records

# A tag and an email typed by hand beside those the records state.
TYPED = {"tags": ["hot", "news", "vip"], "emails": ["giulia@example.com", "g@typed.example"]}


def _record_id(external_id: str) -> int:
    return db.session.scalar(select(SourceRecord.id).where(SourceRecord.external_id == external_id))


@pytest.fixture
def giulia(app) -> int:
    """Giulia from a shop and a newsletter (one email), then edited by a rep through the
    API: a city, a stage, a tag and an email typed by hand."""
    (shop,) = _records("shop", {"external_id": "S1", "first_name": "Giulia",
                                "last_name": "Ferraresi", "email": "giulia@example.com",
                                "phone": "+39 347 1234567", "tags": ["vip"],
                                "stage": "mql"})  # fmt: skip
    _records("newsletter", {"external_id": "N1", "email": "giulia@example.com",
                            "phone": "+39 333 7654321", "tags": ["news"]})  # fmt: skip
    return shop["profile_id"]


def _patch(client, headers, profile_id: int, body: dict) -> dict:
    response = client.patch(f"/api/v1/profiles/{profile_id}", headers=headers, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _rep(headers: dict) -> User:
    """The user of an API key (the last user made)."""
    return db.session.scalars(select(User).order_by(User.id.desc())).first()


def test_a_profile_says_where_its_emails_phones_tags_and_stage_come_from(
    client, api_headers, giulia
):
    headers = api_headers("sales")
    rep = _rep(headers)
    _patch(
        client, headers, giulia, {**TYPED, "city": "Parma", "stage": "sql", "stage_reason": "call"}
    )

    body = client.get(f"/api/v1/profiles/{giulia}", headers=headers).get_json()

    shop, newsletter = _record_id("S1"), _record_id("N1")
    provenance = body["provenance"]
    assert provenance["first_name"] == {"source": "shop", "source_record_id": shop}
    assert provenance["city"]["manual"] == rep.id
    assert provenance["emails"] == [
        {"value": "giulia@example.com", "source": "shop", "source_record_id": shop},
        # Typed by hand: who and when, as for a field.
        {"value": "g@typed.example", "manual": rep.id, "at": provenance["city"]["at"]},
    ]
    assert provenance["phones"] == [
        # The newer record's phone is the primary one, as its values win for fields.
        {"value": "+393337654321", "source": "newsletter", "source_record_id": newsletter},
        {"value": "+393471234567", "source": "shop", "source_record_id": shop},
    ]
    tags = provenance["tags"]
    assert (tags["manual"], tags["removed"]) == (rep.id, [])
    items = {item["name"]: item for item in tags["items"]}
    assert [item["name"] for item in tags["items"]] == body["tags"] == ["hot", "news", "vip"]
    assert items["vip"] == {
        "name": "vip",
        "sources": [{"source": "shop", "source_record_id": shop}],
    }
    assert items["news"]["sources"] == [{"source": "newsletter", "source_record_id": newsletter}]
    assert (items["hot"]["sources"], items["hot"]["manual"]) == ([], rep.id)
    assert items["hot"]["at"] == tags["at"]
    stage = provenance["stage"]
    assert (stage["manual"], stage["reason"]) == (rep.id, "call")
    assert stage["at"].startswith(tags["at"][:10])


def test_a_stage_from_a_record_or_a_merge_names_it(client, api_headers, giulia):
    headers = api_headers("sales")

    stage = client.get(f"/api/v1/profiles/{giulia}", headers=headers).get_json()
    stage = stage["provenance"]["stage"]
    assert (stage["source"], stage["source_record_id"]) == ("shop", _record_id("S1"))
    assert stage["reason"] == "most advanced stage among source records"

    (other,) = _records("fair", {"external_id": "F1", "first_name": "Giulia",
                                 "last_name": "Ferraresi", "email": "gf@fair.example",
                                 "stage": "customer"})  # fmt: skip
    merge = merging.merge_profiles(giulia, other["profile_id"], actor="test")
    stage = client.get(f"/api/v1/profiles/{giulia}", headers=headers).get_json()
    assert stage["provenance"]["stage"]["merge_id"] == merge.id


def test_the_profile_page_says_the_same(client, auth, api_headers, giulia):
    headers = api_headers("sales")
    _patch(client, headers, giulia, TYPED)
    rep = _rep(headers)
    auth.login_as("sales")

    page = client.get(f"/profiles/{giulia}").get_data(as_text=True)

    emails = re.search(r'<dd[^>]*id="field-emails".*?</dd>', page, re.S).group(0)
    assert f'href="#source-record-{_record_id("S1")}">shop</a>' in emails
    assert re.search(r"g@typed\.example.*?manual edit", emails, re.S)
    tags = re.search(r'<dd[^>]*id="field-tags".*?</dd>', page, re.S).group(0)
    hot = re.search(r"profile-tag\">hot</span>.*?</div>", tags, re.S).group(0)
    assert f"manual edit by {rep.name}" in hot


def test_a_tag_neither_a_record_states_nor_a_person_is_known_to_have_added_says_so(
    client, auth, api_headers, giulia
):
    headers = api_headers("sales")
    _patch(client, headers, giulia, TYPED)
    profile = db.session.get(Profile, giulia)  # saved before additions were recorded
    profile.provenance = {**profile.provenance, "tags": {"manual": None, "removed": []}}
    db.session.commit()

    item = client.get(f"/api/v1/profiles/{giulia}", headers=headers).get_json()
    (hot,) = [i for i in item["provenance"]["tags"]["items"] if i["name"] == "hot"]
    assert hot == {"name": "hot", "sources": []}
    auth.login_as("sales")
    page = client.get(f"/profiles/{giulia}").get_data(as_text=True)
    tags = re.search(r'<dd[^>]*id="field-tags".*?</dd>', page, re.S).group(0)
    hot = re.search(r"profile-tag\">hot</span>.*?</div>", tags, re.S).group(0)
    assert "no record states it" in hot


def test_the_openapi_document_describes_the_provenance(client, api_headers, giulia):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    provenance = schemas["ProvenanceOut"]["properties"]
    assert {"emails", "phones", "tags", "stage", "first_name", "tax_id"} <= set(provenance)
    headers = api_headers("sales")
    _patch(client, headers, giulia, {"tags": ["hot", "vip"], "stage": "sql"})

    body = client.get(f"/api/v1/profiles/{giulia}", headers=headers).get_json()

    validator = OAS30Validator({"$ref": "#/components/schemas/ProfileOut", **spec})
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, errors
    listed = client.get("/api/v1/profiles?q=giulia", headers=headers).get_json()
    assert listed["items"][0]["provenance"] == body["provenance"]
