"""Diminutives of Polish, Czech, Slovak, Dutch, German, Scandinavian, Russian, Ukrainian,
Hungarian, Spanish, Catalan and Portuguese names: Kasia is Katarzyna, so one person on one
email is one profile; a diminutive two names share stays open to doubt, and names that
only look alike (Jan / Jana) stay two people."""

import itertools

import pytest

from crm.services import matching
from crm.services.given_names import INTERNATIONAL_NAMES, ITALIAN_NAMES
from crm.services.nicknames import NAME_GROUPS

NICKNAME = "nickname"
AMBIGUOUS = "nickname (ambiguous)"


@pytest.mark.parametrize(
    ("name", "short", "level"),
    [
        ("Katarzyna", "Kasia", NICKNAME), ("Heinrich", "Heinz", NICKNAME),
        ("Małgorzata", "Gosia", NICKNAME), ("Barbara", "Basia", NICKNAME),
        ("Tomasz", "Tomek", NICKNAME), ("Jakub", "Kuba", NICKNAME),
        ("Wojciech", "Wojtek", NICKNAME), ("Jerzy", "Jurek", NICKNAME),
        ("Ursula", "Uschi", NICKNAME), ("Stefanie", "Steffi", NICKNAME),
        ("Javier", "Xavi", NICKNAME), ("Cornelis", "Kees", NICKNAME),
        ("Hendrik", "Henk", NICKNAME), ("Willem", "Wim", NICKNAME),
        ("Lars", "Lasse", NICKNAME), ("Mikhail", "Misha", NICKNAME),
        ("Nikolai", "Kolya", NICKNAME), ("Jan", "Honza", NICKNAME),
        ("Jiří", "Jirka", NICKNAME),
        # Ola is also a Norwegian man's name; Pepa is also Josefa, a Spanish woman.
        ("Aleksandra", "Ola", AMBIGUOUS), ("Josef", "Pepa", AMBIGUOUS),
    ],
)  # fmt: skip
def test_the_reported_diminutives_are_one_name(name, short, level):
    assert matching._first_level(name, short) == level


@pytest.mark.parametrize(
    ("name", "short"),
    [
        # Polish
        ("Danuta", "Danusia"), ("Joanna", "Joasia"), ("Krzysztof", "Krzysiek"),
        ("Grzegorz", "Grześ"), ("Stanisław", "Staszek"), ("Piotr", "Piotrek"),
        ("Zofia", "Zosia"), ("Jadwiga", "Jadzia"), ("Elżbieta", "Ela"),
        # Czech and Slovak
        ("Václav", "Vašek"), ("Kateřina", "Katka"), ("Zuzana", "Zuzka"), ("Ján", "Janko"),
        ("Pavol", "Paľo"), ("František", "Franta"), ("Ondřej", "Ondra"),
        # Dutch
        ("Pieter", "Piet"), ("Jacobus", "Jaap"), ("Antonius", "Toon"), ("Cornelia", "Corrie"),
        # German
        ("Johannes", "Hans"), ("Josef", "Sepp"), ("Josef", "Jupp"), ("Joachim", "Jochen"),
        ("Katharina", "Käthe"), ("Barbara", "Bärbel"), ("Margarete", "Gretel"),
        # Scandinavian
        ("Karl", "Kalle"), ("Per", "Pelle"), ("Olof", "Olle"), ("Kristina", "Stina"),
        # Russian and Ukrainian, as fold writes Cyrillic and as passports do
        ("Дмитрий", "Дима"), ("Ivan", "Vanya"), ("Mykola", "Kolya"), ("Svetlana", "Sveta"),
        ("Darya", "Dasha"), ("Nadezhda", "Nadya"), ("Konstantin", "Kostya"),
        # Hungarian
        ("László", "Laci"), ("István", "Pista"), ("József", "Józsi"), ("Erzsébet", "Erzsi"),
        ("Zsuzsanna", "Zsuzsa"), ("György", "Gyuri"),
        # Spanish and Catalan
        ("Jesús", "Chus"), ("Francisco", "Paco"), ("Dolores", "Loli"), ("Pilar", "Pili"),
        ("Montserrat", "Montse"), ("Josep", "Pep"), ("Joaquim", "Quim"),
        # Portuguese
        ("José", "Zé"), ("Francisco", "Chico"), ("Filipe", "Lipe"), ("Fernanda", "Nanda"),
        # One name in two languages
        ("Jerzy", "George"), ("Katarzyna", "Caterina"), ("István", "Stefano"),
    ],
)  # fmt: skip
def test_more_diminutives_are_one_name(name, short):
    assert matching._first_level(name, short) == NICKNAME


@pytest.mark.parametrize(
    ("short", "names"),
    [
        ("Sasha", ("Aleksandr", "Aleksandra")), ("Sascha", ("Alexander", "Alexandra")),
        ("Dani", ("Daniel", "Daniela")), ("Gabi", ("Gábor", "Gabriela")),
        ("Uli", ("Ulrich", "Ulrike")), ("Míša", ("Michal", "Michaela")),
        ("Péťa", ("Petr", "Petra")), ("Valya", ("Valentin", "Valentina")),
        ("Zhenya", ("Evgeny", "Evgeniya")), ("Rafa", ("Rafael", "Rafaela")),
        ("Duda", ("Eduardo", "Eduarda")), ("Fran", ("Francisco", "Francisca")),
        ("Chris", ("Christopher", "Christian", "Christina")), ("Toni", ("Anton", "Antonia")),
        ("Sam", ("Samuel", "Samantha")), ("Alex", ("Alexander", "Alexandra")),
        ("Pepa", ("Josef", "Josefa")), ("Stasia", ("Stanisława", "Anastasia")),
        ("Bartek", ("Bartłomiej", "Bartosz")), ("Aga", ("Agnieszka", "Agata")),
    ],
)  # fmt: skip
def test_a_diminutive_two_names_share_is_ambiguous(short, names):
    for name in names:
        assert matching._first_level(name, short) == AMBIGUOUS


@pytest.mark.parametrize(
    ("short", "name", "own"),
    [
        ("Asia", "Joanna", "Asia"),  # an Italian girl's name
        ("Ola", "Aleksandra", "Olav"),  # a Norwegian man's
        ("Bela", "Isabel", "Béla"),  # a Hungarian man's
        ("Sonya", "Sofya", "Sonia"),
    ],
)
def test_a_diminutive_that_is_a_name_of_its_own_is_ambiguous(short, name, own):
    assert matching._first_level(name, short) == AMBIGUOUS
    assert matching._first_level(own, short) in (AMBIGUOUS, "exact")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Marco", "Marta"), ("Giulio", "Giulia"), ("Daniel", "Daniela"), ("Jan", "Jana"),
        ("Andrea", "Andreas"), ("Simon", "Simone"), ("Ivan", "Ivana"), ("Petr", "Petra"),
        ("Michal", "Michaela"), ("Stanisław", "Stanisława"), ("Jaroslav", "Jaroslava"),
        ("Miroslav", "Miroslava"), ("Aleksander", "Aleksandra"), ("Francisco", "Francisca"),
        ("Rafael", "Rafaela"), ("Eduardo", "Eduarda"), ("Gabriel", "Gabriela"),
        ("Valentin", "Valentina"), ("Evgeny", "Evgeniya"), ("Viktor", "Viktoria"),
        ("Manuel", "Manuela"), ("Josef", "Josefa"), ("Ulrich", "Ulrike"),
        ("Christian", "Christina"), ("Emanuela", "Manuela"), ("Bartosz", "Bartłomiej"),
        ("Agata", "Agnieszka"), ("Viktor", "Vitaliy"), ("Sonia", "Sofia"),
        # Mother and daughter on a family email, whatever Polish calls a Joanna
        ("Giovanna", "Asia"), ("Rosa", "Rosaria"), ("Giuseppe", "Giuseppina"),
    ],
)  # fmt: skip
def test_names_that_only_look_alike_stay_two_names(a, b):
    assert matching._first_level(a, b) not in (NICKNAME, AMBIGUOUS)


def test_jupp_is_josef_not_juergen():
    assert matching._first_level("Jupp", "Josef") == NICKNAME
    assert matching._first_level("Jupp", "Jürgen") not in (NICKNAME, AMBIGUOUS)


def test_a_full_name_belongs_to_one_group():
    """A name written in two sections without a TRANSLATIONS line would be two groups' name,
    and every diminutive of it ambiguous."""
    owners: dict[str, int] = {}
    for gid, (variants, _) in enumerate(NAME_GROUPS):
        for name in variants:
            assert owners.setdefault(name, gid) == gid, name


# Diminutives that are also given names the lists hold beside a full name of their group,
# on purpose: Gianni, Pino and Tom are written for Giovanni, Giuseppe and Thomas.
LISTED_DIMINUTIVES = frozenset(
    "sandra franca tom andre lino ben chris tim gianni jack hans pino gino franco harry enzo "
    "greta nikos giorgos asia".split()
)


def test_no_diminutive_joins_two_names_the_lists_keep_apart():
    """A diminutive that given_names lists as another person's name (Lisa, Rita, Nadia)
    would make that person one with every name of its group."""
    joined = set()
    for variants, diminutives in NAME_GROUPS:
        for short, name in itertools.product(diminutives, variants):
            for names in (ITALIAN_NAMES, INTERNATIONAL_NAMES):
                if short in names and name in names and short not in variants:
                    if matching.distinct_given_names(short, name):
                        joined.add(short)
    assert joined <= LISTED_DIMINUTIVES, sorted(joined - LISTED_DIMINUTIVES)
