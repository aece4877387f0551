"""Match keys: the blocking keys of live profiles, kept in step with their values.

Fuzzy matching compares a new record only with the profiles that share a blocking key
with it (matching.blocking_keys), so every live profile's keys must follow its values;
a profile merged into another has none. The caller commits.
"""

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, insert, select

from crm.extensions import db
from crm.models import MatchKey, Profile, SystemState
from crm.services import matching, sqlin

# Blocks of more profiles than this are not read for a record that has smaller ones (see
# readable_keys): bounds the work per record as common surnames fill up.
BLOCK_CAP = 100
# Profile columns the scorer looks at (matching.Person's plain fields).
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "company",
    "address",
    "postcode",
    "city",
    "country",
    "tax_id",
)


def person_of(profile: Profile) -> matching.Person:
    """The scorer's view of a profile: its displayed values, emails and phones."""
    return matching.person_from_fields(
        {name: getattr(profile, name) for name in PERSON_FIELDS},
        emails=[e.email for e in profile.emails],
        phones=[p.phone for p in profile.phones],
    )


def keys_of(profile: Profile) -> set[str]:
    """The blocking keys a profile should have now (none once merged away)."""
    if profile.merged_into_id is not None:
        return set()
    return keys_of_person(person_of(profile))


def refresh(profile: Profile) -> bool:
    """Rewrite the match keys of one profile from its values; True if they changed."""
    return refresh_many([profile]) > 0


def refresh_many(profiles: Iterable[Profile], *, new: bool = False) -> int:
    """Rewrite the match keys of several profiles with one read; returns how many changed.

    new says the profiles were created in this transaction and hold no keys yet, so their
    stored keys need not be read.
    """
    wanted = {}
    for profile in profiles:
        if profile.id is None:
            db.session.flush()
        wanted[profile.id] = keys_of(profile)
    return len(write(wanted, new=new))


def write(wanted: dict[int, set[str]], *, new: bool = False) -> dict[int, set[str]]:
    """Make the stored keys of these profiles {id: keys}; returns {id: keys added} for
    every profile whose keys changed (an empty set when it only lost some)."""
    if not wanted:
        return {}
    stored: dict[int, set[str]] = {pid: set() for pid in wanted}
    if not new:
        for chunk in sqlin.slices(list(wanted)):
            rows = db.session.execute(
                select(MatchKey.profile_id, MatchKey.key).where(MatchKey.profile_id.in_(chunk))
            )
            for profile_id, key in rows:
                stored[profile_id].add(key)
    changed: dict[int, set[str]] = {}
    rows = []
    for profile_id, keys in wanted.items():
        have = stored[profile_id]
        if keys == have:
            continue
        changed[profile_id] = keys - have
        gone = have - keys
        if gone:
            db.session.execute(
                delete(MatchKey).where(
                    MatchKey.profile_id == profile_id, MatchKey.key.in_(sorted(gone))
                )
            )
        rows += [{"profile_id": profile_id, "key": k} for k in sorted(keys - have)]
    if rows:
        db.session.execute(insert(MatchKey), rows)
    return changed


def keys_of_person(person: matching.Person) -> set[str]:
    """The stored form of a person's blocking keys."""
    return {key[:80] for key in matching.blocking_keys(person)}


def block_sizes(keys: Iterable[str], cap: int = BLOCK_CAP) -> dict[str, int]:
    """{key: how many profiles hold it} for the keys held at all, each counted on the index
    up to cap + 1 only: a count of cap + 1 says "more than cap".

    Counting a common surname's whole block for every row that has it would make the work
    per row grow with the database; nobody needs more than whether a block is readable.
    """
    counted = sqlin.driver_rows(
        f"SELECT k.column1, (SELECT count(*) FROM (SELECT 1 FROM {MatchKey.__tablename__} m "
        f"WHERE m.key = k.column1 LIMIT {int(cap) + 1}) AS b) FROM (VALUES {{rows}}) AS k",
        sorted(set(keys)),
    )
    return {key: size for key, size in counted if size}


# Which block a record whose every block is too big reads (the first kind it has), since
# their sizes are not counted beyond the cap: the more fields a key combines, the fewer
# profiles it is likely to gather. Any other key comes last, by name.
FALLBACK_ORDER = ("tx:", "fb:", "pc:", "pf:", "nb:", "co:", "ci:", "nl:", "sw:", "n:")


def _fallback_rank(key: str) -> tuple[int, str]:
    """A key's place in FALLBACK_ORDER, then its name (a fixed order)."""
    kind = key[: key.index(":") + 1] if ":" in key else key
    rank = FALLBACK_ORDER.index(kind) if kind in FALLBACK_ORDER else len(FALLBACK_ORDER)
    return rank, key


def readable_keys(keys: Iterable[str], sizes: dict[str, int], cap: int) -> set[str]:
    """The keys of one record whose blocks are worth reading: those of at most cap profiles.

    A record's other keys are more specific (birth date, postcode, the whole first name),
    so a huge block such as a common surname with an initial adds only profiles that share
    little else with it. A record whose every block is huge reads the first cap + 1
    profiles of one of them (FALLBACK_ORDER; `candidates` reads no more). The narrowing
    keys (company, city) are read only for a record with a block too big to read: a common
    name among thousands of namesakes.
    """
    keys = sorted(keys)
    small = {k for k in keys if sizes.get(k, 0) <= cap}
    if len(small) == len(keys):
        return {k for k in small if not k.startswith(matching.NARROWING_KEYS)} or small
    if small:
        return small
    return {min(keys, key=_fallback_rank)}


def candidates(keys: Iterable[str], cap: int = BLOCK_CAP) -> dict[str, list[int]]:
    """{key: ids of the profiles holding it, ascending} for the keys held at all, at most
    cap + 1 ids a key (the oldest profiles of a bigger block), read in a few queries.

    Each key's block is read on its own, as far as its limit, and the blocks are put
    together with UNION ALL: a common name's block, read whole, would hold thousands of
    profiles. The rows are the driver's plain tuples.
    """
    term = (
        f"SELECT * FROM (SELECT key, profile_id FROM {MatchKey.__tablename__} "
        f"WHERE key = {{mark}} ORDER BY profile_id LIMIT {int(cap) + 1}) AS b"
    )
    found: dict[str, list[int]] = {}
    for key, pid in sqlin.driver_rows(term, sorted(set(keys)), union=True):
        found.setdefault(key, []).append(pid)
    return found


def most_shared(
    owners: dict[str, list[int]], keys: Iterable[str], pid: int, limit: int
) -> list[int]:
    """The profiles sharing most of keys with profile pid (itself left out), at most limit,
    from the blocks read (owners, see candidates). Keys and ids are walked in a fixed
    order, so ties break the same way every run."""
    shared: Counter = Counter()
    for key in sorted(keys):
        shared.update(other for other in owners.get(key, ()) if other != pid)
    return [other for other, _count in shared.most_common(limit)]


def alone_in_city(person: matching.Person, sizes: dict[str, int]) -> bool:
    """Whether a stored profile has its city block to itself but for one other profile at
    most (sizes from block_sizes, which count the profile too): see matching.compare."""
    place = matching.place_key(person)
    return place is not None and sizes.get(place, 0) <= 2


def rebuild_all(batch_size: int = 1000) -> int:
    """Recompute the keys of every live profile, a batch per transaction; returns changes.

    For databases filled before keys existed, and after bulk loads such as the demo. The
    search columns (of profiles, then of source records) are rewritten too where they
    differ: they are folded as the keys are (normalise.fold), so a new version of the keys
    may be a new folding (names in other scripts written in Latin), and a search must find
    old profiles as it finds new ones.
    """
    from sqlalchemy.orm import selectinload

    # profiles imports this module
    from crm.services.profiles import refold_records, search_columns

    changed, last_id = 0, 0
    while True:
        batch = list(
            db.session.scalars(
                select(Profile)
                .where(Profile.id > last_id, Profile.merged_into_id.is_(None))
                .order_by(Profile.id)
                .limit(batch_size)
                .options(selectinload(Profile.emails), selectinload(Profile.phones))
            )
        )
        if not batch:
            refold_records(db.session.connection())  # records' names, folded the same way
            db.session.commit()
            return changed
        last_id = batch[-1].id
        for profile in batch:
            found = search_columns(profile.first_name, profile.last_name, profile.company)
            for name, value in found.items():
                if getattr(profile, name) != value:
                    setattr(profile, name, value)
        changed += refresh_many(batch)
        # The session's identity map holds clean objects weakly: dropping the batch frees it.
        db.session.commit()


_VERSION = "match_keys_version"


def ensure_current() -> int | None:
    """Rebuild every profile's keys when they follow another version of the blocking keys
    (matching.KEYS_VERSION); returns how many profiles changed, None when already current.

    Run by `crm init` after the migrations: after an upgrade that changed the keys, old
    profiles get the new keys and so meet the rows imported from then on.
    """
    state = db.session.get(SystemState, _VERSION)
    if state is not None and state.value == str(matching.KEYS_VERSION):
        return None
    anyone = db.session.scalar(select(Profile.id).limit(1)) is not None
    changed = rebuild_all() if anyone else 0
    mark_current()
    return changed


def mark_current() -> None:
    """Record that the stored keys follow this version of the blocking keys; commits."""
    state = db.session.get(SystemState, _VERSION) or SystemState(name=_VERSION)
    state.value = str(matching.KEYS_VERSION)
    db.session.add(state)
    db.session.commit()
