"""HTTP tests of undo as "not the same person", and of a decision that follows merges."""

import re

from crm.extensions import db
from crm.models import Profile
from crm.services import duplicates, merging, suspects
from tests import factories


def _html(response) -> str:
    return response.get_data(as_text=True)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def _merged_into(profile_id: int) -> int | None:
    db.session.expire_all()
    return db.session.get(Profile, profile_id).merged_into_id


def test_the_undo_button_says_the_two_become_different_people(client, auth):
    a = factories.make_profile(first_name="Paolo", last_name="Neri").id
    b = factories.make_profile(first_name="Paolo", last_name="Neri").id
    merge = merging.merge_profiles(a, b, actor="rule:auto", rule="auto", score=0.95)
    user = auth.login_as("sales")

    page = _html(client.get(f"/profiles/{a}"))
    assert f'id="undo-merge-{merge.id}"' in page
    assert "Undo: not the same person" in page
    assert 'id="undo-means-distinct"' in page
    assert "will not be proposed as duplicates again" in page
    assert 'id="undo-means-distinct"' in _html(client.get(f"/profiles/{b}"))  # the banner

    response = client.post(f"/profiles/merges/{merge.id}/undo", data={"csrf_token": _token(page)})

    assert response.status_code == 302
    assert _merged_into(b) is None
    decided = suspects.find_pair(a, b)
    assert (decided.status, decided.decided_by_id) == ("distinct", user.id)
    confirm = _html(client.get(f"/profiles/{a}/merge/{b}"))
    assert 'id="marked-distinct"' in confirm and 'id="distinct-by-undo"' in confirm


def test_the_merge_page_names_a_decision_about_profiles_merged_into_them(client, auth):
    x, y, z = (factories.make_profile(first_name="Marco", last_name=n).id for n in "XYZ")
    duplicates.decide(duplicates.propose(x, y, 0.7, ["x"]).id, "distinct", actor="test")
    merging.merge_profiles(z, x, actor="test")
    auth.login_as("sales")

    page = _html(client.get(f"/profiles/{z}/merge/{y}"))
    assert 'id="marked-distinct"' in page
    assert 'id="distinct-through-merge"' in page
    assert f"#{x} and #{y}" in page

    refused = client.post(f"/profiles/{z}/merge/{y}", data={"csrf_token": _token(page)})
    assert refused.status_code == 422
    assert _merged_into(y) is None
    merged = client.post(
        f"/profiles/{z}/merge/{y}", data={"csrf_token": _token(page), "override": "y"}
    )
    assert merged.status_code == 302
    assert _merged_into(y) == z


def test_the_queue_refuses_to_merge_a_pair_kept_apart_through_a_merge(client, auth):
    x, y, z = (factories.make_profile(first_name="Marco", last_name=n).id for n in "XYZ")
    waiting = duplicates.propose(z, y, 0.9, ["y"])  # queued before X joined Z
    duplicates.decide(duplicates.propose(x, y, 0.7, ["x"]).id, "distinct", actor="test")
    merging.merge_profiles(z, x, actor="test")
    auth.login_as("sales")

    page = _html(client.get(f"/duplicates/{waiting.id}"))
    response = client.post(
        f"/duplicates/{waiting.id}/decide",
        data={"csrf_token": _token(page), "decision": "merge", "survivor": "a"},
        follow_redirects=True,
    )

    assert "marked as different people" in _html(response)
    assert _merged_into(y) is None


def test_the_merge_page_says_an_import_parted_the_two(client, auth):
    """A record id sent again with another person's values: the import detached it."""
    from tests.factories import import_records

    laura = {"first_name": "Laura", "last_name": "Fontana", "email": "laura@example.it"}
    carlo = {"first_name": "Carlo", "last_name": "Verdi", "email": "carlo@example.it"}
    [shop] = import_records("shop", {"id": "r1", **laura, "birth_date": "1990-03-04"})
    import_records("events", {"id": "EV1", **laura})
    [parted] = import_records("events", {"id": "EV1", **carlo})
    auth.login_as("sales")
    confirm = _html(client.get(f"/profiles/{shop['profile_id']}/merge/{parted['profile_id']}"))
    assert 'id="marked-distinct"' in confirm and 'id="distinct-by-import"' in confirm
    assert "detached from one profile to make the other." not in confirm  # not by hand
