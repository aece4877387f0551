"""Rows of other tools' real exports, read and normalised as an import reads them."""

import io

import pytest

from crm.services import readers
from crm.services.rows import normalise_row, split_address_cell, split_full_name


def _rows(text: str, region: str = "IT"):
    """(raw row, normalised row) for each row of a CSV text."""
    _mapping, rows = readers.read_csv(io.BytesIO(text.encode()))
    return [(row.raw, normalise_row(row.values, region)) for row in rows]


# 1. The apostrophe spreadsheets put before a code to keep its leading zeros


def test_a_shopify_export_loses_the_text_apostrophe_of_its_codes_not_of_names():
    text = (
        "Customer ID,First Name,Last Name,Email,Default Address Address1,"
        "Default Address City,Default Address Country Code,Default Address Zip,Phone\n"
        "'7012345678901,Sean,O'Brien,sean@example.com,Via Torino 1,Milano,IT,'20121,"
        "'+393331234567\n"
    )
    [(raw, row)] = _rows(text)
    assert row.external_id == "7012345678901"
    assert row.fields["postcode"] == "20121"
    assert row.fields["last_name"] == "O'Brien"
    assert row.phones == ["+393331234567"]
    assert raw["Default Address Zip"] == "'20121"  # the raw payload keeps what came


def test_an_apostrophe_before_a_name_or_inside_it_stays():
    row = normalise_row({"first_name": "'Nduja", "last_name": "D'Amico"}, "IT")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("'Nduja", "D'Amico")


# 2. Several values in one cell, as Google Contacts writes them


def test_google_contacts_cells_with_several_values_keep_each_the_first_primary():
    text = (
        "Name,Given Name,Family Name,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Type,"
        "Phone 1 - Value,Labels\n"
        "Anna Rossi,Anna,Rossi,* Home ::: Work,anna@example.it ::: anna.rossi@acme.it,"
        "Mobile ::: Work,347 987 6543 ::: +39 011 555 1234,* myContacts ::: Clienti\n"
    )
    [(_raw, row)] = _rows(text)
    assert row.emails == ["anna@example.it", "anna.rossi@acme.it"]
    assert row.phones == ["+393479876543", "+390115551234"]
    assert row.tags == ["Clienti"]  # "* myContacts" is Google's own group
    assert row.warnings == []


# 3. A cell far longer than any profile field


def test_a_huge_cell_is_read_and_left_out_of_the_profile_with_a_warning():
    note = "lorem ipsum " * 20_000  # over Python csv's default field limit (131072)
    text = f'Name,Email,City,Notes\n{note[:3000]},a@example.it,"{note}",ok\n'
    [(raw, row)] = _rows(text)
    assert row.emails == ["a@example.it"]
    assert "city" not in row.fields and "first_name" not in row.fields
    assert ("city", "longer than 100 characters") in row.warnings
    assert ("full_name", "longer than 1000 characters") in row.warnings
    assert raw["City"] == note


def test_over_long_values_warn_by_field_and_never_reach_a_column():
    row = normalise_row(
        {
            "full_name": f"Anna {'X' * 150}",
            "company": "Acme " * 100,
            "birth_date": "1" * 5000,
            "phone": "333 1234567; " * 2000,
            "email": "anna@example.it",
        },
        "IT",
    )
    assert row.fields == {"first_name": "Anna"}
    assert row.emails == ["anna@example.it"] and row.phones == []
    assert row.warnings == [
        ("company", "longer than 200 characters"),
        ("birth_date", "longer than 1000 characters"),
        ("full_name", "last name longer than 100 characters"),
        ("phone", "longer than 10000 characters"),
    ]


# 4. Postcodes that lost their leading zeros


@pytest.mark.parametrize(
    ("values", "region", "expected"),
    [
        ({"postcode": "2108", "country": "United States"}, "IT", "02108"),
        ({"postcode": "183", "country": "Italia"}, "US", "00183"),
        ({"postcode": "183"}, "IT", "00183"),  # no country: the source's region
        ({"postcode": "2108"}, "US", "02108"),
        ({"postcode": "800", "country": "AU"}, "IT", "0800"),
        ({"postcode": "2108", "country": "GB"}, "US", "2108"),  # the row's country wins
        ({"postcode": "21", "country": "US"}, "US", "21"),  # too short to be a ZIP
    ],
)
def test_numeric_postcodes_get_their_countrys_leading_zeros_back(values, region, expected):
    assert normalise_row(values, region).fields["postcode"] == expected


# 5. Phones read in the row's own country


def test_phones_are_read_in_the_country_the_row_names():
    text = (
        "Name,Phone,Country\n"
        "Ann Lee,(312) 555-0190,United States\n"
        "Bob Ray,(312) 555-0191,US\n"
        "Anna Neri,333 123 4567,\n"
    )
    assert [row.phones for _raw, row in _rows(text)] == [
        ["+13125550190"],
        ["+13125550191"],
        ["+393331234567"],
    ]


def test_a_phone_that_reads_only_in_the_sources_region_is_kept_so():
    # An Italian mobile given by a customer living in Switzerland.
    row = normalise_row({"phone": "347 987 6543", "country": "Svizzera"}, "IT")
    assert row.phones == ["+393479876543"] and row.warnings == []
    # A country phonenumbers has no numbering plan for (the EU): the source's region.
    row = normalise_row({"phone": "347 987 6543", "country": "European Union"}, "IT")
    assert row.phones == ["+393479876543"] and row.warnings == []


# 6. Mailchimp's one-cell address


def test_a_mailchimp_address_cell_is_split_into_address_fields():
    text = (
        "Email Address,First Name,Last Name,Address,Phone Number,MEMBER_RATING,OPTIN_TIME\n"
        "a@example.it,Anna,Neri,Via Solferino 12  Milano MI 20121 IT,,2,2024-01-05 10:00\n"
        "b@example.com,Bob,Ray,123 Main St  Apt 4  Springfield  IL  62701  US,"
        "(217) 555-0100,2,2024-01-05 10:00\n"
    )
    (raw, anna), (_raw, bob) = _rows(text)
    assert anna.fields == {
        "first_name": "Anna",
        "last_name": "Neri",
        "address": "Via Solferino 12",
        "city": "Milano",
        "state": "MI",
        "postcode": "20121",
        "country": "IT",
    }
    assert bob.fields["address"] == "123 Main St"
    assert (bob.fields["address_line_2"], bob.fields["city"]) == ("Apt 4", "Springfield")
    assert (bob.fields["state"], bob.fields["postcode"], bob.fields["country"]) == (
        "IL",
        "62701",
        "US",
    )
    assert bob.phones == ["+12175550100"]  # read in the address's country
    assert raw["Address"] == "Via Solferino 12  Milano MI 20121 IT"


def test_an_address_cell_splits_only_when_its_parts_plainly_fit():
    # Empty parts keep their two spaces: the positions say which part is which.
    assert split_address_cell("Via Roma 1    Milano  MI  20121  IT") == {
        "address": "Via Roma 1",
        "city": "Milano",
        "state": "MI",
        "postcode": "20121",
        "country": "IT",
    }
    assert split_address_cell("10 Downing St  London SW1A 2AA  United Kingdom") == {
        "address": "10 Downing St",
        "city": "London",
        "postcode": "SW1A 2AA",
        "country": "United Kingdom",
    }
    for text in (
        "Via Roma  12",  # a typo's two spaces
        "Via Roma 1  Milano  20121",  # no country
        "Via Roma 1  Milano  IT",  # no postcode
        "Via Roma 1  Milano MI 20121 it",  # "it" is a word before it is a code
        "A  B  C  D  E  20121  IT",  # more parts than an address has
    ):
        assert split_address_cell(text) == {}, text


def test_an_address_cell_stays_whole_beside_a_city_or_postcode_of_its_own():
    values = {"address": "Via Roma 1  Milano  MI  20121  IT", "city": "Milano"}
    assert normalise_row(values, "IT").fields["address"] == "Via Roma 1 Milano MI 20121 IT"
    values = {"address": "Via Roma 1  Milano  MI  20121  IT", "postcode": "20121"}
    assert normalise_row(values, "IT").fields["address"] == "Via Roma 1 Milano MI 20121 IT"


# 7. Compound surnames and given names


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Dalla Costa Gian Luca", ("Gian Luca", "Dalla Costa")),
        ("De Luca Maria Grazia", ("Maria Grazia", "De Luca")),
        ("Di Stefano Anna", ("Anna", "Di Stefano")),
        ("Lo Russo Maria Grazia", ("Maria Grazia", "Lo Russo")),
        ("Van der Berg Anna Maria", ("Anna Maria", "Van der Berg")),
        ("Costa Gian Luca", ("Gian Luca", "Costa")),
        ("Rossi Mario", ("Mario", "Rossi")),
    ],
)
def test_surname_first_names_keep_particles_and_one_word_as_the_surname(full, expected):
    assert split_full_name(full, surname_first=True) == expected


def test_given_first_names_keep_compound_surnames_whole():
    assert split_full_name("Gian Luca Dalla Costa") == ("Gian Luca", "Dalla Costa")
    assert split_full_name("Anna Van der Berg") == ("Anna", "Van der Berg")
    assert split_full_name("Maria Grazia De Luca") == ("Maria Grazia", "De Luca")


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Maria Grazia", ("Maria Grazia", None)),
        ("Anna Maria", ("Anna Maria", None)),
        ("Gian Luca", ("Gian Luca", None)),
        ("Pier Paolo", ("Pier Paolo", None)),
        ("Anna Rita", ("Anna Rita", None)),
        ("Maria Rossi", ("Maria", "Rossi")),
        ("Anna Martino", ("Anna", "Martino")),
        ("Maria Grazia De Luca", ("Maria Grazia", "De Luca")),
    ],
)
def test_a_two_word_given_name_alone_is_no_first_name_and_surname(full, expected):
    # A "Nome" column read as whole names (no surname column) holds them too.
    assert split_full_name(full) == expected
