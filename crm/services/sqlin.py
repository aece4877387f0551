"""Reading and writing long lists of values: IN (...) lists in slices, rows straight from
the driver, many rows inserted at once with their new ids.

Imports and merges look up thousands of ids or keys at once; every database limits the
parameters of one statement, so the values go in slices well under every limit. The hot
lookups (blocks, candidate profiles) skip SQLAlchemy's row processing and read plain
tuples from the driver's cursor, on the session's connection and transaction.
"""

from collections.abc import Iterator, Sequence

from sqlalchemy import Table, func, select

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


def insert_with_ids(table: Table, rows: list[dict]) -> list[int]:
    """Insert rows (dicts with the same keys) into table; their new ids, in rows' order.

    PostgreSQL returns them from one INSERT ... RETURNING per page of rows. SQLite cannot
    tell which new row is which from such a statement, so SQLAlchemy would insert them one
    statement at a time: here they take the ids SQLite itself would give them (the
    largest so far, plus one, and so on) and go in with one executemany. That is safe
    because a writing transaction on SQLite holds the database's write lock from its
    BEGIN IMMEDIATE (crm/__init__.py): no other writer can take an id meanwhile.
    """
    if not rows:
        return []
    if db.session.get_bind().dialect.name != "sqlite":
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(db.session.execute(statement, rows).scalars())
    last = db.session.scalar(select(func.coalesce(func.max(table.c.id), 0)))
    ids = list(range(last + 1, last + 1 + len(rows)))
    db.session.execute(
        table.insert(), [{**row, "id": new} for row, new in zip(rows, ids, strict=True)]
    )
    return ids
