"""A profile's notes and touchpoints, and who or what stated its values (its attribution).

Notes are written by staff on a live profile; a profile merged into another takes none
(the person's notes are on the survivor, and a note written there stays there when the
merge is undone, like any edit made since). Touchpoints come from sources and are only
read here. Both are listed newest first, a page at a time, with a cursor that is the id
of the previous page's last item.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from crm.extensions import db
from crm.models import Note, Profile, Source, Touchpoint, User
from crm.services import audit, provenance
from crm.services.errors import ConflictError, ValidationError
from crm.services.normalise import UNSTORABLE
from crm.services.profiles import added_tags, get_profile, typed_identifiers

NOTE_MAX = 5000  # characters of a note: a page of text, far more than a call's summary
PAGE_SIZE = 50
NOTE_EMPTY = "Write something."
NOTE_TOO_LONG = f"At most {NOTE_MAX} characters."
NOTE_UNSTORABLE = "Must not contain NUL characters or lone UTF-16 surrogates."
BAD_CURSOR = "Not a valid cursor for this list."
# Line ends of every platform as one; trailing spaces of a line say nothing.
_LINE_ENDS = re.compile(r"\r\n?")
_TRAILING = re.compile(r"[ \t]+\n")


def merged_away_message(survivor_id: int) -> str:
    """Why a note is refused on a profile merged into another."""
    return (
        f"This profile was merged into profile {survivor_id}; write the note on that one "
        "(or undo the merge first)."
    )


def merged_away_read_message(survivor_id: int) -> str:
    """Why a profile merged into another lists no notes or touchpoints of its own."""
    return (
        f"This profile was merged into profile {survivor_id}; its notes and touchpoints "
        "are on that one."
    )


def require_live(profile) -> None:
    """Raise ConflictError, naming the survivor, for a profile merged into another: what
    it had moved there, and an empty list would read as none."""
    if profile.merged_into_id is not None:
        message = merged_away_read_message(profile.merged_into_id)
        raise ConflictError(message, fields={"merged_into": [message]})


def clean_note(body: object) -> str:
    """A note's text as stored: line ends made one, outer blank space trimmed.

    Raises ValidationError (empty, longer than NOTE_MAX, or holding what no database
    stores: a NUL or a lone surrogate).
    """
    text = _TRAILING.sub("\n", _LINE_ENDS.sub("\n", str(body or ""))).strip()
    problems = []
    if not text:
        problems.append(NOTE_EMPTY)
    if len(text) > NOTE_MAX:
        problems.append(NOTE_TOO_LONG)
    if UNSTORABLE.search(text):
        problems.append(NOTE_UNSTORABLE)
    if problems:
        raise ValidationError("The note was not saved.", fields={"body": problems})
    return text


def add_note(profile_id: int, body: object, *, actor: User | str | None) -> Note:
    """Write a note on a live profile, as actor; audited by the note's id, never its text.

    Raises ValidationError (see clean_note), NotFoundError (no such profile),
    ConflictError (the profile was merged into another: write on that one).
    """
    text = clean_note(body)
    # Locked, so a merge running now moves the note with the profile or finds it done.
    profile = get_profile(profile_id, for_update=True)
    if profile.merged_into_id is not None:
        message = merged_away_message(profile.merged_into_id)
        db.session.rollback()
        raise ConflictError(message, fields={"merged_into": [message]})
    note = Note(
        profile_id=profile.id,
        author_id=actor.id if isinstance(actor, User) else None,
        body=text,
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        "note.create",
        actor=actor,
        object_type="profile",
        object_id=profile.id,
        details={"note_id": note.id},
    )
    db.session.commit()
    return note


def _page(query, model, time_column, profile_id: int, after: int | None, limit: int | None):
    """One page of query's rows of model (newest first by time_column, then id) and the
    cursor of the next; after is the id of the previous page's last row of this profile,
    limit the page's size (None: PAGE_SIZE).

    Raises ValidationError for a cursor that is no row of the profile's.
    """
    if after is not None:
        anchor = db.session.execute(
            select(time_column, model.id).where(model.id == after, model.profile_id == profile_id)
        ).first()
        if anchor is None:
            raise ValidationError(BAD_CURSOR, fields={"cursor": [BAD_CURSOR]})
        at, anchor_id = anchor
        query = query.where(or_(time_column < at, and_(time_column == at, model.id < anchor_id)))
    limit = limit or PAGE_SIZE
    rows = db.session.execute(
        query.order_by(time_column.desc(), model.id.desc()).limit(limit + 1)
    ).all()
    next_cursor = rows[limit - 1][0].id if len(rows) > limit else None
    return [tuple(row) for row in rows[:limit]], next_cursor


def notes_of(
    profile_id: int, *, after: int | None = None, limit: int | None = None
) -> tuple[list[tuple[Note, User | None]], int | None]:
    """A profile's notes, newest first, each with its author (None when no user wrote it or
    the user was deleted), in one query; and the cursor of the next page.

    Raises ValidationError for a cursor that is none of the profile's notes.
    """
    query = (
        select(Note, User)
        .outerjoin(User, User.id == Note.author_id)
        .where(Note.profile_id == profile_id)
    )
    return _page(query, Note, Note.created_at, profile_id, after, limit)


def touchpoints_of(
    profile_id: int, *, after: int | None = None, limit: int | None = None
) -> tuple[list[tuple[Touchpoint, str | None]], int | None]:
    """A profile's touchpoints, newest first by when they happened, each with its source's
    name (None when no source is named), in one query; and the cursor of the next page.

    Raises ValidationError for a cursor that is none of the profile's touchpoints.
    """
    query = (
        select(Touchpoint, Source.name)
        .outerjoin(Source, Source.id == Touchpoint.source_id)
        .where(Touchpoint.profile_id == profile_id)
    )
    return _page(query, Touchpoint, Touchpoint.occurred_at, profile_id, after, limit)


def note_documents(rows: list[tuple[Note, User | None]]) -> list[dict]:
    """Notes with their authors (as notes_of gives them) as plain data for the API."""
    return [
        {
            "id": note.id,
            "profile_id": note.profile_id,
            "body": note.body,
            "author_id": note.author_id,
            "author": author.email if author else None,
            "created_at": note.created_at,
        }
        for note, author in rows
    ]


def touchpoint_documents(rows: list[tuple[Touchpoint, str | None]]) -> list[dict]:
    """Touchpoints with their sources' names (as touchpoints_of gives them) as plain data
    for the API; their properties as the source sent them."""
    return [
        {
            "id": point.id,
            "kind": point.kind,
            "channel": point.channel,
            "online": point.online,
            "phase": point.phase,
            "occurred_at": point.occurred_at,
            "source": source,
            "external_id": point.external_id,
            "properties": point.properties if isinstance(point.properties, dict) else {},
        }
        for point, source in rows
    ]


@dataclass
class Attribution:
    """Who or what stated a profile's values, beyond the provenance the profile keeps.

    editors: field name (or "tags") -> the user who typed its value by hand, for the
    entries of Profile.provenance that name a user who still exists.
    tag_sources: tag name -> [(source name, id of its first record stating the tag)] for
    the records of the profile that state it (provenance.tag_sources).
    tags_added: tag name -> {"manual": user id or None, "at": time} for the profile's
    tags a person added by hand (profiles.added_tags); tag_editors: tag name -> that user,
    where they still exist. A tag neither a record states nor a person added (a record
    that states it no more, or an edit from before additions were recorded) has neither:
    the data does not say which.
    """

    editors: dict[str, User] = field(default_factory=dict)
    tag_sources: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    tags_added: dict[str, dict] = field(default_factory=dict)
    tag_editors: dict[str, User] = field(default_factory=dict)
    # email or phone -> {"manual", "at"} for those typed by hand (profiles.typed_identifiers)
    # and -> the user who typed it, where they still exist.
    typed: dict[str, dict] = field(default_factory=dict)
    typists: dict[str, User] = field(default_factory=dict)


def attribution(profile: Profile) -> Attribution:
    """Who typed the profile's hand-made values and tags and which sources state its tags,
    with one query for the users (the source records are the profile's, loaded once)."""
    found = Attribution()
    typed = {
        name: entry["manual"]
        for name, entry in (profile.provenance or {}).items()
        if isinstance(entry, dict) and isinstance(entry.get("manual"), int)
    }
    names = {t.name for t in profile.tags}
    found.tags_added = {
        name: entry for name, entry in added_tags(profile.provenance).items() if name in names
    }
    adders = {
        name: entry["manual"]
        for name, entry in found.tags_added.items()
        if isinstance(entry.get("manual"), int)
    }
    for kind in ("emails", "phones"):
        found.typed.update(typed_identifiers(profile.provenance, kind))
    typists = {
        value: entry["manual"]
        for value, entry in found.typed.items()
        if isinstance(entry.get("manual"), int)
    }
    wanted = set(typed.values()) | set(adders.values()) | set(typists.values())
    if wanted:
        users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}
        found.editors = {name: users[uid] for name, uid in typed.items() if uid in users}
        found.tag_editors = {name: users[uid] for name, uid in adders.items() if uid in users}
        found.typists = {value: users[uid] for value, uid in typists.items() if uid in users}
    found.tag_sources = provenance.tag_sources(profile)
    return found
