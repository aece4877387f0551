"""Fuzzy identity resolution in the importer: auto-merge, review, never a silent wrong merge."""

import io
from datetime import date

from sqlalchemy import func, select

from crm.extensions import db
from crm.models import (
    DuplicateCandidate,
    ImportRejection,
    MatchKey,
    Merge,
    Profile,
    SourceRecord,
)
from crm.services import duplicates, ingest, match_keys, matching, merging, profiles
from tests.factories import import_records as _records

HEADER = "id,first_name,last_name,birth_date,postcode,city,address,email\n"
GIULIA = "1,Giulia,Ferraresi,1985-03-14,20121,Milano,Via Dante 12,giulia@example.com\n"


def _import(text: str, source: str = "web", **kwargs) -> dict:
    """Import CSV text from source."""
    stream = io.BytesIO(text.encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source, **kwargs)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _live_profiles() -> int:
    return _count(Profile, Profile.merged_into_id.is_(None))


def _keys(profile_id: int) -> set[str]:
    return set(db.session.scalars(select(MatchKey.key).where(MatchKey.profile_id == profile_id)))


def _giulia() -> Profile:
    return profiles.search_profiles("giulia@example.com")[0][0]


def test_typo_without_identifiers_is_merged_automatically_with_its_reasons(app):
    _import(HEADER + GIULIA)
    summary = _import(HEADER + "7,Giulia,Ferarresi,1985-03-14,20121,Milano,,\n", source="shop")
    assert (summary["merged"], summary["created"], summary["review"]) == (1, 0, 0)
    assert _live_profiles() == 1
    merge = db.session.scalar(select(Merge))
    assert (merge.rule, merge.survivor_id) == ("auto", _giulia().id)
    assert merge.score >= 0.92
    assert "birth date: same" in merge.reasons and "postcode: same" in merge.reasons
    assert "last name: typo" in merge.reasons
    record = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "7"))
    assert record.profile_id == merge.survivor_id


def test_auto_merge_can_be_undone(app):
    _import(HEADER + GIULIA)
    _import(HEADER + "7,Giulia,Ferarresi,1985-03-14,20121,Milano,,\n", source="shop")
    merge = db.session.scalar(select(Merge))
    merging.undo_merge(merge.id, actor="test")
    assert _live_profiles() == 2


def test_grey_zone_goes_to_the_review_queue(app):
    _import(HEADER + GIULIA)
    # Same name and place, nothing else to go on: maybe her, maybe not.
    summary = _import(HEADER + "8,Giulia,Ferraresi,,20121,Milano,,\n", source="fair")
    assert (summary["review"], summary["merged"], summary["created"]) == (1, 0, 0)
    assert _live_profiles() == 2
    pair = db.session.scalar(select(DuplicateCandidate))
    assert pair.status == "open"
    assert 0.75 <= pair.score < 0.92 or "no automatic merge" in " ".join(pair.reasons)
    assert "first name: exact" in pair.reasons
    assert _count(Merge) == 0


def test_household_member_is_never_merged_automatically(app):
    _import(HEADER + GIULIA)
    # Her brother: same surname and address, another first name and birth date.
    summary = _import(
        HEADER + "9,Giulio,Ferraresi,1988-07-02,20121,Milano,Via Dante 12,\n", source="shop"
    )
    assert summary["merged"] == 0
    assert _count(Merge) == 0
    assert _live_profiles() == 2


def test_unrelated_people_stay_apart_without_a_review(app):
    _import(HEADER + GIULIA)
    summary = _import(HEADER + "5,Marco,Bianchi,1970-01-01,00184,Roma,,\n")
    assert (summary["created"], summary["review"], summary["merged"]) == (1, 0, 0)
    assert _count(DuplicateCandidate) == 0


def test_a_pair_marked_distinct_is_not_merged_again(app):
    _import(HEADER + GIULIA)
    _import(HEADER + "8,Giulia,Ferraresi,,20121,Milano,,\n", source="fair")
    pair = db.session.scalar(select(DuplicateCandidate))
    duplicates.decide(pair.id, "distinct", actor="test")
    summary = _import(HEADER + "8,Giulia,Ferraresi,,20121,Milano,,\n", source="fair")
    assert summary["unchanged"] == 1
    summary = _import(HEADER + "8,Giulia,Ferraresi,,20121,Milano,Via Po 1,\n", source="fair")
    assert summary["updated"] == 1
    assert _count(Merge) == 0
    assert db.session.scalar(select(DuplicateCandidate.status)) == "distinct"
    assert _count(DuplicateCandidate) == 1


def test_same_person_twice_in_one_batch_is_merged(app):
    summary = _import(
        HEADER
        + "1,Giulia,Ferraresi,1985-03-14,20121,Milano,,\n"
        + "2,Giulia,Ferarresi,1985-03-14,20121,Milano,,\n"
    )
    assert (summary["created"], summary["merged"]) == (1, 1)
    assert _live_profiles() == 1
    assert db.session.scalar(select(Merge.rule)) == "auto"


def test_thresholds_come_from_the_app_config(app):
    app.config["MATCH_AUTO_THRESHOLD"] = 0.999999
    _import(HEADER + GIULIA)
    summary = _import(HEADER + "7,Giulia,Ferarresi,1985-03-14,20121,Milano,,\n", source="shop")
    assert (summary["merged"], summary["review"]) == (0, 1)


def test_new_profiles_get_match_keys_and_merged_ones_lose_them(app):
    _import(HEADER + GIULIA)
    giulia = _giulia()
    expected = matching.blocking_keys(match_keys.person_of(giulia))
    assert expected and _keys(giulia.id) == expected
    _import(HEADER + "7,Giulia,Ferarresi,1985-03-14,20121,Milano,,\n", source="shop")
    merge = db.session.scalar(select(Merge))
    assert _keys(merge.merged_id) == set()
    assert _keys(merge.survivor_id) == expected


def test_match_keys_follow_a_recomputed_profile(app):
    _import("id,first_name,last_name,email\n1,Giulia,Ferraresi,giulia@example.com\n")
    giulia = _giulia()
    before = _keys(giulia.id)
    _import("id,email,birth_date,postcode\n1,giulia@example.com,1985-03-14,20121\n", "shop")
    after = _keys(giulia.id)
    assert after != before
    assert after == matching.blocking_keys(match_keys.person_of(_giulia()))
    assert any(key.startswith("nb:") for key in after)


def test_refresh_rewrites_keys_after_a_manual_change(app):
    _import(HEADER + GIULIA)
    giulia = _giulia()
    giulia.last_name = "Verdi"
    assert match_keys.refresh(giulia) is True
    db.session.commit()
    assert _keys(giulia.id) == matching.blocking_keys(match_keys.person_of(giulia))
    assert match_keys.refresh(giulia) is False


def test_candidates_per_row_are_capped(app, monkeypatch):
    rows = "".join(f"{n},Giulia,Ferraresi,,,Milano,,g{n}@example.com\n" for n in range(6))
    _import(HEADER + rows)
    monkeypatch.setattr(ingest, "MAX_CANDIDATES", 2)
    compared = []
    real = matching.may_match  # every candidate a row weighs passes through it first
    monkeypatch.setattr(
        matching, "may_match", lambda a, b, t, **kw: compared.append(b) or real(a, b, t, **kw)
    )
    _import(HEADER + "99,Giulia,Ferraresi,,,Milano,,\n", source="fair")
    assert len(compared) == 2


PHONE_HEADER = "id,first_name,last_name,birth_date,city,address,phone,email\n"
LANDLINE = "02 7654321"


def test_household_landline_does_not_join_two_people(app):
    _import(PHONE_HEADER + f"1,Giulia,Ferraresi,1985-03-14,Milano,Via Dante 12,{LANDLINE},\n")
    # Her husband gives the family landline: another first name, so not proof of one person.
    summary = _import(
        PHONE_HEADER + f"2,Paolo,Ferraresi,1980-11-02,Milano,Via Dante 12,{LANDLINE},\n",
        source="shop",
    )
    assert summary["merged"] == 0
    assert _live_profiles() == 2
    assert _count(Merge) == 0
    paolo = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "2"))
    giulia = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "1"))
    assert paolo.profile_id != giulia.profile_id
    # The landline stays with its holder; the row reports the clash.
    assert [p.phone for p in db.session.get(Profile, paolo.profile_id).phones] == []
    assert summary["warnings"] == 1


def test_household_landline_in_one_batch_does_not_join_either(app):
    summary = _import(
        PHONE_HEADER
        + f"1,Giulia,Ferraresi,1985-03-14,Milano,Via Dante 12,{LANDLINE},\n"
        + f"2,Paolo,Ferraresi,1980-11-02,Milano,Via Dante 12,{LANDLINE},\n"
    )
    assert (summary["created"], summary["merged"]) == (2, 0)
    assert _live_profiles() == 2


def test_father_and_son_of_one_name_on_the_home_phone_are_two_people(app):
    _import(PHONE_HEADER + f"1,Luca,Moretti,1955-04-18,Bologna,Via Indipendenza 10,{LANDLINE},\n")
    # His son, same name, same landline, born thirty years later: never silently one.
    summary = _import(
        PHONE_HEADER + f"2,Luca,Moretti,1985-12-03,,,{LANDLINE},luca85@example.com\n",
        source="shop",
    )
    assert (summary["merged"], summary["created"]) == (0, 1)
    assert _live_profiles() == 2 and _count(Merge) == 0
    father, son = (
        db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == n))
        for n in ("1", "2")
    )
    assert father.profile_id != son.profile_id
    # A birth date one digit off is a slip, not another person: the phone still joins.
    summary = _import(PHONE_HEADER + f"3,Luca,Moretti,1955-04-19,,,{LANDLINE},\n", source="crm")
    assert summary["merged"] == 1
    third = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "3"))
    assert third.profile_id == father.profile_id


def test_a_row_that_ties_two_profiles_by_their_identifiers_puts_them_in_review(app):
    _import(LATE + "1,Alessandro,Conti,,,,Conti Meccanica,a.conti@example.it,\n", "crm")
    _import(LATE + "H1,Alex,Conti,,,,Conti Meccanica S.p.A.,,348 7654321\n", "hubspot")
    office = profiles.search_profiles("a.conti@example.it")[0][0]
    mobile = profiles.search_profiles("348 7654321")[0][0]
    assert office.id != mobile.id and _pair_of(office.id, mobile.id) is None
    # His email and his mobile in one record: the two profiles are likely one person.
    summary = _import(LATE + "G1,Alessandro,Conti,,,,,a.conti@example.it,348 7654321\n")
    assert (summary["merged"], summary["warnings"]) == (1, 1)
    pair = _pair_of(office.id, mobile.id)
    assert pair is not None and pair.status == "open"
    assert pair.reasons[:2] == [ingest.TIED, "phone: same"]
    assert _count(Merge) == 0  # a person joins them


def test_a_relatives_landline_in_the_row_ties_nobody(app):
    _import(PHONE_HEADER + f"1,Giulia,Ferraresi,1985-03-14,Milano,,{LANDLINE},\n")
    _import(PHONE_HEADER + "2,Paolo,Ferraresi,1980-11-02,Milano,,,paolo@example.com\n", "shop")
    summary = _import(
        PHONE_HEADER + f"3,Paolo,Ferraresi,1980-11-02,,,{LANDLINE},paolo@example.com\n", "crm"
    )
    assert summary["merged"] == 1
    assert _count(DuplicateCandidate) == 0


def test_family_email_does_not_join_two_people(app):
    _import(PHONE_HEADER + "1,Giulia,Rossi,,Roma,,,famiglia.rossi@example.com\n")
    summary = _import(
        PHONE_HEADER + "2,Marco,Rossi,,Roma,,,famiglia.rossi@example.com\n", source="shop"
    )
    assert summary["merged"] == 0
    assert _live_profiles() == 2
    # Same surname and city, shared email: a person may look at it, never merged silently.
    assert summary["review"] <= 1


def test_same_person_with_a_nickname_joins_on_the_phone(app):
    _import(PHONE_HEADER + f"1,Giuseppe,Verdi,1970-05-01,Milano,,{LANDLINE},\n")
    summary = _import(PHONE_HEADER + f"2,Beppe,Verdi,,,,{LANDLINE},\n", source="shop")
    assert summary["merged"] == 1
    assert _live_profiles() == 1
    records = db.session.scalars(select(SourceRecord.profile_id)).all()
    assert len(set(records)) == 1


def test_a_typo_or_a_missing_first_name_does_not_stop_a_phone_join(app):
    _import(PHONE_HEADER + f"1,Giuseppe,Verdi,1970-05-01,Milano,,{LANDLINE},\n")
    summary = _import(
        PHONE_HEADER + f"2,Guiseppe,Verdi,,,,{LANDLINE},\n3,,Verdi,,,,{LANDLINE},\n",
        source="shop",
    )
    assert summary["merged"] == 2
    assert _live_profiles() == 1


def test_readable_keys_skip_huge_blocks_unless_every_block_is_huge():
    sizes = {"n:RS:g": 900, "nb:RS:1985": 40, "sw:JL:RS": 300}
    keys = set(sizes) | {"fb:JL:1985-03-14"}  # no profile holds it yet
    assert match_keys.readable_keys(keys, sizes, 250) == {"nb:RS:1985", "fb:JL:1985-03-14"}
    assert match_keys.readable_keys({"n:RS:g", "sw:JL:RS"}, sizes, 250) == {"sw:JL:RS"}
    assert match_keys.readable_keys(set(), sizes, 250) == set()


def test_a_row_whose_every_block_is_too_big_reads_its_most_specific_one():
    # Sizes are counted only up to the cap + 1, so they cannot tell the smallest apart.
    huge = {"n:RS:g": 101, "nl:rossi:g": 101, "sw:JL:RS": 101, "ci:milano:RS:g": 101}
    assert match_keys.readable_keys(huge, huge, 100) == {"ci:milano:RS:g"}
    del huge["ci:milano:RS:g"]
    assert match_keys.readable_keys(huge, huge, 100) == {"nl:rossi:g"}


def test_company_and_city_blocks_are_read_only_beside_a_block_too_big():
    rare = {"n:KY:b": 2, "ci:catania:KY:b": 1, "co:AKM:KY": 1}
    assert match_keys.readable_keys(rare, rare, 100) == {"n:KY:b"}
    common = {"n:RS:g": 3000, "nl:iors:g": 2500, "ci:milano:RS:g": 90, "co:AKM:RS": 3}
    assert match_keys.readable_keys(common, common, 100) == {"ci:milano:RS:g", "co:AKM:RS"}
    only_company = {"co:AKM:RS": 3}
    assert match_keys.readable_keys(only_company, only_company, 100) == {"co:AKM:RS"}


def test_block_sizes_count_the_profiles_holding_each_key(app):
    rows = "".join(f"{n},Giulia,Ferraresi,,,Milano,,g{n}@example.com\n" for n in range(3))
    _import(HEADER + rows)
    giulia = db.session.scalars(select(Profile)).first()
    keys = matching.blocking_keys(match_keys.person_of(giulia))
    assert match_keys.block_sizes([*keys, "nothing"]) == dict.fromkeys(keys, 3)


def test_a_huge_block_is_not_read_when_the_row_has_a_smaller_one(app, monkeypatch):
    # Three Giulia Ferraresi share the name keys; only one shares the birth-date keys.
    rows = "".join(f"{n},Giulia,Ferraresi,,,Milano,,g{n}@example.com\n" for n in range(3))
    _import(HEADER + rows + GIULIA.replace("1,", "9,", 1))
    monkeypatch.setattr(ingest, "MAX_BLOCK", 2)
    compared = []
    real = matching.may_match  # every candidate a row weighs passes through it first
    monkeypatch.setattr(
        matching, "may_match", lambda a, b, t, **kw: compared.append(b) or real(a, b, t, **kw)
    )
    summary = _import(HEADER + "7,Giulia,Ferarresi,1985-03-14,20121,Milano,,\n", source="shop")
    assert summary["merged"] == 1
    assert {p.birth_date for p in compared} == {date(1985, 3, 14)}  # screened, then weighed


PEOPLE = (
    "id,first_name,last_name,birth_date,postcode,city,address,email,phone\n"
    "1,Giulia,Ferraresi,1985-03-14,20121,Milano,Via Dante 12,giulia@example.com,333 1234567\n"
    "2,Paolo,Ferraresi,1980-11-02,20121,Milano,Via Dante 12,paolo@example.com,02 7654321\n"
    "3,Giulia,Ferraresi,1990-07-01,00184,Roma,Via Nazionale 3,g.f@example.org,347 7654321\n"
    "4,Francesca,Bianchi,1979-01-09,10121,Torino,Corso Italia 1,fra@example.com,\n"
    "5,Francesco,Bianchi,1979-01-09,10121,Torino,Corso Italia 1,,340 1112223\n"
    "6,Maria Grazia,Russo,,40121,Bologna,,mg.russo@example.com,\n"
)
VISITORS = (
    "id,first_name,last_name,birth_date,postcode,city,address,email,phone\n"
    "a,Giulia,Ferarresi,1985-03-14,20121,Milano,,,\n"  # typo: merges with 1
    "b,Giulia,Ferraresi,,20121,Milano,,,\n"  # 1 or a namesake: review
    "c,Ferraresi,Giulia,1990-07-01,00184,Roma,,,\n"  # swapped names: 3
    "d,Francesca,Bianchi,,10121,Torino,Corso Italia 1,,\n"  # 4, not her brother
    "e,Grazia,Russo,,40121,Bologna,,,\n"  # partial first name: review at most
    "f,Giulio,Ferraresi,1985-03-14,20121,Milano,,,333 1234567\n"  # 1's phone, other name
)


def _outcome() -> tuple:
    """Who ended up with whom, and which pairs wait for review (by external ids)."""
    by_profile: dict[int, list[str]] = {}
    for record in db.session.scalars(select(SourceRecord)):
        by_profile.setdefault(record.profile_id, []).append(record.external_id)
    groups = sorted(sorted(ids) for ids in by_profile.values())
    named = {pid: ",".join(sorted(ids)) for pid, ids in by_profile.items()}
    pairs = sorted(
        tuple(sorted((named.get(c.profile_a_id, "?"), named.get(c.profile_b_id, "?"))))
        for c in db.session.scalars(select(DuplicateCandidate))
    )
    return groups, pairs


def test_screening_candidates_ahead_changes_no_decision(app, monkeypatch):
    """The batch-wide screen on views without identifiers keeps every pair the scorer would."""
    _import(PEOPLE, source="shop")
    first = _import(VISITORS, source="fair")
    screened = _outcome()
    assert first["merged"] >= 2 and first["review"] >= 1
    db.session.execute(DuplicateCandidate.__table__.delete())
    db.session.execute(Merge.__table__.delete())
    db.session.execute(SourceRecord.__table__.delete())
    db.session.execute(MatchKey.__table__.delete())
    db.session.execute(Profile.__table__.delete())
    db.session.commit()

    def unscreened(self, items):
        for item in items:
            item.passed = None
        ids = {pid for item in items for pid, _ in self._ranked(item, include_new=False)}
        self.persons.update(self.run.persons.get_many(ids - set(self.persons)))

    monkeypatch.setattr(ingest._Batch, "_screen", unscreened)
    _import(PEOPLE, source="shop")
    second = _import(VISITORS, source="fair")
    assert (second["merged"], second["review"], second["created"]) == (
        first["merged"],
        first["review"],
        first["created"],
    )
    assert _outcome() == screened


def test_a_shared_tax_code_joins_a_married_name_from_another_source(app):
    _import(
        "id,first_name,last_name,email,codice fiscale\n1,Maria,Rossi,maria@a.it,RSSMRA85T10A562S\n"
    )
    summary = _import(
        "id,Nome,Cognome,E-mail,Codice Fiscale\n7,Maria,Bianchi,mb@b.it,rssmra85t10a562s\n",
        source="shop",
    )
    assert summary["merged"] == 1
    assert _live_profiles() == 1
    profile = profiles.search_profiles("mb@b.it")[0][0]
    assert profile.tax_id == "RSSMRA85T10A562S"
    assert {e.email for e in profile.emails} == {"maria@a.it", "mb@b.it"}


def test_different_tax_codes_keep_namesakes_from_an_automatic_merge(app):
    header = "id,first_name,last_name,birth_date,cap,tax_id\n"
    _import(header + "1,Mario,Rossi,1985-12-10,20121,RSSMRA85T10A562S\n")
    summary = _import(header + "2,Mario,Rossi,1985-12-10,20121,RSSMRA85T10F205R\n", source="shop")
    # Same name, birth date and postcode: without the ids, a merge; with them, a review.
    assert (summary["created"], summary["merged"], summary["review"]) == (0, 0, 1)
    assert _live_profiles() == 2


def test_the_profile_cache_is_sized_by_config_and_any_size_matches_alike(app, monkeypatch):
    sizes = []
    original = ingest._PersonCache.__init__

    def spy(self, size):
        sizes.append(size)
        original(self, size)

    monkeypatch.setattr(ingest._PersonCache, "__init__", spy)
    app.config["IMPORT_PROFILE_CACHE"] = 1  # every candidate read again from the database
    _import(HEADER + GIULIA + "2,Marco,Bianchi,1970-01-02,00184,Roma,,\n")
    summary = _import(HEADER + "7,Giulia,Ferarresi,1985-03-14,20121,Milano,,\n", source="shop")
    assert sizes == [1, 1]
    assert (summary["merged"], summary["created"], summary["review"]) == (1, 0, 0)
    assert _live_profiles() == 2


BADGE = "id,name,company,city\n"


def test_a_badge_scan_of_a_name_alone_in_its_city_goes_to_review(app):
    _import(
        "id,first_name,last_name,city,email\n"
        "1,Bjorn,Kaya,Catania,bjorn@example.com\n"
        "2,Maria,Rossi,Catania,maria@example.com\n"
        "3,Mario,Rossi,Catania,mario@example.com\n",
        source="shop",
    )
    summary = _import(BADGE + "B1,Bjorn Kaya,Acme Srl,Catania\n", source="fair")
    assert (summary["review"], summary["merged"]) == (1, 0)  # a person decides
    pair = db.session.scalar(select(DuplicateCandidate))
    assert "name: no namesake in the city" in pair.reasons
    # A name with namesakes in the city (two M. Rossi in Catania) is not enough.
    summary = _import(BADGE + "B2,Maria Rossi,Beta Spa,Catania\n", source="fair")
    assert (summary["review"], summary["created"]) == (0, 1)


def test_a_badge_scan_finds_its_colleague_record_by_company_in_a_crowd(app, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_BLOCK", 3)
    monkeypatch.setattr(ingest, "MAX_CANDIDATES", 3)
    companies = ("Acme", "Brera", "Cosmo", "Delta", "Etna", "Faro", "Gelso", "Iride")
    crowd = "".join(
        f"{n},Giulia,Rossi,,giulia{n}@example.com,{company} Srl\n"
        for n, company in enumerate(companies, start=1)
    )
    _import("id,first_name,last_name,city,email,company\n" + crowd, source="crm")
    summary = _import(BADGE + "B1,Giulia Rossi,GELSO S.r.l.,\n", source="fair")
    assert summary["review"] == 1
    pair = db.session.scalar(select(DuplicateCandidate))
    holder = profiles.search_profiles("giulia7@example.com")[0][0]
    assert holder.id in (pair.profile_a_id, pair.profile_b_id)


def _pair_of(a: int, b: int) -> DuplicateCandidate | None:
    low, high = sorted((a, b))
    return db.session.scalar(
        select(DuplicateCandidate).where(
            DuplicateCandidate.profile_a_id == low, DuplicateCandidate.profile_b_id == high
        )
    )


LATE = "id,first_name,last_name,birth_date,postcode,city,company,email,phone\n"


def test_a_profile_given_a_company_by_its_email_is_weighed_again_with_its_namesakes(app):
    _import(LATE + "1,Giulia,Ferraresi,,,,,giulia@example.com,\n", source="shop")
    _import(LATE + "C1,Giulia,Ferraresi,,,Milano,Acme Srl,g.ferraresi@acme.it,\n", source="crm")
    shop = profiles.search_profiles("giulia@example.com")[0][0]
    office = profiles.search_profiles("g.ferraresi@acme.it")[0][0]
    assert _pair_of(shop.id, office.id) is None  # a name alone: nothing to go on
    # A badge scan joins the shop profile by its email and says where she works.
    summary = _import(LATE + "B1,Giulia,Ferraresi,,,Milano,ACME S.r.l.,giulia@example.com,\n")
    assert (summary["merged"], summary["rematched"]) == (1, 1)
    pair = _pair_of(shop.id, office.id)
    assert pair is not None and pair.status == "open"
    assert pair.reasons[0] == "evidence added by an import"
    assert "company: same" in pair.reasons
    # The same evidence again changes nothing: the profile joined no new block.
    summary = _import(LATE + "B2,Giulia,Ferraresi,,,Milano,Acme Srl,giulia@example.com,\n")
    assert summary["rematched"] == 0
    assert _count(DuplicateCandidate) == 1


def test_a_pair_already_in_the_queue_is_not_counted_again_when_weighed_again(app):
    _import(LATE + "1,Giulia,Ferraresi,,,,,giulia@example.com,\n", source="shop")
    _import(LATE + "C1,Giulia,Ferraresi,,,,Acme Srl,g.ferraresi@acme.it,\n", source="crm")
    summary = _import(LATE + "B1,Giulia,Ferraresi,,,Milano,ACME S.r.l.,giulia@example.com,\n")
    assert summary["rematched"] == 1 and _count(DuplicateCandidate) == 1
    # The office profile now learns her city (a block the shop profile is in), and is
    # weighed again against it: the pair is in the queue already, nothing new to count.
    summary = _import(LATE + "B2,Giulia,Ferraresi,,,Milano,Acme Srl,g.ferraresi@acme.it,\n")
    assert summary["rematched"] == 0
    assert _count(DuplicateCandidate) == 1


def test_evidence_added_later_can_merge_two_earlier_profiles_and_undo_restores_both(app):
    _import(LATE + "1,Marco,Bellandi,,,,,marco@example.com,\n", source="shop")
    _import(LATE + "C1,Marco,Bellandi,1979-05-02,50122,Firenze,,,055 123456\n", source="crm")
    assert _live_profiles() == 2
    # The phone company's record joins the shop profile by email, with his birth date and
    # postcode: the two earlier profiles now agree on name, birth date and postcode.
    summary = _import(LATE + "T1,Marco,Bellandi,02/05/1979,50122,Firenze,,marco@example.com,\n")
    assert summary["rematched"] == 1
    assert _live_profiles() == 1
    merge = db.session.scalar(select(Merge))
    assert merge.rule == "auto" and "evidence added by an import" in merge.reasons
    merging.undo_merge(merge.id, actor="test")
    assert _live_profiles() == 2


def test_the_survivor_of_an_automatic_merge_is_weighed_again_with_what_the_row_brought(app):
    _import(LATE + "1,Giulia,Ferraresi,1985-03-14,20121,Milano,,giulia@example.com,\n", "shop")
    _import(LATE + "C1,Giulia,Ferraresi,,,,Acme Srl,g.ferraresi@acme.it,\n", source="crm")
    shop = profiles.search_profiles("giulia@example.com")[0][0]
    office = profiles.search_profiles("g.ferraresi@acme.it")[0][0]
    assert _pair_of(shop.id, office.id) is None  # a name alone: nothing to go on
    # A badge scan with her birth date, postcode and company, and no email: the scorer
    # merges it into the shop profile, which now knows where she works.
    summary = _import(LATE + "B1,Giulia,Ferraresi,14/03/1985,20121,Milano,ACME S.r.l.,,\n")
    assert (summary["merged"], summary["rematched"]) == (1, 1)
    merge = db.session.scalar(select(Merge))
    assert (merge.rule, merge.survivor_id) == ("auto", shop.id)
    pair = _pair_of(shop.id, office.id)
    assert pair is not None and pair.status == "open"
    assert pair.reasons[0] == duplicates.AFTER_MERGE
    assert "company: same" in pair.reasons


def test_weighing_again_never_revives_a_pair_marked_distinct(app):
    _import(LATE + "1,Marco,Bellandi,,,,,marco@example.com,\n", source="shop")
    _import(LATE + "C1,Marco,Bellandi,1979-05-02,50122,Firenze,,,055 123456\n", source="crm")
    shop = profiles.search_profiles("marco@example.com")[0][0]
    other = profiles.search_profiles("055 123456")[0][0]
    pair = duplicates.propose(shop.id, other.id, 0.5, ["a reviewer looked"])
    duplicates.decide(pair.id, "distinct", actor="test")
    _import(LATE + "T1,Marco,Bellandi,02/05/1979,50122,Firenze,,marco@example.com,\n")
    assert _live_profiles() == 2
    assert _pair_of(shop.id, other.id).status == "distinct"


def test_a_batch_stored_again_counts_its_pairs_weighed_again_once(app, monkeypatch):
    from sqlalchemy.orm.exc import StaleDataError

    _import(LATE + "1,Giulia,Ferraresi,,,,,giulia@example.com,\n", source="shop")
    _import(LATE + "C1,Giulia,Ferraresi,,,Milano,Acme Srl,g.ferraresi@acme.it,\n", source="crm")
    real, calls = ingest._propose_many, []

    def refused_once(proposals):
        calls.append(len(proposals))
        if len(calls) == 1:  # the whole batch is rolled back and stored again row by row
            raise StaleDataError("another writer changed a profile meanwhile")
        return real(proposals)

    monkeypatch.setattr(ingest, "_propose_many", refused_once)
    summary = _import(LATE + "B1,Giulia,Ferraresi,,,Milano,Acme Srl,giulia@example.com,\n")
    assert calls == [1, 1]
    assert (summary["merged"], summary["rematched"]) == (1, 1)
    assert _count(DuplicateCandidate) == 1


def test_screening_views_are_kept_between_batches_and_dropped_with_the_profile(app, monkeypatch):
    _import(HEADER + GIULIA + "2,Marco,Bianchi,1970-01-02,00184,Roma,,marco@example.com\n")
    ids = set(db.session.scalars(select(Profile.id)))
    reads = []
    real = ingest._persons

    def counted(wanted, *, identifiers=True):
        reads.append((frozenset(wanted), identifiers))
        return real(wanted, identifiers=identifiers)

    monkeypatch.setattr(ingest, "_persons", counted)
    cache = ingest._PersonCache(10)
    first = cache.get_many(ids, identifiers=False)
    assert cache.get_many(ids, identifiers=False) == first  # no second read
    assert reads == [(frozenset(ids), False)] and all(not p.emails for p in first.values())
    # The full view is read when asked for, and serves screening from then on.
    giulia = min(ids)
    assert cache.get_many({giulia})[giulia].emails == ("giulia@example.com",)
    assert cache.get_many(ids, identifiers=False)[giulia].emails == ("giulia@example.com",)
    assert len(reads) == 2
    cache.forget(ids)
    cache.get_many(ids, identifiers=False)
    assert len(reads) == 3
    # Bounded like the full views: the least recently used goes first.
    small = ingest._PersonCache(1)
    small.get_many(ids, identifiers=False)
    assert len(small.screens) == 1


def test_a_not_merged_warning_is_taken_back_when_the_import_then_merges_the_two(app):
    _import(LATE + "1,Marco,Bellandi,,,,,marco@example.com,\n", source="shop")
    _import(LATE + "C1,Marco,Bellandi,1979-05-02,50122,Firenze,,,055 123456\n", source="crm")
    # Joins the shop profile by email; its phone is the crm profile's. With the birth date
    # and postcode it brings, the two profiles are then merged by this same import.
    row = "T1,Marco,Bellandi,02/05/1979,50122,Firenze,,marco@example.com,055 123456\n"
    summary = _import(LATE + row)
    assert _live_profiles() == 1
    reasons = list(db.session.scalars(select(ImportRejection.reason)))
    assert not any("not merged" in reason for reason in reasons), reasons
    assert summary["warnings"] == 0


def test_an_undone_automatic_merge_is_not_made_again_by_a_later_record(app):
    paolo = {"first_name": "Paolo", "last_name": "Ferri", "birth_date": "1975-03-04",
             "address": "Via Garibaldi 12", "postcode": "40121", "city": "Bologna"}  # fmt: skip
    (x,) = _records("web", {**paolo, "external_id": "X", "email": "px@example.it",
                            "company": "Ducati"})  # fmt: skip
    (y,) = _records("shop", {**paolo, "external_id": "Y", "email": "py@example.it"})
    assert y["outcome"] == "merged"
    merge = db.session.scalar(select(Merge))
    merging.undo_merge(merge.id, actor="test")  # a person: two people
    # Y's record comes again with X's company: the rules weigh them, and keep them apart.
    (again,) = _records("shop", {**paolo, "external_id": "Y", "email": "py@example.it",
                                 "company": "Ducati"})  # fmt: skip
    assert again["outcome"] != "review"
    assert _count(Merge, Merge.undone_at.is_(None)) == 0
    assert _count(DuplicateCandidate, DuplicateCandidate.status == "open") == 0
    assert x["profile_id"] != again["profile_id"]


def test_a_decision_about_one_profile_holds_after_it_is_merged_into_another(app):
    marco = {"first_name": "Marco", "last_name": "Neri", "birth_date": "1980-05-06",
             "city": "Genova"}  # fmt: skip
    (x,) = _records("web", {**marco, "external_id": "X", "email": "mx@example.it"})
    (y,) = _records("shop", {**marco, "external_id": "Y", "email": "my@example.it"})
    pair = duplicates.open_candidates()[0][0]
    duplicates.decide(pair.id, "distinct", actor="test")
    (z,) = _records("crm", {"first_name": "Marco", "last_name": "Neri", "external_id": "Z",
                            "email": "mz@example.it", "company": "Ansaldo"})  # fmt: skip
    merging.merge_profiles(z["profile_id"], x["profile_id"], actor="test")
    # Y gains what Z has: the rules would merge them, but X (now Z) is not Y.
    (again,) = _records("shop", {**marco, "external_id": "Y", "email": "my@example.it",
                                 "company": "Ansaldo", "address": "Via Roma 1"})  # fmt: skip
    assert db.session.get(Profile, again["profile_id"]).merged_into_id is None
    assert again["profile_id"] != z["profile_id"]
    open_pairs = duplicates.open_candidates()[0]
    assert {(c.profile_a_id, c.profile_b_id) for c in open_pairs}.isdisjoint(
        {tuple(sorted((again["profile_id"], z["profile_id"])))}
    )
