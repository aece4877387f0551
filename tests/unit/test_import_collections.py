"""An import wakes Python's cycle collector less often, and puts the process's setting back."""

import gc
import io
import threading

from crm.services import ingest

ROWS = "id,first_name,last_name,email\n1,Anna,Rossi,anna@example.com\n2,Marco,Neri,\n"


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

    def spy(self, rows):
        seen.append(gc.get_threshold())
        return process(self, rows)

    monkeypatch.setattr(ingest._Run, "process", spy)
    before = gc.get_threshold()
    ingest.import_stream(io.BytesIO(ROWS.encode()), filename="people.csv", source_name="shop")
    ingest.import_records(
        [{"id": "9", "first_name": "Anna", "last_name": "Neri", "email": "a@example.com"}],
        source_name="api",
    )
    assert seen == [ingest.IMPORT_GC, ingest.IMPORT_GC]
    assert gc.get_threshold() == before
