"""Long IN lists: read in slices, straight from the driver, with nothing lost at the seams."""

from sqlalchemy import select

from crm.extensions import db
from crm.models import MatchKey, Tag
from crm.services import match_keys, sqlin
from tests import factories


def test_slices_cover_every_value_once():
    values = list(range(2 * sqlin.SLICE + 7))
    parts = list(sqlin.slices(values))
    assert [len(p) for p in parts] == [sqlin.SLICE, sqlin.SLICE, 7]
    assert [v for p in parts for v in p] == values


def test_blocks_read_across_slices_keep_every_key_and_profile(app):
    a, b = factories.make_profile(), factories.make_profile()
    keys = [f"k:{n:05d}" for n in range(sqlin.SLICE + 300)]
    db.session.execute(
        MatchKey.__table__.insert(),
        [{"profile_id": pid, "key": k} for k in keys for pid in (a.id, b.id)],
    )
    db.session.flush()
    wanted = keys + [f"absent:{n}" for n in range(400)]
    found = match_keys.candidates(wanted)
    assert sorted(found) == keys
    assert all(ids == sorted([a.id, b.id]) for ids in found.values())
    assert match_keys.block_sizes(wanted) == dict.fromkeys(keys, 2)


def test_a_block_is_counted_and_read_only_as_far_as_the_cap(app):
    """A common name's block is neither counted nor read whole, so the work per row does
    not grow with the database: "more than the cap" is all the importer needs to know."""
    profiles = [factories.make_profile() for _ in range(7)]
    db.session.execute(
        MatchKey.__table__.insert(),
        [{"profile_id": p.id, "key": "zz:common"} for p in profiles]
        + [{"profile_id": p.id, "key": "zz:rare"} for p in profiles[:2]],
    )
    db.session.flush()
    keys = ["zz:common", "zz:rare", "absent"]
    assert match_keys.block_sizes(keys, cap=3) == {"zz:common": 4, "zz:rare": 2}
    assert match_keys.block_sizes(keys) == {"zz:common": 7, "zz:rare": 2}
    ids = sorted(p.id for p in profiles)
    assert match_keys.candidates(keys, cap=3) == {"zz:common": ids[:4], "zz:rare": ids[:2]}


def test_rows_inserted_at_once_get_their_own_ids_in_order(app):
    table = Tag.__table__
    first = sqlin.insert_with_ids(table, [{"name": f"tag-{n}"} for n in range(5)])
    assert len(set(first)) == 5 and first == sorted(first)
    stored = dict(db.session.execute(select(table.c.id, table.c.name)).all())
    assert [stored[i] for i in first] == [f"tag-{n}" for n in range(5)]
    # After the newest row is gone, the next rows still get ids no other row holds.
    db.session.execute(table.delete().where(table.c.id == first[-1]))
    more = sqlin.insert_with_ids(table, [{"name": "again-0"}, {"name": "again-1"}])
    stored = dict(db.session.execute(select(table.c.id, table.c.name)).all())
    assert [stored[i] for i in more] == ["again-0", "again-1"]
    assert len(stored) == 6 and sqlin.insert_with_ids(table, []) == []
