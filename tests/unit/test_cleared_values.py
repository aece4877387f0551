"""Clearing a value typed by hand gives the field back to the sources."""

from crm.extensions import db
from crm.models import Profile
from crm.services import profiles
from tests.factories import import_records


def _profile(profile_id: int) -> Profile:
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def test_a_cleared_hand_value_shows_the_sources_again(app):
    [result] = import_records("crmx", {"id": "1", "first_name": "Ada", "last_name": "Neri",
                                       "email": "ada@example.it", "city": "Verona"})  # fmt: skip
    pid = result["profile_id"]
    profiles.update_profile(pid, {"city": "Vicenza"}, expected_version=None, actor="test")
    assert "manual" in _profile(pid).provenance["city"]

    profiles.update_profile(pid, {"city": None}, expected_version=None, actor="test")

    profile = _profile(pid)
    assert profile.city == "Verona"
    assert profile.provenance["city"]["source"] == "crmx"
    import_records("crmx", {"id": "1", "first_name": "Ada", "last_name": "Neri",
                            "email": "ada@example.it", "city": "Padova"})  # fmt: skip
    assert _profile(pid).city == "Padova"


def test_clearing_a_value_a_source_gave_keeps_it_cleared(app):
    [result] = import_records("crmx", {"id": "1", "first_name": "Ada", "last_name": "Neri",
                                       "email": "ada@example.it", "city": "Verona"})  # fmt: skip
    pid = result["profile_id"]

    profiles.update_profile(pid, {"city": None}, expected_version=None, actor="test")

    assert _profile(pid).city is None
    assert "manual" in _profile(pid).provenance["city"]


def test_a_cleared_value_of_a_profile_made_by_hand_stays_cleared(app):
    profile = profiles.create_profile({"first_name": "Ugo", "last_name": "Riva",
                                       "city": "Asti"}, actor="test")  # fmt: skip
    profiles.update_profile(profile.id, {"city": "Alba"}, expected_version=None, actor="test")

    profiles.update_profile(profile.id, {"city": None}, expected_version=None, actor="test")

    assert _profile(profile.id).city is None
