"""The merges API: manual merge, undo, history; keys, roles and error replies."""

import pytest

from crm.extensions import db
from crm.models import ConsentRecord, Merge, Profile
from crm.models.base import utcnow
from crm.services import duplicates, merging, suspects
from tests import factories

API = "/api/v1"


@pytest.fixture
def sales(api_headers):
    """Headers of a sales user's key."""
    return api_headers("sales")


@pytest.fixture
def two(app):
    """Two live profiles of (probably) one person."""
    a = factories.make_profile(first_name="Marco", last_name="Bianchi")
    b = factories.make_profile(first_name="Marco", last_name="Bianchi", company="Acme")
    return a.id, b.id


def _stored(profile_id: int) -> Profile:
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def _merge(client, headers, survivor_id: int, body: dict):
    return client.post(f"{API}/profiles/{survivor_id}/merge", headers=headers, json=body)


def test_merge_and_undo_round_trip(client, sales, two):
    a, b = two

    response = _merge(client, sales, a, {"other_id": b, "reason": "same phone"})

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body == {"merge_id": body["merge_id"], "survivor_id": a, "merged_id": b}
    assert _stored(b).merged_into_id == a
    merge = db.session.get(Merge, body["merge_id"])
    assert merge.rule == "manual" and merge.reasons == ["same phone"]
    search = client.get(f"{API}/profiles?q=Bianchi", headers=sales).get_json()
    assert [p["id"] for p in search["items"]] == [a]

    response = client.post(f"{API}/merges/{body['merge_id']}/undo", headers=sales)

    assert response.status_code == 200
    assert response.get_json() == {"survivor_id": a, "restored_id": b}
    assert _stored(b).merged_into_id is None
    (item,) = client.get(f"{API}/profiles/{a}/merges", headers=sales).get_json()["items"]
    assert item["undone_at"] is not None
    assert item["undone_by_user_id"] == int(item["actor"].removeprefix("user:"))


def test_merge_history_is_listed_for_any_role(client, api_headers, sales, two):
    a, b = two
    merge_id = _merge(client, sales, a, {"other_id": b}).get_json()["merge_id"]

    response = client.get(f"{API}/profiles/{a}/merges", headers=api_headers("compliance"))

    assert response.status_code == 200
    body = response.get_json()
    assert body["next"] is None
    (item,) = body["items"]
    assert item["id"] == merge_id
    assert (item["survivor_id"], item["merged_id"], item["rule"]) == (a, b, "manual")
    assert item["actor"].startswith("user:")
    assert item["undone_at"] is None and item["undone_by_user_id"] is None
    assert client.get(f"{API}/profiles/{b}/merges", headers=sales).get_json()["items"] == []


# --- keys and roles ---------------------------------------------------------------------


def test_without_key_is_401(client, two):
    a, b = two
    assert client.post(f"{API}/profiles/{a}/merge", json={"other_id": b}).status_code == 401
    assert client.post(f"{API}/merges/1/undo").status_code == 401
    assert client.get(f"{API}/profiles/{a}/merges").status_code == 401
    assert _stored(b).merged_into_id is None


@pytest.mark.parametrize("role", ["marketer", "compliance"])
def test_other_roles_may_not_merge_or_undo(client, api_headers, two, role):
    a, b = two
    headers = api_headers(role)

    response = _merge(client, headers, a, {"other_id": b})
    assert response.status_code == 403
    assert response.is_json
    assert _stored(b).merged_into_id is None

    merge = merging.merge_profiles(a, b, actor="test")
    response = client.post(f"{API}/merges/{merge.id}/undo", headers=headers)
    assert response.status_code == 403
    assert _stored(b).merged_into_id == a


# --- errors -----------------------------------------------------------------------------


def test_unknown_profiles_and_merges_are_404(client, sales, two):
    a, _ = two
    assert _merge(client, sales, 99999, {"other_id": a}).status_code == 404
    response = _merge(client, sales, a, {"other_id": 99999})
    assert response.status_code == 404
    assert response.get_json()["message"]
    assert client.post(f"{API}/merges/99999/undo", headers=sales).status_code == 404
    assert client.get(f"{API}/profiles/99999/merges", headers=sales).status_code == 404


def test_unknown_field_is_422(client, sales, two):
    a, b = two
    response = _merge(client, sales, a, {"other_id": b, "rule": "auto"})
    assert response.status_code == 422
    assert "rule" in response.get_json()["errors"]["json"]
    assert _stored(b).merged_into_id is None


@pytest.mark.parametrize("body", [{}, {"other_id": "x"}, {"other_id": 0}])
def test_missing_or_bad_other_id_is_422(client, sales, two, body):
    response = _merge(client, sales, two[0], body)
    assert response.status_code == 422
    assert "other_id" in response.get_json()["errors"]["json"]


def test_merge_with_itself_is_422_and_with_a_merged_profile_409(client, sales, two):
    a, b = two
    assert _merge(client, sales, a, {"other_id": a}).status_code == 422
    assert _merge(client, sales, a, {"other_id": b}).status_code == 201

    response = _merge(client, sales, a, {"other_id": b})

    # A state conflict, as a decided pair or the undo order are.
    assert response.status_code == 409
    assert response.get_json()["message"]


def test_undo_twice_is_409(client, sales, two):
    a, b = two
    merge_id = _merge(client, sales, a, {"other_id": b}).get_json()["merge_id"]
    assert client.post(f"{API}/merges/{merge_id}/undo", headers=sales).status_code == 200

    response = client.post(f"{API}/merges/{merge_id}/undo", headers=sales)

    assert response.status_code == 409
    assert response.get_json()["code"] == 409


def test_undo_out_of_order_is_409(client, sales, two):
    a, b = two
    c = factories.make_profile().id
    first = _merge(client, sales, a, {"other_id": b}).get_json()["merge_id"]
    _merge(client, sales, a, {"other_id": c})

    response = client.post(f"{API}/merges/{first}/undo", headers=sales)

    assert response.status_code == 409
    assert _stored(b).merged_into_id == a


def test_openapi_documents_the_merge_endpoints(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    merge = paths["/api/v1/profiles/{profile_id}/merge"]["post"]
    assert {"201", "401", "403", "404", "422"} <= set(merge["responses"])
    assert "post" in paths["/api/v1/merges/{merge_id}/undo"]
    assert "get" in paths["/api/v1/profiles/{profile_id}/merges"]


def test_a_merged_profile_says_where_it_went_and_refuses_edits(client, api_headers):
    from crm.services import merging

    headers = api_headers("sales")
    survivor = factories.make_profile()
    other = factories.make_profile()
    survivor_id, other_id = survivor.id, other.id
    merging.merge_profiles(survivor_id, other_id, actor="test")
    body = client.get(f"/api/v1/profiles/{other_id}", headers=headers).get_json()
    assert body["merged_into"] == survivor_id
    assert (
        client.get(f"/api/v1/profiles/{survivor_id}", headers=headers).get_json()["merged_into"]
        is None
    )
    response = client.patch(f"/api/v1/profiles/{other_id}", json={"city": "Roma"}, headers=headers)
    assert response.status_code == 409
    assert str(survivor_id) in response.get_json()["message"]


def test_a_merge_by_api_puts_the_survivors_new_likely_duplicates_in_the_queue(client, sales):
    mk = factories.make_profile
    half = mk(first_name="Giulia", last_name="Ferraresi", birth_date="1985-03-14", emails=[])
    other = mk(first_name="Giulia", last_name="Ferraresi", company="Acme Srl")
    third = mk(first_name="Giulia", last_name="Ferraresi", birth_date="1985-03-14", company="Acme")
    assert _merge(client, sales, half.id, {"other_id": other.id}).status_code == 201
    rows, _cursor = duplicates.open_candidates()
    assert [(c.profile_a_id, c.profile_b_id) for c in rows] == [(half.id, third.id)]


def test_a_profile_merged_away_reads_the_consents_of_the_person_it_is_part_of(
    client, sales, two, app
):
    a, b = two
    for pid, status in ((a, "granted"), (b, "withdrawn")):
        db.session.add(
            ConsentRecord(
                profile_id=pid,
                purpose="email_marketing",
                status=status,
                legal_basis="consent",
                recorded_at=utcnow(),
            )
        )
    db.session.commit()
    merging.merge_profiles(a, b, actor="test")
    c = factories.make_profile(first_name="Marco", last_name="Bianchi", city="Roma").id
    merging.merge_profiles(c, a, actor="test")  # a merge of a merge: b is in a, a in c
    for pid in (b, a, c):
        read = client.get(f"{API}/profiles/{pid}", headers=sales).get_json()
        # Not "not asked": the person withdrew, and the merged profile says so.
        assert read["consents"]["email_marketing"] == "withdrawn", pid
    assert client.get(f"{API}/profiles/{b}", headers=sales).get_json()["merged_into"] == a


def test_merge_of_a_pair_marked_distinct_needs_confirmation(client, sales, two):
    a, b = two
    pair = suspects.propose(a, b, 0.7, ["name: same"])
    duplicates.decide(pair.id, "distinct", actor="test")

    response = _merge(client, sales, a, {"other_id": b})

    assert response.status_code == 409
    body = response.get_json()
    assert "marked as different people" in body["message"]
    assert "confirm_distinct" in body["errors"]["json"]
    assert _stored(b).merged_into_id is None

    response = _merge(client, sales, a, {"other_id": b, "confirm_distinct": True})

    assert response.status_code == 201, response.get_json()
    assert _stored(b).merged_into_id == a


def test_an_undo_with_later_undoes_the_merges_that_build_on_it(client, sales, two):
    a, b = two
    c = factories.make_profile(first_name="Marco", last_name="Bianchi", city="Asti").id
    first = merging.merge_profiles(a, b, actor="test")
    merging.merge_profiles(a, c, actor="test")
    url = f"{API}/merges/{first.id}/undo"
    refused = client.post(url, headers=sales)
    assert refused.status_code == 409
    assert client.post(f"{url}?with_later=maybe", headers=sales).status_code == 422
    done = client.post(f"{url}?with_later=true", headers=sales)
    assert done.status_code == 200, done.get_json()
    assert done.get_json() == {"survivor_id": a, "restored_id": b}
    assert _stored(b).merged_into_id is None and _stored(c).merged_into_id is None
    pair = suspects.find_pair(a, c)
    assert (pair.status, pair.reasons[0]) == ("open", merging.REOPENED)
