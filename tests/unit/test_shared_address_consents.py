"""A withdrawal sent with an address another person's profile holds.

Elsa unsubscribes with the family email that Dario's profile holds: she is not Dario, so
her row becomes her own profile, but the inbox said no, and no more newsletters may go
there. Grants, and purposes about a person rather than an address, stay the row's own.
"""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import ConsentRecord, SourceRecord
from crm.services import ingest, profiles

HEADER = "id,first_name,last_name,email,phone,email_opt_in,sms_opt_in\n"


def _import(text: str, source: str) -> dict:
    stream = io.BytesIO((HEADER + text).encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _profile_of(source: str, external_id: str) -> int:
    return db.session.scalar(
        select(SourceRecord.profile_id).where(
            SourceRecord.external_id == external_id, SourceRecord.source.has(name=source)
        )
    )


def _states(profile_id: int) -> dict[str, str]:
    return profiles.current_consents([profile_id])[profile_id]


def test_a_withdrawal_with_the_family_email_reaches_its_holder_too(app):
    _import("1,Dario,Conti,famiglia.conti@example.it,,yes,\n", "shop")
    summary = _import("7,Elsa,Conti,famiglia.conti@example.it,,unsubscribed,\n", "newsletter")

    dario, elsa = _profile_of("shop", "1"), _profile_of("newsletter", "7")
    assert dario != elsa and summary["merged"] == 0
    assert _states(elsa)["email_marketing"] == "withdrawn"
    assert _states(dario)["email_marketing"] == "withdrawn"
    record = db.session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.profile_id == dario)
        .order_by(ConsentRecord.id.desc())
    ).first()
    assert record.status == "withdrawn"
    assert record.evidence["stated_by_profile"] == elsa
    assert record.evidence["held_address"] == "email"
    assert record.source_record_id is not None


def test_a_grant_with_the_family_email_stays_the_rows_own(app):
    _import("1,Dario,Conti,famiglia.conti@example.it,,unsubscribed,\n", "shop")
    _import("7,Elsa,Conti,famiglia.conti@example.it,,yes,\n", "newsletter")

    assert _states(_profile_of("shop", "1"))["email_marketing"] == "withdrawn"
    assert _states(_profile_of("newsletter", "7"))["email_marketing"] == "granted"


def test_an_sms_withdrawal_with_the_home_landline_reaches_its_holder(app):
    _import("1,Dario,Conti,dario@example.it,+39 06 1234567,,yes\n", "shop")
    _import("7,Elsa,Conti,elsa@example.it,06 1234567,,unsubscribed\n", "newsletter")

    dario, elsa = _profile_of("shop", "1"), _profile_of("newsletter", "7")
    assert dario != elsa
    assert _states(dario)["sms_marketing"] == "withdrawn"
    assert _states(dario)["email_marketing"] == "none"  # her email is not his


def test_sending_the_withdrawal_again_records_nothing_more(app):
    _import("1,Dario,Conti,famiglia.conti@example.it,,yes,\n", "shop")
    _import("7,Elsa,Conti,famiglia.conti@example.it,,unsubscribed,\n", "newsletter")
    before = db.session.scalar(select(db.func.count()).select_from(ConsentRecord))

    summary = _import("7,Elsa,Conti,famiglia.conti@example.it,,unsubscribed,\n", "newsletter")

    assert summary["unchanged"] == 1
    assert db.session.scalar(select(db.func.count()).select_from(ConsentRecord)) == before
