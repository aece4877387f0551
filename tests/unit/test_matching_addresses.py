"""Two addresses the scorer must not read as one: another kind of street, a saint or a
quarter dropped, a house number's suffix. Found by a user test: the reasons a reviewer
read said "address: same" where the records may name two homes."""

import pytest

from crm.services import matching
from crm.services.matching import NUMBER_SUFFIX_ONE_SIDE, Person, compare


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Piazza Loreto 5", "Piazzale Loreto 5"),
        ("P.zza Loreto 5", "P.le Loreto 5"),
        ("Via Roma 5", "Viale Roma 5"),
        ("V. Dante 83", "Viale Dante 83"),
        ("Via delle Rose 3", "Piazza delle Rose 3"),
        ("12 Oak Road", "12 Oak Street"),
        ("4 avenue Foch", "4 boulevard Foch"),
    ],
)
def test_two_kinds_of_street_are_two_streets_however_alike_their_letters(a, b):
    assert matching._address_level(a, b) == "different"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("12 St Mary Street", "12 Mary Street"),
        ("Via San Francesco 3", "Via Francesco 3"),
        ("Via Emilia Est 3", "Via Emilia Ovest 3"),
        ("Via Emilia 3", "Via Emilia Est 3"),
        ("12 Station Road East", "12 Station Road"),
        ("8 Old Kent Road", "8 Kent Road"),
        ("100 21st Street", "100 22nd Street"),
    ],
)
def test_a_saint_a_quarter_or_an_ordinal_tells_a_street_from_its_namesake(a, b):
    assert matching._address_level(a, b) == "different"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("12 St Mary Street", "12 Saint Mary Street"),
        ("Via S. Francesco 3", "Via San Francesco 3"),
        ("Via Emilia E. 3", "Via Emilia Est 3"),
        ("Vic. Mazzini 82", "Vicolo Mazzini 82"),
        ("Borgo Palazzo 3", "Via Borgo Palazzo 3"),
        ("Via Giuseppe Garibaldi 5", "Via Garibaldi 5"),
        ("Via Roma n. 5", "Via Roma 5"),
        ("Via Roma 5A", "Via Roma 5/a"),
        ("Via Roma 5 bis", "Via Roma 5-bis"),
    ],
)
def test_one_street_written_two_ways_is_still_one_address(a, b):
    assert matching._address_level(a, b) == "same"


def test_a_house_number_with_a_suffix_on_one_side_is_neither_the_same_nor_another():
    # The suffix may have been left out, or it names the next building: no evidence
    # either way, and the reviewer is told so.
    for a, b in (
        ("Via Roma 5", "Via Roma 5A"),
        ("Via Roma 5", "Via Roma 5/A"),
        ("Via Roma 5 bis", "Via Roma 5"),
        ("Via Roma 5A int. 2", "Via Roma 5"),
    ):
        assert matching._address_level(a, b) == NUMBER_SUFFIX_ONE_SIDE
    # Two suffixes are two doors.
    assert matching._address_level("Via Roma 5A", "Via Roma 5B") == "same street, other number"
    assert matching._address_level("Via Roma 5 bis", "Via Roma 5/B") == (
        "same street, other number"
    )
    assert matching.street_words("Via Roma, 12/A") == ("via roma", frozenset({"12a"}))


def test_a_suffix_on_one_side_weighs_less_than_the_same_number_more_than_another():
    home = dict(postcode="20121", city="Milano")
    a = Person("Marco", "Galli", address="Via Roma 5", **home)
    b = Person("Marco", "Galli", address="Via Roma 5A", **home)
    decision = compare(a, b)
    assert f"address: {NUMBER_SUFFIX_ONE_SIDE}" in decision.reasons
    assert "address: same" not in decision.reasons
    assert decision.score < compare(a, Person("Marco", "Galli", address="Via Roma 5", **home)).score
    assert decision.score > compare(a, Person("Marco", "Galli", address="Via Roma 7", **home)).score


def test_a_dropped_saint_is_no_same_address_in_the_reasons():
    a = Person("Emily", "Clarke", address="12 St Mary Street", city="Cardiff")
    b = Person("Emily", "Clarke", address="12 Mary Street", city="Cardiff")
    reasons = compare(a, b).reasons
    assert "address: same" not in reasons
    assert "address: different" in reasons


def test_an_abbreviation_the_lists_know_is_the_street_written_out():
    # "Elm St" is "Elm Street": the same address with the same number, the same street
    # without one. (Only an abbreviation no list knows, "C/ Mayor", is neither.)
    assert matching._address_level("12 Elm St", "12 Elm Street") == "same"
    assert matching._address_level("Elm St", "Elm Street") == "same street"
    assert matching._address_level("C/ Mayor 40", "Calle Mayor 40") == matching.WRITTEN_APART
