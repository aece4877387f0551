"""HTTP tests of the review queue: list, side-by-side comparison, decisions, access control."""

import re

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile
from crm.services import duplicates, ingest, matching, merging, profiles, users
from crm.views.main import reason_label
from tests import factories


def _html(response) -> str:
    return response.get_data(as_text=True)


def _queue(score: float = 0.8, reasons=("last name: exact",), a=None, b=None):
    """A committed open pair of two profiles (new ones unless given)."""
    a = a or factories.make_profile()
    b = b or factories.make_profile()
    candidate = duplicates.propose(a.id, b.id, score, list(reasons))
    db.session.commit()
    return candidate


def _decide(client, candidate_id: int, decision: str, survivor: str = "a", token=True):
    """Press a decision button on the comparison page, as a browser would."""
    data = {"decision": decision, "survivor": survivor}
    if token:
        data["csrf_token"] = factories.csrf_token(client, f"/duplicates/{candidate_id}")
    return client.post(f"/duplicates/{candidate_id}/decide", data=data)


def _row(html: str, field: str) -> str:
    """The <tr> of one compared field."""
    match = re.search(rf'<tr id="compare-{field}"[^>]*>.*?</tr>', html, re.S)
    assert match, f"no row for {field}"
    return match.group(0)


# --- the list ----------------------------------------------------------------------------


def test_list_shows_open_pairs_with_names_score_reasons_and_review_link(client, auth):
    auth.login_as("sales")
    a = factories.make_profile(first_name="Giulia", last_name="Rossi")
    b = factories.make_profile(first_name="Giulia", last_name="Rosi")
    candidate = _queue(0.83, ["last name: similar", "city: same"], a=a, b=b)
    html = _html(client.get("/duplicates/"))
    assert 'id="duplicates-table"' in html
    row = re.search(rf'<tr id="candidate-{candidate.id}".*?</tr>', html, re.S).group(0)
    assert "0.83" in row
    assert f'href="/profiles/{a.id}">Giulia Rossi</a>' in row
    assert f'href="/profiles/{b.id}">Giulia Rosi</a>' in row
    assert "last name: similar" in row and "city: same" in row
    assert f'id="review-{candidate.id}" href="/duplicates/{candidate.id}"' in row


def test_list_leaves_out_decided_pairs(client, auth):
    auth.login_as("admin")
    decided = _queue()
    duplicates.decide(decided.id, "distinct", actor="test")
    html = _html(client.get("/duplicates/"))
    assert f'id="candidate-{decided.id}"' not in html
    assert 'id="no-duplicates"' in html


def test_list_pages_with_a_cursor(app, client, auth):
    app.config["PAGE_SIZE"] = 2
    auth.login_as("sales")
    made = [_queue(score) for score in (0.9, 0.8, 0.7)]
    first = _html(client.get("/duplicates/"))
    assert f'id="candidate-{made[0].id}"' in first and f'id="candidate-{made[1].id}"' in first
    assert f'id="candidate-{made[2].id}"' not in first
    link = re.search(r'id="next-page" href="([^"]+)"', first).group(1)
    second = _html(client.get(link.replace("&amp;", "&")))
    assert f'id="candidate-{made[2].id}"' in second
    assert f'id="candidate-{made[0].id}"' not in second
    assert 'id="next-page"' not in second and 'id="first-page"' in second


def test_nav_shows_duplicates_to_reviewers_only(client, auth):
    auth.login_as("sales")
    assert 'href="/duplicates/"' in _html(client.get("/"))
    auth.logout()
    auth.login_as("marketer")
    assert 'href="/duplicates/"' not in _html(client.get("/"))


# --- the comparison ----------------------------------------------------------------------


def test_compare_page_marks_differences_and_shows_score_and_reasons(client, auth):
    auth.login_as("sales")
    a = factories.make_profile(
        company="Acme",
        city="Milano",
        job_title="CEO",
        phones=["+39 333 123 4567"],
        tags=["vip"],
        birth_date="1980-05-04",
        stage="mql",
    )
    b = factories.make_profile(
        first_name="Marco",
        company="Acme",
        city="Roma",
        postcode="00100",
        tags=["vip"],
        birth_date="1980-05-04",
    )
    candidate = _queue(0.74, ["company: same"], a=a, b=b)
    response = client.get(f"/duplicates/{candidate.id}")
    assert response.status_code == 200
    html = _html(response)
    assert "0.74" in html and "company: same" in html
    city = _row(html, "city")
    assert "compare-different" in city and "Milano" in city and "Roma" in city
    assert "compare-same" in _row(html, "company")
    assert "compare-only-a" in _row(html, "job_title")
    assert "compare-only-b" in _row(html, "postcode")
    assert "compare-different" in _row(html, "emails")
    phones = _row(html, "phones")
    assert "compare-only-a" in phones and "+39 333 123 4567" in phones
    assert "compare-same" in _row(html, "tags") and "vip" in _row(html, "tags")
    assert "compare-same" in _row(html, "birth_date") and "May 4, 1980" in _row(html, "birth_date")
    stage = _row(html, "stage")
    assert "compare-different" in stage and "MQL" in stage and "Lead" in stage
    for button in ("merge-keep-a", "merge-keep-b", "not-same"):
        assert f'id="{button}"' in html
    assert " style=" not in html and "<style" not in html and "<script>" not in html


def test_compare_of_a_decided_pair_has_no_buttons(client, auth):
    auth.login_as("sales")
    candidate = _queue()
    duplicates.decide(candidate.id, "distinct", actor="test")
    html = _html(client.get(f"/duplicates/{candidate.id}"))
    assert 'id="candidate-decided"' in html
    assert 'id="not-same"' not in html and 'id="merge-keep-a"' not in html


def test_a_merged_pair_leads_to_the_profile_that_can_undo_its_merge(client, auth):
    auth.login_as("sales")
    candidate = _queue()
    duplicates.decide(candidate.id, "merge", actor="test", survivor="a")
    merge = duplicates.merge_of(candidate)
    html = _html(client.get(f"/duplicates/{candidate.id}"))
    link = re.search(r'<a href="([^"]+)" id="candidate-merge">([^<]+)</a>', html)
    assert link.group(1) == f"/profiles/{candidate.profile_b_id}"
    assert f"Merge #{merge.id}" in link.group(2)
    page = _html(client.get(link.group(1)))
    assert f'id="undo-merge-{merge.id}"' in page


def test_compare_of_a_pair_whose_profile_was_merged_away_offers_no_merge(client, auth):
    auth.login_as("sales")
    candidate = _queue()
    merging.merge_profiles(factories.make_profile().id, candidate.profile_a_id, actor="test")
    html = _html(client.get(f"/duplicates/{candidate.id}"))
    assert 'id="candidate-stale"' in html
    assert 'id="merge-keep-a"' not in html and 'id="merge-keep-b"' not in html
    assert 'id="not-same"' in html
    assert 'id="merge-explained"' not in html  # no merge to explain here


def test_an_open_pair_says_which_values_the_kept_profile_will_show(client, auth):
    auth.login_as("sales")
    html = _html(client.get(f"/duplicates/{_queue().id}"))
    explained = re.search(r'id="merge-explained">([^<]+)</p>', html).group(1)
    assert "most trusted source" in explained and "may show the other's name" in explained


def test_compare_of_unknown_pair_is_404(client, auth):
    auth.login_as("sales")
    assert client.get("/duplicates/4242").status_code == 404


def test_raw_values_are_escaped(client, auth):
    auth.login_as("sales")
    evil = "<script>Alert(1)</script>"
    a = factories.make_profile(first_name=evil, company=evil)
    candidate = _queue(0.8, ['<img src=x onerror="x()">'], a=a)
    for path in ("/duplicates/", f"/duplicates/{candidate.id}"):
        html = _html(client.get(path))
        assert "&lt;script&gt;Alert(1)&lt;/script&gt;" in html, path
        assert "<script>Alert" not in html, path
        assert "<img src=x" not in html and "&lt;img src=x" in html, path


# --- decisions ---------------------------------------------------------------------------


def test_merge_keep_left_merges_right_into_left(client, auth):
    auth.login_as("sales")
    candidate = _queue()
    a, b = candidate.profile_a_id, candidate.profile_b_id
    response = _decide(client, candidate.id, "merge", "a")
    assert response.status_code == 302
    assert response.headers["Location"] == "/duplicates/"
    db.session.expire_all()
    assert db.session.get(Profile, b).merged_into_id == a
    assert db.session.get(DuplicateCandidate, candidate.id).status == "merged"
    html = _html(client.get("/duplicates/"))
    assert "The two profiles were merged." in html
    # The queue moves on; the message leads to where the merge can be undone.
    merge = duplicates.merge_of(db.session.get(DuplicateCandidate, candidate.id))
    link = re.search(r'id="merged-undo-link" href="([^"]+)">([^<]+)</a>', html)
    assert link.group(1) == f"/profiles/{a}#merge-{merge.id}"
    assert link.group(2) == f"Merge #{merge.id}: undo it"
    assert f'id="undo-merge-{merge.id}"' in _html(client.get(link.group(1)))


def test_merge_keep_right_merges_left_into_right(client, auth):
    auth.login_as("admin")
    candidate = _queue()
    a, b = candidate.profile_a_id, candidate.profile_b_id
    assert _decide(client, candidate.id, "merge", "b").status_code == 302
    db.session.expire_all()
    assert db.session.get(Profile, a).merged_into_id == b
    assert db.session.get(Profile, b).merged_into_id is None


def test_not_same_is_remembered_and_goes_to_the_next_pair(client, auth):
    user = auth.login_as("sales")
    candidate = _queue(0.9)
    following = _queue(0.6)
    response = _decide(client, candidate.id, "distinct")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/duplicates/{following.id}"
    db.session.expire_all()
    stored = db.session.get(DuplicateCandidate, candidate.id)
    assert (stored.status, stored.decided_by_id) == ("distinct", user.id)
    assert db.session.get(Profile, candidate.profile_b_id).merged_into_id is None
    assert duplicates.propose(candidate.profile_a_id, candidate.profile_b_id, 1.0, []) is None
    assert "will not be proposed again" in _html(client.get(response.headers["Location"]))


def test_deciding_an_already_decided_pair_is_refused_with_a_message(client, auth):
    auth.login_as("sales")
    candidate = _queue()
    token = factories.csrf_token(client, f"/duplicates/{candidate.id}")
    duplicates.decide(candidate.id, "distinct", actor="test")
    response = client.post(
        f"/duplicates/{candidate.id}/decide",
        data={"decision": "merge", "survivor": "a", "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/duplicates/{candidate.id}"
    db.session.expire_all()
    assert db.session.get(Profile, candidate.profile_b_id).merged_into_id is None
    assert "already decided" in _html(client.get(response.headers["Location"]))


def test_decision_without_csrf_token_is_400(client, auth):
    auth.login_as("sales")
    candidate = _queue()
    assert _decide(client, candidate.id, "merge", token=False).status_code == 400
    assert db.session.get(DuplicateCandidate, candidate.id).status == "open"


def test_malformed_decision_is_400(client, auth):
    auth.login_as("sales")
    candidate = _queue()
    assert _decide(client, candidate.id, "maybe").status_code == 400
    assert _decide(client, candidate.id, "merge", survivor="c").status_code == 400
    assert db.session.get(DuplicateCandidate, candidate.id).status == "open"


# --- access ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "compliance"])
def test_other_roles_are_refused(client, auth, role):
    candidate = _queue()
    auth.login_as(role)
    assert client.get("/duplicates/").status_code == 403
    assert client.get(f"/duplicates/{candidate.id}").status_code == 403
    token = factories.csrf_token(client, "/account")
    response = client.post(
        f"/duplicates/{candidate.id}/decide",
        data={"decision": "distinct", "survivor": "a", "csrf_token": token},
    )
    assert response.status_code == 403
    assert db.session.get(DuplicateCandidate, candidate.id).status == "open"


def test_anonymous_is_sent_to_login(client):
    response = client.get("/duplicates/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def _every_reason() -> list[str]:
    """Every reason the scorer and the importer write (built from the scorer's tables)."""
    levels = {
        "first name": [*matching.FIRST_WEIGHTS, "missing"],
        "last name": [*matching.LAST_WEIGHTS, "missing"],
        "birth date": [level for level in matching.W_BIRTH if level != "different"],
        "address": list(matching.W_ADDRESS),
        "postcode": ["same", "different"],
        "city": ["same", "typo", "different"],
        "company": ["same", "different"],
        "email": ["same", "same inbox"],
        "phone": ["same", "different"],
        "tax id": ["same", "one character off"],
        "country": ["different"],
        "source record": ["same id", "unchanged"],
    }
    reasons = [f"{subject}: {level}" for subject, found in levels.items() for level in found]
    return [
        *reasons,
        "names: swapped",
        "name: no namesake in the city",
        "no automatic merge: needs two strong signals beyond the name",
        matching.NO_MERGE_AMBIGUOUS,
        matching.NO_MERGE_COLLEAGUES,
        matching.SURNAME_CHANGED_TAX_ID,
        matching.NO_MERGE_FIRST,
        matching.NO_MERGE_SURNAMES,
        matching.NO_MERGE_LAST,
        matching.LAST_ONE_GENERATION,
        matching.LAST_GENERATIONS,
        matching.LAST_IN_TAX_ID,
        matching.BIRTH_FROM_TAX_ID,
        "evidence added by an import",
        "carried over from a merged profile",
        "found after a merge",
        "found after an edit by hand",
        "found when created by hand",
        "one record holds identifiers of both",
        "a merge of the two was undone",
        "decided about a merged profile this one was part of",
        "veto: different birth dates",
        "veto: same email domain, different first names",
        "veto: different tax ids",
    ]


def test_every_match_reason_has_words_in_each_language(app):
    with app.test_request_context(headers={"Accept-Language": "it"}):
        for reason in _every_reason():
            assert reason_label(reason) != reason, reason
        assert reason_label("last name: typo") == "cognome: refuso"
        # The level agrees with its subject: "città" and "data" are feminine.
        assert reason_label("city: different") == "città: diversa"
        assert reason_label("last name: different") == "cognome: diverso"
        assert reason_label("birth date: exact").endswith("identica")
        # A reviewer's own words, or a reason this version does not know, stay as written.
        assert reason_label("met her at the fair: same badge") == "met her at the fair: same badge"


def test_an_italian_reviewer_reads_the_reasons_in_italian(client, auth, app):
    user = auth.login_as("sales")
    users.set_locale(user, "it")
    pair = _queue(reasons=("first name: exact", "names: swapped", "veto: different birth dates"))
    for page in (_html(client.get("/duplicates/")), _html(client.get(f"/duplicates/{pair.id}"))):
        assert ">nome: identico<" in page
        assert ">nome e cognome invertiti<" in page
        assert ">veto: date di nascita diverse<" in page
        assert "first name: exact" not in page


def test_the_merge_history_shows_rule_and_reasons_in_the_readers_language(client, auth):
    user = auth.login_as("sales")
    users.set_locale(user, "it")
    a = factories.make_profile(first_name="Giulia", last_name="Rossi")
    b = factories.make_profile(first_name="Giulia", last_name="Rosi")
    merging.merge_profiles(
        a.id, b.id, actor="test", rule="auto", score=0.95, reasons=["last name: typo"]
    )
    page = _html(client.get(f"/profiles/{a.id}"))
    assert "cognome: refuso" in page and "last name: typo" not in page
    assert ">automatica<" in page


# --- the queue filtered: my leads, a source, a least score ---------------------------------


def _from(source: str, **fields):
    """A profile imported from source (one row), returned as stored."""
    row = {"first_name": "Ada", "last_name": f"Lovelace{next(_seq)}", **fields}
    ingest.import_records([row], source_name=source)
    return db.session.scalar(select(Profile).order_by(Profile.id.desc()))


_seq = iter(range(10**6))


def test_the_queue_filters_by_owner_source_and_score_and_counts_what_it_shows(client, auth):
    rep = auth.login_as("sales")
    mine = _queue(0.95, a=factories.make_profile(owner=rep.id))
    fair = _queue(0.85, a=_from("fair"), b=_from("shop"))
    low = _queue(0.6)
    assert duplicates.count_open() == 3

    def shown(query: str) -> list[int]:
        html = _html(client.get(f"/duplicates/{query}"))
        return [int(n) for n in re.findall(r'id="candidate-(\d+)"', html)]

    assert shown("") == [mine.id, fair.id, low.id]
    assert 'id="queue-count">3 open pairs.' in _html(client.get("/duplicates/"))
    assert shown("?mine=y") == [mine.id]
    assert shown("?source=fair") == [fair.id]
    assert shown("?min_score=0.8") == [mine.id, fair.id]
    html = _html(client.get("/duplicates/?min_score=0.8"))
    assert 'id="queue-count">2 open pairs match the filter.' in html
    assert f'href="/duplicates/{mine.id}?min_score=0.8"' in html
    # A score that cannot be one is refused on the form and filters nothing.
    html = _html(client.get("/duplicates/?min_score=7"))
    assert "is-invalid" in html and len(re.findall(r'id="candidate-\d+"', html)) == 3
    assert "invalid-feedback" in html  # and says why
    # Someone else's leads are not mine.
    auth.logout()
    auth.login_as("sales")
    assert shown("?mine=y") == []
    assert "No suspected duplicates match the filter." in _html(client.get("/duplicates/?mine=y"))


def test_a_score_is_shown_as_the_least_score_filter_reads_it(client, auth):
    """A user test: a pair scored 0.845 showed 0.85, and "score at least 0.85" left it out."""
    auth.login_as("sales")
    pair = _queue(0.849)
    html = _html(client.get("/duplicates/"))
    assert re.search(rf'id="candidate-{pair.id}".*?duplicate-score">0.84<', html, re.DOTALL)
    assert 'id="candidate-' not in _html(client.get("/duplicates/?min_score=0.85"))


def test_a_least_score_that_is_no_number_is_told_once(client, auth):
    auth.login_as("sales")
    html = _html(client.get("/duplicates/?min_score=abc"))
    assert "Not a number: write a score such as 0.95 or 0,95." in html
    assert "Number must be between" not in html


@pytest.mark.parametrize("typed", ["0.8", "0,8", " 0,80 ", "0,95"])
def test_the_least_score_takes_a_decimal_point_or_comma(client, auth, typed):
    auth.login_as("sales")
    high = _queue(0.95)
    middle = _queue(0.85)
    _queue(0.6)
    html = _html(client.get("/duplicates/", query_string={"min_score": typed}))
    assert "is-invalid" not in html
    expected = [high.id] if typed.strip() == "0,95" else [high.id, middle.id]
    assert [int(n) for n in re.findall(r'id="candidate-(\d+)"', html)] == expected
    # Links that keep the filter carry it in the one spelling the URL needs.
    point = typed.strip().replace(",", ".")
    assert f'href="/duplicates/{high.id}?min_score={point}"' in html


@pytest.mark.parametrize(
    "typed", ["abc", "0,8,1", "0.8,1", "nan", "inf", "1,5", "sNaN", "-Infinity", "NaN123"]
)
def test_a_least_score_that_is_no_score_is_refused_and_filters_nothing(client, auth, typed):
    auth.login_as("sales")
    _queue(0.95)
    _queue(0.6)
    response = client.get("/duplicates/", query_string={"min_score": typed})
    assert response.status_code == 200
    html = _html(response)
    assert "is-invalid" in html and "invalid-feedback" in html
    if typed not in ("1,5",):
        assert "Not a number: write a score such as 0.95 or 0,95." in html
    assert len(re.findall(r'id="candidate-\d+"', html)) == 2


def test_a_decision_goes_on_to_the_next_pair_of_the_filtered_queue(client, auth):
    auth.login_as("sales")
    first = _queue(0.95, a=_from("fair"))
    _queue(0.9)  # not from the fair: skipped
    second = _queue(0.8, b=_from("fair"))
    html = _html(client.get(f"/duplicates/{first.id}?source=fair"))
    assert f'action="/duplicates/{first.id}/decide?source=fair"' in html
    token = factories.csrf_token(client, f"/duplicates/{first.id}?source=fair")
    response = client.post(
        f"/duplicates/{first.id}/decide?source=fair",
        data={"decision": "distinct", "survivor": "a", "csrf_token": token},
    )
    assert response.headers["Location"] == f"/duplicates/{second.id}?source=fair"
    token = factories.csrf_token(client, f"/duplicates/{second.id}?source=fair")
    response = client.post(
        f"/duplicates/{second.id}/decide?source=fair",
        data={"decision": "distinct", "survivor": "a", "csrf_token": token},
    )
    assert response.headers["Location"] == "/duplicates/?source=fair"


def test_the_queue_count_speaks_the_readers_language_in_the_plural(client, auth):
    user = auth.login_as("sales")
    users.set_locale(user, "it")
    _queue(0.9)
    assert 'id="queue-count">1 coppia aperta.' in _html(client.get("/duplicates/"))
    _queue(0.8)
    assert 'id="queue-count">2 coppie aperte.' in _html(client.get("/duplicates/"))


def test_a_pair_whose_profiles_changed_shows_the_verdict_of_now(client, auth):
    a = factories.make_profile(first_name="Giulia", last_name="Gallo", city="Catania",
                               company="Ferramenta Gallo")  # fmt: skip
    b = factories.make_profile(first_name="Giulia", last_name="Gallo", city="Catania",
                               company="Ferramenta Gallo")  # fmt: skip
    verdict = duplicates.current_verdict(_queue(0.5, a=a, b=b))
    candidate = _queue(verdict.score, ("city: same",), a=a, b=b)
    auth.login_as("sales")
    assert 'id="candidate-verdict"' not in _html(client.get(f"/duplicates/{candidate.id}"))
    profiles.update_profile(a.id, {"city": "Milano"}, expected_version=None, actor="test")
    page = _html(client.get(f"/duplicates/{candidate.id}"))
    assert 'id="candidate-verdict"' in page
    assert "The profiles changed since this pair was proposed" in page


def test_a_tied_pair_is_not_said_to_have_changed_since_it_was_proposed(client, auth):
    factories.import_records("newsletter", {"id": "n", "first_name": "Livio",
                             "last_name": "Sereni", "email": "livio@example.com",
                             "city": "Roma"})  # fmt: skip
    factories.import_records("shop", {"id": "s", "first_name": "Livio", "last_name": "Sereni",
                             "phone": "+39 339 4440999", "city": "Milano"})  # fmt: skip
    factories.import_records("fair", {"id": "f", "first_name": "Livio", "last_name": "Sereni",
                             "email": "livio@example.com",
                             "phone": "+39 339 4440999"})  # fmt: skip
    pair = duplicates.open_candidates()[0][0]
    assert pair.reasons[0] == "one record holds identifiers of both"
    auth.login_as("sales")

    page = _html(client.get(f"/duplicates/{pair.id}"))

    assert "The profiles changed since this pair was proposed" not in page
    assert "The scorer would no longer propose them" not in page
    assert "One record holds identifiers of both profiles" in page


def test_an_unknown_source_in_the_filter_is_said_not_silently_dropped(client, auth):
    auth.login_as("sales")
    _queue(0.95)
    html = _html(client.get("/duplicates/", query_string={"source": "zzz"}))
    select = re.search(r'<select class="([^"]*)"[^>]*name="source"', html)
    assert "is-invalid" in select.group(1)
    assert "invalid-feedback" in html


def test_a_page_after_a_pair_that_is_gone_starts_the_queue_again(client, auth, api_headers):
    """A page's cursor is the id of the pair it ended with; an undo drops the pairs its
    merge carried over, and the next page came back empty, as if the queue had ended."""
    auth.login_as("sales")
    kept = _queue(0.9)
    gone = _queue(0.8)
    gone_id = gone.id
    db.session.delete(gone)
    db.session.commit()
    response = client.get(f"/duplicates/?after={gone_id}&min_score=0.5", follow_redirects=True)
    html = _html(response)
    assert response.request.path == "/duplicates/" and "after=" not in response.request.url
    assert "start again from the first page" in html
    assert f'id="candidate-{kept.id}"' in html
    api = client.get(f"/api/v1/duplicates?cursor={gone_id}", headers=api_headers("sales"))
    assert api.status_code == 422
    assert "cursor" in api.get_json()["errors"]["query"]
