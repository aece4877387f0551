"""Merging profiles and undoing merges: everything moves, consents stay safe, undo is exact."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import (
    AuditLog,
    ConsentRecord,
    DuplicateCandidate,
    MatchKey,
    Merge,
    Note,
    Profile,
    ProfileEmail,
    ProfilePhone,
    Source,
    SourceRecord,
    StageChange,
    Touchpoint,
)
from crm.services import duplicates, merging, profiles, survivorship
from crm.services.errors import ConflictError, NotFoundError, ValidationError
from tests import factories
from tests.factories import import_records as _records

LONG_AGO = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)


# --- the pure consent rule ----------------------------------------------------------------


def test_withdrawal_beats_grant_in_either_order():
    assert merging.consent_state_after_merge(
        {"email_marketing": "granted"}, {"email_marketing": "withdrawn"}
    ) == {"email_marketing": "withdrawn"}
    assert merging.consent_state_after_merge(
        {"email_marketing": "withdrawn"}, {"email_marketing": "granted"}
    ) == {"email_marketing": "withdrawn"}


def test_profile_without_record_contributes_nothing():
    result = merging.consent_state_after_merge(
        {"sms_marketing": "granted", "profiling": None, "phone_marketing": "none"},
        {"profiling": "withdrawn", "phone_marketing": "granted"},
    )
    assert result == {
        "sms_marketing": "granted",
        "profiling": "withdrawn",
        "phone_marketing": "granted",
    }
    assert merging.consent_state_after_merge({"profiling": None}, {}) == {"profiling": None}


# --- helpers ------------------------------------------------------------------------------


def _source(name: str, trust: int) -> Source:
    source = db.session.scalar(select(Source).where(Source.name == name))
    if source is None:
        source = Source(name=name, label=name.title(), trust_rank=trust)
        db.session.add(source)
        db.session.flush()
    return source


def _person(*records: tuple[str, str, dict]) -> Profile:
    """A profile built from source records (source name, external id, normalised fields)."""
    profile = Profile(provenance={})
    db.session.add(profile)
    db.session.flush()
    for source_name, external_id, fields in records:
        fields = dict(fields)
        db.session.add(
            SourceRecord(
                source=_source(source_name, {"shop": 70, "newsletter": 40}[source_name]),
                external_id=external_id,
                profile=profile,
                raw={"id": external_id, **fields},
                fields=fields,
                email=fields.pop("email", None),
                phone=fields.pop("phone", None),
                received_at=LONG_AGO,
                updated_at=LONG_AGO,
            )
        )
    db.session.flush()
    survivorship.recompute(profile)
    db.session.commit()
    return profile


def _consent(profile_id: int, purpose: str, status: str, *, at=LONG_AGO, basis="consent"):
    db.session.add(
        ConsentRecord(
            profile_id=profile_id,
            purpose=purpose,
            status=status,
            legal_basis=basis,
            recorded_at=at,
            evidence={"form": "test"},
        )
    )


def _touch(profile_id: int, external_id: str, kind: str) -> None:
    db.session.add(
        Touchpoint(
            profile_id=profile_id,
            external_id=external_id,
            source_id=_source("shop", 70).id,
            kind=kind,
            channel="web",
            phase="consideration",
            occurred_at=LONG_AGO,
            properties={"page": "/pricing"},
        )
    )


def _ids(model, profile_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(model.id).where(model.profile_id == profile_id).order_by(model.id)
        )
    )


def snapshot(profile_id: int) -> dict:
    """Everything a person can see of a profile, plus the ids of every row it owns."""
    db.session.expire_all()
    profile = db.session.get(Profile, profile_id)
    consents = profiles.current_consents([profile_id])[profile_id]
    row = profiles.export_row(profile, consents)
    row.pop("updated_at")
    row.update(
        provenance=profile.provenance,
        merged_into_id=profile.merged_into_id,
        owner_id=profile.owner_id,
        search=(profile.search_name, profile.search_last, profile.search_company),
        email_rows=[(e.id, e.email, e.is_primary) for e in profile.emails],
        phone_rows=[(p.id, p.phone, p.is_primary) for p in profile.phones],
        stage_history=[
            (s.id, s.from_stage, s.to_stage, s.actor_label) for s in profile.stage_changes
        ],
        source_record_ids=_ids(SourceRecord, profile_id),
        consent_record_ids=_ids(ConsentRecord, profile_id),
        touchpoint_ids=_ids(Touchpoint, profile_id),
        note_ids=_ids(Note, profile_id),
        match_keys=sorted(
            db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == profile_id))
        ),
    )
    return row


@pytest.fixture
def staff(app):
    return factories.make_user(role="sales")


@pytest.fixture
def pair(app, staff):
    """Two records of one person, each profile with its own sources, history and consents."""
    a = _person(
        (
            "shop",
            "A1",
            {
                "first_name": "Giulia",
                "last_name": "Rossi",
                "city": "Milano",
                "email": "giulia@example.com",
                "phone": "+393471234567",
                "tags": ["vip"],
            },
        ),
        ("newsletter", "A2", {"company": "Acme", "email": "g.rossi@acme.example"}),
    )
    b = _person(
        (
            "newsletter",
            "B1",
            {
                "first_name": "Giulia",
                "last_name": "Rossi",
                "city": "Roma",
                "postcode": "00100",
                "email": "giulia.rossi@mail.example",
                "phone": "+393339876543",
                "tags": ["webinar"],
            },
        ),
        ("shop", "B2", {"job_title": "CTO", "birth_date": "1985-03-02"}),
    )
    profiles.update_profile(
        a.id, {"stage": "mql", "job_title": "Founder"}, expected_version=None, actor=staff
    )
    profiles.update_profile(b.id, {"stage": "sql"}, expected_version=None, actor=staff)
    _consent(a.id, "email_marketing", "granted")
    _consent(a.id, "sms_marketing", "granted")
    _consent(a.id, "phone_marketing", "granted")
    _consent(b.id, "email_marketing", "withdrawn", basis="legitimate_interests")
    _consent(b.id, "profiling", "withdrawn")
    _consent(b.id, "phone_marketing", "granted")
    _touch(a.id, "tA", "page_view")
    _touch(b.id, "tB1", "webinar")
    _touch(b.id, "tB2", "store_visit")
    db.session.add_all(
        [
            Note(profile_id=a.id, author_id=staff.id, body="called A"),
            Note(profile_id=b.id, author_id=staff.id, body="met B at the fair"),
            DuplicateCandidate(
                profile_a_id=a.id, profile_b_id=b.id, score=0.8, reasons=["last name: exact"]
            ),
        ]
    )
    db.session.commit()
    return a.id, b.id


# --- merge --------------------------------------------------------------------------------


def test_merge_moves_everything_to_the_survivor(pair, staff):
    a, b = pair
    before_a, before_b = snapshot(a), snapshot(b)

    merge = merging.merge_profiles(a, b, actor=staff, rule="manual", reasons=["same person"])

    after = snapshot(a)
    assert after["source_record_ids"] == sorted(
        before_a["source_record_ids"] + before_b["source_record_ids"]
    )
    assert {s["external_id"] for s in after["source_records"]} == {"A1", "A2", "B1", "B2"}
    assert set(after["emails"]) == set(before_a["emails"]) | set(before_b["emails"])
    assert after["email"] == before_a["email"]  # the survivor's primary address stays primary
    assert sum(primary for _, _, primary in after["email_rows"]) == 1
    assert set(after["phones"]) == set(before_a["phones"]) | set(before_b["phones"])
    assert after["phone"] == before_a["phone"]
    assert after["tags"] == ["vip", "webinar"]
    assert after["touchpoint_ids"] == sorted(
        before_a["touchpoint_ids"] + before_b["touchpoint_ids"]
    )
    assert after["note_ids"] == sorted(before_a["note_ids"] + before_b["note_ids"])
    # Survivorship over all four records; the manual edit on the survivor keeps winning.
    assert after["city"] == "Milano"  # shop outranks newsletter
    assert after["postcode"] is None  # Rome's postcode is not a part of a Milan address
    assert after["birth_date"] == "1985-03-02"
    assert after["job_title"] == "Founder"
    # The more advanced stage wins, recorded as a move by the merge; both histories kept.
    assert after["stage"] == "sql"
    history = after["stage_history"]
    assert {h[0] for h in before_a["stage_history"] + before_b["stage_history"]} <= {
        h[0] for h in history
    }
    assert history[-1][1:] == ("mql", "sql", f"merge:{merge.id}")
    assert after["match_keys"]  # the survivor's blocking keys follow its merged values

    other = db.session.get(Profile, b)
    assert other.merged_into_id == a
    assert before_b["match_keys"]
    assert snapshot(b)["match_keys"] == []  # an absorbed profile is never a match candidate
    stored = db.session.get(Merge, merge.id)
    assert (stored.survivor_id, stored.merged_id, stored.rule) == (a, b, "manual")
    assert stored.reasons == ["same person"]
    assert stored.actor_user_id == staff.id
    candidate = db.session.scalar(select(DuplicateCandidate))
    assert candidate.status == "merged"


def test_merged_profile_is_hidden_from_search(pair, staff):
    a, b = pair
    merging.merge_profiles(a, b, actor=staff)

    rows, _ = profiles.search_profiles("Rossi")
    assert [p.id for p in rows] == [a]
    rows, _ = profiles.search_profiles("giulia.rossi@mail")
    assert [p.id for p in rows] == [a]


def test_withdrawal_survives_merge_and_a_later_grant_lifts_it(pair, staff):
    a, b = pair
    merge = merging.merge_profiles(a, b, actor=staff)

    consents = profiles.current_consents([a])[a]
    assert consents["email_marketing"] == "withdrawn"  # A granted, B withdrew
    assert consents["sms_marketing"] == "granted"  # only A had a record
    assert consents["profiling"] == "withdrawn"  # only B had a record
    assert consents["phone_marketing"] == "granted"  # both granted
    assert consents["third_party_sharing"] == "none"
    (synthetic,) = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.merge_id == merge.id)
    ).all()
    assert (synthetic.profile_id, synthetic.purpose, synthetic.status) == (
        a,
        "email_marketing",
        "withdrawn",
    )
    assert synthetic.legal_basis == "legitimate_interests"  # from the deciding record
    assert synthetic.evidence == {
        "merge_id": merge.id,
        "rule": "most restrictive of merged profiles",
    }

    _consent(a, "email_marketing", "granted", at=datetime.now(UTC) + timedelta(seconds=1))
    db.session.commit()
    assert profiles.current_consents([a])[a]["email_marketing"] == "granted"


def test_merge_is_audited_by_id_only(pair, staff):
    a, b = pair
    merge = merging.merge_profiles(a, b, actor=staff, rule="review", score=0.91)

    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "profile.merge"))
    assert entry.actor_user_id == staff.id
    assert entry.details == {
        "merge_id": merge.id,
        "survivor_id": a,
        "merged_id": b,
        "rule": "review",
        "score": 0.91,
    }
    assert "Rossi" not in str(entry.details) and "@" not in str(entry.details)


def test_merge_bumps_the_survivor_version(pair, staff):
    a, b = pair
    version = db.session.get(Profile, a).version
    merging.merge_profiles(a, b, actor=staff)
    db.session.expire_all()
    assert db.session.get(Profile, a).version > version


# --- undo ---------------------------------------------------------------------------------


def test_undo_restores_both_profiles_exactly(pair, staff):
    a, b = pair
    before_a, before_b = snapshot(a), snapshot(b)
    merge = merging.merge_profiles(a, b, actor=staff)
    assert snapshot(a) != before_a

    survivor, restored = merging.undo_merge(merge.id, actor=staff)

    assert (survivor.id, restored.id) == (a, b)
    assert snapshot(a) == before_a
    assert snapshot(b) == before_b
    stored = db.session.get(Merge, merge.id)
    assert stored.undone_at is not None and stored.undone_by_id == staff.id
    assert (
        db.session.scalars(select(ConsentRecord).where(ConsentRecord.merge_id.is_not(None))).all()
        == []
    )
    # An undo is a person saying they are two people: the pair is never proposed again.
    assert db.session.scalar(select(DuplicateCandidate)).status == "distinct"
    rows, _ = profiles.search_profiles("Rossi")
    assert {p.id for p in rows} == {a, b}
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "profile.merge_undo"))
    assert entry.details["merge_id"] == merge.id


def test_grant_after_merge_stays_with_the_survivor_after_undo(pair, staff):
    a, b = pair
    merge = merging.merge_profiles(a, b, actor=staff)
    _consent(a, "email_marketing", "granted", at=datetime.now(UTC) + timedelta(seconds=1))
    db.session.commit()

    merging.undo_merge(merge.id, actor=staff)

    assert profiles.current_consents([a, b]) == {
        a: {
            "email_marketing": "granted",
            "sms_marketing": "granted",
            "phone_marketing": "granted",
            "profiling": "none",
            "third_party_sharing": "none",
        },
        b: {
            "email_marketing": "withdrawn",
            "sms_marketing": "none",
            "phone_marketing": "granted",
            "profiling": "withdrawn",
            "third_party_sharing": "none",
        },
    }


def test_undo_twice_is_a_conflict(pair, staff):
    a, b = pair
    merge = merging.merge_profiles(a, b, actor=staff)
    merging.undo_merge(merge.id, actor=staff)

    with pytest.raises(ConflictError):
        merging.undo_merge(merge.id, actor=staff)


def test_undo_out_of_order_is_a_conflict(pair, staff):
    a, b = pair
    c = factories.make_profile(first_name="Giulia", last_name="Rossi").id
    first = merging.merge_profiles(a, b, actor=staff)
    second = merging.merge_profiles(a, c, actor=staff)

    with pytest.raises(ConflictError):
        merging.undo_merge(first.id, actor=staff)

    merging.undo_merge(second.id, actor=staff)
    merging.undo_merge(first.id, actor=staff)
    db.session.expire_all()
    assert [db.session.get(Profile, i).merged_into_id for i in (a, b, c)] == [None, None, None]


def test_undo_is_refused_while_the_survivor_is_merged_into_another(pair, staff):
    a, b = pair
    c = factories.make_profile().id
    first = merging.merge_profiles(a, b, actor=staff)
    merging.merge_profiles(c, a, actor=staff)

    with pytest.raises(ConflictError):
        merging.undo_merge(first.id, actor=staff)


def test_manual_edit_after_merge_survives_undo(pair, staff):
    a, b = pair
    before_a = snapshot(a)
    merge = merging.merge_profiles(a, b, actor=staff)
    profiles.update_profile(a, {"city": "Torino"}, expected_version=None, actor=staff)

    merging.undo_merge(merge.id, actor=staff)

    after = snapshot(a)
    assert after["city"] == "Torino"
    assert after["provenance"]["city"]["manual"] == staff.id
    # Everything else is back as it was.
    assert after["postcode"] is before_a["postcode"] is None
    assert after["birth_date"] is None
    assert after["job_title"] == "Founder"
    assert after["provenance"]["first_name"] == before_a["provenance"]["first_name"]


def _emails(profile_id: int) -> set[str]:
    db.session.expire_all()
    return {e.email for e in db.session.get(Profile, profile_id).emails}


def test_values_typed_on_the_absorbed_profile_and_removed_while_merged_come_back(app, staff):
    """A user test: a rep removed from a wrongly merged profile the email and phone typed
    by hand on the other person, then undid the merge; no record states them, so the
    restored person had lost them."""
    a = factories.make_profile(last_name="Neri", emails=["anna@example.it"])
    b = factories.make_profile(last_name="Neri", emails=["anna.b@example.it"])
    typed = {"emails": ["anna.b@example.it", "typed@example.it"], "phones": ["+393339999999"]}
    profiles.update_profile(b.id, typed, expected_version=None, actor=staff)
    merge = merging.merge_profiles(a.id, b.id, actor=staff)
    profiles.update_profile(
        a.id, {"emails": ["anna@example.it"], "phones": []}, expected_version=None, actor=staff
    )

    merging.undo_merge(merge.id, actor=staff)

    assert _emails(b.id) == {"anna.b@example.it", "typed@example.it"}
    assert [p.phone for p in db.session.get(Profile, b.id).phones] == ["+393339999999"]
    assert _emails(a.id) == {"anna@example.it"}
    undo = db.session.scalars(select(AuditLog).where(AuditLog.action == "profile.merge_undo")).one()
    assert undo.details["typed_back"] == 2


def test_a_typed_value_another_profile_took_meanwhile_stays_with_it_on_undo(app, staff):
    """The new row of the other profile may even have the removed row's id (SQLite gives
    the highest id again): the undo moves rows the survivor holds, not rows by id alone."""
    a = factories.make_profile(last_name="Neri", emails=["anna@example.it"])
    b = factories.make_profile(last_name="Neri", emails=["anna.b@example.it"])
    profiles.update_profile(
        b.id,
        {"emails": ["anna.b@example.it", "typed@example.it"]},
        expected_version=None,
        actor=staff,
    )
    merge = merging.merge_profiles(a.id, b.id, actor=staff)
    profiles.update_profile(
        a.id, {"emails": ["anna@example.it"]}, expected_version=None, actor=staff
    )
    c = factories.make_profile(last_name="Sala", emails=["typed@example.it"])

    merging.undo_merge(merge.id, actor=staff)

    assert _emails(b.id) == {"anna.b@example.it"}
    assert _emails(c.id) == {"typed@example.it"}


def _pair(a_id: int, b_id: int) -> DuplicateCandidate:
    db.session.expire_all()
    low, high = sorted((a_id, b_id))
    return db.session.scalars(
        select(DuplicateCandidate).where(
            DuplicateCandidate.profile_a_id == low, DuplicateCandidate.profile_b_id == high
        )
    ).one()


def test_an_earlier_merge_is_undone_with_the_later_ones_whose_pairs_are_reopened(app, staff):
    """A user test: to undo a wrong merge a rep had first to undo the later, right ones,
    and each of those undos recorded its pair as different people."""
    a, b, c, t, d = (factories.make_profile(last_name=f"Neri{n}").id for n in range(5))
    wrong = merging.merge_profiles(a, b, actor=staff)
    right = merging.merge_profiles(a, c, actor=staff, reasons=["email: same"])
    with pytest.raises(ConflictError):
        merging.undo_merge(wrong.id, actor=staff)
    away = merging.merge_profiles(t, a, actor=staff)  # a itself merged into t since
    later = merging.merge_profiles(t, d, actor=staff)

    merging.undo_merge(wrong.id, actor=staff, with_later=True)

    db.session.expire_all()
    assert all(db.session.get(Profile, pid).merged_into_id is None for pid in (a, b, c, t, d))
    assert all(db.session.get(Merge, m.id).undone_at for m in (wrong, right, away, later))
    assert _pair(a, b).status == "distinct"  # the one the person undid
    for x, y in ((a, c), (t, a), (t, d)):  # undone to reach it: to be decided again
        assert _pair(x, y).status == "open"
        assert _pair(x, y).reasons[0] == merging.REOPENED
    assert _pair(a, c).reasons[1:] == ["email: same"]
    undos = db.session.scalars(
        select(AuditLog).where(AuditLog.action == "profile.merge_undo").order_by(AuditLog.id)
    ).all()
    assert [u.details["merge_id"] for u in undos] == [later.id, away.id, right.id, wrong.id]
    assert [u.details["reopened"] for u in undos] == [True, True, True, False]


def test_with_later_undoes_only_the_merge_when_nothing_builds_on_it(app, staff):
    a, b = (factories.make_profile(last_name=f"Sala{n}").id for n in range(2))
    merge = merging.merge_profiles(a, b, actor=staff)
    merging.undo_merge(merge.id, actor=staff, with_later=True)
    assert _pair(a, b).status == "distinct"
    with pytest.raises(ConflictError):
        merging.undo_merge(merge.id, actor=staff, with_later=True)


def test_undo_of_unknown_merge_is_not_found(app, staff):
    with pytest.raises(NotFoundError):
        merging.undo_merge(12345, actor=staff)


# --- refusals -----------------------------------------------------------------------------


def test_distinct_pair_is_not_merged_automatically(pair, staff):
    a, b = pair
    candidate = db.session.scalar(select(DuplicateCandidate))
    candidate.status = "distinct"
    db.session.commit()

    for rule in ("auto", "review"):
        with pytest.raises(ValidationError):
            merging.merge_profiles(a, b, actor="rule:auto", rule=rule, score=0.99)
    assert db.session.get(Profile, b).merged_into_id is None

    with pytest.raises(ConflictError) as refused:  # a person must say they overrule it
        merging.merge_profiles(a, b, actor=staff, rule="manual")
    assert "confirm_distinct" in refused.value.fields
    assert db.session.get(Profile, b).merged_into_id is None

    merge = merging.merge_profiles(a, b, actor=staff, rule="manual", overrule_distinct=True)
    merging.undo_merge(merge.id, actor=staff)
    assert db.session.scalar(select(DuplicateCandidate)).status == "distinct"


def test_profile_cannot_merge_with_itself(pair, staff):
    with pytest.raises(ValidationError):
        merging.merge_profiles(pair[0], pair[0], actor=staff)


def test_already_merged_profile_cannot_merge_again(pair, staff):
    a, b = pair
    c = factories.make_profile().id
    merging.merge_profiles(a, b, actor=staff)

    with pytest.raises(ConflictError):  # a state, not the input: 409 in the API
        merging.merge_profiles(c, b, actor=staff)
    with pytest.raises(ConflictError):
        merging.merge_profiles(b, c, actor=staff)


def test_merge_with_missing_profile_is_not_found(pair, staff):
    with pytest.raises(NotFoundError):
        merging.merge_profiles(pair[0], 999999, actor=staff)


def test_unknown_rule_is_refused(pair, staff):
    with pytest.raises(ValidationError):
        merging.merge_profiles(*pair, actor=staff, rule="guess")


def test_history_lists_merges_into_a_profile(pair, staff):
    a, b = pair
    merge = merging.merge_profiles(a, b, actor=staff, reasons=["same person"])

    assert merging.merge_history(a) == [(merge, staff, None)]
    assert merging.merge_history(b) == []
    assert merging.absorbing_merge(b) == merge
    merging.undo_merge(merge.id, actor=staff)
    assert merging.absorbing_merge(b) is None
    assert merging.merge_history(a) == [(merge, staff, staff)]
    stages = [s.actor_label for s in db.session.scalars(select(StageChange))]
    assert f"merge:{merge.id}" not in stages


# --- the review queue follows a merge --------------------------------------------------------


def _open_pairs() -> set[tuple[int, int]]:
    rows, _cursor = duplicates.open_candidates(limit=100)
    return {(c.profile_a_id, c.profile_b_id) for c in rows}


def _three(app):
    a, b, c = (factories.make_profile(first_name="Giulia", last_name=n) for n in "ABC")
    duplicates.propose(a.id, b.id, 0.8, ["last name: typo"])
    duplicates.propose(b.id, c.id, 0.85, ["first name: exact", "city: same"])
    db.session.commit()
    return a.id, b.id, c.id


@pytest.mark.parametrize("bulk", [False, True])
def test_a_survivor_takes_over_the_open_pairs_of_the_profile_merged_into_it(app, bulk):
    a, b, c = _three(app)
    if bulk:
        (merge,) = merging.merge_many([(a, b, 0.8, ["last name: typo"])], actor="test")
    else:
        merge = merging.merge_profiles(a, b, actor="test", rule="review")
    # B was the one C may be; B is part of A now, so the queue asks about A and C.
    assert _open_pairs() == {(a, c)}
    carried = db.session.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.profile_a_id == a, DuplicateCandidate.profile_b_id == c
        )
    )
    assert carried.score == 0.85
    assert carried.reasons == [merging.CARRIED, "first name: exact", "city: same"]
    carried_id = carried.id
    # Undo: A's pair goes, B's comes back (A and B are two people now).
    merging.undo_merge(merge.id, actor="test")
    assert _open_pairs() == {(b, c)}
    assert db.session.scalar(select(DuplicateCandidate).filter_by(id=carried_id)) is None


def test_a_decision_on_a_carried_pair_outlives_the_undo_and_is_not_overridden(app):
    a, b, c = _three(app)
    duplicates.decide(duplicates.propose(a, c, 0.5, ["x"]).id, "distinct", actor="test")
    merge = merging.merge_profiles(a, b, actor="test", rule="review")
    # A and C were already told apart: B's pair with C does not reopen the question.
    assert _open_pairs() == set()
    merging.undo_merge(merge.id, actor="test")
    assert _open_pairs() == {(b, c)}
    assert duplicates.is_distinct(a, c)


def test_owner_score_and_tags_set_after_a_merge_survive_its_undo(pair, staff):
    a, b = pair
    rep = factories.make_user(role="sales", email="rep@example.com")
    merge = merging.merge_profiles(a, b, actor=staff)
    assert {t.name for t in db.session.get(Profile, a).tags} == {"vip", "webinar"}
    # After the merge a rep takes the lead, scores it, tags it and drops an old tag.
    profiles.update_profile(
        a,
        {"owner": rep.email, "score": 70, "tags": ["webinar", "hot"]},
        expected_version=None,
        actor=staff,
    )
    merging.undo_merge(merge.id, actor=staff)
    survivor, restored = db.session.get(Profile, a), db.session.get(Profile, b)
    assert (survivor.owner_id, survivor.score) == (rep.id, 70)
    # The merge's own gift (B's "webinar") goes back; the rep's choices stay.
    assert {t.name for t in survivor.tags} == {"hot"}
    assert {t.name for t in restored.tags} == {"webinar"}


def _recent(profile: Profile, when: datetime) -> None:
    """Stamp a profile's source records as last updated at when."""
    for record in profile.source_records:
        record.updated_at = when
    db.session.flush()
    survivorship.recompute(profile)
    db.session.commit()


@pytest.mark.parametrize("how", ["one", "many"])
def test_a_merge_keeps_when_the_moved_records_were_last_updated(app, staff, how):
    kept = _person(("newsletter", "N1", {"first_name": "Alessandro", "last_name": "Conti"}))
    absorbed = _person(("newsletter", "N2", {"first_name": "Alex", "last_name": "Conti"}))
    _recent(kept, LONG_AGO + timedelta(days=30))  # the kept profile's record is newer
    kept_id, absorbed_id = kept.id, absorbed.id
    if how == "one":
        merging.merge_profiles(kept_id, absorbed_id, actor=staff)
    else:
        merging.merge_many([(kept_id, absorbed_id, None, None)], actor=staff)
    db.session.expire_all()
    moved = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "N2"))
    assert moved.updated_at == LONG_AGO  # not the time of the merge
    # Same trust: the most recently updated record gives the name, as before the merge.
    assert db.session.get(Profile, kept_id).first_name == "Alessandro"
    merge = db.session.scalar(select(Merge).where(Merge.survivor_id == kept_id))
    merging.undo_merge(merge.id, actor=staff)
    db.session.expire_all()
    back = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "N2"))
    assert back.updated_at == LONG_AGO
    assert db.session.get(Profile, absorbed_id).first_name == "Alex"


def _holder_of(model, value: str) -> int:
    column = model.email if model is ProfileEmail else model.phone
    return db.session.scalar(select(model.profile_id).where(column == value))


def test_a_record_joining_through_the_absorbed_persons_email_leaves_with_them(app):
    withdrawn = [{"purpose": "email_marketing", "status": "withdrawn",
                  "recorded_at": "2026-01-01T10:00:00+00:00"}]  # fmt: skip
    (anna,) = _records("crm", {"external_id": "A1", "first_name": "Anna", "last_name": "Alfa",
                               "email": "anna@example.it", "consents": withdrawn})  # fmt: skip
    (bruno,) = _records("crm", {"external_id": "B1", "first_name": "Bruno",
                                "last_name": "Beta", "email": "bruno@example.it"})  # fmt: skip
    a, b = anna["profile_id"], bruno["profile_id"]
    merge = merging.merge_profiles(a, b, actor="test")  # a wrong merge
    granted = [{"purpose": "email_marketing", "status": "granted",
                "recorded_at": "2026-11-20T10:00:00+00:00"}]  # fmt: skip
    subscribes = {"external_id": "N1", "email": "Bruno@example.it", "phone": "+39 347 555 1234"}
    (joined,) = _records("newsletter", {**subscribes, "consents": granted})
    assert joined["profile_id"] == a

    merging.undo_merge(merge.id, actor="test")

    db.session.expire_all()
    newsletter = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "N1"))
    assert newsletter.profile_id == b
    assert _holder_of(ProfilePhone, "+393475551234") == b
    consents = profiles.current_consents([a, b])
    assert (consents[a]["email_marketing"], consents[b]["email_marketing"]) == (
        "withdrawn",
        "granted",
    )
    assert db.session.get(Profile, b).primary_phone == "+393475551234"
    assert db.session.get(Profile, a).phones == []


def test_what_the_absorbed_persons_own_record_brought_later_goes_back_with_it(app):
    (carla,) = _records("crm", {"external_id": "A1", "first_name": "Carla",
                                "last_name": "Alfa", "email": "carla@example.it"})  # fmt: skip
    (dino,) = _records("crm", {"external_id": "B1", "first_name": "Dino",
                               "last_name": "Beta", "email": "dino@example.it"})  # fmt: skip
    a, b = carla["profile_id"], dino["profile_id"]
    merge = merging.merge_profiles(a, b, actor="test")
    sms = [{"purpose": "sms_marketing", "status": "granted",
            "recorded_at": "2026-11-20T10:00:00+00:00"}]  # fmt: skip
    (again,) = _records("crm", {"external_id": "B1", "first_name": "Dino", "last_name": "Beta",
                                "email": "dino@example.it", "phone": "+39 348 1112223",
                                "consents": sms})  # fmt: skip
    assert again["outcome"] == "updated"

    merging.undo_merge(merge.id, actor="test")

    db.session.expire_all()
    assert _holder_of(ProfilePhone, "+393481112223") == b
    consents = profiles.current_consents([a, b])
    assert (consents[a]["sms_marketing"], consents[b]["sms_marketing"]) == ("none", "granted")


def test_a_record_that_names_both_people_stays_with_the_survivor(app):
    (anna,) = _records("crm", {"external_id": "A1", "first_name": "Anna", "last_name": "Alfa",
                               "email": "anna@example.it", "phone": "+39 02 1234567"})  # fmt: skip
    (bruno,) = _records("crm", {"external_id": "B1", "first_name": "Bruno",
                                "last_name": "Beta", "email": "bruno@example.it"})  # fmt: skip
    a, b = anna["profile_id"], bruno["profile_id"]
    merge = merging.merge_profiles(a, b, actor="test")
    _records("shop", {"external_id": "S1", "email": "bruno@example.it", "phone": "02 1234567"})

    merging.undo_merge(merge.id, actor="test")

    db.session.expire_all()
    shop = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "S1"))
    assert shop.profile_id == a  # the household's landline is Anna's too: nobody can tell


def test_a_withdrawal_on_a_record_naming_both_people_reaches_the_restored_one(app):
    sms = {"purpose": "sms_marketing", "recorded_at": "2025-01-01T10:00:00+00:00"}
    (gino,) = _records("ua", {"external_id": "x2", "first_name": "Gino", "last_name": "Blu",
                              "email": "gx@example.it", "phone": "+39 333 300 0001"})  # fmt: skip
    (rita,) = _records("ub", {"external_id": "y2", "first_name": "Rita", "last_name": "Gialli",
                              "email": "gy@example.it", "phone": "+39 333 300 0002",
                              "consents": [{**sms, "status": "granted"}]})  # fmt: skip
    a, b = gino["profile_id"], rita["profile_id"]
    merge = merging.merge_profiles(a, b, actor="test")
    withdrawn = {**sms, "status": "withdrawn", "recorded_at": "2025-05-01T10:00:00+00:00"}
    _records("uc", {"external_id": "z2", "first_name": "Rita", "last_name": "Gialli",
                    "email": "gy@example.it", "phone": "+39 333 300 0001",
                    "consents": [withdrawn]})  # fmt: skip

    merging.undo_merge(merge.id, actor="test")

    db.session.expire_all()
    z2 = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "z2"))
    assert z2.profile_id == a  # it names both: it stays with the survivor
    consents = profiles.current_consents([a, b])
    assert (consents[a]["sms_marketing"], consents[b]["sms_marketing"]) == (
        "withdrawn",
        "withdrawn",
    )
