"""The codice fiscale read for what it encodes, and cities written several ways."""

import pytest
from stdnum.it import codicefiscale as stdnum_cf

from crm.services.normalise import (
    CodiceFiscale,
    city_key,
    codice_fiscale,
    given_name_code,
    surname_code,
)


def _with_check(first15: str) -> str:
    """A codice fiscale from its first fifteen characters and its check character."""
    return first15 + stdnum_cf.calc_check_digit(first15)


def test_a_codice_fiscale_gives_its_codes_and_birth_date_without_the_century():
    assert codice_fiscale("SPSGPP78E02F839U") == CodiceFiscale("SPS", "GPP", 78, 5, 2, False)
    # A woman's day is written plus 40.
    assert codice_fiscale("BNCLRA85C52F205V") == CodiceFiscale("BNC", "LRA", 85, 3, 12, True)


def test_omocodia_letters_are_read_as_the_digits_they_replace():
    # L..V stand for 0..9 in the year, the day and the birthplace's number.
    plain = codice_fiscale(_with_check("RSSMRA80B14H501"))
    omocode = codice_fiscale(_with_check("RSSMRAULBMQHRLM"))
    assert plain is not None and omocode == plain
    assert (omocode.year, omocode.month, omocode.day) == (80, 2, 14)


@pytest.mark.parametrize(
    "value",
    [
        "SPSGPP78E02F839X",  # wrong check character
        _with_check("RSSMRA80Z14H501"),  # no month Z
        _with_check("RSSMRA80B31H501"),  # 31 February
        "123-45-6789",
        "",
        None,
    ],
)
def test_what_is_no_valid_codice_fiscale_gives_nothing(value):
    assert codice_fiscale(value) is None


def test_name_codes_follow_the_codice_fiscale_rules():
    assert surname_code("Bianchi") == "BNC"
    assert surname_code("Fo") == "FOX"
    assert surname_code("D'Angelo") == "DNG"
    assert given_name_code("Laura") == "LRA"
    assert given_name_code("Francesco") == "FNC"  # four consonants: first, third, fourth
    assert given_name_code("Niccolò") == "NCL"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Milano (MI)", "Milano"),
        ("Reggio di Calabria", "Reggio Calabria"),
        ("Reggio nell'Emilia", "Reggio Emilia"),
        ("Sesto S. Giovanni", "Sesto San Giovanni"),
        ("S. Margherita Ligure", "Santa Margherita Ligure"),
        ("Monaco di Baviera", "München"),
    ],
)
def test_one_city_written_two_ways_has_one_key(a, b):
    assert city_key(a) == city_key(b)


def test_other_cities_keep_their_own_key():
    assert city_key("Sesto San Giovanni") != city_key("Sesto Fiorentino")
    assert city_key("Reggio Calabria") != city_key("Reggio Emilia")
    assert city_key("Di") == "di"  # a city's first word stays whatever it is
