"""A search finds a person by the spelling of any record behind the profile."""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import SourceRecord
from crm.services import ingest, match_keys, profiles, splitting
from crm.services.profiles import record_search_columns
from tests import factories


def _import(text: str, source: str) -> dict:
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename=f"{source}.csv", source_name=source)


def _found(query: str) -> list[int]:
    return [p.id for p in profiles.search_profiles(query)[0]]


def _one_person_two_spellings() -> int:
    """Giuseppe Verdi from the shop and, on the same email, the same man written 'Verdj'
    by a fair's badge scanner: one profile, which shows one of the two spellings."""
    _import("Nome,Cognome,Email\nGiuseppe,Verdi,gv@example.com\n", "shop")
    _import("first_name,last_name,email\nGiuseppe,Verdj,GV@example.com\n", "fair")
    (profile_id,) = {p.id for p in profiles.search_profiles("gv@example.com")[0]}
    return profile_id


def test_a_merged_record_s_spelling_finds_the_profile(app):
    profile_id = _one_person_two_spellings()
    assert _found("Verdi") == [profile_id]
    assert _found("Verdj") == [profile_id]  # not the shown spelling: its record's
    assert _found("giuseppe verdj") == [profile_id]
    assert _found("Verdx") == []


def test_a_detached_record_s_spelling_follows_the_record(app):
    profile_id = _one_person_two_spellings()
    record = db.session.scalar(select(SourceRecord).where(SourceRecord.search_last == "verdj"))
    moved = splitting.detach_record(record.id, actor="test")
    db.session.commit()
    assert _found("Verdj") == [moved.id]
    assert _found("Verdi") == [profile_id]


def test_every_stored_record_carries_its_folded_name(app):
    _import("Nome,Cognome,Email\nNicolò,D'Amico,nd@example.com\n,,solo@example.com\n", "shop")
    stored = {
        r.email: (r.search_name, r.search_last) for r in db.session.scalars(select(SourceRecord))
    }
    assert stored == {"nd@example.com": ("nicolo d amico", "damico"), "solo@example.com": ("", "")}


def test_a_new_folding_is_applied_to_records_stored_before(app):
    _import("Nome,Cognome,Email\nNicolò,Bianchi,nb@example.com\n", "shop")
    db.session.execute(SourceRecord.__table__.update().values(search_name="", search_last=""))
    db.session.commit()
    assert _found("Bianchi") != []  # the profile's own columns
    match_keys.rebuild_all()
    (record,) = db.session.scalars(select(SourceRecord))
    assert (record.search_name, record.search_last) == ("nicolo bianchi", "bianchi")


def test_a_record_without_text_names_has_empty_search_columns():
    assert record_search_columns(None) == {"search_name": "", "search_last": ""}
    assert record_search_columns({"first_name": 3, "last_name": "Rossi"}) == {
        "search_name": "rossi",
        "search_last": "rossi",
    }


def test_a_surname_written_first_finds_the_person(app):
    maria = factories.make_profile(first_name="Maria", last_name="Rossi")
    nicolo = factories.make_profile(first_name="Nicolò", last_name="D'Amico")
    luca = factories.make_profile(first_name="Maria Luisa", last_name="De Luca")
    factories.make_profile(first_name="Rossi", last_name="Bianchi")  # Rossi as a first name
    assert _found("Rossi Maria") == [maria.id]
    assert _found("ROSSI M") == [maria.id]
    assert _found("Damico Nicolò") == [nicolo.id]
    assert _found("D'Amico Nicolo") == [nicolo.id]
    assert _found("De Luca Maria Luisa") == [luca.id]
    assert _found("Rossi Anna") == []


def test_a_shared_mailbox_or_landline_finds_everyone_who_gave_it(app):
    """The family's address belongs to one profile; the others' records state it too: an
    access request answered from the search must find them all."""
    _import(
        "Nome,Cognome,Email,Telefono\n"
        "Giovanni,Rossi,famiglia.rossi@example.com,011 4445566\n"
        "Giovanna,Rossi,famiglia.rossi@example.com,011 4445566\n",
        "shop",
    )
    giovanni = _found("Giovanni")
    giovanna = _found("Giovanna")
    assert len(giovanni) == len(giovanna) == 1 and giovanni != giovanna
    everyone = sorted(giovanni + giovanna, reverse=True)
    assert _found("famiglia.rossi@example.com") == everyone
    assert _found("011 4445566") == everyone
    assert _found("+39 011 4445566") == everyone
