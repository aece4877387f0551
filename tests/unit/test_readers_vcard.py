"""vCard files (Apple Contacts, a phone's export, Outlook's .vcf): read as rows of the
ordinary columns, every email and phone of a card kept."""

import codecs
import io

from crm.services import readers
from crm.services.rows import normalise_row

APPLE = """BEGIN:VCARD
VERSION:3.0
PRODID:-//Apple Inc.//macOS 14.0//EN
N:Rossi;Giulia;Maria;Dott.;
FN:Dott. Giulia Maria Rossi
ORG:Rossi Arredamenti;Vendite
TITLE:Buyer
EMAIL;type=INTERNET;type=HOME;type=pref:giulia.rossi@example.com
EMAIL;type=INTERNET;type=WORK:g.rossi@rossiarredamenti.example
TEL;type=CELL;type=VOICE;type=pref:+39 333 123 4567
TEL;type=WORK;type=VOICE:035 123456
item1.ADR;type=WORK:;;Via Dante 2;Milano;MI;20121;Italia
item2.ADR;type=HOME;type=pref:;;Via Roma 1;Bergamo;BG;24121;Italia
BDAY:1985-03-12
NOTE:Conosciuta alla fiera\\, stand 4
CATEGORIES:Clienti,VIP
UID:4F1A2B3C-1111-2222-3333-444455556666
END:VCARD
"""
# An old phone's export: vCard 2.1, names in quoted-printable UTF-8.
ANDROID = """BEGIN:VCARD
VERSION:2.1
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Barbieri;Nicol=C3=B2;;;
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Nicol=C3=B2 Barbieri
TEL;CELL:3401112233
TEL;HOME:02 7654321
EMAIL;HOME:nicolo@example.it
END:VCARD
"""
VCARD4 = """BEGIN:VCARD
VERSION:4.0
FN:Anna Costa
N:Costa;Anna;;;
EMAIL;TYPE=work:anna@costa.example
TEL;VALUE=uri;TYPE="voice,cell":tel:+39-338-765-4321
END:VCARD
"""
NOBODY = "BEGIN:VCARD\nVERSION:3.0\nNOTE:an empty card\nEND:VCARD\n"


def _read(text: str, encoding: str = "utf-8"):
    mapping, rows = readers.read_vcard(io.BytesIO(text.encode(encoding)))
    return mapping, list(rows)


def test_a_card_becomes_one_row_with_every_email_and_phone():
    mapping, (row,) = _read(APPLE)
    assert mapping.format == "vcard"
    assert mapping.columns["UID"] == "external_id"
    norm = normalise_row(row.values, "IT")
    assert norm.external_id == "4F1A2B3C-1111-2222-3333-444455556666"
    # The card's middle name joins the first name, as the person wrote it in one box.
    assert (norm.fields["first_name"], norm.fields["last_name"]) == ("Giulia Maria", "Rossi")
    assert norm.emails == ["giulia.rossi@example.com", "g.rossi@rossiarredamenti.example"]
    assert norm.phones == ["+393331234567", "+39035123456"]
    assert (norm.fields["company"], norm.fields["job_title"]) == ("Rossi Arredamenti", "Buyer")
    # The address the card prefers, whole: never a street of one and a city of another.
    assert (norm.fields["address"], norm.fields["city"]) == ("Via Roma 1", "Bergamo")
    assert (norm.fields["postcode"], norm.fields["country"]) == ("24121", "IT")
    assert norm.fields["birth_date"] == "1985-03-12"
    assert norm.tags == ["Clienti", "VIP"]
    # What no field reads stays in the raw record, as received.
    assert row.raw["Note"] == "Conosciuta alla fiera, stand 4"
    assert row.raw["Middle Name"] == "Maria"


def test_cards_of_every_version_are_read_and_numbered_in_order():
    mapping, rows = _read(APPLE + ANDROID + VCARD4)
    assert [row.number for row in rows] == [1, 2, 3]
    nicolo = normalise_row(rows[1].values, "IT")
    assert (nicolo.fields["first_name"], nicolo.fields["last_name"]) == ("Nicolò", "Barbieri")
    assert nicolo.phones == ["+393401112233", "+39027654321"]
    anna = normalise_row(rows[2].values, "IT")
    assert anna.emails == ["anna@costa.example"] and anna.phones == ["+393387654321"]


def test_a_card_without_a_person_is_a_row_the_importer_rejects():
    _mapping, (empty,) = _read(NOBODY)
    norm = normalise_row(empty.values, "IT")
    assert not (norm.has_name or norm.emails or norm.phones or norm.fields.get("tax_id"))
    assert empty.raw == {"Note": "an empty card"}


def test_a_vcard_file_is_told_from_csv_by_its_first_line():
    assert readers.is_vcard(io.BytesIO(APPLE.encode()))
    assert readers.is_vcard(io.BytesIO(codecs.BOM_UTF8 + APPLE.encode()))
    assert readers.is_vcard(io.BytesIO(codecs.BOM_UTF16_LE + APPLE.encode("utf-16-le")))
    assert readers.is_vcard(io.BytesIO(b"\r\n" + ANDROID.encode()))
    assert not readers.is_vcard(io.BytesIO(b"Nome;Cognome;Email\nMario;Rossi;m@x.it\n"))
    stream = io.BytesIO(APPLE.encode())
    readers.is_vcard(stream)
    assert stream.tell() == 0


def test_google_takeouts_zip_of_vcard_files_is_read_file_after_file():
    import zipfile

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("Takeout/Contacts/All Contacts/All Contacts.vcf", APPLE + ANDROID)
        archive.writestr("Takeout/Contacts/Clienti/Clienti.vcf", VCARD4)
        archive.writestr("Takeout/archive_browser.html", "<html></html>")
    packed.seek(0)
    mapping, rows = readers.read_archive(packed)
    rows = list(rows)
    assert mapping.files == [
        "Takeout/Contacts/All Contacts/All Contacts.vcf",
        "Takeout/Contacts/Clienti/Clienti.vcf",
    ]
    assert [(row.file.rsplit("/", 1)[-1], row.number) for row in rows] == [
        ("All Contacts.vcf", 1),
        ("All Contacts.vcf", 2),
        ("Clienti.vcf", 1),
    ]
    assert normalise_row(rows[2].values, "IT").emails == ["anna@costa.example"]


def _zip(members: dict[str, str]) -> io.BytesIO:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    buffer.seek(0)
    return buffer


def test_one_reading_of_a_files_kind_serves_the_import_and_the_preview():
    def kind(data: bytes | io.BytesIO, filename: str = "file", fmt: str = "auto") -> str:
        stream = data if isinstance(data, io.BytesIO) else io.BytesIO(data)
        found = readers.file_kind(stream, fmt=fmt, filename=filename)
        assert stream.tell() == 0  # rewound for the reader
        return found

    assert kind(APPLE.encode()) == "vcard"
    assert kind(codecs.BOM_UTF8 + APPLE.encode()) == "vcard"
    assert kind(b"first_name,email\nAda,ada@example.com\n") == "csv"
    assert kind(b'{"email": "ada@example.com"}\n') == "jsonl"
    assert kind(b"email\nada@example.com\n", filename="people.ndjson") == "jsonl"
    assert kind(b"email\nada@example.com\n", fmt="jsonl") == "jsonl"
    assert kind(b'{"email": "a@example.com"}\n', fmt="csv") == "csv"
    assert kind(_zip({"contacts.vcf": APPLE})) == "archive"
    # A zip named .json is still an archive: its name does not make it JSON Lines.
    assert kind(_zip({"a.csv": "email\nada@example.com\n"}), filename="export.json") == "archive"
    assert kind(_zip({"xl/workbook.xml": "<workbook/>"}), filename="people.xlsx") == "workbook"
