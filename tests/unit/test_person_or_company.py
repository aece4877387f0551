"""One cell for a customer who is a person or a business, as Italian invoicing tools keep it."""

import io

import pytest

from crm.extensions import db
from crm.models import Profile
from crm.services import ingest
from crm.services.rows import COMPANY_IN_NAME, PERSON_IN_COMPANY, normalise_row


def _row(**values):
    return normalise_row(values, "IT")


def test_a_business_in_a_name_column_is_the_company_and_the_contact_the_person():
    # Fatture in Cloud: "Nome" the customer, "Referente" the person to speak to.
    row = _row(first_name="Ferramenta Colombo S.r.l.", full_name="Giorgio Colombo")
    assert row.fields == {
        "company": "Ferramenta Colombo S.r.l.",
        "first_name": "Giorgio",
        "last_name": "Colombo",
    }
    assert row.warnings == [("first_name", COMPANY_IN_NAME)]
    row = _row(full_name="Trattoria Da Gino S.n.c.", email="gino@example.it")
    assert row.fields == {"company": "Trattoria Da Gino S.n.c."}


@pytest.mark.parametrize(
    "name",
    ["Studio Associato Ferri", "Hotel Bellavista", "Müller Logistik GmbH", "Acme Inc."],
)
def test_names_of_businesses_are_told_by_their_legal_form_or_trade(name):
    assert _row(full_name=name, email="x@example.it").fields == {"company": name}


@pytest.mark.parametrize(
    ("values", "first", "last"),
    [
        ({"last_name": "Salone", "first_name": "Maria"}, "Maria", "Salone"),  # one word
        ({"full_name": "Maria Salone"}, "Maria", "Salone"),  # a trade's word, not first
        ({"full_name": "Giovanni Studioso"}, "Giovanni", "Studioso"),
        # A given name that is a legal form elsewhere (a Norwegian ASA), a slip of one
        # that is a trade's word (Banca for Bianca): found in the benchmark's badges.
        ({"full_name": "Asa Poli"}, "Asa", "Poli"),
        ({"full_name": "Banca Bruno"}, "Banca", "Bruno"),
    ],
)
def test_people_whose_names_hold_such_words_stay_people(values, first, last):
    row = _row(**values)
    assert (row.fields.get("first_name"), row.fields.get("last_name")) == (first, last)
    assert "company" not in row.fields


def test_a_person_in_the_company_column_of_a_row_naming_nobody_is_the_person():
    # Danea's "Denominazione" of a private customer, written surname first.
    row = _row(company="Rossi Anna", email="anna.rossi82@example.it")
    assert row.fields == {"first_name": "Anna", "last_name": "Rossi"}
    assert row.warnings == [("company", PERSON_IN_COMPANY)]
    assert _row(company="Anna Rossi", email="a@example.it").fields["last_name"] == "Rossi"
    # An organisation's name stays the company.
    assert _row(company="Valli Moda", email="v@example.it").fields == {"company": "Valli Moda"}


def test_a_company_that_is_the_rows_own_name_is_no_company():
    # TeamSystem: "Ragione sociale" ROSSI MARIO beside Cognome ROSSI and Nome MARIO.
    row = _row(company="ROSSI MARIO", last_name="ROSSI", first_name="MARIO")
    assert row.fields == {"first_name": "Mario", "last_name": "Rossi"}
    row = _row(company="Rossi Mario Consulting", last_name="Rossi", first_name="Mario")
    assert row.fields["company"] == "Rossi Mario Consulting"


def test_a_name_in_capitals_that_reads_surname_first_follows_its_own_order():
    # A fair's sheet of "Mario Rossi", one line typed "ROSSI ANNA".
    row = _row(full_name="ROSSI ANNA")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("Anna", "Rossi")
    # In mixed case the file's order holds: a slip or an unknown given name comes first.
    row = _row(full_name="Edoadro Martin")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("Edoadro", "Martin")


def test_a_wife_at_a_fair_does_not_become_her_husbands_profile(app):
    def load(text: str, source: str) -> None:
        ingest.import_stream(io.BytesIO(text.encode()), filename="f.csv", source_name=source)

    load("Nome,Cognome,Telefono\nMario,Rossi,02 48001234\n", "shop")
    load("Nominativo,Telefono\nMario Bianchi,333 1234567\nROSSI ANNA,0248001234\n", "fiera")
    people = {(p.first_name, p.last_name) for p in db.session.query(Profile)}
    assert ("Mario", "Rossi") in people and ("Anna", "Rossi") in people
