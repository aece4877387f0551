"""Imports of other tools' Italian exports: consents stored, preview warnings (a tester's
findings)."""

import io
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from crm.extensions import db
from crm.models import ConsentRecord, ImportRejection, Profile
from crm.services import imports_ui, ingest

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def _import(name: str, source: str) -> dict:
    """Import a fixture file as source; its summary."""
    data = (FIXTURES / name).read_bytes()
    return ingest.import_stream(io.BytesIO(data), filename=name, source_name=source)


def _consents(purpose: str = "email_marketing") -> dict[str, ConsentRecord]:
    """Each profile's consent record of purpose, by first name."""
    query = (
        select(Profile.first_name, ConsentRecord)
        .join(ConsentRecord, ConsentRecord.profile_id == Profile.id)
        .where(ConsentRecord.purpose == purpose)
    )
    return {name: record for name, record in db.session.execute(query)}


def test_an_italian_hubspot_export_stores_its_withdrawal_and_legal_bases(app):
    summary = _import("hubspot_contatti_it.csv", "hubspot")
    assert summary["created"] == 3
    stored = _consents()
    assert stored["Luca"].status == "withdrawn"
    assert (stored["Giulia"].status, stored["Giulia"].legal_basis) == ("granted", "consent")
    assert stored["Francesca"].legal_basis == "legitimate_interests"
    giulia = db.session.scalar(select(Profile).where(Profile.first_name == "Giulia"))
    assert (giulia.company, giulia.state, giulia.country) == (
        "Ceramiche Esempio Srl",
        "Lombardia",
        "IT",
    )


def test_brevos_blacklist_withdraws_and_its_simple_opt_in_grants(app):
    _import("brevo_contatti_it.csv", "brevo")
    stored = _consents()
    assert stored["Fabio"].status == "withdrawn"
    assert stored["Alessia"].status == "granted"  # OPT_IN yes, DOUBLE_OPT-IN no
    alessia = db.session.scalar(select(Profile).where(Profile.first_name == "Alessia"))
    assert "+390541123456" in {p.phone for p in alessia.phones}  # NUMERO_FISSO


def test_klaviyos_consent_timestamp_is_the_time_of_the_stored_consent(app):
    _import("klaviyo_profili.csv", "klaviyo")
    stored = _consents()
    assert stored["Giorgia"].recorded_at == datetime(2024, 2, 10, 11, 22, 35, tzinfo=UTC)
    assert stored["Dario"].status == "withdrawn"
    assert stored["Dario"].recorded_at == datetime(2024, 4, 1, 21, 10, tzinfo=UTC)


def test_sms_consents_are_stored_as_sms_marketing(app):
    _import("brevo_contatti_it.csv", "brevo")
    assert _consents("sms_marketing")["Irene"].status == "withdrawn"


def test_a_phone_in_scientific_notation_is_reported_once_on_its_column(app):
    text = "Cognome;Nome;Telefono;Cellulare;E-mail\nD'Angelo;Lucia;;3,47123E+09;l@example.it\n"
    summary = ingest.import_stream(
        io.BytesIO(text.encode()), filename="rubrica.csv", source_name="rubrica"
    )
    assert summary["created"] == 1
    reported = db.session.execute(select(ImportRejection.column, ImportRejection.reason)).all()
    assert [tuple(r) for r in reported] == [
        ("Cellulare", "the spreadsheet turned the number into 3.47E+09; the digits are lost")
    ]


def _preview_of(client, auth, content: bytes, filename: str) -> str:
    """The preview page of an uploaded file, as a marketer sees it."""
    from tests.integration.test_imports_views import _preview

    auth.login_as("marketer")
    path, _reader = _preview(client, content=content, filename=filename)
    return client.get(path).get_data(as_text=True)


def test_the_preview_warns_when_no_column_names_the_person(client, auth):
    page = _preview_of(client, auth, b"Domanda uno,Domanda due\nsi,no\n", "modulo.csv")
    assert imports_ui.NO_IDENTITY in page


def test_the_preview_says_a_nome_of_whole_names_is_read_as_the_full_name(client, auth):
    content = (FIXTURES / "clienti_woocommerce_it.csv").read_bytes()
    page = _preview_of(client, auth, content, "clienti.csv")
    assert "is read as the full name: most of its values are two words or more" in page
    assert imports_ui.NO_IDENTITY not in page


def test_the_preview_says_when_too_few_names_tell_their_order(client, auth):
    content = (
        b"Nome e cognome,E-mail\nRossi Maria,m@example.it\nBianchi Giovanni,g@example.it\n"
        b"Esposito Anna,a@example.it\n"
    )
    page = _preview_of(client, auth, content, "fiera.csv")
    assert imports_ui.NAMES_UNSURE.split(" (")[0] in page
