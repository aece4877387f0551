"""An admin ranks a source higher and watches its profiles' values chosen again."""

import re
import uuid

from playwright.sync_api import expect
from sqlalchemy import select

from crm.extensions import db
from crm.models import ProfileEmail, Source
from crm.services import ingest


def test_admin_ranks_a_source_and_the_profile_follows(
    page, login, make_live_user, in_live_app, csp_errors
):
    tag = uuid.uuid4().hex[:8]
    shop, fair = f"shop-{tag}", f"fair-{tag}"
    email = f"anna.{tag}@example.it"
    with in_live_app():
        ingest.import_records(
            [{"id": "1", "email": email, "first_name": "Anna", "city": "Milano"}],
            source_name=shop,
        )
        ingest.import_records(
            [{"id": "1", "email": email, "first_name": "Anna", "city": "Torino"}],
            source_name=fair,
        )
        shop_id = db.session.scalar(select(Source.id).where(Source.name == shop))
        profile_id = db.session.scalar(
            select(ProfileEmail.profile_id).where(ProfileEmail.email == email)
        )
    login(*make_live_user("admin"))

    page.get_by_role("link", name="Sources", exact=True).click()
    page.wait_for_url("**/admin/sources")
    page.click(f"#edit-source-{shop_id}")
    page.fill("input[name=trust_rank]", "90")
    page.click("#source-form [type=submit]")

    # The job page follows the recompute (job-progress.js) and reloads when it is done.
    page.wait_for_url(re.compile(r"/admin/sources/jobs/\w+$"))
    expect(page.locator("#job-message")).to_contain_text("1 of 1 profiles changed")
    page.goto(f"/profiles/{profile_id}")
    expect(page.locator("body")).to_contain_text("Milano")
    page.goto("/admin/sources")
    expect(page.locator(f"#source-{shop_id} .trust-rank")).to_have_text("90")
    assert csp_errors == []
