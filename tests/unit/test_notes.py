"""The notes service: writing and listing notes, listing touchpoints, attribution."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from crm.extensions import db
from crm.models import AuditLog, Note, Source, SourceRecord, Touchpoint
from crm.services import merging, notes, profiles
from crm.services.errors import ConflictError, NotFoundError, ValidationError
from tests import factories

DAY = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _touchpoint(profile_id: int, kind: str, at: datetime, **extra) -> Touchpoint:
    """A touchpoint of profile_id, as a source would have sent it."""
    point = Touchpoint(profile_id=profile_id, kind=kind, occurred_at=at, **extra)
    db.session.add(point)
    db.session.commit()
    return point


def _source(name: str, trust: int = 50) -> Source:
    """The source called name, created when missing."""
    source = db.session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, trust_rank=trust)
        db.session.add(source)
        db.session.flush()
    return source


def _selects(run):
    """What run() returns, and the SELECT statements it sent."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        return run(), statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# --- writing ------------------------------------------------------------------------------


def test_add_note_keeps_the_text_its_author_and_its_time(app):
    rep = factories.make_user(name="Rita Rossi")
    profile = factories.make_profile()

    note = notes.add_note(profile.id, "  Called her.\r\nShe wants a quote.  \n\n", actor=rep)

    stored = db.session.get(Note, note.id)
    assert stored.body == "Called her.\nShe wants a quote."
    assert (stored.profile_id, stored.author_id) == (profile.id, rep.id)
    assert stored.created_at is not None


def test_note_creation_is_audited_by_id_without_its_text(app):
    rep = factories.make_user()
    profile = factories.make_profile()

    note = notes.add_note(profile.id, "Mario's private phone is 333 1234567", actor=rep)

    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "note.create"))
    assert (entry.actor_user_id, entry.object_type, entry.object_id) == (
        rep.id,
        "profile",
        str(profile.id),
    )
    assert entry.details == {"note_id": note.id}
    assert "333" not in json.dumps(entry.details) and "Mario" not in json.dumps(entry.details)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", notes.NOTE_EMPTY),
        (" \n\t ", notes.NOTE_EMPTY),
        (None, notes.NOTE_EMPTY),
        ("x" * (notes.NOTE_MAX + 1), notes.NOTE_TOO_LONG),
        ("a\x00b", notes.NOTE_UNSTORABLE),
        ("a\ud800b", notes.NOTE_UNSTORABLE),
    ],
)
def test_a_note_that_cannot_be_kept_is_refused_by_field(app, body, problem):
    profile = factories.make_profile()

    with pytest.raises(ValidationError) as refused:
        notes.add_note(profile.id, body, actor="test")

    assert refused.value.fields == {"body": [problem]}
    assert db.session.scalar(select(func.count()).select_from(Note)) == 0


def test_a_note_of_the_longest_length_is_kept(app):
    profile = factories.make_profile()
    note = notes.add_note(profile.id, "x" * notes.NOTE_MAX, actor="test")
    assert len(note.body) == notes.NOTE_MAX


def test_a_note_on_an_unknown_profile_is_not_found(app):
    with pytest.raises(NotFoundError):
        notes.add_note(999_999, "Hello", actor="test")


def test_a_note_on_a_profile_merged_away_is_refused_naming_the_survivor(app):
    survivor, other = factories.make_profile(), factories.make_profile()
    merging.merge_profiles(survivor.id, other.id, actor="test")

    with pytest.raises(ConflictError) as refused:
        notes.add_note(other.id, "Hello", actor="test")

    assert f"profile {survivor.id}" in refused.value.message
    assert refused.value.fields == {"merged_into": [refused.value.message]}
    assert db.session.scalar(select(func.count()).select_from(Note)) == 0
    assert db.session.scalar(select(func.count()).where(AuditLog.action == "note.create")) == 0


# --- reading ------------------------------------------------------------------------------


def test_notes_are_listed_newest_first_with_their_authors_in_one_query(app):
    rita = factories.make_user(name="Rita Rossi")
    gino = factories.make_user(name="Gino Verdi")
    profile = factories.make_profile()
    first = notes.add_note(profile.id, "first", actor=rita)
    second = notes.add_note(profile.id, "second", actor=gino)
    third = notes.add_note(profile.id, "by a script", actor="system")
    first.created_at = DAY  # written earlier, whatever the ids say
    db.session.commit()
    profile_id, ids = profile.id, [third.id, second.id, first.id]
    db.session.expire_all()

    (rows, next_cursor), statements = _selects(lambda: notes.notes_of(profile_id))

    assert [(n.id, a.name if a else None) for n, a in rows] == [
        (ids[0], None),
        (ids[1], "Gino Verdi"),
        (ids[2], "Rita Rossi"),
    ]
    assert next_cursor is None
    assert len(statements) == 1


def test_notes_come_a_page_at_a_time(app):
    profile = factories.make_profile()
    written = [notes.add_note(profile.id, f"note {n}", actor="test").id for n in range(5)]

    page1, cursor1 = notes.notes_of(profile.id, limit=2)
    page2, cursor2 = notes.notes_of(profile.id, after=cursor1, limit=2)
    page3, cursor3 = notes.notes_of(profile.id, after=cursor2, limit=2)

    seen = [n.id for page in (page1, page2, page3) for n, _ in page]
    assert seen == written[::-1]
    assert cursor3 is None


def test_a_cursor_of_another_profile_is_refused(app):
    mine, theirs = factories.make_profile(), factories.make_profile()
    foreign = notes.add_note(theirs.id, "theirs", actor="test")

    with pytest.raises(ValidationError) as refused:
        notes.notes_of(mine.id, after=foreign.id)

    assert "cursor" in refused.value.fields


def test_touchpoints_are_listed_newest_first_with_their_source(app):
    profile = factories.make_profile()
    shop = _source("shop")
    old = _touchpoint(profile.id, "purchase", DAY, source_id=shop.id, channel="pos", online=False)
    new = _touchpoint(profile.id, "email_open", DAY + timedelta(days=2), channel="email")
    mid = _touchpoint(profile.id, "visit", DAY + timedelta(days=1))
    profile_id, ids = profile.id, [new.id, mid.id, old.id]
    db.session.expire_all()

    (rows, next_cursor), statements = _selects(lambda: notes.touchpoints_of(profile_id))

    assert [(t.id, name) for t, name in rows] == [(ids[0], None), (ids[1], None), (ids[2], "shop")]
    assert next_cursor is None
    assert len(statements) == 1


def test_touchpoints_at_the_same_moment_page_without_loss(app):
    profile = factories.make_profile()
    same = [_touchpoint(profile.id, f"k{n}", DAY).id for n in range(3)]
    earlier = _touchpoint(profile.id, "earlier", DAY - timedelta(hours=1)).id

    page1, cursor = notes.touchpoints_of(profile.id, limit=2)
    page2, last = notes.touchpoints_of(profile.id, after=cursor, limit=2)

    assert [t.id for t, _ in page1 + page2] == [*same[::-1], earlier]
    assert last is None


def test_notes_move_with_a_merge_and_come_back_with_its_undo(app):
    survivor, other = factories.make_profile(), factories.make_profile()
    theirs = notes.add_note(other.id, "about the other person", actor="test")
    merge = merging.merge_profiles(survivor.id, other.id, actor="test")
    after = notes.add_note(survivor.id, "written after the merge", actor="test")

    assert {n.id for n, _ in notes.notes_of(survivor.id)[0]} == {theirs.id, after.id}

    merging.undo_merge(merge.id, actor="test")

    assert [n.id for n, _ in notes.notes_of(other.id)[0]] == [theirs.id]
    assert [n.id for n, _ in notes.notes_of(survivor.id)[0]] == [after.id]


# --- attribution --------------------------------------------------------------------------


def test_attribution_names_who_typed_each_value_in_one_query(app):
    rita = factories.make_user(name="Rita Rossi")
    gino = factories.make_user(name="Gino Verdi")
    profile = factories.make_profile(company="Acme")  # by "test": no user
    profiles.update_profile(profile.id, {"city": "Parma"}, expected_version=None, actor=rita)
    profiles.update_profile(profile.id, {"job_title": "CFO"}, expected_version=None, actor=gino)
    profile = profiles.get_profile(profile.id)
    _ = profile.source_records, profile.tags

    found, statements = _selects(lambda: notes.attribution(profile))

    assert {name: user.name for name, user in found.editors.items()} == {
        "city": "Rita Rossi",
        "job_title": "Gino Verdi",
    }
    assert len(statements) == 1


def test_attribution_gives_each_tag_the_sources_of_the_records_stating_it(app):
    profile = factories.make_profile(tags=["typed"])
    for name, external_id, tags in (
        ("shop", "S1", ["vip", "buyer"]),
        ("fair", "F1", ["vip"]),
        ("fair", "F2", ["vip"]),
    ):
        db.session.add(
            SourceRecord(
                source=_source(name),
                external_id=external_id,
                profile_id=profile.id,
                raw={"tags": tags},
                fields={"tags": tags},
            )
        )
    db.session.commit()
    profiles.update_profile(
        profile.id,
        {"tags": ["typed", "vip", "buyer", "later"]},
        expected_version=None,
        actor="test",
    )
    profile = profiles.get_profile(profile.id)
    records = {(r.source.name, r.external_id): r.id for r in profile.source_records}

    found = notes.attribution(profile)

    assert found.tag_sources["vip"] == [
        ("shop", records["shop", "S1"]),
        ("fair", records["fair", "F1"]),
    ]
    assert found.tag_sources["buyer"] == [("shop", records["shop", "S1"])]
    assert [source for source, _ in found.tag_sources["typed"]] == ["manual"]
    assert "later" not in found.tag_sources  # no record says where it came from
