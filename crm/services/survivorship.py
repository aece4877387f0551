"""Survivorship: choosing a profile's displayed values from its source records.

Rules (DESIGN.md): a manual edit wins, then the source with the higher trust rank, then
the most recently updated record; among records of one rank, a newer one that writes the
same value worse (a nickname, part of the surname or a particle, an abbreviated street, a
ZIP code without its +4, a company without its legal form, the names swapped, in any
language, unless the given-name lists know its order to be right) does not replace it;
between a name and a slip of it ("Rinald" or "Damicco" for "Rinaldi" or "D'Amico") the
records decide: the writing more of them state, then the richer, then the longer, then
the one stated first; and the same value spelt another way keeps its richest spelling
(accents, umlauts for a list's "ue"). Every chosen value records where it came from.
Emails, phones and tags are never chosen between: the profile keeps all that its records
state (and those typed by hand). An email or phone that its record replaced by another (a
record updated, a number read again in the right country) goes when no other record
states it, rather than name a source that no longer gives it; an emptied cell says
nothing and takes nothing away.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache, partial

from sqlalchemy import select

from crm.extensions import db
from crm.models import (
    PROFILE_FIELDS,
    STAGES,
    Profile,
    ProfileEmail,
    ProfilePhone,
    SourceRecord,
    StageChange,
    Tag,
)
from crm.models.base import utcnow
from crm.services import match_keys, matching
from crm.services.given_names import GIVEN_NAMES
from crm.services.nicknames import NAME_GROUPS
from crm.services.normalise import city_key, clean_text, fold, spelt_out
from crm.services.profiles import (
    MANUAL_SOURCE,
    removed_identifiers,
    removed_tags,
    search_columns,
)

STAGE_REASON = "most advanced stage among source records"


# Pure functions of a name or an address that each profile's records ask again and again
# (a batch's worth of writings).
_STRINGS = 1 << 12


def record_rank(record: SourceRecord) -> tuple:
    """Sort key of a record for survivorship: trust rank, then recency, then id."""
    stamp = record.updated_at or record.received_at or utcnow()
    return (record.source.trust_rank, stamp, record.id or 0)


def _field_value(name: str, value):
    """A stored (JSON) field value as the profile column wants it."""
    if name == "birth_date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return value


def record_emails(record: SourceRecord) -> list[str]:
    """Every normalised email a record carries, its primary one first."""
    emails = list((record.fields or {}).get("emails") or [])
    if record.email and record.email not in emails:
        emails.insert(0, record.email)
    return emails


def record_phones(record: SourceRecord) -> list[str]:
    """Every E.164 phone a record carries, its primary one first."""
    phones = list((record.fields or {}).get("phones") or [])
    if record.phone and record.phone not in phones:
        phones.insert(0, record.phone)
    return phones


# (model, column, values, profile) -> the values another profile holds
TakenLookup = Callable[[type, object, list[str], Profile], set[str]]
# tag names -> Tag rows (created as needed)
TagLookup = Callable[[set[str]], list[Tag]]


def taken_in_database(model, column, values: list[str], profile: Profile) -> set[str]:
    """Which of values another profile already holds (unique across profiles)."""
    if not values:
        return set()
    query = select(column).where(column.in_(values))
    if profile.id is not None:
        query = query.where(model.profile_id != profile.id)
    return set(db.session.scalars(query))


def tag_rows(names: set[str]) -> list[Tag]:
    """Tag rows for names, created as needed."""
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    rows = []
    for name in sorted(names):
        tag = existing.get(name)
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        rows.append(tag)
    return rows


# -- the rules, on plain data -------------------------------------------------------------

# Text fields whose spelling may differ between sources that agree on the value.
SPELLED = frozenset(
    {"first_name", "last_name", "company", "job_title", "address", "address_line_2", "city"}
)


# The fields of one postal address: taken together from one record (see _address_source).
ADDRESS = ("address", "address_line_2", "postcode", "city", "state")
NAMES = ("first_name", "last_name")
_PLACED_BY = ("address", "postcode", "city")


def _address_anchor(offered: list):
    """The best-ranked record that gives an address (a street, a postcode or a city)."""
    for record, values in offered:
        if any(values.get(n) not in (None, "") for n in _PLACED_BY):
            return record
    return None


def _address_source(name: str, offered: list, anchor):
    """The record an address field comes from: the anchor (the best record with an
    address), or, for a part the anchor lacks, the best record that puts the person in
    the same place (same postcode, or same city), never a part of another address: a
    Redmond street must not get a Seattle postcode."""
    values = anchor.fields or {}
    if values.get(name) not in (None, ""):
        return anchor
    postcode, city = values.get("postcode"), fold(values.get("city"))
    for record, other in offered:
        if record is anchor or other.get(name) in (None, ""):
            continue
        same_postcode = postcode and other.get("postcode") == postcode
        same_city = city and fold(other.get("city")) == city
        if same_postcode or same_city:
            return record
    return None


@lru_cache(maxsize=_STRINGS)
def _spelling_rank(text: str) -> tuple[int, int, int, int]:
    """How much a spelling says: accented letters, then apostrophes and hyphens, then
    mixed case, then the spaces between words ('Nicolò D'Amico' over 'NICOLO DAMICO' over
    'nicolo damico'; 'Maria Grazia' over 'Mariagrazia')."""
    accents = sum(1 for ch in text if ord(ch) > 127 and ch.isalpha())
    marks = sum(1 for ch in text if ch in "'’-")
    mixed = int(text != text.upper() and text != text.lower())
    return accents, marks, mixed, len(text.split())


def _best_spelled(best, name: str, offered: list):
    """The record, among those whose value for name is the best record's value spelt
    another way (the same once case, accents and punctuation go, or with ä, ö, ü written
    ae, oe, ue: "Mueller" for "Müller"), with the richest spelling: an export that dropped
    the accents must not take them off the profile. A writing in another script (Иванов
    for Ivanov) is no spelling of it: the best record's stands, so that a profile's first
    and last name, which come from one record, are written in one script."""
    wanted = _spellings(str(best.fields[name]))
    scripts = _scripts(str(best.fields[name]))
    choice, rank = best, _spelling_rank(str(best.fields[name]))
    for record, values in offered:
        value = values.get(name)
        if record is best or not isinstance(value, str) or not value:
            continue
        if _scripts(value) != scripts:
            continue
        if _spellings(value) & wanted and _spelling_rank(value) > rank:
            choice, rank = record, _spelling_rank(value)
    return choice


@lru_cache(maxsize=_STRINGS)
def _scripts(text: str) -> frozenset[str]:
    """The scripts of text's letters, as Unicode names them ('LATIN', 'CYRILLIC', 'CJK')."""
    return frozenset(unicodedata.name(ch, "?").split()[0] for ch in text if ch.isalpha())


@lru_cache(maxsize=_STRINGS)
def _spellings(value: str) -> frozenset[str]:
    """What two writings of one value have in common: the value folded and joined, as
    written and with its umlauts written out ('Müller' -> {'muller', 'mueller'})."""
    return frozenset({_joined(value), _joined(spelt_out(value))})


# -- one value and a slip of it, among records of one trust rank --------------------------
# A newer record of the same rank that writes the profile's name with a letter dropped,
# doubled, replaced or two swapped ("Rinald", "Damicco" for "Rinaldi", "D'Amico") states
# no new name, only a worse writing of it; a later export's "Rossi" for "Rosi" may as well
# be the correction. Between such writings the records decide, not the newest alone.

# What matching reads as one name written with a slip (its "typo" level), by field.
_SLIP_LEVEL = {"first_name": matching.first_level, "last_name": matching.last_level}


def _slip_settled(best, name: str, offered: list):
    """best, or the record whose writing of name wins over best's when the two are one
    name but for a slip (what matching reads as a typo of it): the writing more records
    of best's trust rank state (spelt any way, _spellings), then, for a first name, the
    one the name lists know, then the richer spelling (_spelling_rank), then the longer,
    then the one stated first. A value more than a
    slip away (a surname after marriage) is another value: best's stands."""
    value = best.fields[name]
    if not isinstance(value, str) or not value:
        return best
    rank, scripts = best.source.trust_rank, _scripts(value)
    # Writings as [spellings, records newest first, values], in order of their newest record.
    writings: list[tuple[set[str], list, list[str]]] = []
    for record, values in offered:
        other = values.get(name)
        if record.source.trust_rank != rank or not isinstance(other, str) or not other:
            continue
        if _scripts(other) != scripts:
            continue  # another script is no writing of it (see _best_spelled)
        spellings = _spellings(other)
        found = next((w for w in writings if w[0] & spellings), None)
        if found is None:
            writings.append((set(spellings), [record], [other]))
        else:
            found[0].update(spellings)
            found[1].append(record)
            found[2].append(other)
    if len(writings) < 2:
        return best
    own = next(w for w in writings if any(r is best for r in w[1]))
    level = _SLIP_LEVEL[name]
    rivals = [w for w in writings if w is own or level(value, w[2][0]) == "typo"]
    order = {id(record): n for n, (record, _) in enumerate(offered)}

    def weight(writing) -> tuple:
        _, records, values = writing
        return (
            len(records),
            # A first name the lists know over a writing of it they do not ("Coby" over
            # "Cobuy", whichever is longer): the slip is the unknown one.
            name == "first_name" and any(_given(v) for v in values),
            max(_spelling_rank(v) for v in values),
            max(len(_joined(v)) for v in values),
            max(order[id(r)] for r in records),  # stated first: the oldest record
        )

    return max(rivals, key=weight)[1][0]


# -- the same value written more fully, among records of one trust rank -------------------
# A newer record of the same rank chooses a new value (a surname after marriage, a street
# after a move), but not a shorter writing of the value the profile has: a fair's "Pino"
# for "Giuseppe", "Rossi" for "Di Giovanni Rossi", "V. Cavour, 12" for "Via Cavour 12",
# or its first and last name columns swapped.


def _full_forms() -> dict[str, frozenset[str]]:
    """Folded diminutive -> the folded full names it is a diminutive of ('pino' ->
    {'giuseppe'}; 'ale' -> {'alessandro', 'alessandra', ...})."""
    forms: dict[str, set[str]] = {}
    for variants, diminutives in NAME_GROUPS:
        for diminutive in diminutives:
            forms.setdefault(diminutive, set()).update(variants)
    return {name: frozenset(full) for name, full in forms.items()}


_FULL_FORMS = _full_forms()


@lru_cache(maxsize=_STRINGS)
def _joined(value: str) -> str:
    """Folded, spaces removed: 'Maria Grazia' and 'MARIAGRAZIA' -> 'mariagrazia'."""
    return "".join(fold(value).split())


def _fuller_name(name: str, short: str, long: str) -> bool:
    """long writes the same name as short more fully: a first name for its diminutive
    ('Giuseppe' for 'Pino') or its initial ('G.'), a surname that holds every word of the
    other ('Di Giovanni Rossi' for 'Rossi'), or the same words with a particle or a
    generation the other dropped ('von Müller' for 'Mueller', 'Johnson III' for
    'Johnson'). A first name is also written more fully with the given names after it
    ('Anna Maria' for 'Anna', 'John F.' for 'John')."""
    if name == "first_name":
        words = fold(short).split()
        if words and fold(long).split()[: len(words)] == words and _more_words(short, long):
            return True
        initial = _joined(short)
        if len(initial) == 1:  # "G." for "Giuseppe": an initial is the name cut short
            return len(_joined(long)) > 1 and _joined(long)[0] == initial
        return _joined(long) in _FULL_FORMS.get(initial, ())
    for short_as, long_as in ((short, long), (spelt_out(short), spelt_out(long))):
        words, longer = matching.surname_tokens(short_as), matching.surname_tokens(long_as)
        if words and (words < longer or (words == longer and _more_words(short_as, long_as))):
            return True
    return False


def _more_words(short: str, long: str) -> bool:
    """long has more folded words than short."""
    return len(fold(long).split()) > len(fold(short).split())


def _fuller_company(short: str, long: str) -> bool:
    """long names the same company as short with its legal form ('Müller Logistik GmbH'
    for 'Müller Logistik' or 'Mueller Logistik'); another name is another employer."""
    for short_as, long_as in ((short, long), (spelt_out(short), spelt_out(long))):
        core = matching.company_core(short_as)
        if core and core == matching.company_core(long_as) and _more_words(short_as, long_as):
            return True
    return False


# The fields whose newer, shorter writing among records of one rank does not replace the
# fuller one (the address is chosen whole, see _fuller_address).
_FULLER = {
    "first_name": partial(_fuller_name, "first_name"),
    "last_name": partial(_fuller_name, "last_name"),
    "company": _fuller_company,
}


def _street_tail(street: str) -> list[str]:
    """The words from the house number on, street words written out ('Via Roma 12 int.
    4' -> ['12', 'int', '4']; '45 Elm St Apt 4' -> ['45', 'elm', 'street', 'apt', '4']):
    what matching.street_words reads loosely (an apartment, a staircase) must agree."""
    words = matching.street_tokens(street)
    first = next((i for i, w in enumerate(words) if any(ch.isdigit() for ch in w)), len(words))
    return list(words[first:])


def _fuller_street(short: str, long: str) -> bool:
    """long writes the same street and house number as short, with its abbreviations
    written out ('Via Cavour 12' for 'V. Cavour, 12', 'Corso Italia 44' for 'C.so Italia
    44')."""
    return (
        matching.street_words(short) == matching.street_words(long)
        and _street_tail(short) == _street_tail(long)
        and len(_joined(long)) > len(_joined(short))
    )


def _same_place(a: dict, b: dict) -> bool:
    """Two records' addresses do not disagree on the postcode (a ZIP code and its ZIP+4
    agree) or the city (also with its umlauts written out: "Muenchen")."""
    codes = sorted((str(a.get("postcode") or ""), str(b.get("postcode") or "")), key=len)
    if all(codes) and codes[0] != codes[1] and not _zip_extended(*codes):
        return False
    cities = (a.get("city"), b.get("city"))
    return not all(cities) or _same_city(str(cities[0]), str(cities[1]))


def _same_city(a: str, b: str) -> bool:
    """One city's names, as matching compares them, or with their umlauts written out."""
    return city_key(a) == city_key(b) or city_key(spelt_out(a)) == city_key(spelt_out(b))


def _zip_extended(short: str, long: str) -> bool:
    """long is short's ZIP+4 ('97477-1234' for '97477'): the same place, told more fully."""
    return len(long) == len(short) + 5 and long.startswith(short + "-") and long.isascii()


def _fuller_place(short: dict, long: dict) -> bool:
    """long's address writes short's more fully: its street and house number with the
    abbreviations written out (_fuller_street), or the same street with the postcode's
    ZIP+4 ('97477-1234' for a list's '97477')."""
    street, other = short.get("address"), long.get("address")
    if not isinstance(street, str) or not isinstance(other, str) or not other:
        return False
    if _fuller_street(street, other):
        return True
    same_street = matching.street_words(street) == matching.street_words(other) and (
        _street_tail(street) == _street_tail(other)
    )
    codes = (str(short.get("postcode") or ""), str(long.get("postcode") or ""))
    return same_street and all(codes) and _zip_extended(*codes)


def _fuller_written(best, name: str, offered: list, fuller: Callable[..., bool]):
    """best, or the most recent record of best's trust rank whose value for name writes
    best's more fully (fuller(short, long)), and so on while one does."""
    if not isinstance(best.fields[name], str):
        return best
    rank = best.source.trust_rank
    seen = {id(best)}
    progress = True
    while progress:
        progress = False
        value = best.fields[name]
        for record, values in offered:
            other = values.get(name)
            if id(record) in seen or record.source.trust_rank != rank:
                continue
            if isinstance(other, str) and other and fuller(value, other):
                best, progress = record, True
                seen.add(id(record))
                break
    return best


def _fuller_address(anchor, offered: list):
    """The record to take the whole address from: the anchor, or the most recent record
    of its rank that writes the anchor's address more fully (_fuller_place), in the same
    place, and so on while one does. Its postcode, city and the rest come with it, so the
    address stays one record's."""
    if not isinstance((anchor.fields or {}).get("address"), str) or not anchor.fields["address"]:
        return anchor
    rank, best = anchor.source.trust_rank, anchor
    seen = {id(anchor)}
    progress = True
    while progress:
        progress = False
        for record, values in offered:
            if id(record) in seen or record.source.trust_rank != rank:
                continue
            if _same_place(best.fields, values) and _fuller_place(best.fields, values):
                best, progress = record, True
                seen.add(id(record))
                break
    return best


def _given(name: str) -> bool:
    """A first name the lists know (every word of it, or the words joined)."""
    words = fold(name).split()
    return bool(words) and (_joined(name) in GIVEN_NAMES or all(w in GIVEN_NAMES for w in words))


def _unswapped(offered: list, typed: dict, shown: tuple):
    """The record to take both names from when the best record for them wrote them
    swapped ('Rinaldi' 'Fabio', 'Kim' 'Min-jun'): an older record of its rank with the
    same two names the other way round, whose order the given-name lists know to be right
    (its first name a given name they know, its last name not), or, when the lists know
    neither name (most names of most languages: 'Min-jun', 'Xiaoming', 'Tanaka'), whose
    order the profile shows now (shown: its first and last name), or, on a profile that
    shows no names yet, the older record's: a column swap in a newer file is no reason to
    turn a person's names round. None when there is no such record, when the lists know
    the best record's first name (its order is right: 'Marco' 'Rossi' after 'Rossi'
    'Marco'), or when a name typed by hand (typed: field -> value) follows the swapped
    record's order."""
    named = {}
    for name in NAMES:
        named[name] = next((r for r, v in offered if v.get(name) not in (None, "")), None)
    best = named["first_name"]
    if best is None or best is not named["last_name"]:
        return None
    first, last = best.fields["first_name"], best.fields["last_name"]
    if not isinstance(first, str) or not isinstance(last, str) or _given(first):
        return None  # the lists say its order is right
    if any(_joined(str(value or "")) == _joined(best.fields[n]) for n, value in typed.items()):
        return None  # a person chose this order
    # Nothing shown yet (a new profile): the order the person's records stated first stays.
    shown_now = tuple(_joined(str(value or "")) for value in shown) if any(shown) else None
    for record, values in offered:
        if record is best or record.source.trust_rank != best.source.trust_rank:
            continue
        other_first, other_last = values.get("first_name"), values.get("last_name")
        if not isinstance(other_first, str) or not isinstance(other_last, str):
            continue
        if (_joined(other_first), _joined(other_last)) != (_joined(last), _joined(first)):
            continue  # not the same two names swapped
        if _given(other_first) and not _given(other_last):
            return record  # the lists know this order
        if _given(other_last):
            continue
        if shown_now is None or (_joined(other_first), _joined(other_last)) == shown_now:
            return record  # the lists know neither name: the order the profile shows stays
    return None


@dataclass
class ProfileState:
    """A profile as survivorship reads it: plain values, no ORM.

    columns holds every profile field, provenance and stage; emails and phones are the
    stored (value, primary, source record id) rows in the profile's display order
    (primary first, then by id); has_history says whether the profile has any stage
    history yet; held_back_from the stage a person last moved it back from, if their
    last move was backwards (held_back_from(), from its history).
    """

    columns: dict
    emails: list[tuple[str, bool, int | None]] = field(default_factory=list)
    phones: list[tuple[str, bool, int | None]] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)
    has_history: bool = False
    version: int | None = None  # the stored row's version, for an optimistic UPDATE
    held_back_from: str | None = None


def held_back_from(changes: list) -> str | None:
    """The stage a person moved a profile back from, when their latest stage move (of
    changes: at, id, from_stage, to_stage, actor_user_id, actor_label) went backwards;
    else None.

    Records then move the profile forward again only past that stage: a rep who moves a
    churned customer back to lead is not overruled by the shop record that still says
    customer, but a record saying customer moves a lead the rep held back at MQL.
    """
    # A merge's move is the merge's rule (the more advanced of two stages), not a person
    # judging this profile's stage, even when a person made the merge.
    by_people = [
        c
        for c in changes
        if c.actor_user_id is not None and not (c.actor_label or "").startswith("merge:")
    ]
    if not by_people:
        return None
    # A change not yet flushed has no time or id yet: it is the newest.
    last = max(by_people, key=lambda c: (c.at or utcnow(), c.id or 2**62))
    if last.from_stage in STAGES and last.to_stage in STAGES:
        if STAGES.index(last.to_stage) < STAGES.index(last.from_stage):
            return last.from_stage
    return None


@dataclass
class ProfileUpdate:
    """What survivorship changes on a profile, as plain data.

    columns are the profile columns to write (fields, provenance, stage, search columns,
    updated_at; empty when nothing changes); emails and phones the (value, source record
    id, primary) rows to add; primary, by kind ("emails"/"phones"), the stored value that
    must become primary; dropped, by kind, the stored values no record states any more;
    repointed, by kind, (value, record id) for stored values whose record no longer
    states them while another record does; tags the names to link; stage_change the
    history entry to append (or None); changed what changed, by name, as recompute()
    reports it.
    """

    columns: dict
    emails: list[tuple[str, int | None, bool]]
    phones: list[tuple[str, int | None, bool]]
    primary: dict[str, str]
    tags: list[str]
    stage_change: dict | None
    changed: list[str]
    dropped: dict[str, list[str]] = field(default_factory=dict)
    repointed: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


# (kind "emails" | "phones", values) -> the values another profile holds
HeldLookup = Callable[[str, list[str]], set[str]]


def survive(state: ProfileState, records: list, held: HeldLookup) -> ProfileUpdate:
    """Apply the survivorship rules to a profile and its source records (all of them).

    records need id, fields, email, phone, updated_at, received_at and source (trust_rank,
    name), like SourceRecord. A pure function but for held (who holds which identifier).
    """
    ranked = sorted(records, key=record_rank, reverse=True)
    current = state.columns
    columns, changed = {}, []
    old_provenance = current.get("provenance") or {}
    provenance = dict(old_provenance)
    offered = [(r, r.fields or {}) for r in ranked]
    fields_of = {id(r): values for r, values in offered}
    origin_of: dict[int, dict] = {}  # a record's provenance entry, once per record
    anchor = _address_anchor(offered)
    unswapped = None
    if len(offered) > 1:
        if anchor is not None:
            anchor = _fuller_address(anchor, offered)
        typed = {n: current.get(n) for n in NAMES if "manual" in (provenance.get(n) or {})}
        shown = (current.get("first_name"), current.get("last_name"))
        unswapped = _unswapped(offered, typed, shown)
    for name in PROFILE_FIELDS:
        if "manual" in (provenance.get(name) or {}):
            continue
        best = None
        if anchor is not None and name in ADDRESS:
            best = _address_source(name, offered, anchor)
        elif unswapped is not None and name in NAMES:
            best = unswapped
        else:
            for record, values in offered:
                if values.get(name) not in (None, ""):
                    best = record
                    break
        if best is not None and name in _SLIP_LEVEL and len(offered) > 1:
            best = _slip_settled(best, name, offered)
        if best is not None and name in _FULLER and len(offered) > 1:
            best = _fuller_written(best, name, offered, _FULLER[name])
        if best is not None and name in SPELLED and len(offered) > 1:
            best = _best_spelled(best, name, offered)
        if best is not None:
            value = _field_value(name, fields_of[id(best)][name])
            if id(best) not in origin_of:
                origin_of[id(best)] = {"source_record_id": best.id, "source": best.source.name}
            provenance[name] = dict(origin_of[id(best)])
        elif name in provenance:
            value = None  # only clear what records put there; a value of unknown origin stays
            provenance.pop(name)
        else:
            continue
        if current.get(name) != value:
            columns[name] = value
            changed.append(name)
    if provenance != old_provenance:
        columns["provenance"] = provenance

    by_id = sorted(ranked, key=lambda r: r.id or 0)
    on_profile = {r.id: r for r in records if r.id is not None}
    found: dict[str, list] = {}
    primary: dict[str, str] = {}
    dropped: dict[str, list[str]] = {}
    repointed: dict[str, list[tuple[str, int]]] = {}
    for kind, values_of, have in (
        ("emails", record_emails, state.emails),
        ("phones", record_phones, state.phones),
    ):
        stated: dict[str, int | None] = {}  # value -> the oldest record stating it
        for record in by_id:
            for value in values_of(record):
                stated.setdefault(value, record.id)
        remaining = []
        for value, is_primary, record_id in have:
            origin = on_profile.get(record_id) if record_id is not None else None
            now_says = values_of(origin) if origin is not None else []
            if origin is None or origin.source.name == MANUAL_SOURCE or value in now_says:
                remaining.append((value, is_primary))  # typed by hand, or still stated
            elif value in stated:
                repointed.setdefault(kind, []).append((value, stated[value]))
                remaining.append((value, is_primary))
            elif not now_says:
                # An empty cell says nothing (a file that updates only some columns): the
                # identifier stays with the record that gave it.
                remaining.append((value, is_primary))
            else:
                # Its record states it no more (read again, e.g. in the right phone
                # country) and no other record does: shown, it would claim a source.
                dropped.setdefault(kind, []).append(value)
        stored = {value for value, *_ in have} | removed_identifiers(old_provenance, kind)
        wanted = {v: rid for v, rid in stated.items() if v not in stored}
        taken = held(kind, list(wanted)) if wanted else set()
        kept = [(v, rid) for v, rid in wanted.items() if v not in taken]
        shown = next((v for v, is_primary in remaining if is_primary), None)
        wanted = _primary_of(kind, ranked, values_of, remaining, kept, old_provenance, shown)
        if kept or kind in dropped or wanted != shown:
            changed.append(kind)
        if remaining and wanted != shown:
            primary[kind] = wanted
        found[kind] = [(v, rid, v == wanted) for v, rid in kept]

    names = set()
    for record in ranked:
        for tag in (record.fields or {}).get("tags") or []:
            text = clean_text(tag)
            if text:
                names.add(text[:80])
    tags = sorted(names - state.tags - removed_tags(old_provenance))
    if tags:
        changed.append("tags")

    staged = [r for r in ranked if (r.fields or {}).get("stage") in STAGES]
    best = max(staged, key=lambda r: STAGES.index(r.fields["stage"]), default=None)
    target = best.fields["stage"] if best else "lead"
    origin = best or (ranked[0] if ranked else None)
    stage = current.get("stage")
    stage_change = None
    held = state.held_back_from
    if held is not None and STAGES.index(target) <= STAGES.index(held):
        target = stage if stage in STAGES else target  # what a person chose stands
    if not (state.has_history and stage in STAGES and STAGES.index(target) <= STAGES.index(stage)):
        stage_change = {
            "from_stage": stage if state.has_history else None,
            "to_stage": target,
            "actor_label": f"import:{origin.source.name}" if origin else "import",
            "reason": STAGE_REASON,
        }
        columns["stage"] = target
        changed.append("stage")

    if changed:
        final = {**current, **columns}
        columns.update(search_columns(final["first_name"], final["last_name"], final["company"]))
        columns["updated_at"] = utcnow()
    return ProfileUpdate(
        columns,
        found["emails"],
        found["phones"],
        primary,
        tags,
        stage_change,
        changed,
        dropped,
        repointed,
    )


def _primary_of(kind, ranked, values_of, remaining, kept, provenance, shown) -> str | None:
    """Which of a profile's emails or phones (kind) is its primary one: the one a person
    put first, when a person edited the list; else the first one stated by the record
    that survivorship ranks highest (trust, then recency), as for every profile field: a
    corrected list, imported again, makes its new phone the one shown. remaining are
    the stored (value, primary) pairs that stay, kept the (value, record id) ones to add."""
    present = [v for v, _ in remaining] + [v for v, _ in kept]
    if not present:
        return None
    origin = provenance.get(kind)
    if shown is not None and isinstance(origin, dict) and "manual" in origin:
        return shown
    values = set(present)
    for record in ranked:
        for value in values_of(record):
            if value in values:
                return value
    return shown or present[0]


# -- the rules on an ORM profile -----------------------------------------------------------


def state_of(profile: Profile) -> ProfileState:
    """A loaded profile as survivorship reads it."""
    columns = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    columns["provenance"] = profile.provenance or {}
    columns["stage"] = profile.stage
    return ProfileState(
        columns,
        [(e.email, bool(e.is_primary), e.source_record_id) for e in profile.emails],
        [(p.phone, bool(p.is_primary), p.source_record_id) for p in profile.phones],
        {t.name for t in profile.tags},
        bool(profile.stage_changes),
        held_back_from=held_back_from(list(profile.stage_changes)),
    )


def recompute(
    profile: Profile,
    *,
    taken: TakenLookup = taken_in_database,
    tags: TagLookup = tag_rows,
    refresh_keys: bool = True,
) -> list[str]:
    """Recompute a profile's values, identifiers, tags and stage from its source records.

    Emails and phones that another profile holds are left with it (callers that match
    records report those conflicts). The profile's match keys follow its values unless
    refresh_keys is False (a caller refreshing many profiles at once). taken and tags
    let a caller that already knows who holds which identifier, and which tags exist,
    answer without a query. Returns the names of what changed; the caller commits.
    """
    if any(r.id is None for r in profile.source_records):
        db.session.flush()  # provenance names records by id
    models = {
        "emails": (ProfileEmail, ProfileEmail.email),
        "phones": (ProfilePhone, ProfilePhone.phone),
    }

    def held(kind: str, values: list[str]) -> set[str]:
        model, column = models[kind]
        return taken(model, column, values, profile)

    update = survive(state_of(profile), list(profile.source_records), held)
    for name, value in update.columns.items():
        setattr(profile, name, value)
    for kind, rows in (("emails", update.emails), ("phones", update.phones)):
        model, column = models[kind]
        collection = getattr(profile, kind)
        gone = set(update.dropped.get(kind, ()))
        for row in [r for r in collection if getattr(r, column.key) in gone]:
            collection.remove(row)
        moved = dict(update.repointed.get(kind, ()))
        for row in collection:
            value = getattr(row, column.key)
            if value in moved:
                row.source_record_id = moved[value]
            if kind in update.primary:
                row.is_primary = update.primary[kind] == value
        for value, record_id, primary in rows:
            collection.append(
                model(**{column.key: value}, source_record_id=record_id, is_primary=primary)
            )
    if update.tags:
        profile.tags.extend(tags(set(update.tags)))
    if update.stage_change is not None:
        profile.stage_changes.append(StageChange(**update.stage_change))
    if refresh_keys:
        match_keys.refresh(profile)
    return update.changed


# -- a profile created by an import, computed without the ORM ---------------------------


@dataclass
class NewProfile:
    """What recompute() would give a brand-new profile of these records, as plain data.

    columns are the profile row's values (every profile field, provenance, stage, search
    columns); emails and phones are (value, source record id, primary) in the order
    recompute() would add them; tags the tag names; stage_change the first stage history
    entry. The import stores it with bulk inserts.
    """

    columns: dict
    emails: list[tuple[str, int | None, bool]]
    phones: list[tuple[str, int | None, bool]]
    tags: list[str]
    stage_change: dict


def new_profile(records: list, held: HeldLookup) -> NewProfile:
    """recompute() for a profile with no values yet, whose records are these (with ids)."""
    empty = dict.fromkeys(PROFILE_FIELDS)
    update = survive(ProfileState({**empty, "provenance": {}, "stage": None}), records, held)
    columns = {**empty, "provenance": {}, **update.columns}
    columns["created_at"] = columns["updated_at"]
    stage_change = {**update.stage_change, "at": columns["updated_at"]}
    return NewProfile(columns, update.emails, update.phones, update.tags, stage_change)


@dataclass(frozen=True)
class Bounce:
    """Which source says mail to an address bounced, and since when (a date, ISO)."""

    source: str
    since: str


def bounced_emails(profile: Profile) -> dict[str, Bounce]:
    """{email: its Bounce} for each of the profile's emails whose latest record (by its
    own time) says it bounced: a later record that gives the address again without saying
    so (a new subscription) clears it. Since when: the file's time, else the record's."""
    latest: dict[str, tuple[tuple, SourceRecord]] = {}
    for record in profile.source_records:
        when = (record.updated_at or record.received_at or utcnow(), record.id or 0)
        for email in record_emails(record):
            if email not in latest or when >= latest[email][0]:
                latest[email] = (when, record)
    return {
        email: Bounce(record.source.name, (fields.get("bounced_at") or when[0].isoformat())[:10])
        for email, (when, record) in latest.items()
        if (fields := record.fields or {}).get("bounced")
    }


def held_elsewhere(profile: Profile) -> dict[str, list[tuple[str, int]]]:
    """{"emails": [(value, holder id)], "phones": [...]}: what the profile's source records
    carry that another live profile holds. An email or phone belongs to one profile only
    (it is how records find their person), so a household's shared landline shows on one
    profile and is named here on the others, with whose it is."""
    found: dict[str, list[tuple[str, int]]] = {"emails": [], "phones": []}
    for kind, model, column, values_of in (
        ("emails", ProfileEmail, ProfileEmail.email, record_emails),
        ("phones", ProfilePhone, ProfilePhone.phone, record_phones),
    ):
        own = {getattr(row, column.key) for row in getattr(profile, kind)}
        carried = [v for r in profile.source_records for v in values_of(r) if v not in own]
        if not carried:
            continue
        holders = dict(
            db.session.execute(
                select(column, model.profile_id)
                .join(Profile, Profile.id == model.profile_id)
                .where(column.in_(set(carried)), Profile.merged_into_id.is_(None))
            ).all()
        )
        found[kind] = [(v, holders[v]) for v in dict.fromkeys(carried) if v in holders]
    return found
