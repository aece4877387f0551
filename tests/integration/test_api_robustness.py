"""Hostile or careless input: ids no row can have, bodies nested too deep or not sent as
JSON, a merge of a profile with itself. Each gets a clear 4xx, never a 500."""

import pytest

from crm.extensions import MAX_ID, db
from crm.models import Profile
from crm.services import merging
from crm.views.api.common import MAX_JSON_DEPTH
from tests import factories

API = "/api/v1"
# Past PostgreSQL's integer columns (out of range there) and past SQLite's (overflow).
BEYOND_POSTGRES = 9_999_999_999
BEYOND_SQLITE = 99_999_999_999_999_999_999
TOO_BIG = pytest.mark.parametrize("big", [MAX_ID + 1, BEYOND_POSTGRES, BEYOND_SQLITE])


@pytest.fixture
def admin(api_headers):
    """Headers of an admin's key."""
    return api_headers("admin")


@pytest.fixture
def profile_id(app):
    """A live profile's id."""
    return factories.make_profile().id


def _error(response, status: int) -> dict:
    """The JSON error body of response, checked for its status and shared shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == status and body["status"] and body["message"]
    return body


@TOO_BIG
def test_api_path_ids_no_row_can_have_are_404(client, admin, profile_id, big):
    requests = [
        ("get", f"{API}/profiles/{big}", None),
        ("patch", f"{API}/profiles/{big}", {"city": "Roma"}),
        ("get", f"{API}/profiles/{big}/merges", None),
        ("post", f"{API}/profiles/{big}/merge", {"other_id": profile_id}),
        ("post", f"{API}/merges/{big}/undo", None),
        ("get", f"{API}/duplicates/{big}", None),
        ("post", f"{API}/duplicates/{big}/decision", {"decision": "distinct"}),
    ]
    for method, url, body in requests:
        response = getattr(client, method)(url, headers=admin, json=body)

        _error(response, 404)


def test_the_largest_id_still_reaches_the_database(client, admin):
    response = client.get(f"{API}/profiles/{MAX_ID}", headers=admin)

    assert _error(response, 404)["message"] == "No such profile."


@TOO_BIG
def test_web_path_ids_no_row_can_have_are_404(client, auth, profile_id, big):
    auth.login_as("admin")
    token = factories.csrf_token(client, "/account")
    pages = [
        f"/profiles/{big}",
        f"/profiles/{big}/edit",
        f"/profiles/{big}/merge",
        f"/profiles/{profile_id}/merge/{big}",
        f"/profiles/{big}/merge/{profile_id}",
        f"/profiles/{profile_id}/records/{big}/detach",
        f"/duplicates/{big}",
        f"/admin/users/{big}",
        f"/admin/sources/{big}",
    ]
    for page in pages:
        assert client.get(page).status_code == 404, page
    buttons = [
        f"/profiles/merges/{big}/undo",
        f"/duplicates/{big}/decide",
        f"/account/api-keys/{big}/revoke",
    ]
    for button in buttons:
        assert client.post(button, data={"csrf_token": token}).status_code == 404, button


@TOO_BIG
def test_a_body_id_no_row_can_have_is_422_for_that_field(client, admin, profile_id, big):
    response = client.post(
        f"{API}/profiles/{profile_id}/merge", headers=admin, json={"other_id": big}
    )

    body = _error(response, 422)
    assert list(body["errors"]["json"]) == ["other_id"]
    assert str(MAX_ID) in body["errors"]["json"]["other_id"][0]


@TOO_BIG
def test_a_cursor_no_row_can_have_is_422(client, admin, big):
    for url in (f"{API}/profiles", f"{API}/duplicates"):
        response = client.get(url, headers=admin, query_string={"cursor": str(big)})

        body = _error(response, 422)
        assert body["errors"]["query"] == {"cursor": ["Not a valid cursor."]}


def test_the_largest_cursor_pages_normally(client, admin, profile_id):
    response = client.get(f"{API}/profiles", headers=admin, query_string={"cursor": MAX_ID})

    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == [profile_id]


@TOO_BIG
def test_web_lists_ignore_a_page_cursor_no_row_can_have(client, auth, profile_id, big):
    auth.login_as("admin")

    assert client.get(f"/profiles/?after={big}").status_code == 200
    assert client.get(f"/duplicates/?after={big}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        "[" * 5000,  # the decoder gives up (RecursionError) before seeing it is cut short
        "[" * 5000 + "]" * 5000,
        '{"records": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
    ids=["unterminated", "well-formed", "very-deep"],
)
def test_a_body_nested_too_deep_for_the_decoder_is_invalid_json(client, admin, body):
    response = client.post(
        f"{API}/sources/web/records", headers=admin, data=body, content_type="application/json"
    )

    assert _error(response, 400)["message"] == "The body is not valid JSON."


def test_a_body_nested_deeper_than_the_api_allows_is_invalid_json(client, admin):
    # It decodes, but how deep the decoder and what walks the body after it can go depends
    # on the server's stack; the API draws one line for all, far below it.
    evidence = '{"form": ' + "[" * 500 + "]" * 500 + "}"
    consent = '{"purpose": "email_marketing", "status": "granted", "evidence": ' + evidence + "}"
    record = f'{{"id": "A1", "email": "ada@example.com", "consents": [{consent}]}}'

    response = client.post(
        f"{API}/sources/web/records",
        headers=admin,
        data=f'{{"records": [{record}]}}',
        content_type="application/json",
    )

    body = _error(response, 400)
    assert body["message"] == "The body is not valid JSON."
    assert "levels deep" in body["errors"]["json"][0]
    assert db.session.query(Profile).count() == 0


def test_nesting_is_counted_from_the_body_itself(client, admin, profile_id):
    def patch(levels: int):
        # The body is the first level, and city's lists the others.
        city = "[" * (levels - 1) + "]" * (levels - 1)
        return client.patch(
            f"{API}/profiles/{profile_id}",
            headers=admin,
            data=f'{{"city": {city}}}',
            content_type="application/json",
        )

    assert _error(patch(MAX_JSON_DEPTH), 422)["errors"]["json"]["city"]
    assert _error(patch(MAX_JSON_DEPTH + 1), 400)["message"] == "The body is not valid JSON."


def test_evidence_nested_a_few_levels_is_accepted(client, admin):
    evidence = {"form": {"page": {"fields": [{"name": "consent", "checked": [True]}]}}}
    consent = {"purpose": "email_marketing", "status": "granted", "evidence": evidence}
    record = {"id": "A1", "email": "ada@example.com", "consents": [consent]}

    response = client.post(f"{API}/sources/web/records", headers=admin, json={"records": [record]})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["results"][0]["outcome"] == "created"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "text/csv", None]
)
def test_a_json_body_sent_as_another_type_is_415(client, admin, profile_id, content_type):
    posts = [
        ("post", f"{API}/sources/web/records", '{"records": []}'),
        ("post", f"{API}/profiles", '{"first_name": "Ada"}'),
        ("patch", f"{API}/profiles/{profile_id}", '{"city": "Roma"}'),
        ("post", f"{API}/profiles/{profile_id}/merge", '{"other_id": 1}'),
        ("post", f"{API}/duplicates/1/decision", '{"decision": "distinct"}'),
    ]
    for method, url, data in posts:
        response = getattr(client, method)(url, headers=admin, data=data, content_type=content_type)

        body = _error(response, 415)
        assert "application/json" in body["message"]
        assert "Content-Type" in body["errors"]["headers"]
    assert db.session.query(Profile).count() == 1


def test_a_json_body_with_a_json_media_type_and_charset_is_read(client, admin):
    response = client.post(
        f"{API}/sources/web/records",
        headers=admin,
        data='{"records": [{"id": "A1", "first_name": "Ada"}]}',
        content_type="application/json; charset=utf-8",
    )

    assert response.status_code == 200, response.get_json()


def test_requests_without_a_body_are_not_asked_for_json(client, admin, profile_id):
    other = factories.make_profile().id
    merge = merging.merge_profiles(profile_id, other, actor="test")
    plain = {**admin, "Content-Type": "text/plain"}

    assert client.get(f"{API}/profiles/{profile_id}", headers=plain).status_code == 200
    assert client.get(f"{API}/profiles?q=Giulia", headers=plain).status_code == 200
    response = client.post(f"{API}/merges/{merge.id}/undo", headers=plain)
    assert response.status_code == 200, response.get_json()
    # An empty body where one is needed: the missing fields, as before.
    response = client.post(f"{API}/sources/web/records", headers=plain)
    assert _error(response, 422)["errors"]["json"] == {
        "records": ["Missing data for required field."]
    }


def test_merging_a_profile_with_itself_is_refused_on_opening_the_page(client, auth, profile_id):
    auth.login_as("sales")

    response = client.get(f"/profiles/{profile_id}/merge/{profile_id}")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/profiles/{profile_id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The profiles were not merged: A profile cannot be merged with itself." in page
    assert 'id="merge-form"' not in page


def test_confirming_a_self_merge_anyway_merges_nothing(client, auth, profile_id):
    auth.login_as("sales")
    token = factories.csrf_token(client, "/account")

    response = client.post(f"/profiles/{profile_id}/merge/{profile_id}", data={"csrf_token": token})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/profiles/{profile_id}")
    assert db.session.get(Profile, profile_id).merged_into_id is None
    assert merging.merge_history(profile_id) == []


@TOO_BIG
def test_a_score_or_owner_no_column_can_hold_is_422(client, admin, profile_id, big):
    url = f"{API}/profiles/{profile_id}"
    body = _error(client.patch(url, headers=admin, json={"score": big}), 422)
    assert "score" in body["errors"]["json"]
    body = _error(client.patch(url, headers=admin, json={"owner": str(big)}), 422)
    assert body["errors"]["json"]["owner"] == ["No such active user."]


@TOO_BIG
def test_looking_for_a_profile_to_merge_by_an_id_no_row_can_have_finds_none(
    client, auth, profile_id, big
):
    auth.login_as("sales")
    response = client.get(f"/profiles/{profile_id}/merge?q=%23{big}")
    assert response.status_code == 200
