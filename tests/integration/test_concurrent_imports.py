"""Two imports at once never make two profiles of one person (SQLite and PostgreSQL)."""

import io
import threading

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import ImportRejection, Profile, ProfileEmail, SourceRecord
from crm.services import ingest

PEOPLE = 120


def _file(prefix: str, numbers) -> bytes:
    """A CSV of people identified by email (no names: nothing for fuzzy matching to do)."""
    rows = "".join(f"{prefix}{n},p{n}@example.com,Ciclo {n % 7}\n" for n in numbers)
    return ("id,email,company\n" + rows).encode()


def test_overlapping_imports_at_once_give_one_profile_per_person(app):
    ingest.ensure_source("crm")
    ingest.ensure_source("shop")
    db.session.commit()
    # Outside a request every SQLite transaction takes the write lock: end this one first.
    db.session.rollback()
    files = {
        # Both files hold everyone in the same order, so the imports collide all along.
        "crm": _file("C", range(PEOPLE)),
        "shop": _file("S", range(PEOPLE)),
    }
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    summaries: dict[str, dict] = {}

    def worker(source: str) -> None:
        with app.app_context():
            try:
                barrier.wait()
                summaries[source] = ingest.import_stream(
                    io.BytesIO(files[source]),
                    filename=f"{source}.csv",
                    source_name=source,
                    batch_size=20,
                )
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(name,)) for name in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert all(s["rejected"] == 0 for s in summaries.values()), summaries
    assert sum(s["created"] for s in summaries.values()) == PEOPLE
    assert sum(s["merged"] for s in summaries.values()) == PEOPLE
    count = db.session.scalar(select(func.count()).select_from(Profile))
    assert count == PEOPLE
    emails = db.session.execute(select(ProfileEmail.email, ProfileEmail.profile_id)).all()
    assert len(emails) == PEOPLE
    owners = dict(emails)
    records = db.session.execute(
        select(SourceRecord.email, SourceRecord.profile_id, SourceRecord.external_id)
    ).all()
    assert len(records) == 2 * PEOPLE
    # Each person's record from either source sits on the profile holding their email.
    assert all(owners[email] == profile_id for email, profile_id, _ in records)
    assert db.session.scalar(select(func.count()).select_from(ImportRejection)) == 0


def test_api_clients_sending_one_persons_records_at_once_lose_none(app):
    """Ten writers joining one profile at once: every record is stored, none rejected."""
    ingest.ensure_source("app")
    db.session.commit()
    db.session.rollback()
    writers = 10
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []
    outcomes: list[str] = []

    def worker(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                found = ingest.import_records(
                    [{"external_id": f"r{n}", "email": "same@example.com", "city": f"C{n}"}],
                    source_name="app",
                )
                outcomes.extend(r["outcome"] for r in found["results"])
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert "rejected" not in outcomes and len(outcomes) == writers
    assert db.session.scalar(select(func.count()).select_from(SourceRecord)) == writers
    assert db.session.scalar(select(func.count()).select_from(Profile)) == 1
