"""A withdrawal sent with an address another person's profile holds.

Elsa unsubscribes with the family email that Dario's profile holds: she is not Dario, so
her row becomes her own profile, but the inbox said no, and no more newsletters may go
there. Grants, and purposes about a person rather than an address, stay the row's own.
"""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import ConsentRecord, SourceRecord
from crm.services import ingest, merging, profiles
from tests import factories

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


def test_an_sms_withdrawal_of_a_record_bridging_two_profiles_reaches_the_phones_holder(app):
    sms = {"purpose": "sms_marketing", "recorded_at": "2026-03-01T00:00:00Z"}
    factories.import_records("newsletter", {"id": "n", "first_name": "Livio", "last_name":
                             "Sereni", "email": "livio@example.com",
                             "consents": [{**sms, "status": "granted"}]})  # fmt: skip
    factories.import_records("shop", {"id": "s", "first_name": "Livio", "last_name": "Sereni",
                             "phone": "+39 339 4440999",
                             "consents": [{**sms, "status": "granted"}]})  # fmt: skip
    withdrawn = {**sms, "status": "withdrawn", "recorded_at": "2026-06-01T00:00:00Z"}
    [result] = factories.import_records("fair", {"id": "f", "first_name": "Livio", "last_name":
                                        "Sereni", "email": "livio@example.com",
                                        "phone": "+39 339 4440999",
                                        "consents": [withdrawn]})  # fmt: skip

    p, q = _profile_of("newsletter", "n"), _profile_of("shop", "s")
    assert result["profile_id"] == p and p != q
    assert _states(p)["sms_marketing"] == _states(q)["sms_marketing"] == "withdrawn"


def test_the_phones_holder_keeps_the_withdrawal_when_a_merge_of_the_two_is_undone(app):
    sms = {"purpose": "sms_marketing", "recorded_at": "2026-03-01T00:00:00Z"}
    factories.import_records("newsletter", {"id": "n", "first_name": "Livia", "last_name":
                             "Orsi", "email": "livia@example.com",
                             "consents": [{**sms, "status": "granted"}]})  # fmt: skip
    factories.import_records("shop", {"id": "s", "first_name": "Livia", "last_name": "Orsi",
                             "phone": "+39 339 4440777",
                             "consents": [{**sms, "status": "granted"}]})  # fmt: skip
    withdrawn = {**sms, "status": "withdrawn", "recorded_at": "2026-06-01T00:00:00Z"}
    factories.import_records("fair", {"id": "f", "first_name": "Livia", "last_name": "Orsi",
                             "email": "livia@example.com", "phone": "+39 339 4440777",
                             "consents": [withdrawn]})  # fmt: skip
    p, q = _profile_of("newsletter", "n"), _profile_of("shop", "s")

    merge = merging.merge_profiles(q, p, actor="test")
    assert _states(q)["sms_marketing"] == "withdrawn"
    merging.undo_merge(merge.id, actor="test")

    assert _states(p)["sms_marketing"] == _states(q)["sms_marketing"] == "withdrawn"


def test_a_sources_own_key_naming_another_profile_is_kept_aside(app):
    factories.import_records("shop", {"id": "1", "first_name": "Dario", "last_name": "Conti",
                             "email": "dario@example.it"})  # fmt: skip
    forged = {"purpose": "email_marketing", "status": "withdrawn",
              "evidence": {"stated_by_profile": 1, "held_address": "email"}}  # fmt: skip
    [result] = factories.import_records("web", {"id": "9", "first_name": "Ugo", "last_name":
                                        "Riva", "email": "ugo@example.it",
                                        "consents": [forged]})  # fmt: skip

    record = db.session.scalar(
        select(ConsentRecord).where(ConsentRecord.profile_id == result["profile_id"])
    )
    assert "stated_by_profile" not in record.evidence
    assert record.evidence["as_sent"] == {"stated_by_profile": 1, "held_address": "email"}
