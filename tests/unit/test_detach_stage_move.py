"""A detach's stage move is the detach's doing, not a person's: the profile's remaining
records still move it on afterwards, while a stage a person set stays."""

from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditLog, Profile, SourceRecord
from crm.services import profiles, splitting
from tests import factories
from tests.factories import import_records


def _stored(profile_id: int) -> Profile:
    db.session.expire_all()
    return db.session.get(Profile, profile_id)


def _record_id(external_id: str) -> int:
    return db.session.scalar(select(SourceRecord.id).where(SourceRecord.external_id == external_id))


def _bruna(source: str, external_id: str, **fields) -> int:
    """The profile of one imported record of Bruna Lazzari (joined by her email)."""
    (result,) = import_records(source, {"external_id": external_id, "first_name": "Bruna",
                                        "last_name": "Lazzari", "email": "bruna@example.it",
                                        **fields})  # fmt: skip
    return result["profile_id"]


def _detached_mql() -> tuple[int, object]:
    """A shop lead joined by a fair record saying MQL, which a rep detaches: the profile
    goes back to lead. Returns (profile id, the rep)."""
    a = _bruna("shop", "R1", stage="lead")
    assert _bruna("fair", "R1f", stage="mql") == a
    assert _stored(a).stage == "mql"
    rep = factories.make_user(role="sales")
    splitting.detach_record(_record_id("R1f"), actor=rep)
    assert _stored(a).stage == "lead"
    return a, rep


def test_a_detachs_stage_move_names_the_detach_not_the_person(app):
    a, rep = _detached_mql()

    last = _stored(a).stage_changes[-1]
    assert (last.from_stage, last.to_stage) == ("mql", "lead")
    assert (last.actor_user_id, last.actor_label) == (None, f"detach:{_record_id('R1f')}")
    assert last.reason == splitting.DETACHED_STAGE
    entry = db.session.scalar(select(AuditLog).filter_by(action=splitting.DETACH_ACTION))
    assert entry.actor_user_id == rep.id  # the audit trail keeps who detached


def test_the_remaining_record_moves_the_profile_to_mql_after_a_detach(app):
    a, _ = _detached_mql()

    _bruna("shop", "R1", stage="mql")  # the profile's own record now says MQL

    assert _stored(a).stage == "mql"


def test_a_stage_a_rep_moved_back_before_the_detach_still_holds(app):
    a = _bruna("shop", "R1", stage="sql")
    rep = factories.make_user(role="sales")
    profiles.update_profile(a, {"stage": "lead"}, expected_version=None, actor=rep)
    _bruna("fair", "R1f", stage="customer")
    assert _stored(a).stage == "customer"  # past the SQL the rep moved it back from

    splitting.detach_record(_record_id("R1f"), actor=rep)

    assert _stored(a).stage == "lead"  # the rep's lead, not the shop record's SQL
    _bruna("shop", "R1", stage="sql", first_name="Bruna M.")
    assert _stored(a).stage == "lead"


def test_the_stage_history_shows_the_detach_and_who_made_it(client, auth):
    rep = auth.login_as("sales", name="Rita Rep")
    a = _bruna("shop", "R1", stage="lead")
    _bruna("fair", "R1f", stage="mql")
    record_id = _record_id("R1f")
    splitting.detach_record(record_id, actor=rep)

    page = client.get(f"/profiles/{a}").get_data(as_text=True)

    history = page[page.index('id="stage-history"') :]
    history = history[: history.index("</table>")]
    assert f"detach of record #{record_id}" in history
    assert "detached by Rita Rep" in history
    assert splitting.DETACHED_STAGE in history
