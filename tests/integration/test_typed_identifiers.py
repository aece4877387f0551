"""Emails and phones edited by hand: who typed them and when; those removed stay removed."""

from sqlalchemy import select

from crm.extensions import db
from crm.models import Profile, User
from crm.services import merging, profiles
from tests import factories


def _phones(profile_id: int) -> list[str]:
    db.session.expire_all()
    return [p.phone for p in db.session.get(Profile, profile_id).phones]


def _shop_record(**fields) -> int:
    record = {"external_id": "E-1", "first_name": "Dario", "last_name": "Neri", **fields}
    [result] = factories.import_records("events", record)
    return result["profile_id"]


def test_a_phone_removed_by_hand_is_not_put_back_by_its_record_sent_again(app):
    pid = _shop_record(phone="+39 335 1112233", email="dario@example.it")
    profiles.update_profile(pid, {"phones": ["333 999 8888"]}, expected_version=None, actor="x")
    db.session.commit()
    assert _phones(pid) == ["+393339998888"]
    # The events app sends the record again, only its company changed.
    _shop_record(phone="+39 335 1112233", email="dario@example.it", company="Neri Srl")
    assert _phones(pid) == ["+393339998888"]
    # Typed again by hand, it is back, and stays.
    profiles.update_profile(
        pid, {"phones": ["333 999 8888", "335 1112233"]}, expected_version=None, actor="x"
    )
    db.session.commit()
    _shop_record(phone="+39 335 1112233", email="dario@example.it", company="Neri Spa")
    assert _phones(pid) == ["+393339998888", "+393351112233"]


def test_an_identifier_typed_by_hand_says_who_typed_it_and_when(client, api_headers):
    headers = api_headers("sales")
    rep = db.session.scalars(select(User).order_by(User.id.desc())).first()
    pid = _shop_record(email="dario@example.it")
    reply = client.patch(
        f"/api/v1/profiles/{pid}", headers=headers, json={"phones": ["333 999 8888"]}
    )
    assert reply.status_code == 200, reply.get_json()
    [typed] = reply.get_json()["provenance"]["phones"]
    assert (typed["value"], typed["manual"]) == ("+393339998888", rep.id)
    assert typed["at"]


def test_the_profile_page_names_who_typed_a_phone(client, auth):
    user = auth.login_as("sales")
    pid = _shop_record(email="dario@example.it")
    profiles.update_profile(pid, {"phones": ["333 999 8888"]}, expected_version=None, actor=user)
    db.session.commit()
    page = client.get(f"/profiles/{pid}").get_data(as_text=True)
    phones = page.split('id="field-phones"')[1].split("</dd>")[0]
    assert "typed-by" in phones and (user.name or user.email) in phones


def test_a_phone_removed_from_a_profile_merged_away_stays_removed_on_the_survivor(app):
    kept = factories.make_profile(first_name="Dario", last_name="Neri")
    pid = _shop_record(phone="+39 335 1112233")
    profiles.update_profile(pid, {"phones": ["333 999 8888"]}, expected_version=None, actor="x")
    db.session.commit()
    merge = merging.merge_profiles(kept.id, pid, actor="test")
    db.session.commit()
    assert "+393351112233" not in _phones(kept.id)
    assert "+393339998888" in _phones(kept.id)
    # Undone, both come back as they were, the removal still the absorbed one's.
    merging.undo_merge(merge.id, actor="test")
    db.session.commit()
    assert (_phones(pid), _phones(kept.id)) == (["+393339998888"], [])
    assert profiles.removed_identifiers(db.session.get(Profile, pid).provenance, "phones") == {
        "+393351112233"
    }
    assert "phones" not in (db.session.get(Profile, kept.id).provenance or {})
