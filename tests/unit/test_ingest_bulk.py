"""The importer's bulk path: new profiles computed in memory equal what recompute() gives."""

import io

from sqlalchemy import select

from crm.extensions import db
from crm.models import MatchKey, Profile, SourceRecord
from crm.services import ingest, match_keys, profiles, survivorship

ROWS = (
    "id,first_name,last_name,email,phone,company,city,birth_date,tags,stage\n"
    "1,anna,ROSSI,anna@example.com,333 1234567,,Milano,,vip,lead\n"
    "2,Anna Maria,Rossi,anna@example.com;a.rossi@work.example.com,,Acme Srl,,1980-02-03,"
    "fair;vip,customer\n"
    "3,Marco,Bianchi,,,,Roma,,,\n"
)


def _import(text: str, source: str = "shop") -> dict:
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _state(profile: Profile) -> tuple:
    """Everything survivorship decides about a profile, in a comparable form."""
    return (
        {name: getattr(profile, name) for name in ("first_name", "last_name", "company", "city")},
        dict(profile.provenance),
        profile.stage,
        [(e.email, e.is_primary, e.source_record_id) for e in profile.emails],
        [(p.phone, p.is_primary, p.source_record_id) for p in profile.phones],
        [t.name for t in profile.tags],
        (profile.search_name, profile.search_last, profile.search_company),
        [(c.from_stage, c.to_stage, c.actor_label) for c in profile.stage_changes],
    )


def test_bulk_created_profiles_are_what_recompute_would_make(app):
    summary = _import(ROWS)
    assert (summary["created"], summary["merged"]) == (2, 1)
    for profile in db.session.scalars(select(Profile)):
        snapshot = _state(profile)
        assert survivorship.recompute(profile) == []
        profiles.refresh_search_keys(profile)
        assert _state(profile) == snapshot
        stored = set(
            db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == profile.id))
        )
        assert stored == match_keys.keys_of(profile)


def test_the_latest_row_of_a_batch_wins_and_every_identifier_is_kept(app):
    _import(ROWS)
    anna = profiles.search_profiles("anna@example.com")[0][0]
    second = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "2"))
    assert (anna.first_name, anna.company, anna.stage) == ("Anna Maria", "Acme Srl", "customer")
    assert anna.provenance["first_name"] == {"source_record_id": second.id, "source": "shop"}
    assert [e.email for e in anna.emails] == ["anna@example.com", "a.rossi@work.example.com"]
    assert anna.emails[0].is_primary and not anna.emails[1].is_primary
    assert [p.phone for p in anna.phones] == ["+393331234567"]
    assert [t.name for t in anna.tags] == ["fair", "vip"]
    assert [(c.from_stage, c.to_stage) for c in anna.stage_changes] == [(None, "customer")]
    assert {r.profile_id for r in anna.source_records} == {anna.id}
    assert len(anna.source_records) == 2


def test_review_pairs_in_bulk_behave_like_one_proposal_at_a_time(app):
    from crm.models import DuplicateCandidate
    from crm.services import duplicates
    from tests import factories

    a, b, c, d = (factories.make_profile(first_name=n) for n in ("Ada", "Bea", "Cai", "Dan"))
    gone = factories.make_profile(first_name="Eve")
    gone.merged_into_id = a.id
    decided = duplicates.propose(a.id, d.id, 0.8, ["old"])
    decided.status = "distinct"
    raised = duplicates.propose(b.id, c.id, 0.76, ["old"])
    db.session.flush()
    ingest._propose_many(
        [
            (b.id, a.id, 0.8, ["first"]),
            (a.id, b.id, 0.9, ["higher"]),
            (a.id, b.id, 0.85, ["lower"]),
            (c.id, b.id, 0.8, ["raised"]),
            (d.id, a.id, 0.9, ["decided"]),
            (gone.id, c.id, 0.9, ["merged away"]),
            (c.id, c.id, 0.9, ["same"]),
        ]
    )
    rows = {
        (x.profile_a_id, x.profile_b_id): (x.score, x.reasons, x.status)
        for x in db.session.scalars(select(DuplicateCandidate))
    }
    low_ab = tuple(sorted((a.id, b.id)))
    assert rows[low_ab] == (0.9, ["higher"], "open")
    assert rows[tuple(sorted((b.id, c.id)))] == (0.8, ["raised"], "open")
    assert rows[tuple(sorted((a.id, d.id)))] == (0.8, ["old"], "distinct")
    assert len(rows) == 3
    assert raised.score == 0.8


def test_bulk_updated_profiles_are_what_recompute_would_make(app):
    from tests import factories

    _import(
        "id,first_name,last_name,email,phone,city,tags,stage\n1,Anna,Rossi,anna@example.com,,Roma,vip,lead\n"
    )
    anna = profiles.search_profiles("anna@example.com")[0][0]
    profiles.update_profile(
        anna.id, {"company": "Hand Made Srl"}, expected_version=anna.version, actor="test"
    )
    other = factories.make_profile(emails=["held@example.com"])
    db.session.commit()
    version = db.session.get(Profile, anna.id).version
    summary = _import(
        "id,first_name,last_name,email,phone,company,city,tags,stage\n"
        "7,Anna,Rossi,anna@example.com;held@example.com,333 1234567,Acme,Milano,fair,customer\n",
        source="crm",
    )
    assert summary["merged"] == 1
    # The shop row comes again without its city: the city now comes from the crm record.
    _import(
        "id,first_name,last_name,email,phone,city,tags,stage\n1,Anna,Rossi,anna@example.com,,,vip,lead\n"
    )
    db.session.expire_all()
    anna = db.session.get(Profile, anna.id)
    crm_record = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "7"))
    assert anna.version > version
    assert anna.company == "Hand Made Srl"  # a manual edit wins over every source
    assert (anna.city, anna.provenance["city"]["source_record_id"]) == ("Milano", crm_record.id)
    assert [e.email for e in anna.emails] == ["anna@example.com"]  # held@ stays with its holder
    assert [p.email for p in other.emails] == ["held@example.com"]
    assert [(p.phone, p.is_primary) for p in anna.phones] == [("+393331234567", True)]
    assert [t.name for t in anna.tags] == ["fair", "vip"]
    assert [(c.from_stage, c.to_stage) for c in anna.stage_changes] == [
        (None, "lead"),
        ("lead", "customer"),
    ]
    snapshot = _state(anna)
    assert survivorship.recompute(anna) == []
    assert _state(anna) == snapshot
    stored = set(db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == anna.id)))
    assert stored == match_keys.keys_of(anna)


def test_an_import_that_read_a_stale_profile_is_refused_and_retried(app, monkeypatch):
    """The bulk UPDATE names the version it read: a profile another writer changed since
    (PostgreSQL lets one in between) is not overwritten; the rows are stored again."""
    _import("id,first_name,email,city\n1,Anna,anna@example.com,Roma\n")
    anna = profiles.search_profiles("anna@example.com")[0][0]
    version = anna.version
    real = ingest._profile_states
    calls = []

    def stale_once(ids):
        states, records = real(ids)
        if not calls:  # as if read just before someone else's edit
            for state in states.values():
                state.version -= 1
        calls.append(ids)
        return states, records

    monkeypatch.setattr(ingest, "_profile_states", stale_once)
    summary = _import("id,first_name,email,city\n2,Anna,anna@example.com,Milano\n", source="crm")
    assert (summary["merged"], summary["rejected"]) == (1, 0)
    assert len(calls) == 2  # refused once on the stale version, then stored again
    db.session.expire_all()
    anna = db.session.get(Profile, anna.id)
    assert (anna.city, anna.version) == ("Milano", version + 1)


def test_postgresql_statistics_are_refreshed_as_a_big_import_grows(app, monkeypatch):
    """Plans made for empty tables would scan every profile for each batch's candidates."""
    from sqlalchemy import text

    monkeypatch.setattr(ingest, "ANALYZE_AFTER", frozenset({2}))
    rows = "".join(f"{n},Person{n},Rossi,p{n}@example.com\n" for n in range(6))
    stream = io.BytesIO(("id,first_name,last_name,email\n" + rows).encode())
    summary = ingest.import_stream(stream, filename="p.csv", source_name="shop", batch_size=2)
    assert summary["created"] == 6
    if db.engine.dialect.name == "sqlite":
        return  # SQLite plans by its indexes; nothing to refresh
    analysed = db.session.scalar(
        text("SELECT reltuples FROM pg_class WHERE relname = 'profiles' AND relkind = 'r'")
    )
    assert analysed >= 0  # -1 means never analysed
