"""The notes and touchpoints API: roles, writing and paging notes, input checks, merged
profiles, touchpoints as sources sent them, and the OpenAPI document."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, Note, Source, Touchpoint
from crm.services import merging, notes, users
from tests import factories

API = "/api/v1/profiles"
DAY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def sales(api_headers):
    """Headers of a sales user's key."""
    return api_headers("sales")


def _notes_count() -> int:
    """Notes stored."""
    return db.session.scalar(select(func.count()).select_from(Note))


# --- notes: roles -------------------------------------------------------------------------


def test_notes_without_a_key_are_401(client):
    profile = factories.make_profile()
    assert client.get(f"{API}/{profile.id}/notes").status_code == 401
    response = client.post(f"{API}/{profile.id}/notes", json={"body": "Hello"})
    assert response.status_code == 401 and response.is_json


@pytest.mark.parametrize("role", ["marketer", "compliance"])
def test_readers_read_notes_but_may_not_write_them(client, api_headers, role):
    profile = factories.make_profile()
    notes.add_note(profile.id, "Met at the fair.", actor="test")
    headers = api_headers(role)

    read = client.get(f"{API}/{profile.id}/notes", headers=headers)
    written = client.post(f"{API}/{profile.id}/notes", headers=headers, json={"body": "Hi"})

    assert read.status_code == 200
    assert [item["body"] for item in read.get_json()["items"]] == ["Met at the fair."]
    assert written.status_code == 403 and written.get_json()["code"] == 403
    assert _notes_count() == 1


# --- notes: writing and reading -----------------------------------------------------------


def test_a_sales_key_writes_a_note_and_reads_the_notes_newest_first(client):
    user = factories.make_user(role="sales", name="Rita Rossi")
    key, _ = users.create_api_key(user, "test", actor="test")
    headers = {"Authorization": f"Bearer {key}"}
    profile = factories.make_profile()

    first = client.post(f"{API}/{profile.id}/notes", headers=headers, json={"body": "First"})
    second = client.post(
        f"{API}/{profile.id}/notes", headers=headers, json={"body": "  Second\r\nline two \n"}
    )

    assert first.status_code == second.status_code == 201
    created = second.get_json()
    assert created["body"] == "Second\nline two"
    assert (created["profile_id"], created["author_id"], created["author"]) == (
        profile.id,
        user.id,
        user.email,
    )
    assert created["created_at"].endswith("+00:00")
    listed = client.get(f"{API}/{profile.id}/notes", headers=headers).get_json()
    assert [item["body"] for item in listed["items"]] == ["Second\nline two", "First"]
    assert listed["next"] is None


def test_writing_a_note_is_audited_without_its_text(client, sales):
    profile = factories.make_profile()

    response = client.post(
        f"{API}/{profile.id}/notes", headers=sales, json={"body": "Her mobile is 333 1234567"}
    )

    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "note.create"))
    assert entry.object_id == str(profile.id)
    assert entry.details == {"note_id": response.get_json()["id"]}


def test_notes_come_a_page_at_a_time(client, sales):
    profile = factories.make_profile()
    for n in range(3):
        notes.add_note(profile.id, f"note {n}", actor="test")

    page1 = client.get(f"{API}/{profile.id}/notes?limit=2", headers=sales).get_json()
    page2 = client.get(
        f"{API}/{profile.id}/notes?limit=2&cursor={page1['next']}", headers=sales
    ).get_json()

    assert [i["body"] for i in page1["items"]] == ["note 2", "note 1"]
    assert [i["body"] for i in page2["items"]] == ["note 0"]
    assert page2["next"] is None


def test_a_cursor_of_another_list_is_422_in_the_query(client, sales):
    mine, theirs = factories.make_profile(), factories.make_profile()
    foreign = notes.add_note(theirs.id, "theirs", actor="test")

    response = client.get(f"{API}/{mine.id}/notes?cursor={foreign.id}", headers=sales)

    assert response.status_code == 422
    assert "cursor" in response.get_json()["errors"]["query"]


@pytest.mark.parametrize(
    ("body", "field_message"),
    [
        ({}, "Missing data for required field."),
        ({"body": None}, "Field may not be null."),
        ({"body": ""}, None),
        ({"body": "   \n "}, notes.NOTE_EMPTY),
        ({"body": "x" * (notes.NOTE_MAX + 1)}, None),
        ({"body": 42}, "Not a valid string."),
    ],
)
def test_a_bad_note_is_422_by_field_and_saves_nothing(client, sales, body, field_message):
    profile = factories.make_profile()

    response = client.post(f"{API}/{profile.id}/notes", headers=sales, json=body)

    assert response.status_code == 422
    messages = response.get_json()["errors"]["json"]["body"]
    assert messages
    if field_message:
        assert field_message in messages
    assert _notes_count() == 0


def test_read_only_and_unknown_fields_are_refused_by_name(client, sales):
    profile = factories.make_profile()

    response = client.post(
        f"{API}/{profile.id}/notes",
        headers=sales,
        json={"body": "Hi", "author_id": 1, "colour": "red"},
    )

    assert response.status_code == 422
    errors = response.get_json()["errors"]["json"]
    assert errors["author_id"] == ["Read-only: the author is the API key's user."]
    assert errors["colour"] == ["Unknown field."]
    assert _notes_count() == 0


def test_a_note_with_a_nul_character_is_422(client, sales):
    profile = factories.make_profile()
    response = client.post(f"{API}/{profile.id}/notes", headers=sales, json={"body": "a\u0000b"})
    assert response.status_code == 422
    assert _notes_count() == 0


def test_notes_of_an_unknown_profile_are_404(client, sales):
    assert client.get(f"{API}/999999/notes", headers=sales).status_code == 404
    response = client.post(f"{API}/999999/notes", headers=sales, json={"body": "Hello"})
    assert response.status_code == 404 and response.is_json


def test_a_note_on_a_profile_merged_away_is_409_naming_the_survivor(client, sales):
    survivor, other = factories.make_profile(), factories.make_profile()
    merging.merge_profiles(survivor.id, other.id, actor="test")

    response = client.post(f"{API}/{other.id}/notes", headers=sales, json={"body": "Too late"})

    assert response.status_code == 409
    reply = response.get_json()
    assert f"merged into profile {survivor.id}" in reply["message"]
    assert reply["errors"]["json"]["merged_into"] == [reply["message"]]
    assert _notes_count() == 0


def test_reading_the_notes_of_a_profile_merged_away_is_409_naming_the_survivor(client, sales):
    survivor, other = factories.make_profile(), factories.make_profile()
    merging.merge_profiles(survivor.id, other.id, actor="test")
    for kind in ("notes", "touchpoints"):
        response = client.get(f"{API}/{other.id}/{kind}", headers=sales)
        assert response.status_code == 409, kind
        reply = response.get_json()
        assert f"merged into profile {survivor.id}" in reply["message"]
        assert reply["errors"]["json"]["merged_into"] == [reply["message"]]
    assert client.get(f"{API}/{survivor.id}/notes", headers=sales).status_code == 200


# --- touchpoints --------------------------------------------------------------------------


def test_touchpoints_are_read_newest_first_as_sources_sent_them(client, api_headers):
    profile = factories.make_profile()
    shop = Source(name="shop", trust_rank=50)
    db.session.add(shop)
    db.session.flush()
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
                properties={"note": "<script>alert(1)</script>", "amount": 120},
            ),
            Touchpoint(profile_id=profile.id, kind="visit", occurred_at=DAY + timedelta(days=1)),
        ]
    )
    db.session.commit()

    response = client.get(f"{API}/{profile.id}/touchpoints", headers=api_headers("marketer"))

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["kind"] for i in items] == ["visit", "purchase"]
    assert items[1] == {
        "id": items[1]["id"],
        "kind": "purchase",
        "channel": "store",
        "online": False,
        "phase": "decision",
        "occurred_at": "2026-03-01T09:00:00+00:00",
        "source": "shop",
        "external_id": "T1",
        "properties": {"note": "<script>alert(1)</script>", "amount": 120},
    }
    assert items[0]["source"] is None and items[0]["online"] is True
    assert response.get_json()["next"] is None


def test_touchpoints_page_and_refuse_an_unknown_profile(client, sales):
    profile = factories.make_profile()
    for n in range(3):
        db.session.add(
            Touchpoint(profile_id=profile.id, kind=f"k{n}", occurred_at=DAY + timedelta(hours=n))
        )
    db.session.commit()

    page1 = client.get(f"{API}/{profile.id}/touchpoints?limit=2", headers=sales).get_json()
    page2 = client.get(
        f"{API}/{profile.id}/touchpoints?limit=2&cursor={page1['next']}", headers=sales
    ).get_json()

    assert [i["kind"] for i in page1["items"] + page2["items"]] == ["k2", "k1", "k0"]
    assert client.get(f"{API}/999999/touchpoints", headers=sales).status_code == 404
    assert client.get(f"{API}/{profile.id}/touchpoints").status_code == 401


# --- the OpenAPI document -----------------------------------------------------------------


def test_the_document_lists_notes_and_touchpoints_with_their_roles(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    notes_path = spec["paths"]["/api/v1/profiles/{profile_id}/notes"]
    touchpoints = spec["paths"]["/api/v1/profiles/{profile_id}/touchpoints"]
    assert notes_path["post"]["x-roles"] == ["admin", "sales"]
    assert notes_path["get"]["x-roles"] == ["admin", "compliance", "marketer", "sales"]
    assert touchpoints["get"]["x-roles"] == ["admin", "compliance", "marketer", "sales"]
    assert {"400", "404", "409", "415", "422"} <= set(notes_path["post"]["responses"])
    body = spec["components"]["schemas"]["NoteIn"]["properties"]["body"]
    assert body["maxLength"] == notes.NOTE_MAX
