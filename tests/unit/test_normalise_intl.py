"""Values written in other scripts and by other tools: names folded to Latin, countries by
their own names, and whole numbers that a tool wrote as floats."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from crm.extensions import db
from crm.models import ImportRejection, Profile, ProfilePhone
from crm.services import ingest
from crm.services.normalise import (
    fold,
    normalise_country,
    normalise_name,
    normalise_phone,
    normalise_postcode,
)
from tests.factories import import_records

# --- Other scripts folded to Latin ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "latin"),
    [
        ("Κωνσταντίνος Γεωργίου", "konstantinos georgiou"),  # ου is one sound: ou
        ("Ευθύμιος", "efthymios"),  # ευ before a voiceless consonant: ef
        ("Ευανθία", "evanthia"),  # ... else ev
        ("Αγγελική", "angeliki"),  # γγ: ng
        ("Μπουρας", "bouras"),  # μπ opening a word: b
        ("Λαμπράκης", "lamprakis"),  # ... inside it: mp
        ("Ταΰγετος", "taygetos"),  # a diaeresis reads the vowel apart
        ("ΣΤΑΥΡΟΣ", "stavros"),
        ("Ἀθῆναι", "athinai"),  # polytonic accents and breathings go
        ("Сергей Кузнецов", "sergey kuznetsov"),
        ("Юрий", "yuriy"),  # a letter with its mark (й) is one letter, not и
        ("Наталья", "natalya"),  # a soft sign leaves no gap in the word
        ("Шевченко", "shevchenko"),
        ("ごとう", "gotou"),  # kana keep their voicing marks
        ("ｺﾞﾄｳ", "gotou"),  # half-width kana too
    ],
)
def test_names_in_other_scripts_fold_to_their_latin_writing(written, latin):
    assert fold(written) == latin


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Nicolò D’Angelo", "nicolo d angelo"),
        ("Straße", "strasse"),
        ("Łukasz Wróbel", "lukasz wrobel"),
        ("Søren Ørsted", "soren orsted"),
        ("İlkay", "ilkay"),
        ("𝔄nna", "anna"),
        ("Anna 😀 ★", "anna"),  # symbols are no letters, whatever script
    ],
)
def test_latin_names_fold_as_before(written, folded):
    assert fold(written) == folded


@given(st.text(alphabet=st.characters(codec="latin-1"), max_size=12))
def test_latin_1_text_folds_to_ascii_words(text):
    assert fold(text).isascii()
    assert fold(fold(text)) == fold(text)


def test_a_generation_in_roman_numerals_keeps_its_capitals():
    assert normalise_name("WASHINGTON III") == "Washington III"
    assert normalise_name("carter iv") == "Carter IV"
    assert normalise_name("IVANOVA") == "Ivanova"


# --- Countries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("UAE", "AE"),
        ("U.A.E.", "AE"),
        ("KSA", "SA"),
        ("U.K.", "GB"),
        ("U.S.", "US"),
        ("日本", "JP"),
        ("中国", "CN"),
        ("中國", "CN"),
        ("中华人民共和国", "CN"),
        ("대한민국", "KR"),
        ("한국", "KR"),
        ("台灣", "TW"),
        ("ประเทศไทย", "TH"),
        ("ישראל", "IL"),
        ("مصر", "EG"),
        ("عُمان", "OM"),  # with or without its vowel sign
        ("عمان", "OM"),  # not Mongolia's "mn", which its Latin letters spell
        ("Ελλάδα", "GR"),
        ("Россия", "RU"),
        ("Deutschland", "DE"),
    ],
)
def test_countries_are_known_by_short_forms_and_their_own_names(written, code):
    assert normalise_country(written) == code


def test_a_name_in_another_script_that_names_no_country_is_unknown():
    with pytest.raises(ValueError, match="unknown country"):
        normalise_country("東京")


# --- Whole numbers written as floats --------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [3475550123.0, "3475550123.0", " '3475550123.0 ", 3.475550123e9, "3.475550123e9",
     "3.475550123E+09", 3475550123],
)  # fmt: skip
def test_a_phone_written_as_a_float_is_its_whole_number(written):
    assert normalise_phone(written, "IT") == "+393475550123"


def test_dots_between_digit_groups_still_separate_them():
    assert normalise_phone("347.555.0123", "IT") == "+393475550123"
    assert normalise_phone("(212) 555.0101", "US") == "+12125550101"


@pytest.mark.parametrize("written", ["3.47555E+09", 347.5, float("nan")])
def test_a_float_that_lost_digits_or_holds_a_fraction_is_no_phone(written):
    # "3.47555E+09" is how a spreadsheet shows 3475550123: the digits after 5 are gone.
    with pytest.raises(ValueError, match="invalid phone number"):
        normalise_phone(written, "IT")


@pytest.mark.parametrize(
    ("written", "read"),
    [("09170.0", "09170"), (9170.0, "9170"), (9170, "9170"), ("10115", "10115"),
     ("SW1A 1AA", "SW1A 1AA"), ("1012 ab", "1012 AB")],
)  # fmt: skip
def test_a_postcode_written_as_a_float_is_its_digits(written, read):
    assert normalise_postcode(written) == read


def test_records_with_float_phones_and_postcodes_keep_their_numbers(app):
    results = import_records(
        "shop",
        {"external_id": "F1", "first_name": "Ada", "last_name": "Negri",
         "email": "ada.negri@example.it", "phone": 3475550123.0, "postcode": "09170.0",
         "country": "IT"},
        {"external_id": "F2", "first_name": "Neera", "last_name": "Radius",
         "email": "neera@example.it", "phone": "3331114455.0", "postcode": 9170.0,
         "country": "IT"},
    )  # fmt: skip
    assert [r["outcome"] for r in results] == ["created", "created"]
    phones = set(db.session.scalars(select(ProfilePhone.phone)))
    assert phones == {"+393475550123", "+393331114455"}
    # The float's digits, padded to an Italian postcode's five as any number is.
    assert set(db.session.scalars(select(Profile.postcode))) == {"09170"}


def test_a_phone_of_a_row_whose_country_is_unknown_says_where_it_was_read(app):
    data = io.BytesIO(
        b"First Name,Last Name,Email,Phone,Country\n"
        b"Ada,Neri,ada@example.com,090-1234-5679,Narnia\n"
        b"Ugo,Riva,ugo@example.com,+81 90-1234-5679,Narnia\n"
    )
    summary = ingest.import_stream(data, filename="f.csv", source_name="fair")
    rows = db.session.scalars(
        select(ImportRejection).where(ImportRejection.batch_id == summary["batch_id"])
    ).all()
    said = sorted((r.row_number, r.column, r.reason) for r in rows)
    assert (2, "Phone", "read as a number of IT: the row's country is unknown") in said
    assert not any(n == 3 and column == "Phone" for n, column, _reason in said)  # +81
