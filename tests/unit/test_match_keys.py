"""Every live profile carries blocking keys that follow its values."""

from sqlalchemy import delete, func, select

from crm.extensions import db
from crm.models import MatchKey, Profile
from crm.services import demo, match_keys, profiles
from tests import factories


def _keys(profile_id: int) -> set[str]:
    return set(db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == profile_id)))


def test_manual_profiles_get_keys_that_follow_edits(app):
    profile = factories.make_profile(first_name="Giuseppe", last_name="Verdi", postcode="20121")
    before = _keys(profile.id)
    assert before
    profiles.update_profile(
        profile.id, {"last_name": "Bianchi"}, expected_version=None, actor="test"
    )
    after = _keys(profile.id)
    assert after and after != before


def test_demo_profiles_have_keys(app):
    demo.load_demo(people=40)
    live = db.session.scalar(
        select(func.count()).select_from(Profile).where(Profile.merged_into_id.is_(None))
    )
    keyed = db.session.scalar(select(func.count(func.distinct(MatchKey.profile_id))))
    assert keyed >= live * 0.9  # a profile with no name has no key


def test_rebuild_command_restores_missing_keys(app, runner):
    profile = factories.make_profile(first_name="Anna", last_name="Neri", postcode="00184")
    expected = _keys(profile.id)
    db.session.execute(delete(MatchKey))
    db.session.commit()
    result = runner.invoke(args=["profiles", "rebuild-keys"])
    assert result.exit_code == 0, result.output
    assert _keys(profile.id) == expected
    assert match_keys.rebuild_all() == 0
