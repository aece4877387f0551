"""JSON values as files give them: NaN and Infinity as empty values, any extra key kept, bounded."""

import io
import json

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import ImportRejection, Profile, SourceRecord
from crm.services import ingest, readers

# What Python's json (and so pandas) writes for a score it has no number for.
NAN_LINES = (
    '{"id": "j1", "first_name": "Jay", "last_name": "Son", "email": "jay.son@example.com",'
    ' "score": NaN}\n'
    '{"id": "j2", "first_name": "Kay", "last_name": "Son", "email": "kay.son@example.com"}\n'
)


def _rows(text: str) -> list[readers.Row]:
    _mapping, rows = readers.read_jsonl(io.BytesIO(text.encode()))
    return list(rows)


def _as_array(lines: str) -> str:
    return "[" + ",\n".join(lines.strip().splitlines()) + "]"


# Reading, pure


@pytest.mark.parametrize("shape", ["lines", "array"])
def test_nan_and_infinity_read_as_empty_values(shape):
    text = (
        '{"id": "n1", "first_name": NaN, "last_name": "Son", "email": [NaN, "a@x.it"],'
        ' "score": Infinity, "low": -Infinity, "notes": {"weight": NaN}}\n'
    )
    (row,) = _rows(_as_array(text) if shape == "array" else text)
    assert row.error is None
    assert row.values == {"external_id": "n1", "last_name": "Son", "email": ["a@x.it"]}
    assert row.raw["first_name"] is None
    assert row.raw["email"] == [None, "a@x.it"]
    assert (row.raw["score"], row.raw["low"], row.raw["notes"]) == (None, None, {"weight": None})
    json.dumps(row.raw, allow_nan=False)


def test_a_number_too_big_for_a_float_in_a_json_line_is_an_empty_value():
    (row,) = _rows('{"email": "a@x.it", "first_name": 1e400, "score": -1e400}\n')
    assert row.values == {"email": "a@x.it"}
    assert (row.raw["first_name"], row.raw["score"]) == (None, None)


def test_a_json_array_with_nan_reads_every_object():
    rows = _rows(_as_array(NAN_LINES))
    assert [r.error for r in rows] == [None, None]
    assert [r.values["external_id"] for r in rows] == ["j1", "j2"]
    assert rows[0].raw["score"] is None


def test_nan_words_in_json_text_stay_text():
    text = '[{"first_name": "NaN", "note": "Infinity \\"NaN\\" -Infinity \\\\", "x": NaN}]'
    (row,) = _rows(text)
    assert row.values == {"first_name": "NaN"}
    assert row.raw == {"first_name": "NaN", "note": 'Infinity "NaN" -Infinity \\', "x": None}


@pytest.mark.parametrize("shift", range(40))
def test_a_token_or_an_escape_cut_by_the_end_of_a_read_is_read_whole(shift):
    # The array is parsed 64 KiB at a time: each shift puts that boundary elsewhere in
    # the tokens, strings and escapes of the tail.
    tail = '", "a": NaN, "s": "q\\"NaN\\\\", "b": -Infinity, "c": Infinity, "d": -1}]'
    head = '[{"pad": "'
    pad = "x" * (readers.SAMPLE_BYTES - len(head) - shift)
    (row,) = _rows(head + pad + tail)
    assert row.error is None
    assert {k: v for k, v in row.raw.items() if k != "pad"} == {
        "a": None,
        "s": 'q"NaN\\',
        "b": None,
        "c": None,
        "d": -1,
    }


def test_a_csv_cell_nan_is_text():
    text = "first_name,last_name,email\nNaN,Infinity,nan@example.com\n"
    _mapping, rows = readers.read_csv(io.BytesIO(text.encode()))
    (row,) = list(rows)
    assert row.values["first_name"] == "NaN"
    assert row.values["last_name"] == "Infinity"
    assert row.raw["first_name"] == "NaN"


def test_extra_keys_keep_any_json_value_in_the_raw_row():
    record = {"id": "u1", "email": "u@x.it", "utm": {"source": "x", "tags": [1, None]}, "x": [[[]]]}
    row = readers.row_from_object(0, record)
    assert row.values == {"external_id": "u1", "email": "u@x.it"}
    assert row.raw == record


def test_a_deep_value_is_cut_at_raw_depth():
    deep: list = []
    inner = deep
    for _ in range(5000):  # deeper than Python's recursion limit
        inner.append([])
        inner = inner[0]
    kept = readers.json_value(deep)
    depth = 0
    while isinstance(kept, list):
        kept, depth = kept[0], depth + 1
    assert (depth, kept) == (readers.RAW_DEPTH, readers.CUT)


def test_a_big_value_is_cut_near_its_limit():
    big = {"text": "y" * 10_000, "list": list(range(10_000))}
    kept = readers.json_value(big, limit=1000)
    assert len(json.dumps(kept)) <= 1000
    assert kept["text"] == "y" * len(kept["text"][:-1]) + readers.CUT
    assert kept[readers.CUT] == readers.CUT  # no room left for the list
    kept = readers.json_value(list(range(10_000)), limit=1000)
    assert len(json.dumps(kept)) <= 1000
    assert kept[-1] == readers.CUT


def test_one_keys_value_is_bounded_as_a_csv_cell_is():
    text = "z" * (readers.FIELD_CHARS + 10)
    row = readers.row_from_object(0, {"email": "a@x.it", "blob": {"text": text}})
    assert len(row.raw["blob"]["text"]) <= readers.FIELD_CHARS + 1
    assert row.raw["blob"]["text"].endswith(readers.CUT)
    assert row.values == {"email": "a@x.it"}


def test_a_json_line_nested_too_deeply_is_reported_and_the_rest_read():
    text = '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}\n" + '{"email": "b@x.it"}\n'
    rows = _rows(text)
    assert rows[0].error == "JSON nested too deeply"
    assert rows[1].values == {"email": "b@x.it"}


def test_a_deep_array_item_is_read_bounded():
    nested = "[" * 5000 + "]" * 5000
    rows = _rows(f'[{{"email": "a@x.it", "x": {nested}}}, {nested}]')
    assert rows[0].values == {"email": "a@x.it"}
    json.dumps(rows[0].raw)
    assert rows[1].error == "not a JSON object"
    assert len(rows[1].raw["_item"]) <= 1000


# Importing: the raw payload is stored on SQLite and on PostgreSQL


def _import(text: str, filename: str) -> dict:
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename=filename, source_name="x")


@pytest.mark.parametrize(("shape", "filename"), [("lines", "nan.jsonl"), ("array", "nan.json")])
def test_a_file_with_nan_imports_every_row(app, shape, filename):
    summary = _import(_as_array(NAN_LINES) if shape == "array" else NAN_LINES, filename)
    assert (summary["created"], summary["rejected"]) == (2, 0)
    records = {r.external_id: r for r in db.session.scalars(select(SourceRecord))}
    assert records["j1"].raw["score"] is None
    assert records["j2"].raw["first_name"] == "Kay"
    assert db.session.scalars(select(ImportRejection)).all() == []


def test_a_nan_name_is_no_name(app):
    _import('{"id": "n", "first_name": NaN, "email": "nan@example.com"}\n', "nan.jsonl")
    profile = db.session.scalar(select(Profile))
    assert profile.first_name is None


def test_a_huge_nested_extra_is_stored_bounded(app):
    deep = "[" * 5000 + "]" * 5000
    text = json.dumps({"id": "d", "email": "d@example.com", "list": ["v" * 1000] * 20_000})
    summary = _import(f'[{text[:-1]}, "deep": {deep}}}]', "deep.json")
    assert summary["created"] == 1
    raw = db.session.scalar(select(SourceRecord)).raw
    assert len(json.dumps(raw)) <= readers.FIELD_CHARS + 1000
    assert raw["list"][-1] == readers.CUT
