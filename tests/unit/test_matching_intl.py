"""Matching across scripts, romanisations, street abbreviations of several languages,
legal forms and generations."""

import io
from datetime import date

import pytest
from sqlalchemy import select, update

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile, SourceRecord
from crm.services import ingest, match_keys, matching, profiles
from crm.services.matching import Person, blocking_keys, compare

HEADER = "id,first_name,last_name,email,phone,address,postcode,city,country\n"


def _import(rows: str, source: str) -> dict:
    stream = io.BytesIO((HEADER + rows).encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _profile_of(external_id: str) -> int:
    return db.session.scalar(
        select(SourceRecord.profile_id).where(SourceRecord.external_id == external_id)
    )


# --- One name in its own script and in Latin letters -----------------------------------------


@pytest.mark.parametrize(
    ("own", "latin"),
    [
        (("Ελευθερία", "Οικονόμου"), ("Eleftheria", "Oikonomou")),
        (("Σταύρος", "Μπαλτάς"), ("Stavros", "Baltas")),
        (("Сергей", "Кузнецов"), ("Sergey", "Kuznetsov")),
        (("Юрий", "Смирнов"), ("Yuri", "Smirnov")),
        (("Олена", "Шевченко"), ("Olena", "Shevchenko")),
    ],
)
def test_a_name_and_its_transliteration_are_one_name(own, latin):
    a = Person(*own, emails=("one@example.com",))
    b = Person(*latin, emails=("one@example.com",))
    decision = compare(a, b)
    assert decision.outcome == "merge"
    assert "last name: exact" in decision.reasons
    assert not ingest._apart(a, b) and not ingest._apart(b, a)
    # They meet in the same blocks without a shared identifier too.
    assert blocking_keys(Person(*own)) & blocking_keys(Person(*latin))


@pytest.mark.parametrize(
    ("x", "y"),
    [("Dmitriy", "Dmitrii"), ("Dmitrii", "Dmitry"), ("Dmitrij", "Dmitriy"), ("Andrei", "Andrey"),
     ("Nikolai", "Nikolaj"), ("Iakov", "Yakov"), ("Yulia", "Iulia"), ("Aleksei", "Alexey"),
     ("Дмитрий", "Dmitrii")],
)  # fmt: skip
def test_romanisations_of_one_name_compare_as_a_slip(x, y):
    # A slip of spelling, or the nickname lists' variants of one name.
    assert matching._first_level(x, y) in ("typo", "nickname")
    assert matching.first_names_slip(x, y)


def test_romanisations_do_not_join_names_that_differ():
    assert matching._first_level("Ian", "Jan") == "different"  # too short to tell
    assert matching._first_level("Marco", "Marta") == "different"
    assert matching._last_level("Tolstoy", "Tolstoi") == "typo"
    assert matching.surnames_apart("Petrov", "Sidorov")


def test_the_same_email_joins_a_name_written_in_two_scripts(app):
    _import(
        "G1,Ελευθερία,Οικονόμου,eleftheria@example.gr,,,,Θεσσαλονίκη,GR\n"
        "R1,Сергей,Кузнецов,,+7 916 555-12-34,,,Москва,RU\n",
        "newsletter",
    )
    summary = _import(
        "G2,Eleftheria,Oikonomou,eleftheria@example.gr,,,,Thessaloniki,GR\n"
        "R2,Sergei,Kuznetsov,s.kuznetsov@example.com,+79165551234,,,Moscow,RU\n",
        "fair",
    )
    assert summary["created"] == 0
    assert _profile_of("G1") == _profile_of("G2")
    assert _profile_of("R1") == _profile_of("R2")


def test_an_upgrade_refolds_the_search_columns_of_old_profiles(app):
    _import("R1,Сергей,Кузнецов,s.k@example.com,,,,,RU\n", "newsletter")
    profile = db.session.get(Profile, _profile_of("R1"))
    # As a database of the previous version stored it: the name folded in its own script.
    db.session.execute(
        update(Profile).where(Profile.id == profile.id).values(search_name="сергей кузнецов")
    )
    db.session.commit()
    match_keys.rebuild_all()
    assert profiles.search_profiles("Kuznetsov")[0][0].id == profile.id
    assert profiles.search_profiles("Кузнецов")[0][0].id == profile.id
    assert matching.KEYS_VERSION >= 6


# --- Street abbreviations -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ("Bahnhofstraße 7", "Bahnhofstr. 7"),
        ("Bahnhofstrasse 7", "Bahnhofstr. 7"),
        ("Bahnhof Str. 7", "Bahnhofstraße 7"),
        ("Karlsplatz 3", "Karlspl. 3"),
        ("Oudegracht 12", "Oudegracht 12"),
        ("Leidsestraat 12", "Leidsestr. 12"),
        ("12 Oak Street", "12 Oak St."),
        ("12 Oak St Apt 4", "12 Oak Street Apt 4"),
        ("9 Sunset Boulevard", "9 Sunset Blvd"),
        ("9 Maple Avenue", "9 Maple Ave"),
        ("9 Mill Road", "9 Mill Rd"),
        ("9 Lake Drive", "9 Lake Dr"),
        ("9 Park Lane", "9 Park Ln"),
        ("9 Kings Court", "9 Kings Ct"),
        ("9 Berkeley Place", "9 Berkeley Pl"),
        ("9 Russell Square", "9 Russell Sq"),
        ("9 St Marys Road", "9 Saint Marys Rd"),
        ("4 place des Vosges", "4 pl. des Vosges"),
        ("4 boulevard Haussmann", "4 bd Haussmann"),
        ("4 avenue Foch", "4 av. Foch"),
        ("4 rue de Rivoli", "4 r. de Rivoli"),
        ("4 route de Lyon", "4 rte de Lyon"),
        ("4 chemin des Vignes", "4 ch. des Vignes"),
        ("4 impasse Verte", "4 imp. Verte"),
        ("Avenida de América 8", "Avda. de América 8"),
        ("Plaza Mayor 8", "Pza. Mayor 8"),
        ("Paseo del Prado 8", "Pº del Prado 8"),
        ("Rua Augusta 8", "R. Augusta 8"),
        ("Avenida da Liberdade 8", "Av. da Liberdade 8"),
        ("ulica Długa 8", "ul. Długa 8"),
        ("aleja Róż 8", "al. Róż 8"),
        ("Via Mazzini 8", "V. Mazzini 8"),
    ],
)
def test_a_street_and_its_abbreviation_are_one_address(x, y):
    assert matching._address_level(x, y) == "same"


def test_st_is_a_street_after_the_name_and_a_saint_before_it():
    assert matching.street_words("10 St Johns Road") == matching.street_words("10 Saint Johns Rd")
    assert (
        matching.street_words("10 St Johns Road")[0]
        != matching.street_words("10 Street Johns Road")[0]
    )
    assert matching.street_words("Rue St Jacques 3")[0] == "rue saint jacques"
    assert matching.street_words("3 Elm St")[0] == "elm street"


def test_two_streets_stay_two_streets():
    assert matching._address_level("Via Roma 5", "Via Rossi 5") == "different"
    assert matching._address_level("Via II Giugno 5", "Via XX Giugno 5") == "different"
    assert matching._address_level("Bahnhofstr. 7", "Schulstr. 7") == "different"
    assert matching._address_level("12 Oak St", "14 Oak Street") == "same street, other number"


def test_an_abbreviation_no_list_knows_is_no_evidence_against_the_pair():
    a = Person("Lucía", "Serrano", address="C/ Alcalá 40", postcode="28014", city="Madrid")
    b = Person("Lucía", "Serrano", address="Calle Alcalá 40", postcode="28014", city="Madrid")
    decision = compare(a, b)
    assert not any(r.startswith("address:") for r in decision.reasons)
    assert decision.score > compare(a, Person(**{**_fields(b), "address": "Calle Mayor 40"})).score
    # Neither a strong signal: the same postcode beside a street written two ways.
    assert decision.outcome != "merge"


def _fields(person: Person) -> dict:
    return {name: getattr(person, name) for name in person.__dataclass_fields__}


def test_an_abbreviated_german_street_reaches_the_review_queue(app):
    header = "id,first_name,last_name,email,address,postcode,city,country\n"
    for source, row in (
        ("crm", "A1,Greta,Vogel,greta@vogel.example,Lindenstraße 4,50674,Köln,Deutschland\n"),
        ("fair", "B1,Greta,Vogel,g.vogel@work.example,Lindenstr. 4,50674,Köln,Deutschland\n"),
    ):
        stream = io.BytesIO((header + row).encode())
        ingest.import_stream(stream, filename="people.csv", source_name=source)
    pair = db.session.scalar(select(DuplicateCandidate))
    assert pair is not None
    assert "address: same" in pair.reasons


# --- Companies and generations -------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "y"),
    [("Ferri S.r.l.", "Ferri Srl"), ("Ferri S.p.A.", "Ferri"), ("Nordlicht GmbH", "Nordlicht"),
     ("Hansen A/S", "Hansen"), ("Koala Pty. Ltd.", "Koala"), ("Lumen B.V.", "Lumen bv")],
)  # fmt: skip
def test_a_company_with_and_without_its_legal_form_is_one_company(x, y):
    assert matching.company_core(x) == matching.company_core(y)
    assert matching._company_same(x, y)


def test_father_and_son_are_explained_as_two_generations():
    landline = ("+12175550199",)
    senior = Person("Frank", "Miller Sr.", phones=landline, address="8 Oak St", city="Salem")
    junior = Person("Frank", "Miller Jr.", phones=landline, address="8 Oak Street", city="Salem")
    decision = compare(senior, junior)
    assert decision.outcome == "review"
    assert matching.LAST_GENERATIONS in decision.reasons
    assert "last name: changed, same first name and email or phone" not in decision.reasons
    assert matching.NO_MERGE_SURNAMES not in decision.reasons
    assert "address: same" in decision.reasons
    assert ingest._apart(senior, junior)
    # A new surname with the same first name is still explained as one.
    married = compare(
        Person("Laura", "Bianchi", date(1985, 3, 12), phones=landline),
        Person("Laura", "Colombo", date(1985, 3, 12), phones=landline),
    )
    assert "last name: changed, same first name and birth date" in married.reasons
    assert matching.LAST_GENERATIONS not in married.reasons


def test_arabic_and_spanish_particles_and_a_brazilian_son_are_read_as_such():
    assert matching.surname_tokens("El Rashid") == matching.surname_tokens("Rashid")
    assert matching.surname_tokens("bin Salman") == frozenset({"salman"})
    assert matching.surname_tokens("de los Ríos") == frozenset({"rios"})
    assert matching.surnames_apart("Silva Filho", "Silva Neto")  # a son and a grandson
