"""Consent evidence is proof of consent: what a source sent stays as sent, beside the keys
the CRM writes itself, and the CRM never reads a source's key as one of its own."""

import re
from datetime import UTC, datetime

from sqlalchemy import select

from crm.extensions import db
from crm.models import ConsentRecord
from crm.services import consent_ledger, ingest, profiles
from crm.services.consent_ledger import SENT_KEY, kept_apart

FORM_EVIDENCE = {
    "source": "landing-page-B",
    "batch_id": "DOI-2026-05-05-0042",
    "confirmation_token": "abc123",
}


def _consent(status: str, at: str, evidence: dict | None = None) -> dict:
    return {
        "purpose": "email_marketing",
        "status": status,
        "recorded_at": at,
        "evidence": evidence or {},
    }


def _send(source: str, *consents: dict) -> dict:
    """One record of Prova Evidenza from source, stating consents."""
    record = {
        "external_id": "EVD-1",
        "first_name": "Prova",
        "last_name": "Evidenza",
        "email": "prova@example.it",
        "consents": list(consents),
    }
    return ingest.import_records([record], source_name=source)


def _statements() -> list[ConsentRecord]:
    return db.session.scalars(select(ConsentRecord).order_by(ConsentRecord.id)).all()


def test_kept_apart_moves_only_the_keys_the_crm_writes():
    assert kept_apart(FORM_EVIDENCE) == {
        "confirmation_token": "abc123",
        SENT_KEY: {"source": "landing-page-B", "batch_id": "DOI-2026-05-05-0042"},
    }
    assert kept_apart({"ip": "192.0.2.1"}) == {"ip": "192.0.2.1"}
    # Its own key too, so that nothing a source sent is taken for the CRM's.
    assert kept_apart({"as_sent": 1, "time": "14:02"}) == {
        SENT_KEY: {"as_sent": 1, "time": "14:02"}
    }


def test_a_forms_source_and_batch_id_stay_in_the_evidence_beside_the_crms(app):
    result = _send("webform", _consent("granted", "2026-05-05T08:00:00Z", FORM_EVIDENCE))

    (statement,) = _statements()
    assert statement.evidence == {
        "confirmation_token": "abc123",
        SENT_KEY: {"source": "landing-page-B", "batch_id": "DOI-2026-05-05-0042"},
        "source": "webform",
        "batch_id": result["batch_id"],
    }
    assert result["results"][0]["warnings"] == []


def test_a_sources_own_stated_at_does_not_reorder_the_consent_history(app):
    # A grant of May whose form names, as "stated_at", when the page was published; then
    # another source's withdrawal of March, sent late: the grant is still the newer.
    _send("webform", _consent("granted", "2025-05-01T10:00:00Z", {"stated_at": "2020-01-01"}))
    _send("newsletter", _consent("withdrawn", "2025-03-01T10:00:00Z"))

    profile_id = _statements()[0].profile_id
    assert profiles.current_consents([profile_id])[profile_id]["email_marketing"] == "granted"
    withdrawal = _statements()[1]
    assert withdrawal.recorded_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert "stated_at" not in withdrawal.evidence


def test_a_statement_stamped_when_imported_keeps_the_sources_time_apart(app):
    _send("webform", {"purpose": "email_marketing", "status": "granted", "evidence": FORM_EVIDENCE})

    (statement,) = _statements()
    assert statement.evidence["time"] == consent_ledger.UNDATED
    assert statement.evidence[SENT_KEY]["source"] == "landing-page-B"


def _rendered(app, evidence) -> str:
    macro = app.jinja_env.get_template("profiles/_consent_evidence.html").module.evidence_list
    return str(macro(evidence))


def test_the_evidence_list_shows_what_the_source_sent_under_its_own_names(app):
    evidence = {
        "confirmation_token": "abc123",
        SENT_KEY: {"source": "landing-page-B", "batch_id": "DOI-2026-05-05-0042"},
        "source": "webform",
        "batch_id": "d3abe4e25f7b4b1d87abbbaf00c6d369",
        "time": consent_ledger.UNDATED,
        "held_address": "email",
        "stated_by_profile": 7,
    }
    html = _rendered(app, evidence)

    shown = dict(zip(*[iter(_cells(html))] * 2, strict=True))
    assert shown == {
        "confirmation_token": "abc123",
        "source": "landing-page-B",
        "batch_id": "DOI-2026-05-05-0042",
    }


def test_the_evidence_list_of_a_statement_without_evidence_is_empty(app):
    assert _cells(_rendered(app, None)) == []
    assert _cells(_rendered(app, {"source": "shop", "batch_id": "b1"})) == []


def _cells(html: str) -> list[str]:
    """The texts of the list's terms and descriptions, in order."""
    return re.findall(r"<d[td][^>]*>(.*?)</d[td]>", html)


def test_every_key_the_crm_adds_is_left_out_of_the_evidence_list_but_the_merge_rule(app):
    evidence = {key: f"crm-{key}" for key in consent_ledger.SERVER_KEYS}
    evidence["double_opt_in"] = "yes"

    shown = dict(zip(*[iter(_cells(_rendered(app, evidence)))] * 2, strict=True))

    assert shown == {"rule": "crm-rule", "double_opt_in": "yes"}
