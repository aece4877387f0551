"""`crm import`: real sample files through the command line, summary as the last line."""

import csv
import io
import json
from pathlib import Path

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import ConsentRecord, ImportRejection, Profile, Source, SourceRecord
from crm.services import profiles

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


def _run(runner, name: str, *args: str) -> dict:
    """Run `crm import` on a fixture; return the summary read from the last stdout line."""
    result = runner.invoke(args=["import", str(FIXTURES / name), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _profile(email: str) -> Profile:
    return profiles.search_profiles(email)[0][0]


def test_summary_is_the_last_stdout_line_and_progress_goes_to_stderr(runner):
    result = runner.invoke(
        args=["import", str(FIXTURES / "bom_newlines.csv"), "--source", "webinar"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(summary) >= {
        "rows",
        "created",
        "merged",
        "review",
        "rejected",
        "suppressed",
        "warnings",
        "batch_id",
    }
    assert (summary["review"], summary["suppressed"]) == (0, 0)
    assert "rows" in result.stderr


def test_italian_cp1252_semicolon_file(runner):
    summary = _run(runner, "contatti_cp1252.csv", "--source", "negozio")
    assert summary["rows"] == 5
    assert (summary["created"], summary["rejected"], summary["warnings"]) == (3, 2, 2)
    nicolo = _profile("nicolo.dangelo@example.it")
    assert (nicolo.first_name, nicolo.last_name, nicolo.city) == ("Nicolò", "D'Angelo", "Milano")
    assert nicolo.primary_phone == "+393331234567"
    assert nicolo.birth_date.isoformat() == "1980-12-31"
    assert _profile("elodie.rossi@example.it").company == "Caffè Più"
    notes = db.session.execute(
        select(ImportRejection.row_number, ImportRejection.kind, ImportRejection.column).order_by(
            ImportRejection.row_number
        )
    ).all()
    assert [tuple(n) for n in notes] == [
        (3, "warning", "E-mail"),
        (4, "rejected", None),
        (5, "rejected", None),
        (6, "warning", "Data di nascita"),
    ]
    short_row = db.session.scalar(select(ImportRejection).where(ImportRejection.row_number == 4))
    assert short_row.reason == "expected 10 columns, found 3"


def test_bad_email_is_kept_in_raw_and_the_person_imports(runner):
    _run(runner, "contatti_cp1252.csv", "--source", "negozio")
    record = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "C002"))
    assert record.raw["E-mail"] == "lucia.bianchi(at)example.it"
    assert record.email is None
    assert record.profile.last_name == "Bianchi"
    assert record.profile.primary_phone == "+393477654321"


def test_bom_and_quoted_newlines(runner):
    summary = _run(runner, "bom_newlines.csv", "--source", "webinar")
    assert (summary["rows"], summary["created"]) == (2, 2)
    anna = _profile("anna@example.com")
    assert (anna.first_name, anna.last_name) == ("Anna Maria", "De Luca")
    assert anna.source_records[0].raw["address"] == "Via Roma 1\nScala B"
    assert [t.name for t in anna.tags] == ["newsletter", "webinar"]


def test_second_import_of_the_same_file_changes_nothing(runner):
    _run(runner, "contatti_cp1252.csv", "--source", "negozio")
    before = (_count(Profile), _count(SourceRecord))
    summary = _run(runner, "contatti_cp1252.csv", "--source", "negozio")
    assert (summary["created"], summary["merged"], summary["unchanged"]) == (0, 0, 3)
    assert (_count(Profile), _count(SourceRecord)) == before


def test_same_person_from_two_sources_is_one_profile(runner):
    _run(runner, "mailchimp_subscribed.csv", "--source", "newsletter")
    summary = _run(runner, "mailchimp_unsubscribed.csv", "--source", "old-list")
    assert summary["merged"] == 1
    profile = _profile("chiara.fontana@example.it")
    assert sorted(r.source.name for r in profile.source_records) == ["newsletter", "old-list"]


def test_hubspot_export(runner):
    summary = _run(runner, "hubspot_contacts.csv", "--source", "hubspot")
    assert summary["created"] == 3
    marco = _profile("marco.gallo@example.com")
    assert (marco.stage, marco.company, marco.primary_phone) == ("mql", "Gallo SpA", "+39021234567")
    assert _profile("sara.conti@example.com").stage == "sql"
    assert _profile("paolo.riva@example.com").stage == "customer"
    consents = {
        c.profile_id: (c.status, c.legal_basis, c.evidence["legal_basis_text"])
        for c in db.session.scalars(select(ConsentRecord))
    }
    assert consents[marco.id] == ("granted", "consent", "Freely given consent from contact")
    sara = _profile("sara.conti@example.com")
    assert consents[sara.id][:2] == ("granted", "legitimate_interests")
    assert consents[_profile("paolo.riva@example.com").id][:2] == ("withdrawn", "contract")


def test_mailchimp_optin_gives_granted_consent_with_evidence(runner):
    summary = _run(runner, "mailchimp_subscribed.csv", "--source", "mailchimp")
    consent = db.session.scalar(select(ConsentRecord))
    assert (consent.purpose, consent.status) == ("email_marketing", "granted")
    assert consent.evidence["optin_ip"] == "192.0.2.10"
    assert consent.evidence["confirm_time"] == "2023-05-02 08:20:00"
    assert consent.evidence["batch_id"] == summary["batch_id"]
    _run(runner, "mailchimp_unsubscribed.csv", "--source", "mailchimp")
    profile = _profile("chiara.fontana@example.it")
    assert profiles.current_consents([profile.id])[profile.id]["email_marketing"] == "withdrawn"


def test_jsonl_file(runner):
    summary = _run(runner, "shop.jsonl", "--source", "shop")
    assert (summary["rows"], summary["created"], summary["rejected"]) == (3, 2, 1)
    luca = _profile("luca.moretti@example.com")
    assert (luca.first_name, luca.last_name, luca.country) == ("Luca", "Moretti", "IT")
    assert [t.name for t in luca.tags] == ["shop", "vip"]
    elena = _profile("Elena")
    assert elena.primary_phone == "+39027654321"
    rejection = db.session.scalar(select(ImportRejection))
    assert rejection.row_number == 3 and "invalid JSON" in rejection.reason


def test_mapping_file_overrides_headers(runner):
    mapping = str(FIXTURES / "custom_mapping.json")
    summary = _run(runner, "custom_headers.csv", "--source", "fiera", "--mapping", mapping)
    assert summary["created"] == 1
    profile = _profile("ugo@example.it")
    assert profile.company == "Sigma Srl"
    assert profile.phones == []
    assert profile.source_records[0].external_id == "X1"


def test_bad_mapping_is_a_clear_error(runner, tmp_path):
    mapping = tmp_path / "m.json"
    mapping.write_text('{"Posta": "e_mail"}')
    result = runner.invoke(
        args=[
            "import",
            str(FIXTURES / "custom_headers.csv"),
            "--source",
            "x",
            "--mapping",
            str(mapping),
        ]
    )
    assert result.exit_code != 0
    assert "unknown field 'e_mail'" in result.stderr
    assert _count(SourceRecord) == 0


def test_a_spreadsheet_is_refused_with_advice(runner, tmp_path):
    path = tmp_path / "contacts.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    result = runner.invoke(args=["import", str(path), "--source", "shop"])
    assert result.exit_code != 0
    assert "save it as CSV" in result.output
    assert _count(Profile) == 0


def test_a_workbook_and_a_zip_archive_import_from_the_command_line(runner, tmp_path):
    from openpyxl import Workbook

    from tests import factories

    book = Workbook()
    book.active.append(["E-mail", "Nome"])
    book.active.append(["eva@example.it", "Eva"])
    workbook = tmp_path / "contatti.xlsx"
    book.save(workbook)
    archive = tmp_path / "audience.zip"
    archive.write_bytes(factories.zip_of(factories.MAILCHIMP_EXPORT))
    for path, created in ((workbook, 1), (archive, 4)):
        result = runner.invoke(args=["import", str(path), "--source", "files"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout.strip().splitlines()[-1])["created"] == created
    assert _profile("eva@example.it").first_name == "Eva"
    assert _count(ConsentRecord) == 4


def test_dates_and_names_can_be_read_as_the_person_importing_says(runner, tmp_path):
    people = tmp_path / "us.csv"
    people.write_text(
        "Full Name,Email,Date of Birth\n"
        "Lovelace Ada,ada@example.com,03/04/1980\n"
        "Hopper Grace,grace@example.com,05/06/1981\n"
    )
    result = runner.invoke(
        args=["import", str(people), "--source", "us", "--dates", "month-first"]
        + ["--names", "surname-first"]
    )
    assert result.exit_code == 0, result.output
    ada = _profile("ada@example.com")
    assert (ada.first_name, ada.last_name) == ("Ada", "Lovelace")
    assert ada.birth_date.isoformat() == "1980-03-04"
    bad = runner.invoke(args=["import", str(people), "--source", "us", "--dates", "ymd"])
    assert bad.exit_code != 0 and "--dates" in bad.stderr


def test_an_empty_file_is_a_clear_error_and_the_progress_line_counts_reviews(runner, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = runner.invoke(args=["import", str(empty), "--source", "x"])
    assert result.exit_code != 0 and "The file is empty." in result.stderr
    assert _count(SourceRecord) == 0
    result = runner.invoke(
        args=["import", str(FIXTURES / "contatti_cp1252.csv"), "--source", "shop"]
    )
    assert result.exit_code == 0, result.output
    assert " to review, " in result.stderr


US_ROWS = (
    "First Name,Last Name,Phone,Country\n"
    "Ann,Baker,(212) 736-5000,\n"
    "Bob,Clark,650-253-0000,\n"
    "Cora,Diaz,415 555 2671,\n"
    "Dan,Evans,(718) 555-0101,\n"
    "Eve,Fox,202.456.1111,\n"
    "Gino,Verdi,333 1234567,Italia\n"
)


def test_a_new_source_reads_phones_in_the_country_they_show(runner, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(US_ROWS, encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--source", "us-crm"])
    assert result.exit_code == 0, result.output
    assert "written as numbers of US" in result.stderr
    assert profiles.search_profiles("Baker")[0][0].primary_phone == "+12127365000"
    # A row that names its country still reads its phone there.
    assert profiles.search_profiles("Verdi")[0][0].primary_phone == "+393331234567"
    assert db.session.scalar(select(Source.default_region).where(Source.name == "us-crm")) == "US"


def test_a_source_keeps_its_country_and_the_import_says_what_the_phones_read_as(
    runner, tmp_path, client, auth
):
    path = tmp_path / "contacts.csv"
    path.write_text(US_ROWS, encoding="utf-8")
    _run(runner, "bom_newlines.csv", "--source", "shop")  # the source exists, reading IT
    result = runner.invoke(args=["import", str(path), "--source", "shop"])
    assert result.exit_code == 0, result.output
    assert "import again with --region US" in result.stderr
    assert profiles.search_profiles("Baker")[0][0].primary_phone is None
    auth.login_as("marketer")
    batch_id = json.loads(result.stdout.strip().splitlines()[-1])["batch_id"]
    page = client.get(f"/imports/batches/{batch_id}").get_data(as_text=True)
    assert "written as numbers of United States" in page
    # Imported again as advised, the rows update their records (they have no id, and their
    # phones were no number before), instead of making a second profile of each.
    again = runner.invoke(args=["import", str(path), "--source", "shop", "--region", "US"])
    assert again.exit_code == 0, again.output
    assert "--region" not in again.stderr
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 5, 1)
    assert profiles.search_profiles("Baker")[0][0].primary_phone == "+12127365000"


def test_a_german_export_maps_without_a_mapping_file_and_its_phones_read_as_german(
    runner, tmp_path
):
    rows = [
        "Vorname;Nachname;E-Mail;Telefon;Straße;PLZ;Ort;Land;Geburtsdatum",
        "Jürgen;Müller;jm@beispiel.de;0172 29675615;Hauptstraße 5;10115;Berlin;;31.12.1980",
        "Anna;Schmidt;as@beispiel.de;089-80213707;Ringstraße 2;80331;München;;01.02.1975",
        "Karl;Weber;kw@beispiel.de;0711-8417005;Bahnhofstraße 9;80335;München;;03.04.1960",
        "Eva;Wagner;ew@beispiel.de;069 5852400;Am Markt 1;20095;Hamburg;;05.06.1990",
        "Paul;Becker;pb@beispiel.de;0221/6306960;Gartenweg 3;50667;Köln;;07.08.1985",
        "Lena;Hoffmann;lh@beispiel.de;030 9105266;Domplatz 4;50667;Köln;;09.10.1970",
    ]
    path = tmp_path / "kontakte.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8-sig")
    result = runner.invoke(args=["import", str(path), "--source", "de-shop"])
    assert result.exit_code == 0, result.output
    juergen = profiles.search_profiles("jm@beispiel.de")[0][0]
    assert (juergen.first_name, juergen.last_name, juergen.city) == ("Jürgen", "Müller", "Berlin")
    assert (juergen.postcode, juergen.birth_date.isoformat()) == ("10115", "1980-12-31")
    assert juergen.address.startswith("Hauptstraße 5")
    assert juergen.primary_phone == "+4917229675615"  # the new source reads German numbers
    assert db.session.scalar(select(Source.default_region).where(Source.name == "de-shop")) == "DE"


def test_columns_no_field_reads_are_named_on_stderr(runner, tmp_path):
    """A user test: an Italian web form's "Consenso" column was left out without a word
    (the web preview names it; the command line did not)."""
    csv_file = tmp_path / "webform.csv"
    csv_file.write_text("Nome;Cognome;Email;Consenso;Voto\nAnna;Neri;a@example.it;si;5\n")
    result = runner.invoke(args=["import", str(csv_file), "--source", "sito"])
    assert result.exit_code == 0, result.output
    assert 'Columns not imported: "Consenso", "Voto"' in result.stderr
    # A "Note" column has no field to map to: the message says where its cells are kept.
    assert "shown with the record on the profile page" in result.stderr
    assert "If one holds a field under another name" in result.stderr


def test_columns_and_sheets_left_out_are_named_on_stderr(runner, tmp_path):
    from tests import factories

    csv_file = tmp_path / "dup.csv"
    csv_file.write_text("Name,Name,Email\nAnna Neri,Neri,a@example.it\n")
    result = runner.invoke(args=["import", str(csv_file), "--source", "dup"])
    assert result.exit_code == 0, result.output
    assert 'Columns not imported: "Name (2)" (its field is read from "Name")' in result.stderr
    book = tmp_path / "multi.xlsx"
    book.write_bytes(
        factories.workbook(
            {
                "Milano": [["Email", "Nome"], ["m@example.it", "Mara"]],
                "Note": [["Testo", "Data"], ["chiamare", "lunedì"]],
            }  # fmt: skip
        )
    )
    result = runner.invoke(args=["import", str(book), "--source", "xls"])
    assert result.exit_code == 0, result.output
    assert "Sheets not imported: Note" in result.stderr


def test_the_progress_line_counts_earlier_profiles_its_rows_joined(runner, tmp_path):
    header = "id,first_name,last_name,birth_date,postcode,city,email,phone\n"
    files = {
        "shop": "1,Marco,Bellandi,,,,marco@example.com,\n",
        "crm": "C1,Marco,Bellandi,1979-05-02,50122,Firenze,,055 123456\n",
        # Joins the shop profile by email with the birth date and postcode the crm profile
        # has: the two earlier profiles now agree, and are merged. No row of it is.
        "telco": "T1,Marco,Bellandi,02/05/1979,50122,Firenze,marco@example.com,\n",
    }
    for source, row in files.items():
        path = tmp_path / f"{source}.csv"
        path.write_text(header + row, encoding="utf-8")
        result = runner.invoke(args=["import", str(path), "--source", source])
        assert result.exit_code == 0, result.output

    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["merged"], summary["rematched"]) == (1, 1)
    assert "earlier profiles merged or sent to review: 1 pairs" in result.stderr


def test_a_vcard_file_imports_a_person_a_card_and_again_changes_nothing(runner):
    summary = _run(runner, "contacts.vcf", "--source", "iphone")
    assert (summary["rows"], summary["created"], summary["rejected"]) == (3, 2, 1)
    giulia = _profile("giulia.rossi@example.com")
    assert (giulia.first_name, giulia.last_name, giulia.city) == ("Giulia", "Rossi", "Bergamo")
    assert [t.name for t in giulia.tags] == ["Clienti"]
    nicolo = _profile("nicolo@example.it")
    assert (nicolo.first_name, nicolo.last_name) == ("Nicolò", "Barbieri")
    rejected = db.session.scalar(select(ImportRejection))
    assert rejected.row_number == 3  # the third card names no one
    again = _run(runner, "contacts.vcf", "--source", "iphone")
    assert (again["created"], again["unchanged"]) == (0, 2)


def test_a_column_nobody_headed_is_named_on_stderr_and_kept_in_the_raw_record(runner, tmp_path):
    """A user test: a column under a blank header was left out without a word."""
    csv_file = tmp_path / "soci.csv"
    csv_file.write_text("Nome;Cognome;;Email\nAnna;Neri;tessera 118;a@example.it\n")
    result = runner.invoke(args=["import", str(csv_file), "--source", "soci"])
    assert result.exit_code == 0, result.output
    assert 'Columns not imported: "(column C)"' in result.stderr
    record = db.session.scalars(select(SourceRecord)).one()
    assert record.raw["(column C)"] == "tessera 118"


def test_a_sheets_total_line_is_rejected_with_its_row_number(runner, tmp_path):
    csv_file = tmp_path / "fiera.csv"
    csv_file.write_text(
        "Nome;Cognome;Email;Città\nAnna;Neri;a@example.it;N/D\nTotale contatti: 1;;;\n"
    )
    result = runner.invoke(args=["import", str(csv_file), "--source", "fiera"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["created"], summary["rejected"]) == (1, 1)
    rejection = db.session.scalars(select(ImportRejection)).one()
    assert (rejection.row_number, rejection.reason) == (
        3,
        "a total line of the sheet, not a person",
    )
    assert _profile("a@example.it").city is None  # "N/D" is no city


def test_rejections_and_warnings_are_printed_and_written_to_the_report(runner, tmp_path):
    """A user test: the command line said "1 rejected" and nothing of which row or why."""
    lines = ["Nome;Cognome;Email"] + [f"P{n};Rossi{n};p{n}@example.it" for n in range(3)]
    lines += ["Nome;Cognome;Email", "Anna;Neri;anna@", *(f"X{n};;x{n}@" for n in range(12))]
    data = tmp_path / "soci.csv"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = tmp_path / "report.csv"

    result = runner.invoke(args=["import", str(data), "--source", "soci", "--report", str(report)])

    assert result.exit_code == 0, result.output
    assert "row 5: rejected: the header row again" in result.stderr
    assert "row 6, column Email: warning: invalid email" in result.stderr
    assert "--report FILE" not in result.stderr  # it was given
    written = report.read_text(encoding="utf-8-sig").splitlines()
    assert written[0].startswith("row,kind,column,reason,")
    assert len(written) == 1 + _count(ImportRejection)
    without = runner.invoke(args=["import", str(data), "--source", "soci2"])
    assert "more: --report FILE writes them all" in without.stderr


def test_the_report_shows_a_header_written_as_a_formula_as_text(runner, tmp_path):
    data = tmp_path / "partner.csv"
    data.write_text(
        'Nome,Email,"=HYPERLINK(""http://evil.example"")"\nAnna,not-an-email,=1+1\n',
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    result = runner.invoke(
        args=["import", str(data), "--source", "partner", "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    header, row = list(csv.reader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    assert header[-1] == """'=HYPERLINK("http://evil.example")"""
    assert row[-1] == "'=1+1"
