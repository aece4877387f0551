"""Pairs of given names the scorer misread: a man's name beside its feminine in -a read as
a slip, the initials of a compound name read as another name, and short diminutives read
as the pieces of a compound name."""

from datetime import date

import pytest

from crm.services import matching
from crm.services.matching import Person, Thresholds, compare, may_match

# A man's name and its feminine formed other than by a bare -a: the vowel before the last
# consonant dropped or put in, or -ia added.
MAN_AND_WOMAN = [
    ("Kristian", "Kristina"),
    ("Christian", "Christina"),
    ("Karel", "Karla"),
    ("Pavel", "Pavla"),
    ("Paweł", "Pawła"),
    ("Zdeněk", "Zdeňka"),
    ("Radek", "Radka"),
    ("Marian", "Marina"),
    ("Sander", "Sandra"),
    ("Aleksander", "Aleksandra"),
    ("Peter", "Petra"),
    ("Michal", "Michaela"),
    ("Karl", "Karola"),
    ("Viktor", "Viktoria"),
    ("Victor", "Victoria"),
    ("Anton", "Antonia"),
    ("Emil", "Emilia"),
    ("Stefan", "Stefania"),
]


@pytest.mark.parametrize(("man", "woman"), MAN_AND_WOMAN)
def test_a_mans_name_and_its_feminine_in_a_are_a_man_and_a_woman(man, woman):
    assert matching.first_level(man, woman) == "man and woman"
    assert matching.first_level(woman, man) == "man and woman"
    assert not matching.first_names_slip(man, woman)


@pytest.mark.parametrize(
    ("man", "woman"),
    [("Jan", "Jana"), ("Ivan", "Ivana"), ("Daniel", "Daniela"), ("Martin", "Martina")],
)
def test_a_feminine_adding_a_bare_a_stays_two_names(man, woman):
    assert matching.first_level(man, woman) == "different"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Matt", "Mattia"),  # an Italian man
        ("Daniel", "Danila"),  # a Russian man
        ("Ilya", "Ilia"),
        ("Sasha", "Sascha"),
        ("Andrej", "Andrea"),
        ("Alex", "Alexia"),  # Alex is a woman's diminutive too
        ("Carol", "Carla"),  # two women's names
        ("Els", "Elisa"),
        ("Paoal", "Paola"),  # a slip of the woman's name, no man's
        ("Karl", "A"),  # an initial
        ("Lucas", "Lucsa"),  # two letters of his name swapped (FEBRL's typos): no woman's name
        ("Marcus", "Marcsu"),
    ],
)
def test_a_name_in_a_that_is_no_mans_feminine_is_no_man_and_woman(a, b):
    assert matching.first_level(a, b) != "man and woman"
    assert not matching.feminine_in_a(a.lower(), b.lower())


def test_karel_and_karla_on_one_email_go_to_review_not_a_merge():
    home = dict(address="Vinohradská 12", postcode="12000", city="Praha")
    karel = Person("Karel", "Novák", emails=("novakovi@example.cz",), **home)
    karla = Person("Karla", "Novák", emails=("novakovi@example.cz",), **home)
    decision = compare(karel, karla)
    assert decision.outcome != "merge"
    assert matching.MAN_AND_WOMAN in decision.reasons


@pytest.mark.parametrize(
    ("initials", "name"),
    [
        ("JP", "Jean-Pierre"),
        ("J.P.", "Jean-Pierre"),
        ("J. P.", "Jean-Pierre"),
        ("J.-P.", "Jean Pierre"),
        ("JP", "Jeanpierre"),
        ("MA", "Maria Angela"),
        ("M.A.", "Mariangela"),
        ("J.B.", "Jean-Bernard"),
        ("JPM", "Jean Pierre Marie"),
    ],
)
def test_the_initials_of_a_compound_name_are_its_initial(initials, name):
    assert matching.first_level(initials, name) == "initial"
    assert matching.first_level(name, initials) == "initial"


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("JP", "Jean", "different"),  # one name for two initials
        ("JP", "Jean Luc", "different"),
        ("Jo", "Jean Olivier", "different"),  # names, not initials
        ("Al", "Anna Lisa", "different"),
        ("Ed", "Elena Dora", "different"),
        ("Jo", "Johanna", "nickname (ambiguous)"),
        ("Ed", "Edward", "nickname"),
        ("Al", "Alberto", "partial"),
        ("JB", "Jean-Baptiste", "nickname"),
    ],
)
def test_two_letter_names_keep_their_reading(a, b, level):
    assert matching.first_level(a, b) == level


@pytest.mark.parametrize(
    ("short", "name"),
    [("Ele", "Daniele"), ("Ela", "Daniela"), ("Ele", "Raffaele"), ("Rick", "Patrick")],
)
def test_a_short_diminutive_is_no_piece_of_a_compound_name(short, name):
    assert not matching._compound(matching._joined(short), matching._joined(name))
    assert matching.clipped_names(short, name)  # a sister's name on the family email
    assert not matching.first_names_slip(short, name)


def test_a_short_piece_that_is_no_name_makes_no_compound():
    assert matching.first_level("Al", "Rafal") == "different"


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Maria Grazia", "Mariagrazia", "exact"),
        ("Gian Luca", "Gianluca", "exact"),
        ("Anna Maria", "Annamaria", "exact"),
        ("Luca", "Gianluca", "partial"),
        ("Anna", "Annamaria", "partial"),
        ("Maria", "Mariagrazia", "partial"),
        ("Ugo", "Pierugo", "partial"),
    ],
)
def test_compound_names_of_names_stay_compounds(a, b, level):
    assert matching.first_level(a, b) == level
    if level == "partial":
        assert not matching.clipped_names(a, b)


_PAIRS = [*MAN_AND_WOMAN, ("JP", "Jean-Pierre"), ("MA", "Mariangela"), ("Ele", "Daniele")]
_EVIDENCE = [
    dict(emails=("famiglia@example.com",)),
    dict(phones=("+390471123456",)),
    dict(birth_date=date(1980, 5, 3), address="Via Roma 1", postcode="39100", city="Bolzano"),
    dict(tax_id="RSSMRA80B14H501D", city="Bolzano"),
]


@pytest.mark.parametrize(("a", "b"), _PAIRS)
@pytest.mark.parametrize("evidence", _EVIDENCE)
def test_may_match_keeps_every_pair_compare_would_keep(a, b, evidence):
    for thresholds in (Thresholds(), Thresholds(auto=0.5, review=0.05)):
        one, other = Person(a, "Rossi", **evidence), Person(b, "Rossi", **evidence)
        if compare(one, other, thresholds).outcome != "separate":
            assert may_match(one, other, thresholds)
