"""The review-queue API: list the open pairs (filtered, paged), read one, decide it."""

import pytest

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile
from crm.services import duplicates, ingest, users
from tests import factories

API = "/api/v1/duplicates"


def _key(role: str = "sales"):
    """(user, Authorization headers) of a new user of role."""
    user = factories.make_user(role=role)
    key, _ = users.create_api_key(user, "test", actor="test")
    return user, {"Authorization": f"Bearer {key}"}


def _queue(score: float, a=None, b=None) -> DuplicateCandidate:
    """A committed open pair of two profiles (new ones unless given)."""
    a = a or factories.make_profile()
    b = b or factories.make_profile()
    pair = duplicates.propose(a.id, b.id, score, ["last name: exact"])
    db.session.commit()
    return pair


def _from(source: str) -> Profile:
    """A profile imported from source."""
    result = ingest.import_records(
        [{"first_name": "Ada", "email": f"ada@{source}.example"}], source_name=source
    )
    return db.session.get(Profile, result["results"][0]["profile_id"])


def test_reviewers_list_the_open_pairs_filtered_and_paged(client):
    rep, headers = _key("sales")
    mine = _queue(0.95, a=factories.make_profile(owner=rep.id))
    fair = _queue(0.85, a=_from("fair"))
    low = _queue(0.6)

    def ids(query: str = "") -> list[int]:
        response = client.get(f"{API}{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids() == [mine.id, fair.id, low.id]
    assert ids("?mine=true") == [mine.id]
    assert ids("?source=fair") == [fair.id]
    assert ids("?min_score=0.8") == [mine.id, fair.id]
    page = client.get(f"{API}?limit=2", headers=headers).get_json()
    assert [i["id"] for i in page["items"]] == [mine.id, fair.id]
    rest = client.get(f"{API}?limit=2&cursor={page['next']}", headers=headers).get_json()
    assert [i["id"] for i in rest["items"]] == [low.id] and rest["next"] is None
    first = page["items"][0]
    assert (first["a"], first["b"]) == (mine.profile_a_id, mine.profile_b_id)
    assert (first["score"], first["reasons"], first["status"]) == (
        0.95,
        ["last name: exact"],
        "open",
    )


def test_a_bad_filter_is_422_with_its_field(client):
    _rep, headers = _key("sales")
    response = client.get(f"{API}?min_score=2", headers=headers)
    assert response.status_code == 422
    assert "min_score" in response.get_json()["errors"]["query"]
    misspelt = client.get(f"{API}?source=fiar", headers=headers)
    assert misspelt.status_code == 422
    assert "source" in misspelt.get_json()["errors"]["query"]


@pytest.mark.parametrize("role", ["marketer", "compliance"])
def test_only_reviewers_may_see_or_decide(client, role):
    pair = _queue(0.9)
    _user, headers = _key(role)
    assert client.get(API, headers=headers).status_code == 403
    decision = client.post(
        f"{API}/{pair.id}/decision", headers=headers, json={"decision": "distinct"}
    )
    assert decision.status_code == 403
    assert client.get(API).status_code == 401


def test_a_merge_decision_gives_the_merge_to_undo(client):
    _rep, headers = _key("sales")
    pair = _queue(0.9)
    body = {"decision": "merge", "survivor": "b"}
    response = client.post(f"{API}/{pair.id}/decision", headers=headers, json=body)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["pair"]["status"] == "merged" and result["pair"]["decided_at"]
    db.session.expire_all()
    assert db.session.get(Profile, pair.profile_a_id).merged_into_id == pair.profile_b_id
    again = client.post(f"{API}/{pair.id}/decision", headers=headers, json=body)
    assert again.status_code == 409
    read = client.get(f"{API}/{pair.id}", headers=headers).get_json()
    assert (read["merge_id"], read["a"], read["status"]) == (
        result["merge_id"],
        pair.profile_a_id,
        "merged",
    )
    undo = client.post(f"/api/v1/merges/{result['merge_id']}/undo", headers=headers)
    assert undo.status_code == 200
    # Undone: the reviewer who undid it said two people.
    assert client.get(f"{API}/{pair.id}", headers=headers).get_json()["status"] == "distinct"


def test_a_distinct_decision_is_never_proposed_again(client):
    _rep, headers = _key("admin")
    pair = _queue(0.9)
    response = client.post(
        f"{API}/{pair.id}/decision", headers=headers, json={"decision": "distinct"}
    )
    assert response.status_code == 200
    assert response.get_json()["merge_id"] is None
    read = client.get(f"{API}/{pair.id}", headers=headers).get_json()
    assert (read["status"], read["merge_id"]) == ("distinct", None)
    assert duplicates.propose(pair.profile_a_id, pair.profile_b_id, 1.0, []) is None
    assert client.get(API, headers=headers).get_json()["items"] == []


def test_bad_decisions_are_422_per_field_and_unknown_pairs_404(client):
    _rep, headers = _key("sales")
    pair = _queue(0.9)
    body = {"decision": "maybe", "survivor": "c", "note": "x"}
    response = client.post(f"{API}/{pair.id}/decision", headers=headers, json=body)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]["json"]) == {"decision", "survivor", "note"}
    assert client.get(f"{API}/999999", headers=headers).status_code == 404
    missing = client.post(f"{API}/999999/decision", headers=headers, json={"decision": "distinct"})
    assert missing.status_code == 404


def test_an_open_pair_whose_profile_was_merged_elsewhere_reads_as_stale(client):
    """A user test: such a pair left the queue but read as a plain open pair."""
    from crm.services import merging

    _rep, headers = _key("sales")
    pair = _queue(0.8)
    assert client.get(f"{API}/{pair.id}", headers=headers).get_json()["stale"] is False
    elsewhere = factories.make_profile()
    merging.merge_profiles(elsewhere.id, pair.profile_b_id, actor="test")
    read = client.get(f"{API}/{pair.id}", headers=headers).get_json()
    assert (read["status"], read["stale"]) == ("open", True)
    listed = client.get(API, headers=headers).get_json()["items"]
    assert pair.id not in [item["id"] for item in listed]
