"""A form's answers were given when it was sent: its submission time dates the consents
it states (Google Forms' "Timestamp", Typeform's "Submitted At", ...), where they give
no time of their own, so the consent's evidence says when, and a newer form's yes lifts
an older withdrawal as a newer dated statement does."""

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm.services import ingest, profiles, readers
from crm.services.rows import consents_from_columns, parse_time


def _read(text: str):
    mapping, rows = readers.read_csv(io.BytesIO(text.encode()))
    return mapping, list(rows)


def _fact(text: str):
    mapping, [row] = _read(text)
    [fact], warnings = consents_from_columns(row.values)
    assert warnings == []
    return mapping, fact


@pytest.mark.parametrize(
    "header",
    [
        "Timestamp",
        "Informazioni cronologiche",
        "Marca temporale",
        "Horodateur",
        "Zeitstempel",
        "Submitted At",
        "Submit Date (UTC)",
        "Submission Date",
        "Completion time",
    ],
)
def test_a_forms_submission_time_dates_its_consent(header):
    mapping, fact = _fact(
        f"{header},Email,Acconsento a ricevere la newsletter\n05/03/2024 10.22.11,a@x.it,Sì\n"
    )
    assert mapping.columns[header] == "submitted_at"
    assert (fact.status, fact.recorded_at) == (
        "granted",
        datetime(2024, 3, 5, 10, 22, 11, tzinfo=UTC),
    )
    assert fact.evidence["submitted_at"] == "05/03/2024 10.22.11"


def test_google_forms_downloaded_times_keep_their_zone():
    _mapping, fact = _fact(
        "Timestamp,Email Address,I agree to receive marketing emails\n"
        "2024/03/05 3:14:15 PM GMT+1,a@x.it,Yes\n"
    )
    assert fact.recorded_at == datetime(2024, 3, 5, 14, 14, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024/03/05 10:22:11 AM CET", datetime(2024, 3, 5, 9, 22, 11, tzinfo=UTC)),
        ("05/03/2024 10:22 +0100", datetime(2024, 3, 5, 9, 22, tzinfo=UTC)),
        ("05/03/2024 10:22 UTC-05:00", datetime(2024, 3, 5, 15, 22, tzinfo=UTC)),
        ("05/03/2024 10:22", datetime(2024, 3, 5, 10, 22, tzinfo=UTC)),  # none: UTC
    ],
)
def test_a_zone_after_the_time_of_day_counts(text, expected):
    assert parse_time(text) == expected
    assert parse_time(text).utcoffset() is not None


def test_an_opt_out_answer_is_dated_by_the_submission_too():
    _mapping, fact = _fact(
        "Submitted At,Email,Please unsubscribe me from marketing emails\n"
        "2024-03-05 10:22:11,a@x.it,Yes\n"
    )
    assert (fact.status, fact.recorded_at) == (
        "withdrawn",
        datetime(2024, 3, 5, 10, 22, 11, tzinfo=UTC),
    )


def test_a_consent_time_of_its_own_wins_over_the_submission():
    _mapping, fact = _fact(
        "Timestamp,Email,Newsletter opt-in,Data consenso\n05/03/2024 10:00,a@x.it,yes,01/02/2023\n"
    )
    assert fact.recorded_at == datetime(2023, 2, 1, tzinfo=UTC)


def test_an_unreadable_submission_time_warns_and_leaves_the_consent_undated():
    _mapping, [row] = _read("Timestamp,Email,Newsletter opt-in\nieri,a@x.it,yes\n")
    [fact], warnings = consents_from_columns(row.values)
    assert fact.recorded_at is None
    assert warnings == [("submitted_at", "unrecognised submitted at value")]


def _import(text: str, source: str) -> dict:
    return ingest.import_stream(io.BytesIO(text.encode()), filename="f.csv", source_name=source)


def test_a_newer_forms_yes_lifts_an_older_withdrawal(app):
    _import("Email,Unsubscribed\nada@example.it,03/01/2023\n", "newsletter")
    summary = _import(
        "Informazioni cronologiche,Indirizzo email,Acconsento a ricevere la newsletter\n"
        "05/03/2024 10.22.11,ada@example.it,Sì\n",
        "modulo",
    )
    assert summary["warnings"] == 0
    profile = profiles.search_profiles("ada@example.it")[0][0]
    assert profiles.current_consents([profile.id])[profile.id]["email_marketing"] == "granted"


def test_an_american_forms_times_are_read_month_first(app):
    _import(
        "Timestamp,Email Address,I agree to receive marketing emails\n"
        "3/25/2024 10:22:11,a@example.com,Yes\n3/5/2024 9:00:00,b@example.com,Yes\n",
        "form",
    )
    profile = profiles.search_profiles("b@example.com")[0][0]
    history = profiles.consent_history(profile.id)
    assert history[0][0].recorded_at.replace(tzinfo=UTC) == datetime(2024, 3, 5, 9, tzinfo=UTC)


def test_zones_are_hours_from_utc():
    assert parse_time("01/01/2024 12:00 CEST").utcoffset() == timedelta(hours=2)
    assert parse_time("01/01/2024 12:00 +05:30").tzinfo == timezone(timedelta(hours=5, minutes=30))


def test_a_lead_forms_created_time_is_when_it_was_sent():
    mapping, fact = _fact(
        "id,created_time,ad_id,form_id,form_name,vuoi_ricevere_la_nostra_newsletter?,email\n"
        "l:1,2024-03-05T10:22:11+01:00,23,991,Lead IT,sì,a@x.it\n"
    )
    assert mapping.columns["created_time"] == "submitted_at"
    assert "created_time" not in mapping.unmapped
    assert fact.recorded_at == datetime(2024, 3, 5, 9, 22, 11, tzinfo=UTC)


def test_a_crms_created_time_is_no_submission():
    mapping, _rows = _read("Record Id,Created Time,Email,Email Opt Out\n1,2024-03-05,a@x.it,1\n")
    assert "Created Time" not in mapping.columns
