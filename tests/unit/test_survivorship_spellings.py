"""Survivorship among records of one trust rank: a newer record's slip of a name (a
letter dropped, doubled or swapped) or its first and last name swapped does not replace
the profile's names (user test findings A and B)."""

import io

from crm.services import ingest, profiles

NAMES = "email,first_name,last_name\n"


def _import(text: str, source: str) -> dict:
    """Import text as a CSV file from source."""
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _person(email: str):
    """The profile a search for email finds first."""
    return profiles.search_profiles(email)[0][0]


def _names(email: str) -> tuple[str, str]:
    """The first and last name the profile of email shows."""
    profile = _person(email)
    return profile.first_name, profile.last_name


def test_a_newer_surname_with_a_letter_dropped_keeps_the_full_one(app):
    email = "valentina.rinaldi55@outlook.it"
    _import(NAMES + f"{email},Valentina,Rinaldi\n", source="sito_web")
    _import(NAMES + f"{email},Valentina,Rinald\n", source="mailchimp_nl")
    profile = _person(email)
    assert profile.last_name == "Rinaldi"
    assert profile.provenance["last_name"]["source"] == "sito_web"


def test_a_newer_typo_loses_to_the_spelling_more_records_state(app):
    _import(NAMES + "n.damico@example.it,Nicolò,D'Amico\n", source="web")
    _import(NAMES + "n.damico@example.it,NICOLO,DAMICO\n", source="newsletter")
    _import(NAMES + "n.damico@example.it,Nicolò,Damicco\n", source="api")
    profile = _person("n.damico@example.it")
    assert (profile.first_name, profile.last_name) == ("Nicolò", "D'Amico")
    assert profile.provenance["last_name"]["source"] == "web"


def test_of_two_writings_a_slip_apart_the_fuller_one_stays_whichever_came_first(app):
    # A later export's correction wins; a later export's slip does not.
    _import(NAMES + "a@example.it,Anna,Rosi\n", source="fiera")
    _import(NAMES + "a@example.it,Anna,Rossi\n", source="shop")
    assert _names("a@example.it") == ("Anna", "Rossi")
    _import(NAMES + "b@example.it,Bruno,Rossi\n", source="fiera")
    _import(NAMES + "b@example.it,Bruno,Rosi\n", source="shop")
    assert _names("b@example.it") == ("Bruno", "Rossi")


def test_two_equal_writings_a_slip_apart_keep_the_established_one(app):
    _import(NAMES + "m@example.it,Marta,Moretti\n", source="fiera")
    _import(NAMES + "m@example.it,Marta,Mroetti\n", source="shop")
    assert _names("m@example.it") == ("Marta", "Moretti")


def test_a_newer_first_name_with_a_letter_dropped_keeps_the_full_one(app):
    _import(NAMES + "v@example.it,Valentina,Neri\n", source="sito_web")
    _import(NAMES + "v@example.it,Valentna,Neri\n", source="mailchimp_nl")
    assert _names("v@example.it") == ("Valentina", "Neri")


def test_of_two_first_names_a_slip_apart_the_known_name_stays_though_shorter(app):
    # A letter slipped in makes the longer writing: the name the lists know is the name.
    _import(NAMES + "chiara@example.it,Chiara,Berti\n", source="fiera")
    _import(NAMES + "chiara@example.it,Chiarra,Berti\n", source="shop")
    assert _names("chiara@example.it") == ("Chiara", "Berti")
    # Whichever came first: the slip stated first gives way to the name.
    _import(NAMES + "marco@example.it,Marcco,Bianchi\n", source="fiera")
    _import(NAMES + "marco@example.it,Marco,Bianchi\n", source="shop")
    assert _names("marco@example.it") == ("Marco", "Bianchi")


def test_a_surname_more_than_a_slip_away_follows_the_most_recent_record(app):
    _import(NAMES + "c@example.it,Chiara,Rinaldi\n", source="sito_web")
    _import(NAMES + "c@example.it,Chiara,Bianchi\n", source="mailchimp_nl")
    assert _names("c@example.it") == ("Chiara", "Bianchi")
    _import(NAMES + "d@example.it,Dario,Rossi\n", source="sito_web")
    _import(NAMES + "d@example.it,Dario,Russo\n", source="mailchimp_nl")
    assert _names("d@example.it") == ("Dario", "Russo")


def test_a_newer_record_with_the_names_swapped_keeps_the_shown_order(app):
    # Names the given-name lists do not know, and no country that writes the family name
    # first: the order the profile shows stays.
    _import(NAMES + "k@example.com,Min-jun,Kim\nl@example.com,Xiaoming,Li\n", source="shop")
    _import(NAMES + "k@example.com,Kim,Min-jun\nl@example.com,Li,Xiaoming\n", source="shop")
    assert _names("k@example.com") == ("Min-jun", "Kim")
    assert _names("l@example.com") == ("Xiaoming", "Li")
    profile = _person("k@example.com")
    first_record = min(r.id for r in profile.source_records)
    assert profile.provenance["first_name"]["source_record_id"] == first_record
    assert profile.provenance["last_name"]["source_record_id"] == first_record


def test_swapped_names_in_one_file_keep_the_order_stated_first(app):
    _import(
        NAMES + "k@example.com,Min-jun,Kim\n"
        "k@example.com,Kim,Min-jun\n"
        "l@example.com,Xiaoming,Li\n"
        "l@example.com,Li,Xiaoming\n"
        "w@example.com,Wei,Wang\n"
        "w@example.com,Wang,Wei\n",
        source="shop",
    )
    assert _names("k@example.com") == ("Min-jun", "Kim")
    assert _names("l@example.com") == ("Xiaoming", "Li")
    assert _names("w@example.com") == ("Wei", "Wang")
