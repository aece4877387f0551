"""HTTP tests of the profile page's notes and timeline, and of who or what stated its values
(a hand-typed value's author, each tag's sources, each source record's last update)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Note, Source, SourceRecord, Touchpoint
from crm.services import merging, notes, profiles
from tests import factories

DAY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _section(html: str, section_id: str) -> str:
    """The HTML of one section of the profile page."""
    match = re.search(rf'<section class="mt-4" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(1)


def _field(html: str, name: str) -> str:
    """The HTML of one field's cell on the profile page."""
    match = re.search(rf'id="field-{name}">(.*?)</dd>', html, re.S)
    assert match, f"no field {name}"
    return match.group(1)


def _post_note(client, profile_id: int, body: str, *, token: str | None = None):
    """Post the note form of the profile page as a browser would."""
    if token is None:
        token = factories.csrf_token(client, f"/profiles/{profile_id}")
    return client.post(f"/profiles/{profile_id}/notes", data={"body": body, "csrf_token": token})


def _notes_count() -> int:
    """Notes stored."""
    return db.session.scalar(select(func.count()).select_from(Note))


def _source(name: str) -> Source:
    """The source called name, created when missing."""
    source = db.session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, trust_rank=50)
        db.session.add(source)
        db.session.flush()
    return source


# --- notes --------------------------------------------------------------------------------


def test_a_rep_writes_a_note_and_reads_it_newest_first_with_author_and_time(client, auth):
    profile = factories.make_profile()
    auth.login_as("sales", name="Rita Rossi")

    first = _post_note(client, profile.id, "Called: wants a quote.")
    second = _post_note(client, profile.id, "Sent the quote.\nFollow up on Monday.")

    assert first.status_code == second.status_code == 302
    assert first.headers["Location"].endswith(f"/profiles/{profile.id}#notes")
    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)
    section = _section(html, "notes")
    assert "Note added." in html
    assert section.index("Sent the quote.") < section.index("Called: wants a quote.")
    assert "Sent the quote.<br>Follow up on Monday." in section
    assert section.count("Rita Rossi") == 2
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT', section)
    assert 'id="note-form"' in section


def test_a_note_is_shown_as_text_never_as_html(client, auth):
    profile = factories.make_profile()
    notes.add_note(profile.id, "<script>alert('x')</script><b>bold</b>", actor="test")
    auth.login_as("marketer")

    section = _section(client.get(f"/profiles/{profile.id}").get_data(as_text=True), "notes")

    assert "<script>" not in section and "<b>" not in section
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in section


@pytest.mark.parametrize("role", ["marketer", "compliance"])
def test_readers_see_the_notes_but_no_form_and_may_not_post(client, auth, role):
    profile = factories.make_profile()
    notes.add_note(profile.id, "Met at the fair.", actor="test")
    auth.login_as(role)

    section = _section(client.get(f"/profiles/{profile.id}").get_data(as_text=True), "notes")
    token = factories.csrf_token(client, "/account")
    response = _post_note(client, profile.id, "Not mine to write", token=token)

    assert "Met at the fair." in section and "author unknown" in section
    assert 'id="note-form"' not in section
    assert response.status_code == 403
    assert _notes_count() == 1


def test_an_anonymous_note_goes_to_the_login_page(client):
    profile = factories.make_profile()
    token = factories.csrf_token(client, "/login")
    response = _post_note(client, profile.id, "Hello", token=token)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert _notes_count() == 0


def test_an_empty_note_is_refused_on_the_page_and_nothing_is_saved(client, auth):
    profile = factories.make_profile()
    auth.login_as("sales")

    response = _post_note(client, profile.id, "   ")

    assert response.status_code == 422
    section = _section(response.get_data(as_text=True), "notes")
    assert re.search(r"invalid-feedback[^>]*>\s*Write something\.", section)
    assert _notes_count() == 0


def test_a_too_long_note_is_refused_and_its_text_kept_in_the_form(client, auth):
    profile = factories.make_profile()
    auth.login_as("admin")
    body = "x" * (notes.NOTE_MAX + 1)

    response = _post_note(client, profile.id, body)

    assert response.status_code == 422
    section = _section(response.get_data(as_text=True), "notes")
    assert body in section and "invalid-feedback" in section
    assert _notes_count() == 0


def test_a_browsers_line_ends_count_one_character_each(client, auth):
    profile = factories.make_profile()
    auth.login_as("sales")
    body = ("x" * 99 + "\r\n") * (notes.NOTE_MAX // 100)  # NOTE_MAX characters once stored

    response = _post_note(client, profile.id, body)

    assert response.status_code == 302
    [stored] = db.session.scalars(select(Note)).all()
    assert stored.body == body.replace("\r\n", "\n").strip()


def test_a_note_with_a_nul_character_is_refused(client, auth):
    profile = factories.make_profile()
    auth.login_as("sales")
    response = _post_note(client, profile.id, "a\x00b")
    assert response.status_code == 422
    assert "cannot be stored" in response.get_data(as_text=True)
    assert _notes_count() == 0


def test_a_note_without_the_csrf_token_is_refused(client, auth):
    profile = factories.make_profile()
    auth.login_as("sales")
    response = client.post(f"/profiles/{profile.id}/notes", data={"body": "Hello there"})
    assert response.status_code == 400
    assert _notes_count() == 0


def test_a_note_on_an_unknown_profile_is_404(client, auth):
    auth.login_as("sales")
    token = factories.csrf_token(client, "/account")
    assert _post_note(client, 999_999, "Hello", token=token).status_code == 404


def test_a_profile_merged_away_points_to_the_survivor_and_takes_no_note(client, auth):
    survivor, other = factories.make_profile(), factories.make_profile()
    auth.login_as("sales")
    token = factories.csrf_token(client, f"/profiles/{other.id}")
    merging.merge_profiles(survivor.id, other.id, actor="test")

    page = client.get(f"/profiles/{other.id}").get_data(as_text=True)
    response = _post_note(client, other.id, "Too late", token=token)

    section = _section(page, "notes")
    assert 'id="note-form"' not in section
    assert f'href="/profiles/{survivor.id}#notes"' in section
    assert response.status_code == 302
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"merged into profile #{survivor.id}: write the note there" in followed
    assert _notes_count() == 0


def test_a_merge_that_lands_while_the_note_is_saved_refuses_it_naming_the_survivor(
    client, auth, monkeypatch
):
    survivor, other = factories.make_profile(), factories.make_profile()
    survivor_id, other_id = survivor.id, other.id
    auth.login_as("sales")
    write = notes.add_note

    def merged_meanwhile(profile_id, body, *, actor):
        merging.merge_profiles(survivor_id, other_id, actor="test")
        return write(profile_id, body, actor=actor)

    monkeypatch.setattr(notes, "add_note", merged_meanwhile)
    response = _post_note(client, other_id, "Just in time?")

    assert response.status_code == 302
    followed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"merged into profile #{survivor_id}: write the note there" in followed
    assert _notes_count() == 0


def test_older_notes_are_a_link_away(client, auth, monkeypatch):
    monkeypatch.setattr(notes, "PAGE_SIZE", 2)
    profile = factories.make_profile()
    for n in range(3):
        notes.add_note(profile.id, f"note number {n}", actor="test")
    auth.login_as("sales")

    first = _section(client.get(f"/profiles/{profile.id}").get_data(as_text=True), "notes")
    older = re.search(r'id="older-notes" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = _section(client.get(older).get_data(as_text=True), "notes")

    assert "note number 2" in first and "note number 1" in first
    assert "note number 0" not in first
    assert "note number 0" in second and "note number 2" not in second
    assert 'id="newest-notes"' in second and 'id="older-notes"' not in second


def test_a_stale_notes_cursor_shows_the_newest_notes(client, auth):
    profile, other = factories.make_profile(), factories.make_profile()
    notes.add_note(profile.id, "mine", actor="test")
    foreign = notes.add_note(other.id, "theirs", actor="test")
    auth.login_as("sales")

    response = client.get(f"/profiles/{profile.id}", query_string={"notes_after": foreign.id})

    assert response.status_code == 200
    assert "mine" in _section(response.get_data(as_text=True), "notes")


# --- timeline -----------------------------------------------------------------------------


def test_the_timeline_lists_touchpoints_newest_first_with_kind_channel_and_source(client, auth):
    profile = factories.make_profile()
    shop = _source("shop")
    db.session.add_all(
        [
            Touchpoint(
                profile_id=profile.id,
                source_id=shop.id,
                external_id="T1",
                kind="purchase",
                channel="store",
                online=False,
                phase="decision",
                occurred_at=DAY,
                properties={"amount": 120},
            ),
            Touchpoint(
                profile_id=profile.id,
                kind="newsletter_click",
                channel="email",
                online=True,
                occurred_at=DAY + timedelta(days=3),
            ),
        ]
    )
    db.session.commit()
    auth.login_as("marketer")

    section = _section(client.get(f"/profiles/{profile.id}").get_data(as_text=True), "timeline")

    rows = re.findall(r'<tr class="touchpoint" id="touchpoint-\d+">(.*?)</tr>', section, re.S)
    assert len(rows) == 2
    assert "newsletter_click" in rows[0] and "email" in rows[0] and "online" in rows[0]
    for text in ("purchase", "store", "offline", "shop", "decision", "amount", "120"):
        assert text in rows[1], text
    assert "2026-03-01" in rows[1] or "Mar 1, 2026" in rows[1]


def test_the_timeline_escapes_what_sources_sent(client, auth):
    profile = factories.make_profile()
    db.session.add(
        Touchpoint(
            profile_id=profile.id,
            kind="<img src=x onerror=alert(1)>",
            channel="<b>web</b>",
            occurred_at=DAY,
            properties={"<i>page</i>": "<script>alert('x')</script>", "list": ["<u>a</u>", 1]},
        )
    )
    db.session.commit()
    auth.login_as("sales")

    section = _section(client.get(f"/profiles/{profile.id}").get_data(as_text=True), "timeline")

    for raw in ("<img", "<b>", "<i>", "<script>", "<u>"):
        assert raw not in section, raw
    assert "&lt;img src=x onerror=alert(1)&gt;" in section
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in section
    assert "&lt;i&gt;page&lt;/i&gt;" in section and "&lt;u&gt;a&lt;/u&gt;, 1" in section


def test_a_profile_without_touchpoints_says_so(client, auth):
    profile = factories.make_profile()
    auth.login_as("compliance")
    section = _section(client.get(f"/profiles/{profile.id}").get_data(as_text=True), "timeline")
    assert 'id="no-touchpoints"' in section and 'id="touchpoints"' not in section


# --- who or what stated the values ------------------------------------------------------


def test_a_hand_typed_value_names_who_typed_it(client, auth):
    rita = factories.make_user(name="Rita Rossi")
    profile = factories.make_profile(company="Acme")  # typed by "test", no user
    profiles.update_profile(profile.id, {"city": "Parma"}, expected_version=None, actor=rita)
    auth.login_as("marketer")

    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)

    city = _field(html, "city")
    assert "manual edit by Rita Rossi" in city
    assert re.search(r"[A-Z][a-z]{2} \d{1,2}, \d{4}", city)  # the day, in the locale's style
    assert "manual edit" in _field(html, "company") and " by " not in _field(html, "company")


def test_a_value_typed_by_a_user_since_deleted_says_so(client, auth):
    profile = factories.make_profile()
    profile.provenance = {**profile.provenance, "city": {"manual": 4242, "at": "2026-01-02T10:00"}}
    profile.city = "Parma"
    db.session.commit()
    auth.login_as("sales")

    city = _field(client.get(f"/profiles/{profile.id}").get_data(as_text=True), "city")

    assert "manual edit by deleted user #4242" in city and "Jan 2, 2026" in city


def test_each_tag_names_the_sources_stating_it_or_says_none_does(client, auth):
    rita = factories.make_user(name="Rita Rossi")
    profile = factories.make_profile(tags=["typed"])
    record = SourceRecord(
        source=_source("shop"),
        external_id="S1",
        profile_id=profile.id,
        raw={"Tags": "vip"},
        fields={"tags": ["vip"]},
    )
    db.session.add(record)
    db.session.commit()
    profiles.update_profile(
        profile.id, {"tags": ["typed", "vip", "later"]}, expected_version=None, actor=rita
    )
    auth.login_as("sales")

    tags = _field(client.get(f"/profiles/{profile.id}").get_data(as_text=True), "tags")

    rows = dict(re.findall(r'profile-tag">([^<]+)</span>(.*?)</div>', tags, re.S))
    assert f'<a href="#source-record-{record.id}">shop</a>' in rows["vip"]
    assert "by hand" in rows["typed"]
    assert "manual edit by Rita Rossi" in rows["later"]  # she added it: provenance says so
    assert "tags last changed by hand · Rita Rossi" in tags


def test_a_source_record_shows_when_it_was_last_updated_where_that_differs(client, auth):
    profile = factories.make_profile()
    shop = _source("shop")
    received = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    updated = SourceRecord(
        source=shop,
        external_id="U1",
        profile_id=profile.id,
        received_at=received,
        updated_at=received + timedelta(days=30),
    )
    same = SourceRecord(
        source=shop,
        external_id="U2",
        profile_id=profile.id,
        received_at=received,
        updated_at=received + timedelta(microseconds=40),
    )
    db.session.add_all([updated, same])
    db.session.commit()
    auth.login_as("sales")

    html = client.get(f"/profiles/{profile.id}").get_data(as_text=True)

    row = re.search(rf'id="source-record-{updated.id}"(.*?)</tr>', html, re.S).group(1)
    assert re.search(r'class="provenance record-updated">updated Feb 4, 2026', row)
    other = re.search(rf'id="source-record-{same.id}"(.*?)</tr>', html, re.S).group(1)
    assert "record-updated" not in other
