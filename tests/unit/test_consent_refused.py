"""A "no" to an opt-in is stored as what it is, a refusal ("refused": asked, the person said
no), never as a withdrawal, which would claim a grant they never gave; it restricts as a
withdrawal does: in the profile's state, against undated grants, on a merge and its undo."""

from datetime import UTC, datetime

from sqlalchemy import select

from crm.extensions import db
from crm.models import CONSENT_STATUSES, ConsentRecord
from crm.schemas.records import RecordsIn
from crm.services import consent_ledger, ingest, merging, profiles
from crm.services.rows import REFUSED
from tests import factories
from tests.unit import test_consent_refusals as base

HEADER = "external_id,first_name,last_name,email,email_opt_in,email_consent_time\n"
SHOP_HEADER = "Customer ID,First Name,Last Name,Email,Accepts Email Marketing\n"
MARCH_1 = datetime(2022, 3, 1, 10, 0, tzinfo=UTC)


def _import(rows: str, source: str, header: str = HEADER) -> dict:
    """Import a CSV of header (this file's, without an opt-out) and rows from source."""
    return base._import(rows, source, header)


# The consent tests' helpers: a record's profile, its email-marketing state, its records.
_profile_of, _email_state, _records = base._profile_of, base._email_state, base._records


def test_refused_is_a_status_of_its_own():
    assert REFUSED == "refused"
    assert set(CONSENT_STATUSES) == {"granted", "withdrawn", "refused"}


def test_a_shop_exports_no_is_stored_as_a_refusal(app):
    summary = _import("1001,Bruno,Neri,bruno@example.it,no\n", "shop", SHOP_HEADER)

    bruno = _profile_of("shop", "1001")
    assert summary["consents"] == 1
    [record] = _records(bruno)
    assert (record.purpose, record.status) == ("email_marketing", "refused")
    assert record.evidence["email_opt_in"] == "no"  # the answer, as sent
    assert record.evidence["time"] == consent_ledger.UNDATED
    assert _email_state(bruno) == "refused"

    again = _import("1001,Bruno,Neri,bruno@example.it,no\n", "shop", SHOP_HEADER)
    assert again["consents"] == 0  # the same answer again adds nothing


def test_a_dated_refusal_keeps_its_date(app):
    _import("T-3,Ivo,Prova,ivo@example.it,no,2022-03-01T10:00:00Z\n", "web")

    [record] = _records(_profile_of("web", "T-3"))
    assert record.status == "refused"
    assert record.recorded_at.replace(tzinfo=UTC) == MARCH_1
    assert "time" not in record.evidence


def test_a_later_dated_grant_from_another_source_lifts_a_refusal(app):
    _import("D-1,Dora,Prova,dora@example.it,no,2022-03-01\n", "fair")
    dora = _profile_of("fair", "D-1")
    assert _email_state(dora) == "refused"

    _import("D-1,Dora,Prova,dora@example.it,yes,2023-06-01\n", "shop")

    assert _profile_of("shop", "D-1") == dora
    assert _email_state(dora) == "granted"  # asked again later, she said yes
    assert [r.status for r in _records(dora)] == ["refused", "granted"]


def test_an_older_dated_refusal_does_not_override_a_later_grant(app):
    _import("D-2,Eva,Prova,eva@example.it,yes,2023-06-01\n", "shop")
    _import("D-2,Eva,Prova,eva@example.it,no,2022-03-01\n", "fair")

    assert _email_state(_profile_of("shop", "D-2")) == "granted"


def test_an_undated_grant_from_another_source_does_not_lift_a_refusal(app):
    _import("U-1,Ugo,Prova,ugo@example.it,no,2022-03-01\n", "fair")
    summary = _import("U-1,Ugo,Prova,ugo@example.it,yes,\n", "shop")

    ugo = _profile_of("fair", "U-1")
    assert summary["consents"] == 0
    assert _email_state(ugo) == "refused"
    assert [r.status for r in _records(ugo)] == ["refused"]


def test_an_undated_refusal_outranks_an_earlier_dated_grant_as_a_withdrawal_does(app):
    _import("U-2,Lia,Prova,lia@example.it,yes,2022-03-01\n", "shop")
    _import("U-2,Lia,Prova,lia@example.it,no,\n", "fair")

    assert _email_state(_profile_of("shop", "U-2")) == "refused"


def test_a_refusal_and_a_withdrawal_do_not_restamp_each_other(app):
    header = "external_id,email,email_opt_out\n"
    _import("W-1,wanda@example.it,yes\n", "newsletter", header)  # undated: stamped now
    _import("W-1,Wanda,Prova,wanda@example.it,no,2022-03-01\n", "fair")

    wanda = _profile_of("newsletter", "W-1")
    refused = [r for r in _records(wanda) if r.status == "refused"]
    stated = datetime(2022, 3, 1, tzinfo=UTC)
    assert [r.recorded_at.replace(tzinfo=UTC) for r in refused] == [stated]  # not restamped
    assert _email_state(wanda) == "withdrawn"  # the latest statement, no marketing either way


def test_a_merge_of_a_grant_and_a_refusal_keeps_the_refusal_and_undoes_cleanly(app):
    staff = factories.make_user(role="sales")
    _import("M-1,Anna,Bianchi,anna@example.it,yes,2022-03-01\n", "shop")
    _import("M-2,Anna,Bianchi,anna.b@example.it,no,2021-01-01\n", "fair")
    granted, refused = _profile_of("shop", "M-1"), _profile_of("fair", "M-2")
    assert granted != refused
    before = profiles.current_consents([granted, refused])

    merge = merging.merge_profiles(granted, refused, actor=staff)

    assert _email_state(granted) == "refused"  # the grant never lifts the person's no
    [appended] = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.merge_id == merge.id)
    ).all()
    assert (appended.status, appended.evidence["rule"]) == ("refused", merging.CONSENT_RULE)

    merging.undo_merge(merge.id, actor=staff)
    db.session.expire_all()

    assert profiles.current_consents([granted, refused]) == before
    assert [r.status for r in _records(refused)] == ["refused"]


def test_the_merge_rule_weighs_a_refusal_as_a_withdrawal():
    after = merging.consent_state_after_merge(
        {"email_marketing": "granted", "profiling": "refused"},
        {"email_marketing": "refused", "profiling": "granted"},
    )
    assert after == {"email_marketing": "refused", "profiling": "refused"}
    for first, second in (("refused", "withdrawn"), ("withdrawn", "refused")):
        state = merging.consent_state_after_merge({"sms": first}, {"sms": second})["sms"]
        assert state in ("refused", "withdrawn")


def _load_records(consents: list[dict]) -> dict:
    """RecordsIn.load of one record with these consents."""
    record = {"external_id": "A-1", "email": "api@example.it", "consents": consents}
    return RecordsIn().load({"records": [record]})


def test_the_records_api_accepts_a_refusal(app):
    consent = {"purpose": "email_marketing", "status": "refused", "recorded_at": "2022-03-01"}

    loaded = _load_records([consent])
    ingest.import_records(loaded["records"], source_name="api")

    [stored] = _records(_profile_of("api", "A-1"))
    assert stored.status == "refused"


def test_the_records_api_names_an_unknown_status_where_it_is(app):
    consents = [
        {"purpose": "email_marketing", "status": "granted"},
        {"purpose": "sms_marketing", "status": "maybe"},
    ]

    [record] = _load_records(consents)["records"]

    [message] = record.problems["consents"]  # the record is rejected alone, saying so
    assert message.startswith("1: status 'maybe' is not a status;")
    assert "granted, withdrawn, refused" in message
