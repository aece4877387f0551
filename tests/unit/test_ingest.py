"""Ingest: normalising rows, deterministic matching, survivorship, consent, the batch report."""

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import (
    AuditLog,
    ConsentRecord,
    DuplicateCandidate,
    ImportBatch,
    ImportRejection,
    Merge,
    Profile,
    Source,
    SourceRecord,
    StageChange,
)
from crm.models.base import utcnow
from crm.services import consent_ledger, ingest, merging, profiles, rows, survivorship
from crm.services.errors import ValidationError
from crm.services.normalise import strip_titles
from tests import factories


def _import(text: str, source: str = "web", filename: str = "people.csv", **kwargs) -> dict:
    """Import text as a file from source."""
    stream = io.BytesIO(text.encode(kwargs.pop("encoding", "utf-8")))
    return ingest.import_stream(stream, filename=filename, source_name=source, **kwargs)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _profile_by_email(email: str) -> Profile:
    return profiles.search_profiles(email)[0][0]


# Pure cores


def test_full_name_split_keeps_particles_with_the_surname():
    assert rows.split_full_name("Maria Grazia De Luca") == ("Maria Grazia", "De Luca")
    assert rows.split_full_name("Rossi, Anna") == ("Anna", "Rossi")
    assert rows.split_full_name("Cher") == ("Cher", None)


def test_a_surname_in_capitals_is_the_surname_first_or_last():
    assert rows.split_full_name("ROSSI Mario") == ("Mario", "ROSSI")
    assert rows.split_full_name("DE LUCA Maria Grazia") == ("Maria Grazia", "DE LUCA")
    assert rows.split_full_name("Maria Grazia DE LUCA") == ("Maria Grazia", "DE LUCA")
    assert rows.split_full_name("Dott.ssa BIANCHI Anna") == ("Anna", "BIANCHI")
    # Capitals everywhere, or only an initial, say nothing: the usual order holds.
    assert rows.split_full_name("MARIO ROSSI") == ("MARIO", "ROSSI")
    assert rows.split_full_name("ROSSI M.") == ("M.", "ROSSI")
    row = rows.normalise_row({"full_name": "ROSSI Mario"}, "IT")
    assert (row.fields["first_name"], row.fields["last_name"]) == ("Mario", "Rossi")


def _not_a_title(word: str) -> bool:
    """Titles (Mr, Dott., Sig.ra) are dropped before a name is split: not a name here."""
    return all(strip_titles(f"{w} Xyz") == f"{w} Xyz" for w in (word, word.upper()))


# Nor a generational suffix (Jr, Senior, Filho; "Ii" is II in capitals), which stays with
# the surname.
_WORD = (
    st.from_regex(r"[A-Z][a-z]{1,9}", fullmatch=True)
    .filter(_not_a_title)
    .filter(lambda word: not (rows.is_generation(word) or rows.is_generation(word.upper())))
)


@given(st.lists(_WORD, min_size=1, max_size=2), st.lists(_WORD, min_size=1, max_size=2))
def test_whichever_side_the_capitals_are_on_they_are_the_surname(first, last):
    first_name, surname = " ".join(first), " ".join(last).upper()
    assert rows.split_full_name(f"{surname} {first_name}") == (first_name, surname)
    assert rows.split_full_name(f"{first_name} {surname}") == (first_name, surname)


def test_hubspot_lifecycle_stages_map_onto_ours():
    expected = {
        "subscriber": "lead",
        "Lead": "lead",
        "marketingqualifiedlead": "mql",
        "Sales Qualified Lead": "sql",
        "opportunity": "sql",
        "customer": "customer",
        "Evangelist": "customer",
    }
    for text, stage in expected.items():
        assert rows.normalise_stage(text) == stage
    # HubSpot's "Other" (a partner, a supplier) is no stage of a funnel, and no error.
    assert rows.normalise_stage("Other") is None
    with pytest.raises(ValueError):
        rows.normalise_stage("prospect-ish")


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("Open - Not Contacted", "lead"),  # Salesforce
        ("Working - Contacted", "lead"),
        ("Closed - Not Converted", "lead"),
        ("Closed - Converted", "sql"),
        ("Attempted to Contact", "lead"),  # HubSpot, Zoho
        ("Bad timing", "lead"),
        ("Open Deal", "sql"),
        ("Pre-Qualified", "mql"),  # Zoho
        ("Junk Lead", "lead"),
        ("Tentativo di contatto", "lead"),  # HubSpot in Italian
        ("Lead qualificato per il marketing", "mql"),
        ("Lead qualificato per le vendite", "sql"),
        ("Opportunità", "sql"),
        ("Chiuso - Convertito", "sql"),  # Salesforce in Italian
    ],
)
def test_lead_statuses_of_other_crms_are_stages_not_warnings(text, stage):
    assert rows.normalise_stage(text) == stage


def test_normalise_row_drops_bad_values_with_a_reason_and_keeps_the_rest():
    row = rows.normalise_row(
        {
            "full_name": "ANNA BIANCHI",
            "email": "not-an-email",
            "phone": "02 1234567",
            "birth_date": "31/02/1990",
            "tags": "vip; webinar,vip",
        },
        "IT",
    )
    assert row.fields == {"first_name": "Anna", "last_name": "Bianchi"}
    assert row.emails == []
    assert row.phones == ["+39021234567"]
    assert row.tags == ["vip", "webinar"]
    assert {name for name, _ in row.warnings} == {"email", "birth_date"}


def test_a_house_number_column_joins_the_street_in_the_countrys_order():
    def address(values, region="IT"):
        return rows.normalise_row({"last_name": "Rossi", **values}, region).fields.get("address")

    assert address({"address": "Via Roma", "street_number": "12"}) == "Via Roma 12"
    assert address({"address": "stanley street", "street_number": "8"}, "AU") == (
        "8 stanley street"
    )
    assert address({"address": "Via Roma", "street_number": "8", "country": "GB"}) == ("8 Via Roma")
    assert address({"address": "Via Roma 12", "street_number": "12"}) == "Via Roma 12"
    assert address({"street_number": "12"}) is None  # a number alone is no address


def test_tax_ids_are_normalised_and_a_bad_one_is_reported():
    row = rows.normalise_row({"last_name": "Rossi", "tax_id": "rss mra 85t10 a562s"}, "IT")
    assert row.fields["tax_id"] == "RSSMRA85T10A562S"
    bad = rows.normalise_row({"last_name": "Rossi", "tax_id": "RSSMRA85T10A562X"}, "IT")
    assert "tax_id" not in bad.fields
    assert bad.warnings == [("tax_id", "invalid codice fiscale (check character)")]


def test_legal_basis_texts_map_onto_gdpr_bases():
    assert rows.legal_basis_from_text("Freely given consent from contact") == "consent"
    assert rows.legal_basis_from_text("Legitimate interest – existing customer") == (
        "legitimate_interests"
    )
    assert rows.legal_basis_from_text("Performance of a contract") == "contract"


# Matching


def test_source_is_created_with_defaults_and_region(app):
    _import("email\na@example.com\n", source="fair", region="DE")
    source = db.session.scalar(select(Source).where(Source.name == "fair"))
    assert (source.party, source.trust_rank, source.default_region) == ("first", 50, "DE")


def test_two_rows_with_the_same_email_end_in_one_profile(app):
    summary = _import("id,email,first_name\n1,a@example.com,Ann\n2,A@Example.com,Anna\n")
    assert (summary["created"], summary["merged"]) == (1, 1)
    assert _count(Profile) == 1
    assert _count(SourceRecord) == 2


def test_same_phone_merges_across_formats(app):
    _import("id,phone,first_name\n1,333 1234567,Ann\n")
    summary = _import("id,phone,first_name\n9,+39 333 123 4567,Ann\n", source="shop")
    assert summary["merged"] == 1
    assert _count(Profile) == 1


def test_reimporting_the_same_file_changes_nothing(app):
    text = "id,email,first_name,stage\n1,a@example.com,Ann,mql\n2,b@example.com,Bo,lead\n"
    _import(text)
    profile = _profile_by_email("a@example.com")
    version = profile.version
    second = _import(text)
    assert (second["created"], second["merged"], second["unchanged"]) == (0, 0, 2)
    assert (_count(Profile), _count(SourceRecord), _count(StageChange)) == (2, 2, 2)
    db.session.expire_all()
    assert db.session.get(Profile, profile.id).version == version


def test_reimport_without_ids_does_not_duplicate_records(app):
    text = "email,first_name\na@example.com,Ann\n"
    _import(text)
    second = _import(text)
    assert second["unchanged"] == 1
    assert _count(SourceRecord) == 1


def test_a_name_only_file_imported_again_finds_records_its_profiles_renamed(app):
    """A badge file without ids, imported again, added a record and a merge
    each time for a row whose name differs from its profile's (a typo merged into the
    right spelling, a record merged by hand into another name): the earlier record was
    looked up by the profile's name instead of its own."""
    _import(
        "id,first_name,last_name,city,postcode,birth_date,address\n"
        "1,Federico,Sorrentino,Milano,20121,1975-12-10,Via XX Settembre 39\n"
        "2,Laura,Marino,Palermo,90133,1983-02-19,Largo Augusto 168\n",
        source="crm",
    )
    badges = (
        "first_name,last_name,city,postcode,birth_date,address\n"
        "Federico,Sorentino,Milano,20121,1975-12-10,Via XX Settembre 39\n"
        "Laura,Ferri,Palermo,90133,,\n"
    )
    first = _import(badges, source="fiera")
    assert (first["created"], first["merged"]) == (1, 1)
    ferri = db.session.scalar(select(Profile).where(Profile.last_name == "Ferri"))
    marino = db.session.scalar(select(Profile).where(Profile.last_name == "Marino"))
    merging.merge_profiles(marino.id, ferri.id, actor="test", rule="manual")
    db.session.commit()
    records, merges = _count(SourceRecord), _count(Merge)
    again = _import(badges, source="fiera")
    assert (again["created"], again["merged"], again["unchanged"]) == (0, 0, 2)
    assert (_count(SourceRecord), _count(Merge)) == (records, merges)
    assert _count(DuplicateCandidate) == 0


def test_changed_row_updates_its_source_record(app):
    _import("id,email,city\n1,a@example.com,Roma\n")
    summary = _import("id,email,city\n1,a@example.com,Milano\n")
    assert summary["updated"] == 1
    assert _count(SourceRecord) == 1
    assert _profile_by_email("a@example.com").city == "Milano"


def test_email_and_phone_of_different_profiles_are_not_merged(app):
    _import("id,email\n1,a@example.com\n")
    _import("id,phone\n2,333 1234567\n")
    summary = _import("id,email,phone\n1,a@example.com,333 1234567\n", source="shop")
    assert summary["merged"] == 1
    assert _count(Profile) == 2
    a = _profile_by_email("a@example.com")
    assert a.phones == []
    warning = db.session.scalar(
        select(ImportRejection).where(ImportRejection.batch_id == summary["batch_id"])
    )
    assert (warning.kind, warning.column) == ("warning", "phone")
    assert "another profile" in warning.reason


def test_profile_keeps_every_email_and_phone_of_its_records(app):
    _import("id,email,phone\n1,a@example.com,333 1234567\n")
    _import("id,email,phone\nx,a@example.com,347 7654321\n", source="shop")
    _import("id,email,phone\ny,a2@example.com,347 7654321\n", source="pos")
    profile = _profile_by_email("a@example.com")
    # All kept; the primary ones are the most recent record's, as for every field.
    assert [e.email for e in profile.emails] == ["a2@example.com", "a@example.com"]
    assert [p.phone for p in profile.phones] == ["+393477654321", "+393331234567"]
    assert [e.is_primary for e in profile.emails] == [True, False]


# Survivorship


def test_higher_trust_source_wins_and_provenance_says_so(app):
    _import("id,email,city\n1,a@example.com,Roma\n", source="crm")
    db.session.scalar(select(Source).where(Source.name == "crm")).trust_rank = 80
    db.session.commit()
    _import("id,email,city,company\n7,a@example.com,Milano,Acme\n", source="newsletter")
    profile = _profile_by_email("a@example.com")
    assert profile.city == "Roma"
    assert profile.provenance["city"]["source"] == "crm"
    assert profile.company == "Acme"
    assert profile.provenance["company"]["source"] == "newsletter"
    assert len(profile.source_records) == 2


def test_most_recent_record_wins_between_equal_sources(app):
    _import("id,email,city\n1,a@example.com,Roma\n", source="a")
    _import("id,email,city\n1,a@example.com,Milano\n", source="b")
    assert _profile_by_email("a@example.com").city == "Milano"


def test_manual_edit_survives_an_import(app):
    profile = factories.make_profile(emails=["a@example.com"], city="Torino")
    profiles.update_profile(profile.id, {"city": "Bari"}, expected_version=None, actor="test")
    _import("id,email,city\n1,a@example.com,Roma\n")
    profile = _profile_by_email("a@example.com")
    assert profile.city == "Bari"
    assert "manual" in profile.provenance["city"]


def test_stage_advances_to_the_most_advanced_record_and_is_recorded(app):
    _import("id,email,stage\n1,a@example.com,lead\n", source="web")
    _import("id,email,stage\n5,a@example.com,customer\n", source="shop")
    _import("id,email,stage\n9,a@example.com,mql\n", source="crm")
    profile = _profile_by_email("a@example.com")
    assert profile.stage == "customer"
    moves = [(c.from_stage, c.to_stage, c.actor_label) for c in profile.stage_changes]
    assert moves == [(None, "lead", "import:web"), ("lead", "customer", "import:shop")]


def test_tags_are_the_union_of_all_records(app):
    _import("id,email,tags\n1,a@example.com,vip;webinar\n", source="web")
    _import("id,email,tags\n1,a@example.com,fair\n", source="events")
    assert [t.name for t in _profile_by_email("a@example.com").tags] == ["fair", "vip", "webinar"]


# Bad input


def test_invalid_email_is_warned_with_row_and_column_and_the_person_imports(app):
    summary = _import("Codice;Nome;E-mail\nC1;Anna;anna(at)example.com\n")
    assert (summary["created"], summary["warnings"]) == (1, 1)
    warning = db.session.scalar(select(ImportRejection))
    assert (warning.row_number, warning.column, warning.kind) == (2, "E-mail", "warning")
    record = db.session.scalar(select(SourceRecord))
    assert record.raw["E-mail"] == "anna(at)example.com"
    assert record.email is None


def test_row_with_nothing_usable_is_rejected(app):
    summary = _import("email,first_name,city\n,,Torino\nb@example.com,Bo,Roma\n")
    assert (summary["rejected"], summary["created"]) == (1, 1)
    rejection = db.session.scalar(select(ImportRejection))
    assert (rejection.row_number, rejection.kind) == (2, "rejected")
    assert rejection.raw["city"] == "Torino"


def test_row_with_only_a_name_imports(app):
    summary = _import("first_name,last_name\nAnna,Bianchi\n")
    assert summary["created"] == 1


def test_unknown_mapping_target_is_refused_before_anything_is_stored(app):
    with pytest.raises(ValidationError):
        _import("a,b\n1,2\n", overrides={"a": "shoe_size"})
    assert _count(ImportBatch) == 0


def test_file_with_no_known_column_is_refused(app):
    with pytest.raises(ValidationError) as info:
        _import("foo,bar\n1,2\n")
    assert info.value.fields["columns"] == ["foo", "bar"]


# Consent


MAILCHIMP = (
    "Email Address,First Name,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LEID\n"
    "c@example.it,Chiara,2023-05-02 08:15:00,192.0.2.10,2023-05-02 08:20:00,192.0.2.11,1001\n"
)


def test_mailchimp_optin_becomes_granted_consent_once(app):
    summary = _import(MAILCHIMP, source="mailchimp")
    _import(MAILCHIMP.replace("Chiara", "Chiara M."), source="mailchimp")
    consent = db.session.scalar(select(ConsentRecord))
    assert _count(ConsentRecord) == 1
    assert (consent.purpose, consent.status, consent.legal_basis) == (
        "email_marketing",
        "granted",
        "consent",
    )
    assert consent.recorded_at.isoformat() == "2023-05-02T08:20:00+00:00"
    assert consent.evidence == {
        "optin_time": "2023-05-02 08:15:00",
        "optin_ip": "192.0.2.10",
        "confirm_time": "2023-05-02 08:20:00",
        "confirm_ip": "192.0.2.11",
        "source": "mailchimp",
        "batch_id": summary["batch_id"],
    }


def test_mailchimp_unsubscribed_status_withdraws(app):
    _import(MAILCHIMP, source="mailchimp")
    _import(
        "Email Address,OPTIN_TIME,MEMBER_RATING,STATUS,LEID\n"
        "c@example.it,2023-05-02 08:15:00,2,unsubscribed,1001\n",
        source="mailchimp",
    )
    statuses = db.session.scalars(select(ConsentRecord.status).order_by(ConsentRecord.id)).all()
    assert statuses == ["granted", "withdrawn"]
    profile = _profile_by_email("c@example.it")
    assert profiles.current_consents([profile.id])[profile.id]["email_marketing"] == "withdrawn"


@pytest.mark.parametrize(
    ("opt_in", "opt_out", "expected"),
    [
        ("yes", "", ("granted", None)),
        ("Sì", "", ("granted", None)),
        ("SUBSCRIBED", "", ("granted", None)),
        ("2024-03-01 10:00", "", ("granted", "2024-03-01T10:00:00+00:00")),
        ("NEVER_SUBSCRIBED", "", None),  # no consent: nothing to record
        ("no", "", ("refused", None)),  # asked, said no: a refusal
        ("", "", None),
        ("unsubscribed", "", ("withdrawn", None)),
        ("", "true", ("withdrawn", None)),
        ("yes", "1", ("withdrawn", None)),  # an opt-out beside an opt-in wins
    ],
)
def test_plain_opt_in_and_opt_out_columns_say_a_consent(opt_in, opt_out, expected):
    fact, warnings = rows.consent_from_columns({"email_opt_in": opt_in, "email_opt_out": opt_out})
    assert warnings == []
    if expected is None:
        assert fact is None
    else:
        at = fact.recorded_at.isoformat() if fact.recorded_at else None
        assert (fact.status, at) == expected
        assert (fact.purpose, fact.legal_basis) == ("email_marketing", "consent")


def test_a_shop_exports_opt_in_column_becomes_a_consent_once(app):
    text = (
        "customer_id,email,first_name,accepts_marketing,email_opt_out\n"
        "1,a@example.it,Anna,yes,\n"
        "2,b@example.it,Bruno,no,\n"
        "3,c@example.it,Carla,maybe,\n"
        "4,d@example.it,Dario,yes,yes\n"
    )
    summary = _import(text, source="shop")
    _import(text, source="shop")  # again: nothing new
    consents = {
        profile_id: status
        for profile_id, status in db.session.execute(
            select(ConsentRecord.profile_id, ConsentRecord.status)
        )
    }
    assert _count(ConsentRecord) == 3
    anna, bruno, dario = (_profile_by_email(f"{c}@example.it") for c in "abd")
    # Bruno's no is his answer, kept as the state of no consent.
    assert consents == {anna.id: "granted", bruno.id: "refused", dario.id: "withdrawn"}
    warning = db.session.scalar(
        select(ImportRejection).where(ImportRejection.batch_id == summary["batch_id"])
    )
    assert (warning.row_number, warning.column, warning.kind) == (4, "accepts_marketing", "warning")
    assert "opt in" in warning.reason


def test_hubspot_unsubscribed_from_all_email_withdraws(app):
    text = (
        "Record ID,Email,Lifecycle Stage,Create Date,Unsubscribed from all email\n"
        "5,h@example.com,customer,2024-01-01,true\n"
    )
    _import(text, source="hubspot")
    _import(text, source="hubspot")
    consent = db.session.scalar(select(ConsentRecord))
    assert _count(ConsentRecord) == 1
    assert consent.status == "withdrawn"


# The batch report


def test_batch_report_and_audit_hold_counts_without_personal_data(app):
    summary = _import("email,first_name\na@example.com,Ann\nbad,,\n", filename="/tmp/x/list.csv")
    batch = db.session.get(ImportBatch, summary["batch_id"])
    assert (batch.filename, batch.status, batch.format) == ("list.csv", "done", "csv")
    assert batch.counts["created"] == 1
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "import.run"))
    assert entry.object_id == batch.id
    assert "a@example.com" not in str(entry.details) and "Ann" not in str(entry.details)
    assert entry.details["counts"]["rows"] == 2


def test_the_audit_entry_counts_the_consent_changes_of_the_import(app):
    text = "email,email_opt_in\na@example.com,yes\nb@example.com,no\nc@example.com,yes\n"
    summary = _import(text, source="newsletter")
    entry = db.session.scalar(
        select(AuditLog).where(
            AuditLog.action == "import.run", AuditLog.object_id == summary["batch_id"]
        )
    )
    assert entry.details["consent_changes"] == {
        "email_marketing:granted": 2,
        "email_marketing:refused": 1,
    }
    # Imported again, nothing is appended, and the entry says so.
    again = _import(text, source="newsletter")
    entry = db.session.scalar(
        select(AuditLog).where(
            AuditLog.action == "import.run", AuditLog.object_id == again["batch_id"]
        )
    )
    assert entry.details["consent_changes"] == {}


def test_rejections_go_with_their_batch(app):
    summary = _import("email,first_name\n,\nbad,\n")
    assert _count(ImportRejection) == 2
    db.session.delete(db.session.get(ImportBatch, summary["batch_id"]))
    db.session.commit()
    assert _count(ImportRejection) == 0


def test_rows_are_stored_a_batch_at_a_time(app):
    seen = []
    lines = "".join(f"{n},p{n}@example.com\n" for n in range(5))
    summary = _import("id,email\n" + lines, batch_size=2, progress=lambda c: seen.append(c["rows"]))
    assert seen == [2, 4, 5]
    assert summary["created"] == 5


def test_a_bug_fails_the_import_instead_of_rejecting_its_rows(app, monkeypatch):
    """Only what the database refuses is retried row by row; a programming error is loud."""
    import pytest
    from sqlalchemy.exc import ArgumentError

    from crm.models import ImportBatch

    def broken(self, ids, tags):
        raise ArgumentError("a bug in the importer")

    _import("id,email\n1,a@example.com\n")
    monkeypatch.setattr(ingest._Batch, "_update_profiles", broken)
    with pytest.raises(ArgumentError):
        _import("id,email,city\n1,a@example.com,Roma\n")
    statuses = sorted(b.status for b in db.session.scalars(select(ImportBatch)))
    assert statuses == ["done", "failed"]


def test_an_outlook_export_keeps_every_email_and_phone_and_the_home_address(app):
    text = (
        "First Name,Last Name,E-mail Address,E-mail 2 Address,Business Phone,Mobile Phone,"
        "Business Street,Business City,Home Street,Home City,Home Postal Code,Business Fax\n"
        "Anna,Rossi,anna@acme.it,anna@casa.it,02 1234567,333 1234567,,,Via Roma 2,Milano,"
        "20121,02 7654321\n"
    )
    summary = _import(text, filename="contacts.csv")
    assert (summary["created"], summary["rejected"], summary["warnings"]) == (1, 0, 0)
    profile = _profile_by_email("anna@casa.it")
    assert [e.email for e in profile.emails] == ["anna@acme.it", "anna@casa.it"]
    assert [p.phone for p in profile.phones] == ["+39021234567", "+393331234567"]
    assert (profile.address, profile.city, profile.postcode) == ("Via Roma 2", "Milano", "20121")


@pytest.mark.parametrize("batch_size", [500, 1])
def test_rows_see_earlier_rows_consents_in_order_within_and_across_batches(app, batch_size):
    text = (
        "id,email,accepts_marketing,email_opt_out\n"
        "1,a@example.it,yes,\n"
        "2,a@example.it,yes,\n"  # the same statement again: nothing new
        "3,a@example.it,,yes\n"
        "4,a@example.it,yes,\n"  # a grant after the withdrawal is new again
    )
    _import(text, source="shop", batch_size=batch_size)
    _import(text, source="shop", batch_size=batch_size)
    statuses = db.session.scalars(select(ConsentRecord.status).order_by(ConsentRecord.id)).all()
    assert statuses == ["granted", "withdrawn", "granted"]
    profile = _profile_by_email("a@example.it")
    assert profiles.current_consents([profile.id])[profile.id]["email_marketing"] == "granted"


def test_a_us_export_reads_its_dates_month_first(app):
    text = (
        "id,first_name,last_name,email,birthdate\n"
        "1,Ann,Lee,ann@example.com,03/04/1985\n"
        "2,Bob,Ray,bob@example.com,12/25/1970\n"
    )
    summary = _import(text, source="us_shop")
    assert summary["warnings"] == 0
    assert str(_profile_by_email("ann@example.com").birth_date) == "1985-03-04"
    assert str(_profile_by_email("bob@example.com").birth_date) == "1970-12-25"
    # The same ambiguous date in an Italian file is the 3rd of April.
    _import("id,email,nome,data di nascita\n9,cia@example.it,Cia,03/04/1985\n", source="it")
    assert str(_profile_by_email("cia@example.it").birth_date) == "1985-04-03"


def test_a_json_array_export_imports_like_json_lines(app):
    text = json.dumps(
        [
            {"id": "1", "email": "a@example.it", "first_name": "Anna"},
            {"id": "2", "email": "b@example.it", "first_name": "Bruno", "phones": ["333 1234567"]},
        ],
        indent=2,
    )
    summary = _import(text, filename="contacts.json")
    assert (summary["rows"], summary["created"], summary["rejected"]) == (2, 2, 0)
    assert _profile_by_email("b@example.it").primary_phone == "+393331234567"


def test_an_xlsx_workbook_imports_and_reports_rows_by_sheet_row(app):
    from openpyxl import Workbook

    book = Workbook()
    for row in (
        ["Email", "First Name", "Birthday"],
        ["a@example.it", "Anna", "1985-03-14"],
        ["not-an-email", None, None],
    ):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    summary = ingest.import_stream(data, filename="contacts.xlsx", source_name="excel")
    assert (summary["rows"], summary["created"], summary["rejected"]) == (2, 1, 1)
    assert str(_profile_by_email("a@example.it").birth_date) == "1985-03-14"
    rejection = db.session.scalar(select(ImportRejection).where(ImportRejection.kind == "rejected"))
    assert rejection.row_number == 3


def test_a_mailchimp_audience_export_zip_imports_every_file_once(app):
    data = factories.zip_of(factories.MAILCHIMP_EXPORT)
    summary = ingest.import_stream(io.BytesIO(data), filename="audience.zip", source_name="mc")
    assert (summary["rows"], summary["created"], summary["rejected"]) == (4, 4, 0)
    assert (summary["warnings"], summary["consents"]) == (1, 4)
    consents = {
        _profile_by_email(email).id: email
        for email in ("anna.verdi", "carla.bianchi", "dario.gallo")
    }
    states = {
        consents[c.profile_id]: (c.status, c.recorded_at.isoformat()[:19])
        for c in db.session.scalars(select(ConsentRecord))
        if c.profile_id in consents
    }
    assert states == {
        "anna.verdi": ("granted", "2024-01-05T10:05:00"),
        "carla.bianchi": ("withdrawn", "2024-03-01T09:00:00"),
        # Cleaned: the address bounced; the person's opt-in stands, nothing was withdrawn.
        "dario.gallo": ("granted", "2022-01-05T10:00:00"),
    }
    dario = _profile_by_email("dario.gallo")
    assert survivorship.bounced_emails(dario).keys() == {"dario.gallo@example.it"}
    assert dario.source_records[0].fields["bounced_at"] == "2024-02-01T08:00:00+00:00"
    anna = _profile_by_email("anna.verdi")
    assert survivorship.bounced_emails(anna) == {}
    assert "bounced" not in anna.source_records[0].fields
    assert (anna.address, anna.city, anna.postcode, anna.country) == (
        "Via Roma 1",
        "Milano",
        "20121",
        "IT",
    )
    warning = db.session.scalar(select(ImportRejection))
    assert (warning.file, warning.row_number, warning.column) == (
        "subscribed_email_audience_export_5f3a.csv",
        3,
        "Email Address",
    )
    again = ingest.import_stream(io.BytesIO(data), filename="audience.zip", source_name="mc")
    assert (again["created"], again["updated"], again["consents"]) == (0, 0, 0)
    assert again["unchanged"] == 4
    assert _count(SourceRecord) == 4


def test_each_file_of_a_zip_keeps_its_own_format(app):
    files = {
        "unsubscribed_members_export_1.csv": factories.MAILCHIMP_EXPORT[
            "unsubscribed_email_audience_export_5f3a.csv"
        ],
        "fiera.csv": "Nome,Cognome,E-mail,Newsletter\nElio,Neri,elio@example.it,sì\n",
        "README.txt": "Exported by a tool.\n",
    }
    data = factories.zip_of(files)
    summary = ingest.import_stream(io.BytesIO(data), filename="mixed.zip", source_name="mix")
    assert (summary["rows"], summary["created"], summary["rejected"]) == (2, 2, 0)
    current = profiles.current_consents(
        [_profile_by_email("carla.bianchi").id, _profile_by_email("elio@example.it").id]
    )
    assert [c["email_marketing"] for c in current.values()] == ["withdrawn", "granted"]


ITALIAN_REGISTER = [
    "Rossi Mario",
    "Bianchi Giulia",
    "De Luca Maria Grazia",
    "Esposito Antonio",
    "Ferrari Chiara",
    "Colombo Sara",
    "Nguyen Van An",  # nobody's given name here: counts for neither order
]


def test_a_list_written_surname_first_is_recognised_and_split_so():
    assert rows.surname_first(ITALIAN_REGISTER)
    assert not rows.surname_first(["Kevin Paul", "John Smith", "Mary Jones", "Anna Rossi"])
    assert not rows.surname_first(ITALIAN_REGISTER[:3])  # too few to say
    # Mostly given name first, with a few of the other kind: the usual order holds.
    assert not rows.surname_first([*ITALIAN_REGISTER[:5], *["Mario Rossi"] * 2])
    split = [rows.split_full_name(n, surname_first=True) for n in ITALIAN_REGISTER[:3]]
    assert split == [("Mario", "Rossi"), ("Giulia", "Bianchi"), ("Maria Grazia", "De Luca")]
    # In such a file a name that plainly opens with a given name keeps its order, also
    # when its surname is a given name too (Romano, Bruno, Rosa, ...).
    assert rows.split_full_name("Andrea Costa", surname_first=True) == ("Andrea", "Costa")
    assert rows.split_full_name("Maria Romano", surname_first=True) == ("Maria", "Romano")
    assert rows.split_full_name("Della Valle Anna", surname_first=True) == ("Anna", "Della Valle")


def test_surnames_in_capitals_say_which_order_the_rest_of_the_file_uses():
    mixed = ["ROSSI Mario", "Bianchi Anna", "VERDI Giuseppe", "Esposito Giulia", "NERI Luca"]
    assert rows.surname_first(mixed)
    assert not rows.surname_first(
        ["Mario ROSSI", "Anna Bianchi", "Giuseppe VERDI", "Giulia Esposito", "Luca NERI"]
    )


def test_an_italian_register_of_full_names_imports_with_first_and_last_names_right(app):
    body = "Nominativo;Email\n" + "".join(
        f"{name};p{n}@example.com\n" for n, name in enumerate(ITALIAN_REGISTER)
    )
    _import(body)
    mario = _profile_by_email("p0@example.com")
    assert (mario.first_name, mario.last_name) == ("Mario", "Rossi")
    assert (_profile_by_email("p2@example.com").first_name) == "Maria Grazia"
    # A file written the usual way is read the usual way.
    _import("Name,Email\nKevin Paul,k@example.com\nAnna Rossi,a@example.com\n", source="crm")
    assert _profile_by_email("k@example.com").first_name == "Kevin"


def test_an_unknown_reading_order_is_refused_before_anything_is_stored(app):
    stream = io.BytesIO(b"email,birth_date\nada@example.com,03/04/1980\n")
    with pytest.raises(ValidationError) as refused:
        ingest.import_stream(stream, filename="a.csv", source_name="web", names="backwards")
    assert set(refused.value.fields) == {"names"}
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


SHOP_OPT_IN = "customer_id,email,first_name,accepts_marketing\n1,g@example.it,Giuseppe,yes\n"
UNSUBSCRIBED = "id,email,email_opt_out\nM1,g@example.it,2024-03-03 12:00:00\n"


def _email_marketing(email: str) -> str:
    profile = _profile_by_email(email)
    return profiles.current_consents([profile.id])[profile.id]["email_marketing"]


def test_a_dated_unsubscribe_beats_an_undated_opt_in_imported_before_it(app):
    _import(SHOP_OPT_IN, source="shop")
    assert _email_marketing("g@example.it") == "granted"
    _import(UNSUBSCRIBED, source="newsletter")
    assert _email_marketing("g@example.it") == "withdrawn"
    withdrawal = db.session.scalar(select(ConsentRecord).where(ConsentRecord.status == "withdrawn"))
    assert withdrawal.evidence["stated_at"].startswith("2024-03-03")
    grant = db.session.scalar(select(ConsentRecord).where(ConsentRecord.status == "granted"))
    assert grant.evidence["time"] == consent_ledger.UNDATED


def test_an_undated_opt_in_never_lifts_another_sources_withdrawal(app):
    _import(UNSUBSCRIBED, source="newsletter")
    summary = _import(SHOP_OPT_IN, source="shop")
    assert _email_marketing("g@example.it") == "withdrawn"
    assert summary["consents"] == 0 and summary["warnings"] == 1
    warning = db.session.scalar(
        select(ImportRejection).where(ImportRejection.batch_id == summary["batch_id"])
    )
    assert warning.column == "accepts_marketing"
    assert "does not lift the withdrawal of 2024-03-03" in warning.reason
    # A grant with its time, after the withdrawal, is a new consent.
    _import("id,email,email_opt_in\nW1,g@example.it,2025-01-15\n", source="web")
    assert _email_marketing("g@example.it") == "granted"


def test_a_later_export_without_accents_keeps_the_richer_spelling(app):
    _import("email,first_name,last_name,city\nn@example.it,Nicolò,D'Amico,Forlì\n", source="crm")
    _import("email,first_name,last_name,city\nn@example.it,NICOLO,DAMICO,forli\n", source="shop")
    profile = _profile_by_email("n@example.it")
    assert (profile.first_name, profile.last_name, profile.city) == ("Nicolò", "D'Amico", "Forlì")
    # Another value, not another spelling: the most recent record wins as before.
    _import("email,first_name,last_name,city\nn@example.it,Nicola,D'Amico,Cesena\n", source="web")
    profile = _profile_by_email("n@example.it")
    assert (profile.first_name, profile.city) == ("Nicola", "Cesena")


def test_an_address_is_taken_whole_from_one_record_never_stitched(app):
    header = "email,address,postcode,city,state\n"
    _import(header + "j@example.com,1 Microsoft Way,,Redmond,WA\n", source="outlook")
    _import(header + "j@example.com,,98101,Seattle,WA\n", source="badges")
    profile = _profile_by_email("j@example.com")
    # The most recent address is Seattle's; no Redmond street with a Seattle postcode.
    assert (profile.address, profile.postcode, profile.city) == (None, "98101", "Seattle")
    assert profile.provenance["city"]["source"] == "badges"
    assert "address" not in profile.provenance
    # A record of the same place may fill in what the chosen one lacks.
    _import(header + "j@example.com,Pike Street 5,98101,Seattle,\n", source="outlook")
    _import(header + "j@example.com,,98101,Seattle,WA\n", source="badges")
    profile = _profile_by_email("j@example.com")
    assert (profile.address, profile.postcode, profile.state) == ("Pike Street 5", "98101", "WA")


def test_a_clash_is_reported_in_the_column_that_holds_the_number(app):
    _import("id,first_name,phone\nH1,Alessandro,348 7654321\n", source="hubspot")
    _import("id,first_name,email\nC1,Alessandro,a.conti@example.it\n", source="crm")
    text = (
        "Cognome;Nome;E-mail;Telefono;Cellulare\n"
        "Conti;Alessandro;a.conti@example.it;030 2233445;348 7654321\n"
    )
    summary = _import(text, source="excel")
    warning = db.session.scalar(
        select(ImportRejection).where(ImportRejection.batch_id == summary["batch_id"])
    )
    assert (warning.row_number, warning.column) == (2, "Cellulare")  # not Telefono
    assert "phone belongs to another profile" in warning.reason


@pytest.mark.parametrize("undated_first", [True, False])
def test_the_same_consent_facts_give_the_same_state_in_any_import_order(app, undated_first):
    undated = ("shop", SHOP_OPT_IN)
    unsubscribed = ("newsletter", "id,email,email_opt_out\nM1,g@example.it,2026-06-01\n")
    later_opt_in = ("web", "id,email,email_opt_in\nW1,g@example.it,2026-09-01\n")
    order = (
        [undated, unsubscribed, later_opt_in]
        if undated_first
        else [unsubscribed, undated, later_opt_in]
    )
    for source, text in order:
        _import(text, source=source)
    assert _email_marketing("g@example.it") == "granted"  # September's opt-in is the last word


def test_a_new_source_takes_the_apps_default_phone_country(app):
    app.config["DEFAULT_PHONE_REGION"] = "US"
    _import("first_name,last_name,email,phone\nAnn,Baker,ann@example.com,(212) 736-5000\n")
    assert db.session.scalar(select(Source.default_region).where(Source.name == "web")) == "US"
    assert _profile_by_email("ann@example.com").primary_phone == "+12127365000"


def test_a_consent_dated_in_the_future_does_not_outrank_a_real_withdrawal(app):
    # 2062 for 2026: kept as stated, it would beat every statement until then.
    summary = _import("id,email,email_opt_in\nS1,f@example.it,2062-05-01\n", source="shop")
    assert _email_marketing("f@example.it") == "granted"  # the opt-in itself still counts
    warning = db.session.scalar(
        select(ImportRejection).where(ImportRejection.batch_id == summary["batch_id"])
    )
    assert "time 2062-05-01 is in the future" in warning.reason
    grant = db.session.scalar(select(ConsentRecord).where(ConsentRecord.status == "granted"))
    assert grant.evidence["stated_at"].startswith("2062-05-01")
    assert grant.recorded_at.year < 2062
    # Unsubscribing today, in another source, is the last word.
    today = utcnow().date().isoformat()
    _import(f"id,email,email_opt_out\nN1,f@example.it,{today}\n", source="newsletter")
    assert _email_marketing("f@example.it") == "withdrawn"
    # The same file again changes nothing.
    again = _import("id,email,email_opt_in\nS1,f@example.it,2062-05-01\n", source="shop")
    assert again["consents"] == 0 and _email_marketing("f@example.it") == "withdrawn"


def _edit(email: str, data: dict, rep) -> None:
    profile = _profile_by_email(email)
    profiles.update_profile(profile.id, data, expected_version=None, actor=rep)


def test_a_rep_moving_a_customer_back_is_not_overruled_by_records_that_say_customer(app):
    rep = factories.make_user("sales")
    _import("id,email,stage\nS1,elisa@example.it,customer\n", source="shop")
    _edit("elisa@example.it", {"stage": "lead", "stage_reason": "churned"}, rep)
    # Another source's record, and the shop's own record again with a new city.
    _import("id,email,first_name\nW1,elisa@example.it,Elisa\n", source="webinar")
    _import("id,email,stage,city\nS1,elisa@example.it,customer,Parma\n", source="shop")
    from crm.services import sources

    sources.recompute(sources.find_source("shop").id)  # the other path that chooses values
    profile = _profile_by_email("elisa@example.it")
    assert (profile.stage, profile.city) == ("lead", "Parma")
    assert [c.to_stage for c in profile.stage_changes] == ["customer", "lead"]


def test_a_record_past_the_stage_a_rep_held_a_lead_back_from_moves_it_on(app):
    rep = factories.make_user("sales")
    _import("id,email,stage\nC1,marco@example.it,sql\n", source="crm")
    _edit("marco@example.it", {"stage": "mql"}, rep)  # not ready for sales yet
    _import("id,email,stage,city\nC1,marco@example.it,sql,Como\n", source="crm")
    assert _profile_by_email("marco@example.it").stage == "mql"
    _import("id,email,stage\nS9,marco@example.it,customer\n", source="shop")  # he bought
    assert _profile_by_email("marco@example.it").stage == "customer"


def test_a_tag_removed_by_hand_is_not_put_back_by_records(app):
    rep = factories.make_user("marketer")
    _import("id,email,tags\nW1,tina@example.it,webinar;vip\n", source="web")
    _edit("tina@example.it", {"tags": ["vip", "unsubscribed-list"]}, rep)
    _import("id,email,tags\nW1,tina@example.it,webinar;vip;fair\n", source="web")
    _import("id,email,tags\nE1,tina@example.it,webinar\n", source="events")
    assert [t.name for t in _profile_by_email("tina@example.it").tags] == [
        "fair",
        "unsubscribed-list",
        "vip",
    ]
    # Put back by a person, it is theirs again to keep.
    _edit("tina@example.it", {"tags": ["vip", "webinar"]}, rep)
    assert "removed" in _profile_by_email("tina@example.it").provenance["tags"]
    assert _profile_by_email("tina@example.it").provenance["tags"]["removed"] == [
        "fair",
        "unsubscribed-list",
    ]


def test_a_row_with_only_its_id_creates_no_empty_profile(app):
    text = "id,first_name,last_name,email,phone,city\nE1,,,,,\nE2,,,,,Roma\nE3,,,not-an-email,12,\n"
    summary = _import(text, source="sheet")
    assert (summary["created"], summary["rejected"]) == (0, 3)
    assert _count(Profile) == 0
    reasons = set(db.session.scalars(select(ImportRejection.reason).where(
        ImportRejection.kind == "rejected")))  # fmt: skip
    assert reasons == {ingest.NO_PERSON}


def test_a_row_with_only_its_id_still_updates_its_earlier_record(app):
    _import("id,email,city\nK1,kay@example.it,Roma\n", source="sheet")
    summary = _import("id,email,city,email_opt_out\nK1,,Milano,yes\n", source="sheet")
    assert (summary["updated"], summary["rejected"]) == (1, 0)
    profile = _profile_by_email("kay@example.it")
    assert profile.city == "Milano" and _email_marketing("kay@example.it") == "withdrawn"


def test_a_tag_too_long_is_cut_with_a_warning_on_import_and_refused_by_hand(app):
    long = "x" * 90
    summary = _import(f"id,email,tags\nT1,t@example.it,{long};vip\n")
    assert summary["warnings"] == 1
    profile = _profile_by_email("t@example.it")
    assert sorted(t.name for t in profile.tags) == ["vip", "x" * 80]
    with pytest.raises(ValidationError) as error:
        profiles.update_profile(profile.id, {"tags": ["vip", long]}, expected_version=None,
                                actor="test")  # fmt: skip
    assert "tags" in error.value.fields


def _phones_of(email: str) -> list[tuple[str, bool, int | None]]:
    profile = _profile_by_email(email)
    db.session.refresh(profile)
    return [(p.phone, p.is_primary, p.source_record_id) for p in profile.phones]


def test_a_number_read_again_in_the_right_country_replaces_the_misread_one(app):
    text = "id,first_name,email,phone\nK1,Klaus,klaus@example.de,030 98765432\n"
    _import(text, source="dephones")  # read as Italian: a valid Milan-looking number
    assert [p for p, *_ in _phones_of("klaus@example.de")] == ["+3903098765432"]
    summary = _import(text, source="dephones", region="DE")
    assert summary["updated"] == 1
    record = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "K1"))
    assert _phones_of("klaus@example.de") == [("+493098765432", True, record.id)]


def test_an_identifier_another_record_still_states_stays_and_names_that_record(app):
    _import("id,email,phone\nA1,anna@example.it,333 1234567\n", source="shop")
    _import("id,email,phone\nB1,anna@example.it,333 1234567\n", source="crm")
    # The shop's record now gives another number; the crm's still gives the first.
    _import("id,email,phone\nA1,anna@example.it,347 7654321\n", source="shop")
    crm = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "B1"))
    shop = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "A1"))
    assert _phones_of("anna@example.it") == [
        ("+393477654321", True, shop.id),  # the record updated last: shown first
        ("+393331234567", False, crm.id),
    ]


def test_identifiers_typed_by_hand_stay_when_records_change(app):
    profile = factories.make_profile(emails=["p1@example.it", "p2@example.it"])
    profiles.update_profile(
        profile.id, {"phones": ["+39 02 1234567"]}, expected_version=None, actor="test"
    )
    _import("id,email,phone\nS1,p1@example.it,333 1234567\n", source="shop")
    _import("id,email,phone\nS1,p1@example.it,347 7654321\n", source="shop")
    profile = _profile_by_email("p1@example.it")
    db.session.refresh(profile)
    assert [e.email for e in profile.emails] == ["p1@example.it", "p2@example.it"]
    assert sorted(p.phone for p in profile.phones) == ["+39021234567", "+393477654321"]


def test_the_batch_shows_what_is_stored_so_far_while_the_import_runs(app):
    text = "id,email\n" + "".join(f"R{n},r{n}@example.it\n" for n in range(5))
    seen = []

    def progress(counts: dict) -> None:
        stored = db.session.get(ImportBatch, counts["batch_id"])
        db.session.refresh(stored)
        seen.append((stored.status, stored.counts.get("rows")))

    _import(text, batch_size=2, progress=progress)
    assert seen == [("running", 2), ("running", 4), ("running", 5)]


def test_a_file_imported_again_reports_again_the_number_it_left_with_its_holder(app):
    _import("id,first_name,phone\nH1,Alessandro,348 7654321\n", source="hubspot")
    _import("id,first_name,email\nC1,Alessandro,a.conti@example.it\n", source="crm")
    text = "Cognome;Nome;E-mail;Cellulare\nConti;Alessandro;a.conti@example.it;348 7654321\n"
    first = _import(text, source="excel")
    again = _import(text, source="excel")
    assert (first["warnings"], again["warnings"], again["unchanged"]) == (1, 1, 1)
    reasons = db.session.scalars(
        select(ImportRejection.reason).where(ImportRejection.batch_id == again["batch_id"])
    ).all()
    assert len(reasons) == 1 and "phone belongs to another profile" in reasons[0]


def test_a_merge_does_not_lift_a_stage_a_rep_held_back(app):
    rep = factories.make_user("sales")
    _import("id,email,stage\nD5,nora@example.it,customer\n", source="shop")
    _import("id,email,first_name,stage\nE5,ugo@example.it,Ugo,mql\n", source="crm")
    nora, ugo = _profile_by_email("nora@example.it"), _profile_by_email("ugo@example.it")
    _edit("nora@example.it", {"stage": "lead"}, rep)
    from crm.services import merging

    merging.merge_profiles(nora.id, ugo.id, actor=rep)
    # mql is not past the customer the rep moved her back from: she stays a lead.
    assert _profile_by_email("nora@example.it").stage == "lead"


def test_an_identifier_an_emptied_record_gave_names_the_record_that_still_states_it(app):
    _import("id,first_name,email\nS10,Lia,lia1@example.it\n", source="sa")
    _import("id,first_name,email\nS10,Lia,\n", source="sa")
    _import("id,first_name,email\nB10,Lia,lia1@example.it\n", source="sb")
    b10 = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "B10"))
    profile = _profile_by_email("lia1@example.it")
    db.session.refresh(profile)
    assert [(e.email, e.source_record_id) for e in profile.emails] == [("lia1@example.it", b10.id)]
    _import("id,first_name,email\nB10,Lia,lia2@example.it\n", source="sb")
    profile = _profile_by_email("lia2@example.it")
    db.session.refresh(profile)
    assert [(e.email, e.is_primary) for e in profile.emails] == [("lia2@example.it", True)]


def test_a_grant_dated_in_the_future_lifts_not_even_its_own_sources_withdrawal(app):
    _import("id,email,email_opt_out\nC9,eva@example.it,2024-01-01\n", source="ca")
    summary = _import("id,email,email_opt_in\nC9,eva@example.it,2062-01-01\n", source="ca")
    assert _email_marketing("eva@example.it") == "withdrawn"
    assert summary["warnings"] == 2  # the future time, and the withdrawal it does not lift


def test_an_integer_id_written_as_a_float_is_the_same_record(app):
    _import('{"id": 7.0, "email": "f@example.it"}\n', filename="a.jsonl", source="jl")
    summary = _import('{"id": 7, "email": "f@example.it", "city": "Roma"}\n',
                      filename="b.jsonl", source="jl")  # fmt: skip
    assert summary["updated"] == 1
    assert db.session.scalars(select(SourceRecord.external_id)).all() == ["7"]


def test_json_true_or_false_where_text_belongs_is_reported_not_stored_as_true(app):
    text = (
        '{"id": "J1", "first_name": true, "last_name": "Son", "email": "j@example.it", '
        '"email_opt_in": true}\n{"id": false, "first_name": "Kay", "email": "k@example.it"}\n'
    )
    summary = _import(text, filename="b.jsonl", source="jl")
    assert (summary["created"], summary["rejected"], summary["warnings"]) == (1, 1, 1)
    profile = _profile_by_email("j@example.it")
    assert (profile.first_name, profile.last_name) == (None, "Son")
    assert _email_marketing("j@example.it") == "granted"  # a yes/no field reads true


@pytest.mark.parametrize(
    ("rows", "day"),
    [
        # An Italian file: "15/03/2023" says day first, so "03/04/2023" is 3 April.
        ("1,a@example.com,15/03/2023 10:00\n2,b@example.com,03/04/2023 10:00\n", (4, 3)),
        # An American one: "03/15/2023" says month first, so "03/04/2023" is 4 March.
        ("1,a@example.com,03/15/2023 10:00\n2,b@example.com,03/04/2023 10:00\n", (3, 4)),
    ],
)
def test_consent_times_are_read_in_the_files_own_date_order(app, rows, day):
    _import("id,email,email opt in\n" + rows)
    profile = profiles.search_profiles("b@example.com")[0][0]
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.profile_id == profile.id))
    assert consent.status == "granted"
    assert (consent.recorded_at.month, consent.recorded_at.day) == day


def test_a_record_with_a_nul_or_a_lone_surrogate_is_stored_without_them(app):
    found = ingest.import_records(
        [
            {
                "external_id": "n1",
                "first_name": "A\x00nna\ud800",
                "email": "anna@example.com",
                "note": "x\x00y",
            }
        ],
        source_name="app",
    )
    assert found["results"][0]["outcome"] == "created"
    profile = profiles.search_profiles("anna@example.com")[0][0]
    assert profile.first_name == "Anna"
    record = db.session.scalar(select(SourceRecord))
    assert record.raw["first_name"] == "A\ufffdnna\ufffd" and record.raw["note"] == "x\ufffdy"


@pytest.mark.parametrize("name", ["\x00", "ctl\x01name", "shop\u202e"])
def test_a_source_name_with_control_characters_is_refused(app, name):
    with pytest.raises(ValidationError) as refused:
        ingest.ensure_source(name)
    assert refused.value.message in (ingest.UNPRINTABLE_NAME, ingest.source_name_problem(""))


def test_a_header_that_says_surname_first_reads_a_short_file_so(app):
    _import("Cognome e nome;E-mail\nRossi Mario;mario@example.com\nBianchi Anna;a@example.com\n")
    profile = profiles.search_profiles("mario@example.com")[0][0]
    assert (profile.first_name, profile.last_name) == ("Mario", "Rossi")


def test_google_contacts_own_groups_are_not_tags(app):
    _import(
        "Name,E-mail 1 - Value,Labels\nAnna Bianchi,anna@example.com,* myContacts ::: Clienti\n"
    )
    profile = profiles.search_profiles("anna@example.com")[0][0]
    assert [t.name for t in profile.tags] == ["Clienti"]


@pytest.mark.parametrize("said", ["Nessun consenso", "Archiviato", "No consent"])
def test_a_marketing_status_that_says_no_grants_nothing(app, said):
    summary = _import(f"Email,Marketing status\nanna@example.com,{said}\n")
    assert summary["warnings"] == 0
    assert db.session.scalar(select(func.count()).select_from(ConsentRecord)) == 0


def test_a_record_named_twice_in_one_batch_moves_its_stage_only_forward(app):
    found = ingest.import_records(
        [
            {"external_id": "s10", "email": "s10@example.com", "stage": "customer"},
            {"external_id": "s10", "email": "s10@example.com", "stage": "lead"},
        ],
        source_name="app",
    )
    assert [r["outcome"] for r in found["results"]] == ["created", "updated"]
    profile = profiles.search_profiles("s10@example.com")[0][0]
    assert profile.stage == "customer"  # as when the two come in two batches
    assert db.session.scalar(select(func.count()).select_from(SourceRecord)) == 1


def test_ambiguous_dates_of_an_american_list_are_read_as_its_rows_country_writes_them(app):
    text = (
        "id,email,first_name,country,birth_date\n"
        "1,ann@example.com,Ann,USA,03/04/1980\n"
        "2,bob@example.com,Bob,United States,06/05/1975\n"
        "3,cy@example.com,Cy,US,01/02/1990\n"
    )
    summary = _import(text, source="us_event")
    assert str(_profile_by_email("ann@example.com").birth_date) == "1980-03-04"
    notes = " ".join(ingest.region_notes(summary["batch_id"]))
    assert "month first, as in US" in notes and "--dates day-first" in notes
    # An Italian list of the same dates is read day first, and says so.
    text = "id,email,nome,paese,data di nascita\n9,cia@example.it,Cia,Italia,03/04/1985\n"
    summary = _import(text, source="it_event")
    assert str(_profile_by_email("cia@example.it").birth_date) == "1985-04-03"
    assert "--dates month-first" in " ".join(ingest.region_notes(summary["batch_id"]))
    # Dates that show their order need no note, whichever order they show.
    for born in ("25/04/1985", "04/25/1985"):
        text = f"id,email,nome,data di nascita\n10,dan@example.it,Dan,{born}\n"
        summary = _import(text, source="it_event")
        assert ingest.region_notes(summary["batch_id"]) == []


def test_the_order_full_names_were_read_in_is_told_unless_it_was_chosen(app):
    """A user test: a short "Nominativo" list written surname first was read given name
    first, and the command line said nothing of it."""
    text = "Nominativo;Email\nRossi Mario;m@example.it\nBianchi Anna;a@example.it\n"
    summary = _import(text, source="soci")
    (note,) = ingest.region_notes(summary["batch_id"])
    assert "read given name first" in note and "--names surname-first" in note
    data = io.BytesIO(text.encode())
    summary = ingest.import_stream(
        data, filename="s.csv", source_name="soci", names="surname-first"
    )
    assert ingest.region_notes(summary["batch_id"]) == []
    assert _profile_by_email("a@example.it").last_name == "Bianchi"
