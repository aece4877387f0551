"""Reading files that repeat a header, name countries in other languages, hold several
sheets, or give birthdays without a year."""

import io

import pytest

from crm.services import readers
from crm.services.normalise import NO_YEAR, normalise_country, normalise_date
from crm.services.rows import normalise_row
from tests import factories


def _read(text: str, **kwargs):
    mapping, rows = readers.read_csv(io.BytesIO(text.encode()), **kwargs)
    return mapping, list(rows)


def _workbook(sheets: dict[str, list[list]]) -> io.BytesIO:
    """An .xlsx file with these sheets (title -> rows), in order, as an open stream."""
    return io.BytesIO(factories.workbook(sheets))


def test_columns_sharing_a_header_each_keep_their_values():
    mapping, rows = _read("Email,Email,Name,Name\na1@example.it,a2@example.it,Anna,Neri\n")
    assert mapping.headers == ["Email", "Email (2)", "Name", "Name (2)"]
    assert rows[0].raw == {
        "Email": "a1@example.it",
        "Email (2)": "a2@example.it",
        "Name": "Anna",
        "Name (2)": "Neri",
    }
    # Two email columns are fine (a list field); a second full name is left for the
    # person importing to map, and the mapping says so.
    assert mapping.columns == {"Email": "email", "Email (2)": "email", "Name": "full_name"}
    assert mapping.unmapped == ["Name (2)"]
    assert mapping.repeated == {"Email": ["Email", "Email (2)"], "Name": ["Name", "Name (2)"]}
    assert normalise_row(rows[0].values, "IT").emails == ["a1@example.it", "a2@example.it"]


def test_columns_sharing_a_header_can_be_mapped_one_by_one():
    overrides = {"Name": "first_name", "Name (2)": "last_name"}
    _mapping, rows = _read("Email,Name,Name\na@example.it,Anna,Neri\n", overrides=overrides)
    assert rows[0].values == {"email": "a@example.it", "first_name": "Anna", "last_name": "Neri"}


def test_a_repeated_header_is_numbered_apart_from_the_files_own_names():
    assert readers.distinct_headers(["Tel", "Tel", "Tel (2)", "", ""]) == [
        "Tel",
        "Tel (3)",
        "Tel (2)",
        "",
        "(2)",
    ]


def test_a_repeated_column_is_read_as_its_first_not_by_its_number():
    mapping = readers.map_headers(
        readers.distinct_headers(["Address", "Address", "Business Name", "Business Name"])
    )
    # Not "Address 2" (a second line) nor a person's "Name": the same as its first column.
    assert mapping.columns == {"Address": "address", "Business Name": "company"}
    assert mapping.unmapped == ["Address (2)", "Business Name (2)"]


def test_columns_sharing_a_header_in_a_workbook_keep_their_values():
    data = _workbook({"Foglio1": [["E-mail", "E-mail"], ["a1@example.it", "a2@example.it"]]})
    mapping, rows = readers.read_xlsx(data)
    rows = list(rows)
    assert mapping.columns == {"E-mail": "email", "E-mail (2)": "email"}
    assert rows[0].values["email"] == "a1@example.it; a2@example.it"


def test_a_workbook_reads_the_sheets_of_its_columns_and_names_the_others():
    data = _workbook(
        {
            "Clienti": [["Nome", "Cognome", "Email"], ["Rita", "Levi", "rita@example.it"]],
            "Empty": [],
            "Foglio2": [["Email", "Nome"], ["secondo@example.it", "Secondo"]],
            "Listino": [["Prodotto", "Prezzo"], ["Penna", "2"]],
        }
    )
    mapping, rows = readers.read_xlsx(data)
    rows = list(rows)
    assert (mapping.sheets, mapping.other_sheets) == (["Clienti", "Foglio2"], ["Listino"])
    assert [(r.file, r.number, r.values["email"]) for r in rows] == [
        ("Clienti", 2, "rita@example.it"),
        ("Foglio2", 2, "secondo@example.it"),
    ]
    assert rows[1].values["first_name"] == "Secondo"


def test_a_workbook_of_one_sheet_names_no_sheet_on_its_rows():
    data = _workbook({"Foglio1": [["Nome", "Email"], ["Rita", "rita@example.it"]], "Vuoto": []})
    mapping, rows = readers.read_xlsx(data)
    assert (mapping.sheets, mapping.other_sheets) == (["Foglio1"], [])
    assert [r.file for r in rows] == [None]


def test_a_workbook_in_an_archive_names_its_member_and_sheet():
    book = _workbook(
        {"A": [["Nome", "Email"], ["Rita", "rita@example.it"]], "B": [["Email"], ["b@example.it"]]}
    ).getvalue()
    data = _workbook({"Note": [["Testo", "Data"], ["x", "y"]], "B": [["Email"], ["b@example.it"]]})
    archive = factories.zip_of({"clienti.xlsx": book, "altro.xlsx": data.getvalue()})
    mapping, rows = readers.read_archive(io.BytesIO(archive))
    rows = list(rows)
    assert [r.file for r in rows] == ["clienti.xlsx, A", "clienti.xlsx, B", "altro.xlsx"]
    # altro.xlsx's list is its sheet B, which names who its rows are; not its notes.
    assert rows[-1].values == {"email": "b@example.it"}
    assert mapping.other_sheets == ["altro.xlsx, Note"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Deutschland", "DE"),
        ("Österreich", "AT"),
        ("OESTERREICH", "AT"),  # German without umlauts
        ("Schweiz", "CH"),
        ("Suisse", "CH"),
        ("Allemagne", "DE"),
        ("Alemania", "DE"),
        ("España", "ES"),
        ("Royaume-Uni", "GB"),
        ("Estados Unidos", "US"),
        ("Polska", "PL"),
        ("Italia", "IT"),
        ("Germany", "DE"),
    ],
)
def test_country_names_of_the_commonest_european_languages_are_recognised(name, code):
    assert normalise_country(name) == code


def test_a_german_file_reads_phones_and_postcodes_in_each_rows_country():
    berlin = normalise_row(
        {"phone": "030 1234567", "postcode": "10115", "country": "Deutschland"}, "IT"
    )
    vienna = normalise_row(
        {"phone": "0664 1234567", "postcode": "1010", "country": "Österreich"}, "IT"
    )
    assert (berlin.phones, berlin.fields["country"], berlin.warnings) == (
        ["+49301234567"],
        "DE",
        [],
    )
    assert (vienna.phones, vienna.fields["postcode"], vienna.fields["country"]) == (
        ["+436641234567"],
        "1010",
        "AT",
    )


def test_a_postcode_is_padded_by_the_rows_own_country_only():
    def postcode(**values) -> str:
        return normalise_row({"email": "a@example.it", **values}, "IT").fields["postcode"]

    assert postcode(postcode="184") == "00184"  # no country: the source's (Italy)
    assert postcode(postcode="1067", country="Deutschland") == "01067"
    assert postcode(postcode="1010", country="AT") == "1010"
    # A country that is not recognised may write postcodes of any length.
    assert postcode(postcode="1010", country="Narnia") == "1010"


@pytest.mark.parametrize("written", ["03/15", "12/31", "15.03.", "--03-15", "15 March", "März 3"])
def test_a_birthday_without_a_year_is_left_out_with_its_own_reason(written):
    with pytest.raises(ValueError, match=f"^{NO_YEAR}$"):
        normalise_date(written)
    row = normalise_row({"email": "a@example.it", "birth_date": written}, "IT")
    assert "birth_date" not in row.fields
    assert row.warnings == [("birth_date", "a birthday without a year is not a birth date")]


@pytest.mark.parametrize("written", ["13/13", "02/30", "1985", "soon"])
def test_a_value_that_is_no_day_of_the_year_is_still_an_unrecognised_date(written):
    with pytest.raises(ValueError, match="^unrecognised date$"):
        normalise_date(written)


def test_a_mailchimp_birthday_column_warns_that_it_has_no_year():
    text = "Email Address,First Name,Birthday,MEMBER_RATING,OPTIN_TIME\na@example.it,Ada,03/15,2,\n"
    mapping, rows = _read(text)
    assert (mapping.format, mapping.columns["Birthday"]) == ("mailchimp", "birth_date")
    warnings = normalise_row(rows[0].values, "IT").warnings
    assert warnings == [("birth_date", NO_YEAR)]


def test_cells_right_of_a_sheets_last_header_are_kept_in_the_raw_row():
    data = _workbook({"Foglio1": [["Nome", "Email"], ["Rita", "rita@example.it", "chiamare lunedì"],
                                  [None, None, "solo una nota"]]})  # fmt: skip
    _mapping, rows = readers.read_xlsx(data)
    first, second = list(rows)
    assert first.raw["_extra_0"] == "chiamare lunedì" and first.values["email"] == "rita@example.it"
    assert second.raw == {"Nome": "", "Email": "", "_extra_0": "solo una nota"}


def test_the_czech_republics_older_names_are_read():
    from crm.services.normalise import normalise_country

    names = ("Czech Republic", "República Checa", "Repubblica Ceca", "Tschechische Republik")
    assert {normalise_country(name) for name in names} == {"CZ"}


def _stating_size(data: bytes, size: str) -> io.BytesIO:
    """The workbook data with each sheet's stated size (<dimension ref>) set to size, as
    tools that write .xlsx files by hand get it wrong."""
    import re
    import zipfile

    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                content = re.sub(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{size}"'.encode(), content
                )
            target.writestr(item, content)
    out.seek(0)
    return out


def test_a_workbook_stating_too_small_a_size_is_read_whole():
    rows = [["Nome", "Cognome", "Email"]] + [
        [f"Nome{i}", f"Cognome{i}", f"p{i}@example.it"] for i in range(5)
    ]
    data = _stating_size(factories.workbook({"Foglio1": rows}), "A1:B3")
    mapping, read = readers.read_xlsx(data)
    read = list(read)
    assert mapping.columns == {"Nome": "first_name", "Cognome": "last_name", "Email": "email"}
    assert [r.values["email"] for r in read] == [f"p{i}@example.it" for i in range(5)]
