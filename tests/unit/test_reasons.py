"""The importer's reasons in the reader's language: every reason the importer writes."""

import io

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import ImportRejection
from crm.services import ingest, normalise, readers, rows
from crm.views.reasons import reason_text


def _error(call, *args, **kwargs) -> str:
    """The message of the ValueError a normaliser raises."""
    with pytest.raises(ValueError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def _reasons() -> list[str]:
    """Reasons as the importer's own code writes them, not copied by hand."""
    found = [
        _error(normalise.normalise_email, "lucia(at)example.it"),
        _error(normalise.normalise_phone, "12", "IT"),
        _error(normalise.normalise_phone, "not a number at all", "IT"),
        _error(normalise.normalise_date, "31/31/31"),
        _error(normalise.normalise_tax_id, "x"),
        _error(rows.normalise_stage, "prospect-ish"),
    ]
    row = rows.normalise_row(
        {"email": "ok@example.it", "first_name": "A" * 300, "country": "Narnia", "tags": "t" * 90},
        "IT",
    )
    found += [reason for _, reason in row.warnings]
    found += [reason for _, reason in rows.normalise_row({"first_name": True}, "IT").warnings]
    for values in ({"full_name": "Trattoria Da Gino S.n.c."}, {"company": "Rossi Anna"}):
        found += [reason for _, reason in rows.normalise_row(values, "IT").warnings]
    found.append(ingest.RefusedRecord({}, {"first_name": ["Must be text."]}).reason)
    found.append(ingest.SAME_ROW_AGAIN)
    listed = {"email": "m@example.it", "subscription_status": "Iscritto", "email_opt_in": "No"}
    found += [reason for _, reason in rows.consents_from_columns(listed)[1]]
    company = {"first_name": "Paolo", "last_name": "Verdi", "tax_id": "02468100135"}
    found += [reason for _, reason in rows.normalise_row(company, "IT").warnings]
    mario = "RSSMRA85C12H501J"  # Mario Rossi's codice fiscale, born 12 March 1985
    for first, last, born in (("Mario", "Rossi", "1985-03-13"), ("Anna", "Bianchi", None)):
        values = {"first_name": first, "last_name": last, "tax_id": mario, "birth_date": born}
        found += [reason for _, reason in rows.normalise_row(values, "IT").warnings]
    for values in ({"last_name": "Rossi", "middle_name": "Maria"}, {"middle_name": "De"}):
        found += [reason for _, reason in rows.normalise_row(values, "IT").warnings]
    mapping, read = readers.read_csv(io.BytesIO(b"a,b\n1,2,3\n"))
    found += [r.error for r in read if r.error]
    whim = {"purpose": "email_marketing", "status": "granted", "legal_basis": "whim"}
    _facts, warnings = rows.consents_from_object([{"purpose": "x"}, whim])
    found += [reason for _, reason in warnings]
    return found


def _consent_reasons() -> list[str]:
    """The warnings the importer writes about consents, from real imports."""
    for source, text in (
        ("newsletter", "id,email,email_opt_out\nN1,g@example.it,2024-03-03\n"),
        ("shop", "id,email,accepts_marketing\nS1,g@example.it,yes\n"),
        ("web", "id,email,email_opt_in\nW1,h@example.it,2062-05-01\n"),
    ):
        ingest.import_stream(io.BytesIO(text.encode()), filename="f.csv", source_name=source)
    return list(db.session.scalars(select(ImportRejection.reason)))


def test_every_reason_the_importer_writes_is_said_in_italian(app):
    reasons = _reasons() + _consent_reasons()
    assert len(reasons) >= 13
    with app.test_request_context(headers={"Accept-Language": "it"}):
        said = [reason_text(reason) for reason in reasons]
    untranslated = [r for r, s in zip(reasons, said, strict=True) if r == s]
    assert untranslated == []
    assert said[0] == "email non valida (An email address must have an @-sign.)"
    assert "numero di telefono non valido" in said


def test_english_readers_get_the_reason_as_stored_and_unknown_ones_pass_through(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert reason_text("invalid phone number") == "invalid phone number"
        assert reason_text("longer than 200 characters") == "longer than 200 characters"
        assert reason_text("something new") == "something new"
    with app.test_request_context(headers={"Accept-Language": "it"}):
        assert reason_text("something new") == "something new"
        assert reason_text("phone belongs to another profile (#12); not merged") == (
            "il telefono appartiene a un altro profilo (#12); non unito"
        )


def test_a_job_interrupted_by_a_restart_says_so_in_italian(app):
    from crm.services import jobs

    with app.test_request_context(headers={"Accept-Language": "it"}):
        said = reason_text(jobs.INTERRUPTED)
    assert said != jobs.INTERRUPTED and "Interrotto" in said
