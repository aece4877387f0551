"""Long IN lists: read in slices, straight from the driver, with nothing lost at the seams."""

from crm.extensions import db
from crm.models import MatchKey
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
    assert all(ids == {a.id, b.id} for ids in found.values())
    assert match_keys.block_sizes(wanted) == dict.fromkeys(keys, 2)
