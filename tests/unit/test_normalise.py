"""Normalisers of person data: emails, phones, names, countries, dates (pure functions)."""

from datetime import date, timedelta

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.services.normalise import (
    clean_text,
    dates_month_first,
    fold,
    likely_region,
    normalise_country,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_tax_id,
)

# Modest example counts keep the suite fast; no example database in the working tree.
FAST = settings(max_examples=50, deadline=None, database=None)

IT_MOBILE_PREFIXES = ("320", "328", "333", "338", "340", "347", "349", "366", "380", "393")


def _accept(normaliser, value):
    """The normalised value, or None when the normaliser refuses it."""
    try:
        return normaliser(value)
    except ValueError:
        return None


# --- emails ---------------------------------------------------------------------------


@FAST
@given(st.emails())
def test_email_is_lower_case_and_idempotent(email):
    once = _accept(normalise_email, email)
    if once is None:
        return  # a syntactically odd address the validator refuses: nothing to compare
    assert once == once.lower()
    assert normalise_email(once) == once


@FAST
@given(st.emails(), st.sampled_from(["", " ", "  ", "\t"]), st.booleans())
def test_email_case_and_surrounding_space_do_not_matter(email, pad, upper):
    once = _accept(normalise_email, email)
    if once is None:
        return
    typed = pad + (email.upper() if upper else email.title()) + pad
    assert normalise_email(typed) == once


def test_email_mailto_prefix_is_dropped():
    assert normalise_email("mailto:Giulia.Rossi@Example.COM") == "giulia.rossi@example.com"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_email_is_none(value):
    assert normalise_email(value) is None


@pytest.mark.parametrize(
    "value", ["giulia.rossi", "giulia@", "@example.com", "giulia rossi@example.com", "a@@b.it"]
)
def test_malformed_email_raises(value):
    with pytest.raises(ValueError):
        normalise_email(value)


# --- phones ---------------------------------------------------------------------------


@st.composite
def italian_mobiles(draw):
    """A valid Italian mobile number as (E.164, national significant digits)."""
    prefix = draw(st.sampled_from(IT_MOBILE_PREFIXES))
    rest = draw(st.text(alphabet="0123456789", min_size=7, max_size=7))
    national = prefix + rest
    assert phonenumbers.is_valid_number(phonenumbers.parse(national, "IT"))
    return "+39" + national, national


@FAST
@given(italian_mobiles(), st.sampled_from(["", " ", "-", "."]))
def test_italian_mobile_in_any_written_form_becomes_e164(mobile, sep):
    e164, national = mobile
    grouped = sep.join([national[:3], national[3:6], national[6:]])
    for typed in (
        national,
        grouped,
        f"+39 {grouped}",
        f"+39{national}",
        f"0039 {grouped}",
        f"0039{national}",
        f"({national[:3]}) {national[3:]}",
        f"  {grouped}  ",
    ):
        assert normalise_phone(typed, "IT") == e164, typed


@FAST
@given(italian_mobiles())
def test_phone_normalisation_is_idempotent(mobile):
    e164, national = mobile
    assert normalise_phone(normalise_phone(national, "IT"), "IT") == e164
    # An E.164 number means the same whatever the default region.
    assert normalise_phone(e164, "DE") == e164


@pytest.mark.parametrize(
    ("typed", "region", "expected"),
    [
        ("02 1234 5678", "IT", "+390212345678"),  # Milan landline keeps its leading zero
        ("06 6982 1234", "IT", "+390669821234"),
        ("+49 30 123456789", "IT", "+4930123456789"),
        ("0049 30 123456789", "IT", "+4930123456789"),
        ("030 123456789", "DE", "+4930123456789"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("(202) 555-0173", "US", "+12025550173"),
    ],
)
def test_national_and_international_forms_become_e164(typed, region, expected):
    assert normalise_phone(typed, region) == expected


@pytest.mark.parametrize(
    "value", ["12", "abc", "+39 123", "347 12", "+999 1234567", "02 1234 5678 9999 00"]
)
def test_invalid_phone_raises(value):
    with pytest.raises(ValueError):
        normalise_phone(value, "IT")


@FAST
@given(st.text(alphabet="0123456789", min_size=1, max_size=4))
def test_too_short_numbers_raise(digits):
    with pytest.raises(ValueError):
        normalise_phone(digits, "IT")


def test_empty_phone_is_none():
    assert normalise_phone("  ", "IT") is None


US_NATIONAL = ["(212) 736-5000", "650-253-0000", "415 555 2671", "(718) 555-0101", "202.456.1111"]
IT_NATIONAL = ["333 1234567", "06 1234567", "347 1234567", "339 1112223", "02 7654321"]
UK_NATIONAL = ["020 8123 4567", "07912 345678", "0161 234 5678", "0113 234 5678", "07811 223344"]


def test_phones_of_another_country_are_recognised():
    assert likely_region(US_NATIONAL, "IT") == "US"
    assert likely_region(US_NATIONAL, "US") is None
    assert likely_region(IT_NATIONAL, "IT") is None
    assert likely_region(IT_NATIONAL, "US") == "IT"
    assert likely_region(UK_NATIONAL, "US") == "GB"
    assert likely_region(UK_NATIONAL, "GB") is None


def test_international_forms_and_too_few_phones_tell_nothing():
    international = ["+1 " + n for n in US_NATIONAL] + ["001" + n for n in US_NATIONAL]
    assert likely_region(international, "IT") is None
    assert likely_region(US_NATIONAL[:4] + ["", None], "IT") is None


def test_how_digits_are_grouped_tells_the_country_where_validity_cannot():
    # Chicago numbers are valid Luxembourg numbers, and many valid Italian mobiles or
    # Mexican numbers: only an American groups them "(312) 538-7262" or "312-538-7262".
    chicago = ["(312) 538-7262", "312-555-0190", "773.555.0123", "(713) 555-0144", "1-312-538-7262"]
    assert likely_region(chicago, "IT") == "US"
    # The same digits in one run tell nothing: no hint rather than a wrong one.
    assert likely_region(["".join(c for c in n if c.isdigit()) for n in chicago], "IT") is None
    # British mobiles that lost their leading zero read as Luxembourg numbers: no hint.
    lost_zero = ["7877054614", "7912345678", "7811223344", "7700900123", "7911123456"]
    assert likely_region(lost_zero, "IT") is None


# --- folding and names ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Nicolò", "nicolo"),
        ("Nicolò D’Angelo", "nicolo d angelo"),
        ("Zoë Müller", "zoe muller"),
        ("José García", "jose garcia"),
        ("Søren Łukasz", "soren lukasz"),
        ("Straße", "strasse"),
        ("Yılmaz", "yilmaz"),
        ("İstanbul", "istanbul"),
        ("  DELL'ACQUA  ", "dell acqua"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold_strips_accents_case_and_punctuation(value, expected):
    assert fold(value) == expected


@FAST
@given(st.text(max_size=40))
def test_fold_is_idempotent_and_lower_case(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.lower()
    assert folded == folded.strip()
    assert "  " not in folded


@FAST
@given(
    st.text(
        alphabet=st.characters(codec="latin-1", categories=("Lu", "Ll"), exclude_characters="µ"),
        min_size=1,
        max_size=20,
    )
)
def test_fold_turns_latin_letters_into_ascii(text):
    assert fold(text).isascii()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("giulia", "Giulia"),
        ("ROSSI", "Rossi"),
        ("d'angelo", "D'Angelo"),
        ("DELL'ACQUA", "Dell'Acqua"),
        ("rossi-bianchi", "Rossi-Bianchi"),
        ("maria grazia", "Maria Grazia"),
        ("nicolò", "Nicolò"),
        ("McDonald", "McDonald"),  # mixed case is kept as written
        ("van Dijk", "van Dijk"),
        ("  Zoë   Müller ", "Zoë Müller"),
    ],
)
def test_name_gets_title_case_only_when_typed_in_one_case(value, expected):
    assert normalise_name(value) == expected


@FAST
@given(st.text(max_size=30))
def test_clean_text_collapses_space_and_is_idempotent(text):
    cleaned = clean_text(text)
    if cleaned is not None:
        assert cleaned == cleaned.strip()
        assert clean_text(cleaned) == cleaned


def test_postcode_is_upper_case_with_single_spaces():
    assert normalise_postcode(" ec1a   1bb ") == "EC1A 1BB"
    assert normalise_postcode("20121") == "20121"


# --- countries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Italia", "IT"),
        ("Italy", "IT"),
        ("IT", "IT"),
        ("it", "IT"),
        (" italia ", "IT"),
        ("Germania", "DE"),
        ("Germany", "DE"),
        ("Francia", "FR"),
        ("Spagna", "ES"),
        ("Svizzera", "CH"),
        ("Stati Uniti", "US"),
        ("USA", "US"),
        ("Regno Unito", "GB"),
        ("UK", "GB"),
        ("Paesi Bassi", "NL"),
    ],
)
def test_country_names_in_english_and_italian_become_codes(value, expected):
    assert normalise_country(value) == expected


@pytest.mark.parametrize("value", ["Atlantis", "Italiaa", "XX1"])
def test_unknown_country_raises(value):
    with pytest.raises(ValueError):
        normalise_country(value)


def test_empty_country_is_none():
    assert normalise_country("") is None


# --- dates ----------------------------------------------------------------------------


@FAST
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)))
def test_iso_and_day_first_dates_round_trip(day):
    for typed in (
        day.isoformat(),
        day.strftime("%d/%m/%Y"),
        day.strftime("%d-%m-%Y"),
        day.strftime("%d.%m.%Y"),
        f"{day.isoformat()}T10:30:00Z",
    ):
        assert normalise_date(typed) == day, typed


def test_day_first_reading_of_ambiguous_dates():
    assert normalise_date("31/12/1980") == date(1980, 12, 31)
    assert normalise_date("01/02/1980") == date(1980, 2, 1)  # 1 February, not 2 January
    assert normalise_date("31/12/80") == date(1980, 12, 31)


@pytest.mark.parametrize(
    "value", ["31/02/1980", "30/02/2000", "1980-13-01", "32/01/1980", "13/13/1980", "yesterday"]
)
def test_impossible_dates_raise(value):
    with pytest.raises(ValueError):
        normalise_date(value)


def test_dates_before_1900_or_in_the_future_raise():
    with pytest.raises(ValueError):
        normalise_date("01/01/1850")
    with pytest.raises(ValueError):
        normalise_date((date.today() + timedelta(days=400)).isoformat())


def test_date_objects_and_empty_values_pass_through():
    assert normalise_date(date(1980, 12, 31)) == date(1980, 12, 31)
    assert normalise_date("") is None
    assert normalise_date(None) is None


# --- the plain-email shortcut gives exactly email_validator's answer -------------------
from email_validator import EmailNotValidError, validate_email  # noqa: E402

from crm.services import normalise as normalise_module  # noqa: E402

_LOCAL_CHARS = "abcXYZ019._+-"
_DOMAIN_CHARS = "abcXYZ019-"
_plain_locals = st.text(alphabet=_LOCAL_CHARS, min_size=1, max_size=70)
_plain_domains = st.lists(
    st.text(alphabet=_DOMAIN_CHARS, min_size=1, max_size=65), min_size=1, max_size=3
).map(".".join)
_tlds = st.sampled_from(["com", "it", "net", "org", "eu", "uk", "io", "COM", "It", "xyz", "1"])
_candidate_emails = st.one_of(
    st.builds(lambda lo, do, t: f"{lo}@{do}.{t}", _plain_locals, _plain_domains, _tlds),
    st.emails(),
)


def _library(text: str) -> str | None:
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


@settings(max_examples=600, deadline=None, database=None)
@given(_candidate_emails)
def test_plain_email_shortcut_agrees_with_email_validator(text):
    fast = normalise_module._plain_email(text)
    if fast is not None:
        assert fast == _library(text)


@pytest.mark.parametrize(
    "text",
    ["Mario.Rossi@Gmail.COM", "a+b_c-d@mail.example.co.uk", "x@a-b.it", "a.b.c@d.e.org"],
)
def test_plain_email_shortcut_takes_ordinary_addresses(text):
    assert normalise_module._plain_email(text) == _library(text) == text.lower()


@pytest.mark.parametrize(
    "text",
    [
        "a..b@x.com",
        ".a@x.com",
        "a@x-.com",
        "a@xn--bcher-kva.com",
        "a@x.test",
        "a@x",
        "\u017f@x.com",
        "a@\u212a.com",
    ],
)
def test_unusual_addresses_go_to_email_validator(text):
    assert normalise_module._plain_email(text) is None


@FAST
@given(st.text(alphabet="+0123456789 ", min_size=1, max_size=16))
def test_cached_phone_parsing_gives_the_same_answer_twice(text):
    first = _accept(lambda v: normalise_phone(v, "IT"), text)
    assert _accept(lambda v: normalise_phone(v, "IT"), text) == first


def test_titles_before_names_are_dropped():
    from crm.services.normalise import normalise_name
    from crm.services.rows import split_full_name

    assert normalise_name("Dott.ssa Anna") == "Anna"
    assert normalise_name("DOTT. MARIO") == "Mario"
    assert normalise_name("Sig.ra Maria Grazia") == "Maria Grazia"
    assert normalise_name("Herr Müller") == "Müller"
    assert normalise_name("Dr.") is None  # a title alone is a salutation, no name
    assert normalise_name("M. Dupont") == "M. Dupont"  # an initial is not a title
    assert split_full_name("Prof.ssa Maria De Luca") == ("Maria", "De Luca")


# --- Tax and national ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("rss mra 85t10 a562s", "RSSMRA85T10A562S"),  # codice fiscale, as typed
        ("RSSMRA85T10A562S", "RSSMRA85T10A562S"),
        ("123-45-6789", "123456789"),  # a US social security number
        (" 5304218 ", "5304218"),
        ("AB 12 34 56 C", "AB123456C"),  # a UK national insurance number
        ("", None),
        (None, None),
    ],
)
def test_tax_ids_lose_spaces_and_punctuation(value, expected):
    assert normalise_tax_id(value) == expected


@pytest.mark.parametrize(
    "value", ["RSSMRA85T10A562X", "n/a", "000000000", "unknown", "12", "ñ12345", "1" * 40]
)
def test_bad_tax_ids_raise(value):
    with pytest.raises(ValueError):
        normalise_tax_id(value)


@FAST
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -./", max_size=40))
def test_tax_id_normalisation_is_idempotent(text):
    clean = _accept(normalise_tax_id, text)
    if clean is not None:
        assert normalise_tax_id(clean) == clean
        assert clean == clean.upper() and clean.isalnum()


def test_fold_lower_cases_compatibility_letters():
    # Found by hypothesis: 'Fraktur A' decomposes to 'A' only after case folding was tried.
    assert fold("𝔄𝔫𝔫𝔞 ℜ𝔬𝔰𝔰𝔦") == "anna rossi"
    assert fold(fold("𝔄")) == fold("𝔄") == "a"


# --- Dates as other tools write them -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "14 marzo 1985",
        "March 14, 1985",
        "14-Mar-85",
        "14th of March 1985",
        "14 de marzo de 1985",
        "14. März 1985",
        "14 mars 1985",
        "Mar 14 1985",
    ],
)
def test_dates_with_written_months_in_five_languages(text):
    assert normalise_date(text) == date(1985, 3, 14)


def test_numeric_dates_follow_the_files_order_unless_only_the_other_reads_them():
    assert normalise_date("03/04/1985") == date(1985, 4, 3)
    assert normalise_date("03/04/1985", month_first=True) == date(1985, 3, 4)
    assert normalise_date("03/14/1985") == date(1985, 3, 14)  # no 14th month
    assert normalise_date("14/03/1985", month_first=True) == date(1985, 3, 14)


def test_two_digit_years_of_birth_are_in_the_past():
    assert normalise_date("05/06/45") == date(1945, 6, 5)
    assert normalise_date("05/06/01") == date(2001, 6, 5)


@pytest.mark.parametrize(
    ("samples", "region", "expected"),
    [
        (["25/12/1980", "01/02/1990"], "US", False),  # a 25th month cannot be: day first
        (["12/25/1980", "01/02/1990"], "IT", True),  # a 25th day in second place
        (["01/02/1990", "1985-03-14", None, ""], "IT", False),  # no telling: the region
        (["01/02/1990"], "US", True),
        (["25/12/1980", "12/25/1980"], "IT", False),  # both: the region
    ],
)
def test_a_files_date_order_is_told_from_its_unambiguous_dates(samples, region, expected):
    assert dates_month_first(samples, region) is expected


def test_an_email_with_its_display_name_keeps_the_address():
    assert normalise_email("Anna Rossi <Anna.Rossi@Example.it>") == "anna.rossi@example.it"
    assert normalise_email('"Rossi, Anna" <anna@example.it>') == "anna@example.it"
    with pytest.raises(ValueError):
        normalise_email("Anna Rossi <not an address>")


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("Rome", "roma"),
        ("ROMA", "roma"),
        ("Milan", "milano"),
        ("Munich", "munchen"),
        ("München", "munchen"),
        ("Monaco di Baviera", "munchen"),
        ("The Hague", "den haag"),
        ("L'Aia", "den haag"),
        ("Reggio Emilia", "reggio emilia"),
    ],
)
def test_cities_compare_by_their_local_name(written, key):
    assert normalise_module.city_key(written) == key


# --- Values as spreadsheets and other tools write them -----------------------------------


def test_a_spreadsheets_text_apostrophe_before_a_code_is_dropped():
    assert normalise_postcode("'20121") == "20121"
    assert normalise_postcode("'sw1a 1aa") == "SW1A 1AA"
    assert normalise_tax_id("'RSSMRA85T10A562S") == "RSSMRA85T10A562S"
    assert normalise_tax_id("'123-45-6789") == "123456789"
    assert normalise_date("'1985-03-14") == date(1985, 3, 14)
    assert normalise_phone("'+393331234567") == "+393331234567"
    assert normalise_phone("'00393331234567") == "+393331234567"


@pytest.mark.parametrize(
    "text", ["O'Brien", "D'Amico", "'Nduja", "L'Aquila", "'", "''", "'Anna Rossi'", "Via Roma 1'"]
)
def test_an_apostrophe_in_or_before_a_word_stays(text):
    assert normalise_module.strip_text_marker(text) == text


@pytest.mark.parametrize(
    ("postcode", "country", "expected"),
    [
        ("2108", "US", "02108"),  # Boston, through Excel
        ("183", "IT", "00183"),  # Roma
        ("1067", "DE", "01067"),
        ("800", "AU", "0800"),  # Darwin: 4-digit codes
        ("150", "NO", "0150"),
        ("18956", "SG", "018956"),
        ("8", "IT", "8"),  # four zeros short is another mistake
        ("20121", "IT", "20121"),
        ("123456", "IT", "123456"),
        ("2108", None, "2108"),
        ("2108", "GB", "2108"),  # not all digits of one length there
        ("1012", "NL", "1012"),
        ("EC1A", "US", "EC1A"),
        ("٢١٠٨", "US", "٢١٠٨"),  # other digits than ASCII: not ours to pad
    ],
)
def test_numeric_postcodes_get_back_the_leading_zeros_of_their_countrys_length(
    postcode, country, expected
):
    assert normalise_module.pad_postcode(postcode, country) == expected


def test_a_phone_region_is_a_country_phonenumbers_knows():
    assert normalise_module.phone_region("us") == "US"
    assert [normalise_module.phone_region(c) for c in ("EU", "ZZ", "AQ", None, "")] == [None] * 5


def test_the_phone_cache_tells_regions_apart():
    assert normalise_phone("(312) 555-0190", "US") == "+13125550190"
    assert normalise_phone("347 987 6543", "IT") == "+393479876543"
    assert normalise_phone("347 987 6543", "US") == "+13479876543"


# --- numbers written with their calling code but no "+" ---------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("4915112345678", "+4915112345678"),  # Brevo's SMS column
        ("'447911123456", "+447911123456"),  # a spreadsheet's text mark kept it
        ("393331234567", "+393331234567"),
    ],
)
def test_digits_that_start_with_a_calling_code_read_as_international(typed, expected):
    assert normalise_module.calling_code_reading(typed, ["IT"]) == expected


@FAST
@given(st.from_regex(r"0[0-9]{5,14}", fullmatch=True))
def test_a_number_with_its_trunk_zero_is_never_read_as_international(digits):
    # No calling code starts with 0: an Italian landline, a German "0151 ...".
    assert normalise_module.calling_code_reading(digits, ["IT"]) is None


@pytest.mark.parametrize(
    "typed",
    [
        "49 151 12345678",  # written in groups: a national number, or none
        "+4915112345678",  # normalise_phone reads these
        "6498956489",  # 06 498956489, an Italian landline that lost its 0; not +64 (NZ)
        "999123456789",  # no such calling code
        "34712345678",  # an Italian mobile with a digit too many, not Spain's +34 712...
        "33312345678",  # nor France's +33 3 12 ...
        "",
    ],
)
def test_only_a_run_of_digits_valid_with_a_plus_reads_as_international(typed):
    assert normalise_module.calling_code_reading(typed, ["IT"]) is None


@FAST
@given(italian_mobiles())
def test_an_italian_mobile_written_with_39_and_no_plus_is_itself(mobile):
    e164, national = mobile
    for region in ("FR", "GB", "US"):
        assert normalise_module.calling_code_reading("39" + national, [region]) == e164


# --- empty dates and postcodes' shapes ----------------------------------------------------


@pytest.mark.parametrize("marker", ["0/0/00", "00/00/0000", "0000-00-00", "00.00.0000", "0/0/0000"])
def test_tools_marks_of_an_empty_date_are_no_date(marker):
    assert normalise_date(marker) is None
    assert normalise_date(f"{marker} 00:00:00", month_first=True) is None


@pytest.mark.parametrize("value", ["0/1/00", "00/00/1980", "1980-00-00", "0/0"])
def test_a_date_with_a_zero_part_only_is_still_no_date(value):
    with pytest.raises(ValueError):
        normalise_date(value)


@pytest.mark.parametrize(
    ("postcode", "country", "fits"),
    [
        ("43121", "IT", True),
        ("4312", "IT", False),
        ("10115", "DE", True),
        ("94043", "US", True),
        ("94043-1351", "US", True),
        ("SW1A 2AA", "GB", True),
        ("sw1a 2aa", "GB", True),
        ("SW1A", "GB", False),
        ("1016 GV", "NL", True),
        ("H3Z 2Y7", "CA", True),
        ("00-950", "PL", True),
        ("1010", "AT", True),
        ("20121", "GB", False),
        ("20121", None, False),  # no country, no shape to check
        ("20121", "KY", False),  # a country whose postcodes are not known here
    ],
)
def test_a_postcode_fits_its_countrys_shape(postcode, country, fits):
    assert normalise_module.postcode_fits(postcode, country) is fits


# --- invisible characters -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("\u202eAnna\u200f", "Anna"),  # a right-to-left override would show it reversed
        ("\u200bBianchi\ufeff", "Bianchi"),
        ("A\x00nna", "Anna"),  # PostgreSQL cannot store a NUL
        ("Anna\ud800", "Anna"),  # a lone surrogate, as JSON can write one
        ("\x01", None),
        ("Mehr\u200cdad", "Mehr\u200cdad"),  # a joiner some scripts need stays
        ("Via Roma 12\x0b20121 Milano", "Via Roma 12 20121 Milano"),  # a cell's line break
        ("Gian\x0cPaolo\x85", "Gian Paolo"),
    ],
)
def test_clean_text_drops_invisible_characters(typed, expected):
    assert clean_text(typed) == expected


def test_values_kept_as_received_mark_what_no_database_stores():
    assert normalise_module.storable("a\x00b\udc80") == "a\ufffdb\ufffd"
