"""HTTP tests of the profiles web UI: search, detail, create, edit, access control."""

import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Profile, Source, SourceRecord, StageChange
from crm.services import duplicates, ingest, profiles, users
from tests import factories


class _FormReader(HTMLParser):
    """Collect what a browser would post from the page's profile form."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        """Remember inputs, textareas and the selected options inside #profile-form."""
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = attrs.get("id") == "profile-form"
        if not self._in_form:
            return
        if tag == "input" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
            self.values.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        """Close textareas, selects and the form."""
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        """Textarea content."""
        if self._textarea:
            self.values[self._textarea] += data


def read_form(client, path: str) -> dict[str, str]:
    """GET path and return the profile form's current values (CSRF token included)."""
    response = client.get(path)
    assert response.status_code == 200
    reader = _FormReader()
    reader.feed(response.get_data(as_text=True))
    assert "csrf_token" in reader.values
    return reader.values


def field_html(html: str, name: str) -> str:
    """The HTML of one field's cell on the detail page."""
    match = re.search(rf'id="field-{name}">(.*?)</dd>', html, re.S)
    assert match, f"no field {name}"
    return match.group(1)


def fresh(profile_id: int) -> Profile:
    """The profile as stored now, not as this session last saw it."""
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def count(model) -> int:
    """Rows in a table."""
    return db.session.scalar(select(func.count()).select_from(model))


# --- list and search -------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    ["Ottavia", "ottavia lombardi", "ottavia.l@", "333 1234567", "+39 333 123 4567", "vetreria"],
)
def test_search_finds_by_name_email_phone_or_company(client, auth, q):
    target = factories.make_profile(
        first_name="Ottavia",
        last_name="Lombardi",
        emails=["ottavia.l@example.com"],
        phones=["+393331234567"],
        company="Vetreria Murano",
    )
    factories.make_profile(first_name="Carlo", last_name="Bianchi", company="Acme")
    auth.login_as("sales")
    html = client.get("/profiles/", query_string={"q": q}).get_data(as_text=True)
    links = re.findall(r'class="profile-link" href="/profiles/(\d+)"', html)
    assert links == [str(target.id)]
    assert f'value="{q}"' in html


def test_list_shows_columns(client, auth):
    owner = factories.make_user(role="sales", name="Sara Venditrice")
    factories.make_profile(
        first_name="Ottavia",
        emails=["ottavia@example.com"],
        phones=["+393331234567"],
        company="Vetreria Murano",
        city="Venezia",
        stage="mql",
        owner=owner.id,
    )
    auth.login_as("sales")
    html = client.get("/profiles/").get_data(as_text=True)
    row = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    for text in (
        "Ottavia",
        "ottavia@example.com",
        "+39 333 123 4567",
        "Vetreria Murano",
        "Venezia",
        "stage-mql",
        "Sara Venditrice",
    ):
        assert text in row
    assert 'id="profile-search"' in html


def test_pagination_follows_keyset_cursor_and_keeps_query(app, client, auth):
    app.config["PAGE_SIZE"] = 2
    ids = [factories.make_profile(company="Pagina Srl").id for _ in range(5)]
    factories.make_profile(company="Other")
    auth.login_as("sales")

    seen, url = [], "/profiles/?q=pagina"
    for _ in range(5):
        html = client.get(url).get_data(as_text=True)
        seen.append(re.findall(r'class="profile-link" href="/profiles/(\d+)"', html))
        nxt = re.search(r'id="next-page" href="([^"]+)"', html)
        if not nxt:
            break
        url = nxt.group(1).replace("&amp;", "&")
        assert "q=pagina" in url and "after=" in url
    expected = [str(i) for i in sorted(ids, reverse=True)]
    assert seen == [expected[0:2], expected[2:4], expected[4:5]]


def test_empty_search_says_so_and_escapes_the_query(client, auth):
    auth.login_as("sales")
    html = client.get("/profiles/", query_string={"q": "<script>zz"}).get_data(as_text=True)
    assert 'id="no-profiles"' in html
    assert "<script>zz" not in html
    assert "&lt;script&gt;zz" in html


def test_new_profile_button_only_for_editors(client, auth):
    auth.login_as("sales")
    assert b'id="new-profile"' in client.get("/profiles/").data
    auth.logout()
    auth.login_as("marketer")
    response = client.get("/profiles/")
    assert response.status_code == 200
    assert b'id="new-profile"' not in response.data


# --- detail ----------------------------------------------------------------------------


def _add_source_record(profile: Profile, raw: dict) -> SourceRecord:
    """Attach a record from a 'webshop' source and let it provide the company."""
    source = Source(name="webshop", label="Web shop", party="second", trust_rank=60)
    record = SourceRecord(source=source, external_id="WS-42", profile_id=profile.id, raw=raw)
    db.session.add(record)
    db.session.flush()
    profile.company = "Vetreria Murano"
    profile.provenance = {
        **profile.provenance,
        "company": {"source_record_id": record.id, "source": "webshop"},
    }
    db.session.commit()
    return record


def test_detail_shows_fields_provenance_and_source_records(client, auth):
    profile = factories.make_profile(
        first_name="Ottavia",
        last_name="Lombardi",
        emails=["ottavia@example.com", "o.lombardi@example.org"],
        phones=["+393331234567"],
        job_title="Buyer",
        address="Via Roma 1",
        address_line_2="Scala B",
        postcode="30100",
        city="Venezia",
        state="VE",
        country="Italy",
        birth_date="03/02/1980",
        tags=["vip", "fair-2024"],
    )
    record = _add_source_record(profile, {"Nome": "Ottavia", "Ragione sociale": "Vetreria"})
    auth.login_as("compliance")
    response = client.get(f"/profiles/{profile.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)

    for text in ("Buyer", "Via Roma 1", "Scala B", "30100", "Venezia", "VE", "IT", "Feb 3, 1980"):
        assert text in html
    assert "o.lombardi@example.org" in field_html(html, "emails")
    assert "+39 333 123 4567" in field_html(html, "phones")
    assert "vip" in field_html(html, "tags") and "fair-2024" in field_html(html, "tags")
    assert "manual edit" in field_html(html, "first_name")
    company = field_html(html, "company")
    assert "Vetreria Murano" in company and 'class="provenance"' in company
    assert "webshop" in company and "manual edit" not in company

    sources = re.search(r'id="source-records">(.*?)</table>', html, re.S).group(1)
    assert f'id="source-record-{record.id}"' in sources
    for text in ("webshop", "second", "60", "WS-42", "Ragione sociale", "Vetreria", "Manual entry"):
        assert text in sources
    assert 'id="stage-history"' in html
    assert b'id="edit-profile"' not in response.data  # compliance reads only


def test_detail_escapes_raw_payload(client, auth):
    profile = factories.make_profile()
    _add_source_record(
        profile, {"note": "<script>alert('x')</script>", "<b>key</b>": ["<img src=x>", 1]}
    )
    auth.login_as("sales")
    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x>" not in html and "<b>key</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;key&lt;/b&gt;" in html and "&lt;img src=x&gt;" in html


def test_unknown_profile_is_404(client, auth):
    auth.login_as("sales")
    assert client.get("/profiles/999999").status_code == 404
    assert client.get("/profiles/999999/edit").status_code == 404


# --- create ----------------------------------------------------------------------------


def test_create_profile_makes_manual_source_record(client, auth):
    user = auth.login_as("sales")
    form = read_form(client, "/profiles/new")
    form.update(
        first_name="Ottavia",
        last_name="Lombardi",
        emails="Ottavia@Example.com\nsecond@example.com\n",
        phones="333 1234567",
        company="Vetreria Murano",
        birth_date="03/02/1980",
        tags="vip, fair",
        stage="mql",
        owner=str(user.id),
    )
    response = client.post("/profiles/new", data=form)
    assert response.status_code == 302
    profile_id = int(re.search(r"/profiles/(\d+)$", response.headers["Location"]).group(1))

    profile = fresh(profile_id)
    assert [e.email for e in profile.emails] == ["ottavia@example.com", "second@example.com"]
    assert profile.primary_phone == "+393331234567"
    assert profile.birth_date.isoformat() == "1980-02-03"
    assert [t.name for t in profile.tags] == ["fair", "vip"]
    assert (profile.stage, profile.owner_id) == ("mql", user.id)
    [record] = profile.source_records
    assert record.source.name == "manual"
    assert record.raw["company"] == "Vetreria Murano"
    assert "Profile created." in client.get(f"/profiles/{profile_id}").get_data(as_text=True)


def test_create_with_invalid_email_shows_field_error_and_saves_nothing(client, auth):
    auth.login_as("sales")
    form = read_form(client, "/profiles/new")
    form.update(first_name="Ottavia", emails="not-an-email")
    response = client.post("/profiles/new", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "alert-danger" in html
    assert re.search(r'id="emails"[^>]*>\s*not-an-email</textarea>', html)
    assert re.search(r"invalid-feedback[^>]*>[^<]*not-an-email", html)
    assert count(Profile) == 0
    assert count(SourceRecord) == 0


def test_a_new_profile_like_someone_here_is_shown_with_them_before_it_is_saved(client, auth):
    auth.login_as("sales")
    known = factories.make_profile(
        first_name="Giulia", last_name="Ferraresi", company="Acme Srl", city="Milano"
    )
    form = read_form(client, "/profiles/new")
    form.update(first_name="Giulia", last_name="Ferraresi", company="ACME", city="Milano")
    response = client.post("/profiles/new", data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'id="likely-duplicates"' in html
    assert f'href="/profiles/{known.id}"' in html and "company: same" in html
    assert 'id="create-anyway"' in html
    assert re.search(r'id="first_name"[^>]*value="Giulia"', html)  # nothing typed is lost
    assert count(Profile) == 1

    response = client.post("/profiles/new", data={**form, "create_anyway": "Create anyway"})
    assert response.status_code == 302
    created = int(re.search(r"/profiles/(\d+)$", response.headers["Location"]).group(1))
    [pair] = duplicates.open_candidates()[0]
    assert (pair.profile_a_id, pair.profile_b_id) == (known.id, created)
    assert pair.reasons[0] == "found when created by hand"


# --- edit ------------------------------------------------------------------------------


def test_edit_saves_changes(client, auth):
    profile = factories.make_profile(first_name="Ottavia", city="Venezia", tags=["vip"])
    auth.login_as("sales")
    form = read_form(client, f"/profiles/{profile.id}/edit")
    assert form["first_name"] == "Ottavia" and form["tags"] == "vip"
    assert form["version"] == str(profile.version)
    form.update(city="Torino", stage="sql", job_title="", phones="+39 333 765 4321")
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/profiles/{profile.id}")

    saved = fresh(profile.id)
    assert (saved.city, saved.stage, saved.first_name) == ("Torino", "sql", "Ottavia")
    assert saved.primary_phone == "+393337654321"
    assert [t.name for t in saved.tags] == ["vip"]
    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)
    assert "Profile saved." in html
    assert "stage-sql" in re.search(r'id="stage-history">(.*?)</table>', html, re.S).group(1)


def test_stale_edit_is_refused_with_409_and_nothing_overwritten(client, auth):
    profile = factories.make_profile(city="Venezia", company="Old Co")
    auth.login_as("sales")
    form = read_form(client, f"/profiles/{profile.id}/edit")
    # Someone else saves between this user's opening the form and pressing Save.
    profiles.update_profile(profile.id, {"city": "Napoli"}, expected_version=None, actor="test")

    form.update(city="Torino", company="New Co")
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    alert = re.search(r'class="alert alert-danger"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "changed by someone else" in alert and "Nothing was saved" in alert
    saved = fresh(profile.id)
    assert (saved.city, saved.company) == ("Napoli", "Old Co")


def test_edit_with_invalid_email_shows_field_error_and_saves_nothing(client, auth):
    profile = factories.make_profile(city="Venezia", emails=["ok@example.com"])
    auth.login_as("sales")
    form = read_form(client, f"/profiles/{profile.id}/edit")
    form.update(city="Torino", emails="ok@example.com\nbroken@@example")
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 422
    assert re.search(r"invalid-feedback[^>]*>[^<]*broken@@example", response.get_data(as_text=True))
    saved = fresh(profile.id)
    assert saved.city == "Venezia"
    assert [e.email for e in saved.emails] == ["ok@example.com"]


def test_edit_with_email_of_another_profile_is_refused_naming_it(client, auth):
    holder = factories.make_profile(emails=["taken@example.com"])
    profile = factories.make_profile(emails=["mine@example.com"])
    auth.login_as("sales")
    form = read_form(client, f"/profiles/{profile.id}/edit")
    form.update(emails="taken@example.com")
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert f"taken@example.com belongs to profile #{holder.id}." in html
    assert [e.email for e in fresh(profile.id).emails] == ["mine@example.com"]


def test_edit_keeps_an_owner_who_was_deactivated(client, auth):
    owner = factories.make_user(role="sales")
    profile = factories.make_profile(owner=owner.id)
    users.update_user(owner.id, active=False, actor="test")
    auth.login_as("sales")
    form = read_form(client, f"/profiles/{profile.id}/edit")
    assert form["owner"] == str(owner.id)
    form.update(city="Torino")
    assert client.post(f"/profiles/{profile.id}/edit", data=form).status_code == 302
    saved = fresh(profile.id)
    assert (saved.city, saved.owner_id) == ("Torino", owner.id)


def test_edit_without_version_is_refused(client, auth):
    profile = factories.make_profile(city="Venezia")
    auth.login_as("sales")
    form = read_form(client, f"/profiles/{profile.id}/edit")
    del form["version"]
    form.update(city="Torino")
    assert client.post(f"/profiles/{profile.id}/edit", data=form).status_code == 422
    assert fresh(profile.id).city == "Venezia"


# --- access control and CSRF -----------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "compliance"])
def test_readers_get_403_on_edit_and_new(client, auth, role):
    profile = factories.make_profile(city="Venezia")
    auth.login_as(role)
    assert client.get(f"/profiles/{profile.id}").status_code == 200
    assert b'id="edit-profile"' not in client.get(f"/profiles/{profile.id}").data
    assert client.get(f"/profiles/{profile.id}/edit").status_code == 403
    assert client.get("/profiles/new").status_code == 403
    token = factories.csrf_token(client, "/account")
    data = {"csrf_token": token, "city": "Torino", "version": str(profile.version)}
    assert client.post(f"/profiles/{profile.id}/edit", data=data).status_code == 403
    assert client.post("/profiles/new", data=data).status_code == 403
    assert fresh(profile.id).city == "Venezia"
    assert count(Profile) == 1


@pytest.mark.parametrize("path", ["/profiles/", "/profiles/1", "/profiles/new", "/profiles/1/edit"])
def test_anonymous_is_sent_to_login(client, path):
    factories.make_profile()
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_post_without_csrf_token_is_refused(client, auth):
    profile = factories.make_profile(city="Venezia")
    auth.login_as("sales")
    form = read_form(client, f"/profiles/{profile.id}/edit")
    del form["csrf_token"]
    form.update(city="Torino")
    assert client.post(f"/profiles/{profile.id}/edit", data=form).status_code == 400
    assert client.post("/profiles/new", data=form).status_code == 400
    assert fresh(profile.id).city == "Venezia"
    assert count(Profile) == 1


def test_edit_sets_a_tax_code_and_refuses_a_bad_one(client, auth):
    profile = factories.make_profile(first_name="Mario", last_name="Rossi")
    auth.login_as("sales")
    form = read_form(client, f"/profiles/{profile.id}/edit")
    form.update(tax_id="RSSMRA85T10A562X")  # wrong check character
    response = client.post(f"/profiles/{profile.id}/edit", data=form)
    assert response.status_code == 422
    assert re.search(r"invalid-feedback[^>]*>[^<]*codice fiscale", response.get_data(as_text=True))
    assert fresh(profile.id).tax_id is None

    form = read_form(client, f"/profiles/{profile.id}/edit")
    form.update(tax_id="rss mra 85t10 a562s")
    assert client.post(f"/profiles/{profile.id}/edit", data=form).status_code == 302
    assert fresh(profile.id).tax_id == "RSSMRA85T10A562S"
    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)
    assert re.search(r'id="field-tax_id">\s*RSSMRA85T10A562S', html)


def test_a_profile_page_names_its_open_pairs_to_reviewers_only(client, auth):
    known = factories.make_profile(first_name="Giulia", last_name="Ferraresi", company="Acme")
    typed = factories.make_profile(first_name="Giulia", last_name="Ferraresi", company="ACME")
    [pair] = duplicates.open_candidates()[0]

    def page(profile_id: int) -> str:
        return client.get(f"/profiles/{profile_id}").get_data(as_text=True)

    auth.login_as("marketer")
    assert 'id="suspected-duplicates"' not in page(known.id)  # not theirs to review
    auth.logout()
    auth.login_as("sales")
    html = page(known.id)
    assert 'id="suspected-duplicates"' in html
    assert f'href="/profiles/{typed.id}"' in html and f'href="/duplicates/{pair.id}"' in html
    duplicates.decide(pair.id, "distinct", actor="test")
    assert 'id="suspected-duplicates"' not in page(known.id)


def test_the_profile_page_shows_each_consent_and_how_it_was_given(client, auth):
    auth.login_as("marketer")
    ingest.import_records(
        [{"email": "ada@example.com", "first_name": "Ada", "email_opt_in": "yes"}],
        source_name="shop",
    )
    ingest.import_records(
        [
            {
                "email": "ada@example.com",
                "consents": [
                    {
                        "purpose": "sms_marketing",
                        "status": "withdrawn",
                        "recorded_at": "2024-03-03T12:00:00Z",
                        "evidence": {"ip": "<b>203.0.113.9</b>"},
                    }
                ],
            }
        ],
        source_name="newsletter",
    )
    profile = profiles.search_profiles("ada@example.com")[0][0]
    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)
    assert re.search(r'id="consent-email_marketing">Email marketing: granted<', html)
    assert re.search(r'id="consent-sms_marketing">SMS marketing: withdrawn<', html)
    assert re.search(r'id="consent-profiling">Profiling: not asked<', html)
    history = re.search(r'id="consent-history">(.*?)</table>', html, re.S).group(1)
    # Newest first: the undated opt-in is stamped now, the SMS withdrawal says 2024.
    assert history.index("Email marketing") < history.index("SMS marketing")
    assert "time unknown: stamped when imported" in history and "newsletter" in history
    assert "&lt;b&gt;203.0.113.9&lt;/b&gt;" in history


def test_a_withdrawal_sent_with_this_profiles_email_by_another_person_says_so(client, auth):
    auth.login_as("marketer")
    factories.import_records(
        "shop",
        {
            "id": "1",
            "first_name": "Dario",
            "last_name": "Conti",
            "email": "casa.conti@example.it",
            "email_opt_in": "yes",
        },
    )
    factories.import_records(
        "newsletter",
        {
            "id": "7",
            "first_name": "Elsa",
            "last_name": "Conti",
            "email": "casa.conti@example.it",
            "email_opt_in": "unsubscribed",
        },
    )
    dario = profiles.search_profiles("Dario")[0][0]
    elsa = profiles.search_profiles("Elsa")[0][0]
    assert dario.id != elsa.id

    html = client.get(f"/profiles/{dario.id}").get_data(as_text=True)

    assert re.search(r'id="consent-email_marketing">Email marketing: withdrawn<', html)
    stated = re.search(r'class="provenance stated-by">(.*?)</div>', html, re.S).group(1)
    assert "sent with an email address this profile holds, by the record of" in stated
    assert f'href="/profiles/{elsa.id}"' in stated
    assert "stated_by_profile" not in html and "held_address" not in html


def test_the_stage_history_names_who_or_what_made_each_change(client, auth):
    rep = auth.login_as("sales", name="Rita Rossi")
    nameless = factories.make_user()
    nameless.name = ""  # the factory names everyone; a user may have no name
    gone = factories.make_user(name="Gianni Andato")
    profile = factories.make_profile()
    for stage, actor in (("mql", rep), ("sql", nameless), ("customer", gone)):
        profiles.update_profile(profile.id, {"stage": stage}, expected_version=None, actor=actor)
    gone_id = gone.id
    db.session.delete(gone)
    for label in ("cli:import:shop", "import:fair", "merge:7", "rule:lead-scoring", "system"):
        db.session.add(StageChange(profile_id=profile.id, to_stage="customer", actor_label=label))
    db.session.commit()

    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)
    history = re.search(r'id="stage-history">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", history.split("<tbody>")[1], re.S)
    actors = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[3].strip() for row in rows]
    assert actors == [
        "system",
        "rule lead-scoring",
        "merge #7",
        "import from fair",
        "import from shop",
        f"deleted user #{gone_id}",
        nameless.email,
        "Rita Rossi",
        "test",
    ]
    assert "user:" not in history


def test_a_rep_detaches_a_record_that_joined_the_wrong_person(client, auth):
    luca = {"first_name": "Luca", "phone": "051 654321"}
    ingest.import_records([{"id": "F1", **luca}], source_name="crm")
    ingest.import_records([{"id": "S1", **luca, "email": "l85@example.com"}], source_name="shop")
    father = profiles.search_profiles("051 654321")[0][0]
    son_record = next(r for r in father.source_records if r.external_id == "S1")
    auth.login_as("marketer")
    html = client.get(f"/profiles/{father.id}").get_data(as_text=True)
    assert f'id="detach-{son_record.id}"' not in html  # not an editor
    token = {"csrf_token": factories.csrf_token(client, "/account")}
    refused = client.post(f"/profiles/{father.id}/records/{son_record.id}/detach", data=token)
    assert refused.status_code == 403
    auth.logout()
    auth.login_as("sales")
    path = f"/profiles/{father.id}"
    assert f'id="detach-{son_record.id}"' in client.get(path).get_data(as_text=True)
    detach = f"{path}/records/{son_record.id}/detach"
    confirm = client.get(detach)  # first a page that shows the record
    assert confirm.status_code == 200 and "l85@example.com" in confirm.get_data(as_text=True)
    assert client.get(f"{path}/records/999999/detach").status_code == 404
    assert client.post(detach).status_code == 400  # no CSRF token
    response = client.post(detach, data={"csrf_token": factories.csrf_token(client, detach)})
    assert response.status_code == 302
    new_id = int(re.search(r"/profiles/(\d+)$", response.headers["Location"]).group(1))
    assert new_id != father.id
    page = client.get(f"/profiles/{new_id}").get_data(as_text=True)
    assert "will not be proposed as duplicates" in page
    assert 'class="btn btn-outline-secondary btn-sm detach-record"' not in page  # one record


def test_a_sales_reps_new_profile_is_theirs_unless_they_choose_otherwise(client, auth):
    rep = auth.login_as("sales")
    form = read_form(client, "/profiles/new")
    assert form["owner"] == str(rep.id)
    form.update(first_name="Ottavia", last_name="Brambilla")
    response = client.post("/profiles/new", data=form)
    created = int(re.search(r"/profiles/(\d+)$", response.headers["Location"]).group(1))
    assert fresh(created).owner_id == rep.id
    form = read_form(client, "/profiles/new")
    form.update(first_name="Ugo", last_name="Zanetti", owner="")
    response = client.post("/profiles/new", data=form)
    created = int(re.search(r"/profiles/(\d+)$", response.headers["Location"]).group(1))
    assert fresh(created).owner_id is None


def test_a_phone_that_belongs_to_a_relative_is_named_with_its_holder(client, auth):
    header = "id,first_name,last_name,phone,birth_date\n"
    for row, source in (
        ("F1,Luca,Moretti,051 654321,1950-01-01\n", "crm"),
        ("S1,Luca,Moretti,051 654321,1985-05-05\n", "shop"),
    ):
        stream = io.BytesIO((header + row).encode())
        ingest.import_stream(stream, filename="people.csv", source_name=source)
    father, son = db.session.scalars(select(Profile).order_by(Profile.birth_date)).all()
    assert son.phones == []  # a number belongs to one profile: the father's
    auth.login_as("sales")
    page = client.get(f"/profiles/{son.id}").get_data(as_text=True)
    phones = re.search(r'id="field-phones">(.*?)</dd>', page, re.S).group(1)
    assert "+39 051 654321" in phones
    assert f'href="/profiles/{father.id}"' in phones
    page = client.get(f"/profiles/{father.id}").get_data(as_text=True)
    assert "held-elsewhere" not in page


def test_an_address_a_newsletter_tool_cleaned_shows_as_bounced_until_given_again(client, auth):
    header = "Email Address,First Name,Last Name,OPTIN_TIME,CLEAN_TIME,MEMBER_RATING\n"
    cleaned = "dario@example.it,Dario,Gallo,2022-01-05 10:00:00,2024-02-01 08:00:00,1\n"
    ingest.import_stream(
        io.BytesIO((header + cleaned).encode()), filename="c.csv", source_name="mc"
    )
    dario = db.session.scalar(select(Profile))
    auth.login_as("sales")
    page = client.get(f"/profiles/{dario.id}").get_data(as_text=True)
    emails = re.search(r'id="field-emails">(.*?)</dd>', page, re.S).group(1)
    assert "bounced" in emails and "Feb 1, 2024" in emails and "mc says" in emails
    # A later form fill with the address (it works again) clears the mark.
    form = "id,email,first_name,last_name\nW1,dario@example.it,Dario,Gallo\n"
    ingest.import_stream(io.BytesIO(form.encode()), filename="w.csv", source_name="web")
    page = client.get(f"/profiles/{dario.id}").get_data(as_text=True)
    emails = re.search(r'id="field-emails">(.*?)</dd>', page, re.S).group(1)
    assert "bounced" not in emails
