"""Row values of other tools' exports: one-line addresses, consent times and states,
phones written with their calling code but no "+", empty-date markers."""

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import ConsentRecord
from crm.services import consent_ledger, ingest, profiles, rows
from crm.services.rows import (
    consent_from_columns,
    consent_from_row,
    normalise_row,
    parse_time,
    read_phone,
    split_address_cell,
)

# 1. A postal address written on one line, its parts apart by commas


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "Via Emilia 45, 43121 Parma PR, Italia",
            {
                "address": "Via Emilia 45",
                "postcode": "43121",
                "city": "Parma",
                "state": "PR",
                "country": "Italia",
            },
        ),
        (
            "Corso Vittorio Emanuele II, 5, 10121 Torino TO, Italia",
            {
                "address": "Corso Vittorio Emanuele II, 5",
                "postcode": "10121",
                "city": "Torino",
                "state": "TO",
                "country": "Italia",
            },
        ),
        (
            "Piazza del Duomo 1, 20122 Milano (MI), Italy",
            {
                "address": "Piazza del Duomo 1",
                "postcode": "20122",
                "city": "Milano",
                "state": "MI",
                "country": "Italy",
            },
        ),
        (
            "1600 Amphitheatre Pkwy, Mountain View, CA 94043, USA",
            {
                "address": "1600 Amphitheatre Pkwy",
                "city": "Mountain View",
                "state": "CA",
                "postcode": "94043",
                "country": "USA",
            },
        ),
        (
            "350 Fifth Avenue, New York NY 10118-0110, United States",
            {
                "address": "350 Fifth Avenue",
                "city": "New York",
                "state": "NY",
                "postcode": "10118-0110",
                "country": "United States",
            },
        ),
        (
            "10 Downing St, London SW1A 2AA, UK",
            {"address": "10 Downing St", "city": "London", "postcode": "SW1A 2AA", "country": "UK"},
        ),
        (
            "10 Downing St, London, SW1A 2AA, United Kingdom",
            {
                "address": "10 Downing St",
                "city": "London",
                "postcode": "SW1A 2AA",
                "country": "United Kingdom",
            },
        ),
        (
            "Hauptstr. 5, 10115 Berlin, Deutschland",
            {
                "address": "Hauptstr. 5",
                "postcode": "10115",
                "city": "Berlin",
                "country": "Deutschland",
            },
        ),
        (
            "Prinsengracht 263, 1016 GV Amsterdam, Nederland",
            {
                "address": "Prinsengracht 263",
                "postcode": "1016 GV",
                "city": "Amsterdam",
                "country": "Nederland",
            },
        ),
    ],
)
def test_a_one_line_address_is_split_at_its_commas(cell, expected):
    assert split_address_cell(cell) == expected


@pytest.mark.parametrize(
    "cell",
    [
        "Via Roma 1, Milano",  # no postcode: the city cannot be told from the street
        "Via Roma 1, Milano, Italia",
        "Via XX Settembre 12, Genova",
        "Via Emilia 45, 4312 Parma PR, Italia",  # not an Italian postcode
        "10 Downing St, London SW1A 2AA, Italia",  # a British postcode in Italy
        "Via Roma 1, 20121, Italia",  # a postcode and no city
        "Via Roma 1, 20121 Milano 2, Italia",  # a city with a number is no city
        "20121 Milano, Italia",  # no street
        "Via Roma 1, Scala B, 20121, Italia",  # Italians write the postcode first
        "Via Roma 1, Milano 20121, Italia",
        "Via Roma 1, 20121 PR, Italia",  # a province and no city
        "1600 Amphitheatre Pkwy, 94043 Mountain View CA, USA",
        "Via Emilia 45, 43121 Parma PR, Atlantide",  # the last part is no country
    ],
)
def test_a_one_line_address_that_cannot_be_told_apart_is_not_split(cell):
    assert split_address_cell(cell) == {}


def test_a_one_line_address_without_a_country_reads_its_postcode_by_the_rows_country():
    cell = "Via Emilia 45, 43121 Parma PR"
    assert split_address_cell(cell, country="IT") == {
        "address": "Via Emilia 45",
        "postcode": "43121",
        "city": "Parma",
        "state": "PR",
    }
    assert split_address_cell("10 Downing St, London SW1A 2AA", country="IT") == {}
    assert split_address_cell("1 Main St, Springfield, IL 62701", country="IT") == {}
    assert split_address_cell("1 Main St, Springfield, IL 62701", country="US") == {
        "address": "1 Main St",
        "city": "Springfield",
        "state": "IL",
        "postcode": "62701",
    }
    assert split_address_cell(cell) == {}  # no country at all: postcodes of none


def test_a_pipedrive_postal_address_becomes_address_fields():
    values = {"first_name": "Chiara", "address": "Via Emilia 45, 43121 Parma PR, Italia"}
    row = normalise_row(values, "IT")
    assert row.fields == {
        "first_name": "Chiara",
        "address": "Via Emilia 45",
        "postcode": "43121",
        "city": "Parma",
        "state": "PR",
        "country": "IT",
    }
    assert row.warnings == []


def test_a_one_line_address_without_a_country_is_read_in_the_sources_region():
    row = normalise_row({"address": "Via Emilia 45, 43121 Parma PR"}, "IT")
    assert (row.fields["address"], row.fields["postcode"], row.fields["city"]) == (
        "Via Emilia 45",
        "43121",
        "Parma",
    )
    assert "country" not in row.fields  # a region says how phones read, not where one lives
    row = normalise_row({"address": "Hauptstr. 5, 10115 Berlin", "country": "DE"}, "IT")
    assert (row.fields["postcode"], row.fields["city"], row.fields["country"]) == (
        "10115",
        "Berlin",
        "DE",
    )


def test_a_one_line_address_stays_whole_beside_a_city_or_postcode_of_its_own():
    cell = "Via Emilia 45, 43121 Parma PR, Italia"
    for own in ({"city": "Parma"}, {"postcode": "43121"}):
        row = normalise_row({"address": cell, **own}, "IT")
        assert row.fields["address"] == cell, own
        assert "state" not in row.fields
    # A country the row names but nobody knows the postcodes of: nothing can be told.
    row = normalise_row({"address": "Via Emilia 45, 43121 Parma PR", "country": "Atlantis"}, "IT")
    assert row.fields["address"] == "Via Emilia 45, 43121 Parma PR"


def test_the_country_a_one_line_address_names_is_the_addresss():
    # As in Mailchimp's cell: the address says where it is, whatever another column says.
    row = normalise_row({"address": "Via Emilia 45, 43121 Parma PR, Italia", "country": "DE"}, "IT")
    assert (row.fields["city"], row.fields["country"]) == ("Parma", "IT")


def test_an_address_books_cell_of_several_lines_is_split_as_one_line():
    cell = "Via Emilia 45\n43121 Parma PR\nItalia\n"
    assert split_address_cell(cell) == {
        "address": "Via Emilia 45",
        "postcode": "43121",
        "city": "Parma",
        "state": "PR",
        "country": "Italia",
    }


# 2. Mailchimp members the account's owner imported: subscribed, with no opt-in time


def test_a_subscribed_mailchimp_member_without_opt_in_times_is_an_undated_grant():
    fact = consent_from_row(
        "mailchimp", {"email": "p@example.it", "subscription_status": "subscribed"}
    )
    assert (fact.status, fact.legal_basis, fact.recorded_at) == ("granted", "consent", None)
    assert fact.evidence["status"] == "subscribed"
    # No status and no times says nothing; a status that is no consent says none either.
    assert consent_from_row("mailchimp", {"email": "p@example.it"}) is None
    assert consent_from_row("mailchimp", {"subscription_status": "pending"}) is None


def test_an_imported_subscriber_is_granted_stamped_when_imported(app):
    text = (
        "Email Address,First Name,MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,STATUS,LEID\n"
        "p@example.it,Paolo,2,,,subscribed,7\n"
    )
    stream = io.BytesIO(text.encode())
    ingest.import_stream(stream, filename="members.csv", source_name="mailchimp")
    profile = profiles.search_profiles("p@example.it")[0][0]
    assert profiles.current_consents([profile.id])[profile.id]["email_marketing"] == "granted"
    grant = db.session.scalars(select(ConsentRecord)).one()
    assert grant.evidence["time"] == consent_ledger.UNDATED
    assert grant.evidence["status"] == "subscribed"


# 3. Consent times written as the file writes its dates, and dates without a time


def test_consent_times_follow_the_files_date_order():
    assert parse_time("03/04/2023 10:00") == datetime(2023, 4, 3, 10, 0, tzinfo=UTC)
    assert parse_time("03/04/2023 10:00", month_first=True) == datetime(
        2023, 3, 4, 10, 0, tzinfo=UTC
    )
    # A time only the other order reads is read so, as dates are.
    assert parse_time("03/14/2023 10:00") == datetime(2023, 3, 14, 10, 0, tzinfo=UTC)
    assert parse_time("14/03/2023 10:00:30", month_first=True) == datetime(
        2023, 3, 14, 10, 0, 30, tzinfo=UTC
    )
    assert parse_time("3/15/2023 2:05 PM") == datetime(2023, 3, 15, 14, 5, tzinfo=UTC)
    assert parse_time("2023-04-03T10:00:00Z") == datetime(2023, 4, 3, 10, 0, tzinfo=UTC)


def test_a_consent_date_without_a_time_is_that_day():
    assert parse_time("03/04/2023") == datetime(2023, 4, 3, tzinfo=UTC)
    assert parse_time("03/04/2023", month_first=True) == datetime(2023, 3, 4, tzinfo=UTC)
    assert parse_time("3.4.2023") == datetime(2023, 4, 3, tzinfo=UTC)
    assert parse_time("2023-04-03") == datetime(2023, 4, 3, tzinfo=UTC)
    for text in ("03/04", "tomorrow", "03/04/2023 25:00"):
        with pytest.raises(ValueError):
            parse_time(text)


def test_an_italian_consent_column_gives_its_date_day_first():
    fact, warnings = consent_from_columns({"email_opt_in": "03/04/2023"})
    assert warnings == []
    assert (fact.status, fact.recorded_at) == ("granted", datetime(2023, 4, 3, tzinfo=UTC))
    fact, _ = consent_from_columns({"email_opt_in": "03/04/2023 10:00"}, month_first=True)
    assert fact.recorded_at == datetime(2023, 3, 4, 10, 0, tzinfo=UTC)
    fact = consent_from_row("mailchimp", {"optin_time": "03/04/2023 10:00"})
    assert fact.recorded_at == datetime(2023, 4, 3, 10, 0, tzinfo=UTC)


def test_an_empty_date_marker_in_a_consent_column_states_nothing():
    for marker in ("0/0/00", "00/00/0000", "0000-00-00 00:00:00"):
        assert consent_from_columns({"email_opt_in": marker}) == (None, [])
        assert parse_time(marker) is None


@pytest.mark.parametrize(
    ("said", "status"),
    [
        ("Acconsento", "granted"),  # the Italian privacy form's words
        ("Non acconsento", "refused"),  # the Italian privacy form's no
        ("No consent", None),  # Pipedrive's marketing status
        ("Archived", None),
        ("Unsubscribed", "withdrawn"),
    ],
)
def test_the_words_of_forms_and_tools_consent_columns_are_understood(said, status):
    fact, warnings = consent_from_columns({"email_opt_in": said})
    assert warnings == []
    assert (fact.status if fact else None) == status


# 4. Phones written with their calling code and no "+" (Brevo's SMS column, spreadsheets)


def test_a_number_with_its_calling_code_and_no_plus_is_read_as_international():
    assert read_phone("4915112345678", None, "IT") == "+4915112345678"
    assert read_phone("447911123456", None, "IT") == "+447911123456"
    assert read_phone("'4915112345678", None, "US") == "+4915112345678"
    assert read_phone("393394445566", None, "IT") == "+393394445566"
    row = normalise_row({"phone": "4915112345678", "email": "anna@example.de"}, "IT")
    assert row.phones == ["+4915112345678"] and row.warnings == []


def test_a_valid_national_reading_wins_over_an_international_one():
    # Valid as an Italian mobile and as a Belgian number (+32 81 ...): Italian here.
    assert read_phone("3281234567", None, "IT") == "+393281234567"
    # The row's own country reads it first, the source's next, and only then "+".
    assert read_phone("3281234567", "FR", "IT") == "+393281234567"
    assert read_phone("4155552671", None, "US") == "+14155552671"


def test_national_numbers_are_never_read_as_international():
    # A calling code never starts with 0: an Italian landline stays Italian or invalid.
    assert read_phone("0521234567", None, "IT") == "+390521234567"
    with pytest.raises(ValueError):
        read_phone("05212", None, "IT")
    # An Italian landline a spreadsheet lost the leading 0 of is no New Zealand number.
    with pytest.raises(ValueError):
        read_phone("6498956489", None, "IT")
    # Berlin's 030 written with +49 but no "+", or Padova's 049 without its 0: not told.
    with pytest.raises(ValueError):
        read_phone("4930123456", None, "IT")
    # Written with separators, it is a national number (as written) or none.
    with pytest.raises(ValueError):
        read_phone("49 151 12345678", None, "IT")


# 5. Empty-date markers of other tools


@pytest.mark.parametrize("marker", ["0/0/00", "00/00/0000", "0000-00-00", "00.00.0000"])
def test_an_empty_date_marker_is_no_date_and_no_warning(marker):
    row = normalise_row({"email": "m@example.it", "birth_date": marker}, "IT")
    assert "birth_date" not in row.fields and row.warnings == []
    row = normalise_row({"email": "m@example.it", "birth_date": marker}, "US", month_first=True)
    assert "birth_date" not in row.fields and row.warnings == []


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        # A province after a comma is the province, not a country (FR is Frosinone).
        (
            "Via Roma 2, 03100 Frosinone, FR",
            {"address": "Via Roma 2", "postcode": "03100", "city": "Frosinone", "state": "FR"},
        ),
        (
            "Via Emilia 45, 20121 Milano MI Italia",
            {
                "address": "Via Emilia 45",
                "postcode": "20121",
                "city": "Milano",
                "state": "MI",
                "country": "Italia",
            },
        ),
        (
            "Via Emilia 45, 20121 - Milano (MI)",
            {"address": "Via Emilia 45", "postcode": "20121", "city": "Milano", "state": "MI"},
        ),
    ],
)
def test_one_line_italian_addresses_keep_their_province(cell, expected):
    assert split_address_cell(cell, country="IT") == expected


def test_an_italian_time_of_day_is_read():
    assert parse_time("03/04/2023 10.00") == datetime(2023, 4, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "Rue de Rivoli 5, 75008 Paris, FR",
            {"address": "Rue de Rivoli 5", "postcode": "75008", "city": "Paris", "country": "FR"},
        ),
        (
            "Via Roma 1, 00100 Roma, RM, Italia",
            {
                "address": "Via Roma 1",
                "postcode": "00100",
                "city": "Roma",
                "state": "RM",
                "country": "Italia",
            },
        ),
    ],
)
def test_a_country_code_after_a_foreign_street_is_the_country(cell, expected):
    assert split_address_cell(cell, country="IT") == expected


@pytest.mark.parametrize(
    "values",
    [
        {"email": "a@example.it", "email_opt_in": "Cleaned"},
        {"email": "a@example.it", "subscription_status": "bounced"},
        {"email": "a@example.it", "marketing_status": "Hard bounce"},
        {"email": "a@example.it", "clean_time": "2024-02-01 08:00"},
    ],
)
def test_a_bounced_address_is_marked_and_is_no_withdrawal_of_consent(values):
    row = rows.normalise_row(values, "IT")
    assert row.bounced and row.record_fields()["bounced"] is True
    fact, warnings = rows.consent_from_columns(values)
    assert (fact, warnings) == (None, [])


def test_a_row_without_an_email_keeps_no_bounce_mark():
    row = rows.normalise_row({"phone": "333 1234567", "email_opt_in": "cleaned"}, "IT")
    assert "bounced" not in row.record_fields()


@pytest.mark.parametrize(
    ("email", "known"),
    [
        ("anna@gmial.com", "gmail.com"),
        ("anna@libero.ti", "libero.it"),
        ("a@hotmial.it", "hotmail.it"),
    ],
)
def test_an_email_at_a_mistyped_webmail_domain_is_kept_and_reported(email, known):
    row = rows.normalise_row({"email": email}, "IT")
    assert row.emails == [email]
    assert row.warnings == [
        ("email", f"kept as written, but its domain looks like a typo of {known}")
    ]


@pytest.mark.parametrize("email", ["anna@gmail.com", "anna@mail.com", "anna@acme.it", "a@gmail.it"])
def test_real_domains_are_no_typos(email):
    assert rows.normalise_row({"email": email}, "IT").warnings == []
