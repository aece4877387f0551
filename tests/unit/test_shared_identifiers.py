"""Two people behind one email or phone: families, colleagues, fathers and sons.

A shared identifier joins a row to its holder only when nothing says two people: these
are the cases an adversarial test found joined or merged silently.
"""

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import DuplicateCandidate, Merge, Profile, SourceRecord
from crm.services import ingest, matching, merging

HEADER = "id,first_name,last_name,birth_date,address,city,phone,email,tax_id\n"


def _import(text: str, source: str = "web") -> dict:
    stream = io.BytesIO((HEADER + text).encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _live_profiles() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Profile).where(Profile.merged_into_id.is_(None))
    )


def _profile_of(external_id: str) -> int:
    return db.session.scalar(
        select(SourceRecord.profile_id).where(SourceRecord.external_id == external_id)
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Luca", "Lucia"),
        ("Marco", "Marta"),
        ("Stefano", "Stefania"),
        ("Fabio", "Fabiola"),
        ("Gabriele", "Gabriella"),
        ("Giuseppe", "Giuseppina"),
    ],
)
def test_a_couple_on_the_family_email_stays_two_people(app, first, second):
    _import(f"1,{first},Rossi,,,Roma,,famiglia.rossi@example.com,\n")
    summary = _import(f"2,{second},Rossi,,,Roma,,famiglia.rossi@example.com,\n", "shop")
    assert summary["merged"] == 0
    assert _live_profiles() == 2
    assert _profile_of("1") != _profile_of("2")


def test_colleagues_on_the_office_email_or_switchboard_stay_two_people(app):
    _import("1,Marco,Rossi,,,Milano,02 1234567,info@acme.it,\n")
    summary = _import("2,Marco,Bianchi,,,Milano,02 1234567,info@acme.it,\n", "shop")
    assert summary["merged"] == 0
    assert _profile_of("1") != _profile_of("2")
    # An office's info@ names nobody: one name's slip there is for a person to look at;
    # the same name, with nothing that disagrees, is the same person.
    summary = _import("3,Marco,Rosi,,,Milano,,info@acme.it,\n", "crm")
    assert (summary["merged"], summary["review"]) == (0, 1)
    summary = _import("4,Marco,Rossi,,,Milano,,info@acme.it,\n", "crm")
    assert summary["merged"] == 1 and _profile_of("4") == _profile_of("1")


def test_twins_with_names_one_letter_apart_are_not_merged_automatically(app):
    _import("1,Martina,Galli,1994-06-02,Via Roma 3,Parma,,martina.galli@example.com,\n")
    summary = _import("2,Marina,Galli,1994-06-02,Via Roma 3,Parma,,marina.g@example.com,\n", "shop")
    assert summary["merged"] == 0 and db.session.scalar(select(func.count(Merge.id))) == 0
    assert _profile_of("1") != _profile_of("2")


def test_a_father_and_son_a_generation_apart_are_never_one_by_a_date_slip(app):
    _import("1,Franco,Moretti,1950-03-05,,Bologna,051 234567,,\n")
    summary = _import("2,Franco,Moretti,1985-05-03,,Bologna,051 234567,,\n", "shop")
    assert summary["merged"] == 0
    _import("3,Mario,Verdi,1948-02-11,,Bologna,051 765432,,\n")
    summary = _import("4,Mario,Verdi,1978-02-11,,Bologna,051 765432,,\n", "shop")
    assert summary["merged"] == 0
    assert _live_profiles() == 4


def test_junior_and_senior_on_one_landline_are_two_people(app):
    _import("1,Franco,Moretti Sr.,,,Bologna,051 234567,,\n")
    summary = _import("2,Franco,Moretti Jr.,,,Bologna,051 234567,,\n", "shop")
    assert summary["merged"] == 0 and _profile_of("1") != _profile_of("2")
    # Without the suffix on one side the surname is the same.
    summary = _import("3,Franco,Moretti,,,Bologna,051 234567,,\n", "crm")
    assert summary["merged"] == 1


def test_different_tax_ids_keep_a_shared_phone_from_joining(app):
    _import("1,Mario,Rossi,,,Roma,06 1234567,,RSSMRA50C05H501F\n")
    summary = _import("2,Mario,Rossi,,,Roma,06 1234567,,RSSMRA85E03H501O\n", "shop")
    assert summary["merged"] == 0
    assert _profile_of("1") != _profile_of("2")
    pair = db.session.scalar(select(DuplicateCandidate))
    assert pair is not None and "veto: different tax ids" in pair.reasons


def test_birth_levels_count_the_year():
    assert matching._birth_level(date(1950, 3, 5), date(1985, 5, 3)) == "different"
    assert matching._birth_level(date(1985, 3, 5), date(1985, 5, 3)) == "day and month swapped"
    assert matching._birth_level(date(1948, 2, 11), date(1978, 2, 11)) == "different"
    assert matching._birth_level(date(1978, 2, 11), date(1979, 2, 11)) == "one digit off"
    assert matching._birth_level(date(1978, 2, 11), date(1978, 2, 12)) == "one digit off"
    # Nearer than a generation: a slip in the decade, not a father and son.
    assert matching._birth_level(date(1978, 2, 11), date(1987, 2, 11)) == "one digit off"
    assert matching._birth_level(date(1985, 2, 11), date(1995, 2, 11)) == "one digit off"


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Marco", "Marta", "different"),
        ("Luca", "Lucia", "different"),
        ("Martina", "Marina", "different"),
        ("Cristina", "Christina", "typo"),
        ("Ann", "Anna", "nickname"),
        ("Daniel", "Daniela", "different"),
        ("Nando", "Ferdinando", "nickname"),
        ("Betty", "Elisabetta", "nickname"),
        ("Chiara", "Chiera", "different"),  # not a name: a slip, joined on an identifier
    ],
)
def test_two_names_people_bear_are_two_people(a, b, level):
    assert matching._first_level(a, b) == level
    if level == "different":  # on a shared email or phone, only a slip still joins
        assert matching.first_names_slip(a, b) == (b == "Chiera")


def test_surname_generations():
    assert matching._last_level("Moretti Sr.", "Moretti Jr.") == "different"
    assert matching._last_level("Moretti", "Moretti Jr.") == "exact"
    assert matching._last_level("Moretti III", "Moretti III") == "exact"


def test_a_surname_changed_by_marriage_reaches_review_with_the_same_birth_date_and_home(app):
    _import("1,Anna,Rossi,1980-05-03,Via Roma 12,Milano,,anna.rossi@example.com,\n")
    summary = _import("2,Anna,Bianchi,1980-05-03,Via Roma 12,Milano,,anna.b@example.com,\n", "crm")
    assert (summary["merged"], summary["review"]) == (0, 1)
    pair = db.session.scalar(select(DuplicateCandidate))
    assert "last name: changed, same first name and birth date" in pair.reasons
    # Another town: namesakes born the same day, nothing to review.
    summary = _import("3,Anna,Verdi,1980-05-03,,Torino,,anna.verdi@example.com,\n", "shop")
    assert summary["review"] == 0


def test_a_nameless_row_with_one_persons_email_and_the_home_landline_ties_nobody(app):
    _import("1,Paolo,Ferraresi,,,Milano,,paolo@example.com,\n")
    _import("2,Laura,Ferraresi,,,Milano,02 7654321,,\n", "shop")
    summary = _import(
        "3,Paolo,Ferraresi,,,Milano,02 7654321,paolo@example.com,\n"
        "4,,,,,,02 7654321,paolo@example.com,\n",
        "crm",
    )
    assert summary["merged"] == 2 and _profile_of("4") == _profile_of("1")
    assert db.session.scalar(select(func.count()).select_from(DuplicateCandidate)) == 0


def test_a_slip_in_a_surname_or_names_written_the_other_way_still_join(app):
    _import("1,Giovanni,Gatto,,,Napoli,,gatto.giovanni@example.com,\n")
    _import("2,Michela,De Angelis,,,Roma,,m.deangelis@example.com,\n")
    _import("3,Mario,Rossi,,,Roma,,mario.rossi@example.com,\n")
    summary = _import(
        "4,Giovanni,Gctto,,,Napoli,,gatto.giovanni@example.com,\n"
        "5,Michela,D'Angelis,,,Roma,,m.deangelis@example.com,\n"
        "6,Rossi,Mario,,,Roma,,mario.rossi@example.com,\n",
        "shop",
    )
    assert summary["merged"] == 3
    assert [_profile_of(n) for n in "456"] == [_profile_of(n) for n in "123"]


def test_surnames_apart():
    assert matching.surnames_apart("Rossi", "Bianchi")
    assert matching.surnames_apart("Moretti Sr.", "Moretti Jr.")
    assert not matching.surnames_apart("Gatto", "Gctto")
    assert not matching.surnames_apart("D'Angelis", "DeAngelis")


def test_a_married_name_on_the_same_email_goes_to_review_not_to_a_silent_duplicate(app):
    _import("1,Maria,Rossi,,,Milano,,maria.r@example.com,\n")
    summary = _import("2,Maria,Bianchi,,,Milano,,maria.r@example.com,\n", "crm")
    assert (summary["merged"], summary["review"]) == (0, 1)
    pair = db.session.scalar(select(DuplicateCandidate))
    assert {pair.profile_a_id, pair.profile_b_id} == {_profile_of("1"), _profile_of("2")}
    assert "last name: changed, same first name and email or phone" in pair.reasons


@pytest.mark.parametrize("surname", ["[not provided]", "Unknown", "N/A", "-", "V."])
def test_a_placeholder_or_an_initial_for_a_surname_still_joins(app, surname):
    _import("1,Valeria,Verdi,,,Torino,,valeria@example.com,\n")
    summary = _import(f"2,Valeria,{surname},,,Torino,,valeria@example.com,\n", "crm")
    assert summary["merged"] == 1 and _profile_of("2") == _profile_of("1")


@pytest.mark.parametrize(
    ("first", "second"),
    [("Giulia", "Julia"), ("Paolo", "Paul"), ("Michele", "Michael"), ("Antonio", "Antoine")],
)
def test_one_name_in_two_languages_still_joins_on_a_shared_email(app, first, second):
    _import(f"1,{first},Conti,,,Roma,,conti@example.com,\n")
    summary = _import(f"2,{second},Conti,,,Roma,,conti@example.com,\n", "crm")
    assert summary["merged"] == 1 and _profile_of("2") == _profile_of("1")


@pytest.mark.parametrize(
    ("first", "second"),
    [("Ivan", "Ivana"), ("Daniel", "Daniela"), ("Robert", "Roberta"), ("Anna", "Susanna")],
)
def test_a_feminine_form_or_another_name_ending_alike_is_another_person(app, first, second):
    _import(f"1,{first},Rizzi,,,Roma,,rizzi@example.com,\n")
    summary = _import(f"2,{second},Rizzi,,,Roma,,rizzi@example.com,\n", "crm")
    assert summary["merged"] == 0 and _profile_of("2") != _profile_of("1")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Carlo", "Carlotta"),
        ("Andrea", "Andreina"),
        ("Simone", "Simonetta"),
        ("Luigi", "Luigia"),
        ("Joseph", "Josephine"),
        ("Paul", "Paula"),
        ("Rosa", "Rosaria"),
    ],
)
def test_a_feminine_form_of_a_name_is_another_person_on_a_shared_email(app, first, second):
    _import(f"1,{first},Bianchi,,,Roma,,bianchi@example.com,\n")
    summary = _import(f"2,{second},Bianchi,,,Roma,,bianchi@example.com,\n", "crm")
    assert summary["merged"] == 0 and _profile_of("2") != _profile_of("1")


@pytest.mark.parametrize(
    ("first", "second"),
    [("Giovanni", "John"), ("Giuseppe", "Joseph"), ("Pietro", "Peter"), ("Maria", "Mary")],
)
def test_one_name_translated_joins_on_a_shared_phone(app, first, second):
    _import(f"1,{first},Conti,,,Roma,333 1112223,,\n")
    summary = _import(f"2,{second},Conti,,,Roma,333 1112223,,\n", "crm")
    assert summary["merged"] == 1 and _profile_of("2") == _profile_of("1")


def test_a_compound_name_written_as_one_word_is_partly_the_same_name():
    assert matching._first_level("Gianluca", "Luca") == "partial"
    assert matching._first_level("Annamaria", "Anna") == "partial"
    assert matching._first_level("Susanna", "Anna") == "different"


@pytest.mark.parametrize("first", ["Sig.", "Signora", "Dott.ssa", "Cliente"])
def test_a_title_or_a_word_for_customer_is_no_first_name(app, first):
    _import("1,Valeria,Verdi,,,Torino,,valeria@example.com,\n")
    summary = _import(f"2,{first},Verdi,,,Torino,,valeria@example.com,\n", "crm")
    assert summary["merged"] == 1 and _profile_of("2") == _profile_of("1")


def test_after_a_merge_a_row_like_the_record_that_gave_the_email_joins_its_holder(app):
    # Giulia Rossi and her married name's record, merged by hand: the profile shows the
    # newer record's name, Bianchi.
    _import("1,Giulia,Rossi,,,Parma,,giulia.rossi@example.com,\n")
    _import("2,Giulia,Bianchi,,,Parma,,gbianchi@example.com,\n", "shop")
    rossi, bianchi = _profile_of("1"), _profile_of("2")
    if rossi != bianchi:
        merging.merge_profiles(bianchi, rossi, actor=None)
    holder = db.session.get(Profile, _profile_of("1"))
    assert holder.last_name == "Bianchi"
    # Her unsubscribe comes with her old name and her old address: it is hers.
    summary = _import("9,Giulia,Rossi,,,,,giulia.rossi@example.com,\n", "newsletter")
    assert (summary["created"], summary["review"]) == (0, 0)
    assert _profile_of("9") == holder.id
    # Someone else on that address is still somebody else.
    summary = _import("10,Marco,Rossi,,,,,giulia.rossi@example.com,\n", "newsletter")
    assert _profile_of("10") != holder.id


@pytest.mark.parametrize(("first", "second"), [("Giulia", "Lia"), ("Regina", "Gina")])
def test_sisters_whose_names_are_cut_from_one_another_stay_two_on_the_family_email(
    app, first, second
):
    _import(f"1,{first},Rossi,,,Roma,,famiglia.rossi@example.com,\n")
    summary = _import(f"2,{second},Rossi,,,Roma,,famiglia.rossi@example.com,\n", "shop")
    assert summary["merged"] == 0
    assert _profile_of("1") != _profile_of("2")


def test_a_known_diminutive_on_the_same_email_still_joins(app):
    _import("1,Francesco,Rossi,,,Roma,,f.rossi@example.com,\n")
    _import("2,Cesco,Rossi,,,Roma,,f.rossi@example.com,\n", "shop")
    assert _profile_of("1") == _profile_of("2")


@pytest.mark.parametrize(
    ("first", "second", "surname"),
    [
        ("Oleg", "Olga", "Sokolova"),
        ("Юрий", "Юлия", "Смирнова"),
        ("Νίκος", "Νίκη", "Παπαδοπούλου"),
        ("Dimitris", "Dimitra", "Papadaki"),
    ],
)
def test_a_greek_or_slavic_couple_on_the_family_email_stays_two_people(app, first, second, surname):
    _import(f"1,{first},{surname},,,Atene,,family@example.gr,\n")
    summary = _import(f"2,{second},{surname},,,Atene,,family@example.gr,\n", "shop")
    assert summary["merged"] == 0
    assert _profile_of("1") != _profile_of("2")


def test_a_russian_diminutive_is_the_same_person_on_a_shared_email(app):
    _import("1,Aleksandr,Petrov,,,Mosca,,a.petrov@example.ru,\n")
    _import("2,Sasha,Petrov,,,Mosca,,a.petrov@example.ru,\n", "shop")
    assert _profile_of("1") == _profile_of("2")
