"""Countries by their ISO 3166 and former English names; two-digit years of birth dates."""

from datetime import date, timedelta

import pycountry
import pytest
from babel import Locale

from crm.services.normalise import (
    COUNTRY_NAME_LOCALES,
    YOUNGEST_CUSTOMER,
    normalise_country,
    normalise_date,
    numeric_date,
)

# --- countries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Turkey", "TR"),
        ("The Netherlands", "NL"),
        ("the Netherlands", "NL"),
        ("NETHERLANDS (THE)", "NL"),
        ("Netherlands (Kingdom of the)", "NL"),
        ("Russian Federation", "RU"),
        ("Korea, Republic of", "KR"),
        ("Republic of Korea", "KR"),
        ("Korea (the Republic of)", "KR"),
        ("Korea, South", "KR"),
        ("Hong Kong", "HK"),
        ("Ivory Coast", "CI"),
        ("Macedonia", "MK"),
        ("Macedonia, the former Yugoslav Republic of", "MK"),
        ("Bosnia", "BA"),
        ("Bosnia & Herzegovina", "BA"),
        ("Slovak Republic", "SK"),
        ("Czech Republic", "CZ"),
        ("United States of America", "US"),
        ("United Kingdom of Great Britain and Northern Ireland (the)", "GB"),
        ("Congo (the Democratic Republic of the)", "CD"),
        ("Democratic Republic of the Congo", "CD"),
        ("Republic of the Congo", "CG"),
        ("Gambia, The", "GM"),
        ("Holy See (the)", "VA"),
        ("Virgin Islands (British)", "VG"),
        ("St Kitts and Nevis", "KN"),
        ("Swaziland", "SZ"),
        ("Burma", "MM"),
    ],
)
def test_english_names_that_exports_write_are_known(written, code):
    assert normalise_country(written) == code


def test_every_iso_3166_name_is_known_in_any_case():
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            if name := getattr(country, attribute, None):
                for written in (name, name.upper(), name.lower()):
                    assert normalise_country(written) == country.alpha_2, written


def test_iso_3166_names_are_known_with_their_qualifier_first():
    # "Korea, Republic of" as "Republic of Korea", "Bolivia, Plurinational State of" as
    # "Plurinational State of Bolivia".
    for country in pycountry.countries:
        name, _, qualifier = country.name.partition(", ")
        if qualifier:
            written = f"{qualifier} {name}"
            assert normalise_country(written) == country.alpha_2, written


# Names the user test found already read: other languages', own, and hand-made ones.
KNOWN_BEFORE = [
    ("Türkei", "TR"), ("Turchia", "TR"), ("Turquie", "TR"), ("Türkiye", "TR"),
    ("Holland", "NL"), ("Czechia", "CZ"), ("Česko", "CZ"), ("Ελλάδα", "GR"),
    ("Repubblica Ceca", "CZ"), ("U.S.A.", "US"), ("England", "GB"),
]  # fmt: skip


def test_names_known_before_keep_their_country():
    for locale in COUNTRY_NAME_LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if len(code) == 2 and code.isalpha():
                assert normalise_country(name) == code, (locale, name)
    for written, code in KNOWN_BEFORE:
        assert normalise_country(written) == code, written


@pytest.mark.parametrize(
    ("written", "code"),
    [("Korea", "KR"), ("Congo", "CG"), ("Guinea", "GN")],
)
def test_a_name_two_countries_share_is_read_as_the_common_one(written, code):
    assert normalise_country(written) == code


@pytest.mark.parametrize("written", ["Virgin Islands", "The", "of the", "Republic of"])
def test_a_name_of_no_one_country_is_unknown(written):
    with pytest.raises(ValueError, match="unknown country"):
        normalise_country(written)


# --- two-digit years of birth -----------------------------------------------------------


def _years_ago(years: int) -> date:
    """Today that many years ago (28 February for a leap day)."""
    today = date.today()
    if (today.month, today.day) == (2, 29):
        today = today.replace(day=28)
    return today.replace(year=today.year - years)


def test_a_two_digit_birth_year_that_makes_a_child_is_last_centurys():
    born = _years_ago(5)
    expected = born.replace(year=born.year - 100)
    assert normalise_date(born.strftime("%d/%m/%y")) == expected
    assert normalise_date(born.strftime("%m/%d/%y"), month_first=True) == expected
    assert normalise_date(born.strftime("%d %B %y")) == expected  # "05 May 21"
    assert normalise_date(born.strftime("%d-%b-%y")) == expected  # "05-May-21"


def test_a_two_digit_birth_year_is_this_centurys_from_the_youngest_customers_age():
    youngest = _years_ago(YOUNGEST_CUSTOMER)
    child = youngest + timedelta(days=1)
    last_century = child.replace(year=child.year - 100)
    assert normalise_date(youngest.strftime("%d/%m/%y")) == youngest
    assert normalise_date(child.strftime("%d/%m/%y")) == last_century
    assert normalise_date(child.strftime("%d %B %y")) == last_century


def test_two_digit_birth_years_of_adults_keep_their_reading():
    assert normalise_date("11/02/47") == date(1947, 2, 11)
    assert normalise_date("05/06/01") == date(2001, 6, 5)
    assert normalise_date("14-Mar-85") == date(1985, 3, 14)


def test_other_dates_keep_a_recent_two_digit_year():
    ordered = _years_ago(5)
    assert numeric_date(ordered.strftime("%d/%m/%y")) == ordered
