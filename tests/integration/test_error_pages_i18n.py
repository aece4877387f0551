"""Every HTML error page speaks the user's language, not werkzeug's English; and the app's
own manual-entry source is named in it on the pages (stored and sent by the API as
"manual").

The Italian assertions need the Italian catalog to hold the new messages."""

import io

import pytest
from flask import abort

from crm.security import ALL_ROLES
from tests import factories

# werkzeug's own words for these errors, which a page must not show.
WERKZEUG = (
    "Bad Request",
    "The browser (or proxy) sent a request that this server could not understand.",
    "Method Not Allowed",
    "The method is not allowed for the requested URL.",
    "Request Entity Too Large",
    "The data value transmitted exceeds the capacity limit.",
    "The CSRF token is missing.",
    "Conflict",
    "A conflict happened while processing the request.",
)


def _html(response) -> str:
    return response.get_data(as_text=True)


def _add_aborting_view(app):
    """/_abort/<code>: a page that fails with that HTTP error (added before any request)."""

    def fail(code: int):
        abort(code)

    app.add_url_rule("/_abort/<int:code>", "abort_with", ALL_ROLES(fail))


def _italian(client, auth, role: str = "sales"):
    """Sign in and switch the account to Italian, as a person would."""
    user = auth.login_as(role)
    token = factories.csrf_token(client, "/account")
    response = client.post("/account/language", data={"locale": "it", "csrf_token": token})
    assert response.status_code == 302
    return user


def _no_werkzeug_words(page: str) -> None:
    assert [words for words in WERKZEUG if words in page] == []


def test_400_405_413_and_others_are_said_in_english_by_the_app(app, client, auth):
    _add_aborting_view(app)
    auth.login_as("sales")

    bad = client.get("/_abort/400")
    assert bad.status_code == 400 and bad.mimetype == "text/html"
    assert "Bad request" in _html(bad)
    assert "Go back, reload the page and try again." in _html(bad)

    wrong_method = client.get("/account/language")  # a form's address, opened as a link
    assert wrong_method.status_code == 405
    assert "Method not allowed" in _html(wrong_method)
    assert "use the links and buttons of the app" in _html(wrong_method)

    other = client.get("/_abort/409")
    assert other.status_code == 409
    assert "Error 409" in _html(other)
    assert "The request could not be completed. Go back and try again." in _html(other)


def test_a_form_without_its_token_says_to_reload_it(client, auth):
    auth.login_as("sales")

    response = client.post("/account/language", data={"locale": "it"})

    assert response.status_code == 400
    assert "The form has expired or was not sent from a page of this app." in _html(response)
    assert "The CSRF token is missing." not in _html(response)


def test_error_pages_are_in_italian(app, client, auth):
    _add_aborting_view(app)
    _italian(client, auth)

    bad = _html(client.get("/_abort/400"))
    assert "Richiesta non valida" in bad
    assert "La richiesta non è stata compresa." in bad
    _no_werkzeug_words(bad)

    wrong_method = _html(client.get("/account/language"))
    assert "Metodo non consentito" in wrong_method
    assert "usa i link e i pulsanti dell&#39;app" in wrong_method
    _no_werkzeug_words(wrong_method)

    tokenless = _html(client.post("/account/language", data={"locale": "en"}))
    assert "Il modulo è scaduto" in tokenless
    _no_werkzeug_words(tokenless)

    other = _html(client.get("/_abort/409"))
    assert "Errore 409" in other
    assert "Non è stato possibile completare la richiesta." in other
    _no_werkzeug_words(other)


def test_a_too_large_upload_is_refused_in_italian(app, client, auth):
    _italian(client, auth, "marketer")
    app.config["MAX_CONTENT_LENGTH"] = 2000
    data = {
        "source": "",
        "new_source": "fiera",
        "format": "auto",
        "file": (io.BytesIO(b"email\n" + b"a@example.com\n" * 500), "a.csv"),
    }

    response = client.post("/imports/new", data=data, content_type="multipart/form-data")

    assert response.status_code == 413
    assert "Troppo grande" in _html(response)
    _no_werkzeug_words(_html(response))


@pytest.fixture
def typed_in(client):
    """A profile typed in by hand: its record is the manual-entry source's."""
    return factories.make_profile(emails=["giulia@example.it"])


def test_the_manual_source_is_named_in_english_without_its_code(client, auth, typed_in):
    auth.login_as("admin")

    page = _html(client.get(f"/profiles/{typed_in.id}"))

    assert '<a href="#source-record-1">Manual entry</a>' in page  # the email's provenance
    assert "<td>manual</td>" not in page and ">manual</a>" not in page


def test_the_manual_source_is_named_in_italian_on_the_pages(client, auth, typed_in):
    _italian(client, auth, "admin")

    page = _html(client.get(f"/profiles/{typed_in.id}"))
    assert "Inserimento manuale" in page
    assert "Manual entry" not in page
    assert "<td>manual</td>" not in page and ">manual</a>" not in page

    admin = _html(client.get("/admin/sources"))
    assert "<td>Inserimento manuale</td>" in admin
    assert "Manual entry" not in admin
    assert "<code>manual</code>" in admin  # the name the API and the CLI know it by


def test_the_api_keeps_the_stored_name_and_label(client, api_headers, typed_in):
    response = client.get(f"/api/v1/profiles/{typed_in.id}", headers=api_headers("admin"))

    assert response.status_code == 200
    assert "Inserimento manuale" not in response.get_data(as_text=True)
