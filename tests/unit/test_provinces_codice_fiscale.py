"""Provinces and states written as their codes; a codice fiscale checked against its row."""

import pytest
from stdnum.it import codicefiscale as stdnum_cf

from crm.services.normalise import normalise_address, normalise_state
from crm.services.rows import normalise_row


@pytest.mark.parametrize(
    ("written", "country", "code"),
    [
        ("Milano", "IT", "MI"),
        ("MILANO", "IT", "MI"),
        ("mi", "IT", "MI"),
        ("Prov. di Milano", "IT", "MI"),
        ("Provincia di MI", "IT", "MI"),
        ("Milano (MI)", "IT", "MI"),
        ("MI - Milano", "IT", "MI"),
        ("Milan", "IT", "MI"),
        ("Città metropolitana di Roma Capitale", "IT", "RM"),
        ("Forlì-Cesena", "IT", "FC"),
        ("FORLI'", "IT", "FC"),
        ("Monza e Brianza", "IT", "MB"),
        ("Reggio nell'Emilia", "IT", "RE"),
        ("L'Aquila", "IT", "AQ"),
        ("Aosta", "IT", "AO"),
        ("Bolzano/Bozen", "IT", "BZ"),
        ("California", "US", "CA"),
        ("ny", "US", "NY"),
        ("Québec", "CA", "QC"),
        ("New South Wales", "AU", "NSW"),
    ],
)
def test_a_province_or_state_becomes_its_code_where_addresses_write_it_so(written, country, code):
    assert normalise_state(written, country) == code


@pytest.mark.parametrize(
    ("written", "country"),
    [
        ("Lombardia", "IT"),  # a region, not a province
        ("OT", "IT"),  # Olbia-Tempio, abolished: still what the file says
        ("Milano (RM)", "IT"),  # two provinces: which one is not ours to choose
        ("Sesto San Giovanni", "IT"),  # a town, not a province
        ("Bayern", "DE"),  # Germans write their Land in full
        ("Milano", None),
    ],
)
def test_anything_else_stays_as_written(written, country):
    assert normalise_state(written, country) == written


def test_an_import_row_takes_the_code_by_its_country_or_the_sources_region():
    row = normalise_row({"first_name": "Anna", "state": "Torino", "country": "Italia"}, "US")
    assert row.fields["state"] == "TO"
    row = normalise_row({"first_name": "Anna", "state": "Torino"}, "IT")
    assert row.fields["state"] == "TO"
    row = normalise_row({"first_name": "Ann", "state": "Texas"}, "US")
    assert row.fields["state"] == "TX"
    # A country not recognised is no reason to read the province as the source's.
    row = normalise_row({"first_name": "Anna", "state": "Torino", "country": "Narnia"}, "IT")
    assert row.fields["state"] == "Torino"


def _code(first15: str) -> str:
    return first15 + stdnum_cf.calc_check_digit(first15)


MARIO = _code("RSSMRA85C12H501")  # Mario Rossi, born 12 March 1985


def _warnings(**fields) -> list[tuple[str, str]]:
    return normalise_row({"tax_id": MARIO, **fields}, "IT").warnings


def test_a_codice_fiscale_that_fits_the_row_says_nothing():
    assert _warnings(first_name="Mario", last_name="Rossi", birth_date="12/03/1985") == []
    # A nickname or a married surname changes one name code, not both.
    assert _warnings(first_name="Marietto", last_name="Rossi") == []
    assert _warnings(first_name="Mario", last_name="Colombo") == []


def test_a_birth_date_the_codice_fiscale_contradicts_is_reported_and_both_are_kept():
    row = normalise_row(
        {"first_name": "Mario", "last_name": "Rossi", "tax_id": MARIO, "birth_date": "13/03/1985"},
        "IT",
    )
    assert row.warnings == [
        (
            "birth_date",
            "the codice fiscale gives another birth date (1985-03-12): one of the two is "
            "mistyped; both kept as written",
        )
    ]
    assert (row.fields["birth_date"], row.fields["tax_id"]) == ("1985-03-13", MARIO)


def test_another_persons_codice_fiscale_is_reported_and_kept():
    row = normalise_row(
        {"first_name": "Anna", "last_name": "Bianchi", "tax_id": MARIO, "birth_date": "1990-01-01"},
        "IT",
    )
    assert row.warnings == [
        (
            "tax_id",
            "the codice fiscale spells another name (RSSMRA): it may be another person's; kept",
        )
    ]
    assert row.fields["tax_id"] == MARIO


def test_eleven_digits_in_an_italian_rows_tax_id_are_a_companys_number_not_the_persons():
    row = normalise_row(
        {"first_name": "Paolo", "last_name": "Verdi", "tax_id": "02468100135"}, "IT"
    )
    assert "tax_id" not in row.fields
    assert row.warnings == [
        (
            "tax_id",
            "eleven digits are a company's codice fiscale or partita IVA, not a person's: "
            "kept in the raw record only",
        )
    ]
    # Elsewhere eleven digits are a person's id (a Polish PESEL).
    polish = {"first_name": "Jan", "last_name": "Nowak", "tax_id": "44051401359", "country": "PL"}
    assert normalise_row(polish, "IT").fields["tax_id"] == "44051401359"


@pytest.mark.parametrize(
    ("cell", "phones"),
    [
        ("335/1234567 - 02 48001234", ["+393351234567", "+390248001234"]),
        ("335 1234567; 02 48001234", ["+393351234567", "+390248001234"]),
        ("335 1234567 – 02 48001234", ["+393351234567", "+390248001234"]),
        ("02 - 48001234", ["+390248001234"]),  # a prefix apart: one number
    ],
)
def test_phones_typed_in_one_cell_apart_by_a_dash_or_semicolon_are_each_kept(cell, phones):
    assert normalise_row({"first_name": "Mario", "phone": cell}, "IT").phones == phones


def test_a_codice_fiscale_says_which_of_a_full_names_words_is_the_surname():
    # Fatture in Cloud's "Nome" of a private customer, in a file too small to tell its order.
    row = normalise_row({"full_name": "Rossi Mario", "tax_id": MARIO}, "IT")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("Mario", "Rossi")
    assert row.warnings == []
    # Names typed in each other's column too; a code that spells neither order changes nothing.
    row = normalise_row({"first_name": "Rossi", "last_name": "Mario", "tax_id": MARIO}, "IT")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("Mario", "Rossi")
    row = normalise_row({"full_name": "Bianchi Anna", "tax_id": MARIO}, "IT")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("Bianchi", "Anna")


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("VIA DELL'INDIPENDENZA 30", "Via dell'Indipendenza 30"),
        ("C.SO VITTORIO EMANUELE II 12", "C.so Vittorio Emanuele II 12"),
        ("V.LE DEI MILLE 3/A", "V.le dei Mille 3/A"),
        ("via xx settembre 20", "Via XX Settembre 20"),
        ("VIA DI VITTORIO 4", "Via Di Vittorio 4"),  # a surname's particle
        ("LOC. CASE SPARSE SNC", "Loc. Case Sparse snc"),
        ("Via del Corso 12", "Via del Corso 12"),  # mixed case: as typed
        ("1600 PENNSYLVANIA AVE NW", "1600 PENNSYLVANIA AVE NW"),  # not Italian: as typed
    ],
)
def test_an_italian_street_typed_in_one_case_is_written_as_addresses_are(typed, written):
    assert normalise_address(typed) == written
    assert normalise_row({"first_name": "Mario", "address": typed}, "IT").fields["address"] == (
        written
    )
