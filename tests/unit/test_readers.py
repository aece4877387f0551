"""Reading files: encodings, delimiters, quoted newlines, header synonyms, tool formats."""

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.services import readers
from crm.services.rows import normalise_row, split_address_cell
from tests import factories


def _read(text: str, encoding: str = "utf-8", **kwargs):
    mapping, rows = readers.read_csv(io.BytesIO(text.encode(encoding)), **kwargs)
    return mapping, list(rows)


def test_italian_headers_semicolons_and_windows_1252():
    text = (
        "Nome;Cognome;E-mail;Cellulare;CAP;Città;Provincia;Azienda;Data di nascita\r\n"
        "Nicolò;D'Angelo;n@x.it;333 1234567;20100;Milano;MI;Acme;31/12/1980\r\n"
    )
    mapping, rows = _read(text, "cp1252")
    assert mapping.columns == {
        "Nome": "first_name",
        "Cognome": "last_name",
        "E-mail": "email",
        "Cellulare": "phone",
        "CAP": "postcode",
        "Città": "city",
        "Provincia": "state",
        "Azienda": "company",
        "Data di nascita": "birth_date",
    }
    assert rows[0].values["first_name"] == "Nicolò"
    assert rows[0].values["city"] == "Milano"
    assert rows[0].number == 2


def test_utf8_bom_and_quoted_newlines_keep_row_numbers():
    text = (
        '\ufeffemail,first_name,address\n"a@x.it","Anna","Via Roma 1\nScala B"\n'
        "b@x.it,Bea,Via Po 2\n"
    )
    mapping, rows = _read(text)
    assert "email" in mapping.columns
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].values["address"] == "Via Roma 1\nScala B"


def test_tab_and_pipe_delimiters():
    for delimiter in ("\t", "|"):
        text = delimiter.join(["Email", "Name"]) + "\n" + delimiter.join(["a@x.it", "Ann"])
        mapping, rows = _read(text + "\n")
        assert mapping.columns == {"Email": "email", "Name": "full_name"}
        assert rows[0].values == {"email": "a@x.it", "full_name": "Ann"}


def test_short_row_is_reported_and_the_rest_still_reads():
    text = "email,first_name,last_name\na@x.it,Ann,Lee\nbroken-row\nc@x.it,Cy,Ode\n"
    _mapping, rows = _read(text)
    assert [r.number for r in rows] == [2, 3, 4]
    assert rows[1].error == "expected 3 columns, found 1"
    assert rows[2].values["email"] == "c@x.it"


def test_a_stray_quote_costs_its_own_row_only():
    text = (
        "Nome;Cognome;Email;Note\n"
        "Mario;Rossi;mario@x.it;ok\n"
        '"Anna;Neri;anna@x.it;stray quote\n'
        'Luca;Bianchi;luca@x.it;"line one\nline two"\n'
        'Paolo;Verdi;paolo@x.it;"Rossi; Mario"\n'
    )
    _mapping, rows = _read(text)
    assert [r.number for r in rows] == [2, 3, 4, 5]
    assert rows[1].error == "a quote opened in this row is not closed in it"
    assert rows[1].raw == {
        "Nome": '"Anna',
        "Cognome": "Neri",
        "Email": "anna@x.it",
        "Note": "stray quote",
    }
    assert [r.values.get("email") for r in rows[2:]] == ["luca@x.it", "paolo@x.it"]
    assert (
        rows[2].values
        == {
            "first_name": "Luca",
            "last_name": "Bianchi",
            "email": "luca@x.it",
        }
        and rows[2].raw["Note"] == "line one\nline two"
    )


def test_a_quote_never_closed_reads_on_only_so_far(monkeypatch):
    monkeypatch.setattr(readers, "RECORD_LINES", 5)
    body = "".join(f"p{n}@x.it,Name {n}\n" for n in range(20))
    _mapping, rows = _read('email,name\n"a@x.it,Stray\n' + body)
    assert rows[0].error == "a quote opened in this row is not closed in it"
    assert [r.values["email"] for r in rows[1:]] == [f"p{n}@x.it" for n in range(20)]
    assert [r.number for r in rows] == list(range(2, 23))


def test_a_cell_over_csvs_default_limit_leaves_the_rows_other_cells_readable():
    note = "x" * 200_000  # Python's csv refuses a field over 131072 characters by default
    _mapping, rows = _read(f'email,name,note\na@x.it,Anna Rossi,"{note}"\nb@x.it,Bea,\n')
    assert [r.error for r in rows] == [None, None]
    assert rows[0].values == {"email": "a@x.it", "full_name": "Anna Rossi"}
    assert rows[0].raw["note"] == note


def test_a_cell_over_the_raised_limit_is_still_refused_and_the_next_row_read(monkeypatch):
    usual = csv.field_size_limit()
    monkeypatch.setattr(readers, "FIELD_CHARS", 1000)
    try:
        _mapping, rows = _read(f"email,note\na@x.it,{'x' * 2000}\nb@x.it,ok\n")
    finally:
        csv.field_size_limit(usual)  # process-wide: the tests after this one read as usual
    assert "field larger than field limit" in rows[0].error
    assert rows[1].values == {"email": "b@x.it"}


def test_apostrophes_before_codes_are_not_taken_for_quotes():
    text = (
        "Customer ID,First Name,Last Name,Email,City,Zip,Phone\n"
        "'7012345678901,Sean,O'Brien,sean@example.com,Boston,'02108,'+16175550100\n"
        "'7012345678902,Anna,D'Amico,anna@example.it,Milano,'20121,'+393331234567\n"
    )
    _mapping, rows = _read(text)
    assert [r.error for r in rows] == [None, None]
    assert [r.raw["Zip"] for r in rows] == ["'02108", "'20121"]
    assert [r.values["last_name"] for r in rows] == ["O'Brien", "D'Amico"]
    assert rows[1].raw["Phone"] == "'+393331234567"
    # A file that does quote with apostrophes is still read so.
    _mapping, rows = _read("name,note\n'Anna','a, b'\n'Bea','c'\n")
    assert [r.raw["note"] for r in rows] == ["a, b", "c"]


def test_hubspot_export_is_recognised():
    text = (
        "Record ID,First Name,Last Name,Email,Phone Number,Company Name,"
        "Lifecycle Stage,Create Date,Legal basis for processing contact's data\n"
        "101,Ann,Lee,a@x.it,+39 333 1234567,Acme,marketingqualifiedlead,"
        "2024-01-02 10:00,Freely given consent from contact\n"
    )
    mapping, rows = _read(text)
    assert mapping.format == "hubspot"
    values = rows[0].values
    assert values["external_id"] == "101"
    assert values["stage"] == "marketingqualifiedlead"
    assert values["legal_basis"] == "Freely given consent from contact"


def test_mailchimp_export_is_recognised():
    text = (
        "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,"
        "CONFIRM_TIME,CONFIRM_IP,LEID,TAGS\n"
        "a@x.it,Ann,Lee,2,2023-05-01 10:00:00,198.51.100.7,2023-05-01 10:05:00,"
        '198.51.100.7,123,"vip,webinar"\n'
    )
    mapping, rows = _read(text)
    assert mapping.format == "mailchimp"
    values = rows[0].values
    assert values["email"] == "a@x.it"
    assert values["optin_ip"] == "198.51.100.7"
    assert values["tags"] == "vip,webinar"


def test_overrides_win_and_unknown_headers_are_listed():
    text = "Codice,Mystery\nX1,42\n"
    mapping, rows = _read(text, overrides={"Codice": "external_id"})
    assert mapping.columns == {"Codice": "external_id"}
    assert mapping.unmapped == ["Mystery"]
    assert rows[0].values == {"external_id": "X1"}
    assert rows[0].raw == {"Codice": "X1", "Mystery": "42"}


def test_jsonl_reports_bad_lines_and_reads_the_rest():
    text = '{"id": "1", "email": "a@x.it", "tags": ["a"]}\nnot json\n[1]\n{"Nome": "Bea"}\n'
    _mapping, rows = readers.read_jsonl(io.BytesIO(text.encode()))
    rows = list(rows)
    assert rows[0].values == {"external_id": "1", "email": "a@x.it", "tags": ["a"]}
    assert rows[1].error.startswith("invalid JSON")
    assert rows[2].error == "not a JSON object"
    assert rows[3].values == {"first_name": "Bea"}


def test_encoding_detection():
    assert readers.detect_encoding(b"\xef\xbb\xbfabc") == "utf-8-sig"
    assert readers.detect_encoding("città".encode()) == "utf-8"
    assert readers.detect_encoding("città".encode("cp1252")) == "cp1252"
    # A multi-byte character cut at the end of the sample is still UTF-8.
    assert readers.detect_encoding("aaa è".encode()[:-1], truncated=True) == "utf-8"


def test_jsonl_keeps_lists_of_emails_and_phones():
    text = (
        '{"id": "7", "email": ["a@x.it", "b@x.it"], "phones": ["+39 333 1234567"],'
        ' "emails": ["c@x.it"]}\n'
    )
    _mapping, rows = readers.read_jsonl(io.BytesIO(text.encode()))
    (row,) = list(rows)
    assert row.values["email"] == ["a@x.it", "b@x.it", "c@x.it"]
    assert row.values["phone"] == ["+39 333 1234567"]


def test_spreadsheets_and_binary_files_are_refused_with_advice():
    import pytest

    from crm.services.errors import ValidationError

    for data, words in (
        (b"PK\x03\x04rest-of-a-zip", "zipped file"),
        (b"\xd0\xcf\x11\xe0old-excel", "old Excel"),
        (b"%PDF-1.7\n...", "PDF"),
        (b"abc\x00\x01\x02", "not text"),
    ):
        with pytest.raises(ValidationError, match=words):
            readers.read_csv(io.BytesIO(data))


def test_public_benchmark_headers_map_without_a_mapping_file():
    # The FEBRL data sets' headers, as they come (with a space after each comma).
    text = (
        "rec_id, given_name, surname, street_number, address_1, address_2, suburb, "
        "postcode, state, date_of_birth, soc_sec_id\n"
        "rec-1070-org, michaela, neumann, 8, stanley street, miami, winston hills, 4223, "
        "nsw, 19151111, 5304218\n"
    )
    mapping, rows = _read(text)
    assert mapping.unmapped == []
    assert mapping.columns == {
        "rec_id": "external_id",
        "given_name": "first_name",
        "surname": "last_name",
        "street_number": "street_number",
        "address_1": "address",
        "address_2": "address_line_2",
        "suburb": "city",
        "postcode": "postcode",
        "state": "state",
        "date_of_birth": "birth_date",
        "soc_sec_id": "tax_id",
    }
    assert rows[0].values["tax_id"].strip() == "5304218"


def test_italian_tax_code_and_house_number_headers():
    mapping, _ = _read("Nome;Cognome;Indirizzo;Numero civico;Codice Fiscale\nA;B;Via Po;3;X\n")
    assert mapping.columns["Numero civico"] == "street_number"
    assert mapping.columns["Codice Fiscale"] == "tax_id"


# --- Other tools' exports: qualified, numbered and repeated columns -----------------------


@pytest.mark.parametrize(
    ("header", "field", "group"),
    [
        # Outlook, Google Contacts, Salesforce, Zoho
        ("E-mail 2 Address", "email", ""),
        ("Business Phone", "phone", ""),
        ("Home Postal Code", "postcode", "home"),
        ("Business Country/Region", "country", "business"),
        ("Mailing Zip/Postal Code", "postcode", "mailing"),
        ("Mailing State/Province", "state", "mailing"),
        ("E-mail 1 - Value", "email", ""),
        ("Phone 2 - Value", "phone", ""),
        ("Address 1 - Street", "address", "address 1"),
        ("Address 2 - City", "city", "address 2"),
        ("Organization 1 - Name", "company", ""),
        ("Organization Title", "job_title", ""),
        ("Account Name", "company", ""),
        # Shopify, WooCommerce, Stripe, Pipedrive, Brevo, Eventbrite
        ("Default Address Address1", "address", "default"),
        ("Default Address Province Code", "state", "default"),
        ("billing_address_2", "address_line_2", ""),  # a synonym as it stands
        ("shipping_address_2", "address_line_2", "shipping"),
        ("billing_first_name", "first_name", ""),
        ("Address Line1", "address", ""),
        ("Address Zip", "postcode", ""),
        ("Person - Email - Work", "email", ""),
        ("Person - Phone - Mobile", "phone", ""),
        ("Person - ID", "external_id", ""),
        ("LANDLINE_NUMBER", "phone", ""),
        ("Cell Phone", "phone", ""),
        ("Home Address 1", "address", "home"),
        # Public data sets (Splink's historical people, North Carolina voters)
        ("unique_id", "external_id", ""),
        ("res_street_address", "address", "res"),
        ("res_city_desc", "city", "res"),
        ("birth_place", "", ""),
        # Consent columns
        ("Accepts Email Marketing", "email_opt_in", ""),
        ("DOUBLE_OPT-IN", "email_opt_in", ""),
        ("Email Opt Out", "email_opt_out", ""),
        ("SMS Consent", "sms_opt_in", ""),  # the SMS marketing consent
        # Italian
        ("Indirizzo di residenza", "address", "residenza"),
        ("CAP di residenza", "postcode", "residenza"),
        ("Telefono cellulare", "phone", ""),
        ("Email aziendale", "email", ""),
    ],
)
def test_qualified_headers_of_other_tools_are_read(header, field, group):
    assert readers.interpret_header(header) == (field, group)


@pytest.mark.parametrize(
    "header",
    [
        "E-mail 1 - Type",  # the label of another column
        "Phone 1 - Label",
        "Business Fax",
        "Assistant's Phone",  # someone else's details
        "Manager's Name",
        "Company Main Phone",
        "Company Address",  # the company's, not a company name
        "Luogo di nascita",  # a birthplace is not where the person lives
        "ID Number",
        "Address 1 - Formatted",
    ],
)
def test_headers_about_something_else_stay_unmapped(header):
    assert readers.interpret_header(header) == ("", "")


OUTLOOK = (
    "First Name,Last Name,E-mail Address,E-mail 2 Address,Business Phone,Mobile Phone,"
    "Business Street,Business City,Business Postal Code,Home Street,Home City,Home Postal Code,"
    "Business Fax\n"
)


def test_every_email_and_phone_column_is_kept_the_first_as_primary():
    _, rows = _read(
        OUTLOOK + "Anna,Rossi,anna@acme.it,anna@home.it,02 1234567,333 1234567,,,,,,,02 999\n"
    )
    values = rows[0].values
    assert values["email"] == "anna@acme.it; anna@home.it"
    assert values["phone"] == "02 1234567; 333 1234567"
    assert "Business Fax" not in rows[0].values.values()


def test_a_row_takes_one_whole_address_the_first_it_has():
    _, rows = _read(
        OUTLOOK
        + "Anna,Rossi,,,,,Via Po 1,Torino,10121,Via Roma 2,Milano,20121,\n"
        + "Bruno,Bianchi,,,,,,,,Via Roma 2,Milano,20121,\n"
        + "Carla,Verdi,,,,,,Torino,,Via Roma 2,Milano,20121,\n"
    )
    business, home, mixed = (r.values for r in rows)
    assert (business["address"], business["city"], business["postcode"]) == (
        "Via Po 1",
        "Torino",
        "10121",
    )
    assert (home["address"], home["city"], home["postcode"]) == ("Via Roma 2", "Milano", "20121")
    # Only a business city: that address, without the home street or postcode beside it.
    assert (mixed["city"], mixed.get("address"), mixed.get("postcode")) == ("Torino", None, None)


def test_json_lines_keep_several_keys_of_one_list():
    row = readers.row_from_object(1, {"email": "a@x.it", "work_email": ["b@y.it"], "tags": "vip"})
    assert row.values == {"email": ["a@x.it", "b@y.it"], "tags": "vip"}


def test_excels_separator_line_names_the_delimiter_and_is_not_the_header():
    mapping, rows = _read("sep=;\r\nNome;Cognome;Email\r\nAnna;Rossi;a@x.it\r\n", "cp1252")
    assert mapping.columns == {"Nome": "first_name", "Cognome": "last_name", "Email": "email"}
    assert [(r.number, r.values["email"]) for r in rows] == [(3, "a@x.it")]
    mapping, _ = _read('\ufeff"sep=,"\nfirst_name,email\nAnna,a@x.it\n')
    assert list(mapping.columns) == ["first_name", "email"]


def test_a_json_array_is_read_an_object_at_a_time_and_a_bad_end_is_reported():
    data = (
        b'[\n {"id": "1", "email": "a@x.it", "score": 1.5},\n 7,\n {"name": "Anna Rossi"}, {"x": '
    )
    mapping, rows = readers.read_jsonl(io.BytesIO(data))
    rows = list(rows)
    assert mapping.format == "jsonl"
    assert [(r.number, r.values, r.error) for r in rows[:3]] == [
        (1, {"external_id": "1", "email": "a@x.it"}, None),
        (2, {}, "not a JSON object"),
        (3, {"full_name": "Anna Rossi"}, None),
    ]
    assert rows[3].number == 4 and rows[3].error.startswith("invalid JSON after item 3")
    assert readers.looks_like_json(b" \n[{", "export.txt")
    assert not readers.looks_like_json(b"id,email", "export.txt")


def _workbook(rows) -> io.BytesIO:
    """An .xlsx file in memory with rows on its first sheet."""
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


def test_an_xlsx_workbook_reads_like_a_csv_export_of_it():
    from datetime import datetime

    data = _workbook(
        [
            ["Contacts exported 2026-11-26"],  # a report's title line
            [],
            ["Nome", "Cognome", "Cellulare", "CAP", "Data di nascita", "Newsletter"],
            ["Anna", "Rossi", 3331234567.0, 20121, datetime(1985, 3, 14), True],
            [None, None, None, None, None, None],
            ["Bruno", "Bianchi", "+39 02 1234567", "00184", "14/03/1980", False],
        ]
    )
    assert readers.is_workbook(data) and data.tell() == 0
    mapping, rows = readers.read_xlsx(data)
    rows = list(rows)
    assert mapping.headers[:2] == ["Nome", "Cognome"]
    assert mapping.columns["Newsletter"] == "email_opt_in"
    assert [r.number for r in rows] == [4, 6]
    assert rows[0].values == {
        "first_name": "Anna",
        "last_name": "Rossi",
        "phone": "3331234567",
        "postcode": "20121",
        "birth_date": "1985-03-14",
        "email_opt_in": "true",
    }
    assert rows[1].values["postcode"] == "00184"


def test_a_zip_that_is_no_workbook_is_not_read_as_one():
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("contacts.csv", "email\na@x.it\n")
    assert not readers.is_workbook(data)
    assert not readers.is_workbook(io.BytesIO(b"email\na@x.it\n"))


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(alphabet="abcdeilmnoprstuyz0123456789 -_/#.'", max_size=40))
def test_any_header_reads_as_a_known_field_or_nothing(header):
    field, group = readers.interpret_header(header)
    assert field in readers.SYNONYMS or field == ""
    assert group == "" or field in readers.ADDRESS_FIELDS


# Zip archives (a Mailchimp audience export)


def test_mailchimp_address_cell_splits_into_its_parts():
    # Split as the row is normalised (rows.split_address_cell), whatever tool wrote it.
    assert split_address_cell("Via Roma 1  Scala B  Milano  MI  20121  IT") == {
        "address": "Via Roma 1",
        "address_line_2": "Scala B",
        "city": "Milano",
        "state": "MI",
        "postcode": "20121",
        "country": "IT",
    }
    assert split_address_cell("1701 Bristol Ave.  Barrington  RI  02806  USA") == {
        "address": "1701 Bristol Ave.",
        "city": "Barrington",
        "state": "RI",
        "postcode": "02806",
        "country": "USA",
    }
    assert split_address_cell("Via Roma 1, Milano") == {}
    assert split_address_cell("Via Roma 1  Milano") == {}


def test_archive_members_are_its_tables_in_order_without_macos_leftovers():
    import zipfile

    data = io.BytesIO(
        factories.zip_of(
            {
                "b.csv": "email\n",
                "__MACOSX/._b.csv": b"\x00\x05",
                ".hidden.csv": "email\n",
                "notes.pdf": b"%PDF",
                "sub/a.jsonl": "{}\n",
                "a.xlsx": b"",
            }
        )
    )
    with zipfile.ZipFile(data) as archive:
        assert readers.archive_members(archive) == ["b.csv", "sub/a.jsonl", "a.xlsx"]
    data.seek(0)
    assert readers.is_archive(data) and data.tell() == 0
    assert not readers.is_archive(_workbook([["email"], ["a@x.it"]]))
    assert readers.mailchimp_status("x/unsubscribed_members_export_1.csv") == "unsubscribed"
    assert readers.mailchimp_status("nonsubscribed_email_audience_export.csv") == "nonsubscribed"
    assert readers.mailchimp_status("subscribed_members_export_1.csv") == "subscribed"
    assert readers.mailchimp_status("contacts.csv") is None


def test_a_mailchimp_export_zip_reads_every_file_with_its_status():
    data = io.BytesIO(factories.zip_of(factories.MAILCHIMP_EXPORT))
    mapping, rows = readers.read_archive(data)
    rows = list(rows)
    assert mapping.format == "mailchimp"
    assert mapping.columns["UNSUB_TIME"] == "unsub_time"  # from the second file
    assert "CLEAN_TIME" in mapping.headers
    assert [(r.file.split("_")[0], r.number) for r in rows] == [
        ("subscribed", 2),
        ("subscribed", 3),
        ("unsubscribed", 2),
        ("cleaned", 2),
    ]
    assert [r.values["subscription_status"] for r in rows] == [
        "subscribed",
        "subscribed",
        "unsubscribed",
        "cleaned",
    ]
    first = normalise_row(rows[0].values, "IT").fields
    assert (first["address"], first["address_line_2"], first["city"]) == (
        "Via Roma 1",
        "Scala B",
        "Milano",
    )
    assert (first["postcode"], first["state"], first["country"]) == ("20121", "MI", "IT")
    assert rows[0].raw["Address"] == "Via Roma 1  Scala B  Milano  MI  20121  IT"


def test_archives_that_cannot_be_imported_say_why():
    from crm.services.errors import ValidationError

    cases = (
        (b"PK\x03\x04rest-of-a-zip", "cannot be read"),
        (factories.zip_of({"report.pdf": b"%PDF-1.7"}), "holds no CSV"),
        (factories.zip_of({f"part{n}.csv": "email\n" for n in range(101)}), "at most 100"),
        (factories.zip_of({"ok.csv": "email\na@x.it\n", "bad.csv": b"\x00\x01\x02"}), "bad.csv"),
    )
    for data, words in cases:
        with pytest.raises(ValidationError, match=words):
            readers.read_archive(io.BytesIO(data))
    # An encrypted member says so in its flags (bit 0), which zipfile cannot write.
    locked = bytearray(factories.zip_of({"contacts.csv": "email\na@x.it\n"}))
    locked[6] |= 0x1  # the local header's flags
    central = locked.index(b"PK\x01\x02")
    locked[central + 8] |= 0x1  # the central directory's
    with pytest.raises(ValidationError, match="password"):
        readers.read_archive(io.BytesIO(bytes(locked)))


def test_a_workbook_inside_a_zip_reads_like_the_workbook_alone():
    book = _workbook([["E-mail", "Nome"], ["eva@example.it", "Eva"]]).getvalue()
    data = io.BytesIO(factories.zip_of({"export/contatti.xlsx": book}))
    mapping, rows = readers.read_archive(data)
    rows = list(rows)
    assert mapping.columns == {"E-mail": "email", "Nome": "first_name"}
    assert [(r.file, r.number, r.values) for r in rows] == [
        ("export/contatti.xlsx", 2, {"email": "eva@example.it", "first_name": "Eva"})
    ]


def test_italian_opt_in_headers_map_to_the_email_marketing_opt_in():
    mapping = readers.map_headers(["Email", "Accetta marketing", "Iscritto newsletter"], "csv")
    assert mapping.columns["Accetta marketing"] == "email_opt_in"
