"""A "no" to an opt-in is the person's answer, not silence: it is recorded, dated and with
its evidence, as the state of no consent (a refusal), while an empty cell or a tool's
state of never having asked still records nothing (a user test's finding)."""

import io
from datetime import UTC, datetime

from sqlalchemy import select

from crm.extensions import db
from crm.models import ConsentRecord, SourceRecord
from crm.services import consent_ledger, ingest, profiles, readers
from crm.services.rows import consents_from_columns

HEADER = "external_id,first_name,last_name,email,email_opt_in,email_consent_time,email_opt_out\n"
MARCH_1 = datetime(2022, 3, 1, 10, 0, tzinfo=UTC)


def _import(rows: str, source: str = "web", header: str = HEADER, **kwargs) -> dict:
    """Import a CSV of header and rows from source."""
    stream = io.BytesIO((header + rows).encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source, **kwargs)


def _profile_of(source: str, external_id: str) -> int:
    return db.session.scalar(
        select(SourceRecord.profile_id).where(
            SourceRecord.external_id == external_id, SourceRecord.source.has(name=source)
        )
    )


def _email_state(profile_id: int) -> str:
    return profiles.current_consents([profile_id])[profile_id]["email_marketing"]


def _records(profile_id: int) -> list[ConsentRecord]:
    """The profile's consent records, oldest first."""
    return db.session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.profile_id == profile_id)
        .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
    ).all()


def _at(record: ConsentRecord) -> datetime:
    return record.recorded_at.replace(tzinfo=record.recorded_at.tzinfo or UTC)


def test_a_no_to_the_opt_in_is_recorded_dated_by_its_consent_time(app):
    summary = _import("T-3,Ivo,Prova,ivo.prova@example.it,no,2022-03-01T10:00:00Z,\n")

    ivo = _profile_of("web", "T-3")
    assert summary["consents"] == 1
    assert _email_state(ivo) == "refused"  # said no: not "not asked"
    [record] = _records(ivo)
    assert (record.purpose, record.status, _at(record)) == ("email_marketing", "refused", MARCH_1)
    assert record.evidence["email_opt_in"] == "no"
    assert record.evidence["email_consent_time"] == "2022-03-01T10:00:00Z"
    assert record.evidence["source"] == "web"
    assert "time" not in record.evidence  # its own time, not stamped when imported
    assert record.source_record_id is not None


def test_a_no_sent_through_the_records_api_is_recorded_too(app):
    record = {
        "external_id": "T-3",
        "first_name": "Ivo",
        "last_name": "Prova",
        "email": "ivo.prova@example.it",
        "email_opt_in": "no",
        "email_consent_time": "2022-03-01T10:00:00Z",
    }
    ingest.import_records([record], source_name="api")

    [stored] = _records(_profile_of("api", "T-3"))
    assert (stored.status, _at(stored)) == ("refused", MARCH_1)


def test_an_empty_opt_in_or_a_state_of_never_asked_records_nothing(app):
    summary = _import(
        "E-1,Ada,Vuota,ada.vuota@example.it,,2022-03-01T10:00:00Z,\n"
        "E-2,Bea,Vuota,bea.vuota@example.it,Never subscribed,,\n"
        "E-3,Cleo,Vuota,cleo.vuota@example.it,Nessun consenso,,\n"
        "E-4,Dina,Vuota,dina.vuota@example.it,No consent,,\n"  # Pipedrive's: never asked
    )

    assert summary["consents"] == 0
    assert db.session.scalars(select(ConsentRecord)).all() == []
    assert _email_state(_profile_of("web", "E-1")) == "none"


def test_a_no_in_the_opt_out_column_says_nothing(app):
    summary = _import("O-1,Oda,Prova,oda.prova@example.it,,,no\n")

    assert summary["consents"] == 0
    assert _email_state(_profile_of("web", "O-1")) == "none"


def test_an_italian_forms_no_is_a_refusal_dated_by_its_submission():
    text = (
        "Informazioni cronologiche,Indirizzo email,Acconsento a ricevere la newsletter\n"
        '05/03/2024 10.22.11,a@example.it,"No, non acconsento"\n'
    )
    _mapping, [row] = readers.read_csv(io.BytesIO(text.encode()))
    [fact], warnings = consents_from_columns(row.values)
    assert warnings == []
    assert fact.recorded_at == datetime(2024, 3, 5, 10, 22, 11, tzinfo=UTC)
    assert fact.evidence["email_opt_in"] == "No, non acconsento"


def test_a_later_no_from_the_same_form_ends_its_earlier_yes(app):
    header = "id,Email,Consenso\n"
    mapping = {"Consenso": "email_opt_in"}
    _import("F-1,ugo@example.it,si\n", "modulo", header, overrides=mapping)
    ugo = _profile_of("modulo", "F-1")
    assert _email_state(ugo) == "granted"

    summary = _import("F-1,ugo@example.it,no\n", "modulo", header, overrides=mapping)

    assert summary["consents"] == 1
    assert _email_state(ugo) == "refused"
    granted, refused = _records(ugo)
    assert (granted.status, refused.status) == ("granted", "refused")
    assert refused.evidence["email_opt_in"] == "no"
    assert refused.evidence["time"] == consent_ledger.UNDATED

    again = _import("F-1,ugo@example.it,no\n", "modulo", header, overrides=mapping)
    assert again["consents"] == 0  # the same answer again adds nothing
    assert len(_records(ugo)) == 2


def test_a_dated_no_and_a_dated_yes_rank_by_their_dates(app):
    _import("D-1,Dora,Prova,dora@example.it,yes,2023-06-01,\n", "shop")
    _import("D-1,Dora,Prova,dora@example.it,no,2022-03-01,\n", "fair")
    dora = _profile_of("shop", "D-1")
    assert _email_state(dora) == "granted"  # the yes is the newer answer

    _import("D-2,Eva,Prova,eva@example.it,yes,2022-03-01,\n", "shop")
    _import("D-2,Eva,Prova,eva@example.it,no,2023-06-01,\n", "fair")
    assert _email_state(_profile_of("shop", "D-2")) == "refused"  # the no is


def test_a_yes_beside_a_no_in_two_opt_in_columns_is_a_grant(app):
    header = "id,email,OPT_IN,DOUBLE_OPT-IN\n"
    _import("B-1,bruna@example.it,Yes,No\n", "brevo", header)

    assert _email_state(_profile_of("brevo", "B-1")) == "granted"


def test_a_refusal_with_the_family_email_stays_the_rows_own(app):
    header = "id,first_name,last_name,email,email_opt_in\n"
    _import("1,Dario,Conti,famiglia.conti@example.it,yes\n", "shop", header)
    _import("7,Elsa,Conti,famiglia.conti@example.it,no\n", "newsletter", header)

    dario, elsa = _profile_of("shop", "1"), _profile_of("newsletter", "7")
    assert dario != elsa
    assert _email_state(elsa) == "refused"
    # Her no is her answer: Dario's inbox asked for nothing to stop.
    assert _email_state(dario) == "granted"


def test_an_opt_outs_consent_time_is_kept_in_its_evidence(app):
    _import("T-2,Ugo,Prova,ugo.prova@example.it,,2022-03-01T10:00:00Z,yes\n")

    [record] = _records(_profile_of("web", "T-2"))
    assert record.status == "withdrawn"
    assert record.evidence["email_consent_time"] == "2022-03-01T10:00:00Z"
    # The time of a consent is no time of an opt-out: stamped when imported, the
    # withdrawal is never dated back to when the person said yes.
    assert record.evidence["time"] == consent_ledger.UNDATED


def test_an_opt_out_is_dated_by_the_date_in_its_own_column(app):
    record = {
        "external_id": "T-2",
        "email": "ugo.prova@example.it",
        "email_opt_out": "2022-03-01T10:00:00Z",
    }
    ingest.import_records([record], source_name="api")

    [stored] = _records(_profile_of("api", "T-2"))
    assert (stored.status, _at(stored)) == ("withdrawn", MARCH_1)
    assert "time" not in stored.evidence
