"""The profiles service: the stage history as the profile page shows it."""

from sqlalchemy import event

from crm.extensions import db
from crm.models import StageChange, User
from crm.services import profiles
from tests import factories


def _move(profile_id: int, stage: str, actor) -> None:
    """A person (or a label) moves the profile to stage."""
    profiles.update_profile(profile_id, {"stage": stage}, expected_version=None, actor=actor)


def test_stage_history_names_the_user_of_each_change_in_one_query(app):
    named = factories.make_user(name="Rita Rossi")
    unnamed = factories.make_user()
    unnamed.name = ""  # the factory names everyone; a user may have no name
    profile = factories.make_profile()
    _move(profile.id, "mql", named)
    _move(profile.id, "sql", unnamed)
    db.session.add(
        StageChange(
            profile_id=profile.id, from_stage="sql", to_stage="customer", actor_label="import:fair"
        )
    )
    db.session.commit()
    profile_id = profile.id
    db.session.expire_all()

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        shown = [
            (change.to_stage, change.actor_label, user and (user.name, user.email))
            for change, user in profiles.stage_history(profile_id)
        ]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)

    assert len(statements) == 1
    assert shown == [
        ("customer", "import:fair", None),
        ("sql", f"user:{unnamed.id}", (unnamed.name, unnamed.email)),
        ("mql", f"user:{named.id}", ("Rita Rossi", named.email)),
        ("lead", "test", None),
    ]


def test_stage_history_keeps_the_change_of_a_user_since_deleted(app):
    gone = factories.make_user()
    profile = factories.make_profile()
    _move(profile.id, "mql", gone)
    gone_id = gone.id
    db.session.delete(db.session.get(User, gone_id))
    db.session.commit()
    db.session.expire_all()

    (change, user), _created = profiles.stage_history(profile.id)

    assert (change.to_stage, change.actor_label, user) == ("mql", f"user:{gone_id}", None)
