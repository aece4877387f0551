"""HTTP tests of a detach: it keeps the stage a rep set, and both profiles' merge history
shows it (who, when, which record, from and to which profile)."""

import re

from flask import render_template
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditLog, Profile, SourceRecord
from crm.services import profiles, splitting
from tests.factories import import_records


def _html(response) -> str:
    return response.get_data(as_text=True)


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def _joined(rep) -> tuple[int, int]:
    """A shop lead the rep moved to SQL by hand, and a crmx record saying customer that
    joined it by its email. Returns (profile id, the crmx record's id)."""
    (shop,) = import_records("shop", {"external_id": "R2", "first_name": "Bruna",
                                      "last_name": "Lazzari", "email": "bruna@example.it",
                                      "stage": "lead"})  # fmt: skip
    profile_id = shop["profile_id"]
    profiles.update_profile(profile_id, {"stage": "sql"}, expected_version=None, actor=rep)
    import_records("crmx", {"external_id": "R2c", "first_name": "Bruna", "last_name": "Lazzari",
                            "email": "bruna@example.it", "stage": "customer"})  # fmt: skip
    record_id = db.session.scalar(select(SourceRecord.id).filter_by(external_id="R2c"))
    return profile_id, record_id


def _detach(client, profile_id: int, record_id: int) -> int:
    """Detach through the confirmation page, as a rep does; returns the new profile's id."""
    path = f"/profiles/{profile_id}/records/{record_id}/detach"
    page = _html(client.get(path))
    assert 'id="detach-recorded"' in page
    response = client.post(path, data={"csrf_token": _token(page)})
    assert response.status_code == 302
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def test_a_detach_from_the_page_keeps_the_stage_the_rep_set(client, auth):
    rep = auth.login_as("sales")
    profile_id, record_id = _joined(rep)
    assert db.session.get(Profile, profile_id).stage == "customer"

    new_id = _detach(client, profile_id, record_id)

    db.session.expire_all()
    assert db.session.get(Profile, profile_id).stage == "sql"
    assert db.session.get(Profile, new_id).stage == "customer"


def test_both_profiles_merge_history_shows_the_detach(app, client, auth):
    rep = auth.login_as("sales")
    profile_id, record_id = _joined(rep)
    new_id = _detach(client, profile_id, record_id)
    entry = db.session.scalar(select(AuditLog).filter_by(action="profile.detach"))
    assert (entry.actor_user_id, entry.object_id) == (rep.id, str(new_id))
    assert entry.details == {"from": profile_id, "source_record": record_id}

    for shown, other in ((profile_id, new_id), (new_id, profile_id)):
        with app.test_request_context(f"/profiles/{shown}"):
            html = render_template(
                "profiles/_merge_history.html",
                profile=db.session.get(Profile, shown),
                merges=[],
                undo_first={},
                detaches=splitting.detach_history(shown),
            )
        row = re.search(r'<tr id="detach-[^"]*" class="detach">(.*?)</tr>', html, re.S).group(1)
        assert f"#{record_id}" in row
        assert "this profile" in row and f'href="/profiles/{other}"' in row
        assert rep.name in row
        assert "Detached records" in html


def test_the_merge_history_says_nothing_of_detaches_where_there_were_none(app):
    (one,) = import_records("shop", {"external_id": "Z1", "first_name": "Ada",
                                     "email": "ada@example.it"})  # fmt: skip
    with app.test_request_context(f"/profiles/{one['profile_id']}"):
        html = render_template(
            "profiles/_merge_history.html",
            profile=db.session.get(Profile, one["profile_id"]),
            merges=[],
            undo_first={},
            detaches=splitting.detach_history(one["profile_id"]),
        )
    assert 'id="detach-history"' not in html


def test_both_profile_pages_show_a_detach(client, auth):
    auth.login_as("sales")
    [a] = import_records("shop", {"id": "s1", "first_name": "Ada", "last_name": "Neri",
                                   "email": "ada@example.it"})  # fmt: skip
    import_records("fair", {"id": "f1", "first_name": "Ada", "last_name": "Neri",
                             "email": "ada@example.it"})  # fmt: skip
    record = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "f1"))
    new = splitting.detach_record(record.id, actor="test")

    for profile_id in (a["profile_id"], new.id):
        page = client.get(f"/profiles/{profile_id}").get_data(as_text=True)
        assert 'id="detach-history"' in page
