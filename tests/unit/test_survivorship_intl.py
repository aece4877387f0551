"""Survivorship among records of one trust rank, for values written the ways other
countries' tools write them: umlauts spelt out, street abbreviations, dropped particles,
legal forms, ZIP+4 codes and generations, and family names first."""

import io

from crm.extensions import db
from crm.models import Profile
from crm.services import ingest, profiles
from tests.factories import import_records


def _import(text: str, source: str) -> dict:
    """Import text as a CSV file from source."""
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _person(query: str):
    """The profile a search finds first."""
    return profiles.search_profiles(query)[0][0]


CRM = (
    "id,email,first_name,last_name,address,postcode,city,country,company\n"
    "C1,k.juergens@example.de,Käthe,von Jürgens,Goethestraße 21,60313,Frankfurt am Main,DE,"
    "Jürgens Spedition GmbH\n"
    "C2,w.baker@example.com,Walter,Baker Jr.,310 Cedar Avenue,55401-2210,Minneapolis,US,"
    "Baker Tools Inc.\n"
)
NEWSLETTER = (
    "email,first_name,last_name,address,postcode,city,country,company\n"
    "k.juergens@example.de,Kaethe,Juergens,Goethestr. 21,60313,Frankfurt am Main,DE,"
    "Juergens Spedition\n"
    "w.baker@example.com,Walter,Baker,310 Cedar Ave,55401,Minneapolis,US,Baker Tools\n"
)


def test_a_newer_writing_that_drops_letters_marks_or_words_keeps_the_fuller_one(app):
    _import(CRM, source="crm")
    _import(NEWSLETTER, source="newsletter")
    kaethe = _person("k.juergens@example.de")
    assert (kaethe.first_name, kaethe.last_name) == ("Käthe", "von Jürgens")
    assert kaethe.address == "Goethestraße 21"
    assert kaethe.company == "Jürgens Spedition GmbH"
    walter = _person("w.baker@example.com")
    assert walter.last_name == "Baker Jr."
    assert (walter.address, walter.postcode) == ("310 Cedar Avenue", "55401-2210")
    assert walter.company == "Baker Tools Inc."
    for profile in (kaethe, walter):
        named = ("last_name", "address", "postcode", "company")
        sources = {n: profile.provenance[n]["source"] for n in named}
        assert sources == dict.fromkeys(named, "crm")


def test_an_umlaut_spelt_out_in_a_city_keeps_the_umlaut(app):
    _import("id,email,city\nC1,m@example.de,Tübingen\n", source="crm")
    _import("email,city\nm@example.de,Tuebingen\n", source="newsletter")
    assert _person("m@example.de").city == "Tübingen"


def test_a_new_value_still_replaces_the_old_one(app):
    _import(CRM, source="crm")
    _import(
        "email,first_name,last_name,address,postcode,city,country,company\n"
        # A move to another town, another employer.
        "k.juergens@example.de,Käthe,von Jürgens,Marktplatz 2,69117,Heidelberg,DE,"
        "Neckar Logistik AG\n"
        # Another street in the same ZIP code, and no company any more named.
        "w.baker@example.com,Walter,Baker Jr.,12 Birch St,55401,Minneapolis,US,Acme Inc.\n",
        source="newsletter",
    )
    kaethe = _person("k.juergens@example.de")
    assert (kaethe.address, kaethe.postcode, kaethe.city) == ("Marktplatz 2", "69117", "Heidelberg")
    assert kaethe.company == "Neckar Logistik AG"
    walter = _person("w.baker@example.com")
    assert (walter.address, walter.postcode) == ("12 Birch St", "55401")
    assert walter.company == "Acme Inc."


def test_a_list_that_writes_the_family_name_first_does_not_turn_the_names_round(app):
    _import(
        "id,email,first_name,last_name,country\nC1,s@example.jp,Sakura,Yamamoto,JP\n", source="crm"
    )
    _import("email,full_name,country\ns@example.jp,Yamamoto Sakura,Japan\n", source="fair")
    profile = _person("s@example.jp")
    assert (profile.first_name, profile.last_name) == ("Sakura", "Yamamoto")
    # The lists know the order: a newer record that writes it right wins.
    _import("id,email,first_name,last_name\nC2,r@example.it,Rossi,Marco\n", source="crm")
    _import("email,first_name,last_name\nr@example.it,Marco,Rossi\n", source="fair")
    profile = _person("r@example.it")
    assert (profile.first_name, profile.last_name) == ("Marco", "Rossi")


def test_a_profile_writes_its_names_in_one_script(app):
    _import("id,email,first_name,last_name\nC1,a.o@example.ru,Алексей,Орлов\n", source="crm")
    _import("email,first_name,last_name\na.o@example.ru,Alexey,Orlov\n", source="fair")
    profile = _person("a.o@example.ru")
    # The newer record's names, both: not "Alexey Орлов" because only the surname's
    # transliteration agrees letter for letter.
    assert (profile.first_name, profile.last_name) == ("Alexey", "Orlov")
    assert _person("Орлов").id == profile.id


def test_a_newer_initial_does_not_replace_the_full_first_name(app):
    import_records("crm", {"id": "1", "first_name": "Giuseppe", "last_name": "Esposito",
                           "email": "g.esposito@example.it"})  # fmt: skip
    [result] = import_records("fiera", {"id": "2", "first_name": "G.", "last_name": "Esposito",
                                        "email": "g.esposito@example.it"})  # fmt: skip
    db.session.expire_all()
    assert db.session.get(Profile, result["profile_id"]).first_name == "Giuseppe"
