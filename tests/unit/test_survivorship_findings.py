"""Survivorship among records of one trust rank: a newer record does not replace a value
with a worse writing of the same value (user test 3, finding 8)."""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import Source
from crm.services import ingest, profiles, sources, survivorship

HEADER = "id,email,first_name,last_name,address,postcode,city\n"


def _import(text: str, source: str) -> dict:
    """Import text as a CSV file from source."""
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _person(email: str):
    """The profile a search for email (or a name) finds first."""
    return profiles.search_profiles(email)[0][0]


def _rank(name: str, trust_rank: int) -> None:
    """Give a source a trust rank and choose its profiles' values again."""
    source = db.session.scalar(select(Source).where(Source.name == name))
    source.trust_rank = trust_rank
    db.session.commit()
    sources.recompute(source.id)


def _sources(profile, *names: str) -> list[str]:
    """The source each named field of profile came from."""
    return [profile.provenance[name]["source"] for name in names]


def test_swapped_name_columns_of_a_newer_record_do_not_swap_the_profiles_names(app):
    _import("id,first_name,last_name,phone\nC4,Fabio,Rinaldi,339 4445566\n", source="crm")
    _import("id,first_name,last_name,phone\nS4,Rinaldi,Fabio,+39 339 444 5566\n", source="shop")
    profile = _person("Rinaldi")
    assert (profile.first_name, profile.last_name) == ("Fabio", "Rinaldi")
    # Both names from the same record, the one that wrote them in their order.
    assert _sources(profile, "first_name", "last_name") == ["crm", "crm"]


def test_a_name_typed_by_hand_keeps_its_partner_from_the_record_in_order(app):
    _import("id,first_name,last_name,phone\nC4,Fabio,Rinaldi,339 4445566\n", source="crm")
    profile = _person("Rinaldi")
    profiles.update_profile(profile.id, {"first_name": "Fabiano"}, expected_version=None, actor="t")
    _import("id,first_name,last_name,phone\nS4,Rinaldi,Fabio,339 4445566\n", source="shop")
    profile = _person("Rinaldi")
    assert (profile.first_name, profile.last_name) == ("Fabiano", "Rinaldi")
    # A person who typed the other order chose it: the records do not turn it round.
    profiles.update_profile(profile.id, {"first_name": "Rinaldi"}, expected_version=None, actor="t")
    survivorship.recompute(profile)
    db.session.commit()
    assert (profile.first_name, profile.last_name) == ("Rinaldi", "Fabio")


def test_names_the_lists_cannot_order_follow_the_most_recent_record(app):
    # Marco and Andrea are both first names: nothing says which file swapped them.
    _import("id,first_name,last_name,phone\nC1,Marco,Andrea,339 4445566\n", source="crm")
    _import("id,first_name,last_name,phone\nS1,Andrea,Marco,339 4445566\n", source="shop")
    profile = _person("Andrea")
    assert (profile.first_name, profile.last_name) == ("Andrea", "Marco")


def test_a_more_trusted_source_keeps_its_name_order(app):
    _import("id,first_name,last_name,phone\nC4,Fabio,Rinaldi,339 4445566\n", source="crm")
    _import("id,first_name,last_name,phone\nS4,Rinaldi,Fabio,339 4445566\n", source="shop")
    _rank("shop", 80)
    profile = _person("Rinaldi")
    assert (profile.first_name, profile.last_name) == ("Rinaldi", "Fabio")


def test_a_newer_nickname_keeps_the_full_first_name(app):
    _import(HEADER + "C4,e@example.it,Giuseppe,Esposito,,,\n", source="crm")
    _import(HEADER + "F3,e@example.it,Pino,Esposito,,,\n", source="fiera")
    profile = _person("e@example.it")
    assert profile.first_name == "Giuseppe"
    assert profile.provenance["first_name"]["source"] == "crm"
    # Another name, not a fuller one: the most recent record wins as before.
    _import(HEADER + "C4,e@example.it,Gennaro,Esposito,,,\n", source="crm")
    assert _person("e@example.it").first_name == "Gennaro"


def test_a_more_trusted_nickname_still_wins(app):
    _import(HEADER + "C4,e@example.it,Giuseppe,Esposito,,,\n", source="crm")
    _import(HEADER + "F3,e@example.it,Pino,Esposito,,,\n", source="fiera")
    _rank("fiera", 80)
    assert _person("e@example.it").first_name == "Pino"


def test_a_newer_partial_surname_keeps_the_fuller_one_but_a_new_surname_replaces_it(app):
    _import(HEADER + "C5,f@example.it,Francesca,Di Giovanni Rossi,,,\n", source="crm")
    _import(HEADER + "F4,f@example.it,Francesca,Rossi,,,\n", source="fiera")
    profile = _person("f@example.it")
    assert profile.last_name == "Di Giovanni Rossi"
    # A surname after marriage is another value: the most recent record gives it.
    _import(HEADER + "C5,f@example.it,Francesca,Bianchi,,,\n", source="crm")
    assert _person("f@example.it").last_name == "Bianchi"


def test_words_written_apart_are_the_richer_spelling(app):
    _import(HEADER + "C2,m@example.it,Maria Grazia,De Luca,,,\n", source="crm")
    _import(HEADER + "F2,m@example.it,Mariagrazia,Deluca,,,\n", source="fiera")
    profile = _person("m@example.it")
    assert (profile.first_name, profile.last_name) == ("Maria Grazia", "De Luca")


def test_an_abbreviated_street_keeps_the_written_out_address_whole(app):
    _import(HEADER + "C1,n@example.it,Niccolò,D'Angelo,Via Cavour 12,50129,Firenze\n", "crm")
    _import(HEADER + 'F1,n@example.it,Niccolò,D\'Angelo,"V. Cavour, 12",50129,FIRENZE\n', "fiera")
    profile = _person("n@example.it")
    assert (profile.address, profile.postcode) == ("Via Cavour 12", "50129")
    # The whole address from one record.
    assert _sources(profile, "address", "postcode", "city") == ["crm", "crm", "crm"]
    _import(HEADER + "C2,p@example.it,Mario,Neri,Corso Italia 44,80121,Napoli\n", "crm")
    _import(HEADER + "F2,p@example.it,Mario,Neri,C.so Italia 44,80121,NAPOLI\n", "fiera")
    assert _person("p@example.it").address == "Corso Italia 44"


def test_a_new_street_number_or_flat_follows_the_most_recent_record(app):
    _import(HEADER + "C1,n@example.it,Ada,Neri,Via Cavour 12,50129,Firenze\n", "crm")
    _import(HEADER + "F1,n@example.it,Ada,Neri,V. Cavour 14,50129,Firenze\n", "fiera")
    assert _person("n@example.it").address == "V. Cavour 14"
    _import(HEADER + "C2,p@example.it,Ugo,Neri,Via Roma 12 interno 6,20121,Milano\n", "crm")
    _import(HEADER + "F2,p@example.it,Ugo,Neri,V. Roma 12 int. 4,20121,Milano\n", "fiera")
    assert _person("p@example.it").address == "V. Roma 12 int. 4"
    # The same street in another town is another address.
    _import(HEADER + "C3,q@example.it,Eva,Neri,Via Roma 1,20121,Milano\n", "crm")
    _import(HEADER + "F3,q@example.it,Eva,Neri,V. Roma 1,10121,Torino\n", "fiera")
    profile = _person("q@example.it")
    assert (profile.address, profile.city) == ("V. Roma 1", "Torino")
