"""Input the API used to take badly: text no database can store, people with nothing to
find them by, empty or oversized requests, and what the OpenAPI document promised."""

import logging
import re

import pytest
from sqlalchemy import event, func, select

from config import Config
from crm.extensions import MAX_ID, db
from crm.models import MAX_EMAILS, MAX_PHONES, MAX_TAGS, ImportBatch, Profile, Source, Tag
from crm.schemas.common import CURSOR_PATTERN
from crm.security import ALL_ROLES
from crm.services import duplicates, ingest, merging, profiles
from crm.services.errors import ValidationError
from crm.views.api.common import KEY_TEXT, NUL_TEXT, SURROGATE_TEXT
from tests import factories

API = "/api/v1"
RECORDS = API + "/sources/{}/records"
NEEDS_IDENTITY = "Give at least a name, an email, a phone or a tax id."


@pytest.fixture
def sales(api_headers):
    """Headers of a sales user's key."""
    return api_headers("sales")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _refused(response, status: int = 422) -> dict:
    """The errors of a refusal, checked for its status and shared shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == status and body["message"]
    return body.get("errors", {})


# --- text that cannot be stored: lone surrogates and NULs ---------------------------------


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ({"first_name": "\ud800x", "emails": ["a@example.org"]}, ["first_name"], SURROGATE_TEXT),
        ({"first_name": "T", "tags": ["ok", "\udfff"]}, ["tags", "1"], SURROGATE_TEXT),
        ({"first_name": "A\u0000B"}, ["first_name"], NUL_TEXT),
        ({"first_name": "T", "emails": ["a\x00@example.org"]}, ["emails", "0"], NUL_TEXT),
    ],
)
def test_unstorable_text_in_a_new_profile_is_422_where_it_is(client, sales, body, where, message):
    errors = _refused(client.post(f"{API}/profiles", headers=sales, json=body))

    found = errors["json"]
    for part in where:
        found = found[part]
    assert found == [message]
    assert _count(Profile) == 0


@pytest.mark.parametrize("value", ["a\ud800", "\x00", "Ro\x00ma"])
def test_unstorable_text_in_an_edit_is_422_and_changes_nothing(client, sales, value):
    profile = factories.make_profile(city="Bari")

    errors = _refused(
        client.patch(f"{API}/profiles/{profile.id}", headers=sales, json={"city": value})
    )

    assert list(errors["json"]) == ["city"]
    db.session.expire_all()
    assert db.session.get(Profile, profile.id).city == "Bari"


def test_a_record_with_unstorable_text_is_named_by_index_and_nothing_is_written(client, sales):
    records = [
        {"external_id": "ok", "first_name": "Anna", "email": "anna@example.org"},
        {"external_id": "x", "first_name": "\ud800", "note": {"deep": ["a\u0000"]}},
        {"external_id": "k", "email": "k@example.org", "bad\x00key": 1},
    ]

    errors = _refused(client.post(RECORDS.format("shop"), headers=sales, json={"records": records}))

    assert errors["json"] == {
        "records": {
            "1": {"first_name": [SURROGATE_TEXT], "note": {"deep": {"0": [NUL_TEXT]}}},
            "2": {"bad\ufffdkey": [KEY_TEXT]},
        }
    }
    assert (_count(Profile), _count(Source), _count(ImportBatch)) == (0, 0, 0)


def test_a_search_for_unstorable_text_finds_no_one_and_sends_none_of_it(client, sales):
    factories.make_profile(first_name="Anna")
    sent = []

    def _record(conn, cursor, statement, parameters, context, executemany):
        sent.append(repr(parameters))

    event.listen(db.engine, "before_cursor_execute", _record)
    try:
        for q in ("%00", "Anna%00", "%00Anna"):
            response = client.get(f"{API}/profiles?q={q}", headers=sales)
            assert response.status_code == 200, response.get_data(as_text=True)
            assert response.get_json()["items"] == []
        assert profiles.search_profiles("Anna\ud800") == ([], None)
    finally:
        event.remove(db.engine, "before_cursor_execute", _record)
    assert sent and not [p for p in sent if "\\x00" in p or "\\ud800" in p]
    assert len(profiles.search_profiles("Anna")[0]) == 1


def _add_failing_flush_views(app):
    """Routes whose database write fails, leaving the session needing a rollback."""

    def fail_flush():
        db.session.add_all([Tag(name="twin"), Tag(name="twin")])
        db.session.flush()

    app.add_url_rule("/_flush", "flush", ALL_ROLES(fail_flush))
    app.add_url_rule("/api/v1/_flush", "api_flush", ALL_ROLES(lambda: fail_flush()))
    app.config["PROPAGATE_EXCEPTIONS"] = False


def test_a_500_after_a_failed_write_is_answered_cleanly(app, client, auth, api_headers, caplog):
    _add_failing_flush_views(app)
    headers = api_headers("sales")
    auth.login_as("sales")

    with caplog.at_level(logging.ERROR):
        api = client.get("/api/v1/_flush", headers=headers)
        page = client.get("/_flush")

    assert api.status_code == 500 and api.get_json()["code"] == 500
    assert api.headers["Cache-Control"] == "no-store"
    assert page.status_code == 500 and "Something went wrong" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Request finalizing failed" not in caplog.text


# --- a person needs a name, an email or a phone -------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"first_name": "   "}, {"emails": [""]}, {"last_name": "\t", "phones": [" "]}],
)
def test_a_new_profile_with_only_blank_identity_is_422(client, sales, body):
    response = client.post(f"{API}/profiles", headers=sales, json=body)

    assert _refused(response)["json"] == {"_schema": [NEEDS_IDENTITY]}
    assert response.get_json()["message"] == NEEDS_IDENTITY
    assert _count(Profile) == 0


def test_an_edit_may_not_empty_a_profile(client, sales):
    profile = factories.make_profile(first_name="Ada", last_name="Byron", emails=["a@ex.org"])
    empty = {"first_name": None, "last_name": " ", "emails": [], "phones": []}

    errors = _refused(client.patch(f"{API}/profiles/{profile.id}", headers=sales, json=empty))

    assert errors["json"] == {"_schema": [NEEDS_IDENTITY]}
    db.session.expire_all()
    assert db.session.get(Profile, profile.id).first_name == "Ada"
    keep_email = {"first_name": None, "last_name": None}
    assert (
        client.patch(f"{API}/profiles/{profile.id}", headers=sales, json=keep_email).status_code
        == 200
    )


def test_the_service_refuses_a_person_without_identity_on_cleaned_values(app):
    with pytest.raises(ValidationError) as refused:
        profiles.create_profile({"first_name": "  ", "emails": [""]}, actor="test")
    assert refused.value.message == NEEDS_IDENTITY
    assert refused.value.fields == {"_schema": [NEEDS_IDENTITY]}

    profile = factories.make_profile(first_name="Ada", last_name=None, emails=[])
    with pytest.raises(ValidationError) as refused:
        profiles.update_profile(profile.id, {"first_name": ""}, expected_version=None, actor="test")
    assert refused.value.fields == {"_schema": [NEEDS_IDENTITY]}

    # Reported with the fields' own problems when there are some.
    with pytest.raises(ValidationError) as refused:
        profiles.update_profile(
            profile.id, {"first_name": "", "emails": ["nope"]}, expected_version=None, actor="test"
        )
    assert refused.value.message == "Some fields are invalid."
    assert set(refused.value.fields) == {"_schema", "emails"}


def test_an_edit_not_touching_the_identity_of_a_profile_without_one_is_saved(app):
    profile = factories.make_profile(first_name="Ada", last_name=None, emails=[])
    profile.first_name = None  # as an old import may have left one
    db.session.commit()

    profiles.update_profile(profile.id, {"city": "Roma"}, expected_version=None, actor="test")

    assert db.session.get(Profile, profile.id).city == "Roma"


# --- the records endpoint: empty requests and source names -------------------------------


def test_an_empty_batch_is_422_and_writes_nothing(client, sales):
    errors = _refused(client.post(RECORDS.format("new-shop"), headers=sales, json={"records": []}))

    assert errors["json"] == {"records": ["Send at least one record."]}
    assert (_count(Source), _count(ImportBatch)) == (0, 0)


@pytest.mark.parametrize(
    "name", ["%00", "%01", "ctl%01name", "%10%7C", "a%C2%98%1Bb", "x%E2%80%AEy"]
)
def test_a_source_name_with_control_characters_is_422(client, sales, name):
    record = {"external_id": "1", "email": "one@example.org"}

    response = client.post(RECORDS.format(name), headers=sales, json={"records": [record]})

    assert _refused(response)["path"] == {"source": [ingest.UNPRINTABLE_NAME]}
    assert (_count(Source), _count(Profile)) == (0, 0)


@pytest.mark.parametrize("tags", [True, 3, [True], ["a", 2.5], ["vip", False]])
def test_a_record_whose_tags_are_not_text_is_rejected_saying_so(client, sales, tags):
    record = {"external_id": "1", "email": "one@example.org", "tags": tags}

    reply = client.post(RECORDS.format("shop"), headers=sales, json={"records": [record]})

    [result] = reply.get_json()["results"]
    assert (result["outcome"], result["profile_id"]) == ("rejected", None)
    assert result["reasons"][0].startswith("the record's shape is refused: tags: Must be")
    assert _count(Profile) == 0


# --- sizes --------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_json(app, client, sales):
    app.config["API_MAX_CONTENT_LENGTH"] = 2000
    records = [{"external_id": str(n), "email": f"p{n}@example.org"} for n in range(100)]

    response = client.post(RECORDS.format("shop"), headers=sales, json={"records": records})

    assert _refused(response, 413) is not None
    assert "larger than the API takes (2000 bytes)" in response.get_json()["message"]
    assert _count(Source) == 0
    small = client.post(RECORDS.format("shop"), headers=sales, json={"records": records[:2]})
    assert small.status_code == 200


def test_the_api_body_limit_is_16_mib_unless_configured(monkeypatch):
    assert Config().API_MAX_CONTENT_LENGTH == 16 * 1024 * 1024
    monkeypatch.setenv("CRM_API_MAX_BODY_MB", "2")
    assert Config().API_MAX_CONTENT_LENGTH == 2 * 1024 * 1024


def test_web_uploads_keep_their_own_larger_limit(app):
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["API_MAX_CONTENT_LENGTH"]


@pytest.mark.parametrize(
    ("field", "limit", "item"),
    [
        ("emails", MAX_EMAILS, "p{}@example.org"),
        ("phones", MAX_PHONES, "+39 333 000 {:04d}"),
        ("tags", MAX_TAGS, "t{}"),
    ],
)
def test_lists_of_a_profile_have_a_maximum_length(client, sales, field, limit, item):
    too_many = [item.format(n) for n in range(limit + 1)]
    profile = factories.make_profile()

    created = client.post(
        f"{API}/profiles", headers=sales, json={"first_name": "T", field: too_many}
    )
    edited = client.patch(f"{API}/profiles/{profile.id}", headers=sales, json={field: too_many})

    assert list(_refused(created)["json"]) == [field]
    assert list(_refused(edited)["json"]) == [field]
    spec = client.get(f"{API}/openapi.json").get_json()
    assert spec["components"]["schemas"]["ProfileIn"]["properties"][field]["maxItems"] == limit


# --- the OpenAPI document and the server agree --------------------------------------------


@pytest.fixture
def spec(client):
    """The OpenAPI document."""
    return client.get(f"{API}/openapi.json").get_json()


def _parameter(spec, path: str, name: str) -> dict:
    (found,) = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name]
    return found


def test_the_cursor_pattern_allows_exactly_the_ids_the_server_takes(client, sales, spec):
    for path in ("/api/v1/profiles", "/api/v1/duplicates"):
        pattern = _parameter(spec, path, "cursor")["schema"]["pattern"]
        assert pattern == CURSOR_PATTERN
        assert re.search(pattern, str(MAX_ID)) and re.search(pattern, "1")
        for bad in (str(MAX_ID + 1), "2147483650", "9999999999", "0", "01", "-1"):
            assert not re.search(pattern, bad), bad
    assert client.get(f"{API}/profiles?cursor={MAX_ID}", headers=sales).status_code == 200
    assert client.get(f"{API}/profiles?cursor={MAX_ID + 1}", headers=sales).status_code == 422


def test_the_region_of_records_documents_its_format(spec):
    region = spec["components"]["schemas"]["RecordsIn"]["properties"]["region"]

    assert region["pattern"] == "^[A-Za-z]{2}$"
    assert "two-letter" in region["description"]


def test_a_patch_without_body_is_documented_and_changes_nothing(client, sales, spec):
    profile = factories.make_profile()

    response = client.patch(f"{API}/profiles/{profile.id}", headers=sales)

    assert response.status_code == 200
    assert response.get_json()["version"] == profile.version
    assert not spec["paths"]["/api/v1/profiles/{profile_id}"]["patch"]["requestBody"].get(
        "required"
    )


def test_merging_an_already_merged_profile_is_a_409(client, sales):
    a, b, c = (factories.make_profile(first_name="Marco", last_name="Bianchi") for _ in range(3))
    merging.merge_profiles(a.id, b.id, actor="test")
    db.session.commit()

    errors = _refused(
        client.post(f"{API}/profiles/{c.id}/merge", headers=sales, json={"other_id": b.id}), 409
    )

    assert errors["json"] == {"other_id": ["Already merged."]}


def test_deciding_a_pair_whose_profile_was_merged_meanwhile_is_a_409(client, sales):
    a, b, c = (factories.make_profile(first_name="Marco", last_name="Bianchi") for _ in range(3))
    pair = duplicates.propose(a.id, b.id, 0.9, ["last name: exact"])
    db.session.commit()
    merging.merge_profiles(c.id, b.id, actor="test")
    db.session.commit()

    response = client.post(
        f"{API}/duplicates/{pair.id}/decision", headers=sales, json={"decision": "merge"}
    )

    _refused(response, 409)


def test_a_405_says_which_methods_are_allowed(client, sales):
    profile = factories.make_profile()

    response = client.put(f"{API}/profiles/{profile.id}", headers=sales, json={})

    _refused(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}


def test_the_consents_hint_names_how_consents_really_change(client, sales, spec):
    profile = factories.make_profile()

    errors = _refused(
        client.patch(f"{API}/profiles/{profile.id}", headers=sales, json={"consents": {}})
    )

    (hint,) = errors["json"]["consents"]
    assert "POST /sources/{source}/records" in hint
    assert "/consents" not in hint
    assert "/api/v1/sources/{source}/records" in spec["paths"]


# --- values the importer refuses are refused here too -------------------------------------


@pytest.mark.parametrize("value", ["2999-01-01", "0001-01-01", "1899-12-31"])
def test_a_birth_date_out_of_the_importers_range_is_422(client, sales, value):
    profile = factories.make_profile()

    created = client.post(
        f"{API}/profiles", headers=sales, json={"first_name": "T", "birth_date": value}
    )
    edited = client.patch(f"{API}/profiles/{profile.id}", headers=sales, json={"birth_date": value})

    assert _refused(created)["json"] == {"birth_date": ["date out of range"]}
    assert _refused(edited)["json"] == {"birth_date": ["date out of range"]}
    ok = client.patch(
        f"{API}/profiles/{profile.id}", headers=sales, json={"birth_date": "1985-03-14"}
    )
    assert ok.status_code == 200 and ok.get_json()["birth_date"] == "1985-03-14"


def test_the_document_says_which_roles_may_call_each_operation(app, spec):
    operations = [
        (path, method, operation)
        for path, ops in spec["paths"].items()
        for method, operation in ops.items()
        if isinstance(operation, dict) and "responses" in operation
    ]
    assert operations and all("x-roles" in op for _path, _method, op in operations)
    create = spec["paths"][f"{API}/profiles"]["post"]
    assert create["x-roles"] == ["admin", "sales"]
    assert create["description"].endswith("Roles: admin, sales.")
    search = spec["paths"][f"{API}/profiles"]["get"]
    assert search["x-roles"] == ["admin", "compliance", "marketer", "sales"]


def test_a_profile_with_only_a_tax_id_is_created_as_an_import_would_take_it(client, sales):
    response = client.post(f"{API}/profiles", headers=sales, json={"tax_id": "RSSMRA85E03H501O"})
    assert response.status_code == 201
    assert response.get_json()["tax_id"] == "RSSMRA85E03H501O"
