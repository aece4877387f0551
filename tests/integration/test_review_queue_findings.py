"""HTTP tests of the review queue's user-test findings: vetoed pairs ranked and flagged, a
merge undone said as such, a manual merge of two people warned of, Jr./Sr. in words."""

import re
from datetime import date

from crm.extensions import db
from crm.models import Profile
from crm.services import duplicates, matching, merging, users
from crm.views.main import reason_label
from tests import factories

VETOED = ["email: same", "first name: exact", "last name: exact", "veto: different birth dates"]


def _html(response) -> str:
    return response.get_data(as_text=True)


def _queued(score: float, reasons):
    """A committed open pair of two new profiles."""
    a, b = factories.make_profile(), factories.make_profile()
    pair = duplicates.propose(a.id, b.id, score, list(reasons))
    db.session.commit()
    return pair


def _merged_into(profile_id: int) -> int | None:
    db.session.expire_all()
    return db.session.get(Profile, profile_id).merged_into_id


# --- 1. a vetoed pair ranks after likely duplicates and says why ------------------------------


def test_the_queue_lists_a_vetoed_pair_after_likely_duplicates_and_flags_it(client, auth):
    auth.login_as("sales")
    vetoed = _queued(1.0, VETOED)
    likely = _queued(0.8, ["last name: exact", "city: same"])
    page = _html(client.get("/duplicates/"))
    assert page.index(f'id="candidate-{likely.id}"') < page.index(f'id="candidate-{vetoed.id}"')
    flag = re.search(rf'id="veto-{vetoed.id}">(.*?)</div>', page, re.S).group(1)
    assert "Probably two different people: different birth dates" in flag
    assert f'id="veto-{likely.id}"' not in page


def test_the_pair_page_warns_plainly_of_the_veto(client, auth):
    auth.login_as("sales")
    vetoed = _queued(1.0, VETOED)
    page = _html(client.get(f"/duplicates/{vetoed.id}"))
    alert = re.search(r'id="candidate-veto">(.*?)</div>', page, re.S).group(1)
    assert "Probably two different people: different birth dates" in alert
    assert "not merged automatically" in alert
    assert 'id="candidate-veto"' not in _html(client.get(f"/duplicates/{_queued(0.8, ['x']).id}"))


def test_a_profiles_page_flags_its_vetoed_pair(client, auth):
    auth.login_as("sales")
    vetoed = _queued(1.0, VETOED)
    page = _html(client.get(f"/profiles/{vetoed.profile_a_id}"))
    assert f'id="suspected-veto-{vetoed.id}"' in page


def test_an_italian_reviewer_reads_the_veto_in_plain_italian_words(client, auth):
    users.set_locale(auth.login_as("sales"), "it")
    vetoed = _queued(1.0, VETOED)
    page = _html(client.get("/duplicates/"))
    assert f'id="veto-{vetoed.id}"' in page
    assert ">veto: date di nascita diverse<" in page  # the reason's badge stays


# --- 2. a merge undone is said as such -------------------------------------------------------


def test_a_pair_merged_in_review_then_undone_says_so_with_who_and_when(client, auth):
    pair = _queued(0.85, ["last name: exact", "city: same"])
    merger = factories.make_user(role="sales", name="Anna Merger")
    duplicates.decide(pair.id, "merge", actor=merger)
    merge = duplicates.merge_of(duplicates.get_candidate(pair.id))
    undoer = factories.make_user(role="admin", name="Ugo Undoer")
    merging.undo_merge(merge.id, actor=undoer)
    auth.login_as("sales")

    page = _html(client.get(f"/duplicates/{pair.id}"))
    decided = re.search(r'id="candidate-decided">(.*?)</div>', page, re.S).group(1)
    assert "were merged on" in decided and "by Anna Merger" in decided
    assert "Ugo Undoer undid the merge on" in decided
    assert "kept apart as two different people" in decided

    confirm = _html(client.get(f"/profiles/{pair.profile_a_id}/merge/{pair.profile_b_id}"))
    assert 'id="marked-distinct"' in confirm and 'id="distinct-by-undo"' in confirm
    assert "Ugo Undoer undid the merge on" in confirm
    assert "marked these two profiles as different people" not in confirm


def test_an_automatic_merge_undone_names_the_import_and_the_person_who_undid_it(client, auth):
    a = factories.make_profile(first_name="Paolo", last_name="Neri").id
    b = factories.make_profile(first_name="Paolo", last_name="Neri").id
    merge = merging.merge_profiles(a, b, actor="import:shop", rule="auto", score=0.95)
    user = auth.login_as("sales")
    merging.undo_merge(merge.id, actor=user)
    pair = duplicates.distinct_decision(a, b)[0]

    page = _html(client.get(f"/duplicates/{pair.id}"))
    decided = re.search(r'id="candidate-decided">(.*?)</div>', page, re.S).group(1)
    assert "by import from shop" in decided
    assert f"{user.name} undid the merge on" in decided


def test_a_pair_marked_distinct_without_a_merge_still_says_only_that(client, auth):
    pair = _queued(0.8, ["last name: exact"])
    duplicates.decide(pair.id, "distinct", actor="test")
    auth.login_as("sales")
    page = _html(client.get(f"/duplicates/{pair.id}"))
    assert "This pair was marked as two different people." in page
    assert "undid the merge" not in page


# --- 3. a manual merge of two people is warned of, not refused ---------------------------------


def test_the_merge_page_warns_of_two_people_and_still_merges(client, auth):
    auth.login_as("sales")
    a = factories.make_profile(
        first_name="Mario", last_name="Bianchi", birth_date=date(1960, 3, 1), tax_id="AB12345"
    ).id
    b = factories.make_profile(
        first_name="Maria", last_name="Bianchi", birth_date=date(1991, 7, 9), tax_id="ZX98765"
    ).id
    path = f"/profiles/{a}/merge/{b}"
    page = _html(client.get(path))
    warning = re.search(r'id="merge-warning">(.*?)</div>', page, re.S).group(1)
    assert "These may be two different people" in warning
    assert "different birth dates" in warning
    assert "first name:" in warning

    response = client.post(path, data={"csrf_token": factories.csrf_token(client, path)})
    assert response.status_code == 302
    assert _merged_into(b) == a


def test_the_merge_page_of_one_person_has_no_warning(client, auth):
    auth.login_as("sales")
    a = factories.make_profile(first_name="Giulia", last_name="Verdi", birth_date=date(1980, 1, 2))
    b = factories.make_profile(first_name="Giulia", last_name="Verdi", birth_date=date(1980, 1, 2))
    assert 'id="merge-warning"' not in _html(client.get(f"/profiles/{a.id}/merge/{b.id}"))


def test_the_api_merges_two_people_without_asking(client, api_headers):
    a = factories.make_profile(first_name="Mario", last_name="Bianchi", birth_date=date(1960, 3, 1))
    b = factories.make_profile(first_name="Maria", last_name="Bianchi", birth_date=date(1991, 7, 9))
    response = client.post(
        f"/api/v1/profiles/{a.id}/merge", json={"other_id": b.id}, headers=api_headers("sales")
    )
    assert response.status_code in (200, 201), response.get_json()
    assert _merged_into(b.id) == a.id


# --- 4. Jr. and Sr. said as two generations --------------------------------------------------


def test_jr_and_sr_reasons_say_father_and_son(app):
    with app.test_request_context():
        one = reason_label(matching.LAST_ONE_GENERATION)
        two = reason_label(matching.LAST_GENERATIONS)
    assert one.startswith("perhaps father and son") and "Jr. or Sr." in one
    assert two.startswith("probably father and son") and "Jr." in two and "Sr." in two


def test_the_review_page_says_father_and_son(client, auth):
    auth.login_as("sales")
    pair = _queued(0.8, ["first name: exact", matching.LAST_ONE_GENERATION, "phone: same"])
    assert "perhaps father and son" in _html(client.get(f"/duplicates/{pair.id}"))
