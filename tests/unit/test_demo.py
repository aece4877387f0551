"""The demo data set: repeatable, realistic, and built by the survivorship rules."""

from datetime import UTC, datetime, timedelta

import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import (
    PROFILE_FIELDS,
    AuditLog,
    ConsentRecord,
    DuplicateCandidate,
    Profile,
    ProfileEmail,
    Source,
    SourceRecord,
)
from crm.services import demo, provenance
from crm.services.normalise import fold, normalise_email
from tests import factories

PEOPLE = 150


@pytest.fixture
def loaded(app):
    """A database holding a small demo data set; yields its summary."""
    return demo.load_demo(people=PEOPLE)


def _profiles() -> list[Profile]:
    """Every profile of the demo's people (not the fair's newcomers) with its records,
    emails, phones and stage history."""
    db.session.expire_all()
    found = db.session.scalars(
        select(Profile)
        .order_by(Profile.id)
        .options(
            selectinload(Profile.source_records).joinedload(SourceRecord.source),
            selectinload(Profile.emails),
            selectinload(Profile.phones),
            selectinload(Profile.stage_changes),
            selectinload(Profile.tags),
        )
    )
    return [p for p in found if any(r.source.name != demo.FAIR_SOURCE for r in p.source_records)]


# --- the plan (pure) ------------------------------------------------------------------


def test_plan_is_the_same_every_time():
    assert demo.plan_people(80) == demo.plan_people(80)


def test_another_seed_gives_other_people():
    assert demo.plan_people(20, seed=1) != demo.plan_people(20, seed=2)


def test_smaller_plan_is_a_prefix_of_a_bigger_one():
    assert demo.plan_people(30) == demo.plan_people(60)[:30]


def test_plan_does_not_depend_on_the_clock():
    plans = demo.plan_people(200)
    moments = [r.received_at for p in plans for r in p.records]
    moments += [s[2] for p in plans for s in p.stages]
    moments += [c.at for p in plans for c in p.consents]
    assert max(moments) <= demo.ANCHOR
    assert min(moments) >= demo.ANCHOR - timedelta(days=800)


def test_about_sixty_percent_of_people_are_in_two_or_more_sources():
    plans = demo.plan_people(500)
    multi = sum(1 for p in plans if len({r.source for r in p.records}) >= 2)
    assert 0.5 <= multi / 500 <= 0.7
    assert {r.source for p in plans for r in p.records} == set(demo.SOURCES)


def test_each_source_speaks_its_own_format():
    plans = demo.plan_people(200)
    raws = {name: [] for name in demo.SOURCES}
    for plan in plans:
        for record in plan.records:
            raws[record.source].append(record.raw)
    assert all({"EMAIL", "FNAME", "OPTIN_TIME", "STATUS"} <= set(r) for r in raws["newsletter"])
    assert all(
        {"billing_phone", "billing_postcode", "orders_count"} <= set(r) for r in raws["shop"]
    )
    assert all({"nome", "cognome", "email", "form_id"} <= set(r) for r in raws["web_form"])
    # Raw values stay as typed: some emails and phones are not in normal form.
    assert any(r["EMAIL"] != r["EMAIL"].lower() for r in raws["newsletter"])
    assert any(not r["billing_phone"].startswith("+") for r in raws["shop"])


def test_records_of_one_person_share_their_normalised_email():
    for plan in demo.plan_people(200):
        assert len({r.email for r in plan.records}) == 1
        for record in plan.records:
            column = demo.IDENTIFIER_COLUMNS[record.source][0]
            assert normalise_email(record.raw[column]) == record.email


def test_emails_and_phones_are_unique_per_person_and_valid():
    plans = demo.plan_people(500)
    owner_of: dict[str, int] = {}
    for index, plan in enumerate(plans):
        identifiers = {i for r in plan.records for i in (r.email, r.phone, *r.other_emails) if i}
        for identifier in identifiers:
            assert owner_of.setdefault(identifier, index) == index, identifier
    phones = [i for i in owner_of if i.startswith("+")]
    assert phones
    for phone in phones:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, None))
    assert any(p.startswith("+393") for p in phones)
    emails = [i for i in owner_of if "@" in i]
    assert all(
        e.rsplit("@", 1)[1].endswith((".example", "example.com", "example.net", "example.org"))
        for e in emails
    )


def test_names_are_mostly_italian_with_some_international_ones():
    plans = demo.plan_people(500)
    countries = [
        next((r.fields["country"] for r in p.records if "country" in r.fields), None) for p in plans
    ]
    italian = sum(1 for c in countries if c == "IT")
    assert italian > 0.6 * len(plans)
    assert len({c for c in countries if c}) >= 5
    names = {r.fields.get("last_name") for p in plans for r in p.records}
    assert any(n and not n.isascii() for n in names)
    assert any(n and "'" in n for n in names)


def test_shop_customers_have_addresses_and_reach_the_customer_stage():
    for plan in demo.plan_people(200):
        shop = [r for r in plan.records if r.source == "shop"]
        if shop:
            fields = shop[0].fields
            assert {"address", "postcode", "city", "country"} <= set(fields)
            assert plan.stages[-1][1] == "customer"
        else:
            assert plan.stages[-1][1] != "customer"


def test_survive_prefers_trust_then_recency():
    old, new = datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    values, provenance = demo.survive(
        [
            (1, "newsletter", 40, new, {"first_name": "Nico", "country": "IT"}),
            (2, "web_form", 60, old, {"first_name": "Nicolò", "city": "Roma"}),
            (3, "other_form", 60, new, {"city": "Milano", "company": ""}),
        ]
    )
    assert values == {"first_name": "Nicolò", "city": "Milano", "country": "IT"}
    assert provenance["first_name"] == {"source_record_id": 2, "source": "web_form"}
    assert provenance["city"] == {"source_record_id": 3, "source": "other_form"}
    assert provenance["country"] == {"source_record_id": 1, "source": "newsletter"}
    assert "company" not in values


# --- the loaded data ------------------------------------------------------------------


def test_profile_values_come_from_the_most_trusted_record(loaded):
    ranks = {s.id: s.trust_rank for s in db.session.scalars(select(Source))}
    conflicts_won_by_trust = 0
    for profile in _profiles():
        records = profile.source_records
        for name in PROFILE_FIELDS:
            offering = [r for r in records if r.fields.get(name) not in (None, "")]
            value = getattr(profile, name)
            if not offering:
                assert value is None
                assert name not in profile.provenance
                continue
            best = max(offering, key=lambda r: (ranks[r.source_id], r.received_at, r.id))
            stored = value.isoformat() if name == "birth_date" else value
            assert stored == best.fields[name], (profile.id, name)
            assert profile.provenance[name] == {
                "source_record_id": best.id,
                "source": best.source.name,
            }
            if len({r.fields[name] for r in offering}) > 1:
                conflicts_won_by_trust += 1
    # The data set really has conflicting values for trust to settle.
    assert conflicts_won_by_trust >= 10


def test_shop_wins_over_the_web_form_and_the_newsletter(loaded):
    seen = 0
    for profile in _profiles():
        by_source = {r.source.name: r for r in profile.source_records}
        if "shop" not in by_source:
            continue
        shop = by_source["shop"]
        for name in ("first_name", "last_name", "city"):
            assert getattr(profile, name) == shop.fields[name]
            assert profile.provenance[name]["source"] == "shop"
            seen += 1
    assert seen


def test_every_email_and_phone_of_the_records_is_on_the_profile(loaded):
    for profile in _profiles():
        emails = [e.email for e in profile.emails]
        phones = [p.phone for p in profile.phones]
        record_ids = {r.id for r in profile.source_records}
        for record in profile.source_records:
            assert record.email in emails
            assert set(record.fields.get("emails", [])) <= set(emails)
            if record.phone:
                assert record.phone in phones
        assert profile.emails[0].is_primary and sum(e.is_primary for e in profile.emails) == 1
        assert all(e.source_record_id in record_ids for e in profile.emails)
        assert all(p.source_record_id in record_ids for p in profile.phones)
    total = db.session.scalar(select(func.count()).select_from(ProfileEmail))
    distinct = db.session.scalar(select(func.count(func.distinct(ProfileEmail.email))))
    assert total == distinct


def test_stage_history_is_ordered_and_ends_at_the_current_stage(loaded):
    stages = set()
    for profile in _profiles():
        changes = profile.stage_changes
        assert changes[0].from_stage is None and changes[0].to_stage == "lead"
        for before, after in zip(changes, changes[1:], strict=False):
            assert after.from_stage == before.to_stage
            assert after.at >= before.at
        assert changes[-1].to_stage == profile.stage
        assert {c.actor_label for c in changes} == {"demo"}
        stages.add(profile.stage)
    assert stages == {"lead", "mql", "sql", "customer"}


def test_newsletter_consents_carry_their_evidence(loaded):
    rows = list(
        db.session.scalars(select(ConsentRecord).where(ConsentRecord.purpose == "email_marketing"))
    )
    assert {r.status for r in rows} == {"granted", "withdrawn"}
    newsletter = db.session.scalar(select(Source).where(Source.name == "newsletter"))
    for row in rows:
        assert row.legal_basis == "consent"
        assert row.source_id == newsletter.id and row.source_record_id
        assert {"form", "ip", "text_version"} <= set(row.evidence)
        assert row.evidence["ip"].startswith("203.0.113.")


def test_search_keys_are_filled(loaded):
    for profile in _profiles():
        expected = fold(" ".join(p for p in (profile.first_name, profile.last_name) if p))
        assert profile.search_name == expected
        assert profile.search_company == fold(profile.company)


def test_every_tag_says_where_it_comes_from(loaded):
    """A tag no record states (a form's topic, a big spender) reads as put on by the team,
    never as "no record states it"; one a record states names that record."""
    by_hand = stated = 0
    for profile in _profiles():
        for item in provenance.profile_provenance(profile)["tags"]["items"]:
            assert item["sources"] or "manual" in item, (profile.id, item)
            by_hand += "manual" in item
            stated += bool(item["sources"])
    assert by_hand and stated


def test_second_load_adds_nothing(loaded):
    before = db.session.scalar(select(func.count()).select_from(SourceRecord))
    again = demo.load_demo(people=PEOPLE)
    assert again["added"] is False
    assert db.session.scalar(select(func.count()).select_from(SourceRecord)) == before


def test_demo_skips_people_who_already_have_a_profile(app):
    first_email = demo.plan_people(1)[0].records[0].email
    factories.make_profile(emails=[first_email])
    summary = demo.load_demo(people=20)
    assert summary["skipped"] == 1
    assert summary["profiles"] == 19
    owners = db.session.scalars(
        select(ProfileEmail.profile_id).where(ProfileEmail.email == first_email)
    ).all()
    assert len(owners) == 1


def test_one_audit_entry_without_personal_data(loaded):
    entries = list(db.session.scalars(select(AuditLog).where(AuditLog.action == "demo.load")))
    assert len(entries) == 1
    assert entries[0].details["profiles"] == PEOPLE
    assert "@" not in str(entries[0].details)


# --- the fair's badge scans, through the importer --------------------------------------


def test_badges_are_the_same_every_time_and_look_like_a_scanner_export():
    plans = demo.plan_people(PEOPLE)
    badges = demo.plan_badges(plans)
    assert badges == demo.plan_badges(demo.plan_people(PEOPLE))
    assert len({b["id"] for b in badges}) == len(badges) > 10
    assert all(b["event"] == demo.FAIR_EVENT and b["name"] for b in badges)
    # Most carry no email: only identity resolution can tell who they are.
    assert sum("email" not in b for b in badges) > len(badges) / 2
    assert any(b["name"].split()[0].isupper() for b in badges)  # "ROSSI Mario"


def test_the_demo_starts_with_a_review_queue_filled_by_the_importer(loaded):
    fair = db.session.scalar(select(Source).where(Source.name == demo.FAIR_SOURCE))
    assert (fair.label, fair.trust_rank) == (demo.FAIR_LABEL, demo.FAIR_TRUST_RANK)
    counts = loaded["fair"]
    badges = demo.plan_badges(demo.plan_people(PEOPLE))
    assert counts["rows"] == len(badges) == counts["created"] + counts["merged"] + counts["review"]
    records = db.session.scalar(
        select(func.count()).select_from(SourceRecord).where(SourceRecord.source_id == fair.id)
    )
    assert records == len(badges)
    assert counts["merged"] and counts["review"]
    pairs = list(db.session.scalars(select(DuplicateCandidate)))
    assert len(pairs) >= counts["review"]
    assert all(p.status == "open" and p.reasons for p in pairs)
