"""A merge decided on what the person no longer sees is refused: a profile edited after
the comparison was read is not merged (API If-Match / other_version, the review queue's
buttons, the manual merge page)."""

import re

import pytest

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile
from crm.services import duplicates, profiles
from crm.services.errors import ConflictError
from crm.services.merging import merge_profiles
from tests import factories

API = "/api/v1"


@pytest.fixture
def two(app):
    a = factories.make_profile(first_name="Marco", last_name="Bianchi", company="Acme")
    b = factories.make_profile(first_name="Marco", last_name="Bianchi", city="Torino")
    return a.id, b.id


def _edit(profile_id: int) -> None:
    """Someone else edits the profile meanwhile (a new version)."""
    profiles.update_profile(profile_id, {"job_title": "CFO"}, expected_version=None, actor="x")
    db.session.commit()


def _merged_into(profile_id: int) -> int | None:
    db.session.expire_all()
    return db.session.get(Profile, profile_id).merged_into_id


def test_the_service_refuses_a_profile_changed_since_it_was_read(two):
    a, b = two
    seen = {a: db.session.get(Profile, a).version, b: db.session.get(Profile, b).version}
    _edit(b)
    with pytest.raises(ConflictError) as refused:
        merge_profiles(a, b, actor="test", versions=seen)
    assert "other_version" in refused.value.fields
    db.session.rollback()
    assert _merged_into(b) is None
    merge_profiles(a, b, actor="test", versions={a: seen[a], b: seen[b] + 1})
    assert _merged_into(b) == a


def test_the_api_answers_a_stale_if_match_with_412_and_a_stale_other_version_with_409(
    client, api_headers, two
):
    a, b = two
    sales = api_headers("sales")
    read_a = client.get(f"{API}/profiles/{a}", headers=sales)
    read_b = client.get(f"{API}/profiles/{b}", headers=sales)
    other_version = int(read_b.headers["ETag"].strip('W/"'))
    _edit(a)
    _edit(b)
    url = f"{API}/profiles/{a}/merge"
    stale = client.post(
        url, headers={**sales, "If-Match": read_a.headers["ETag"]}, json={"other_id": b}
    )
    assert stale.status_code == 412
    assert "If-Match" in stale.get_json()["errors"]["headers"]
    stale = client.post(url, headers=sales, json={"other_id": b, "other_version": other_version})
    assert stale.status_code == 409
    assert "other_version" in stale.get_json()["errors"]["json"]
    assert _merged_into(b) is None
    fresh = client.get(f"{API}/profiles/{a}", headers=sales).headers["ETag"]
    done = client.post(
        url,
        headers={**sales, "If-Match": fresh},
        json={"other_id": b, "other_version": other_version + 1},
    )
    assert done.status_code == 201, done.get_json()
    assert _merged_into(b) == a


def _hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="(\d+)"', html).group(1)


def test_a_review_decision_on_a_pair_edited_since_is_refused_and_the_pair_stays_open(
    client, auth, two
):
    a, b = two
    candidate = duplicates.propose(a, b, 0.8, ["last name: exact"])
    db.session.commit()
    auth.login_as("sales")
    page = client.get(f"/duplicates/{candidate.id}").get_data(as_text=True)
    data = {
        "csrf_token": factories.csrf_token(client, f"/duplicates/{candidate.id}"),
        "decision": "merge",
        "survivor": "a",
        "a_version": _hidden(page, "a_version"),
        "b_version": _hidden(page, "b_version"),
    }
    _edit(b)
    response = client.post(f"/duplicates/{candidate.id}/decide", data=data, follow_redirects=True)
    assert "changed since you read it" in response.get_data(as_text=True)
    assert _merged_into(b) is None
    assert db.session.get(DuplicateCandidate, candidate.id).status == "open"


def test_the_merge_page_refuses_a_stale_view_then_merges_what_it_shows_now(client, auth, two):
    a, b = two
    auth.login_as("sales")
    page = client.get(f"/profiles/{a}/merge/{b}").get_data(as_text=True)
    data = {
        "csrf_token": factories.csrf_token(client, f"/profiles/{a}/merge/{b}"),
        "survivor_version": _hidden(page, "survivor_version"),
        "other_version": _hidden(page, "other_version"),
    }
    _edit(a)
    refused = client.post(f"/profiles/{a}/merge/{b}", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "changed since you read it" in html
    assert _merged_into(b) is None
    data["survivor_version"] = _hidden(html, "survivor_version")  # the page as it is now
    assert client.post(f"/profiles/{a}/merge/{b}", data=data).status_code == 302
    assert _merged_into(b) == a


def test_the_decision_api_refuses_a_merge_of_a_profile_changed_since_it_was_compared(
    client, api_headers, two
):
    a, b = two
    pair = duplicates.propose(a, b, 0.8, ["last name: exact"])
    db.session.commit()
    sales = api_headers("sales")
    seen = {f"{side}_version": db.session.get(Profile, pid).version for side, pid in
            (("a", a), ("b", b))}  # fmt: skip
    _edit(b)
    url = f"{API}/duplicates/{pair.id}/decision"
    refused = client.post(url, headers=sales, json={"decision": "merge", **seen})
    assert refused.status_code == 409
    assert list(refused.get_json()["errors"]["json"]) == ["b_version"]
    assert db.session.get(DuplicateCandidate, pair.id).status == "open"
    seen["b_version"] += 1
    done = client.post(url, headers=sales, json={"decision": "merge", **seen})
    assert done.status_code == 200, done.get_json()
    assert _merged_into(b) == a


def test_a_profile_merged_elsewhere_since_is_said_merged_not_changed(two):
    """A user test: a stale pair's merge said the profile "changed since you read it",
    when what happened is that it was merged into someone else."""
    a, b = two
    c = factories.make_profile(first_name="Marco", last_name="Bianchi", city="Asti").id
    seen = {a: db.session.get(Profile, a).version, b: db.session.get(Profile, b).version}
    merge_profiles(c, b, actor="test")
    db.session.commit()
    with pytest.raises(ConflictError) as refused:
        merge_profiles(a, b, actor="test", versions=seen)
    assert f"already merged into #{c}" in refused.value.message


@pytest.mark.parametrize("version", ["1", 1.0, 2.9, True])
def test_versions_must_be_json_integers(client, api_headers, two, version):
    a, b = two
    pair = duplicates.propose(a, b, 0.8, ["last name: exact"])
    db.session.commit()
    sales = api_headers("sales")
    decided = client.post(
        f"{API}/duplicates/{pair.id}/decision",
        headers=sales,
        json={"decision": "merge", "a_version": version},
    )
    assert decided.status_code == 422
    assert "a_version" in decided.get_json()["errors"]["json"]
    merged = client.post(
        f"{API}/profiles/{a}/merge", headers=sales, json={"other_id": b, "other_version": version}
    )
    assert merged.status_code == 422
    assert "other_version" in merged.get_json()["errors"]["json"]
    assert _merged_into(b) is None


@pytest.mark.parametrize("if_match", ["garbage", 'W/"abc"', '"v1"'])
def test_an_if_match_holding_no_etag_of_ours_is_a_client_error_not_a_stale_read(
    client, api_headers, two, if_match
):
    a, b = two
    sales = api_headers("sales")
    patched = client.patch(
        f"{API}/profiles/{a}", headers={**sales, "If-Match": if_match}, json={"city": "Asti"}
    )
    assert patched.status_code == 422
    assert "If-Match" in patched.get_json()["errors"]["headers"]
    merged = client.post(
        f"{API}/profiles/{a}/merge", headers={**sales, "If-Match": if_match}, json={"other_id": b}
    )
    assert merged.status_code == 422
    assert _merged_into(b) is None
    assert db.session.get(Profile, a).city is None


def test_a_stale_if_match_is_answered_with_the_current_etag_and_what_was_not_done(
    client, api_headers, two
):
    a, b = two
    sales = api_headers("sales")
    read = client.get(f"{API}/profiles/{a}", headers=sales).headers["ETag"]
    _edit(a)
    current = client.get(f"{API}/profiles/{a}", headers=sales).headers["ETag"]
    stale = {**sales, "If-Match": read}
    patched = client.patch(f"{API}/profiles/{a}", headers=stale, json={"city": "Asti"})
    assert (patched.status_code, patched.headers["ETag"]) == (412, current)
    assert "nothing was saved" in patched.get_json()["message"]
    merged = client.post(f"{API}/profiles/{a}/merge", headers=stale, json={"other_id": b})
    assert (merged.status_code, merged.headers["ETag"]) == (412, current)
    assert "nothing was merged" in merged.get_json()["message"]


def test_a_merge_reason_holding_a_nul_is_refused_not_a_server_error(client, auth, two):
    a, b = two
    auth.login_as("sales")
    refused = client.post(
        f"/profiles/{a}/merge/{b}",
        data={
            "csrf_token": factories.csrf_token(client, f"/profiles/{a}/merge/{b}"),
            "reason": "same\x00person",
        },
    )
    assert refused.status_code == 422
    assert "cannot be stored" in refused.get_data(as_text=True)
    assert _merged_into(b) is None


def test_every_web_form_refuses_text_no_database_stores(app):
    """The forms' shared base: any text field with a NUL is an error of that field."""
    from crm.forms.admin import UserEditForm

    with app.test_request_context(method="POST", data={"name": "Ada\x00"}):
        form = UserEditForm(meta={"csrf": False})
        assert not form.validate()
        assert "cannot be stored" in str(form.name.errors)
