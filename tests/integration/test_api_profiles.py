"""The profiles API: keys and roles, search and paging, ETag / If-Match, input checks."""

from types import SimpleNamespace

import pytest

from crm.extensions import db
from crm.models import Profile
from crm.services import duplicates, profiles, users
from tests import factories

API = "/api/v1/profiles"


@pytest.fixture
def sales(api_headers):
    """Headers of a sales user's key."""
    return api_headers("sales")


def _stored(profile_id: int) -> Profile:
    """The profile as the database holds it now, not as this session remembers it."""
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


# --- keys and roles ---------------------------------------------------------------------


def test_list_without_key_is_401_json(client):
    response = client.get(API)
    assert response.status_code == 401
    assert response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_detail_with_unknown_key_is_401(client):
    profile = factories.make_profile()
    response = client.get(f"{API}/{profile.id}", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_revoked_key_is_refused(client):
    user = factories.make_user(role="sales")
    key, record = users.create_api_key(user, "script", actor="test")
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(API, headers=headers).status_code == 200

    users.revoke_api_key(record.id, actor=user)

    response = client.get(API, headers=headers)
    assert response.status_code == 401
    assert response.is_json


def test_marketer_may_read_but_not_edit(client, api_headers):
    profile = factories.make_profile()
    headers = api_headers("marketer")
    assert client.get(f"{API}/{profile.id}", headers=headers).status_code == 200

    response = client.patch(f"{API}/{profile.id}", headers=headers, json={"stage": "mql"})

    assert response.status_code == 403
    assert response.get_json()["code"] == 403
    assert _stored(profile.id).stage == "lead"


def test_compliance_may_not_create(client, api_headers):
    response = client.post(API, headers=api_headers("compliance"), json={"first_name": "Ada"})
    assert response.status_code == 403
    assert response.is_json


def test_refusals_of_role_and_key_have_the_shared_error_shape(client, api_headers):
    forbidden = client.post(API, headers=api_headers("marketer"), json={"first_name": "Ada"})
    assert forbidden.status_code == 403
    assert forbidden.get_json() == {
        "code": 403,
        "status": "Forbidden",
        "message": "Your role (marketer) may not do this; it needs admin or sales.",
    }
    unauthorised = client.get(API)
    assert unauthorised.status_code == 401
    body = unauthorised.get_json()
    assert (body["code"], body["status"]) == (401, "Unauthorized")
    assert "API key" in body["message"]
    # The same shape as an error flask-smorest answers itself.
    missing = client.get(f"{API}/999999", headers=api_headers("marketer")).get_json()
    assert set(missing) == set(body) and missing["status"] == "Not Found"


# --- search and paging ------------------------------------------------------------------


@pytest.fixture
def people():
    """Three profiles that differ in name, email, phone and company."""
    return {
        "marco": factories.make_profile(
            first_name="Marco", last_name="Bianchi", emails=["mb@acme.example"], company="Acme"
        ),
        "sara": factories.make_profile(
            first_name="Sara",
            last_name="Verdi",
            emails=["sara@verdi.example"],
            phones=["+39 347 123 4567"],
            company="Lumen",
        ),
        "luca": factories.make_profile(
            first_name="Luca", last_name="Neri", emails=["luca@neri.example"], company="Acme"
        ),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("bianchi", {"marco"}),
        ("Sara Verdi", {"sara"}),
        ("sara@verdi", {"sara"}),
        ("347 123 4567", {"sara"}),
        ("acme", {"marco", "luca"}),
    ],
)
def test_search_by_name_email_phone_company(client, sales, people, q, expected):
    response = client.get(API, headers=sales, query_string={"q": q})
    assert response.status_code == 200
    found = {item["id"] for item in response.get_json()["items"]}
    assert found == {people[name].id for name in expected}


def test_list_item_has_the_unified_shape(client, sales, people):
    body = client.get(API, headers=sales, query_string={"q": "sara@verdi"}).get_json()
    (item,) = body["items"]
    assert item["first_name"] == "Sara"
    assert item["company"] == "Lumen"
    assert item["email"] == "sara@verdi.example"
    assert item["emails"] == ["sara@verdi.example"]
    assert item["phones"] == ["+393471234567"]
    assert item["stage"] == "lead"
    assert item["consents"]["email_marketing"] == "none"
    assert item["source_records"] == [{"source": "manual", "external_id": None}]
    assert item["created_at"].endswith("+00:00")
    assert body["next"] is None


def test_cursor_pages_through_everything_once(client, sales):
    ids = {factories.make_profile().id for _ in range(5)}
    seen, cursor, pages = [], None, 0
    while True:
        args = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get(API, headers=sales, query_string=args).get_json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(ids, reverse=True)


@pytest.mark.parametrize("args", [{"limit": 0}, {"limit": 201}, {"cursor": "abc"}])
def test_bad_paging_arguments_are_422(client, sales, args):
    response = client.get(API, headers=sales, query_string=args)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["query"]) == set(args)


# --- read, ETag and If-Match ------------------------------------------------------------


def test_get_carries_an_etag_of_the_version(client, sales):
    profile = factories.make_profile()
    response = client.get(f"{API}/{profile.id}", headers=sales)
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == profile.id
    assert response.headers["ETag"] == f'W/"{body["version"]}"'


def test_unknown_profile_is_404_json(client, sales):
    response = client.get(f"{API}/999999", headers=sales)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404
    patched = client.patch(f"{API}/999999", headers=sales, json={"stage": "mql"})
    assert patched.status_code == 404


def test_patch_with_matching_if_match_applies_and_returns_new_etag(client, sales):
    profile = factories.make_profile()
    etag = client.get(f"{API}/{profile.id}", headers=sales).headers["ETag"]

    response = client.patch(
        f"{API}/{profile.id}",
        headers={**sales, "If-Match": etag},
        json={"stage": "mql", "stage_reason": "downloaded the whitepaper", "city": "Torino"},
    )

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["stage"], body["city"]) == ("mql", "Torino")
    assert response.headers["ETag"] != etag
    assert response.headers["ETag"] == f'W/"{body["version"]}"'
    assert _stored(profile.id).stage == "mql"


def test_patch_with_stale_if_match_is_412_and_writes_nothing(client, sales):
    profile = factories.make_profile(city="Milano")
    stale = client.get(f"{API}/{profile.id}", headers=sales).headers["ETag"]
    client.patch(f"{API}/{profile.id}", headers=sales, json={"company": "Acme"})
    version = _stored(profile.id).version

    response = client.patch(
        f"{API}/{profile.id}", headers={**sales, "If-Match": stale}, json={"city": "Roma"}
    )

    assert response.status_code == 412
    assert response.is_json
    assert "If-Match" in response.get_json()["errors"]["headers"]
    stored = _stored(profile.id)
    assert (stored.city, stored.version) == ("Milano", version)


def test_edit_racing_past_the_check_is_still_412(client, sales, monkeypatch):
    """A change landing between the view's ETag check and the service's locked read."""
    from crm.views.api import profiles as api_profiles

    profile = factories.make_profile()
    read_version = profile.version
    client.patch(f"{API}/{profile.id}", headers=sales, json={"company": "Acme"})
    monkeypatch.setattr(
        api_profiles, "get_profile_or_404", lambda _id: SimpleNamespace(version=read_version)
    )

    response = client.patch(
        f"{API}/{profile.id}",
        headers={**sales, "If-Match": f'W/"{read_version}"'},
        json={"city": "Roma"},
    )

    assert response.status_code == 412
    assert _stored(profile.id).city is None


def test_patch_without_if_match_applies(client, sales):
    profile = factories.make_profile()
    response = client.patch(f"{API}/{profile.id}", headers=sales, json={"company": "Acme"})
    assert response.status_code == 200
    assert response.headers["ETag"]
    assert _stored(profile.id).company == "Acme"


def test_patch_reads_a_stage_in_any_case_and_says_how_to_write_a_date(client, sales):
    profile = factories.make_profile()
    url = f"{API}/{profile.id}"
    response = client.patch(url, headers=sales, json={"stage": "MQL"})
    assert response.status_code == 200, response.get_json()
    assert _stored(profile.id).stage == "mql"
    refused = client.patch(url, headers=sales, json={"birth_date": "15/07/1990"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["birth_date"] == [
        "Not a valid date: write it as YYYY-MM-DD (1990-07-15)."
    ]


def test_patch_tags_and_owner(client, sales):
    owner = factories.make_user(role="sales")
    profile = factories.make_profile()
    response = client.patch(
        f"{API}/{profile.id}",
        headers=sales,
        json={"tags": ["webinar", "vip"], "owner": owner.email},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["tags"] == ["vip", "webinar"]
    assert body["owner"] == owner.email


def test_patch_owner_by_id_as_a_number_or_as_text(client, sales):
    first, second = factories.make_user(role="sales"), factories.make_user(role="admin")
    profile = factories.make_profile()
    url = f"{API}/{profile.id}"

    by_number = client.patch(url, headers=sales, json={"owner": first.id})
    assert (by_number.status_code, by_number.get_json()["owner"]) == (200, first.email)
    by_text = client.patch(url, headers=sales, json={"owner": str(second.id)})
    assert (by_text.status_code, by_text.get_json()["owner"]) == (200, second.email)

    for bad in (True, ["x"], 1.5):
        refused = client.patch(url, headers=sales, json={"owner": bad})
        assert refused.status_code == 422
        assert refused.get_json()["errors"]["json"]["owner"] == ["Not a valid email or user id."]


# --- input checks -----------------------------------------------------------------------


def test_patch_unknown_field_is_422_per_field(client, sales):
    profile = factories.make_profile()
    response = client.patch(
        f"{API}/{profile.id}", headers=sales, json={"favourite_colour": "blue", "city": "Roma"}
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"]
    assert body["errors"]["json"] == {"favourite_colour": ["Unknown field."]}
    assert _stored(profile.id).city is None


@pytest.mark.parametrize(
    "field", ["id", "version", "created_at", "provenance", "source_records", "email"]
)
def test_patch_read_only_field_is_422_naming_it(client, sales, field):
    profile = factories.make_profile()
    response = client.patch(f"{API}/{profile.id}", headers=sales, json={field: 12345})
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["json"][field]
    assert message.startswith("Read-only")


def test_patch_invalid_email_is_422_with_field_message(client, sales):
    profile = factories.make_profile()
    response = client.patch(
        f"{API}/{profile.id}", headers=sales, json={"emails": ["not-an-address"]}
    )
    assert response.status_code == 422
    (message,) = response.get_json()["errors"]["json"]["emails"]
    assert "not-an-address" in message
    assert _stored(profile.id).primary_email == profile.primary_email


def test_patch_body_that_is_not_json_is_400_json(client, sales):
    profile = factories.make_profile()
    response = client.patch(
        f"{API}/{profile.id}",
        headers={**sales, "Content-Type": "application/json"},
        data="{not json",
    )
    assert response.status_code == 400
    assert response.get_json()["message"]


def test_patch_bad_stage_is_422(client, sales):
    profile = factories.make_profile()
    response = client.patch(f"{API}/{profile.id}", headers=sales, json={"stage": "hot"})
    assert response.status_code == 422
    assert "stage" in response.get_json()["errors"]["json"]
    assert _stored(profile.id).stage == "lead"


def test_patch_email_of_another_profile_is_409(client, sales):
    other = factories.make_profile(emails=["taken@example.com"])
    profile = factories.make_profile()
    response = client.patch(
        f"{API}/{profile.id}", headers=sales, json={"emails": ["taken@example.com"]}
    )
    assert response.status_code == 409
    assert "emails" in response.get_json()["errors"]["json"]
    assert _stored(other.id).primary_email == "taken@example.com"


# --- create -----------------------------------------------------------------------------


def test_post_creates_profile_with_manual_source_record(client, sales):
    response = client.post(
        API,
        headers=sales,
        json={"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@example.com"]},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["source_records"] == [{"source": "manual", "external_id": None}]
    assert body["email"] == "ada@example.com"
    assert response.headers["ETag"] == f'W/"{body["version"]}"'
    assert response.headers["Location"].endswith(f"{API}/{body['id']}")
    assert _stored(body["id"]).last_name == "Lovelace"


def test_post_of_someone_already_here_creates_and_queues_the_pair(client, sales):
    known = factories.make_profile(first_name="Ada", last_name="Lovelace", company="Analytical")
    person = {"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines"}
    response = client.post(API, headers=sales, json=person)
    assert response.status_code == 201, response.get_json()
    [pair] = duplicates.open_candidates()[0]
    assert {pair.profile_a_id, pair.profile_b_id} == {known.id, response.get_json()["id"]}


def test_post_with_on_duplicate_refuse_is_409_listing_who_it_looks_like(client, sales):
    known = factories.make_profile(first_name="Ada", last_name="Lovelace", company="Analytical")
    person = {"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines"}
    response = client.post(f"{API}?on_duplicate=refuse", headers=sales, json=person)
    assert response.status_code == 409
    [found] = response.get_json()["errors"]["json"]["duplicates"]
    assert found.startswith(f"profile {known.id} (Ada Lovelace): score ")
    assert db.session.query(Profile).count() == 1
    bogus = client.post(f"{API}?on_duplicate=merge", headers=sales, json=person)
    assert bogus.status_code == 422
    assert "on_duplicate" in bogus.get_json()["errors"]["query"]


def test_post_lists_the_review_pairs_it_queued(client, sales):
    known = factories.make_profile(first_name="Ada", last_name="Lovelace", company="Analytical")
    person = {"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines"}
    response = client.post(API, headers=sales, json=person)
    assert response.status_code == 201, response.get_json()
    [pair] = duplicates.open_candidates()[0]
    assert response.get_json()["review_pairs"] == [
        {"id": pair.id, "profile_id": known.id, "score": pair.score}
    ]
    queued = client.get(f"/api/v1/duplicates/{pair.id}", headers=sales).get_json()
    assert {queued["a"], queued["b"]} == {known.id, response.get_json()["id"]}

    alone = client.post(API, headers=sales, json={"first_name": "Grace", "last_name": "Hopper"})
    assert alone.status_code == 201
    assert alone.get_json()["review_pairs"] == []


def test_refused_post_lists_the_look_alikes_by_id_score_and_reasons(client, sales):
    known = factories.make_profile(
        first_name="Ada", last_name="Lovelace", company="Analytical", emails=["ada@example.com"]
    )
    person = {"first_name": "Ada", "last_name": "Lovelace", "company": "Analytical Engines"}
    refused = client.post(f"{API}?on_duplicate=refuse", headers=sales, json=person).get_json()
    assert (refused["code"], refused["status"]) == (409, "Conflict")
    assert refused["message"].startswith("This person may already be in the CRM")
    assert "on_duplicate=review" in refused["message"]  # what an API client can do
    [found] = refused["details"]["duplicates"]
    assert set(found) == {"profile_id", "score", "reasons"}
    assert found["profile_id"] == known.id
    # The same evidence the review queue gives once the pair is queued, and no more.
    created = client.post(API, headers=sales, json=person).get_json()
    [pair] = created["review_pairs"]
    queued = client.get(f"/api/v1/duplicates/{pair['id']}", headers=sales).get_json()
    assert found["score"] == queued["score"]
    assert queued["reasons"][1:] == found["reasons"]
    for personal in ("Ada", "Lovelace", "Analytical", "ada@example.com"):
        assert personal not in str(refused["details"])


def test_post_without_name_email_or_phone_is_422(client, sales):
    response = client.post(API, headers=sales, json={"company": "Acme"})
    assert response.status_code == 422
    assert "_schema" in response.get_json()["errors"]["json"]
    assert db.session.query(Profile).count() == 0


def test_patch_tax_id_is_normalised_and_a_bad_one_is_422(client, sales):
    profile = factories.make_profile()
    response = client.patch(f"{API}/{profile.id}", headers=sales, json={"tax_id": "123-45-6789"})
    assert response.status_code == 200
    assert response.get_json()["tax_id"] == "123456789"
    bad = client.patch(f"{API}/{profile.id}", headers=sales, json={"tax_id": "n/a"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"]["json"]["tax_id"]
    assert _stored(profile.id).tax_id == "123456789"


def test_only_a_sales_rep_or_an_admin_owns_a_profile(client, sales):
    profile = factories.make_profile()
    marketer = factories.make_user(role="marketer")
    refused = client.patch(f"{API}/{profile.id}", headers=sales, json={"owner": marketer.email})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["owner"] == [profiles.NOT_AN_OWNER]
    assert marketer not in profiles.assignable_owners()
