"""Web UI fixes after a user test: no refusal goes unsaid, no action that can only be
refused is offered, a source form that met someone else's change can be saved again,
numbers in the reader's language, and the earlier decisions a merge or detach would undo."""

import html as html_lib
import re

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile, Source
from crm.services import duplicates, ingest, merging, profiles, sources, users
from crm.services.errors import ValidationError
from crm.services.sources import SourceSummary
from tests import factories


def _html(response) -> str:
    return response.get_data(as_text=True)


def _fresh(model, id_: int):
    """A row as stored now, not as this session last saw it."""
    db.session.expire_all()
    return db.session.get(model, id_)


def _inputs(page: str, form_id: str) -> dict[str, str]:
    """What a browser would post from the form form_id of page: its inputs' values and
    selected options (the forms here have no textareas that matter)."""
    form = re.search(rf'<form[^>]*id="{form_id}".*?</form>', page, re.S).group(0)
    values = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="submit"' not in tag:
            values[name.group(1)] = html_lib.unescape(value.group(1)) if value else ""
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', options)
        values[name] = chosen.group(1) if chosen else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = html_lib.unescape(text.strip("\r\n"))
    return values


@pytest.fixture
def merged(app):
    """Profile b merged into profile a: (a, b, the merge)."""
    a = factories.make_profile(first_name="Davide", last_name="Sartori", company="Acme")
    b = factories.make_profile(first_name="Davide", last_name="Sartori", city="Como")
    return a.id, b.id, merging.merge_profiles(a.id, b.id, actor="test")


# --- 1. an absorbed profile is edited on its survivor, and every refusal is shown -----------


def test_an_absorbed_profile_offers_no_edit_and_points_to_its_survivor(client, auth, merged):
    a, b, _merge = merged
    auth.login_as("sales")
    page = _html(client.get(f"/profiles/{b}"))
    assert 'id="edit-profile"' not in page
    assert 'id="merge-search-form"' not in page
    assert f'id="merged-into-link" href="/profiles/{a}"' in page
    assert 'id="edit-profile"' in _html(client.get(f"/profiles/{a}"))

    response = client.get(f"/profiles/{b}/edit")
    assert response.status_code == 302 and response.headers["Location"] == f"/profiles/{b}"
    assert f"merged into profile #{a}" in _html(client.get(f"/profiles/{b}"))


def test_saving_a_profile_merged_meanwhile_says_why_nothing_was_saved(client, auth):
    a = factories.make_profile(first_name="Davide", last_name="Sartori")
    b = factories.make_profile(first_name="Davide", last_name="Sartori", job_title="Chef")
    auth.login_as("sales")
    form = _inputs(_html(client.get(f"/profiles/{b.id}/edit")), "profile-form")
    merging.merge_profiles(a.id, b.id, actor="test")  # while the form is open

    response = client.post(f"/profiles/{b.id}/edit", data={**form, "job_title": "Cook"})

    assert response.status_code == 409
    alert = re.search(r'id="form-alert">(.*?)</div>', _html(response), re.S).group(1)
    assert "Nothing was saved" in alert
    assert f"merged into profile #{a.id}" in alert
    assert f'href="/profiles/{a.id}"' in alert
    assert _fresh(Profile, b.id).job_title == "Chef"


@pytest.mark.parametrize(
    "error",
    [
        ValidationError("The owner left the company."),
        ValidationError("Some fields are invalid.", fields={"score": ["Must be a whole number."]}),
    ],
)
def test_a_refusal_that_names_no_field_of_the_form_is_shown_above_it(
    client, auth, monkeypatch, error
):
    profile = factories.make_profile(city="Venezia")
    auth.login_as("sales")
    form = _inputs(_html(client.get(f"/profiles/{profile.id}/edit")), "profile-form")

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(profiles, "update_profile", refuse)
    response = client.post(f"/profiles/{profile.id}/edit", data={**form, "city": "Torino"})

    assert response.status_code == 422
    alert = re.search(r'id="form-alert">(.*?)</div>', _html(response), re.S).group(1)
    shown = error.fields.get("score", [error.message])[0]
    assert "Nothing was saved" in alert and shown in alert


def test_an_admin_form_shows_what_a_refusal_says_of_a_field_it_does_not_have(
    client, auth, monkeypatch
):
    auth.login_as("admin")
    token = factories.csrf_token(client, "/admin/users/new")

    def refuse(*args, **kwargs):
        raise ValidationError("Some fields are invalid.", fields={"locale": ["Unknown language."]})

    monkeypatch.setattr(users, "create_user", refuse)
    data = {"email": "new@staff.example", "name": "", "role": "sales", "password": "x" * 12}
    page = _html(client.post("/admin/users/new", data={**data, "csrf_token": token}))
    assert "Some fields are invalid." in page and "Unknown language." in page


# --- 2. a source form that met someone else's change ---------------------------------------


@pytest.fixture
def fair(app):
    """A source 'fair' with one record."""
    ingest.import_records([{"id": "1", "email": "f@example.it"}], source_name="fair")
    source = db.session.scalar(select(Source).where(Source.name == "fair"))
    sources.update_source(
        source.id, {"label": "Trade fair badge scans"}, expected_version=None, actor="test"
    )
    return source.id


def test_the_source_form_holds_its_version_once_and_shows_no_developer_words(client, auth, fair):
    auth.login_as("admin")
    page = _html(client.get(f"/admin/sources/{fair}"))
    assert len(re.findall(r'<input[^>]*name="version"', page)) == 1
    assert len(re.findall(r'id="version"', page)) == 1
    assert ">Version<" not in page

    stale = _inputs(page, "source-form")
    sources.update_source(fair, {"party": "third"}, expected_version=None, actor="other")
    refused = _html(client.post(f"/admin/sources/{fair}", data=stale))
    assert "current version is" not in refused and ">Version<" not in refused
    assert len(re.findall(r'id="version"', refused)) == 1


def test_after_someone_elses_change_the_source_form_shows_the_current_settings_and_saves(
    client, auth, fair
):
    auth.login_as("admin")
    page = f"/admin/sources/{fair}"
    tab_b = _inputs(_html(client.get(page)), "source-form")
    # Tab A saves a new label while tab B is open.
    tab_a = _inputs(_html(client.get(page)), "source-form")
    assert client.post(page, data={**tab_a, "label": "Fiera 2026"}).status_code == 302

    refused = client.post(page, data={**tab_b, "party": "second"})

    html = _html(refused)
    assert "Someone else changed this source" in html
    again = _inputs(html, "source-form")
    assert again["label"] == "Fiera 2026"  # A's label, not B's stale one
    assert again["party"] == "first"  # the current party: nothing is overwritten unseen
    assert again["version"] == str(_fresh(Source, fair).version)
    # B changed the party, not the label: only the party is named as B's unsaved change.
    assert re.search(r'id="unsaved-party">.*Second party', html, re.S)
    assert 'id="unsaved-label"' not in html

    saved = client.post(page, data={**again, "party": "second"})

    assert saved.status_code == 302
    source = _fresh(Source, fair)
    assert (source.label, source.party) == ("Fiera 2026", "second")


def test_a_source_form_without_its_version_saves_nothing(client, auth, fair):
    auth.login_as("admin")
    form = _inputs(_html(client.get(f"/admin/sources/{fair}")), "source-form")
    del form["version"]
    page = _html(client.post(f"/admin/sources/{fair}", data={**form, "label": "Overwritten"}))
    assert "missing the version" in page
    assert _fresh(Source, fair).label == "Trade fair badge scans"


# --- 3. numbers in the reader's language ----------------------------------------------------


@pytest.fixture
def pair(app):
    """An open review pair scored 0.98."""
    a = factories.make_profile(first_name="Sara", last_name="Sala")
    b = factories.make_profile(first_name="Sara", last_name="Sala")
    candidate = duplicates.propose(a.id, b.id, 0.98, ["last name: exact"])
    db.session.commit()
    return candidate


@pytest.mark.parametrize(("locale", "score"), [("it", "0,98"), ("en", "0.98")])
def test_scores_are_written_as_the_reader_writes_decimals(client, auth, pair, locale, score):
    users.set_locale(auth.login_as("sales"), locale)
    queue = _html(client.get("/duplicates/"))
    assert re.search(rf'class="duplicate-score">{re.escape(score)}<', queue)
    detail = _html(client.get(f"/duplicates/{pair.id}"))
    assert f'id="candidate-score">{score}<' in detail
    profile = _html(client.get(f"/profiles/{pair.profile_a_id}"))
    assert re.search(rf"score {re.escape(score)}|punteggio {re.escape(score)}", profile)


@pytest.mark.parametrize(("locale", "count"), [("it", "20.220"), ("en", "20,220")])
def test_counts_have_the_readers_thousands_separator(client, auth, monkeypatch, locale, count):
    user = auth.login_as("admin")
    users.set_locale(user, locale)
    monkeypatch.setattr(
        profiles, "count_by_stage", lambda: {"lead": 20220, "mql": 0, "sql": 0, "customer": 0}
    )
    assert f'id="stage-count-lead">{count}<' in _html(client.get("/"))

    source = profiles.manual_source()
    summary = SourceSummary(source, 20220, 20220, None)
    monkeypatch.setattr(sources, "list_sources", lambda: [summary])
    row = _html(client.get("/admin/sources"))
    row = row[row.index(f'id="source-{source.id}"') :]
    assert row[: row.index("</tr>")].count(f">{count}<") == 2


# --- 4. a manual merge of a pair marked as different people --------------------------------


def test_merging_a_pair_marked_as_different_people_says_who_decided_and_needs_a_tick(
    client, auth, pair
):
    a, b = pair.profile_a_id, pair.profile_b_id
    reviewer = factories.make_user(role="sales", name="Rita Revisore")
    duplicates.decide(pair.id, "distinct", actor=reviewer)
    auth.login_as("sales")

    page = _html(client.get(f"/profiles/{a}/merge/{b}"))

    warning = re.search(r'id="marked-distinct">(.*?)</div>', page, re.S).group(1)
    assert "Rita Revisore marked these two profiles as different people on" in warning
    assert str(_fresh(DuplicateCandidate, pair.id).decided_at.year) in warning
    token = _inputs(page, "merge-form")["csrf_token"]
    unticked = client.post(f"/profiles/{a}/merge/{b}", data={"csrf_token": token})
    assert unticked.status_code == 422
    assert 'id="marked-distinct"' in _html(unticked)
    assert _fresh(Profile, b).merged_into_id is None

    ticked = client.post(f"/profiles/{a}/merge/{b}", data={"csrf_token": token, "override": "y"})

    assert ticked.status_code == 302
    assert _fresh(Profile, b).merged_into_id == a


def test_a_pair_nobody_marked_merges_without_the_extra_tick(client, auth, pair):
    a, b = pair.profile_a_id, pair.profile_b_id
    auth.login_as("sales")
    page = _html(client.get(f"/profiles/{a}/merge/{b}"))
    assert 'id="marked-distinct"' not in page and 'name="override"' not in page
    token = _inputs(page, "merge-form")["csrf_token"]
    assert client.post(f"/profiles/{a}/merge/{b}", data={"csrf_token": token}).status_code == 302


# --- 5. a record that came with a merge, and undo buttons the service would refuse --------


def test_a_record_that_came_with_a_merge_points_to_its_undo_instead_of_a_detach(
    client, auth, merged
):
    a, b, merge = merged
    brought = merge.moved["source_records"][0]
    own = next(r.id for r in _fresh(Profile, a).source_records if r.id != brought)
    auth.login_as("sales")

    page = _html(client.get(f"/profiles/{a}"))

    assert f'id="detach-{brought}"' not in page
    assert re.search(
        rf'id="came-with-merge-{brought}" href="#merge-{merge.id}">Came with merge #{merge.id}',
        page,
    )
    assert f'id="merge-{merge.id}"' in page  # the history row it points to, with its undo
    assert f'id="undo-merge-{merge.id}"' in page
    # Its only own record stays: every other came with the merge (an undo would empty it).
    assert f'id="detach-{own}"' not in page and f'id="kept-by-merge-{own}"' in page
    confirm = _html(client.get(f"/profiles/{a}/records/{brought}/detach"))
    assert 'id="detach-refused"' in confirm and 'id="confirm-detach"' not in confirm
    assert f"Came with merge #{merge.id}" in confirm


def test_only_the_newest_merge_offers_an_undo(client, auth, merged):
    a, b, first = merged
    c = factories.make_profile(first_name="Davide", last_name="Sartori")
    second = merging.merge_profiles(a, c.id, actor="test")
    auth.login_as("sales")

    page = _html(client.get(f"/profiles/{a}"))

    assert f'id="undo-merge-{second.id}"' in page
    assert f'id="undo-merge-{first.id}"' not in page
    assert re.search(rf'id="undo-first-{first.id}">Merge #{second.id} came later', page)


def test_an_absorbed_profile_offers_no_undo_of_its_own_earlier_merges(client, auth, merged):
    a, b, earlier = merged
    d = factories.make_profile(first_name="Davide", last_name="Sartori")
    absorbing = merging.merge_profiles(d.id, a, actor="test")
    auth.login_as("sales")

    page = _html(client.get(f"/profiles/{a}"))

    assert f'id="undo-merge-{earlier.id}"' not in page
    assert f'id="undo-merge-{absorbing.id}"' in page  # the banner's undo still works
    assert 'id="detach-' not in page
