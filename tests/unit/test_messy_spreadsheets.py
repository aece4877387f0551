"""Spreadsheets as offices keep them by hand: header cells merged over two columns,
columns nobody headed, headers with asides, a list of the person's contact details."""

import io

import pytest

from crm.services import readers
from crm.services.rows import normalise_row
from tests import factories


def _read_csv(text: str):
    mapping, rows = readers.read_csv(io.BytesIO(text.encode()))
    return mapping, list(rows)


def _read_xlsx(rows: list[list]):
    mapping, read = readers.read_xlsx(io.BytesIO(factories.workbook({"Foglio1": rows})))
    return mapping, list(read)


def test_a_header_cell_merged_over_two_phone_columns_reads_both():
    rows = [
        ["Nome", "Telefoni", None, "Email"],
        ["Anna", "333 1234567", "06 1234567", "anna@example.it"],
    ]
    mapping, (row,) = _read_xlsx(rows)
    assert mapping.columns == {
        "Nome": "first_name",
        "Telefoni": "phone",
        "Telefoni (2)": "phone",
        "Email": "email",
    }
    assert normalise_row(row.values, "IT").phones == ["+393331234567", "+39061234567"]


def test_a_column_nobody_headed_is_named_by_its_letter_and_listed_as_not_imported():
    mapping, (row,) = _read_csv("Nome,Cognome,,Email\nAnna,Neri,cliente dal 2019,a@example.it\n")
    assert mapping.headers == ["Nome", "Cognome", "(column C)", "Email"]
    assert mapping.unmapped == ["(column C)"]
    assert row.raw["(column C)"] == "cliente dal 2019"
    assert mapping.repeated == {}


def test_blank_headers_after_the_last_named_one_stay_blank():
    # A trailing delimiter: cells nobody headed and nobody filled.
    mapping, (row,) = _read_csv("Nome,Cognome,\nAnna,Neri,\n")
    assert mapping.headers == ["Nome", "Cognome", ""]
    assert mapping.unmapped == [""]
    assert row.values == {"first_name": "Anna", "last_name": "Neri"}


def test_two_unheaded_columns_are_told_apart_by_their_letters():
    mapping, (row,) = _read_csv("Nome,,,Email\nAnna,x,y,a@example.it\n")
    assert mapping.headers == ["Nome", "(column B)", "(column C)", "Email"]
    assert (row.raw["(column B)"], row.raw["(column C)"]) == ("x", "y")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Data di nascita (gg/mm/aaaa)", "birth_date"),
        ("Indirizzo e-mail (privato)", "email"),
        ("Email *", "email"),
        ("Cognome*", "last_name"),
        ("CAP [5 cifre]", "postcode"),
        ("Cod. Fisc.", "tax_id"),
        ("Recapito telefonico", "phone"),
        ("Telefoni", "phone"),
        ("Cellulari", "phone"),
        ("Emails", "email"),
        ("Indirizzi e-mail", "email"),
        ("Altra email", "email"),
        ("Denominazione", "company"),
        ("C.A.P.", "postcode"),
        ("Codice Avviamento Postale", "postcode"),
        ("Sigla prov.", "state"),
        ("Pr", "state"),
        ("Referente", "full_name"),
    ],
)
def test_headers_of_hand_kept_lists_are_read(header, field):
    assert readers.interpret_header(header)[0] == field


@pytest.mark.parametrize(
    "header",
    ["Recapito", "Note (interne)", "Phone (fax)", "(column D)", "Altro nome", "Other Name"],
)
def test_headers_that_name_no_field_stay_unread(header):
    # "Recapito" alone may be a postal address as well as a phone.
    assert readers.interpret_header(header)[0] == ""


def test_another_address_of_the_person_is_still_a_group_of_its_own():
    assert readers.interpret_header("Altra città") == ("city", "altro")
    assert readers.interpret_header("Altro indirizzo") == ("address", "altro")


@pytest.mark.parametrize(
    "cell",
    ["-", "--", "/", "?", "—", "N/D", "n.d.", "N/A", "n.a.", "#N/D", "#N/A", "#VALORE!",
     "#DIV/0!", "non disponibile", "Non presente", "sconosciuto", "unknown", "none"],
)  # fmt: skip
def test_a_cell_saying_there_is_no_value_is_read_as_empty(cell):
    values = {
        "first_name": "Mario",
        "last_name": "Rossi",
        "email": "m@example.it",
        "company": cell,
        "address": cell,
        "city": cell,
        "postcode": cell,
        "country": cell,
        "job_title": cell,
    }
    row = normalise_row(values, "IT")
    assert row.fields == {"first_name": "Mario", "last_name": "Rossi"}
    assert row.warnings == []


def test_placeholders_in_list_cells_and_phones_of_zeros_are_left_out_quietly():
    values = {"first_name": "Anna", "email": "N/D; anna@example.it", "phone": ["0", "-"]}
    row = normalise_row(values, "IT")
    assert (row.emails, row.phones, row.warnings) == (["anna@example.it"], [], [])


def test_a_real_value_like_a_placeholder_stays():
    # North Dakota, Namibia, a company "N.A.P." are values, not placeholders.
    values = {"first_name": "A", "last_name": "B", "state": "ND", "country": "NA",
              "company": "N.A.P. Srl"}  # fmt: skip
    assert normalise_row(values, "IT").fields == {
        "first_name": "A", "last_name": "B", "state": "ND", "country": "NA",
        "company": "N.A.P. Srl",
    }  # fmt: skip


def test_a_zero_for_no_phone_does_not_hide_that_the_file_lost_its_zeros():
    from crm.services.rows import phones_lost_zeros

    rows = [{"phone": "212345678"}, {"phone": "0"}, {"phone": "612345678"}, {"phone": "-"}]
    assert phones_lost_zeros(rows, "IT")


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        ("Accetto", "granted"),
        ("S", "granted"),
        ("VERO", "granted"),
        ("Sì, autorizzo", "granted"),
        ("on", "granted"),
        ("FALSO", "refused"),
        ("Non accetto", "refused"),
        ("No, non autorizzo", "refused"),
        ("N", "refused"),
    ],
)
def test_an_opt_in_answered_as_italian_lists_answer_it_is_read(answer, status):
    from crm.services.rows import consent_from_columns

    fact, warnings = consent_from_columns({"email_opt_in": answer})
    assert (fact.status, warnings) == (status, [])


@pytest.mark.parametrize(
    "values",
    [
        {"first_name": "Totale"},
        {"last_name": "TOTALE", "first_name": "12"},
        {"full_name": "Totale contatti: 25"},
        {"first_name": "Subtotale", "company": "42"},
        {"full_name": "Total"},
    ],
)
def test_a_sheets_total_line_is_rejected_not_made_a_person(values):
    from crm.services.rows import SUMMARY_LINE

    assert normalise_row(values, "IT").reject_reason == SUMMARY_LINE


@pytest.mark.parametrize(
    "values",
    [
        {"first_name": "Totò", "last_name": "Esposito"},
        {"first_name": "Totale", "last_name": "Rossi", "email": "t@example.it"},
    ],
)
def test_a_person_is_no_total_line(values):
    assert normalise_row(values, "IT").reject_reason is None


@pytest.mark.parametrize(
    ("cell", "emails"),
    [
        ("a@example.it / b@example.it", ["a@example.it", "b@example.it"]),
        ("a@example.it e b@example.it", ["a@example.it", "b@example.it"]),
        ("a@example.it\nb@example.it", ["a@example.it", "b@example.it"]),
        ("a@example.it b@example.it", ["a@example.it", "b@example.it"]),
        ("Anna Neri <a@example.it>", ["a@example.it"]),
    ],
)
def test_several_emails_typed_in_one_cell_are_each_kept(cell, emails):
    row = normalise_row({"first_name": "Anna", "email": cell}, "IT")
    assert (row.emails, row.warnings) == (emails, [])


@pytest.mark.parametrize(
    ("cell", "phones"),
    [
        ("333 1234567\n06 1234567", ["+393331234567", "+39061234567"]),
        ("333 1234567 / 06 1234567", ["+393331234567", "+39061234567"]),
        ("333 1234567 oppure 06 1234567", ["+393331234567", "+39061234567"]),
        ("06/1234567", ["+39061234567"]),
        ("+39 333 123 4567", ["+393331234567"]),
    ],
)
def test_several_phones_typed_in_one_cell_are_each_kept(cell, phones):
    row = normalise_row({"first_name": "Anna", "last_name": "Neri", "phone": cell}, "IT")
    assert (row.phones, row.warnings) == (phones, [])


def test_the_preview_reads_each_phone_of_a_cell_as_the_import_will():
    from crm.services import imports_ui

    preview = imports_ui.Preview(
        format="csv",
        encoding="utf-8",
        delimiter=",",
        headers=["Tel"],
        rows=[["333 1234567 / 06 1234567"]],
        mapping={"Tel": "phone"},
    )
    preview.sample_phones()
    assert [stored for _written, stored in preview.phones] == [
        "+39 333 123 4567",
        "+39 06 123 4567",
    ]


@pytest.mark.parametrize(
    ("cell", "born"),
    [
        ("03-05-80", "1980-05-03"),
        ("03.05.80", "1980-05-03"),
        ("29221", "1980-01-01"),  # a spreadsheet's count of days, in a cell not a date
        ("1980", None),  # a year alone is no birth date
    ],
)
def test_birth_dates_as_hand_kept_lists_write_them(cell, born):
    row = normalise_row({"first_name": "A", "last_name": "B", "birth_date": cell}, "IT")
    assert row.fields.get("birth_date") == born


def test_a_date_only_the_other_order_reads_is_read_so_and_reported():
    from crm.services.rows import DAY_FIRST_READ, MONTH_FIRST_READ

    row = normalise_row({"last_name": "B", "birth_date": "05/13/1990"}, "IT")
    assert (row.fields["birth_date"], row.warnings) == (
        "1990-05-13",
        [("birth_date", MONTH_FIRST_READ)],
    )
    row = normalise_row({"last_name": "B", "birth_date": "13/05/1990"}, "US", month_first=True)
    assert (row.fields["birth_date"], row.warnings) == (
        "1990-05-13",
        [("birth_date", DAY_FIRST_READ)],
    )
    row = normalise_row({"last_name": "B", "birth_date": "12/05/1990"}, "IT")
    assert (row.fields["birth_date"], row.warnings) == ("1990-05-12", [])


def test_the_header_is_found_under_a_wide_title_and_a_row_of_group_headings():
    rows = [
        ["Elenco clienti", None, "aggiornato al 3/5/2026"],
        [],
        ["Anagrafica", None, "Contatti", None],
        ["Nome", "Cognome", "Email", "Cellulare"],
        ["Anna", "Neri", "anna@example.it", "333 1234567"],
    ]
    mapping, (row,) = _read_xlsx(rows)
    assert mapping.columns == {
        "Nome": "first_name",
        "Cognome": "last_name",
        "Email": "email",
        "Cellulare": "phone",
    }
    assert (row.number, row.values["email"]) == (5, "anna@example.it")


def test_a_summary_sheet_before_the_list_is_not_taken_for_it():
    data = factories.workbook(
        {
            "Riepilogo": [["Totale clienti", "Aggiornato"], [2, "maggio"]],
            "Clienti": [["Nome", "Email"], ["Anna", "a@example.it"], ["Bruno", "b@example.it"]],
        }
    )
    mapping, rows = readers.read_xlsx(io.BytesIO(data))
    assert (mapping.sheets, mapping.other_sheets) == (["Clienti"], ["Riepilogo"])
    assert [r.values["email"] for r in rows] == ["a@example.it", "b@example.it"]


def test_a_paese_column_of_towns_is_the_town_and_one_of_countries_the_country():
    mapping, rows = _read_csv(
        "Nome;Cognome;Paese\nAnna;Neri;Castelnuovo Rangone\nBruno;Sala;Vignola\n"
    )
    assert mapping.columns["Paese"] == "city"
    assert normalise_row(rows[0].values, "IT").fields["city"] == "Castelnuovo Rangone"
    mapping, _rows = _read_csv("Nome;Cognome;Paese\nAnna;Neri;Italia\nHans;Maier;Germania\n")
    assert mapping.columns["Paese"] == "country"
    # Beside a town column, a Paese of no countries is left for the person to map.
    mapping, _rows = _read_csv("Nome;Città;Paese\nAnna;Modena;Castelnuovo\nBruno;Modena;Vignola\n")
    assert "Paese" in mapping.unmapped


@pytest.mark.parametrize("cell", ["RSSMRA80A01H501", "RSSMRA80A01H501UX", "RSSMRA80A01"])
def test_a_codice_fiscale_a_character_short_or_long_is_reported_not_stored(cell):
    from crm.services.normalise import CODICE_FISCALE_LENGTH

    row = normalise_row({"first_name": "Mario", "last_name": "Rossi", "tax_id": cell}, "IT")
    assert "tax_id" not in row.fields
    assert row.warnings == [("tax_id", CODICE_FISCALE_LENGTH)]


@pytest.mark.parametrize("cell", ["RSSMRA80A01H501U", "123-45-6789", "X1234567L"])
def test_other_ids_and_a_whole_codice_fiscale_are_stored(cell):
    row = normalise_row({"first_name": "Mario", "last_name": "Rossi", "tax_id": cell}, "IT")
    assert row.fields["tax_id"] and row.warnings == []


@pytest.mark.parametrize(
    "values",
    [{"full_name": "Mario e Anna Rossi"}, {"first_name": "Anna & Luca", "last_name": "Bianchi"}],
)
def test_a_couple_in_one_row_is_imported_as_written_and_reported(values):
    from crm.services.rows import TWO_PEOPLE

    row = normalise_row(values, "IT")
    assert row.warnings == [("first_name", TWO_PEOPLE)]


@pytest.mark.parametrize("first", ["Maria Grazia", "Gian Maria", "Anna"])
def test_a_compound_given_name_is_one_person(first):
    assert normalise_row({"first_name": first, "last_name": "Rossi"}, "IT").warnings == []


def test_a_reason_says_itself_in_italian(app):
    from crm.services.rows import TWO_PEOPLE
    from crm.views.reasons import reason_text

    with app.test_request_context(headers={"Accept-Language": "it"}):
        assert "due persone" in reason_text(TWO_PEOPLE)


def test_a_placeholder_country_does_not_keep_a_postcode_from_its_lost_zero():
    row = normalise_row(
        {"first_name": "A", "last_name": "B", "postcode": "1234", "country": "N/D"}, "IT"
    )
    assert row.fields["postcode"] == "01234"


def test_a_phone_a_workbook_stores_as_a_number_gets_back_the_zero_it_could_not_keep(app):
    """A user test: a list typed some landlines as text ("02 1234 5678") and others as
    numbers, which drop the 0; one number beside numbers written with their 0 was not
    repaired, and the phone was lost as invalid."""
    from crm.services import ingest, profiles

    rows = [
        ["Nome", "Cognome", "Telefono"],
        ["Anna", "Neri", "02 1234 5678"],
        ["Bruno", "Sala", 612345678],  # 06 1234 5678, stored as a number
        ["Carla", "Riva", 3331234567],  # a mobile: no 0 to lose
    ]
    data = io.BytesIO(factories.workbook({"Foglio1": rows}))
    summary = ingest.import_stream(data, filename="soci.xlsx", source_name="soci")
    assert (summary["created"], summary["warnings"]) == (3, 0)
    phones = {p.last_name: p.primary_phone for p in
              (profiles.search_profiles(n)[0][0] for n in ("Neri", "Sala", "Riva"))}  # fmt: skip
    assert phones == {"Neri": "+390212345678", "Sala": "+390612345678", "Riva": "+393331234567"}


def test_the_preview_shows_a_number_cells_phone_with_its_zero_back(app):
    from crm.services import imports_ui

    rows = [["Nome", "Telefono"], ["Anna", "02 1234 5678"], ["Bruno", 612345678]]
    data = io.BytesIO(factories.workbook({"Foglio1": rows}))
    preview = imports_ui._preview_workbook(data, "auto", "IT")
    preview.sample_phones()
    assert [stored for _written, stored in preview.phones] == [
        "+39 02 1234 5678",
        "+39 06 1234 5678",
    ]


def test_phones_typed_as_text_with_their_0_do_not_hide_the_numbers_that_lost_it():
    from crm.services.rows import phones_lost_zeros

    typed = [{"phone": "02 1234 5678"}, {"phone": "212345678"}, {"phone": "612345678"}]
    assert phones_lost_zeros(typed, "IT")
    # Bare digits with their 0: the column is text, and kept every 0.
    kept = [{"phone": "0212345678"}, {"phone": "212345678"}, {"phone": "612345678"}]
    assert not phones_lost_zeros(kept, "IT")


@pytest.mark.parametrize(
    "raw",
    [
        {"Nome": "Nome", "Cognome": "Cognome", "Email": "Email"},
        {"Nome": "NOME ", "Cognome": "cognome", "Note": ""},  # another case, an empty cell
        {"Email": "Email", "Email (2)": "Email"},  # a header two columns share
    ],
)
def test_a_row_repeating_the_headers_is_told(raw):
    from crm.services.rows import repeats_headers

    assert repeats_headers(raw)


@pytest.mark.parametrize(
    "raw",
    [
        {"Nome": "Nome", "Cognome": "Rossi"},  # a person named Nome
        {"Nome": "Nome", "Cognome": ""},  # one cell is no header row
        {"Nome": "Anna", "Cognome": "Neri"},
    ],
)
def test_a_person_is_no_repeated_header_row(raw):
    from crm.services.rows import repeats_headers

    assert not repeats_headers(raw)


def test_a_header_row_repeated_mid_file_is_rejected_and_the_people_around_it_imported(app):
    """A user test: two lists pasted one below the other made a person "Nome Cognome"."""
    from crm.extensions import db
    from crm.models import ImportRejection, Profile
    from crm.services import ingest
    from crm.services.rows import HEADER_AGAIN

    text = (
        "Nome;Cognome;Email\nMario;Rossi;mario@example.it\n"
        "Nome;Cognome;Email\nAnna;Neri;anna@example.it\n"
    )
    summary = ingest.import_stream(
        io.BytesIO(text.encode()), filename="soci.csv", source_name="soci"
    )
    assert (summary["created"], summary["rejected"]) == (2, 1)
    rejection = db.session.query(ImportRejection).filter_by(kind="rejected").one()
    assert (rejection.row_number, rejection.reason) == (3, HEADER_AGAIN)
    assert sorted(p.last_name for p in db.session.query(Profile)) == ["Neri", "Rossi"]


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Egr. Sig. Mario", "Mario"),
        ("Gent.ma Sig.ra Anna", "Anna"),
        ("Spett.le Dott. Luca", "Luca"),
        ("Cav. Uff. Paolo", "Paolo"),
        ("Ing. Xyz. Paolo", "Xyz. Paolo"),  # a word it does not know as a title stays
        ("Rossi (geom.)", "Rossi"),
        ("Anna (Annie)", "Anna (Annie)"),  # brackets that hold no title stay
        ("Sig. e Sig.ra", None),
        ("Famiglia", None),
        ("Sir", "Sir"),
        ("Don", "Don"),  # a given name as much as a priest's title
        ("Gentile Mario", "Gentile Mario"),  # common surnames that open a salutation
        ("Signori", "Signori"),
    ],
)
def test_salutations_of_italian_letters_are_no_part_of_a_name(written, name):
    from crm.services.normalise import normalise_name

    assert normalise_name(written) == name


@pytest.mark.parametrize(
    ("values", "column", "fields"),
    [
        (
            {"first_name": "Sig. e Sig.ra", "last_name": "Rossi"},
            "first_name",
            {"last_name": "Rossi"},
        ),
        ({"full_name": "Famiglia Bianchi"}, "full_name", {"last_name": "Bianchi"}),
        ({"full_name": "Fam. Bianchi"}, "full_name", {"last_name": "Bianchi"}),
        ({"full_name": "Coniugi Verdi"}, "full_name", {"last_name": "Verdi"}),
        ({"full_name": "Sig.ri Neri"}, "full_name", {"last_name": "Neri"}),
        ({"full_name": "Mr & Mrs Smith"}, "full_name", {"last_name": "Smith"}),
    ],
)
def test_a_couple_or_household_addressed_in_one_row_is_its_surname_and_reported(
    values, column, fields
):
    """A user test: "Sig. e Sig.ra", "Coniugi", "Famiglia" were imported as first names."""
    from crm.services.rows import COUPLE

    row = normalise_row({**values, "email": "casa@example.it"}, "IT")
    assert row.fields == fields
    assert (column, COUPLE) in row.warnings


def test_one_person_with_a_title_is_no_couple():
    row = normalise_row({"full_name": "Sig.ra Anna Neri", "email": "a@example.it"}, "IT")
    assert row.fields == {"first_name": "Anna", "last_name": "Neri"}
    assert row.warnings == []


@pytest.mark.parametrize(
    ("cell", "email"),
    [
        ("x@libero.it.", "x@libero.it"),  # the end of a sentence
        ("a @ tin.it", "a@tin.it"),
        ("x@gmail.com (personale)", "x@gmail.com"),
        ("Rossi@Example.IT;", "rossi@example.it"),
    ],
)
def test_an_email_typed_with_spaces_a_final_dot_or_an_aside_is_read(cell, email):
    """A user test: these were rejected as invalid emails, losing the address."""
    row = normalise_row({"last_name": "Rossi", "email": cell}, "IT")
    assert (row.emails, row.warnings) == ([email], [])


@pytest.mark.parametrize(
    ("cell", "phone", "extension"),
    [
        ("02 1234567 (ufficio)", "+39021234567", None),
        ("333 1234567 (Mario)", "+393331234567", None),
        ("(02) 1234567", "+39021234567", None),  # brackets of digits: the area code
        ("02 1234567 interno 4", "+39021234567", "4"),
        ("02 1234567 int. 23", "+39021234567", "23"),
        ("+39 02 1234567 x12", "+39021234567", "12"),
    ],
)
def test_a_phone_with_a_note_or_an_extension_is_read_and_the_extension_reported(
    cell, phone, extension
):
    """A user test: "(ufficio)" and "interno 4" lost the phone; "int. 23" was dropped
    without a word."""
    from crm.services.rows import EXTENSION_NOT_KEPT

    row = normalise_row({"last_name": "Rossi", "phone": cell}, "IT")
    assert row.phones == [phone]
    told = [("phone", EXTENSION_NOT_KEPT.format(extension=extension))] if extension else []
    assert row.warnings == told


def test_a_sheet_of_people_not_to_contact_is_not_imported_with_the_list(app):
    """A user test: a workbook's "NON CONTATTARE" sheet, with the list's columns, was
    imported beside it: its people would have got the next campaign."""
    from crm.extensions import db
    from crm.models import Profile
    from crm.services import imports_ui, ingest

    header = ["Nome", "Cognome", "Email"]
    book = factories.workbook(
        {
            "Clienti": [header, ["Anna", "Neri", "anna@example.it"]],
            "NON CONTATTARE": [header, ["Bruno", "Sala", "bruno@example.it"]],
            "Disiscritti 2023": [header, ["Carla", "Riva", "carla@example.it"]],
        }
    )
    preview = imports_ui._preview_workbook(io.BytesIO(book), "auto", "IT")
    assert preview.held_sheets == ["NON CONTATTARE", "Disiscritti 2023"]
    summary = ingest.import_stream(io.BytesIO(book), filename="soci.xlsx", source_name="soci")
    assert summary["created"] == 1
    assert [p.last_name for p in db.session.query(Profile)] == ["Neri"]
    (note,) = [n for n in ingest.mapping_notes(summary["batch_id"]) if "NON CONTATTARE" in n]
    assert "Disiscritti 2023" in note and "not to be contacted" in note


def test_a_workbook_of_only_such_a_sheet_is_read_as_asked(app):
    from crm.services import readers

    book = factories.workbook({"Disiscritti": [["Nome", "Email"], ["Anna", "a@example.it"]]})
    mapping, rows = readers.read_xlsx(io.BytesIO(book))
    assert (mapping.sheets, mapping.held_sheets, len(list(rows))) == (["Disiscritti"], [], 1)


def test_a_file_joined_from_utf8_and_windows_1252_exports_reads_each_line_right():
    """A user test: a list joined from two tools' exports garbled its UTF-8 lines
    ("PerchÃ©") once one line held a Windows-1252 letter."""
    data = (
        "Nome;Cognome;Città\nAnna;Neri;Forlì\n".encode()
        + "Bruno;Sala;Cantù\n".encode("cp1252")
        + "Carla;Riva;Perché\n".encode()
    )
    _mapping, rows = readers.read_csv(io.BytesIO(data))
    assert [row.raw["Città"] for row in rows] == ["Forlì", "Cantù", "Perché"]


def test_a_utf8_file_with_a_windows_1252_line_past_the_sample_keeps_its_letters():
    data = "Nome;Città\n".encode() + b"Anna;Roma\n" * 20_000 + "Bruno;Cantù\n".encode("cp1252")
    _mapping, rows = readers.read_csv(io.BytesIO(data))
    assert list(rows)[-1].raw["Città"] == "Cantù"


@pytest.mark.parametrize("line_end", ["\r", "\r\n", "\n"])
def test_a_mac_roman_csv_keeps_its_accents(line_end):
    """A user test: a file Excel for Mac saved (Mac Roman, lines ended by a lone CR on
    old versions) lost its accented letters without a word."""
    text = line_end.join(["Nome;Cognome;Città", "Anna;Neri;Forlì", "Bruno;Sala;Perché", ""])
    data = text.encode("mac_roman")
    assert readers.detect_encoding(data) == "mac_roman"
    _mapping, rows = readers.read_csv(io.BytesIO(data))
    assert [row.raw["Città"] for row in rows] == ["Forlì", "Perché"]


def test_windows_1252_with_smart_quotes_is_not_taken_for_mac_roman():
    data = "Nome,Note\nAnna,“cliente” dal 2019 – ok\nBruno,città\n".encode("cp1252")
    assert readers.detect_encoding(data) == "cp1252"


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        (
            {"first_name": "NICOLO'", "last_name": "CANTU'", "city": "FORLI'"},
            {"first_name": "Nicolò", "last_name": "Cantù", "city": "Forlì"},
        ),
        (
            {"last_name": "O'Brien", "city": "Dell'Orto"},
            {"last_name": "O'Brien", "city": "Dell'Orto"},
        ),
        ({"last_name": "Neri", "city": "MILANO"}, {"last_name": "Neri", "city": "Milano"}),
        (
            {"last_name": "Neri", "city": "sesto san giovanni"},
            {"last_name": "Neri", "city": "Sesto San Giovanni"},
        ),
        ({"last_name": "Neri", "city": "McAllen"}, {"last_name": "Neri", "city": "McAllen"}),
    ],
)
def test_names_and_towns_typed_in_capitals_or_with_an_apostrophe_accent_are_written_so(
    values, fields
):
    """A user test: "NICOLO'" became "Nicolo'", and towns kept the capitals they were typed in."""
    assert normalise_row(values, "IT").fields == fields


@pytest.mark.parametrize(
    ("postcode", "country", "stored"),
    [
        ("00 185", None, "00185"),
        ("I-20122", None, "20122"),
        ("D-10115", "DE", "10115"),
        ("02108-1234", "US", "02108-1234"),  # ZIP+4 stays
        ("SW1A 1AA", "GB", "SW1A 1AA"),
    ],
)
def test_a_postcode_with_spaces_or_a_country_prefix_is_its_digits(postcode, country, stored):
    values = {
        "last_name": "Neri",
        "postcode": postcode,
        **({"country": country} if country else {}),
    }
    assert normalise_row(values, "IT").fields["postcode"] == stored


@pytest.mark.parametrize(
    ("cell", "parts"),
    [
        (
            "Via Roma 1 - 40100 Bologna",
            {"address": "Via Roma 1", "postcode": "40100", "city": "Bologna"},
        ),
        (
            "Corso Italia 3 – 20122 Milano MI",
            {"address": "Corso Italia 3", "postcode": "20122", "city": "Milano", "state": "MI"},
        ),
        (  # a province in brackets is no country ("BO" is Bolivia's code too)
            "Via Roma 1, 40100 Bologna (BO)",
            {"address": "Via Roma 1", "postcode": "40100", "city": "Bologna", "state": "BO"},
        ),
        ("Via Roma 1 - Scala B", {"address": "Via Roma 1 - Scala B"}),
    ],
)
def test_a_one_cell_address_split_by_a_dash_is_read_in_its_parts(cell, parts):
    """A user test: "Via Roma 1 - 40100 Bologna" stayed one street line, no town."""
    assert normalise_row({"last_name": "Neri", "address": cell}, "IT").fields == {
        "last_name": "Neri",
        **parts,
    }


@pytest.mark.parametrize(
    ("values", "emails", "phones", "told"),
    [
        (
            {"email": "333 1234567", "phone": "anna@example.it"},  # the columns swapped
            ["anna@example.it"],
            ["+393331234567"],
            {"email", "phone"},
        ),
        ({"email": "333 1234567"}, [], ["+393331234567"], {"email"}),
        ({"phone": "anna@example.it"}, ["anna@example.it"], [], {"phone"}),
        (
            {"email": "anna@example.it", "phone": "333 1234567"},
            ["anna@example.it"],
            ["+393331234567"],
            set(),
        ),
    ],
)
def test_an_email_in_the_phone_column_and_a_phone_in_the_email_column_are_kept(
    values, emails, phones, told
):
    """A user test: a list with its email and phone columns swapped lost both, as invalid."""
    from crm.services.rows import EMAIL_IN_PHONE, PHONE_IN_EMAIL

    row = normalise_row({"last_name": "Neri", **values}, "IT")
    assert (row.emails, row.phones) == (emails, phones)
    said = {("email", PHONE_IN_EMAIL): "email", ("phone", EMAIL_IN_PHONE): "phone"}
    assert {said[w] for w in row.warnings if w in said} == told
    assert len(row.warnings) == len(told)


def test_the_comune_is_the_town_where_a_localita_stands_beside_it():
    """A user test: "Località" (a hamlet) before "Comune" took the town's place."""
    mapping, (row,) = _read_csv("Nome;Località;Comune\nAnna;Marina di Pisa;Pisa\n")
    assert mapping.columns["Comune"] == "city" and "Località" in mapping.unmapped
    assert row.values["city"] == "Pisa"
    mapping, _rows = _read_csv("Nome;Località\nAnna;Pisa\n")
    assert mapping.columns["Località"] == "city"  # alone, it is the town
