"""Records sent through the API are read each on its own: how one record's numeric dates
read never depends on the other records that happen to share the call."""

from datetime import date

from crm.extensions import db
from crm.models import Profile
from tests.factories import import_records

MARIELLA = {"id": "DT-1", "first_name": "Mariella", "last_name": "Conte",
            "email": "mariella@example.com", "birth_date": "03/04/1980"}  # fmt: skip


def _birth(profile_id: int) -> date:
    db.session.expire_all()
    return db.session.get(Profile, profile_id).birth_date


def test_an_unchanged_date_is_not_read_again_by_another_records_order(app):
    [first] = import_records("shop", MARIELLA)
    assert _birth(first["profile_id"]) == date(1980, 4, 3)  # day first, as in IT

    roberto = {"id": "DT-2", "first_name": "Roberto", "last_name": "Mille",
               "email": "roberto@example.com", "birth_date": "12/25/1975"}  # fmt: skip
    results = import_records("shop", roberto, {**MARIELLA, "city": "Roma"})

    assert _birth(results[0]["profile_id"]) == date(1975, 12, 25)  # it shows month first
    assert _birth(first["profile_id"]) == date(1980, 4, 3)
    assert results[1]["warnings"] == []


def test_a_records_own_country_reads_its_ambiguous_dates(app):
    [american] = import_records(
        "shop",
        {"id": "US-1", "first_name": "Amy", "last_name": "Adams", "email": "amy@example.com",
         "birth_date": "04/05/1980", "country": "US"},
    )  # fmt: skip
    assert _birth(american["profile_id"]) == date(1980, 4, 5)
