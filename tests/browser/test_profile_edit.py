"""A sales rep finds a person, edits their city, and sees the change (in a real browser)."""

import random
import re
import string

from playwright.sync_api import expect

from crm.services import ingest, profiles
from tests import factories


def _unique_surname() -> str:
    """A surname no other test uses, so the search finds exactly one person."""
    return "Zan" + "".join(random.choices(string.ascii_lowercase, k=10))


def test_sales_rep_searches_opens_and_edits_a_profile(
    page, login, make_live_user, in_live_app, csp_errors
):
    email, password = make_live_user("sales")
    surname = _unique_surname()
    with in_live_app():
        profile = factories.make_profile(first_name="Giulia", last_name=surname, city="Milano")
        profile_id = profile.id

    login(email, password)
    page.goto("/profiles/")
    search = page.locator("#profile-search")
    search.fill(surname)
    search.press("Enter")
    page.wait_for_url(re.compile(r"[?&]q="))

    results = page.locator("a.profile-link")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text(surname, ignore_case=True)
    results.first.click()
    page.wait_for_url(re.compile(rf"/profiles/{profile_id}/?$"))
    expect(page.locator("#field-city")).to_contain_text("Milano")

    page.click("#edit-profile")
    city = page.locator("input[name=city]")
    expect(city).to_have_value("Milano")
    city.fill("Bergamo")
    page.click("#save-profile")

    page.wait_for_url(re.compile(rf"/profiles/{profile_id}/?$"))
    expect(page.locator("#field-city")).to_contain_text("Bergamo")
    # The source record keeps "Milano" as received; the unified value is the edited one.
    expect(page.locator("#field-city")).not_to_contain_text("Milano")
    assert csp_errors == []


def test_login_page_has_no_csp_violations(page, csp_errors):
    page.goto("/login")
    expect(page.locator("input[name=email]")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert csp_errors == []


def test_sales_rep_creating_someone_already_here_is_warned_and_can_go_on(
    page, login, make_live_user, in_live_app, csp_errors
):
    email, password = make_live_user("sales")
    surname = _unique_surname()
    with in_live_app():
        known = factories.make_profile(
            first_name="Giulia", last_name=surname, company="Acme Srl", city="Milano"
        )
        known_id = known.id

    login(email, password)
    page.goto("/profiles/new")
    page.fill("input[name=first_name]", "Giulia")
    page.fill("input[name=last_name]", surname)
    page.fill("input[name=company]", "ACME")
    page.fill("input[name=city]", "Milano")
    page.click("#save-profile")

    warning = page.locator("#likely-duplicates")
    expect(warning).to_be_visible()
    expect(warning.locator(f'a[href="/profiles/{known_id}"]')).to_be_visible()
    expect(page.locator("input[name=company]")).to_have_value("ACME")  # nothing typed is lost
    page.click("#create-anyway")

    page.wait_for_url(re.compile(r"/profiles/\d+/?$"))
    assert not page.url.rstrip("/").endswith(f"/profiles/{known_id}")
    suspected = page.locator("#suspected-duplicates")
    expect(suspected.locator(f'a[href="/profiles/{known_id}"]')).to_be_visible()
    suspected.locator("a[id^=compare-pair-]").click()
    page.wait_for_url(re.compile(r"/duplicates/\d+/?$"))
    expect(page.locator("#not-same")).to_be_visible()
    assert csp_errors == []


def test_sales_rep_detaches_a_record_that_joined_the_wrong_person(
    page, login, make_live_user, in_live_app, csp_errors
):
    email, password = make_live_user("sales")
    surname = _unique_surname()
    phone = f"051 {random.randint(100000, 999999)}"
    with in_live_app():
        luca = {"first_name": "Luca", "last_name": surname, "phone": phone}
        ingest.import_records([{"id": "F1", **luca}], source_name="crm")
        ingest.import_records(
            [{"id": "S1", **luca, "email": f"{surname}@example.com"}], source_name="shop"
        )
        father = profiles.search_profiles(surname)[0][0]
        father_id = father.id
        son_record = next(r.id for r in father.source_records if r.external_id == "S1")

    login(email, password)
    page.goto(f"/profiles/{father_id}")
    expect(page.locator("#field-emails")).to_contain_text(f"{surname.lower()}@example.com")
    page.click(f"#detach-{son_record}")
    page.wait_for_url(re.compile(r"/detach$"))
    page.click("#confirm-detach")
    page.wait_for_url(re.compile(r"/profiles/\d+/?$"))
    assert not page.url.rstrip("/").endswith(f"/profiles/{father_id}")
    expect(page.locator(".alert-success")).to_contain_text("will not be proposed as duplicates")
    expect(page.locator("#field-emails")).to_contain_text(f"{surname.lower()}@example.com")
    page.goto(f"/profiles/{father_id}")
    expect(page.locator("#field-emails")).not_to_contain_text("@example.com")
    assert csp_errors == []


def test_sales_rep_writes_a_note_after_a_call(page, login, make_live_user, in_live_app, csp_errors):
    email, password = make_live_user("sales")
    with in_live_app():
        profile_id = factories.make_profile(last_name=_unique_surname()).id

    login(email, password)
    page.goto(f"/profiles/{profile_id}")
    expect(page.locator("#no-notes")).to_be_visible()
    page.locator("#note-form textarea").fill("Called back: wants the <b>pro</b> plan.\nFollow up.")
    page.click("#add-note")

    page.wait_for_url(re.compile(rf"/profiles/{profile_id}/?(#notes)?$"))
    note = page.locator("#note-list .note-body").first
    expect(note).to_contain_text("wants the <b>pro</b> plan.")  # shown as typed, not as markup
    expect(page.locator("#note-list .note-meta").first).not_to_contain_text("author unknown")
    assert csp_errors == []
