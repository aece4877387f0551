"""Findings of a matching-quality test: the same street line in two towns, another street
in one postcode, colleagues on an office's switchboard, a father chained to his son
through a record without a birth date, and the words of a tax id's merge."""

import io
from dataclasses import replace
from datetime import date

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import DuplicateCandidate, Merge, Profile, SourceRecord
from crm.services import ingest, matching
from crm.services.matching import Person, compare

HEADER = "id,first_name,last_name,email,phone,birth_date,street,postcode,city,country,company\n"


def _import(text: str, source: str) -> dict:
    stream = io.BytesIO((HEADER + text).encode())
    return ingest.import_stream(stream, filename=f"{source}.csv", source_name=source)


def _profile_of(external_id: str) -> int:
    return db.session.scalar(
        select(SourceRecord.profile_id).where(SourceRecord.external_id == external_id)
    )


def _live() -> int:
    query = select(func.count()).select_from(Profile).where(Profile.merged_into_id.is_(None))
    return db.session.scalar(query)


def test_one_street_line_in_two_towns_is_not_one_address():
    milano = Person(
        "Giulia", "Rossi", date(1985, 4, 3), address="Via Roma 1", postcode="20121", city="Milano"
    )
    roma = Person(
        "Giulia", "Rossi", date(1985, 4, 3), address="Via Roma 1", postcode="00184", city="Roma"
    )
    decision = compare(milano, roma)
    assert decision.outcome == "review"
    assert "address: same street, another town" in decision.reasons
    assert "address: same" not in decision.reasons
    # One town written two ways, or one postcode: still the same address.
    rome = Person(
        "Giulia", "Rossi", date(1985, 4, 3), address="Via Roma 1", postcode="00184", city="Rome"
    )
    assert "address: same" in compare(roma, rome).reasons
    typo = Person(
        "Giulia", "Rossi", date(1985, 4, 3), address="Via Roma 1", postcode="00184", city="Roam"
    )
    assert "address: same" in compare(roma, typo).reasons


def test_a_new_years_day_birth_date_and_one_postcode_do_not_merge_two_streets():
    """1 January is where many systems put an unknown birthday: two Ahmed Hassan "born"
    on it in one postcode but on two streets are for a person to look at. Another day
    and one postcode still say a move nearby (FEBRL's duplicates)."""
    sonnenallee = Person(
        "Ahmed", "Hassan", date(1985, 1, 1), address="Sonnenallee 100", postcode="12045"
    )
    marx = replace(sonnenallee, address="Karl-Marx-Straße 50")
    decision = compare(sonnenallee, marx)
    assert decision.outcome == "review"
    assert matching.NO_MERGE_STRONG in decision.reasons
    moved = replace(sonnenallee, birth_date=date(1985, 3, 7))
    assert compare(moved, replace(marx, birth_date=date(1985, 3, 7))).outcome == "merge"


def test_colleagues_on_one_switchboard_are_not_joined_by_it(app):
    summary = _import(
        "e1,Laura,Romano,laura.romano@studio-rx.it,+39 02 7770000,,Via Verdi 2,20121,Milano,"
        "Italy,Studio RX\n"
        "e2,Laura,Rovani,laura.rovani@studio-rx.it,+39 02 7770000,,Via Verdi 2,20121,Milano,"
        "Italy,Studio RX\n",
        "crm",
    )
    assert summary["merged"] == 0
    assert _profile_of("e1") != _profile_of("e2")
    (reasons,) = db.session.scalars(select(DuplicateCandidate.reasons))
    assert matching.NO_MERGE_COLLEAGUES in reasons


def test_colleagues_are_told_from_a_slip_of_one_address():
    assert matching.colleagues(("laura.romano@studio-rx.it",), ("laura.rovani@studio-rx.it",))
    assert matching.colleagues(("info@studio-rx.it",), ("laura.rovani@studio-rx.it",))
    assert not matching.colleagues(("s.hofmann@kanzlei-h.de",), ("s.hoffmann@kanzlei-h.de",))
    assert not matching.colleagues(("anna@gmail.com",), ("bea@gmail.com",))  # a webmail
    assert not matching.colleagues(("anna@acme.it", "x@acme.it"), ("anna@acme.it",))
    assert not matching.colleagues((), ("anna@acme.it",))
    anna = Person("Anna", "Neri", emails=("anna.neri@acme.it",), phones=("+390212345",))
    other = Person("Anna", "Neri", emails=("a.neri@acme.it",), phones=("+390212345",))
    place = {"address": "Via Po 1", "postcode": "20121"}
    decision = compare(replace(anna, **place), replace(other, **place))
    assert decision.outcome == "review" and matching.NO_MERGE_COLLEAGUES in decision.reasons


def test_a_son_is_not_chained_to_his_fathers_profile_by_a_record_without_a_birth_date(app):
    _import(
        "u1,Giuseppe,Russo,giuseppe.russo50@libero.it,+39 06 5551234,1950-02-10,"
        "Via Appia 200,00179,Roma,Italy,\n",
        "shop",
    )
    # Joins the father through the home's landline: nothing says otherwise.
    assert (
        _import("v1,Giuseppe,Russo,peppe.russo@gmail.com,+39 06 5551234,,,,Roma,Italy,\n", "fair")[
            "merged"
        ]
        == 1
    )
    summary = _import(
        "v2,Giuseppe,Russo,peppe.russo@gmail.com,+39 347 9998877,1978-07-21,"
        "Via Appia 200,00179,Roma,Italy,\n",
        "web",
    )
    assert summary["merged"] == 0 and summary["review"] == 1
    father = db.session.get(Profile, _profile_of("u1"))
    assert father.birth_date == date(1950, 2, 10)
    assert _profile_of("v2") != father.id
    assert db.session.scalar(select(func.count()).select_from(Merge)) == 0
    assert _live() == 2


def test_a_tax_id_merge_says_it_was_the_tax_id():
    colombo = Person("Laura", "Colombo", tax_id="CLMLRA80A41F205W", emails=("lc@libero.it",))
    rossi = Person("Laura", "Rossi", tax_id="CLMLRA80A41F205W", emails=("lr@gmail.com",))
    decision = compare(colombo, rossi)
    assert decision.outcome == "merge"
    assert matching.SURNAME_CHANGED_TAX_ID in decision.reasons
    assert "last name: changed, same first name and email or phone" not in decision.reasons


def test_a_married_name_on_the_same_mobile_and_town_reaches_review(app):
    """A newsletter rarely has a birth date: the same first name, mobile and town beside
    a new surname is for a person to look at, not a stranger."""
    _import("b1,Ornella,Brambati,ornella.b@libero.it,335 9870002,,,,Cuneo,Italy,\n", "web")
    summary = _import(
        "s1,Ornella,Scarpolini,ornella.scarpolini@gmail.com,+39 335 9870002,,,,Cuneo,Italy,\n",
        "newsletter",
    )
    assert summary["merged"] == 0 and summary["review"] == 1
    (pair,) = db.session.scalars(select(DuplicateCandidate))
    assert {pair.profile_a_id, pair.profile_b_id} == {_profile_of("b1"), _profile_of("s1")}
    # The mobile alone, with no town in common, is enough for a look (a new surname and
    # a new address often come together), never for a merge.
    assert (
        compare(
            Person("Ornella", "Brambati", phones=("+393359870002",)),
            Person("Ornella", "Scarpolini", phones=("+393359870002",)),
        ).outcome
        == "review"
    )
