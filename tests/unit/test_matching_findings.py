"""Findings of the third user test: the codice fiscale's birth date and surname, Italian
diminutives, street and city spellings, webmail, and the words of the explanations."""

import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from crm.extensions import db
from crm.models import DuplicateCandidate, Profile, SourceRecord
from crm.services import ingest, matching
from crm.services.matching import Person, blocking_keys, compare, may_match, place_key

HEADER = "id,first_name,last_name,birth_date,address,postcode,city,phone,email,tax_id\n"
# Giuseppe Esposito, male, born 2 May 1978 (78E02).
SON_CF = "SPSGPP78E02F839U"
# Mario Rossi, male, born 14 February 1980.
MARIO_CF = "RSSMRA80B14H501D"
# Laura Bianchi, female, born 12 March 1985 (day 12 + 40).
LAURA_CF = "BNCLRA85C52F205V"


def _import(text: str, source: str) -> dict:
    stream = io.BytesIO((HEADER + text).encode())
    return ingest.import_stream(stream, filename="people.csv", source_name=source)


def _profile_of(external_id: str) -> int:
    return db.session.scalar(
        select(SourceRecord.profile_id).where(SourceRecord.external_id == external_id)
    )


# --- 1. The codice fiscale's birth date and surname --------------------------------------

FATHER = Person(
    "Giuseppe", "Esposito", date(1950, 10, 10), phones=("+390815551234",),
    address="Via Chiaia 8", postcode="80121", city="Napoli",
)  # fmt: skip
SON = Person(
    "Giuseppe", "Esposito", tax_id=SON_CF, phones=("+390815551234",),
    address="Via Chiaia 8", postcode="80121", city="Napoli",
)  # fmt: skip


def test_a_codice_fiscale_a_generation_from_the_birth_date_vetoes_the_merge():
    for a, b in ((FATHER, SON), (SON, FATHER)):
        decision = compare(a, b)
        assert decision.veto == "different birth dates"
        assert decision.outcome == "review"  # the shared landline: a person looks
        assert matching.BIRTH_FROM_TAX_ID in decision.reasons
    assert ingest._apart(SON, FATHER) and ingest._apart(FATHER, SON)
    assert matching.births_comparable(SON, FATHER) and matching.births_comparable(FATHER, SON)
    assert not matching.births_comparable(SON, SON)  # two tax ids compare as ids
    assert not matching.births_comparable(FATHER, Person("Giuseppe", tax_id="5304218"))


@pytest.mark.parametrize("order", [("fidelity", "fatture"), ("fatture", "fidelity")])
def test_father_and_son_on_one_landline_with_his_tax_id_are_not_merged(app, order):
    rows = {
        "fidelity": "F3,Giuseppe,Esposito,10/10/1950,Via Chiaia 8,80121,Napoli,081 5551234,,\n",
        "fatture": f"B3,Giuseppe,Esposito,,Via Chiaia 8,80121,Napoli,081 5551234,,{SON_CF}\n",
    }
    _import(rows[order[0]], order[0])
    summary = _import(rows[order[1]], order[1])
    assert summary["merged"] == 0
    assert _profile_of("F3") != _profile_of("B3")
    pair = db.session.scalar(select(DuplicateCandidate))
    assert pair is not None and "veto: different birth dates" in pair.reasons
    father = db.session.get(Profile, _profile_of("F3"))
    assert father.tax_id is None


def test_a_nameless_row_with_the_sons_tax_id_on_the_fathers_landline_joins_nobody(app):
    _import("F3,Giuseppe,Esposito,10/10/1950,,,Napoli,081 5551234,,\n", "fidelity")
    _import(f"B3,,,,,,,081 5551234,,{SON_CF}\n", "fatture")
    assert _profile_of("F3") != _profile_of("B3")
    assert db.session.get(Profile, _profile_of("F3")).tax_id is None


def test_a_birth_date_and_the_same_date_in_a_codice_fiscale_are_one_birth_date():
    dated = Person("Mario", "Rossi", date(1980, 2, 14), postcode="00185", city="Roma")
    coded = Person("Mario", "Rossi", tax_id=MARIO_CF, postcode="00181", city="Roma")
    decision = compare(dated, coded)
    assert "birth date: same" in decision.reasons
    assert decision.outcome == "review"
    # A block in common that does not depend on the name's block being small.
    assert {k for k in blocking_keys(dated) & blocking_keys(coded) if k.startswith("fb:")}
    # Another century's 1880 is the same two digits: no guess, the same evidence.
    assert (
        compare(Person("Mario", "Rossi", date(1880, 2, 14)), coded).reasons
        == compare(Person("Mario", "Rossi", date(1980, 2, 14)), coded).reasons
    )


def test_two_codici_fiscali_are_compared_as_ids_not_as_dates():
    other = Person("Mario", "Rossi", tax_id="RSSMRA50C05H501F", phones=("+39061234567",))
    mario = Person("Mario", "Rossi", tax_id=MARIO_CF, phones=("+39061234567",))
    decision = compare(mario, other)
    assert decision.veto == "different tax ids"
    assert matching.BIRTH_FROM_TAX_ID not in decision.reasons


def test_a_married_womans_codice_fiscale_spelling_her_surname_at_birth_reaches_review():
    maiden = Person("Laura", "Bianchi", date(1985, 3, 12), postcode="20121", city="Milano")
    married = Person("Laura", "Colombo", tax_id=LAURA_CF, postcode="20121", city="Milano")
    decision = compare(maiden, married)
    assert decision.outcome == "review"
    assert matching.LAST_IN_TAX_ID in decision.reasons
    assert matching.NO_MERGE_SURNAMES in decision.reasons
    assert matching.NO_MERGE_STRONG not in decision.reasons  # date and postcode: two
    assert may_match(maiden, married) and may_match(married, maiden)
    # Another woman of that name and date whose tax id is not Bianchi's gets nothing.
    stranger_cf = _cf_of("Colombo", "Laura", date(1985, 3, 12), True)
    stranger = Person("Laura", "Colombo", tax_id=stranger_cf, postcode="20121")
    assert matching.LAST_IN_TAX_ID not in compare(maiden, stranger).reasons


def _cf_of(last: str, first: str, born: date, female: bool) -> str:
    from stdnum.it import codicefiscale as stdnum_cf

    from crm.services.normalise import given_name_code, surname_code

    day = born.day + (40 if female else 0)
    body = (
        f"{surname_code(last)}{given_name_code(first)}{born.year % 100:02d}"
        f"{'ABCDEHLMPRST'[born.month - 1]}{day:02d}H501"
    )
    return body + stdnum_cf.calc_check_digit(body)


@given(
    st.dates(date(1901, 1, 1), date(2020, 12, 31)),
    st.dates(date(1901, 1, 1), date(2020, 12, 31)),
)
def test_a_codice_fiscale_weighs_like_the_birth_date_it_encodes(born, other):
    # Within a century a two-digit year is no less than the full one; across one (1990 /
    # 2000) the codice fiscale cannot tell its digits from a slip, and says less.
    if born.year // 100 != other.year // 100:
        return
    coded = Person("Mario", "Rossi", tax_id=_cf_of("Rossi", "Mario", other, False))
    dated = Person("Mario", "Rossi", other)
    mario = Person("Mario", "Rossi", born)
    by_code, by_date = compare(mario, coded), compare(mario, dated)
    assert (by_code.score, by_code.veto) == (by_date.score, by_date.veto)
    assert compare(coded, mario).score == by_code.score
    if not may_match(mario, coded):
        assert by_code.outcome == "separate"


# --- 2. Diminutives -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("Vincenza", "Enza"), ("Rosario", "Saro"), ("Leonardo", "Leo"), ("Nicola", "Nick"),
        ("Immacolata", "Imma"), ("Lucia", "Lucy"), ("Domenica", "Mimma"),
        ("Concetta", "Cetta"), ("Filomena", "Mena"), ("Bernardino", "Dino"),
        ("Raffaele", "Raf"), ("Edoardo", "Edo"), ("Maddalena", "Magda"), ("Rocco", "Rocky"),
        ("Emanuele", "Manuel"), ("Giorgio", "Jorge"), ("Aleksandr", "Alexander"),
        ("Olha", "Olga"), ("Muhammad", "Mohammed"), ("Giovanni Battista", "Giambattista"),
        ("Anastasia", "Nastia"),
    ],
)  # fmt: skip
def test_common_diminutives_are_nicknames(name, short):
    assert matching._first_level(name, short) == "nickname"


def test_a_diminutive_of_several_names_is_ambiguous():
    assert matching._first_level("Carolina", "Lina") == "nickname (ambiguous)"
    assert matching._first_level("Federico", "Fred") == "nickname (ambiguous)"


@pytest.mark.parametrize(("a", "b"), [("Berto", "Gilberto"), ("Lia", "Rosalia")])
def test_a_name_cut_from_the_other_is_partial(a, b):
    assert matching._first_level(a, b) == "partial"


@pytest.mark.parametrize(
    ("a", "b"),
    [("Marco", "Luca"), ("Ivan", "Ivana"), ("Anna", "Susanna"), ("Carlo", "Carlotta")],
)
def test_two_names_people_bear_stay_different(a, b):
    assert matching._first_level(a, b) == "different"


def test_a_cut_into_the_other_gender_is_not_a_diminutive():
    assert not matching._clipped("gianna", "giannalo")
    assert not matching._clipped("mario", "mari")  # too little cut off
    assert matching._clipped("enza", "vincenza")


def test_twins_of_two_names_stay_apart_while_a_diminutive_pair_is_weighed():
    home = dict(birth_date=date(1970, 5, 2), address="Via Roma 1", postcode="90100", city="Palermo")
    twins = compare(Person("Marco", "Romano", **home), Person("Luca", "Romano", **home))
    assert twins.outcome == "separate"
    enza = compare(Person("Vincenza", "Romano", **home), Person("Enza", "Romano", **home))
    assert enza.outcome != "separate"


# --- 3. Streets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("V. Roma 1", "Via Roma, 1"), ("V. Cavour, 12", "Via Cavour 12"),
        ("V.le Europa 5", "Viale Europa 5"), ("C.so Italia 44", "Corso Italia 44"),
        ("P.zza Dante 1", "Piazza Dante 1"), ("P.za Dante 1", "Piazza Dante 1"),
        ("V. Po 3", "Via Po 3"), ("L.go Augusto 3", "Largo Augusto 3"),
        ("Str. del Portone 7", "Strada del Portone 7"),
        ("Via XX Settembre 10", "Via Venti Settembre 10"),
        ("Via 20 Settembre 10", "Via XX Settembre 10"),
        ("Via IV Novembre 2", "Via Quattro Novembre 2"),
        ("Via Manzoni 7", "Via Manzoni 7 int. 4"), ("Via Manzoni 7, scala B", "Via Manzoni 7"),
    ],
)  # fmt: skip
def test_street_abbreviations_and_apartments_leave_the_address_the_same(a, b):
    assert matching._address_level(a, b) == "same"


def test_streets_still_differ_where_they_do():
    assert matching._address_level("Via Roma 1", "Via Milano 1") == "different"
    assert matching._address_level("Via Po 3", "Via Po 5") == "same street, other number"
    assert matching._address_level("Via XX Settembre 1", "Via XXV Aprile 1") == "different"
    assert matching._address_level("Via XX Settembre 1", "Via XXI Settembre 1") == "different"
    assert matching._address_level("Via 2 Giugno 10", "Via 20 Giugno 10") == "different"
    assert matching._address_level("Via IV Novembre 3", "Via XIV Novembre 3") == "different"
    # A street named after a floor or a staircase keeps its name and number.
    assert matching.street_words("Via della Scala 5") == ("via della scala", frozenset({"5"}))
    # Two flats of one building are two homes (a father and a son, neighbours).
    assert matching._address_level("Via Roma 1 int. 4", "Via Roma 1 int. 5") == (
        "same street, other number"
    )
    assert matching._address_level("Via Roma 1 int. 4", "Via Roma 1") == "same"


# --- 4. Cities -------------------------------------------------------------------------------


def test_one_city_written_two_ways_is_the_same_city_and_block():
    a = Person("Marta", "Colombo", city="Sesto San Giovanni", address="Via Roma 1")
    b = Person("Marta", "Colombo", city="Sesto S. Giovanni (MI)", address="V. Roma 1")
    assert matching._city_level(a.city, b.city) == "same"
    assert place_key(a) == place_key(b)
    assert compare(a, b).outcome == "review"
    assert matching._city_level("Reggio di Calabria", "Reggio Calabria") == "same"
    assert matching._city_level("Milano (MI)", "Milano") == "same"


# --- 5. Webmail -------------------------------------------------------------------------------


def test_webmail_is_no_shared_employer():
    for domain in ("gmail.com", "libero.it", "hotmail.it", "yahoo.co.uk", "pec.it"):
        a = Person("Marco", "Romano", emails=(f"marco@{domain}",))
        b = Person("Luca", "Romano", emails=(f"luca@{domain}",))
        assert compare(a, b).veto is None, domain
    a = Person("Marco", "Romano", emails=("marco@acme.it",))
    b = Person("Luca", "Romano", emails=("luca@acme.it",))
    assert compare(a, b).veto == "same email domain, different first names"
    assert not matching.public_mail_domain("live.acme.example.com")


def test_gmail_addresses_of_one_inbox_are_the_same_inbox():
    sara = Person("Sara", "Greco", emails=("sara.greco@gmail.com",))
    for email in ("saragreco@gmail.com", "sara.greco+shop@googlemail.com"):
        decision = compare(sara, Person("Sara", "Greco", emails=(email,)))
        assert "email: same inbox" in decision.reasons
        assert may_match(sara, Person("Sara", "Greco", emails=(email,)))
    # Weighed, but never alone a reason to merge without a person: an address written
    # another way is also how a namesake's address gets mistyped.
    elsewhere = Person("Sara", "Greco", emails=("saragreco@gmail.com",), city="Bari",
                       postcode="70121", address="Via Sparano 3")  # fmt: skip
    home = Person("Sara", "Greco", emails=("sara.greco@gmail.com",), city="Torino",
                  postcode="10121", address="Via Roma 1")  # fmt: skip
    assert compare(home, elsewhere).outcome != "merge"
    # Elsewhere a dot is part of the address.
    libero = compare(
        Person("Sara", "Greco", emails=("sara.greco@libero.it",)),
        Person("Sara", "Greco", emails=("saragreco@libero.it",)),
    )
    assert "email: same" not in libero.reasons
    assert matching.mailbox("Sara.Greco+x@GoogleMail.com") == "saragreco@gmail.com"


# --- 6. Explanations -------------------------------------------------------------------------


def test_a_generation_on_one_side_is_said_and_never_merged():
    son = Person("Marco", "Rossi Jr.", city="Roma", address="Via Appia 3",
                 phones=("+39061234567",))  # fmt: skip
    father = Person("Marco", "Rossi", date(1955, 1, 1), city="Roma", address="Via Appia 3",
                    phones=("+39061234567",))  # fmt: skip
    decision = compare(son, father, alone_in_city=True)
    assert "last name: exact" not in decision.reasons
    assert matching.LAST_ONE_GENERATION in decision.reasons
    assert decision.outcome == "review"
    assert "name: no namesake in the city" not in decision.reasons
    # Father and son share their city's block: the namesakes are counted together.
    assert place_key(son) == place_key(father)
    assert matching._last_level("Moretti", "Moretti Jr.") == "exact"


def test_the_reason_an_automatic_merge_is_refused_is_the_real_one():
    married = compare(
        Person("Laura", "Bianchi", date(1985, 3, 12), phones=("+393331234567",)),
        Person("Laura", "Colombo", date(1985, 3, 12), phones=("+393331234567",)),
    )
    assert married.outcome == "review"
    assert matching.NO_MERGE_SURNAMES in married.reasons
    assert matching.NO_MERGE_STRONG not in married.reasons
    email = ("betta@example.com",)
    betta = compare(
        Person("Elisabetta", "Conti", date(1970, 5, 2), address="Via Po 3", postcode="10121"),
        Person("Betta", "Conti", date(1970, 5, 2), address="Via Po 3", postcode="10121",
               emails=email),
    )  # fmt: skip
    assert betta.outcome == "review"
    assert matching.NO_MERGE_AMBIGUOUS in betta.reasons
    assert matching.NO_MERGE_STRONG not in betta.reasons
    alone = compare(
        Person("Sara", "Greco", address="Via Roma 1", postcode="10121", city="Torino"),
        Person("Sara", "Greco", address="V. Roma, 1", postcode="10121", city="Torino"),
    )
    assert alone.outcome == "review" and matching.NO_MERGE_STRONG in alone.reasons
    assert not {matching.NO_MERGE_SURNAMES, matching.NO_MERGE_FIRST} & set(alone.reasons)


def test_keys_version_follows_the_new_keys():
    assert matching.KEYS_VERSION >= 5
    dated = blocking_keys(Person("Anna", birth_date=date(1985, 3, 14)))
    assert dated == {"fb:AN:850314"}


# --- Properties over the new evidence ------------------------------------------------------

_TAX_IDS = [
    _cf_of("Bianchi", "Laura", date(1951, 3, 12), True),
    _cf_of("Rossi", "Mario", date(1951, 3, 12), False),
    _cf_of("Rossi", "Mario", date(1971, 3, 12), False),
    _cf_of("Colombo", "Laura", date(1951, 12, 3), True),
]
_findings_people = st.builds(
    Person,
    first_name=st.none() | st.sampled_from(["Laura", "Mario", "Leo", "Leonardo", "Marco"]),
    last_name=st.none() | st.sampled_from(["Bianchi", "Colombo", "Rossi", "Rossi Jr."]),
    birth_date=st.none()
    | st.sampled_from([date(1951, 3, 12), date(1951, 12, 3), date(1971, 3, 12)]),
    emails=st.lists(
        st.sampled_from(["l.b@gmail.com", "lb@googlemail.com", "x@acme.it", "y@acme.it"]),
        max_size=2,
    ).map(tuple),
    address=st.none() | st.sampled_from(["Via Roma 1", "V. Roma, 1 int. 2", "Via Po 3"]),
    postcode=st.none() | st.sampled_from(["20121", "24121"]),
    city=st.none() | st.sampled_from(["Milano (MI)", "Milano", "Sesto S. Giovanni"]),
    tax_id=st.none() | st.sampled_from(_TAX_IDS),
)
_cut_offs = st.tuples(st.floats(0.01, 0.99), st.floats(0.01, 0.99)).map(
    lambda t: matching.Thresholds(auto=max(t), review=min(t))
)


@given(_findings_people, _findings_people, _cut_offs, st.booleans())
def test_the_new_evidence_keeps_compare_symmetric_and_may_match_a_true_bound(a, b, cut, alone):
    ab, ba = compare(a, b, cut, alone_in_city=alone), compare(b, a, cut, alone_in_city=alone)
    assert (ab.score, ab.outcome, ab.veto) == (ba.score, ba.outcome, ba.veto)
    if ab.outcome != "separate":
        assert may_match(a, b, cut, alone_in_city=alone)


def test_a_codice_fiscale_of_someone_else_says_nothing_of_the_birth_date():
    # A mother's code typed on her daughter's record: its name codes are not Anna's.
    mother_cf = _cf_of("Rossi", "Maria", date(1960, 5, 4), True)
    daughter = Person("Anna", "Rossi", date(1990, 7, 8), emails=("anna@example.it",))
    typed = Person("Anna", "Rossi", tax_id=mother_cf, emails=("anna@example.it",))
    decision = compare(daughter, typed)
    assert decision.veto is None
    assert not any(r.startswith("birth date") for r in decision.reasons)
    # A nickname on one record and the legal name's code still compare.
    son = Person("Pino", "Esposito", tax_id=SON_CF, phones=("+390815551234",))
    father = Person("Giuseppe", "Esposito", date(1950, 10, 10), phones=("+390815551234",))
    assert compare(father, son).veto == "different birth dates"


def test_an_import_finds_the_profile_of_the_same_gmail_inbox_for_review(app):
    _import("S1,Sara,Greco,,,,Bari,,sara.greco@gmail.com,\n", "shop")
    summary = _import("N1,Sara,Greco,,,,,,saragreco+news@googlemail.com,\n", "newsletter")
    assert summary["review"] == 1
    pair = db.session.scalar(select(DuplicateCandidate))
    assert "email: same inbox" in pair.reasons
    assert _profile_of("S1") != _profile_of("N1")  # weighed, never joined on it alone
