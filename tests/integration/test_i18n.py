"""The interface in the user's language, and an Italian catalog that keeps up with the code.

A string added to the code without a translation fails test_catalog_matches_the_code: run
`bash scripts/translations.sh update`, translate the new entries in
crm/translations/it/LC_MESSAGES/messages.po, then `bash scripts/translations.sh compile`.
"""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from crm.extensions import db
from crm.models import StageChange, User
from crm.services import ingest, users
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
CRM = ROOT / "crm"
PO = CRM / "translations" / "it" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
# The same keywords as `pybabel extract -k _l -k lazy_gettext -k lazy_pgettext:1c,2` in
# scripts/translations.sh.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_pgettext": ((1, "c"), 2),
}
FIX = (
    "run `bash scripts/translations.sh update`, translate every entry in "
    f"{PO.relative_to(ROOT)}, then `bash scripts/translations.sh compile`"
)


def _html(response) -> str:
    return response.get_data(as_text=True)


def _choose_language(client, locale: str):
    """Post the language form on the account page, as the browser would."""
    token = factories.csrf_token(client, "/account")
    return client.post("/account/language", data={"locale": locale, "csrf_token": token})


def _read_po() -> Catalog:
    with PO.open("rb") as f:
        return read_po(f, locale="it")


def _entries(catalog: Catalog) -> dict:
    """(msgid, context) -> msgstr, header left out; plural forms as tuples (a compiled
    catalog gives them as lists)."""

    def plain(value):
        return tuple(value) if isinstance(value, list) else value

    return {(plain(m.id), m.context): plain(m.string) for m in catalog if m.id}


# --- the interface follows the user's choice ---------------------------------------------------


def test_user_who_picks_italian_sees_italian(client, auth):
    user = auth.login_as("sales")
    response = _choose_language(client, "it")
    assert response.status_code == 302
    assert db.session.get(User, user.id).locale == "it"

    home = _html(client.get("/"))
    assert 'lang="it"' in home
    assert ">Profili<" in home
    assert "Esci" in home
    assert "Cerca" in home
    assert "Profiles" not in home
    assert "Sign out" not in home

    account = _html(client.get("/account"))
    assert "Il tuo account" in account
    assert "Chiavi API" in account
    # Form labels are lazy strings: they too are rendered in the user's language.
    assert "Cambia password" in account
    assert "Change password" not in account


def test_a_user_who_has_not_chosen_follows_the_browser(client, auth):
    user = auth.login_as("sales")
    assert user.locale is None
    italian = _html(client.get("/", headers={"Accept-Language": "it-IT,it;q=0.9"}))
    assert 'lang="it"' in italian and ">Profili<" in italian
    english = _html(client.get("/", headers={"Accept-Language": "en-GB,en"}))
    assert 'lang="en"' in english and ">Profiles<" in english

    _choose_language(client, "it")
    _choose_language(client, "")  # "The browser's language" again
    assert db.session.get(User, user.id).locale is None
    assert 'lang="en"' in _html(client.get("/", headers={"Accept-Language": "en"}))


def test_english_user_sees_english(client, auth):
    user = auth.login_as("sales")
    _choose_language(client, "en")
    assert db.session.get(User, user.id).locale == "en"
    home = _html(client.get("/", headers={"Accept-Language": "it-IT,it;q=0.9"}))
    assert 'lang="en"' in home
    assert ">Profiles<" in home
    assert "Sign out" in home
    assert "Profili" not in home
    assert "Esci" not in home


def test_stored_preference_wins_over_the_browser(client, auth, app):
    user = auth.login_as("admin")
    users.set_locale(user, "it")
    page = _html(client.get("/admin/users/new", headers={"Accept-Language": "en-US,en"}))
    assert 'lang="it"' in page
    assert ">Utenti<" in page
    # Lazily translated role labels in the form's choices.
    assert "Amministratore" in page
    assert "Administrator" not in page


@pytest.mark.parametrize(
    ("accept_language", "lang", "sign_in"),
    [
        ("it-IT,it;q=0.9,en;q=0.8", "it", "Accedi"),
        ("it", "it", "Accedi"),
        ("en-GB,en;q=0.9,it;q=0.5", "en", "Sign in"),
        ("de-DE,de;q=0.9", "en", "Sign in"),
        (None, "en", "Sign in"),
    ],
)
def test_login_page_follows_the_browser(client, accept_language, lang, sign_in):
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = _html(client.get("/login", headers=headers))
    assert f'lang="{lang}"' in page
    assert f">{sign_in}<" in page
    other = "Sign in" if sign_in == "Accedi" else "Accedi"
    assert other not in page


def test_flash_messages_are_translated(client):
    factories.make_user(email="giulia@staff.example")
    token = factories.csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"email": "giulia@staff.example", "password": "wrong", "csrf_token": token},
        headers={"Accept-Language": "it-IT"},
        follow_redirects=True,
    )
    assert "Email o password non validi." in _html(response)


# --- the catalog is complete, current and compiled ---------------------------------------------


def test_every_message_is_translated():
    catalog = _read_po()
    assert not catalog.fuzzy, f"{PO.name}: the header is marked fuzzy; compile would skip it"
    untranslated = [m.id for m in catalog if m.id and not m.string]
    if catalog.num_plurals > 1:
        untranslated += [m.id for m in catalog if m.id and m.pluralizable and not all(m.string)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"untranslated Italian strings {untranslated}: {FIX}"
    assert not fuzzy, f"fuzzy Italian strings {fuzzy}: check them, drop the fuzzy flag, {FIX}"
    obsolete = list(catalog.obsolete)
    assert not obsolete, f"obsolete entries {obsolete} left in {PO.name}: delete them"


def test_placeholders_are_kept():
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _read_po().check() if errors]
    assert not problems, f"translations that break their placeholders: {problems}"


def test_catalog_matches_the_code():
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    fresh = Catalog(locale="it")
    for filename, lineno, message, comments, context in extract_from_dir(
        CRM, method_map, options_map, keywords=KEYWORDS
    ):
        fresh.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    in_code = set(_entries(fresh))
    in_po = set(_entries(_read_po()))
    assert in_code, "extraction found no strings: is babel.cfg still matching crm/?"
    # Plural entries' ids are tuples: sorted as text beside the plain ones.
    missing = sorted((id_ for id_, _ in in_code - in_po), key=str)
    stale = sorted((id_ for id_, _ in in_po - in_code), key=str)
    assert not missing, f"strings in the code but not in {PO.name}: {missing}; {FIX}"
    assert not stale, f"strings in {PO.name} no longer in the code: {stale}; {FIX}"


def test_compiled_catalog_is_current():
    assert MO.exists(), f"{MO.relative_to(ROOT)} is missing: {FIX}"
    with MO.open("rb") as f:
        compiled = _entries(read_mo(f))
    assert compiled == _entries(_read_po()), f"{MO.name} is out of date with {PO.name}: {FIX}"


def test_the_apps_own_stage_reasons_and_source_parties_are_translated(client, auth):
    ingest.import_records(
        [{"id": "A1", "first_name": "Ada", "stage": "customer"}], source_name="fiera"
    )
    profile_id = db.session.scalar(select(StageChange.profile_id))
    auth.login_as("sales")
    _choose_language(client, "it")
    page = _html(client.get(f"/profiles/{profile_id}"))
    assert "fase più avanzata tra i record di origine" in page
    assert "prima parte" in page
