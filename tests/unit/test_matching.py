"""Identity resolution scorer: blocking keys and pair decisions (pure functions)."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.services.matching import (
    Decision,
    Person,
    Thresholds,
    blocking_keys,
    compare,
    may_match,
    person_from_fields,
    place_key,
    weigh,
)
from crm.services.nicknames import NAME_GROUPS

FAST = settings(max_examples=80, deadline=None, database=None)

BORN = date(1980, 5, 17)
GIUSEPPE = Person(
    first_name="Giuseppe",
    last_name="Verdi",
    birth_date=BORN,
    emails=("giuseppe.verdi@example.com",),
    phones=("+393331234567",),
    company="Acme S.r.l.",
    address="Via Roma, 12",
    postcode="20121",
    city="Milano",
    country="IT",
)


def _bare(p: Person, **changes) -> Person:
    """The person without identifiers (emails, phones), so only fuzzy evidence remains."""
    return replace(p, emails=(), phones=(), **changes)


def _shares_block(a: Person, b: Person) -> bool:
    return bool(blocking_keys(a) & blocking_keys(b))


# --- Positive cases ------------------------------------------------------------------


def test_identical_records_merge():
    decision = compare(GIUSEPPE, GIUSEPPE)
    assert isinstance(decision, Decision)
    assert decision.outcome == "merge"
    assert decision.score >= 0.99
    assert decision.veto is None


def test_typo_in_first_name_merges():
    a = _bare(GIUSEPPE)
    b = _bare(GIUSEPPE, first_name="Guiseppe", company=None, address=None)
    decision = compare(a, b)
    assert decision.outcome == "merge"
    assert "first name: typo" in decision.reasons
    assert _shares_block(a, b)


def test_transposed_letters_in_last_name_merge():
    a = _bare(GIUSEPPE)
    b = _bare(GIUSEPPE, last_name="Vedri")
    decision = compare(a, b)
    assert decision.outcome == "merge"
    assert "last name: typo" in decision.reasons
    assert _shares_block(a, b)


def test_dropped_double_letter_in_last_name_merges():
    a = Person("Anna", "Rossi", BORN, postcode="00184")
    b = Person("Anna", "Rosi", BORN, postcode="00184")
    assert compare(a, b).outcome == "merge"
    assert _shares_block(a, b)


@pytest.mark.parametrize(
    ("nickname", "name"),
    [("Beppe", "Giuseppe"), ("Bob", "Robert"), ("Liz", "Elizabeth"), ("Gianni", "Giovanni")],
)
def test_nickname_merges(nickname, name):
    a = Person(name, "Smith", BORN, postcode="20121")
    b = Person(nickname, "Smith", BORN, postcode="20121")
    decision = compare(a, b)
    assert decision.outcome == "merge"
    assert "first name: nickname" in decision.reasons
    assert _shares_block(a, b)


def test_nickname_and_typo_merge():
    a = Person("Giuseppe", "Ferrari", BORN, postcode="40121", city="Bologna")
    b = Person("Peppe", "Ferarri", BORN, postcode="40121")
    decision = compare(a, b)
    assert decision.outcome == "merge"
    assert "first name: nickname" in decision.reasons
    assert "last name: typo" in decision.reasons
    assert _shares_block(a, b)


def test_swapped_names_merge():
    a = _bare(GIUSEPPE)
    b = _bare(GIUSEPPE, first_name="Verdi", last_name="Giuseppe")
    decision = compare(a, b)
    assert decision.outcome == "merge"
    assert "names: swapped" in decision.reasons


def test_swapped_names_share_a_block():
    a = Person("Giuseppe", "Verdi")
    b = Person("Verdi", "Giuseppe")
    assert _shares_block(a, b)
    assert _shares_block(Person("Beppe", "Verdi"), Person("Verdi", "Giuseppe"))


def test_accents_case_and_particles_merge():
    a = Person("NICOLÒ", "D'ANGELO", BORN, postcode="80121")
    b = Person("Nicolo", "D Angelo", BORN, postcode="80121")
    c = Person("Nicolò", "Dangelo", BORN, postcode="80121")
    for other in (b, c):
        decision = compare(a, other)
        assert decision.outcome == "merge"
        assert "first name: exact" in decision.reasons
        assert "last name: exact" in decision.reasons
        assert _shares_block(a, other)


def test_particle_dropped_counts_as_same_last_name():
    decision = compare(Person("Luca", "De Luca", BORN), Person("Luca", "Luca", BORN))
    assert "last name: exact" in decision.reasons


def test_compound_surname_counts_as_agreement():
    a = Person("María", "García López", BORN, postcode="28013")
    b = Person("María", "García", BORN, postcode="28013")
    decision = compare(a, b)
    assert "last name: compound" in decision.reasons
    assert decision.outcome == "merge"


def test_missing_company_and_postcode_do_not_count_against():
    full = _bare(GIUSEPPE)
    sparse = _bare(GIUSEPPE, company=None, postcode=None, city=None)
    assert compare(full, sparse).outcome == "merge"
    # A field missing on one side weighs exactly as a field missing on both sides...
    assert compare(full, sparse).score == compare(sparse, sparse).score
    # ...and more than a field that disagrees.
    moved = _bare(GIUSEPPE, company="Globex", postcode="00184", city="Roma")
    assert compare(full, sparse).score > compare(full, moved).score


def test_name_and_same_phone_merge():
    a = Person("Giuseppe", "Verdi", phones=("+393331234567",))
    b = Person("Giuseppe", "Verdi", phones=("+393331234567", "+390212345678"), city="Roma")
    decision = compare(a, b)
    assert decision.outcome == "merge"
    assert "phone: same" in decision.reasons


def test_new_address_with_same_name_and_birth_date_is_found():
    a = _bare(GIUSEPPE)
    b = _bare(GIUSEPPE, address="Corso Francia 3", postcode="10138", city="Torino")
    assert compare(a, b).outcome in ("merge", "review")
    assert _shares_block(a, b)


def test_same_address_with_house_number_is_place_evidence():
    a = Person("Giuseppe", "Verdi", BORN, address="Via Roma, 12")
    b = Person("Giuseppe", "Verdi", BORN, address="via Roma 12")
    c = Person("Giuseppe", "Verdi", BORN, address="Via Roma 14")
    assert compare(a, b).outcome == "merge"
    assert "address: same" in compare(a, b).reasons
    assert compare(a, c).outcome == "review"


def test_birth_date_typo_is_partial_not_veto():
    a = _bare(GIUSEPPE)
    swapped = _bare(GIUSEPPE, birth_date=date(1980, 5, 7))
    day_month = Person("Anna", "Rossi", date(1980, 5, 7), postcode="00184")
    other = Person("Anna", "Rossi", date(1980, 7, 5), postcode="00184")
    assert compare(a, swapped).veto is None
    assert "birth date: one digit off" in compare(a, swapped).reasons
    assert compare(day_month, other).veto is None
    assert "birth date: day and month swapped" in compare(day_month, other).reasons


# --- Hard negatives ------------------------------------------------------------------


def test_household_members_are_not_merged():
    husband = Person("Marco", "Bianchi", address="Via Roma, 12", postcode="20121", city="Milano")
    wife = Person("Laura", "Bianchi", address="Via Roma 12", postcode="20121", city="Milano")
    assert compare(husband, wife).outcome == "separate"
    son = replace(husband, first_name="Luca", birth_date=date(2001, 3, 2))
    father = replace(husband, birth_date=date(1970, 8, 9))
    assert compare(son, father).outcome == "separate"
    # Same first name (father and son), no birth dates: never automatically.
    assert compare(husband, replace(husband, birth_date=date(1999, 1, 1))).outcome != "merge"


def test_household_sharing_a_landline_is_not_merged():
    landline = ("+390212345678",)
    a = Person("Mario", "Bianchi", phones=landline, address="Via Roma 12", postcode="20121")
    b = Person("Maria", "Bianchi", phones=landline, address="Via Roma 12", postcode="20121")
    assert compare(a, b).outcome != "merge"


def test_twins_are_not_merged():
    a = Person("Luca", "Esposito", BORN, address="Via Toledo 5", postcode="80134", city="Napoli")
    b = replace(a, first_name="Matteo")
    assert compare(a, b).outcome == "separate"
    # Brother and sister whose names differ only in the last vowel.
    c, d = replace(a, first_name="Giulio"), replace(a, first_name="Giulia")
    assert compare(c, d).outcome == "separate"


def test_colleagues_at_one_company_are_not_merged():
    a = Person("Marco", "Ferrari", emails=("marco.ferrari@acme.example",), company="Acme Srl")
    b = Person("Paolo", "Ferrari", emails=("paolo.ferrari@acme.example",), company="Acme S.r.l.")
    decision = compare(a, b)
    assert decision.outcome == "separate"
    assert decision.veto == "same email domain, different first names"


def test_common_names_in_different_cities_are_separate():
    a = Person("Mario", "Rossi", city="Milano", country="IT")
    b = Person("Mario", "Rossi", city="Roma", country="IT")
    assert compare(a, b).outcome == "separate"


def test_name_alone_never_merges_automatically():
    a = Person("Mario", "Rossi")
    assert compare(a, a).outcome != "merge"
    with_birth = Person("Mario", "Rossi", BORN)
    assert compare(with_birth, with_birth).outcome == "review"


def test_different_birth_dates_veto():
    a = _bare(GIUSEPPE)
    b = _bare(GIUSEPPE, birth_date=date(1962, 11, 3))
    decision = compare(a, b)
    assert decision.outcome == "separate"
    assert decision.veto == "different birth dates"
    assert "veto: different birth dates" in decision.reasons


def test_ambiguous_nickname_is_not_merged_automatically():
    a = Person("Alessia", "Conti", BORN, postcode="50122")
    b = Person("Ale", "Conti", BORN, postcode="50122")
    assert compare(a, b).outcome == "review"
    # And two full names sharing a diminutive are different names.
    c = Person("Alessandro", "Conti", BORN, postcode="50122")
    assert compare(a, c).outcome == "separate"


def test_country_mismatch_penalises():
    a = Person("Anna", "Müller", BORN, country="DE")
    assert compare(a, replace(a, country="AT")).score < compare(a, a).score


# --- Blocking keys ---------------------------------------------------------------------


def test_blocking_keys_are_few_short_and_prefixed():
    keys = blocking_keys(GIUSEPPE)
    assert 1 <= len(keys) <= 10
    assert all(len(k) <= 80 and ":" in k for k in keys)
    assert not any(k == f"pc:{GIUSEPPE.postcode}" for k in keys)


def test_blocking_keys_come_only_from_present_fields():
    assert blocking_keys(Person()) == set()
    assert blocking_keys(Person(postcode="20121", city="Milano")) == set()
    only_first = blocking_keys(Person("Anna", birth_date=BORN))
    assert only_first and all(k.startswith("fb:") for k in only_first)


def test_blocking_keys_shared_by_typo_nickname_and_swap_variants():
    base = Person("Giuseppe", "Verdi", BORN, postcode="20121")
    variants = [
        replace(base, first_name="Guiseppe"),
        replace(base, last_name="Vedri"),
        replace(base, last_name="Verdy"),
        replace(base, first_name="Beppe"),
        replace(base, first_name="Verdi", last_name="Giuseppe"),
        replace(base, first_name="GIUSEPPE", last_name="VERDI", postcode=None),
        replace(base, birth_date=None),
    ]
    for variant in variants:
        assert _shares_block(base, variant), variant


def test_blocking_keys_long_values_stay_short():
    p = Person("A" * 200, "B" * 200, BORN, postcode="9" * 50)
    assert all(len(k) <= 80 for k in blocking_keys(p))


# --- Reasons hold no personal values --------------------------------------------------


def test_reasons_contain_no_personal_values():
    other = Person(
        "Verdi",
        "Giuseppe",
        date(1980, 5, 7),
        emails=("g.verdi@acme.example",),
        phones=("+393339999999",),
        company="Globex",
        address="Corso Como 8",
        postcode="20154",
        city="Milan",
        country="CH",
    )
    values = [
        "giuseppe",
        "verdi",
        "1980",
        "example",
        "acme",
        "globex",
        "roma",
        "como",
        "20121",
        "20154",
        "milan",
        "393",
        "@",
    ]
    for a, b in ((GIUSEPPE, other), (GIUSEPPE, GIUSEPPE), (GIUSEPPE, Person("Luca", "Verdi"))):
        decision = compare(a, b)
        text = " ".join(decision.reasons).lower() + " " + (decision.veto or "").lower()
        for value in values:
            assert value not in text, (value, decision.reasons)


# --- person_from_fields ------------------------------------------------------------------


def test_person_from_fields_reads_profile_fields():
    p = person_from_fields(
        {"first_name": "Anna", "last_name": "Rossi", "birth_date": "1980-05-17", "city": ""},
        emails=["Anna@Example.com"],
        phones=["+393331234567"],
    )
    assert p == Person(
        "Anna", "Rossi", BORN, emails=("anna@example.com",), phones=("+393331234567",)
    )
    assert person_from_fields({"birth_date": BORN}).birth_date == BORN
    assert person_from_fields({"birth_date": "not a date"}).birth_date is None


def test_nickname_table_is_large_enough():
    assert sum(len(variants) + len(diminutives) for variants, diminutives in NAME_GROUPS) >= 80


# --- Properties ------------------------------------------------------------------------

_names = st.text(alphabet="abcdefghilmnoprstuvzàèéòù", min_size=2, max_size=10).map(str.title)
_maybe = st.none() | _names
_people = st.builds(
    Person,
    first_name=_maybe | st.sampled_from(["Beppe", "Giuseppe", "Ale", "Alessia", "Verdi"]),
    last_name=_maybe | st.sampled_from(["Verdi", "Vedri", "De Luca", "Giuseppe"]),
    birth_date=st.none() | st.dates(date(1950, 1, 1), date(1952, 12, 31)),
    emails=st.lists(st.sampled_from(["a@x.it", "b@x.it", "c@y.it"]), max_size=2).map(tuple),
    phones=st.lists(st.sampled_from(["+39333", "+39334"]), max_size=2).map(tuple),
    company=st.none() | st.sampled_from(["Acme Srl", "Acme", "Globex"]),
    address=st.none() | st.sampled_from(["Via Roma 1", "Via Roma, 2", "Corso Italia 1"]),
    postcode=st.none() | st.sampled_from(["20121", "00184"]),
    city=st.none() | st.sampled_from(["Milano", "Roma", "Milaon", "San Donato", "Sandonato"]),
    country=st.none() | st.sampled_from(["IT", "DE"]),
    tax_id=st.none() | st.sampled_from(["RSSMRA85T10A562S", "RSSMRA85T10A562T", "5304218"]),
)


@FAST
@given(_people, _people)
def test_compare_is_symmetric_and_bounded(a, b):
    ab, ba = compare(a, b), compare(b, a)
    assert ab.score == ba.score
    assert ab.outcome == ba.outcome
    assert ab.veto == ba.veto
    assert 0.0 <= ab.score <= 1.0
    assert ab.outcome in ("merge", "review", "separate")


@FAST
@given(
    _names,
    _names,
    st.dates(date(1920, 1, 1), date(2010, 12, 31)),
    st.text("0123456789", min_size=5, max_size=5),
)
def test_a_complete_record_merges_with_itself(first, last, born, postcode):
    p = Person(first, last, born, postcode=postcode)
    assert compare(p, p).outcome == "merge"
    assert blocking_keys(p)


@FAST
@given(_people, _people)
def test_merge_needs_two_strong_signals_beyond_the_name(a, b):
    decision = compare(a, b)
    if decision.outcome == "merge":
        strong = sum(
            (
                "birth date: same" in decision.reasons,
                "postcode: same" in decision.reasons or "address: same" in decision.reasons,
                2 * ("email: same" in decision.reasons),
                2 * ("phone: same" in decision.reasons),
                2 * ("tax id: same" in decision.reasons),
            )
        )
        assert strong >= 2


def test_thresholds_move_the_outcome():
    a = Person("Giuseppe", "Verdi", BORN)
    assert compare(a, a).outcome == "review"
    assert compare(a, a, Thresholds(auto=0.9999, review=0.9999)).outcome == "separate"


_thresholds = st.tuples(st.floats(0.01, 0.99), st.floats(0.01, 0.99)).map(
    lambda t: Thresholds(auto=max(t), review=min(t))
)


@settings(max_examples=400, deadline=None, database=None)
@given(_people, _people, _thresholds, st.booleans())
def test_may_match_never_drops_a_pair_compare_would_keep(a, b, thresholds, alone):
    decision = compare(a, b, thresholds, alone_in_city=alone)
    if decision.outcome != "separate":
        assert may_match(a, b, thresholds, alone_in_city=alone)


@settings(max_examples=200, deadline=None, database=None)
@given(_people, _people, _thresholds, st.booleans())
def test_weigh_is_compare_without_the_pairs_to_keep_apart(a, b, thresholds, alone):
    decision = compare(a, b, thresholds, alone_in_city=alone)
    weighed = weigh(a, b, thresholds, alone_in_city=alone)
    assert weighed == (None if decision.outcome == "separate" else decision)


def test_a_name_alone_in_its_city_is_worth_a_review_never_a_merge():
    scan = Person("Bjorn", "Kaya", city="Catania", company="Acme Srl")
    till = Person("Bjorn", "Kaya", city="CATANIA", emails=("b@example.com",), phones=("+39333",))
    assert compare(scan, till).outcome == "separate"
    decision = compare(scan, till, alone_in_city=True)
    assert decision.outcome == "review"
    assert "name: no namesake in the city" in decision.reasons
    rich = Person("Bjorn", "Kaya", BORN, city="Catania")
    assert compare(rich, rich, alone_in_city=True).outcome == "review"  # still one signal
    # Only names that agree well as written, in the very same city, and no other address
    # or company there.
    for a, b in (
        (scan, replace(till, first_name="Bruno")),
        (scan, replace(till, city="Acireale")),
        (scan, replace(till, first_name="Kaya", last_name="Bjorn")),
        (scan, replace(till, company="Faro Spa")),
        (
            Person("Bjorn", "Kaya", city="Catania", address="Via Etnea 10"),
            Person("Bjorn", "Kaya", city="Catania", address="Via Plebiscito 4"),
        ),
    ):
        assert compare(a, b, alone_in_city=True).outcome == "separate", b


def test_the_place_key_is_the_city_block_of_the_name():
    key = place_key(Person("Giuseppe", "Verdi", city="Reggio Emilia"))
    assert key is not None and key.startswith("ci:reggioemilia:")
    assert key == place_key(Person("Beppe", "VERDI", city="reggio  emilia"))  # nickname
    assert key in blocking_keys(Person("Giuseppe", "Verdi", city="Reggio Emilia"))
    assert place_key(Person("Giuseppe", "Verdi")) is None
    assert place_key(Person(last_name="Verdi", city="Milano")) is None


def test_colleague_records_share_a_company_key():
    scan = Person("Giulia", "Rossi", company="Gelso S.r.l.")
    crm = Person("Giulia", "Rossi", company="GELSO SRL", emails=("g@gelso.it",))
    company_keys = {k for k in blocking_keys(scan) if k.startswith("co:")}
    assert company_keys and company_keys <= blocking_keys(crm)
    assert not company_keys & blocking_keys(replace(crm, company="Faro Srl"))


def test_may_match_prunes_hopeless_candidates_of_a_block():
    household = _bare(GIUSEPPE, first_name="Giulia", birth_date=date(1983, 2, 1))
    stranger = Person("Giorgio", "Verdi", city="Napoli")
    assert not may_match(_bare(GIUSEPPE), household)  # birth dates differ: vetoed
    assert not may_match(Person("Giuseppe", "Verdi", city="Milano"), stranger)
    assert may_match(_bare(GIUSEPPE), _bare(GIUSEPPE))


@FAST
@given(
    st.lists(st.sampled_from(["", "A@x.it", "a@x.it", "b@y.it"]), max_size=3),
    st.lists(st.sampled_from(["", "+39333", "+39334"]), max_size=3),
    st.sampled_from(["", None, "Giulia", 42]),
)
def test_person_from_fields_keeps_distinct_identifiers_sorted(emails, phones, name):
    person = person_from_fields({"first_name": name, "city": name}, emails, set(phones))
    assert person.emails == tuple(sorted({e.lower() for e in emails if e}))
    assert person.phones == tuple(sorted({p for p in phones if p}))
    expected = str(name) if name not in (None, "") else None
    assert (person.first_name, person.city) == (expected, expected)


# --- Evidence seen on public benchmark data (FEBRL): typos, moves, national ids ---------


def test_a_typo_inside_a_first_name_is_a_typo_but_a_new_ending_is_another_name():
    def first(a, b):
        return compare(Person(a, "Rossi"), Person(b, "Rossi")).reasons[0]

    assert first("Alessandra", "Alessadra") == "first name: typo"  # a letter dropped
    assert first("Harrison", "Harrisn") == "first name: typo"
    assert first("Kynan", "Kynzn") == "first name: typo"  # a letter replaced
    assert first("Robert", "Roberta") != "first name: typo"  # another name
    assert first("Giovanna", "Giovanni") == "first name: different"
    assert first("Frances", "Francis") != "first name: typo"  # one vowel for another
    assert first("Luca", "Lcua") == "first name: typo"  # short names: swapped letters only
    assert first("Lara", "Lana") != "first name: typo"


def test_a_city_with_a_typo_is_the_same_city():
    a = Person("Anna", "Rossi", BORN, city="Winston Hills")
    assert "city: typo" in compare(a, replace(a, city="Winstonbhills")).reasons
    assert "city: same" in compare(a, replace(a, city="winston  HILLS")).reasons
    assert "city: typo" in compare(a, replace(a, city="WinstonHills")).reasons
    assert "city: different" in compare(a, replace(a, city="Windsor")).reasons
    # Short names are not stretched: Roma and Rima are two places.
    roma = Person("Anna", "Rossi", city="Roma")
    assert "city: different" in compare(roma, replace(roma, city="Rima")).reasons


def test_same_name_birth_date_and_postcode_merge_though_the_address_changed():
    before = _bare(GIUSEPPE, address="Via Roma 12", company=None)
    moved = replace(before, address="Via Garibaldi 3")
    decision = compare(before, moved)
    assert decision.outcome == "merge", decision.reasons
    # Without the birth date, the same postcode beside another address is a neighbour.
    assert compare(replace(before, birth_date=None), moved).outcome != "merge"
    # Another number in the same street without a birth date: a household, not a move.
    household = replace(before, address="Via Roma 14", birth_date=None)
    assert compare(replace(before, birth_date=None), household).outcome != "merge"


def test_a_shared_tax_id_settles_a_married_name_and_a_move():
    cf = "RSSMRA85T10A562S"
    maiden = Person("Maria", "Rossi", BORN, address="Via Roma 1", postcode="20121", tax_id=cf)
    married = Person("Maria", "Bianchi", None, address="Corso Italia 9", tax_id=cf)
    decision = compare(maiden, married)
    assert decision.outcome == "merge", decision.reasons
    assert "tax id: same" in decision.reasons
    assert blocking_keys(maiden) & blocking_keys(married) == {f"tx:{cf}"}


def test_a_shared_tax_id_with_clashing_first_names_goes_to_a_person():
    cf = "RSSMRA85T10A562S"
    decision = compare(Person("Maria", "Rossi", tax_id=cf), Person("Paolo", "Rossi", tax_id=cf))
    assert decision.outcome == "review"
    # Different birth dates still veto: at most a review, never a silent merge.
    vetoed = compare(
        Person("Maria", "Rossi", BORN, tax_id=cf),
        Person("Maria", "Rossi", date(1990, 1, 1), tax_id=cf),
    )
    assert vetoed.veto == "different birth dates" and vetoed.outcome != "merge"


def test_a_shared_tax_id_always_reaches_a_person_however_much_else_disagrees():
    """A tax id is one person's by law: two records holding one are the same person or one
    holds another's id, and either way a person must look (FEBRL's replaced names and
    birth dates beside an intact id were kept apart unseen)."""
    cf = "7831798"
    a = Person("Zarran", "Bradshaw", date(1935, 7, 7), postcode="6147", tax_id=cf)
    b = Person("Bradshaw", "Zarrna", date(1955, 1, 20), postcode="6147", tax_id=cf)
    other = Person("Eboni", "Hughes", date(1990, 3, 3), city="Perth", tax_id=cf)
    for x, y in ((a, b), (a, other)):
        decision = compare(x, y)
        assert decision.veto == "different birth dates"
        assert decision.outcome == "review", decision.reasons
        assert "tax id: same" in decision.reasons
        assert may_match(x, y)
    # Without the id in common, the same two are kept apart.
    assert compare(a, replace(other, tax_id=None)).outcome == "separate"


def test_different_tax_ids_veto_a_merge_but_a_typo_in_one_does_not():
    a = _bare(GIUSEPPE, tax_id="RSSMRA85T10A562S")
    other = replace(a, tax_id="VRDGPP80E17F205X")
    decision = compare(a, other)
    # Everything else agrees: more likely a slip when the id was typed; a person decides.
    assert decision.veto == "different tax ids" and decision.outcome == "review"
    assert may_match(a, other)
    # With less beside them, different ids keep two people apart.
    weak = compare(
        Person("Giuseppe", "Verdi", tax_id="A1234"), Person("Giuseppe", "Verdi", tax_id="B9876")
    )
    assert weak.outcome == "separate"
    typo = compare(a, replace(a, tax_id="RSSMRA85T10A562T"))
    assert typo.veto is None and typo.outcome == "merge"
    assert "tax id: one character off" in typo.reasons


@pytest.mark.parametrize("placeholder", ["Privato", "Freelance", "Libero professionista", "N/A"])
def test_a_placeholder_in_the_company_field_is_no_evidence(placeholder):
    a = Person("Sofia", "Rossi", city="Rimini", company=placeholder)
    b = Person("Sofia", "Rossi", city="Roma", company="self-employed")
    decision = compare(a, b)
    assert not any(r.startswith("company:") for r in decision.reasons)
    assert decision.outcome == "separate"
    assert not any(k.startswith("co:") for k in blocking_keys(a))
    real = Person("Sofia", "Rossi", city="Roma", company="Libero S.p.A.")
    assert "company: same" in compare(real, real).reasons


def test_a_city_by_another_languages_name_is_the_same_city():
    rome = Person("Nicola", "Ricci", city="Rome", company="De Marco Termo Srl")
    roma = Person("Nicola", "Ricci", city="ROMA", company="DE MARCO TERMO SRL")
    assert "city: same" in compare(rome, roma).reasons
    assert compare(rome, roma).outcome == "review"
    assert place_key(rome) == place_key(roma)
