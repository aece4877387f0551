"""HTTP tests of the merge UI: search, side-by-side confirmation, history, undo, access."""

import re

import pytest

from crm.extensions import db
from crm.models import Merge, Profile
from crm.services import duplicates, merging
from tests import factories


@pytest.fixture
def two(app):
    """Two live profiles of (probably) one person."""
    a = factories.make_profile(first_name="Marco", last_name="Bianchi", company="Acme")
    b = factories.make_profile(first_name="Marco", last_name="Bianchi", city="Torino")
    return a.id, b.id


def _html(response) -> str:
    return response.get_data(as_text=True)


def _stored(profile_id: int) -> Profile:
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def test_the_id_of_a_profile_merged_away_finds_the_profile_it_lives_on_in(client, auth, two):
    """A user test: a rep typed the id they had noted of a profile since merged, and
    the search found nothing."""
    a, b = two
    c = factories.make_profile(first_name="Marco", last_name="Bianco").id
    d = factories.make_profile(first_name="Mario", last_name="Verdi").id
    merging.merge_profiles(b, c, actor="test")
    merging.merge_profiles(d, b, actor="test")  # c is in b, b is in d
    auth.login_as("sales")
    page = _html(client.get(f"/profiles/{a}/merge?q=%23{c}"))
    assert f'id="pick-{d}"' in page and f'id="pick-{c}"' not in page


def test_sales_merges_through_search_and_confirmation(client, auth, two):
    a, b = two
    auth.login_as("sales")
    detail = _html(client.get(f"/profiles/{a}"))
    assert 'id="merge-search-form"' in detail

    found = client.get(f"/profiles/{a}/merge", query_string={"q": "Bianchi"})
    assert found.status_code == 200
    assert f'id="pick-{b}"' in _html(found)
    assert f'id="pick-{a}"' not in _html(found)  # not offered to merge with itself
    assert f'id="pick-{b}"' in _html(client.get(f"/profiles/{a}/merge?q=%23{b}"))

    confirm = client.get(f"/profiles/{a}/merge/{b}")
    page = _html(confirm)
    assert confirm.status_code == 200
    assert 'id="merge-survivor"' in page and 'id="merge-other"' in page
    assert "Acme" in page and "Torino" in page
    assert _stored(b).merged_into_id is None  # looking merges nothing

    response = client.post(
        f"/profiles/{a}/merge/{b}", data={"csrf_token": _token(page), "reason": "same person"}
    )

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/profiles/{a}")
    assert _stored(b).merged_into_id == a
    merge = db.session.query(Merge).one()
    assert merge.reasons == ["same person"] and merge.rule == "manual"
    history = _html(client.get(f"/profiles/{a}"))
    assert f'id="undo-merge-{merge.id}"' in history
    assert "same person" in history


def test_merge_without_csrf_token_is_refused(client, auth, two):
    a, b = two
    auth.login_as("admin")

    response = client.post(f"/profiles/{a}/merge/{b}", data={"reason": "x"})

    assert response.status_code == 400
    assert _stored(b).merged_into_id is None


def test_refused_merge_shows_why(client, auth, two):
    a, b = two
    c = factories.make_profile().id
    merging.merge_profiles(c, b, actor="test")
    auth.login_as("sales")
    token = factories.csrf_token(client, "/account")

    response = client.post(f"/profiles/{a}/merge/{b}", data={"csrf_token": token})

    assert response.status_code == 422
    html = _html(response)
    assert 'id="merge-alert"' in html
    assert _stored(b).merged_into_id == c
    # Which profile went where, and the merge that can still be made.
    page = _html(client.get(f"/profiles/{a}/merge/{b}"))
    assert f"Profile #{b} was already merged into profile #{c}." in page
    assert f'id="merge-with-survivor" href="/profiles/{a}/merge/{c}"' in page


@pytest.mark.parametrize("role", ["marketer", "compliance"])
def test_other_roles_may_not_merge(client, auth, two, role):
    a, b = two
    auth.login_as(role)
    assert 'id="merge-search-form"' not in _html(client.get(f"/profiles/{a}"))
    assert client.get(f"/profiles/{a}/merge?q=Bianchi").status_code == 403
    assert client.get(f"/profiles/{a}/merge/{b}").status_code == 403
    token = factories.csrf_token(client, "/account")

    response = client.post(f"/profiles/{a}/merge/{b}", data={"csrf_token": token})

    assert response.status_code == 403
    assert _stored(b).merged_into_id is None


@pytest.mark.parametrize("role", ["marketer", "compliance"])
def test_other_roles_may_not_undo(client, auth, two, role):
    a, b = two
    merge = merging.merge_profiles(a, b, actor="test")
    auth.login_as(role)
    assert f'id="undo-merge-{merge.id}"' not in _html(client.get(f"/profiles/{a}"))
    token = factories.csrf_token(client, "/account")

    response = client.post(f"/profiles/merges/{merge.id}/undo", data={"csrf_token": token})

    assert response.status_code == 403
    assert _stored(b).merged_into_id == a


def test_absorbed_profile_shows_where_it_went(client, auth, two):
    a, b = two
    merge = merging.merge_profiles(a, b, actor="test")
    auth.login_as("marketer")

    page = _html(client.get(f"/profiles/{b}"))

    assert 'id="merged-banner"' in page
    assert f'href="/profiles/{a}"' in page
    assert f'id="undo-merge-{merge.id}"' not in page  # marketers only read


def test_undo_button_separates_the_profiles(client, auth, two):
    a, b = two
    merge = merging.merge_profiles(a, b, actor="test")
    rep = auth.login_as("sales", name="Rita Rep")
    page = _html(client.get(f"/profiles/{a}"))

    response = client.post(f"/profiles/merges/{merge.id}/undo", data={"csrf_token": _token(page)})

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/profiles/{a}")
    assert _stored(b).merged_into_id is None
    page = _html(client.get(f"/profiles/{a}"))
    assert f'id="undo-merge-{merge.id}"' not in page
    assert "undone" in page and f"by {rep.name}" in page

    again = client.post(
        f"/profiles/merges/{merge.id}/undo",
        data={"csrf_token": _token(page)},
        follow_redirects=True,
    )
    assert "The merge was not undone" in _html(again)


def test_undo_without_csrf_token_is_refused(client, auth, two):
    a, b = two
    merge = merging.merge_profiles(a, b, actor="test")
    auth.login_as("admin")

    response = client.post(f"/profiles/merges/{merge.id}/undo")

    assert response.status_code == 400
    assert _stored(b).merged_into_id == a


def test_undo_of_unknown_merge_is_404(client, auth):
    auth.login_as("admin")
    token = factories.csrf_token(client, "/account")
    assert client.post("/profiles/merges/999/undo", data={"csrf_token": token}).status_code == 404


def test_a_merge_in_the_ui_puts_the_survivors_new_likely_duplicates_in_the_queue(client, auth, two):
    a, b = two
    third = factories.make_profile(first_name="Marco", last_name="Bianchi", company="ACME")
    factories.make_profile(first_name="Marco", last_name="Bianchi", company="Beta", city="Bari")
    auth.login_as("sales")
    page = _html(client.get(f"/profiles/{a}/merge/{b}"))
    client.post(f"/profiles/{a}/merge/{b}", data={"csrf_token": _token(page)})
    rows, _cursor = duplicates.open_candidates()
    assert (a, third.id) in [(c.profile_a_id, c.profile_b_id) for c in rows]


def test_stage_history_says_which_changes_came_with_a_merge(client, auth, two):
    a, b = two
    merge = merging.merge_profiles(a, b, actor="test")
    auth.login_as("sales")
    history = re.search(
        r'id="stage-history">(.*?)</table>', _html(client.get(f"/profiles/{a}")), re.S
    )
    assert history.group(1).count(f"on profile #{b}, merged into this one") == 1  # b's creation
    merging.undo_merge(merge.id, actor="test")
    assert "merged into this one" not in _html(client.get(f"/profiles/{a}"))


def test_an_earlier_merge_is_undone_from_the_page_with_the_later_ones(client, auth, two):
    a, b = two
    c = factories.make_profile(first_name="Marco", last_name="Bianco").id
    first = merging.merge_profiles(a, b, actor="test")
    second = merging.merge_profiles(a, c, actor="test")
    auth.login_as("sales")
    page = _html(client.get(f"/profiles/{a}"))
    assert f'id="undo-first-{first.id}"' in page
    assert f'id="undo-with-later-{first.id}"' in page
    assert f'id="undo-with-later-{second.id}"' not in page  # the newest: a plain undo
    response = client.post(
        f"/profiles/merges/{first.id}/undo?with_later=1",
        data={"csrf_token": _token(page)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert f"profile #{b} is separate again" in _html(response)
    assert _stored(b).merged_into_id is None and _stored(c).merged_into_id is None
    (pair,), _cursor = duplicates.open_candidates()  # the later merge's, to decide again
    assert {pair.profile_a_id, pair.profile_b_id} == {a, c}
