"""One name that one language gives a man and another a woman: Andrea is an Italian man
and a German woman, whose husband may be Andreas. On one family email the two are not
one name; a real nickname (Andy, Beppe) still is."""

import io

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import DuplicateCandidate, SourceRecord
from crm.services import ingest, matching

HEADER = "id,first_name,last_name,city,phone,email\n"


def _import(text: str, source: str = "web") -> dict:
    stream = io.BytesIO((HEADER + text).encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _profile_of(external_id: str) -> int:
    return db.session.scalar(
        select(SourceRecord.profile_id).where(SourceRecord.external_id == external_id)
    )


MAN_AND_WOMAN = [
    ("Andreas", "Andrea"),
    ("Andrew", "Andrea"),
    ("André", "Andrea"),
    ("Nicholas", "Nicola"),
    ("Simon", "Simone"),
    ("Michel", "Michele"),
    ("Daniel", "Daniele"),
    ("Gabriel", "Gabriele"),
    ("Michael", "Michelle"),
    ("Daniele", "Danielle"),
    ("Emanuele", "Emmanuelle"),
    # A French feminine: a final -e, a doubled consonant and -e, -c as -que.
    ("Jean", "Jeanne"),
    ("Louis", "Louise"),
    ("Denis", "Denise"),
    ("Pascal", "Pascale"),
    ("Christian", "Christiane"),
    ("Julien", "Julienne"),
    ("Yvon", "Yvonne"),
    ("Frédéric", "Frédérique"),
    ("François", "Françoise"),
    ("Justin", "Justine"),
    ("Jan", "Jane"),
]


@pytest.mark.parametrize(("a", "b"), MAN_AND_WOMAN)
def test_a_name_a_man_and_a_woman_bear_in_two_languages_is_two_names(a, b):
    assert matching._first_level(a, b) == "man and woman"
    assert matching.distinct_given_names(matching._joined(a), matching._joined(b))
    assert not matching.first_names_slip(a, b)


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Andy", "Andreas", "nickname"),
        ("Andy", "Andrea", "nickname"),
        ("Beppe", "Giuseppe", "nickname"),
        ("Andreas", "Andrew", "nickname"),
        ("Nicolò", "Nicola", "nickname"),
        ("Giulia", "Julia", "nickname"),
        ("Isabel", "Isabelle", "partial"),
        # Women's names that end in a consonant, and slips of a woman's name.
        ("Ann", "Anne", "nickname"),
        ("Susan", "Susanne", "partial"),
        ("Kristin", "Kristine", "similar"),
        ("Charlott", "Charlotte", "similar"),
    ],
)
def test_a_nickname_or_one_name_of_one_sex_stays_one_name(a, b, level):
    assert matching._first_level(a, b) == level


def test_andreas_and_andrea_on_one_email_stay_two_people(app):
    _import("1,Andreas,Keller,Bolzano,,keller@example.com\n")
    summary = _import("2,Andrea,Keller,Bolzano,,keller@example.com\n", "shop")
    assert summary["merged"] == 0
    assert _profile_of("2") != _profile_of("1")


def test_jean_and_jeanne_on_one_email_go_to_review_not_one_profile(app):
    _import("1,Jean,Dupont,Lyon,,dupont.famille@example.com\n")
    summary = _import("2,Jeanne,Dupont,Lyon,,dupont.famille@example.com\n", "shop")
    assert summary["merged"] == 0
    assert _profile_of("2") != _profile_of("1")


def test_simon_and_simone_on_one_landline_stay_two_people(app):
    _import("1,Simon,Weber,Merano,0473 123456,\n")
    summary = _import("2,Simone,Weber,Merano,0473 123456,\n", "shop")
    assert summary["merged"] == 0
    assert _profile_of("2") != _profile_of("1")


@pytest.mark.parametrize(("first", "second"), [("Andreas", "Andy"), ("Giuseppe", "Beppe")])
def test_a_nickname_on_one_email_still_joins(app, first, second):
    _import(f"1,{first},Keller,Bolzano,,keller@example.com\n")
    summary = _import(f"2,{second},Keller,Bolzano,,keller@example.com\n", "shop")
    assert summary["merged"] == 1
    assert _profile_of("2") == _profile_of("1")


@pytest.mark.parametrize(("first", "second"), [("Daniele", "Daniel"), ("Andreas", "Andrea")])
def test_one_name_of_a_man_and_a_woman_on_one_email_goes_to_review(app, first, second):
    _import(f"1,{first},Keller,Bolzano,,keller@example.com\n")
    summary = _import(f"2,{second},Keller,Bolzano,,keller@example.com\n", "shop")
    assert (summary["merged"], summary["review"]) == (0, 1)
    pair = db.session.scalar(select(DuplicateCandidate))
    assert {pair.profile_a_id, pair.profile_b_id} == {_profile_of("1"), _profile_of("2")}
    assert matching.MAN_AND_WOMAN in pair.reasons


def test_two_names_on_one_email_stay_apart_without_review(app):
    _import("1,Marco,Keller,Bolzano,,keller@example.com\n")
    summary = _import("2,Marta,Keller,Bolzano,,keller@example.com\n", "shop")
    assert (summary["merged"], summary["review"]) == (0, 0)


def test_mattia_and_mattea_are_a_man_and_a_woman():
    """A user test: the two joined on one family email as a slip of one name."""
    assert matching.first_level("Mattia", "Mattea") == "different"


# A man's name and a woman's a letter or two apart, neither a form of the other by the
# rules above: the name lists of many languages (name_sexes) know one for men only and
# the other for women only.
OPPOSITE_SEXES = [
    ("Olivier", "Olivia"),
    ("Julian", "Julia"),
    ("Francis", "Frances"),
    ("Antoine", "Antonia"),
    ("Laurent", "Lauren"),
    ("Patrick", "Patricia"),
    ("George", "Georgia"),
]


@pytest.mark.parametrize(("a", "b"), OPPOSITE_SEXES)
def test_a_mans_name_and_a_womans_a_few_letters_apart_are_two_names(a, b):
    assert matching.first_level(a, b) == "different"
    assert not matching.first_names_slip(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("andrea", "andreas"),  # Andrea is an Italian man and a German woman
        ("ilia", "ilja"),  # our lists know Ilia for a Russian man
        ("sasha", "sascha"),
        ("kim", "kimberly"),  # Kim is either
        ("olivia", "giulia"),  # two women
    ],
)
def test_names_of_either_sex_or_of_one_sex_tell_no_man_from_a_woman(a, b):
    assert not matching.opposite_sexes(a, b)


def test_olivier_and_olivia_on_one_landline_stay_two_people(app):
    """A couple's landline joined the wife's record to the husband's profile, their
    names reading "similar"."""
    _import("1,Olivier,Dupont,Paris,+33 1 42 68 53 00,\n")
    summary = _import("2,Olivia,Dupont,Paris,+33 1 42 68 53 00,\n", "shop")
    assert summary["merged"] == 0
    assert _profile_of("2") != _profile_of("1")
