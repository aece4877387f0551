"""Sources service: settings, stale edits, and values chosen again after a new trust rank."""

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditLog, Job, Profile, Source
from crm.services import ingest, profiles, sources
from crm.services.errors import ConflictError, NotFoundError, ValidationError


def _import(source: str, records: list[dict]) -> dict:
    return ingest.import_records(records, source_name=source, actor="test")


def _profile_of(email: str) -> Profile:
    db.session.expire_all()
    return db.session.scalar(
        select(Profile).where(
            Profile.id.in_(profiles.search_query(email).with_only_columns(Profile.id))
        )
    )


@pytest.fixture
def two_sources(app):
    """Anna as a shop and as a newsletter record, the sources disagreeing on her name and
    city: equal at first, so the newer newsletter record wins; then the shop is ranked 80
    against the newsletter's 50."""
    _import("shop", [{"id": "s1", "email": "anna@example.it", "first_name": "Anna",
                      "last_name": "Verdi", "city": "Milano"}])  # fmt: skip
    _import("newsletter", [{"id": "n1", "email": "ANNA@example.it", "first_name": "Annamaria",
                            "last_name": "Verdi", "city": "Torino"}])  # fmt: skip
    _import("newsletter", [{"id": "n2", "email": "solo@example.it", "first_name": "Solo"}])
    shop = sources.find_source("shop")
    sources.update_source(shop.id, {"trust_rank": 80}, expected_version=None, actor="test")
    sources.recompute(shop.id)
    return shop, sources.find_source("newsletter")


def test_list_counts_records_profiles_and_last_import(two_sources):
    found = {s.source.name: s for s in sources.list_sources()}
    assert [s.source.name for s in sources.list_sources()][:2] == ["shop", "newsletter"]
    assert (found["shop"].records, found["shop"].profiles) == (1, 1)
    assert (found["newsletter"].records, found["newsletter"].profiles) == (2, 2)
    assert found["newsletter"].last_import is not None


def test_raising_a_trust_rank_chooses_that_sources_values(two_sources):
    shop, newsletter = two_sources
    anna = _profile_of("anna@example.it")
    assert (anna.first_name, anna.city) == ("Anna", "Milano")

    source, changed = sources.update_source(
        newsletter.id, {"trust_rank": 90}, expected_version=newsletter.version, actor="test"
    )
    assert changed == ["trust_rank"] and source.trust_rank == 90
    result = sources.recompute(newsletter.id)

    # Only profiles with records of this source and another are looked at.
    assert result == {"profiles": 1, "changed": 1}
    anna = _profile_of("anna@example.it")
    assert (anna.first_name, anna.city) == ("Annamaria", "Torino")
    assert anna.provenance["city"]["source"] == "newsletter"
    assert {e.email for e in anna.emails} == {"anna@example.it"}


def test_a_value_typed_by_hand_survives_a_new_trust_rank(two_sources):
    _, newsletter = two_sources
    anna = _profile_of("anna@example.it")
    profiles.update_profile(
        anna.id, {"city": "Bergamo"}, expected_version=anna.version, actor="test"
    )
    sources.update_source(newsletter.id, {"trust_rank": 99}, expected_version=None, actor="t")
    sources.recompute(newsletter.id)
    anna = _profile_of("anna@example.it")
    assert (anna.first_name, anna.city) == ("Annamaria", "Bergamo")


def test_a_stale_edit_is_refused_and_changes_nothing(two_sources):
    _, newsletter = two_sources
    seen = newsletter.version
    sources.update_source(newsletter.id, {"label": "Newsletter"}, expected_version=seen, actor="a")
    with pytest.raises(ConflictError) as error:
        sources.update_source(newsletter.id, {"trust_rank": 1}, expected_version=seen, actor="b")
    assert "version" in error.value.fields
    db.session.expire_all()
    assert db.session.get(Source, newsletter.id).trust_rank == 50


def test_bad_settings_are_refused_field_by_field(two_sources):
    _, newsletter = two_sources
    bad = {"trust_rank": 101, "party": "fourth", "default_region": "XX", "colour": "red"}
    with pytest.raises(ValidationError) as error:
        sources.update_source(newsletter.id, bad, expected_version=None, actor="test")
    assert set(error.value.fields) == {"trust_rank", "party", "default_region", "colour"}
    with pytest.raises(ValidationError):
        sources.update_source(newsletter.id, {"trust_rank": "9"}, expected_version=None, actor="t")
    db.session.expire_all()
    assert db.session.get(Source, newsletter.id).party == "first"


def test_settings_are_normalised_and_audited_without_personal_data(two_sources):
    _, newsletter = two_sources
    source, changed = sources.update_source(
        newsletter.id,
        {"label": "  ", "party": "second", "default_region": "us"},
        expected_version=None,
        actor="test",
    )
    assert (source.label, source.party, source.default_region) == ("newsletter", "second", "US")
    assert changed == ["default_region", "party"]  # the label was already its name
    entry = db.session.scalar(
        select(AuditLog).where(
            AuditLog.action == "source.update", AuditLog.object_id == str(newsletter.id)
        )
    )
    assert entry.details == {"changed": {"party": ["first", "second"],
                                         "default_region": ["IT", "US"]}}  # fmt: skip


def test_a_new_phone_country_reads_the_next_files(two_sources):
    _, newsletter = two_sources
    sources.update_source(newsletter.id, {"default_region": "US"}, expected_version=None, actor="t")
    _import("newsletter", [{"id": "n3", "email": "bob@example.com", "phone": "(312) 538-7262"}])
    assert _profile_of("bob@example.com").phones[0].phone == "+13125387262"


def test_manual_entry_cannot_be_ranked_below_an_import(app):
    manual = profiles.manual_source()
    with pytest.raises(ConflictError):
        sources.update_source(manual.id, {"trust_rank": 1}, expected_version=None, actor="t")
    assert not next(s for s in sources.list_sources() if s.source.id == manual.id).editable


def test_unknown_sources_are_not_found(app):
    with pytest.raises(NotFoundError):
        sources.find_source("nowhere")
    with pytest.raises(NotFoundError):
        sources.recompute(12345)


def test_the_recompute_job_reports_progress_and_counts(app, two_sources):
    app.config["JOBS_MODE"] = "sync"
    _, newsletter = two_sources
    sources.update_source(newsletter.id, {"trust_rank": 90}, expected_version=None, actor="t")
    job = sources.start_recompute(newsletter.id, actor="test")
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "done", job.error
    assert job.result == {"source_id": newsletter.id, "profiles": 1, "changed": 1}
    assert (job.progress, job.total) == (1, 1)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "source.recompute"))


def test_a_queued_recompute_gets_time_by_its_profiles(app, two_sources, redis_queue, monkeypatch):
    _, newsletter = two_sources
    monkeypatch.setattr(sources.jobs, "JOB_TIMEOUT", 0)
    monkeypatch.setattr(sources, "RECOMPUTE_FLOOR_PER_SECOND", 1)
    sources.start_recompute(newsletter.id, actor="test")
    assert [job.timeout for job in redis_queue.jobs] == [1]  # one profile to look at
