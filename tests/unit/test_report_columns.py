"""The report of an import names the column that held a bad value, where several columns
feed one field (Phone and Mobile)."""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import ImportRejection
from crm.services import ingest


def _warnings(text: str) -> list[tuple[int, str, str]]:
    summary = ingest.import_stream(io.BytesIO(text.encode()), filename="f.csv", source_name="uk")
    rows = db.session.scalars(
        select(ImportRejection).where(ImportRejection.batch_id == summary["batch_id"])
    )
    return sorted((r.row_number, r.column, r.reason) for r in rows)


def test_a_bad_mobile_beside_a_good_phone_is_reported_under_mobile(app):
    warnings = _warnings(
        "First Name,Last Name,Email,Phone,Mobile,Country\n"
        "Liz,Taylor,liz@x.co.uk,020 7946 0018,07700 123,UK\n"
        "Tom,Hardy,tom@x.co.uk,020 79,07911 123456,UK\n"
    )
    assert [(n, column) for n, column, _reason in warnings] == [(2, "Mobile"), (3, "Phone")]


def test_two_bad_values_in_two_columns_of_one_field_are_each_reported_under_their_own(app):
    warnings = _warnings(
        "First Name,Last Name,Email,Other email,Phone,Mobile\n"
        "Liz,Taylor,liz@,liz@@x,020 79,07700 12\n"
    )
    assert [column for _n, column, _reason in warnings] == [
        "Email",
        "Mobile",
        "Other email",
        "Phone",
    ]
