"""Phones that lost their leading 0, as a spreadsheet drops it from a number cell: put back
only where the file shows it lost them all, and only where that alone makes a number."""

import io

import pytest

from crm.extensions import db
from crm.models import ImportBatch, Profile
from crm.services import ingest
from crm.services.normalise import lost_leading_zeros, zero_put_back
from crm.services.rows import normalise_row, phones_lost_zeros, read_phone
from tests import factories


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("212345678", "IT", "+390212345678"),  # Milan's 02 12345678
        (6498956489, "IT", "+3906498956489"),  # Rome's 06, a JSON or workbook number
        (55123456.0, "IT", "+39055123456"),  # Florence's 055, a float cell
        ("0212345678", "IT", None),  # written with its 0: nothing lost
        ("3331234567", "IT", None),  # a mobile reads as written
        ("7700900123", "GB", None),  # a trunk 0 elsewhere: read without it anyway
        ("612345678", "FR", None),
        ("2 1234567", "IT", None),  # grouped by hand: not a number cell's digits
        ("+39 212345678", "IT", None),
        ("123", "IT", None),  # no number with a 0 either
    ],
)
def test_a_zero_is_put_back_only_where_that_alone_makes_a_number(value, region, expected):
    assert zero_put_back(value, region) == expected


def test_a_file_lost_its_zeros_when_none_is_written_and_several_need_one():
    lost = [("212345678", "IT"), ("3331234567", "IT"), ("55123456", "IT")]
    assert lost_leading_zeros(lost)
    # One such number is as likely a typo as a lost 0.
    assert not lost_leading_zeros(lost[:2])
    # A file that writes bare digits with a 0 (or 00) kept its zeros: the others are typos.
    assert not lost_leading_zeros([*lost, ("0612345678", "IT")])
    assert not lost_leading_zeros([*lost, ("00442079460958", "IT")])
    # One written with spaces was typed as text: it says nothing of the number cells.
    assert lost_leading_zeros([*lost, ("0044 20 7946 0958", "IT")])
    # Numbers with a calling code say nothing either way.
    assert lost_leading_zeros([*lost, ("+39 02 1234567", "IT")])


def test_rows_are_read_in_their_own_country_for_the_zeros():
    rows = [
        {"phone": "212345678"},
        {"phone": "55123456", "country": "Italia"},
        {"phone": "2079460958", "country": "GB"},  # a British number reads as written
    ]
    assert phones_lost_zeros(rows, "IT")
    assert not phones_lost_zeros(rows[1:], "IT")


def test_a_row_of_such_a_file_keeps_its_landline():
    values = {"first_name": "Mario", "phone": "212345678"}
    assert normalise_row(values, "IT").phones == []  # left out, as before...
    assert normalise_row(values, "IT", zeros_dropped=True).phones == ["+390212345678"]
    # ...and read as written first: a valid number is never changed.
    assert read_phone("3331234567", None, "IT", zeros_dropped=True) == "+393331234567"
    with pytest.raises(ValueError):
        read_phone("123", None, "IT", zeros_dropped=True)


# A shop's customers typed into a spreadsheet, landlines in number cells.
LOST_ZEROS = factories.workbook(
    {
        "Clienti": [
            ["Nome", "Cognome", "Email", "Telefono", "Cellulare"],
            ["Mario", "Rossi", "mario@example.com", 212345678, 3331234567],
            ["Anna", "Bianchi", "anna@example.com", 6498956489, None],
            ["Luca", "Verdi", "luca@example.com", 55123456, 3471234567],
        ]
    }
)


def test_a_workbook_whose_landlines_lost_their_zero_imports_them(app):
    summary = ingest.import_stream(
        io.BytesIO(LOST_ZEROS), filename="clienti.xlsx", source_name="negozio"
    )
    assert summary["created"] == 3 and summary["warnings"] == 0
    phones = {
        p.first_name: sorted(ph.phone for ph in p.phones)
        for p in db.session.scalars(db.select(Profile))
    }
    assert phones == {
        "Mario": ["+390212345678", "+393331234567"],
        "Anna": ["+3906498956489"],
        "Luca": ["+39055123456", "+393471234567"],
    }
    batch = db.session.scalar(db.select(ImportBatch))
    assert batch.mapping["phone_zeros"] is True


def test_a_csv_that_writes_its_zeros_reports_a_number_without_one(app):
    text = (
        "Nome,Cognome,Telefono\n"
        "Mario,Rossi,02 12345678\n"
        "Anna,Bianchi,06 4989564\n"
        "Luca,Verdi,212345678\n"  # a slip: this file writes its zeros
    )
    summary = ingest.import_stream(
        io.BytesIO(text.encode()), filename="c.csv", source_name="negozio"
    )
    assert summary["warnings"] == 1
    luca = db.session.scalar(db.select(Profile).where(Profile.first_name == "Luca"))
    assert luca.phones == []
    assert "phone_zeros" not in db.session.scalar(db.select(ImportBatch)).mapping
