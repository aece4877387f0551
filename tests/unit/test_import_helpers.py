"""A big file's rows are read by a helper process while the import stores earlier rows,
and an import wakes Python's cycle collector less often; neither changes what it decides."""

import gc
import io
import threading
from functools import partial

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Profile, SourceRecord
from crm.services import ingest, readers

HEADER = "id,first_name,last_name,email,phone,city,birth_date,newsletter\n"


def _rows(count: int) -> str:
    """count rows of people, every fifth a second record of the person before (same email
    with a nickname, or same name and birth date in the same city without an email)."""
    lines = [HEADER]
    for n in range(count):
        person = n - 1 if n % 5 == 4 else n
        first = "Giuseppe" if n % 5 == 4 else "Beppe"
        email = f"person{person}@example.com" if n % 10 != 9 else ""
        lines.append(
            f"{n},{first},Rossi{person},{email},,Milano,1980-01-{person % 28 + 1:02d},yes\n"
        )
    return "".join(lines)


def _outcome() -> set[tuple]:
    """Who is with whom (record ids by profile, whatever the profiles' ids) and the names."""
    live = {
        pid: (first, last)
        for pid, first, last in db.session.execute(
            select(Profile.id, Profile.first_name, Profile.last_name).where(
                Profile.merged_into_id.is_(None)
            )
        )
    }
    groups: dict[int, list[str]] = {}
    for external_id, pid in db.session.execute(
        select(SourceRecord.external_id, SourceRecord.profile_id)
    ):
        groups.setdefault(pid, []).append(external_id)
    return {(tuple(sorted(ids)), live[pid]) for pid, ids in groups.items()}


def _reading(fmt: str) -> ingest._Reading:
    return ingest._Reading(
        region="IT", format=fmt, month_first=False, surname_first=False, dates_per_record=False
    )


def _import(text: str, **kwargs) -> dict:
    summary = ingest.import_stream(
        io.BytesIO(text.encode()), filename="people.csv", source_name="shop", **kwargs
    )
    summary.pop("batch_id")
    return summary


def test_helper_processes_only_for_a_big_file_and_as_configured(app):
    app.config["IMPORT_HELPERS"] = "auto"
    assert ingest.helper_processes(100) == 0  # a small file: not worth starting one
    app.config["IMPORT_HELPERS"] = "2"
    assert ingest.helper_processes(ingest.HELPERS_FROM) == 2
    app.config["IMPORT_HELPERS"] = "0"
    assert ingest.helper_processes(10 * ingest.HELPERS_FROM) == 0


def test_rows_read_by_a_helper_are_the_rows_read_here(app):
    stream = io.BytesIO(_rows(40).encode())
    mapping, rows = ingest.open_reader(stream, filename="people.csv", fmt="auto", overrides=None)
    rows = list(rows)
    chunks = [rows[n : n + 7] for n in range(0, len(rows), 7)]
    reading = _reading(mapping.format)
    seen = list(ingest._prepared(iter(chunks), reading, 1, wait=True))
    assert [chunk for chunk, _ in seen] == chunks  # every chunk once, in order
    for chunk, items in seen:
        assert items is not None
        for row, item in zip(chunk, items, strict=True):
            here = ingest._prepare(row, reading)
            assert item.row is row
            assert (item.fields, item.raw, item.warnings, item.reject) == (
                here.fields,
                here.raw,
                here.warnings,
                here.reject,
            )
            assert item.norm.emails == here.norm.emails
            assert [c.purpose for c in item.consents] == [c.purpose for c in here.consents]


def test_an_import_with_a_helper_decides_as_one_without(app, monkeypatch):
    text = _rows(60)
    app.config.update(IMPORT_HELPERS="1", IMPORT_HELPERS_FROM=0)
    # As on a big file, whose rows outlast the helper's start: every chunk is read there.
    monkeypatch.setattr(ingest, "_prepared", partial(ingest._prepared, wait=True))
    read_there = []
    process = ingest._Run.process

    def spy(self, rows, prepared=None):
        read_there.append(prepared is not None)
        return process(self, rows, prepared)

    monkeypatch.setattr(ingest._Run, "process", spy)
    with_helper = _import(text, batch_size=8)
    assert read_there == [True] * 8
    outcome = _outcome()
    assert with_helper["rows"] == 60 and with_helper["merged"] > 0
    assert with_helper["consents"] > 0
    for table in reversed(db.metadata.sorted_tables):  # the same file into an empty database
        db.session.execute(table.delete())
    db.session.commit()
    app.config.update(IMPORT_HELPERS="0")
    assert _import(text, batch_size=8) == with_helper
    assert read_there[8:] == [False] * 8
    assert _outcome() == outcome


def test_chunks_are_read_here_until_the_helper_is_ready(app):
    rows = [readers.Row(number=n, values={"first_name": "Anna"}, raw={}) for n in range(3)]
    seen = list(ingest._prepared(iter([[row] for row in rows]), _reading("csv"), 1))
    assert [chunk for chunk, _ in seen] == [[row] for row in rows]
    assert seen[0][1] is None  # it takes the helper seconds to start


def test_a_failure_in_the_helper_reaches_the_import(app):
    reading = _reading("csv")
    broken = [readers.Row(number=n, values=None, raw={}) for n in range(3)]  # not a row
    chunks = iter([[row] for row in broken])
    with pytest.raises((AttributeError, TypeError)):
        list(ingest._prepared(chunks, reading, 1, wait=True))


def test_fewer_collections_while_importing_and_the_setting_restored(app):
    before = gc.get_threshold()
    with ingest._fewer_collections():
        assert gc.get_threshold() == ingest.IMPORT_GC
        with ingest._fewer_collections():  # a second import at once in this process
            assert gc.get_threshold() == ingest.IMPORT_GC
        assert gc.get_threshold() == ingest.IMPORT_GC  # the first still runs
    assert gc.get_threshold() == before


def test_fewer_collections_for_imports_in_threads(app):
    before = gc.get_threshold()
    inside, leave = threading.Barrier(3), threading.Event()

    def work():
        with ingest._fewer_collections():
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    inside.wait()
    assert gc.get_threshold() == ingest.IMPORT_GC
    leave.set()
    for thread in threads:
        thread.join()
    assert gc.get_threshold() == before


def test_an_import_runs_with_fewer_collections(app, monkeypatch):
    seen = []
    process = ingest._Run.process

    def spy(self, rows, prepared=None):
        seen.append(gc.get_threshold())
        return process(self, rows, prepared)

    monkeypatch.setattr(ingest._Run, "process", spy)
    before = gc.get_threshold()
    _import(_rows(3))
    ingest.import_records(
        [{"id": "9", "first_name": "Anna", "last_name": "Neri", "email": "a@example.com"}],
        source_name="api",
    )
    assert seen == [ingest.IMPORT_GC, ingest.IMPORT_GC]
    assert gc.get_threshold() == before
