"""Reading by long lists of values: IN (...) lists in slices, rows straight from the driver.

Imports and merges look up thousands of ids or keys at once; every database limits the
parameters of one statement, so the values go in slices well under every limit. The hot
lookups (blocks, candidate profiles) skip SQLAlchemy's row processing and read plain
tuples from the driver's cursor, on the session's connection and transaction.
"""

from collections.abc import Iterator, Sequence

from crm.extensions import db

SLICE = 900  # values per IN (...) list
# SELECTs per UNION ALL (SQLite takes at most 500 by default).
UNION_SLICE = 400


def slices(values: Sequence, size: int = SLICE) -> Iterator[list]:
    """values in consecutive slices small enough for an IN (...) list."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def driver_rows(sql: str, values: Sequence, *, union: bool = False) -> Iterator[tuple]:
    """The rows of sql for values, a slice at a time, as the driver's plain tuples.

    sql holds "{marks}" where the IN list's placeholders go, e.g.
    "SELECT key, profile_id FROM match_keys WHERE key IN ({marks})", or "{rows}" where a
    VALUES list of one value a row goes ("... FROM (VALUES {rows}) AS k", its column is
    column1). With union, sql is one SELECT for one value, its placeholder "{mark}", and
    the slice's copies are joined with UNION ALL (for a LIMIT per value). Only
    placeholders are formatted into it; the values travel as parameters.
    """
    connection = db.session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.connection.cursor()
    try:
        for chunk in slices(values, UNION_SLICE if union else SLICE):
            if union:
                text = " UNION ALL ".join([sql.format(mark=marker)] * len(chunk))
            else:
                marks = [marker] * len(chunk)
                text = sql.format(marks=", ".join(marks), rows=", ".join(f"({m})" for m in marks))
            cursor.execute(text, chunk)
            yield from cursor.fetchall()
    finally:
        cursor.close()
