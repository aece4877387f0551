"""Concurrent writers wait for each other instead of failing ("database is locked")."""

import threading
import time

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, Profile
from crm.services import merging, profiles
from crm.services.errors import ConflictError
from tests import factories


def test_concurrent_writes_all_succeed(app):
    profile_id = factories.make_profile(city="Milano").id
    # Outside a request every transaction takes the write lock (BEGIN IMMEDIATE), so end
    # this thread's read before the writers start, as a request's teardown would.
    db.session.rollback()
    errors: list[BaseException] = []
    per_thread = 5

    def worker(n: int) -> None:
        with app.app_context():
            try:
                for i in range(per_thread):
                    # Read first, then write, in one transaction: the pattern that fails on
                    # SQLite with deferred transactions when another writer got in between.
                    current = profiles.get_profile(profile_id)
                    assert current.id == profile_id
                    factories.make_profile(first_name=f"T{n}", last_name=f"W{i}")
                    profiles.update_profile(
                        profile_id, {"score": n * 100 + i + 1}, expected_version=None, actor="test"
                    )
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert db.session.scalar(select(func.count()).select_from(Profile)) == 1 + 6 * per_thread
    updates = db.session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.action == "profile.update")
    )
    assert updates == 6 * per_thread


def test_sqlite_pragmas_are_set(app):
    if db.engine.dialect.name != "sqlite":
        assert db.engine.dialect.name == "postgresql"
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
        cache_kib = app.config["SQLITE_CACHE_MB"] * 1024
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -cache_kib
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 16384


def test_an_undo_waiting_for_a_merge_into_its_survivor_is_refused(app):
    """A merge into the survivor, committed while the undo waits for its lock, builds on
    the merge being undone: the undo must see it and refuse, not separate the profiles
    under it (PostgreSQL runs both at once; SQLite serialises them anyway)."""
    a, b, c = (factories.make_profile(last_name=name).id for name in ("Alfa", "Beta", "Gamma"))
    first = merging.merge_profiles(a, b, actor="test").id
    db.session.rollback()
    outcome: list[object] = []

    def undo() -> None:
        with app.app_context():
            try:
                outcome.append(merging.undo_merge(first, actor="test"))
            except ConflictError as error:
                outcome.append(error)
            finally:
                db.session.remove()

    # This session holds the survivor's lock, as a merge in progress does.
    db.session.scalar(select(Profile).where(Profile.id == a).with_for_update(of=Profile))
    thread = threading.Thread(target=undo)
    thread.start()
    time.sleep(0.5)  # the undo is now waiting for the lock
    merging.merge_profiles(a, c, actor="test")  # commits, releasing the lock
    thread.join()

    (result,) = outcome
    assert isinstance(result, ConflictError), result
    assert "undo it first" in result.message
    db.session.expire_all()
    assert db.session.get(Profile, b).merged_into_id == a
