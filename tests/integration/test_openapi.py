"""The OpenAPI document: public, OpenAPI 3, and describing the profiles API."""

import openapi_spec_validator
import pytest
from openapi_schema_validator import OAS30Validator

SPEC = "/api/v1/openapi.json"


@pytest.fixture
def spec(client):
    """The OpenAPI document, fetched without an API key."""
    response = client.get(SPEC)
    assert response.status_code == 200
    return response.get_json()


def test_document_is_public_openapi_3(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_document_lists_the_profiles_endpoints(spec):
    paths = spec["paths"]
    assert set(paths["/api/v1/profiles"]) >= {"get", "post"}
    assert set(paths["/api/v1/profiles/{profile_id}"]) >= {"get", "patch"}


def test_profile_edit_documents_if_match_etag_and_errors(spec):
    patch = spec["paths"]["/api/v1/profiles/{profile_id}"]["patch"]
    assert {"name": "If-Match", "in": "header"}.items() <= patch["parameters"][0].items()
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert {"401", "403", "404", "409", "412", "422"} <= set(patch["responses"])


def _schema(spec, response: dict) -> dict:
    """The component schema a documented response refers to."""
    ref = response["content"]["application/json"]["schema"]["$ref"]
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _items(spec, prop: dict) -> dict:
    """The component schema of an array property's items."""
    return spec["components"]["schemas"][prop["items"]["$ref"].rsplit("/", 1)[1]]


def test_profile_creation_documents_review_pairs_and_the_look_alikes_of_a_409(spec):
    responses = spec["paths"]["/api/v1/profiles"]["post"]["responses"]
    created = _schema(spec, responses["201"])
    assert "review_pairs" in created["required"]
    assert set(_items(spec, created["properties"]["review_pairs"])["properties"]) == {
        "id",
        "profile_id",
        "score",
    }
    conflict = _schema(spec, responses["409"])
    assert {"code", "status", "message", "errors"} <= set(conflict["properties"])
    details_ref = conflict["properties"]["details"]["allOf"][0]["$ref"]
    details = spec["components"]["schemas"][details_ref.rsplit("/", 1)[1]]
    look_alike = _items(spec, details["properties"]["duplicates"])
    assert set(look_alike["properties"]) == {"profile_id", "score", "reasons"}


def test_every_reference_resolves(spec):
    """A cheap structural check: every $ref points at a component that exists."""

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    found = list(refs(spec))
    assert found
    for ref in found:
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in spec["components"][kind], ref


def test_document_validates_against_openapi_3(spec):
    openapi_spec_validator.validate(spec)


# Endpoints whose input is a JSON body (the parser answers 400 and 415 for them).
JSON_BODY_OPERATIONS = [
    ("/api/v1/profiles", "post"),
    ("/api/v1/profiles/{profile_id}", "patch"),
    ("/api/v1/profiles/{profile_id}/merge", "post"),
    ("/api/v1/duplicates/{pair_id}/decision", "post"),
    ("/api/v1/sources/{source}/records", "post"),
]


def test_endpoints_taking_a_json_body_document_its_400_and_415(spec):
    error_out = spec["components"]["schemas"]["ErrorOut"]
    for path, method in JSON_BODY_OPERATIONS:
        responses = spec["paths"][path][method]["responses"]
        assert {"400", "415"} <= set(responses), (path, method)
        assert _schema(spec, responses["400"]) == error_out
        assert _schema(spec, responses["415"]) == error_out
    without_body = [
        spec["paths"]["/api/v1/profiles"]["get"],
        spec["paths"]["/api/v1/merges/{merge_id}/undo"]["post"],
    ]
    for operation in without_body:
        assert not {"400", "415"} & set(operation["responses"])


def test_path_ids_document_the_databases_range(spec):
    (param,) = spec["paths"]["/api/v1/profiles/{profile_id}"]["parameters"]
    assert param["schema"]["maximum"] == 2_147_483_647
    merge_in = spec["components"]["schemas"]["MergeIn"]["properties"]["other_id"]
    assert (merge_in["minimum"], merge_in["maximum"]) == (1, 2_147_483_647)


def test_error_schema_describes_the_errors_the_api_really_returns(spec, client, api_headers):
    headers = api_headers("admin")
    records = "/api/v1/sources/web/records"
    replies = {
        "not JSON": client.post(
            records, headers=headers, data="{", content_type="application/json"
        ),
        "not sent as JSON": client.post(
            records, headers=headers, data='{"records": []}', content_type="text/plain"
        ),
        "an item that is no record": client.post(
            records, headers=headers, json={"records": ["Anna"]}
        ),
        "a query argument": client.get(
            "/api/v1/profiles", headers=headers, query_string={"limit": 0}
        ),
    }
    assert replies["not JSON"].get_json()["errors"] == {"json": ["Invalid JSON body."]}
    assert replies["an item that is no record"].get_json()["errors"]["json"]["records"]["0"]
    validator = OAS30Validator(spec["components"]["schemas"]["ErrorOut"])
    for what, reply in replies.items():
        assert 400 <= reply.status_code < 500, what
        errors = sorted(validator.iter_errors(reply.get_json()), key=str)
        assert not errors, (what, reply.get_json(), errors)
