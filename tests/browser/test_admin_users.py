"""An admin creates a staff user, who can then sign in (in a real browser)."""

import uuid

from playwright.sync_api import expect


def test_admin_creates_a_user_who_can_sign_in(page, login, make_live_user, csp_errors):
    admin_email, admin_password = make_live_user("admin")
    new_email = f"new-{uuid.uuid4().hex[:10]}@staff.example"
    new_password = "a long enough password"

    login(admin_email, admin_password)
    page.goto("/admin/users")
    page.click("#new-user")
    page.fill("input[name=email]", new_email)
    page.fill("input[name=name]", "Marta Marketer")
    page.select_option("select[name=role]", "marketer")
    page.fill("input[name=password]", new_password)
    page.click("#user-form [type=submit]")

    page.wait_for_url("**/admin/users")
    row = page.locator("#users tr", has_text=new_email)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Marta Marketer")

    page.click("#logout")
    page.wait_for_url("**/login")
    login(new_email, new_password)
    expect(page.locator("nav")).to_contain_text(new_email)
    assert csp_errors == []
