"""HTTP tests of how pages show dates (in the user's locale) and import field names (labels)."""

import io
import re
from pathlib import Path

import pytest

from crm.extensions import db
from crm.forms.imports import FIELD_LABELS
from crm.services import duplicates, imports_ui
from tests import factories

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
# Babel's medium date of 1985-03-12 in each UI language.
BIRTH_DATE = {"en": "Mar 12, 1985", "it": "12 mar 1985"}


def _html(response) -> str:
    return response.get_data(as_text=True)


def _sign_in(client, auth, role: str, locale: str):
    """Sign in with role and choose the UI language, as a person would on their account."""
    user = auth.login_as(role)
    token = factories.csrf_token(client, "/account")
    response = client.post("/account/language", data={"locale": locale, "csrf_token": token})
    assert response.status_code == 302
    return user


def _birth_date_shown(html: str, locale: str) -> None:
    """The birth date is in the locale's medium style, never ISO."""
    assert BIRTH_DATE[locale] in html
    assert "1985-03-12" not in html


@pytest.mark.parametrize("locale", ["en", "it"])
def test_profile_page_shows_the_birth_date_in_the_users_language(client, auth, locale):
    profile = factories.make_profile(birth_date="1985-03-12")
    _sign_in(client, auth, "sales", locale)

    html = _html(client.get(f"/profiles/{profile.id}"))

    field = re.search(r'id="field-birth_date">(.*?)</dd>', html, re.S).group(1)
    _birth_date_shown(field, locale)


def test_profile_edit_form_keeps_the_birth_date_iso_in_its_input(client, auth):
    profile = factories.make_profile(birth_date="1985-03-12")
    _sign_in(client, auth, "sales", "it")

    html = _html(client.get(f"/profiles/{profile.id}/edit"))

    assert 'value="1985-03-12"' in html


@pytest.mark.parametrize("locale", ["en", "it"])
def test_merge_confirmation_shows_birth_dates_in_the_users_language(client, auth, locale):
    survivor = factories.make_profile(birth_date="1985-03-12")
    other = factories.make_profile(birth_date="1985-03-12")
    _sign_in(client, auth, "sales", locale)

    html = _html(client.get(f"/profiles/{survivor.id}/merge/{other.id}"))

    assert 'id="merge-form"' in html
    assert html.count(BIRTH_DATE[locale]) >= 2
    assert "1985-03-12" not in html


@pytest.mark.parametrize("locale", ["en", "it"])
def test_pair_comparison_shows_birth_dates_in_the_users_language(client, auth, locale):
    a = factories.make_profile(birth_date="1985-03-12")
    b = factories.make_profile(birth_date="1985-03-12")
    candidate = duplicates.propose(a.id, b.id, 0.8, ["last name: exact"])
    db.session.commit()
    _sign_in(client, auth, "sales", locale)

    html = _html(client.get(f"/duplicates/{candidate.id}"))

    row = re.search(r'<tr id="compare-birth_date"[^>]*>.*?</tr>', html, re.S).group(0)
    assert row.count(BIRTH_DATE[locale]) == 2 and "compare-same" in row
    _birth_date_shown(row, locale)


def _mapping_options(client, content: bytes, fmt: str) -> list[tuple[str, str]]:
    """Upload a file and read the first column's select: (value, text) of each option."""
    data = {
        "csrf_token": factories.csrf_token(client, "/imports/new"),
        "source": "",
        "new_source": "fiera",
        "format": fmt,
        "file": (io.BytesIO(content), "export.csv"),
    }
    response = client.post("/imports/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, _html(response)
    html = _html(client.get(response.headers["Location"]))
    select = html.split('id="col_0"')[1].split("</select>")[0]
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select)


@pytest.mark.parametrize(
    ("fmt", "fixture"),
    [("hubspot", "hubspot_contacts.csv"), ("mailchimp", "mailchimp_subscribed.csv")],
)
@pytest.mark.parametrize(("locale", "first_name"), [("en", "First name"), ("it", "Nome")])
def test_mapping_preview_offers_every_field_by_its_label(
    client, auth, fmt, fixture, locale, first_name
):
    _sign_in(client, auth, "marketer", locale)

    options = _mapping_options(client, (FIXTURES / fixture).read_bytes(), fmt)

    shown = dict(options)
    assert set(imports_ui.mapping_targets(fmt)) <= set(shown)
    assert shown["first_name"] == first_name
    for value, text in options[1:]:
        assert value in FIELD_LABELS, f"{value} has no label"
        raw = text.strip() == value or f"({value})" in text or "_" in text
        assert text.strip() and not raw, f"{value} is shown as {text!r}"


def test_mapping_preview_labels_hubspot_and_mailchimp_columns_in_english(client, auth):
    _sign_in(client, auth, "marketer", "en")

    hubspot = dict(
        _mapping_options(client, (FIXTURES / "hubspot_contacts.csv").read_bytes(), "hubspot")
    )
    mailchimp = dict(
        _mapping_options(client, (FIXTURES / "mailchimp_subscribed.csv").read_bytes(), "mailchimp")
    )

    assert hubspot["marketing_status"] == "Marketing contact status (HubSpot)"
    assert hubspot["subscription_status"].startswith("Subscription status")
    assert hubspot["email_opt_in"].startswith("Email marketing opt-in")
    assert mailchimp["optin_time"] == "Time of the sign-up (opt-in)"
