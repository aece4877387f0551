"""A sales rep works the duplicates review queue: merge, undo, and "not the same person"."""

import random
import re
import string

from playwright.sync_api import expect

from crm.extensions import db
from crm.models import User
from crm.services import duplicates, profiles
from tests import factories


def _unique_surname() -> str:
    """A surname no other test uses."""
    return "Dup" + "".join(random.choices(string.ascii_lowercase, k=10))


def _right_email(surname: str) -> str:
    """The email of the right-hand profile of a pair."""
    return f"g.{surname.lower()}@work.example"


def _suspected_pair(in_live_app, score: float, left_city: str, right_city: str):
    """Two profiles of one apparent person (same name and company, another email) and
    an open review pair between them; returns (candidate id, left id, right id, surname)."""
    surname = _unique_surname()
    with in_live_app():
        left = factories.make_profile(
            first_name="Giulia",
            last_name=surname,
            emails=[f"giulia.{surname.lower()}@example.com"],
            company="Ferramenta Rossi",
            city=left_city,
        )
        right = factories.make_profile(
            first_name="Giulia",
            last_name=surname,
            emails=[_right_email(surname)],
            company="Ferramenta Rossi",
            city=right_city,
        )
        candidate = duplicates.propose(left.id, right.id, score, ["same name", "same company"])
        db.session.commit()
        ids = (candidate.id, candidate.profile_a_id, candidate.profile_b_id)
    return (*ids, surname)


def test_sales_rep_merges_a_pair_then_undoes_the_merge(
    page, login, make_live_user, in_live_app, csp_errors
):
    candidate_id, left_id, right_id, surname = _suspected_pair(
        in_live_app, 0.97, "Milano", "Bergamo"
    )
    login(*make_live_user("sales"))

    # The queue lists the pair; the review page compares both profiles side by side.
    page.get_by_role("link", name="Duplicates", exact=True).click()
    page.wait_for_url("**/duplicates/")
    row = page.locator(f"#candidate-{candidate_id}")
    expect(row).to_contain_text(surname)
    expect(row).to_contain_text("same company")
    page.click(f"#review-{candidate_id}")
    page.wait_for_url(re.compile(rf"/duplicates/{candidate_id}$"))

    expect(page.locator("#compare-head-a")).to_contain_text(f"#{left_id}")
    expect(page.locator("#compare-head-b")).to_contain_text(f"#{right_id}")
    city = page.locator("#compare-city")
    expect(city).to_have_class(re.compile(r"\bcompare-different\b"))
    expect(city.locator(".compare-a")).to_have_text("Milano")
    expect(city.locator(".compare-b")).to_have_text("Bergamo")
    expect(city).to_contain_text("different")
    expect(page.locator("#compare-emails")).to_have_class(re.compile(r"\bcompare-different\b"))
    expect(page.locator("#compare-last_name")).to_have_class(re.compile(r"\bcompare-same\b"))
    expect(page.locator("#compare-company")).to_have_class(re.compile(r"\bcompare-same\b"))

    page.click("#merge-keep-a")
    page.wait_for_url(lambda url: not url.endswith(f"/duplicates/{candidate_id}"))
    expect(page.locator(".alert", has_text="The two profiles were merged.")).to_be_visible()

    # The absorbed profile points to the survivor.
    page.goto(f"/profiles/{right_id}")
    expect(page.locator("#merged-banner")).to_contain_text(f"#{left_id}")

    # The survivor holds both emails and shows the merge in its history, with an Undo button.
    left_email, right_email = f"giulia.{surname.lower()}@example.com", _right_email(surname)
    page.goto(f"/profiles/{left_id}")
    expect(page.locator("main")).to_contain_text(right_email)
    history = page.locator("#merge-history")
    merge_row = history.locator("tbody tr", has_text=f"#{right_id}")
    expect(merge_row).to_have_count(1)
    expect(merge_row).to_contain_text("review")
    undo = merge_row.locator("button[id^=undo-merge-]")
    undo_id = undo.get_attribute("id")
    assert re.fullmatch(r"undo-merge-\d+", undo_id or "")
    page.click(f"#{undo_id}")

    page.wait_for_url(re.compile(rf"/profiles/{left_id}$"))
    undone = page.locator(".alert", has_text=f"profile #{right_id} is separate again")
    expect(undone).to_be_visible()
    expect(merge_row).to_contain_text("undone")
    expect(page.locator(f"#{undo_id}")).to_have_count(0)
    expect(page.locator("#merged-banner")).to_have_count(0)
    expect(page.locator("main")).to_contain_text(left_email)
    expect(page.locator("main")).not_to_contain_text(right_email)

    # Both people are back: the other profile is no longer "merged into" anyone.
    page.goto(f"/profiles/{right_id}")
    expect(page.locator("h1")).to_contain_text(surname)
    expect(page.locator("main")).to_contain_text(right_email)
    expect(page.locator("#merged-banner")).to_have_count(0)
    # Its page says it was merged once, and that the merge was undone.
    expect(page.locator(".restored-from-merge")).to_contain_text(f"merged into #{left_id}")
    expect(page.locator(".restored-from-merge")).to_contain_text("the merge was undone")
    assert csp_errors == []


def test_not_the_same_person_removes_the_pair_from_the_queue(
    page, login, make_live_user, in_live_app, csp_errors
):
    candidate_id, left_id, right_id, surname = _suspected_pair(
        in_live_app, 0.91, "Torino", "Torino"
    )
    login(*make_live_user("sales"))

    page.goto("/duplicates/")
    expect(page.locator(f"#candidate-{candidate_id}")).to_contain_text(surname)
    page.click(f"#review-{candidate_id}")
    page.wait_for_url(re.compile(rf"/duplicates/{candidate_id}$"))
    expect(page.locator("#compare-city")).to_have_class(re.compile(r"\bcompare-same\b"))
    page.click("#not-same")

    page.wait_for_url(lambda url: not url.endswith(f"/duplicates/{candidate_id}"))
    expect(page.locator(".alert", has_text="Marked as different people")).to_be_visible()
    page.goto("/duplicates/")
    expect(page.locator(f"#candidate-{candidate_id}")).to_have_count(0)
    expect(page.locator("#duplicates-table, #no-duplicates")).not_to_contain_text(surname)

    # The decision is kept: the pair is not proposed again, and neither profile was merged.
    with in_live_app():
        assert duplicates.is_distinct(left_id, right_id)
        assert duplicates.propose(left_id, right_id, 0.99, ["again"]) is None
    page.goto(f"/duplicates/{candidate_id}")
    expect(page.locator("#candidate-decided")).to_contain_text("two different people")
    for profile_id in (left_id, right_id):
        page.goto(f"/profiles/{profile_id}")
        expect(page.locator("#merged-banner")).to_have_count(0)
    assert csp_errors == []


def test_sales_rep_works_only_the_pairs_of_their_own_leads(
    page, login, make_live_user, in_live_app, csp_errors
):
    email, password = make_live_user("sales")
    others = _suspected_pair(in_live_app, 0.99, "Roma", "Napoli")  # nobody's leads
    candidate_id, left_id, _right_id, surname = _suspected_pair(in_live_app, 0.9, "Torino", "Asti")
    with in_live_app():
        rep = db.session.scalar(db.select(User).where(User.email == email))
        profiles.update_profile(left_id, {"owner": rep.id}, expected_version=None, actor="test")
    login(email, password)
    page.goto("/duplicates/")
    page.check("#mine")
    page.click("#apply-filter")
    page.wait_for_url(re.compile(r"[?&]mine=y"))
    expect(page.locator("#queue-count")).to_contain_text("1 open pair matches the filter.")
    expect(page.locator(f"#candidate-{others[0]}")).to_have_count(0)
    page.click(f"#review-{candidate_id}")
    expect(page.locator("#compare-head-a")).to_contain_text(surname)
    page.click("#not-same")
    page.wait_for_url(re.compile(r"/duplicates/\?mine=y$"))
    expect(page.locator("#no-duplicates")).to_contain_text("match the filter")
    assert csp_errors == []


def test_sales_rep_undoes_a_wrong_merge_under_a_later_one_and_reviews_the_later_again(
    page, login, make_live_user, in_live_app, csp_errors
):
    """A wrong merge with a right one made after it: the rep undoes the wrong one "with
    the later merges", and the later pair comes back to the queue to be decided again."""
    from crm.services import merging

    surname = _unique_surname()
    with in_live_app():
        keep, wrong, right = (
            factories.make_profile(first_name=name, last_name=surname).id
            for name in ("Giulia", "Giuliana", "Giulia")
        )
        first = merging.merge_profiles(keep, wrong, actor="test").id
        later = merging.merge_profiles(keep, right, actor="test").id
    login(*make_live_user("sales"))

    page.goto(f"/profiles/{keep}")
    expect(page.locator(f"#undo-first-{first}")).to_contain_text(f"Merge #{later} came later")
    page.click(f"#undo-with-later-{first}")
    page.wait_for_url(re.compile(rf"/profiles/{keep}$"))
    expect(page.locator(".alert", has_text=f"profile #{wrong} is separate again")).to_be_visible()
    expect(page.locator(f"#merge-{first}")).to_contain_text("undone")
    expect(page.locator(f"#merge-{later}")).to_contain_text("undone")

    # The later, right merge is not taken for "not the same person": it is to decide again.
    page.goto("/duplicates/")
    row = page.locator(".duplicate-row", has_text=surname)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("decide again")
    assert csp_errors == []
