"""Profiles: search, read, manual creation, edits with optimistic locking, export."""

import re
from collections.abc import Iterator
from datetime import date

from flask import current_app
from sqlalchemy import and_, bindparam, false, func, or_, select, union
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from crm.extensions import MAX_ID, db
from crm.models import (
    PROFILE_FIELDS,
    PURPOSES,
    STAGES,
    TAG_MAX,
    ConsentRecord,
    DuplicateCandidate,
    Merge,
    Profile,
    ProfileEmail,
    ProfilePhone,
    Source,
    SourceRecord,
    StageChange,
    Tag,
    User,
)
from crm.models.base import utcnow
from crm.services import audit, match_keys, suspects
from crm.services.errors import (
    ConflictError,
    LikelyDuplicateError,
    NotFoundError,
    ValidationError,
)
from crm.services.given_names import FIRST_NAMES
from crm.services.normalise import (
    clean_text,
    fold,
    normalise_country,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_tax_id,
    spelt_out,
    storable,
)
from crm.services.sqlin import slices

MANUAL_SOURCE = "manual"
MANUAL_LABEL = "Manual entry"  # its label, as pages show it
NEEDS_IDENTITY = "Give at least a name, an email, a phone or a tax id."
# The fields a person is found by: a profile keeps at least one of them.
IDENTITY_FIELDS = ("first_name", "last_name", "emails", "phones", "tax_id")


def _birth_date(value: object) -> date | None:
    """A birth date in the importer's range; normalise_date checks the range of text only,
    so a date object (as the API's schema gives) is checked as its ISO text."""
    if isinstance(value, date):
        value = value.isoformat()
    return normalise_date(value)


_FIELD_NORMALISERS = {
    "first_name": normalise_name,
    "last_name": normalise_name,
    "postcode": normalise_postcode,
    "country": normalise_country,
    "birth_date": _birth_date,
    "tax_id": normalise_tax_id,
}
_FIELD_LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "company": 200,
    "job_title": 200,
    "address": 300,
    "address_line_2": 300,
    "postcode": 20,
    "city": 100,
    "state": 100,
    "tax_id": 32,
}


def get_profile(profile_id: int, *, for_update: bool = False) -> Profile:
    """Load one profile, row-locked when for_update. Raises NotFoundError."""
    if for_update:
        profile = db.session.scalar(
            select(Profile)
            .where(Profile.id == profile_id)
            .with_for_update(of=Profile)
            .execution_options(populate_existing=True)
        )
    else:
        profile = db.session.get(Profile, profile_id)
    if profile is None:
        raise NotFoundError("No such profile.")
    return profile


def _prefix(column, text: str):
    """An index-friendly 'starts with' on a lower-cased column."""
    if db.engine.dialect.name == "sqlite":
        # Byte-order range: uses the plain index, unlike SQLite's case-insensitive LIKE.
        return and_(column >= text, column < text + "\U0010ffff")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.like(escaped + "%", escape="\\")


def _name_matches(model, folded: str) -> list:
    """Conditions on a model's folded name columns (search_name, search_last) for a
    search: the name as written ("maria ros"), the surname alone ("rossi", "damico"), or
    the surname first, as Italian lists write it ("rossi maria", "d'amico nicolo")."""
    words = folded.split()
    conditions = [
        _prefix(model.search_name, folded),
        _prefix(model.search_last, "".join(words)),
    ]
    for cut in range(1, min(len(words), _SURNAME_WORDS + 1)):
        conditions.append(
            and_(
                model.search_last == "".join(words[:cut]),
                _prefix(model.search_name, " ".join(words[cut:])),
            )
        )
    return conditions


# How many words of a search may be a surname written first ("de luca maria").
_SURNAME_WORDS = 3
# Heads of Italian compound given names that are no name alone (Gian Luca, Pier Paolo).
_NAME_HEADS = frozenset({"gian", "pier"})
# The shortest half of a compound given name split apart ("mariagrazia" -> "maria grazia").
_HALF = 3
_UMLAUT_PAIRS = re.compile(r"(?<=[aou])e")


def _name_variants(text: str) -> list[str]:
    """The folded ways a searched name may be stored, the typed one first: with umlauts
    written out ("Müller" finds Mueller) or read back ("Mueller" finds Müller), and a
    compound given name joined or split ("Maria Grazia" finds Mariagrazia, "Gianluca"
    finds Gian Luca). Each finds only what starts with it, so the extra ones add few
    other people."""
    folded = fold(text)
    variants = [folded, fold(spelt_out(text)), _UMLAUT_PAIRS.sub("", folded)]
    words = folded.split()
    for i in range(len(words) - 1):
        head, tail = words[i], words[i + 1]
        if (head in FIRST_NAMES or head in _NAME_HEADS) and tail in FIRST_NAMES:
            variants.append(" ".join([*words[:i], head + tail, *words[i + 2 :]]))
    for i, word in enumerate(words):
        for cut in range(_HALF, len(word) - _HALF + 1):
            head, tail = word[:cut], word[cut:]
            if (head in FIRST_NAMES or head in _NAME_HEADS) and tail in FIRST_NAMES:
                variants.append(" ".join([*words[:i], head, tail, *words[i + 1 :]]))
                break
    return list(dict.fromkeys(v for v in variants if v))


def search_query(q: str | None):
    """A select() of live profiles matching q by name, email, phone or company.

    A name is matched as the profile shows it and as any of its source records wrote it
    (a typo, a maiden name), an email or a phone as the profile holds it and as any of
    its records stated it: a family's shared mailbox or landline belongs to one profile,
    and a search for it (an access request) must find every person who gave it.
    Profiles merged into another are left out: their survivor is the person.
    """
    query = select(Profile).where(Profile.merged_into_id.is_(None))
    text = (q or "").strip()
    if not text:
        return query
    if storable(text) != text:  # a NUL or a lone surrogate
        return query.where(false())  # no value holds it, and the database may refuse it
    # Each part finds ids through an index; their union is read once (an OR over the
    # profiles would read every live profile).
    found = []
    stated = []  # conditions on the source records behind a profile
    email_text = text.lower()
    found.append(select(ProfileEmail.profile_id).where(_prefix(ProfileEmail.email, email_text)))
    stated.append(_prefix(SourceRecord.email, email_text))
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 5 and len(digits) >= len(text.replace(" ", "")) - 2:
        region = current_app.config.get("DEFAULT_PHONE_REGION", "IT")
        try:
            e164 = normalise_phone(text, region)
        except ValueError:
            e164 = None
        phone_match = ProfilePhone.phone.contains(digits, autoescape=True)
        if e164:
            phone_match = or_(ProfilePhone.phone == e164, phone_match)
            stated.append(SourceRecord.phone == e164)
        found.append(select(ProfilePhone.profile_id).where(phone_match))
    variants = _name_variants(text)
    if variants:
        named = [_prefix(Profile.search_company, variants[0])]
        for folded in variants:
            named += _name_matches(Profile, folded)
            stated += _name_matches(SourceRecord, folded)
        found.append(select(Profile.id).where(or_(*named)))
    found.append(select(SourceRecord.profile_id).where(or_(*stated)))
    return query.where(Profile.id.in_(union(*found)))


def search_profiles(
    q: str | None = None, *, after: int | None = None, limit: int = 50
) -> tuple[list[Profile], int | None]:
    """One page of matching profiles (keyset by id, newest first) and the next cursor."""
    query = search_query(q).order_by(Profile.id.desc()).limit(limit + 1)
    if after is not None:
        query = query.where(Profile.id < after)
    query = query.options(
        selectinload(Profile.emails), selectinload(Profile.phones), selectinload(Profile.tags)
    )
    rows = list(db.session.scalars(query))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


# The roles that own profiles: those who work leads (a marketer or a compliance officer
# owns no person).
OWNER_ROLES = ("admin", "sales")
NOT_AN_OWNER = "Only a sales rep or an admin can own a profile."


def assignable_owners(current_owner_id: int | None = None) -> list[User]:
    """Users a profile may be given to: the active sales reps and admins, plus its current
    owner if inactive or of another role."""
    condition = and_(User.active.is_(True), User.role.in_(OWNER_ROLES))
    if current_owner_id is not None:
        condition = or_(condition, User.id == current_owner_id)
    return list(db.session.scalars(select(User).where(condition).order_by(User.email)))


def count_by_stage() -> dict[str, int]:
    """Number of profiles in each lifecycle stage, in funnel order."""
    counts = dict(
        db.session.execute(
            select(Profile.stage, func.count())
            .where(Profile.merged_into_id.is_(None))
            .group_by(Profile.stage)
        ).all()
    )
    return {stage: counts.get(stage, 0) for stage in STAGES}


def manual_source() -> Source:
    """The 'manual' source for records typed in by staff (created on first use)."""
    source = db.session.scalar(select(Source).where(Source.name == MANUAL_SOURCE))
    if source is None:
        source = Source(name=MANUAL_SOURCE, label=MANUAL_LABEL, party="first", trust_rank=100)
        db.session.add(source)
        db.session.flush()
    return source


def _clean_fields(data: dict) -> tuple[dict, dict]:
    """Normalise the plain profile fields in data; return (values, per-field errors)."""
    values, errors = {}, {}
    for name in PROFILE_FIELDS:
        if name not in data:
            continue
        normaliser = _FIELD_NORMALISERS.get(name, clean_text)
        try:
            value = normaliser(data[name])
        except ValueError as exc:
            errors[name] = [str(exc)]
            continue
        limit = _FIELD_LIMITS.get(name)
        if limit and value and len(value) > limit:
            errors[name] = [f"At most {limit} characters."]
            continue
        values[name] = value
    return values, errors


def _clean_list(raw: object, normaliser, field: str, errors: dict) -> list[str] | None:
    """Normalise a list of emails or phones, collecting errors per field."""
    if raw is None:
        return None
    items = raw if isinstance(raw, list | tuple) else [raw]
    cleaned: list[str] = []
    for item in items:
        try:
            value = normaliser(item)
        except ValueError as exc:
            errors.setdefault(field, []).append(f"{item}: {exc}")
            continue
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned


def _tags(names: list[str]) -> list[Tag]:
    """Tag rows for names, created as needed."""
    cleaned = sorted({n for n in (clean_text(x) for x in names) if n})
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(cleaned)))}
    result = []
    for name in cleaned:
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        result.append(tag)
    return result


def search_columns(first: str | None, last: str | None, company: str | None) -> dict[str, str]:
    """The folded search columns of a profile with these names and company."""
    return {
        "search_name": fold(" ".join(p for p in (first, last) if p))[:210],
        # Without spaces: "damico" and "d amico" both find D'Amico, "obrien" O'Brien.
        "search_last": fold(last).replace(" ", "")[:100],
        "search_company": fold(company)[:200],
    }


def record_search_columns(fields: dict | None) -> dict[str, str]:
    """The folded search columns of a source record with these normalised fields."""
    first, last = ((fields or {}).get(k) for k in ("first_name", "last_name"))
    found = search_columns(
        first if isinstance(first, str) else None, last if isinstance(last, str) else None, None
    )
    del found["search_company"]
    return found


def refold_records(connection, batch_size: int = 2000) -> int:
    """Rewrite the search columns of the source records whose folded names changed (a new
    folding, or records stored before the columns existed); returns how many changed.

    Runs on a Connection (a migration's, or the session's); the caller commits."""
    table = SourceRecord.__table__
    columns = (table.c.id, table.c.fields, table.c.search_name, table.c.search_last)
    changed, last_id = 0, 0
    while True:
        rows = connection.execute(
            select(*columns).where(table.c.id > last_id).order_by(table.c.id).limit(batch_size)
        ).all()
        if not rows:
            return changed
        last_id = rows[-1].id
        updates = []
        for row in rows:
            found = record_search_columns(row.fields)
            if (found["search_name"], found["search_last"]) != (row.search_name, row.search_last):
                updates.append({"record_id": row.id, **found})
        if updates:
            connection.execute(
                table.update()
                .where(table.c.id == bindparam("record_id"))
                .values(search_name=bindparam("search_name"), search_last=bindparam("search_last")),
                updates,
            )
        changed += len(updates)


def refresh_search_keys(profile: Profile) -> None:
    """Recompute the folded search columns after a name or company change."""
    for name, value in search_columns(
        profile.first_name, profile.last_name, profile.company
    ).items():
        setattr(profile, name, value)


def _set_identifiers(
    profile: Profile, model, values: list[str], record_id: int | None, field: str
) -> None:
    """Replace the profile's emails or phones (first one primary).

    Raises ConflictError when a value already belongs to another profile.
    """
    column = model.email if model is ProfileEmail else model.phone
    query = select(column, model.profile_id).where(column.in_(values))
    if profile.id:
        query = query.where(model.profile_id != profile.id)
    taken = db.session.execute(query).all()
    if taken:
        # Which profile: the person typing is most likely looking for that one.
        raise ConflictError(
            f"{'Email' if field == 'emails' else 'Phone'} belongs to another profile.",
            fields={field: [f"{value} belongs to profile #{owner}." for value, owner in taken]},
        )
    current = {getattr(row, column.key): row for row in getattr(profile, field)}
    rows = [
        current.get(value) or model(**{column.key: value}, source_record_id=record_id)
        for value in values
    ]
    setattr(profile, field, rows)
    for index, row in enumerate(rows):
        row.is_primary = index == 0


def _owner(value: object, errors: dict) -> User | None:
    """The owner user from an id or an email; records an error when unknown."""
    if value in (None, ""):
        return None
    query = select(User).where(User.active.is_(True))
    if isinstance(value, int) or str(value).isdigit():
        if not 0 < int(value) <= MAX_ID:  # no user can have it; the database would fail
            errors["owner"] = ["No such active user."]
            return None
        query = query.where(User.id == int(value))
    else:
        query = query.where(User.email == str(value).strip().lower())
    user = db.session.scalar(query)
    if user is None:
        errors["owner"] = ["No such active user."]
    elif user.role not in OWNER_ROLES:
        errors["owner"] = [NOT_AN_OWNER]
        return None
    return user


def _actor_id(actor: User | str | None) -> int | None:
    """The user id of an actor, if it is a user."""
    return actor.id if isinstance(actor, User) else None


def record_stage(profile: Profile, to_stage: str, actor, reason: str) -> None:
    """Move the profile to a stage and append the change to its history."""
    if to_stage == profile.stage and profile.stage_changes:
        return
    profile.stage_changes.append(
        StageChange(
            from_stage=profile.stage if profile.stage_changes else None,
            to_stage=to_stage,
            actor_user_id=_actor_id(actor),
            actor_label=audit.actor_fields(actor)["actor_label"],
            reason=reason[:500],
        )
    )
    profile.stage = to_stage


def removed_tags(provenance: dict) -> set[str]:
    """The tags a person removed from a profile: records do not put them back."""
    origin = (provenance or {}).get("tags")
    return set(origin.get("removed") or []) if isinstance(origin, dict) else set()


def added_tags(provenance: dict) -> dict[str, dict]:
    """{tag name: {"manual": user id or None, "at": ISO time}} for the tags a person added
    to a profile by hand (and has not removed since): an undo or a detach keeps them."""
    origin = (provenance or {}).get("tags")
    added = origin.get("added") if isinstance(origin, dict) else None
    if not isinstance(added, dict):
        return {}
    return {name: entry for name, entry in added.items() if isinstance(entry, dict)}


def _tags_stamp(provenance: dict, before: list[str], names: list[str], stamp: dict) -> dict:
    """The provenance of a profile's tags after a person changed them from before to names:
    who changed them and when, the tags they removed (records do not put them back) and
    the tags they added, each with who added it and when (an undo keeps them)."""
    removed = (removed_tags(provenance) | (set(before) - set(names))) - set(names)
    added = {name: entry for name, entry in added_tags(provenance).items() if name in names}
    for name in set(names) - set(before):
        added[name] = dict(stamp)
    return {**stamp, "removed": sorted(removed), "added": dict(sorted(added.items()))}


def removed_identifiers(provenance: dict, kind: str) -> set[str]:
    """The emails or phones (kind "emails", "phones") a person removed from a profile:
    records do not put them back, as for tags."""
    origin = (provenance or {}).get(kind)
    return set(origin.get("removed") or []) if isinstance(origin, dict) else set()


def typed_identifiers(provenance: dict, kind: str) -> dict[str, dict]:
    """{value: {"manual": user id or None, "at": ISO time}} for the emails or phones a
    person typed on a profile by hand (and has not removed since)."""
    origin = (provenance or {}).get(kind)
    typed = origin.get("typed") if isinstance(origin, dict) else None
    if not isinstance(typed, dict):
        return {}
    return {value: entry for value, entry in typed.items() if isinstance(entry, dict)}


def _identifiers_stamp(
    provenance: dict, kind: str, before: list[str], values: list[str], stamp: dict
) -> dict:
    """The provenance of a profile's emails or phones after a person changed them from
    before to values: who and when, those they removed (records do not put them back)
    and those they typed, each with who typed it and when."""
    removed = (removed_identifiers(provenance, kind) | (set(before) - set(values))) - set(values)
    typed = {v: e for v, e in typed_identifiers(provenance, kind).items() if v in values}
    for value in set(values) - set(before):
        typed[value] = dict(stamp)
    return {**stamp, "removed": sorted(removed), "typed": dict(sorted(typed.items()))}


def _apply(profile: Profile, data: dict, *, actor, record_id: int | None) -> list[str]:
    """Validate and apply data to profile; returns the changed field names.

    A new profile, or an edit of a name, the emails, the phones or the tax id, must leave
    the profile a name, an email, a phone or a tax id once cleaned (NEEDS_IDENTITY); an
    edit of other fields of an old profile without any is still saved.

    Raises ValidationError with every field's problem at once, or ConflictError.
    """
    values, errors = _clean_fields(data)
    emails = _clean_list(data.get("emails"), normalise_email, "emails", errors)
    region = current_app.config.get("DEFAULT_PHONE_REGION", "IT")
    phones = _clean_list(data.get("phones"), lambda v: normalise_phone(v, region), "phones", errors)
    stage = data.get("stage")
    if stage is not None and stage not in STAGES:
        errors["stage"] = [f"Must be one of: {', '.join(STAGES)}."]
    score = data.get("score")
    if score is not None and (not isinstance(score, int) or isinstance(score, bool)):
        errors["score"] = ["Must be a whole number."]
    elif score is not None and not -MAX_ID <= score <= MAX_ID:
        errors["score"] = [f"Must be between {-MAX_ID} and {MAX_ID}."]
    long_tags = [t for t in data.get("tags") or [] if len(clean_text(t) or "") > TAG_MAX]
    if long_tags:
        errors["tags"] = [f"A tag has at most {TAG_MAX} characters."]
    owner = _owner(data.get("owner"), errors) if "owner" in data else None
    if not profile.id or any(name in data for name in IDENTITY_FIELDS):
        if not _has_identity(profile, values, emails, phones):
            if not errors:
                raise ValidationError(NEEDS_IDENTITY, fields={"_schema": [NEEDS_IDENTITY]})
            errors["_schema"] = [NEEDS_IDENTITY]
    if errors:
        raise ValidationError("Some fields are invalid.", fields=errors)

    changed = []
    stamp = {"manual": _actor_id(actor), "at": utcnow().isoformat()}
    provenance = dict(profile.provenance or {})
    for name, value in values.items():
        if getattr(profile, name) != value:
            typed = "manual" in (provenance.get(name) or {})
            setattr(profile, name, value)
            provenance[name] = stamp
            changed.append(name)
            if value is None and typed and profile.id:
                _back_to_sources(profile, name, provenance)
    for kind, model, wanted in (("emails", ProfileEmail, emails), ("phones", ProfilePhone, phones)):
        if wanted is None:
            continue
        before = [getattr(row, kind[:-1]) for row in getattr(profile, kind)]
        if wanted != before:
            _set_identifiers(profile, model, wanted, record_id, kind)
            provenance[kind] = _identifiers_stamp(provenance, kind, before, wanted, stamp)
            changed.append(kind)
    if "tags" in data and data["tags"] is not None:
        tags = _tags(list(data["tags"]))
        names, before = [t.name for t in tags], [t.name for t in profile.tags]
        if names != before:
            profile.tags = tags
            changed.append("tags")
            # A tag a person removed stays removed when records that carry it come again;
            # one they added stays when what else brought it goes (an undo, a detach).
            provenance["tags"] = _tags_stamp(provenance, before, names, stamp)
    if "owner" in data and (owner.id if owner else None) != profile.owner_id:
        profile.owner = owner
        changed.append("owner")
    if score is not None and score != profile.score:
        profile.score = score
        changed.append("score")
    if stage is not None and (stage != profile.stage or not profile.stage_changes):
        record_stage(profile, stage, actor, data.get("stage_reason") or "manual edit")
        changed.append("stage")
    profile.provenance = provenance
    refresh_search_keys(profile)
    return changed


def _back_to_sources(profile: Profile, name: str, provenance: dict) -> None:
    """A value typed by hand and then cleared gives the field back to the sources: it
    shows what the profile's records state, by the survivorship rules (the record of a
    profile created by hand holds what was typed then, which the person just took back)."""
    from crm.services import survivorship  # it reads this module's names

    records = [r for r in profile.source_records if r.source.name != MANUAL_SOURCE]
    provenance.pop(name, None)
    state = survivorship.state_of(profile)
    state.columns["provenance"] = {k: v for k, v in provenance.items() if k == name}
    update = survivorship.survive(state, records, lambda _kind, _values: set())
    if update.columns.get(name) is not None:
        setattr(profile, name, update.columns[name])
        provenance[name] = update.columns["provenance"][name]


def _has_identity(
    profile: Profile, values: dict, emails: list[str] | None, phones: list[str] | None
) -> bool:
    """Whether the profile keeps a name, an email, a phone or a tax id (what an import
    takes a person by) once the cleaned values of an edit (None: unchanged) are applied."""
    return bool(
        values.get("first_name", profile.first_name)
        or values.get("last_name", profile.last_name)
        or values.get("tax_id", profile.tax_id)
        or (emails if emails is not None else profile.emails)
        or (phones if phones is not None else profile.phones)
    )


# What create_profile does with a new profile that looks like people already here.
ON_DUPLICATE = ("review", "refuse")


def create_profile(
    data: dict, *, actor: User | str | None, on_duplicate: str = "review"
) -> Profile:
    """Create a profile by hand; it gets a 'manual' source record holding what was typed.

    The new profile is weighed against the people already here, as an imported row is
    (suspects.likely_duplicates). With on_duplicate "review" it is created and each likely
    duplicate becomes a review pair (first reason suspects.AT_CREATION); with "refuse"
    nothing is saved and LikelyDuplicateError lists them, so a person can look first.

    Raises ValidationError, ConflictError (a taken identifier), LikelyDuplicateError.
    """
    if on_duplicate not in ON_DUPLICATE:
        raise ValidationError(
            "Unknown on_duplicate.", fields={"on_duplicate": [f"one of {ON_DUPLICATE}"]}
        )
    source = manual_source()
    record = SourceRecord(source=source, raw=_jsonable(data))
    db.session.add(record)
    db.session.flush()
    profile = Profile(provenance={})
    db.session.add(profile)
    data = {"stage": "lead", **data}
    try:
        _apply(profile, data, actor=actor, record_id=record.id)
    except (ValidationError, ConflictError):
        db.session.rollback()
        raise
    db.session.flush()
    record.profile_id = profile.id
    record.fields = {
        k: _jsonable(getattr(profile, k)) for k in PROFILE_FIELDS if getattr(profile, k) is not None
    }
    record.email = profile.primary_email
    record.phone = profile.primary_phone
    match_keys.refresh_many([profile], new=True)
    matches = suspects.likely_duplicates(profile)
    if matches and on_duplicate == "refuse":
        refusal = _likely_duplicates(matches)
        db.session.rollback()
        raise refusal
    for other, decision in matches:
        reasons = [suspects.AT_CREATION, *decision.reasons]
        suspects.propose(profile.id, other.id, decision.score, reasons)
    audit.record("profile.create", actor=actor, object_type="profile", object_id=profile.id)
    db.session.commit()
    return profile


def review_pairs(profile_id: int) -> list[dict]:
    """The open review-queue pairs a profile is in, likely duplicates first (as the queue
    lists them: highest score first, a pair with a veto after every pair without one), as
    plain data holding no personal data: the pair's id, the profile on the other side,
    the score."""
    return review_pairs_of([profile_id])[profile_id]


def review_pairs_of(profile_ids: list[int]) -> dict[int, list[dict]]:
    """review_pairs of each of these profiles, read in a query a slice of them."""
    pair = DuplicateCandidate
    found: dict[int, list[dict]] = {pid: [] for pid in profile_ids}
    for chunk in slices(sorted(found)):
        rows = db.session.execute(
            select(pair.id, pair.profile_a_id, pair.profile_b_id, pair.score)
            .where(
                pair.status == "open",
                or_(pair.profile_a_id.in_(chunk), pair.profile_b_id.in_(chunk)),
            )
            .order_by(suspects.vetoed(), pair.score.desc(), pair.id)
        )
        asked = set(chunk)
        for pair_id, a, b, score in rows:
            for mine, other in ((a, b), (b, a)):
                if mine in asked:
                    found[mine].append({"id": pair_id, "profile_id": other, "score": score})
    return found


def created_document(profile: Profile) -> dict:
    """A profile just created by create_profile, as the API gives it: its document
    (profile_documents) and the review pairs it was put in (review_pairs)."""
    (document,) = profile_documents([profile])
    document["review_pairs"] = review_pairs(profile.id)
    return document


def _likely_duplicates(matches: list) -> LikelyDuplicateError:
    """The refusal of a new profile that looks like these (profile, decision) pairs."""
    found = [
        f"profile {other.id} ({other.display_name}): score {decision.score:.2f}; "
        + "; ".join(decision.reasons)
        for other, decision in matches
    ]
    return LikelyDuplicateError(
        "This person may already be in the CRM; nothing was saved. Open the profiles "
        "listed, or create the new one anyway.",
        matches,
        fields={"duplicates": found},
    )


def update_profile(
    profile_id: int, data: dict, *, expected_version: int | None, actor: User | str | None
) -> Profile:
    """Apply a manual edit, refusing it if the profile changed since expected_version.

    Raises NotFoundError, ValidationError, ConflictError (stale version or taken identifier).
    """
    # The row lock makes concurrent edits queue (PostgreSQL); SQLite's BEGIN IMMEDIATE
    # already serialises writers.
    profile = get_profile(profile_id, for_update=True)
    if profile.merged_into_id is not None:
        message = (
            f"This profile was merged into profile {profile.merged_into_id}; edit that one "
            "(or undo the merge first)."
        )
        raise ConflictError(message, fields={"merged_into": [message]})
    if expected_version is not None and expected_version != profile.version:
        raise ConflictError(
            "This profile was changed by someone else since you opened it; "
            "nothing was saved. Reload to see the current values.",
            fields={"version": [f"current version is {profile.version}"]},
        )
    before_stage = profile.stage
    rekeyed = False
    try:
        changed = _apply(profile, data, actor=actor, record_id=None)
        if changed:
            profile.updated_at = utcnow()
            rekeyed = match_keys.refresh(profile)
        db.session.flush()
    except (ValidationError, ConflictError):
        db.session.rollback()
        raise
    except StaleDataError as exc:
        db.session.rollback()
        raise ConflictError(
            "This profile was changed by someone else at the same time; nothing was saved."
        ) from exc
    if changed:
        details = {"fields": changed}
        if "stage" in changed:
            details["stage"] = [before_stage, profile.stage]
        audit.record(
            "profile.update",
            actor=actor,
            object_type="profile",
            object_id=profile.id,
            details=details,
        )
        if "stage" in changed:
            audit.record(
                "profile.stage_change",
                actor=actor,
                object_type="profile",
                object_id=profile.id,
                details={"from": before_stage, "to": profile.stage},
            )
    db.session.commit()
    if rekeyed:  # a name, birth date, place or company changed: who else may this be?
        suspects.weigh_again(profile.id, suspects.AFTER_EDIT)
    return profile


def _jsonable(value):
    """Make a value JSON-friendly (dates as ISO text)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def current_consents(profile_ids: list[int]) -> dict[int, dict[str, str]]:
    """{profile id: {purpose: 'granted'|'withdrawn'|'refused'|'none'}} from the latest record
    of each ('withdrawn' and 'refused' both mean no consent: models.RESTRICTIVE)."""
    result = {pid: dict.fromkeys(PURPOSES, "none") for pid in profile_ids}
    if not profile_ids:
        return result
    rows = db.session.execute(
        select(ConsentRecord.profile_id, ConsentRecord.purpose, ConsentRecord.status)
        .where(ConsentRecord.profile_id.in_(profile_ids))
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    )
    for pid, purpose, status in rows:
        result[pid][purpose] = status
    return result


def living_profiles(profiles: list[Profile]) -> dict[int, int]:
    """{profile id: the live profile it is merged into, or itself} for each profile."""
    found = {p.id: p.merged_into_id or p.id for p in profiles}
    hops = {p.id: p.merged_into_id for p in profiles if p.merged_into_id}
    while hops:
        above = dict(
            db.session.execute(
                select(Profile.id, Profile.merged_into_id).where(
                    Profile.id.in_(set(hops.values())), Profile.merged_into_id.is_not(None)
                )
            ).all()
        )
        hops = {pid: above[into] for pid, into in hops.items() if into in above}
        found.update(hops)
    return found


def consents_of(profiles: list[Profile]) -> dict[int, dict[str, str]]:
    """current_consents of each profile; a profile merged into another reads the state of
    the live profile its consents moved to (the person's, not "not asked")."""
    living = living_profiles(profiles)
    consents = current_consents(sorted(set(living.values())))
    return {pid: consents[root] for pid, root in living.items()}


def stage_history(profile_id: int) -> list[tuple[StageChange, User | None]]:
    """A profile's stage changes, newest first, each with the user who made it (None when
    an import, a merge or another rule made it, or the user no longer exists), in one
    query."""
    rows = db.session.execute(
        select(StageChange, User)
        .outerjoin(User, User.id == StageChange.actor_user_id)
        .where(StageChange.profile_id == profile_id)
        .order_by(StageChange.id.desc())
    )
    return [(change, user) for change, user in rows]


def stage_origins(profile_id: int) -> dict[int, int]:
    """{stage change id: the profile it was recorded on} for the changes of profile_id's
    history that came with a merge (not undone): its history shows them beside its own."""
    merges = db.session.execute(
        select(Merge.merged_id, Merge.moved).where(
            Merge.survivor_id == profile_id, Merge.undone_at.is_(None)
        )
    )
    return {
        change_id: merged_id
        for merged_id, moved in merges
        for change_id in (moved or {}).get("stage_changes") or []
    }


def consent_history(profile_id: int, limit: int = 100) -> list[tuple[ConsentRecord, str | None]]:
    """A profile's consent records, newest first, each with its source's name (None for
    one made by a person or a merge), at most limit."""
    rows = db.session.execute(
        select(ConsentRecord, Source.name)
        .outerjoin(Source, Source.id == ConsentRecord.source_id)
        .where(ConsentRecord.profile_id == profile_id)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        .limit(limit)
    )
    return [(record, name) for record, name in rows]


def export_row(profile: Profile, consents: dict[str, str]) -> dict:
    """One profile in the export shape of DESIGN.md."""
    row = {"id": profile.id}
    for name in PROFILE_FIELDS:
        row[name] = _jsonable(getattr(profile, name))
    row.update(
        email=profile.primary_email,
        phone=profile.primary_phone,
        emails=[e.email for e in profile.emails],
        phones=[p.phone for p in profile.phones],
        tags=[t.name for t in profile.tags],
        stage=profile.stage,
        score=profile.score,
        owner=profile.owner.email if profile.owner else None,
        consents=consents,
        source_records=[
            {"source": r.source.name, "external_id": r.external_id} for r in profile.source_records
        ],
        created_at=profile.created_at.isoformat(),
        updated_at=profile.updated_at.isoformat(),
    )
    return row


def export_profiles(batch_size: int = 500) -> Iterator[dict]:
    """Every profile in export shape, streamed in id order, a batch at a time."""
    last_id = 0
    while True:
        batch = list(
            db.session.scalars(
                select(Profile)
                .where(Profile.id > last_id, Profile.merged_into_id.is_(None))
                .order_by(Profile.id)
                .limit(batch_size)
                .options(
                    selectinload(Profile.emails),
                    selectinload(Profile.phones),
                    selectinload(Profile.tags),
                    selectinload(Profile.source_records),
                )
            )
        )
        if not batch:
            return
        consents = current_consents([p.id for p in batch])
        for profile in batch:
            yield export_row(profile, consents[profile.id])
        last_id = batch[-1].id
        db.session.expunge_all()


def profile_documents(rows: list[Profile]) -> list[dict]:
    """The profiles as plain data for the API: fields, identifiers, consents, sources, and
    where each value comes from (provenance.profile_provenance).

    Loads the source records, stage histories and current consents of all rows in a few
    queries; a profile merged into another shows the consents of the live profile it is
    part of.
    """
    ids = [p.id for p in rows]
    if ids:
        db.session.scalars(
            select(Profile)
            .where(Profile.id.in_(ids))
            .options(
                selectinload(Profile.source_records).joinedload(SourceRecord.source),
                selectinload(Profile.emails),
                selectinload(Profile.phones),
                selectinload(Profile.tags),
                selectinload(Profile.stage_changes),
            )
        ).all()
    consents = consents_of(rows)
    return [_document(profile, consents[profile.id]) for profile in rows]


def _document(profile: Profile, consents: dict[str, str]) -> dict:
    """One profile as plain data (dates stay date objects; the schema formats them)."""
    from crm.services import provenance  # it reads this module's names

    document = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    document.update(
        id=profile.id,
        email=profile.primary_email,
        phone=profile.primary_phone,
        emails=[e.email for e in profile.emails],
        phones=[p.phone for p in profile.phones],
        tags=[t.name for t in profile.tags],
        stage=profile.stage,
        score=profile.score,
        owner=profile.owner.email if profile.owner else None,
        consents=consents,
        provenance=provenance.profile_provenance(profile),
        source_records=[
            {"source": r.source.name, "external_id": r.external_id} for r in profile.source_records
        ],
        merged_into=profile.merged_into_id,
        version=profile.version,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
    return document
