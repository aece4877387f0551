"""Files made to exhaust memory: an endless line, a compression bomb."""

import io

import pytest

from crm.services import readers
from crm.services.errors import ValidationError
from tests import factories


def test_a_line_over_the_limit_is_reported_and_the_rows_after_it_read(monkeypatch):
    monkeypatch.setattr(readers, "LINE_CHARS", 2_000)
    monkeypatch.setattr(readers, "_DRAIN_CHARS", 100)
    text = "email,nome\na@example.it,Anna\n" + "x" * 50_000 + "\nb@example.it,Bea\n"
    _mapping, rows = readers.read_csv(io.BytesIO(text.encode()))
    rows = list(rows)
    assert [row.number for row in rows] == [2, 3, 4]
    assert rows[1].error == "unreadable CSV row: a line longer than 2000 characters"
    assert [row.values.get("email") for row in (rows[0], rows[2])] == [
        "a@example.it",
        "b@example.it",
    ]


def test_an_archive_holding_a_compression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(readers, "ZIP_BOMB_BYTES", 100_000)
    bomb = factories.zip_of({"contatti.csv": "email\n" + "a" * 300_000})
    with pytest.raises(ValidationError, match=r"contatti\.csv is compressed \d+ times"):
        readers.read_archive(io.BytesIO(bomb))
    # A member that size compressed as real text compresses is read.
    rows = "".join(f"persona{n}@example.it,{n * 7919 % 100003}\n" for n in range(8_000))
    _mapping, read = readers.read_archive(
        io.BytesIO(factories.zip_of({"a.csv": "email,n\n" + rows}))
    )
    assert len(list(read)) == 8_000


def test_a_workbook_whose_shared_strings_are_a_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(readers, "ZIP_BOMB_BYTES", 100_000)
    rows = [["Nome", "Note"]] + [["Anna", "a" * 30_000]] * 40  # a cell holds 32,767 at most
    book = factories.workbook({"Contatti": rows})
    with pytest.raises(ValidationError, match=r"xl/\S+\.xml is compressed \d+ times"):
        readers.read_xlsx(io.BytesIO(book))
