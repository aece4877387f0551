"""Middle name columns (Google Contacts, Outlook, vCard) join the person's name."""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import ImportRejection, Profile
from crm.services import ingest, readers, rows

GOOGLE = "First Name,Middle Name,Last Name,E-mail 1 - Value\n"


def _import(text: str, source: str = "contacts", filename: str = "contacts.csv") -> dict:
    """Import text as a file from source."""
    return ingest.import_stream(io.BytesIO(text.encode()), filename=filename, source_name=source)


def _names() -> list[tuple[str, str]]:
    """(first, last) of every live profile, by id."""
    return [
        (p.first_name, p.last_name)
        for p in db.session.scalars(
            select(Profile).where(Profile.merged_into_id.is_(None)).order_by(Profile.id)
        )
    ]


def test_middle_name_headers_of_other_tools_are_recognised():
    for header in (
        "Middle Name",
        "Additional Name",
        "Secondo nome",
        "MiddleName",
        "Zweiter Vorname",
    ):
        mapping = readers.map_headers(["First Name", header, "Last Name", "Email"])
        assert mapping.columns[header] == "middle_name"
    # In Britain a "second name" is the surname: not taken for a middle name.
    assert "Second Name" not in readers.map_headers(["Second Name", "Email"]).columns


def test_given_names_join_the_first_name_and_particles_the_last_name():
    def names(middle: str, first: str = "Anna", last: str = "Luca") -> tuple:
        fields = rows.normalise_row(
            {"first_name": first, "middle_name": middle, "last_name": last}, "IT"
        ).fields
        return fields.get("first_name"), fields.get("last_name")

    assert names("Maria") == ("Anna Maria", "Luca")
    # Google splits "Anna Maria De Luca" typed in one box into Anna, "Maria De", Luca.
    assert names("Maria De") == ("Anna Maria", "De Luca")
    assert names("van der", first="Pieter", last="Berg") == ("Pieter", "van der Berg")
    assert names("F.", first="John", last="Kennedy") == ("John F.", "Kennedy")
    assert names("MARIA", first="ANNA", last="ROSSI") == ("Anna Maria", "Rossi")
    assert names("") == ("Anna", "Luca")


def test_a_google_contacts_export_keeps_the_middle_name_and_still_joins_by_email(app):
    _import(GOOGLE + "Anna,Maria,Rossi,anna.rossi@example.it\n")
    shop = "id,first_name,last_name,email\nS1,Anna,Rossi,anna.rossi@example.it\n"
    summary = _import(shop, source="shop")

    assert summary["merged"] == 1
    assert _names() == [("Anna Maria", "Rossi")]  # the fuller writing stays


def test_a_middle_name_with_no_name_to_join_is_reported_and_the_row_kept(app):
    summary = _import(GOOGLE + ",Maria,Rossi,m.rossi@example.it\n")

    assert (summary["created"], summary["warnings"]) == (1, 1)
    warning = db.session.scalar(select(ImportRejection))
    assert warning.column == "Middle Name"
    assert warning.reason == rows.MIDDLE_WITHOUT_FIRST
    assert _names() == [(None, "Rossi")]


def test_a_vcard_middle_name_joins_the_first_name(app):
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Rossi;Anna;Maria;;\r\nFN:Anna Maria Rossi\r\n"
        "EMAIL:anna@example.it\r\nEND:VCARD\r\n"
    )
    _import(card, filename="contacts.vcf")

    assert _names() == [("Anna Maria", "Rossi")]


def test_a_row_with_the_first_word_of_a_two_word_first_name_joins_on_a_shared_email(app):
    # A Spanish badge without a country reads "Jorge García Santos" as Jorge García /
    # Santos; the newsletter's "Jorge" on the same address is the same person, not a name
    # cut short (Giulia / Lia on a family mailbox stay two).
    _import("name,email\nJorge García Santos,j.garcia@greennord.es\n", source="events")
    summary = _import("email,first_name\nj.garcia@greennord.es,Jorge\n", source="newsletter")

    assert summary["merged"] == 1
    assert len(_names()) == 1
