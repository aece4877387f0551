"""Identity resolution scorer: is this pair of person records one person?

Pure functions, no Flask and no database (STYLE.md, habit 5). `blocking_keys` gives a few
short keys per person so only records sharing a key are compared; `compare` weighs the
evidence of a pair and decides: merge automatically, send to a human for review, or keep
apart.

The model is Fellegi–Sunter-like: each field adds a log-odds weight (agreement positive,
disagreement negative, missing zero), the sum plus a prior becomes a probability through
the logistic function. On top of the score, rules that protect people:

- a veto (clearly different birth dates, the one a codice fiscale encodes included; the
  same email domain, not a webmail's, with different first names) keeps the pair apart,
  or at most sends it to review when they share an email or phone;
- an automatic merge needs both names to agree well (exact, nickname, slip of the keyboard)
  and at least two independent strong signals beyond the name: same birth date, same
  place (address, or postcode when the addresses do not disagree or the birth dates
  agree), and a shared email or phone counting as two. Anything less that scores high
  goes to review;
- a shared personal tax id (codice fiscale, social security number) merges unless the
  first names clash or the birth dates differ; two different ids veto the merge;
- a name that no other profile shares in its city (the caller counts the city's block)
  weighs more beside the same city: enough for review, never a merge on its own.

Reasons are words about the evidence ("last name: exact"), never the values themselves.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from sys import intern

import jellyfish
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler

from crm.services.given_names import (
    FIRST_NAMES,
    FRENCH_MEN,
    INTERNATIONAL_NAMES,
    ITALIAN_NAMES,
    MEN_IN_A,
    MEN_IN_CONSONANT,
    MEN_IN_EL,
    SHORT_NAMES,
    WOMEN_ELSEWHERE,
    WOMEN_IN_CONSONANT,
)
from crm.services.name_sexes import MEN, WOMEN
from crm.services.nicknames import NAME_GROUPS
from crm.services.normalise import (
    MAIL_PROVIDERS,
    city_key,
    codice_fiscale,
    fold,
    given_name_code,
    surname_code,
)

_CACHE = 1 << 16
# For values asked again within a batch (a row's own, against each of its candidates).
_SMALL_CACHE = 1 << 12


@dataclass(frozen=True, slots=True)
class Person:
    """The fields of a person record that identity resolution looks at."""

    first_name: str | None = None
    last_name: str | None = None
    birth_date: date | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    company: str | None = None
    address: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    tax_id: str | None = None


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs: merge automatically at `auto`, review at `review`."""

    auto: float = 0.92
    review: float = 0.75


@dataclass(frozen=True)
class Decision:
    """The scorer's verdict on a pair, with its evidence in words."""

    score: float
    outcome: str  # "merge" | "review" | "separate"
    reasons: tuple[str, ...]
    veto: str | None = None


def with_identifiers(person: Person, emails=(), phones=()) -> Person:
    """person with these emails and phones too (after its own, once each): the view of a
    profile with what its records stated, though another profile holds it (a family's
    shared mailbox)."""
    return replace(
        person,
        emails=tuple(dict.fromkeys((*person.emails, *emails))),
        phones=tuple(dict.fromkeys((*person.phones, *phones))),
    )


def person_from_fields(fields: dict, emails=(), phones=()) -> Person:
    """A Person from profile field values (birth_date a date or an ISO string).

    Called for every candidate a row is weighed against, so it stays lean; the values
    that many people share (names, places, companies) are interned, which keeps the
    importer's cache of candidates small.
    """
    birth = fields.get("birth_date")
    if isinstance(birth, str):
        try:
            birth = date.fromisoformat(birth[:10])
        except ValueError:
            birth = None
    elif not isinstance(birth, date):
        birth = None
    get = fields.get
    return Person(
        first_name=_text(get("first_name")),
        last_name=_text(get("last_name")),
        birth_date=birth,
        emails=_identifiers(emails, lower=True),
        phones=_identifiers(phones, lower=False),
        company=_text(get("company")),
        address=_text(get("address"), shared=False),
        postcode=_text(get("postcode")),
        city=_text(get("city")),
        country=_text(get("country")),
        tax_id=_text(get("tax_id"), shared=False),
    )


def _text(value, shared: bool = True) -> str | None:
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    return intern(text) if shared else text


def _identifiers(values, lower: bool) -> tuple[str, ...]:
    """Distinct, sorted, non-empty identifiers (emails lower-cased)."""
    if not isinstance(values, list | tuple):
        values = list(values)
    if not values:
        return ()
    if len(values) == 1:
        value = values[0]
        if not value:
            return ()
        value = str(value)
        return (value.lower() if lower else value,)
    if lower:
        return tuple(sorted({str(v).lower() for v in values if v}))
    return tuple(sorted({str(v) for v in values if v}))


# ---------------------------------------------------------------------------------------
# Name data: nickname groups, particles, legal forms.

_PARTICLES = frozenset(
    "d de di da del della dello dei degli delle dal dalla van von der den ter la le lo l "
    "du des dos das do mc los las el al bin ibn ben bint".split()
)
# Legal forms of companies, folded (a dotted one, "S.p.A.", is read as "spa"): Italian,
# German, English and American, French, Spanish and Portuguese, Benelux, Nordic, European.
_LEGAL_FORMS = frozenset(
    "srl srls spa snc sas sapa scarl scrl coop gmbh ag kg ltd limited llc inc corp co plc "
    "sa sl sarl sas bv nv "
    "mbh ohg ug kgaa gbr ev pty lp llp pllc incorporated corporation eurl sasu sca slu sau "
    "lda ltda bvba sprl vof oy oyj ab asa as aps se".split()
)
_VOWELS = frozenset("aeiou")


def _build_groups() -> tuple[dict[str, frozenset[int]], dict[str, str]]:
    """Name -> ids of the groups it belongs to; name -> a blocking representative.

    The representative is shared by every name connected through a common diminutive, so
    'Ale', 'Alessia' and 'Alessandro' land in the same blocks (the scorer tells them apart).
    """
    groups: dict[str, set[int]] = {}
    parent = list(range(len(NAME_GROUPS)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for gid, (variants, diminutives) in enumerate(NAME_GROUPS):
        for name in (*variants, *diminutives):
            key = name.replace(" ", "")
            for other in groups.get(key, ()):
                parent[find(other)] = find(gid)
            groups.setdefault(key, set()).add(gid)
    component_rep: dict[int, str] = {}
    for gid, (variants, _) in enumerate(NAME_GROUPS):
        root = find(gid)
        name = variants[0].replace(" ", "")
        if root not in component_rep or name < component_rep[root]:
            component_rep[root] = name
    reps = {name: component_rep[find(min(ids))] for name, ids in groups.items()}
    return {name: frozenset(ids) for name, ids in groups.items()}, reps


_NAME_GROUPS, _NAME_REPS = _build_groups()
# Name -> the groups that hold it as a name in full (not as a diminutive of it).
_VARIANT_GROUPS = {
    name: frozenset(gid for gid, (variants, _) in enumerate(NAME_GROUPS) if name in variants)
    for name in {v.replace(" ", "") for variants, _ in NAME_GROUPS for v in variants}
}


# ---------------------------------------------------------------------------------------
# Cached string helpers (the hot path works on strings seen many times).


@lru_cache(maxsize=_CACHE)
def _fold(value: str) -> str:
    return fold(value)


@lru_cache(maxsize=_CACHE)
def _joined(value: str) -> str:
    """Folded, spaces removed: 'Maria Grazia' == 'Mariagrazia', "D'Angelo" == 'Dangelo'."""
    return fold(value).replace(" ", "")


# Generational suffixes written after a surname ("Moretti Jr."): a father and his son.
_GENERATIONS = {"jr": "jr", "junior": "jr", "sr": "sr", "senior": "sr", "filho": "jr"} | {
    g: g for g in ("ii", "iii", "iv", "neto")
}


@lru_cache(maxsize=_CACHE)
def _surname_core(value: str) -> str:
    """Folded surname without particles, generations and spaces: "D'Angelo" -> 'angelo'."""
    tokens = [t for t in fold(value).split() if t not in _PARTICLES and t not in _GENERATIONS]
    return "".join(tokens) if tokens else fold(value).replace(" ", "")


@lru_cache(maxsize=_CACHE)
def surname_tokens(value: str) -> frozenset[str]:
    """The words of a surname that tell it apart: no particles (de, van), generations (Jr.)
    or initials."""
    return frozenset(
        t
        for t in fold(value).split()
        if t not in _PARTICLES and t not in _GENERATIONS and len(t) > 1
    )


def surnames_apart(a: str, b: str) -> bool:
    """Surnames that no slip makes of each other: at least three edits apart, particles
    and spacing aside (Rossi / Bianchi; not Gatto / Gctto, De Angelis / D'Angelis), or
    two generations of one (Moretti Sr. / Moretti Jr.)."""
    if _last_level(a, b) != "different" or min(len(_joined(a)), len(_joined(b))) < 2:
        return False  # an initial ("V.") tells nothing
    generations = (_generation(a), _generation(b))
    if None not in generations and generations[0] != generations[1]:
        return True
    cores = OSA.distance(_surname_core(a), _surname_core(b))
    return min(cores, OSA.distance(_joined(a), _joined(b))) >= SURNAME_EDITS_APART


# Edits between two surnames that say two families rather than a typing slip.
SURNAME_EDITS_APART = 3


def _generation(value: str) -> str | None:
    """'jr', 'sr', 'ii', ... when a surname of several words ends with one."""
    tokens = fold(value).split()
    return _GENERATIONS.get(tokens[-1]) if len(tokens) > 1 else None


@lru_cache(maxsize=_CACHE)
def _surname_joined(value: str) -> str:
    """The surname for blocking: folded and joined, without a generation ("Rossi Jr." ->
    'rossi'), so that father and son share their blocks and their city's count."""
    tokens = fold(value).split()
    if len(tokens) > 1 and tokens[-1] in _GENERATIONS:
        tokens = tokens[:-1]
    return "".join(tokens)


def _generations_apart(a: str, b: str) -> bool:
    """One surname with two generations: "Rossi Sr." / "Rossi Jr.", "Rossi II" / "Rossi"
    aside (see _one_generation)."""
    generations = (_generation(a), _generation(b))
    return (
        None not in generations
        and generations[0] != generations[1]
        and _surname_core(a) == _surname_core(b)
    )


def _one_generation(a: str, b: str) -> bool:
    """One surname carries a generation and the other none: "Rossi Jr." / "Rossi"."""
    return (_generation(a) is None) != (_generation(b) is None)


@lru_cache(maxsize=_CACHE)
def _phonetic(joined: str) -> str:
    """Metaphone of a folded name, or the name itself when metaphone has nothing to say."""
    code = jellyfish.metaphone(joined) if joined.isascii() else ""
    return (code or joined)[:12]


@lru_cache(maxsize=_CACHE)
def _letters(joined: str) -> str:
    """The distinct letters in order: the same for 'Verdi'/'Vedri' and 'Rossi'/'Rosi'."""
    return "".join(sorted(set(joined)))[:16]


@lru_cache(maxsize=_CACHE)
def _first_rep(value: str) -> str:
    """Blocking form of a first name: its nickname component's representative, or itself."""
    joined = _joined(value)
    return _NAME_REPS.get(joined, joined)


# Abbreviations of street words, folded ("V.le" folds to "v le"): one or two words -> the
# word written out. Italian first; then other languages' where one abbreviation reads
# alike: Str. is a German Straße, a Dutch straat or an Italian strada, pl. a Platz, a
# place, a plaza or a plac, av. an avenue or an avenida; each such family is one word.
_STREET_WORDS = {
    ("v", "le"): "viale", ("vle",): "viale", ("c", "so"): "corso", ("cso",): "corso",
    ("p", "za"): "piazza", ("p", "zza"): "piazza", ("pza",): "piazza", ("pzza",): "piazza",
    ("p", "le"): "piazzale", ("ple",): "piazzale", ("p", "tta"): "piazzetta",
    ("l", "go"): "largo", ("lgo",): "largo", ("v", "lo"): "vicolo", ("vlo",): "vicolo",
    ("vic",): "vicolo",
    ("str",): "strada", ("loc",): "localita", ("fraz",): "frazione", ("b", "go"): "borgo",
    ("c", "da"): "contrada", ("cda",): "contrada", ("l", "re"): "lungomare",
    # A street: German, Dutch.
    ("strasse",): "strada", ("straat",): "strada",
    # A square: German, French and English, Spanish, Polish, Dutch, Portuguese.
    ("pl",): "piazza", ("platz",): "piazza", ("place",): "piazza", ("plaza",): "piazza",
    ("plac",): "piazza", ("plein",): "piazza", ("praca",): "piazza", ("pca",): "piazza",
    # An avenue: English, French, Spanish, Portuguese.
    ("av",): "avenue", ("ave",): "avenue", ("avenida",): "avenue", ("avda",): "avenue",
    ("avd",): "avenue",
    # English.
    ("rd",): "road", ("blvd",): "boulevard", ("ln",): "lane", ("ct",): "court",
    ("sq",): "square", ("hwy",): "highway", ("pkwy",): "parkway", ("cres",): "crescent",
    ("terr",): "terrace", ("cir",): "circle",
    # French, Spanish, Portuguese.
    ("bd",): "boulevard", ("bld",): "boulevard", ("bvd",): "boulevard",
    ("rte",): "route", ("imp",): "impasse", ("fbg",): "faubourg", ("rua",): "rue",
    ("pso",): "paseo", ("ctra",): "carretera", ("trav",): "travessa", ("tv",): "travessa",
}  # fmt: skip
# Single letters and short words that are a street word only as the address's first word
# (a house number before it aside): "V. Roma", "P. Duomo", "r. de Rivoli", "Pº de
# Gracia", "ul. Marszałkowska", "al. Jerozolimskie", "ch. des Vignes". (A "C." is a
# Spanish calle or an Italian corso: left as written, see _written_apart.)
_STREET_STARTS = {
    "v": "via", "p": "piazza", "r": "rue", "po": "paseo", "ul": "ulica", "al": "aleja",
    "ch": "chemin",
}  # fmt: skip
# English street types that follow the street's name: "Elm St", "Ocean Dr". Elsewhere "St"
# is a saint ("St Johns Road", "Rue St Jacques"), as "Saint" written out.
_STREET_ENDS = {"st": "street", "dr": "drive"}
_SAINTS = {"st": "saint"}
# German and Dutch street words written as the end of one word ("Hauptstraße",
# "Hauptstr.", "Kalverstraat", "Marienplatz", "Marienpl."): cut off, written out.
_STREET_SUFFIXES = (
    ("strasse", "strada"), ("straat", "strada"), ("str", "strada"), ("platz", "piazza"),
    ("plein", "piazza"), ("pl", "piazza"),
)  # fmt: skip
_SUFFIX_STEM = 3  # letters at least before such an ending: "Pl." alone is no compound
# What follows the house number without being one: an apartment ("int. 4"), a staircase,
# a floor, a building. The word and the number or letter after it are left out.
_STREET_UNITS = frozenset(
    "int interno sc scala piano pal palazzina edificio apt apartment app appartamento "
    "flat unit suite".split()
)
# A date that names a street ("XX Settembre", "Venti Settembre", "20 Settembre", "IV
# Novembre", "Primo Maggio"): its day, however written, is one street word.
_MONTHS = frozenset(
    "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre".split()
)
_DAY_WORDS = {
    word: day
    for day, word in enumerate(
        "primo due tre quattro cinque sei sette otto nove dieci undici dodici tredici "
        "quattordici quindici sedici diciassette diciotto diciannove venti ventuno ventidue "
        "ventitre ventiquattro venticinque ventisei ventisette ventotto ventinove trenta "
        "trentuno".split(),
        start=1,
    )
} | {"uno": 1, "1o": 1}
_ROMAN = re.compile(r"(x{0,3})(ix|iv|v?i{0,3})")
_ROMAN_VALUES = {"": 0, "i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7,
                 "viii": 8, "ix": 9}  # fmt: skip


def _street_numerals(words: str) -> set[str]:
    """The numbers a street's name holds: the days of its dates ("XX Settembre", written
    "d20" by street_words) and its ordinals ("21st Street", "o21"). One apart is another
    street, however alike the rest."""
    return {w for w in words.split() if any(ch.isdigit() for ch in w)}


def _day_of(token: str) -> int | None:
    """The day a street's date writes: '20', 'xx', 'venti' -> 20."""
    if token.isdigit():
        return int(token)
    if token in _DAY_WORDS:
        return _DAY_WORDS[token]
    roman = _ROMAN.fullmatch(token)
    if token and roman:
        return 10 * len(roman[1]) + _ROMAN_VALUES[roman[2]]
    return None


@lru_cache(maxsize=_CACHE)
def street_tokens(value: str) -> tuple[str, ...]:
    """The folded words of an address with its street words written out: 'V.le Monza 3'
    -> ('viale', 'monza', '3'), '45 Elm St' -> ('45', 'elm', 'street'), 'Hauptstr. 12'
    -> ('haupt', 'strada', '12'); one family of street words in several languages is
    one word (Straße, straat and strada; Platz, place and plaza; see _STREET_WORDS)."""
    tokens = [part for token in fold(value).split() for part in _compound_parts(token)]
    expanded: list[str] = []
    i = 0
    while i < len(tokens):
        pair = tuple(tokens[i : i + 2])
        if len(pair) == 2 and pair in _STREET_WORDS:
            expanded.append(_STREET_WORDS[pair])
            i += 2
            continue
        expanded.append(_STREET_WORDS.get((tokens[i],), tokens[i]))
        i += 1
    named = [i for i, token in enumerate(expanded) if not any(ch.isdigit() for ch in token)]
    if named and len(expanded) > 1:
        first = named[0]
        expanded[first] = _STREET_STARTS.get(expanded[first], expanded[first])
        for i in named[1:]:
            # "St" ends a street's name as its type ("Elm St", "Elm St Apt 4"); before
            # more of the name it is a saint ("Rue St Jacques").
            ends = _STREET_ENDS if _last_named(expanded, i) else _SAINTS
            expanded[i] = ends.get(expanded[i], expanded[i])
    if named and expanded[named[0]] in _SAINTS:
        expanded[named[0]] = _SAINTS[expanded[named[0]]]
    return tuple(expanded)


def _compound_parts(token: str) -> tuple[str, ...]:
    """A word ending in a street word cut in two: 'hauptstrasse' and 'hauptstr' ->
    ('haupt', 'str...'), the ending as _STREET_WORDS writes it out; else the word."""
    for ending, word in _STREET_SUFFIXES:
        stem = token[: -len(ending)]
        if token.endswith(ending) and len(stem) >= _SUFFIX_STEM and stem.isalpha():
            return stem, word
    return (token,)


def _last_named(tokens: list[str], at: int) -> bool:
    """Whether tokens[at] is the last word of the street's name: only numbers, and an
    apartment's or a floor's word with its number, follow it."""
    rest = tokens[at + 1 :]
    i = 0
    while i < len(rest):
        if rest[i] in _STREET_UNITS:
            i += 2
        elif any(ch.isdigit() for ch in rest[i]):
            i += 1
        else:
            return False
    return True


# A house number and its suffix ("5", "5a", "5bis"): "5/A", "5 A" and "5-bis" are read as
# one. English ordinals ("21st Street") name the street instead.
_HOUSE_NUMBER = re.compile(r"(\d+)([a-z]|bis|ter|quater)?")
_NUMBER_SUFFIXES = frozenset({"bis", "ter", "quater"})
_ORDINAL = re.compile(r"(\d+)(st|nd|rd|th)")
# Words that announce a house number ("n. 5", "No. 12", "civ. 3"), and an Italian "no
# number" (snc, senza numero civico): neither is a word of the street.
_NUMBER_WORDS = frozenset("n nr no nro num numero civ civico".split())
_NO_NUMBER = frozenset({"snc"})


@lru_cache(maxsize=_CACHE)
def street_words(value: str) -> tuple[str, frozenset[str]]:
    """(street words, house numbers) of an address: 'Via Roma, 12/A' -> ('via roma',
    {'12a'}).

    Abbreviations are written out ('V.le' -> 'viale', 'Hauptstr.' -> 'haupt strada', see
    street_tokens), a date naming the street counts as one word ('XX Settembre' ==
    'Venti Settembre'), a house number keeps its suffix ('5/A', '5 bis'), and an
    apartment, staircase or floor after the number ('int. 4', 'scala B') is left out.
    """
    expanded = street_tokens(value)
    words, numbers = [], set()
    skip = False
    for i, token in enumerate(expanded):
        if skip:
            skip = False
            continue
        if token in _STREET_UNITS and numbers:
            # After the house number, "int. 4" or "scala B" is the unit's ("Via della Scala
            # 5" is a street's name): kept apart from the numbers ("#4"), for an address
            # that names another unit of the building to be another home.
            if i + 1 < len(expanded):
                numbers.add(f"#{expanded[i + 1]}")
            skip = True
            continue
        following = expanded[i + 1] if i + 1 < len(expanded) else ""
        if following in _MONTHS and (day := _day_of(token)) and 1 <= day <= 31:
            words.append(f"d{day}")
            continue
        if token in _NO_NUMBER or (token in _NUMBER_WORDS and following[:1].isdigit()):
            continue
        if ordinal := _ORDINAL.fullmatch(token):
            words.append(f"o{int(ordinal[1])}")
            continue
        if house := _HOUSE_NUMBER.fullmatch(token):
            suffix = house[2] or ""
            if not suffix and _suffix_follows(expanded, i):
                suffix, skip = following, True
            numbers.add((house[1].lstrip("0") or "0") + suffix)
            continue
        digits = "".join(ch for ch in token if ch.isdigit())
        if digits:
            numbers.add(digits.lstrip("0") or "0")
        else:
            words.append(token)
    return " ".join(words), frozenset(numbers)


def _suffix_follows(tokens: tuple[str, ...], at: int) -> bool:
    """Whether the word after the number tokens[at] is its suffix: "bis", "ter", or a
    single letter that ends the address or comes before an apartment's word ("5 A", "5/A
    int. 2"; not "12 B Street" nor "5 e 7")."""
    following = tokens[at + 1] if at + 1 < len(tokens) else ""
    if following in _NUMBER_SUFFIXES:
        return True
    after = tokens[at + 2] if at + 2 < len(tokens) else ""
    return len(following) == 1 and following.isalpha() and (not after or after in _STREET_UNITS)


# What people write in a company field when there is none (folded, legal forms dropped):
# no evidence of a shared or a different employer.
_NO_COMPANY = frozenset(
    "privato,privata,private,freelance,freelancer,self employed,selfemployed,"
    "libero professionista,liberi professionisti,autonomo,autonoma,lavoratore autonomo,"
    "persona fisica,individual,none,nessuna,nessuno,n a,na,n d,nd,non disponibile,"
    "not applicable,unemployed,disoccupato,disoccupata,retired,pensionato,pensionata,"
    "student,studente,studentessa,casalinga,homemaker,no company".split(",")
)


@lru_cache(maxsize=_CACHE)
@lru_cache(maxsize=_SMALL_CACHE)
def _company(value: str) -> str:
    """A company name for matching: folded, legal forms dropped; "" for a placeholder
    ("Privato", "Freelance", "n/a")."""
    name = " ".join(t for t in fold(value).split() if t not in _LEGAL_FORMS)
    return "" if name in _NO_COMPANY else name


@lru_cache(maxsize=_CACHE)
def company_core(value: str) -> str:
    """The words that name a company, folded, without its legal form, dotted or not
    ("Müller Logistik GmbH" and "Müller Logistik" -> 'muller logistik', "Rossi S.r.l."
    -> 'rossi'): two writings of one company share them, as survivorship compares them.
    (The scorer's _company keeps a dotted form's letters: their weight in its fuzzy
    ratio is part of how its threshold was set.)"""
    return " ".join(t for t in _initials_joined(fold(value).split()) if t not in _LEGAL_FORMS)


# Words that name a business, not a person ("Trattoria Da Gino", "Studio Associato Ferri"),
# folded; and the legal forms no person's name ends with (the short ones, "Sá" or "Co",
# may be surnames).
_BUSINESS_WORDS = frozenset(
    "studio trattoria ristorante pizzeria osteria hotel albergo bar ferramenta farmacia "
    "officina autofficina agenzia societa associazione associati impresa ditta azienda "
    "tipografia arredamenti edilizia costruzioni immobiliare commerciale consulting group "
    "gruppo onlus fondazione istituto scuola universita assicurazioni parrocchia "
    "circolo cooperativa laboratorio negozio boutique salone parrucchiere clinica "
    "poliambulatorio hotels company gesellschaft stiftung verein".split()
)
_SURE_LEGAL_FORMS = frozenset(f for f in _LEGAL_FORMS if len(f) >= 3) | {"bv", "nv", "ag", "kg"}


@lru_cache(maxsize=_SMALL_CACHE)
def reads_as_company(value: str) -> bool:
    """Whether a name is a business's: a legal form at its end ("Rossi S.r.l.", "Müller
    GmbH"; "Asa Poli" is a person, though ASA is a Norwegian company's), or a word of
    trades and institutions before the rest ("Ferramenta Colombo", "Studio Associato
    Ferri"; "Maria Salone" is a person; "Banca", a slip of Bianca, is no such word)."""
    words = _initials_joined(fold(value).split())
    return bool(words) and (words[0] in _BUSINESS_WORDS or words[-1] in _SURE_LEGAL_FORMS)


def _initials_joined(words: list[str]) -> list[str]:
    """Runs of single letters as one word: a dotted abbreviation ("S.p.A.", "A/S") folds
    to letters apart ('s p a')."""
    joined: list[str] = []
    run = ""
    for word in [*words, ""]:
        if len(word) == 1:
            run += word
            continue
        if run:
            joined.append(run)
            run = ""
        if word:
            joined.append(word)
    return joined


@lru_cache(maxsize=_CACHE)
def _postcode(value: str) -> str:
    return value.replace(" ", "").upper()[:12]


def _slip(a: str, b: str) -> bool:
    """One slip of the keyboard: two neighbouring letters swapped, or a doubled letter."""
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    if abs(len(a) - len(b)) != 1:
        return False
    long, short = (a, b) if len(a) > len(b) else (b, a)
    i = 0
    while i < len(short) and long[i] == short[i]:
        i += 1
    if long[:i] + long[i + 1 :] != short:
        return False
    ch = long[i]
    return (i > 0 and long[i - 1] == ch) or (i + 1 < len(long) and long[i + 1] == ch)


# ---------------------------------------------------------------------------------------
# Field comparisons. Each takes its arguments in sorted order (symmetric and cache-friendly).

FIRST_WEIGHTS = {
    "exact": 4.0,
    "nickname": 3.0,
    "nickname (ambiguous)": 2.0,
    "typo": 3.0,
    "partial": 1.0,
    "similar": 1.0,
    "initial": 0.5,
    # One name that one language gives a man and another a woman (Andrea / Andreas, Daniele
    # / Daniel, man_and_woman): perhaps one person writing it two ways, perhaps a couple.
    # Less against the pair than two different names: with a shared email and surname it
    # reaches review, never an automatic merge.
    "man and woman": -4.0,
    "different": -6.0,
}
LAST_WEIGHTS = {
    "exact": 5.0,
    "typo": 4.0,
    "compound": 3.0,
    "similar": 1.5,
    "different": -5.0,
}
# Name agreement good enough for an automatic merge.
_FIRST_SURE = frozenset({"exact", "nickname", "typo"})
# First names that clash: two names, or one that may be a man's and a woman's.
_FIRST_CLASH = frozenset({"different", "man and woman"})
_LAST_SURE = frozenset({"exact", "typo", "compound"})


def _first_level(a: str, b: str) -> str:
    return _first_level_sorted(a, b) if a <= b else _first_level_sorted(b, a)


def first_level(a: str, b: str) -> str:
    """How the scorer reads two first names: 'exact', 'nickname', 'nickname (ambiguous)',
    'man and woman', 'typo', 'different'... (FIRST_WEIGHTS, or 'missing')."""
    return _first_level(a, b)


@lru_cache(maxsize=_CACHE)
def _first_level_sorted(a: str, b: str) -> str:
    x, y = _joined(a), _joined(b)
    if not x or not y:
        return "missing"
    if x == y:
        return "exact"
    if man_and_woman(x, y):
        return "man and woman"  # Andrea / Andreas, Daniele / Danielle
    gx, gy = _NAME_GROUPS.get(x, frozenset()), _NAME_GROUPS.get(y, frozenset())
    if gx & gy:
        return "nickname" if len(gx) == 1 and len(gy) == 1 else "nickname (ambiguous)"
    if len(x) == 1 or len(y) == 1:
        return "initial" if x[0] == y[0] else "different"
    if _initials_of(a, b) or _initials_of(b, a):
        return "initial"  # J.P. / Jean-Pierre, as J. / Jean
    if len(x) == len(y) and x[:-1] == y[:-1] and x[-1] in _VOWELS and y[-1] in _VOWELS:
        return "different"  # Giulio / Giulia, Mario / Maria: not a typo
    tx, ty = set(_fold(a).split()), set(_fold(b).split())
    # Maria / Maria Grazia; Gianluca / Luca written as one word
    partial = bool(tx and ty and (tx < ty or ty < tx)) or _compound(*sorted((x, y), key=len))
    if not partial and distinct_given_names(x, y):
        return "different"  # Marco / Marta, Luca / Lucia: two names, not one name's slip
    if _romanisations(x, y):
        return "typo"  # Dmitriy / Dmitrii / Dmitry: one name in two romanisations
    if min(len(x), len(y)) >= 4 and _slip(x, y):
        return "typo"
    if min(len(x), len(y)) >= 5 and _inner_edit(x, y):
        return "typo"
    if partial or _clipped(x, y):
        return "partial"  # Maria / Maria Grazia; Enza / Vincenza
    if JaroWinkler.similarity(x, y) >= 0.9:
        return "similar"
    return "different"


_INITIALS = (2, 3)  # letters of a compound first name's initials: J.P., J.M.A.


@lru_cache(maxsize=_SMALL_CACHE)
def _initials(value: str) -> str:
    """The letters of a first name written as the initials of a compound one: "J.P.",
    "J. P.", "J.-P." (single letters apart once folded), or "JP" written together when
    the letters are no name (given_names: Jo, Al, Ed, Ugo stay names); else ''."""
    words = _fold(value).split()
    letters = "".join(words)
    if not letters.isalpha() or len(letters) not in _INITIALS:
        return ""
    if len(words) == len(letters):
        return letters
    if len(words) > 1 or letters in FIRST_NAMES or letters in _NAME_GROUPS:
        return ""
    return "" if letters in SHORT_NAMES else letters


def _name_parts(value: str) -> list[list[str]]:
    """The ways to read a first name as the names of a compound: its words, particles
    left out ('Jean-Pierre', 'Maria del Carmen'), or a word cut into two names of their
    own ('Jeanpierre', 'Mariangela': _OWN_NAMES)."""
    words = [w for w in _fold(value).split() if w not in _PARTICLES]
    if len(words) != 1:
        return [words]
    word = words[0]
    return [
        [word[:cut], word[cut:]]
        for cut in range(_SHORT_PIECE, len(word) - _SHORT_PIECE + 1)
        if word[:cut] in _OWN_NAMES and word[cut:] in _OWN_NAMES
    ]


def _initials_of(initials: str, name: str) -> bool:
    """Whether `initials` is written as the initials of the compound first name `name`,
    one letter a name: J.P. / Jean-Pierre, MA / Maria Angela (not Jo / Jean Olivier)."""
    letters = _initials(initials)
    return bool(letters) and any(
        "".join(part[:1] for part in parts) == letters for parts in _name_parts(name)
    )


# Spellings of one name in different languages or habits: Christian / Cristian,
# Mohammed / Mohamed, Jacopo / Iacopo, Monika / Monica.
_SPELLINGS = (
    ("ch", "c"), ("ph", "f"), ("th", "t"), ("ct", "tt"), ("k", "c"), ("y", "i"), ("j", "i"),
    ("h", ""),
)  # fmt: skip
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=_CACHE)
def _spelling(joined: str) -> str:
    for written, said in _SPELLINGS:
        joined = joined.replace(written, said)
    return _DOUBLED.sub(r"\1", joined)


# Where romanisations of one Cyrillic name differ (fold writes a name in another script
# as anyascii does, and people write it by a passport's rules, or by ear): -ий as -iy,
# -ii, -ij, -y or -i (Dmitriy, Dmitrii, Dmitrij, Dmitry, Dmitri); й after a vowel as y, i
# or j (Sergey, Sergei, Sergej); я, ю, е opening a name as ya, ia or ja (Yakov, Iakov,
# Jakov); кс as ks or x (Aleksei, Alexei).
_ROMANISED = (
    (re.compile(r"(?<=[^aeiouy])[iy][ijy]?$"), "y"),
    (re.compile(r"(?<=[aeo])[ijy]$"), "y"),
    (re.compile(r"^[ij](?=[aeou])"), "y"),
    (re.compile(r"ks"), "x"),
)
_ROMANISED_LETTERS = 4  # shorter names are too alike already: Ian / Jan, Kai / Kay


@lru_cache(maxsize=_CACHE)
def _romanised(joined: str) -> str:
    """A folded name with the letters its romanisations write differently made one."""
    for pattern, written in _ROMANISED:
        joined = pattern.sub(written, joined)
    return joined


def _romanisations(x: str, y: str) -> bool:
    """Two folded names that are one name in two romanisations: Dmitriy / Dmitrii."""
    return x != y and min(len(x), len(y)) >= _ROMANISED_LETTERS and _romanised(x) == _romanised(y)


# What an Italian compound name adds to a name (Gianluca, Pierluigi, Annamaria): a name,
# or one of these short forms.
_COMPOUND_PARTS = frozenset({"gian", "pier", "gianpier", "mari"})
# Names people bear as names, not only as a diminutive of one: a piece of a compound of
# three letters or fewer must be one (Ugo, Eva), or Ele and Dani make a Daniele.
_OWN_NAMES = ITALIAN_NAMES | INTERNATIONAL_NAMES | frozenset(_VARIANT_GROUPS) | _COMPOUND_PARTS
_SHORT_PIECE = 3


def _one_name(x: str, y: str) -> bool:
    """Spellings of one name (Christian / Cristian), one with the Italian ending of
    another language's (Samuel / Samuele; Daniel / Daniele too, though man_and_woman
    tells those apart first), or one a part of the other's compound (Anna / Annamaria,
    Luca / Gianluca; not Anna / Susanna)."""
    short, long = sorted((_spelling(x), _spelling(y)), key=len)
    if short == long:
        return True
    if len(long) == len(short) + 1 and long.startswith(short) and long[-1] in "eio":
        return True
    return _compound(short, long)


def _compound(short: str, long: str) -> bool:
    """long is a compound name of short's written as one word (Gianluca / Luca, Annamaria
    / Anna): what it adds is a name or a compounding part. A piece of three letters or
    fewer, on either side, must be a name of its own: a short diminutive is cut from a
    name, not compounded into it (Ele / Daniele is no Dani + Ele, Rick / Patrick no Pat
    + Rick). Two letters opening the name stay read as before, an English diminutive's
    (Al / Alberto, Jo / Joanna)."""
    rest = long[len(short) :] if long.startswith(short) else ""
    if not rest and long.endswith(short):
        rest = long[: len(long) - len(short)]
    if len(rest) < 3 or not (rest in _COMPOUND_PARTS or rest in FIRST_NAMES):
        return False
    if len(short) < _SHORT_PIECE and long.startswith(short):
        return True
    return all(len(piece) > _SHORT_PIECE or piece in _OWN_NAMES for piece in (short, rest))


# Endings that make a feminine or a diminutive of a name: Carlo / Carlotta, Andrea /
# Andreina, Simone / Simonetta, Joseph / Josephine.
_FEMININE_ENDINGS = ("ina", "etta", "ella", "otta", "ine", "ette", "elle")


def _clipped(x: str, y: str) -> bool:
    """One name is the other's start or end, the way Italian diminutives are cut (Leo /
    Leonardo, Enza / Vincenza, Imma / Immacolata, Dino / Bernardino): at least three
    letters, and at least two cut off. Two names that people bear as names apart were
    told apart before (distinct_given_names: Anna / Susanna, Carlo / Carlotta), and an
    ending of the other gender is another person's (Maria / Mariano)."""
    short, long = sorted((x, y), key=len)
    if {short[-1:], long[-1:]} == {"a", "o"}:
        return False
    return (
        len(short) >= 3
        and len(long) >= len(short) + 2
        and (long.startswith(short) or long.endswith(short))
    )


def _feminine(short: str, long: str) -> bool:
    """long is the feminine (or a feminine diminutive) of short: Ivan / Ivana, Luigi /
    Luigia, Robert / Roberta, Carlo / Carlotta, Simone / Simonetta, Joseph / Josephine."""
    if long == short + "a" and not short.endswith("a"):
        return True
    stem = short[:-1] if short[-1:] in _VOWELS else short
    return len(stem) >= 3 and any(long == stem + ending for ending in _FEMININE_ENDINGS)


# Given names borne by one sex only (name_sexes), less the names our own lists know as
# an Italian or Russian man's though they end in -a (Ilia, Sasha) or are a woman's
# elsewhere (Andrea, Nicola): those tell nothing.
_MEN_ONLY = MEN - WOMEN_ELSEWHERE.keys()
_WOMEN_ONLY = WOMEN - MEN_IN_A - WOMEN_ELSEWHERE.keys()


# The fewest letters of both names for opposite_sexes to tell: the lists of 32 locales hold
# so many short names that a slip of a short one often makes another (Simona cut to Simo,
# a Finnish man's; Elia typed Eila, a Finnish woman's; Leone / Lene, Olga / Ola).
_SEXED_NAME_MIN = 5


def opposite_sexes(x: str, y: str) -> bool:
    """Two folded, joined first names of at least _SEXED_NAME_MIN letters, one borne by
    men only and the other by women only: Olivier / Olivia, Julian / Julia, Francis /
    Frances, Patrick / Patricia, Lauren / Laurent are a man and a woman, a couple or a
    brother and a sister on one family's landline, however few letters tell them apart."""
    if min(len(x), len(y)) < _SEXED_NAME_MIN:
        return False
    return (x in _MEN_ONLY and y in _WOMEN_ONLY) or (x in _WOMEN_ONLY and y in _MEN_ONLY)


def distinct_given_names(x: str, y: str) -> bool:
    """Two given names that people really bear (given_names.FIRST_NAMES), folded and
    joined, that are not forms of one name: Marco / Marta, Martina / Marina, Luca /
    Lucia, Fabio / Fabiola, Daniel / Daniela, a man's and a woman's name (opposite_sexes)
    are two people, whatever few letters tell them apart. A slip of the keyboard rarely
    makes another real name; a family often does. An Italian name and a name of another
    language's list may be one name translated (Giulia / Julia, Paolo / Paul): only a
    feminine form tells them apart."""
    if x == y:
        return False
    short, long = sorted((x, y), key=len)
    if _feminine(short, long) or man_and_woman(x, y):
        return True  # whether or not the lists know the feminine form
    if opposite_sexes(x, y):
        return True
    if x not in FIRST_NAMES or y not in FIRST_NAMES:
        return False
    one_list = (x in ITALIAN_NAMES and y in ITALIAN_NAMES) or (
        x in INTERNATIONAL_NAMES and y in INTERNATIONAL_NAMES
    )
    return one_list and not _one_name(x, y)


def man_and_woman(x: str, y: str) -> bool:
    """Two folded, joined first names that the nickname groups or the spelling rules make
    one name, though one language gives one of them to a man and the other to a woman:
    Andrea (an Italian man, a German, English or Spanish woman) beside Andreas, Andrew or
    Andrés; Nicola beside Nicholas; Simone beside Simon (given_names.WOMEN_ELSEWHERE);
    a French woman's -elle beside the man's -el or the Italian man's -ele (Danielle /
    Daniel or Daniele, Michelle / Michael, Emmanuelle / Emanuele); a French feminine
    (feminine_form: Jean / Jeanne); a feminine in -a that is no mere -a added
    (feminine_in_a: Karel / Karla, Kristian / Kristina). A real diminutive (Andy, Nico)
    is no such name: it stays a nickname."""
    if x == y:
        return False
    if y in WOMEN_ELSEWHERE.get(x, ()) or x in WOMEN_ELSEWHERE.get(y, ()):
        return True
    if feminine_form(x, y) or feminine_in_a(x, y) or feminine_in_a(y, x):
        return True
    short, long = sorted((x, y), key=len)
    base = long[:-2]  # 'danielle' -> 'daniel'
    if not (long.endswith("elle") and base in MEN_IN_EL):
        return False
    said = _spelling(short)
    one_group = _VARIANT_GROUPS.get(short, frozenset()) & _VARIANT_GROUPS.get(base, frozenset())
    return said in (_spelling(base), _spelling(base + "e")) or bool(one_group)


def feminine_form(x: str, y: str) -> bool:
    """Whether one folded, joined first name is the other's feminine by the French way of
    forming it, a final -e, a doubled consonant and -e, -c as -que: Jean / Jeanne, Louis
    / Louise, Denis / Denise, Julien / Julienne, Yvon / Yvonne, Frédéric / Frédérique,
    Christian / Christiane. Read as one name otherwise (a slip, a longer spelling), they
    let a couple's shared email or landline join them. A woman's name that ends in a
    consonant (Ann / Anne, Susan / Susanne: given_names.WOMEN_IN_CONSONANT) is no such
    pair; nor are the names of one nickname group, nor a slip that drops a name's final -e
    (Kyl / Kyle: the shorter name must be a known man's, given_names.FIRST_NAMES or
    FRENCH_MEN). Such a pair is the scorer's "man and woman": with one surname and email
    it goes to review."""
    short, long = sorted((x, y), key=len)
    if len(short) < 3 or short[-1] in _VOWELS or short[-1] == "y" or short in WOMEN_IN_CONSONANT:
        return False
    if short not in FIRST_NAMES and short not in FRENCH_MEN:
        return False  # Kyl / Kyle, Paig / Paige: a slip of a woman's or a man's name
    if short[-1] == short[-2] or short.endswith("bel"):
        return False  # Charlott / Charlotte: a slip; Isabel / Isabelle: one woman's name
    if _NAME_GROUPS.get(x, frozenset()) & _NAME_GROUPS.get(y, frozenset()):
        return False
    if long in (short + "e", short + short[-1] + "e"):
        return True
    return short[-1] == "c" and long == short[:-1] + "que"


def feminine_in_a(man: str, woman: str) -> bool:
    """Whether the folded, joined name woman is the feminine in -a of man, a man's name
    ending in a consonant, formed other than by a bare -a (Jan / Jana: _feminine) the way
    Slavic, Germanic and Scandinavian languages form it: the vowel before the man's last
    consonant dropped (Karel / Karla, Pavel / Pavla, Zdeněk / Zdeňka, Kristian /
    Kristina, Sander / Sandra), one put there (Michal / Michaela, Karl / Karola), or -ia
    added (Viktor / Viktoria, Emil / Emilia, Anton / Antonia). Read as one name's slip,
    they let a couple's shared email or landline join them. man must be a man's name the
    lists know (given_names.FIRST_NAMES, FRENCH_MEN, MEN_IN_CONSONANT), not a woman's in a
    consonant (Karin) nor a diminutive of several names (Alex / Alexia); woman a name the
    lists know (a slip of his name is none: Lucas / Lucsa), no man's name in -a
    (given_names.MEN_IN_A: Matt / Mattia) nor a name of man's nickname group."""
    if len(man) < 3 or len(woman) < 3 or man[-1] in _VOWELS or man[-1] == "y":
        return False
    if not woman.endswith("a"):
        return False
    if man not in FIRST_NAMES and man not in FRENCH_MEN and man not in MEN_IN_CONSONANT:
        return False  # Paoal / Paola: a slip of the woman's name
    groups = _NAME_GROUPS.get(man, frozenset())
    if man in WOMEN_IN_CONSONANT or len(groups) > 1 or woman in MEN_IN_A:
        return False
    if groups & _NAME_GROUPS.get(woman, frozenset()):
        return False
    if woman not in FIRST_NAMES and woman not in _NAME_GROUPS:
        return False  # Lucas / Lucsa: two letters of his name swapped, no woman's name
    stem, last, vowel = woman[:-2], woman[-2], man[-2]
    dropped = vowel in _VOWELS and last == man[-1] and stem == man[:-2]
    put_in = stem[-1:] in _VOWELS and last == man[-1] and stem[:-1] == man[:-1]
    return dropped or put_in or woman == man + "ia"


def _inner_edit(x: str, y: str) -> bool:
    """One letter added, dropped, replaced or two swapped, away from the name's ending.

    'Alessandra'/'Alessadra', 'Harrison'/'Harrisn', 'Kynan'/'Kynzn' are slips; an edit at
    the ending changes the name ('Robert'/'Roberta', 'Giovanna'/'Giovanni'), and one vowel
    for another inside it often does too ('Frances'/'Francis').
    """
    if x[-1] != y[-1] or OSA.distance(x, y) != 1:
        return False
    if len(x) == len(y):
        diff = [i for i in range(len(x)) if x[i] != y[i]]
        if len(diff) == 1 and x[diff[0]] in _VOWELS and y[diff[0]] in _VOWELS:
            return False
    return True


def clipped_names(a: str, b: str) -> bool:
    """One name cut from the other, not a compound of it nor a known nickname: Giulia /
    Lia, Marina / Rina, Regina / Gina (sisters on one family email), not Maria / Maria
    Grazia nor Leonardo / Leo. The scorer calls them "partial" (a diminutive may be one
    person: review), but a shared email or phone does not make them one person."""
    x, y = _joined(a), _joined(b)
    if x == y or not _clipped(x, y):
        return False
    short, long = sorted((x, y), key=len)
    words = fold(a if len(x) > len(y) else b).split()
    if len(words) > 1 and any(_joined(" ".join(words[:n])) == short for n in range(1, len(words))):
        # Jorge / "Jorge García": the other's first word(s) whole, a second given name or a
        # surname read with the first name, not a name cut short.
        return False
    nickname = _NAME_GROUPS.get(x, frozenset()) & _NAME_GROUPS.get(y, frozenset())
    return not _compound(short, long) and not nickname


def first_names_slip(a: str, b: str) -> bool:
    """Two first names one slip apart (not Giulio/Giulia: a final vowel tells people apart).

    Looser than the scorer's "typo" level (at most two edits, or one name inside the
    other: Chiara/Chiera, Francesco/Cesco): for pairs that already share an identifier.
    """
    x, y = _joined(a), _joined(b)
    if len(x) == len(y) and x[:-1] == y[:-1] and x[-1:] in _VOWELS and y[-1:] in _VOWELS:
        return False
    if distinct_given_names(x, y) or clipped_names(x, y):
        return False  # Marco / Marta, Giulia / Lia sharing a family's email
    if _romanisations(x, y):
        return True  # Aleksei / Alexey
    if min(len(x), len(y)) >= 3 and (x in y or y in x):
        return True
    return min(len(x), len(y)) >= 4 and OSA.distance(x, y) <= 2


def _last_level(a: str, b: str) -> str:
    return _last_level_sorted(a, b) if a <= b else _last_level_sorted(b, a)


def last_level(a: str, b: str) -> str:
    """How the scorer reads two surnames: 'exact', 'typo', 'compound', 'similar',
    'different' (LAST_WEIGHTS, or 'missing')."""
    return _last_level(a, b)


@lru_cache(maxsize=_CACHE)
def _last_level_sorted(a: str, b: str) -> str:
    xj, yj = _joined(a), _joined(b)
    if not xj or not yj:
        return "missing"
    generations = (_generation(a), _generation(b))
    if None not in generations and generations[0] != generations[1]:
        return "different"  # Moretti Sr. / Moretti Jr.
    xc, yc = _surname_core(a), _surname_core(b)
    if xj == yj or xc == yc:
        return "exact"
    if _romanisations(xc, yc):
        return "typo"  # Tolstoy / Tolstoi, Aleksandrov / Alexandrov
    shortest = min(len(xc), len(yc))
    if shortest >= 4 and (_slip(xc, yc) or _slip(xj, yj)):
        return "typo"
    if shortest >= 6 and OSA.distance(xc, yc) == 1:
        return "typo"
    tx, ty = surname_tokens(a), surname_tokens(b)
    if tx and ty and (tx < ty or ty < tx):
        return "compound"  # Rossi / Rossi Bianchi
    jw = JaroWinkler.similarity(xc, yc)
    if jw >= 0.92 or (jw >= 0.85 and _phonetic(xc) == _phonetic(yc)):
        return "similar"
    return "different"


# Years between a parent's birth and a child's, at least.
GENERATION_YEARS = 15


def _birth_level(a: date, b: date) -> str:
    if a == b:
        return "same"
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return "day and month swapped"
    x, y = a.isoformat(), b.isoformat()
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    if diff[0] < 3 and abs(a.year - b.year) >= GENERATION_YEARS:
        # The century or the decade, a generation apart (a father and son of one name on
        # one landline): as likely as a slip there, and joining them leaks data. Nearer
        # years (1978 / 1987, 1985 / 1995) are no parent and child: a slip.
        return "different"
    if len(diff) == 1 or (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and x[diff[0]] == y[diff[1]]
        and x[diff[1]] == y[diff[0]]
    ):
        return "one digit off"
    return "different"


# An address level that compare() weighs as neither agreement nor disagreement: the same
# house number on a street written two ways, one word abbreviating the other's ("C/
# Mayor" / "Calle Mayor", "Elm Stn" / "Elm Station"). Not in W_ADDRESS: no reason says it.
WRITTEN_APART = "written apart"


def _as_written(a: str, b: str) -> tuple[str, str]:
    """The words of two addresses as written, folded, without numbers: compared besides
    their street words written out, for a slip in a word that writing out would turn
    into another word ("Welsby Pnlace" is "Welsby Place", whose "place" is written out
    as the family's one word)."""
    return _written_words(a), _written_words(b)


@lru_cache(maxsize=_CACHE)
def _written_words(value: str) -> str:
    return " ".join(w for w in fold(value).split() if not any(ch.isdigit() for ch in w))


def _written_apart(sa: str, sb: str) -> bool:
    """Street words that may be one street's: as many words, each the same as the other's
    or an abbreviation of it (its first letter, then some of its letters in order: "c"
    for "calle", "blvd" for "boulevard"), one at least abbreviated. Abbreviations of
    different letters ("Via Roma" / "Via Rossi") are two streets."""
    wa, wb = sa.split(), sb.split()
    if len(wa) != len(wb) or wa == wb:
        return False
    return all(
        x == y or _abbreviates(x, y) or _abbreviates(y, x) for x, y in zip(wa, wb, strict=True)
    )


def _abbreviates(short: str, long: str) -> bool:
    """short is long cut short: its first letter, then some of its letters in order."""
    if len(short) >= len(long) or short[:1] != long[:1] or short.isdigit():
        return False
    letters = iter(long[1:])
    return all(ch in letters for ch in short[1:])


# The same street and house number, the number with a suffix on one side only ("Via Roma 5"
# / "Via Roma 5A", "5 bis"): the suffix may have been left out, or it names the next
# building. Neither the same address nor another: no weight, but said to the reviewer.
NUMBER_SUFFIX_ONE_SIDE = "same street, number suffix on one side"
# The same street line in two towns ("Via Roma 1" in Milano and in Roma): every town has a
# Via Roma, a Hauptstraße, a High Street; two homes, as another street would be.
OTHER_TOWN = "same street, another town"

# The kind of a street, as street_tokens writes it out, where it opens the street's name
# ("Via", "Piazzale", "Rue") or closes it ("Street", "Road", "Strasse"): two kinds are two
# streets ("Piazza Loreto" / "Piazzale Loreto", "Via Roma" / "Viale Roma", "Oak Road" /
# "Oak Street"), however alike their letters. Località and frazione name a place, not a
# street, and are written either way.
_STREET_KINDS = (
    frozenset(_STREET_WORDS.values())
    | frozenset(_STREET_STARTS.values())
    | frozenset(_STREET_ENDS.values())
    | frozenset(
        "via calle rue street road lane drive way close grove gardens mews walk row vico "
        "salita discesa traversa rampa viottolo stradone stradella calata lungotevere "
        "lungarno allee weg gasse".split()
    )
) - {"localita", "frazione"}
# Words that tell a street from its namesake: a saint ("12 St Mary Street" is not "12 Mary
# Street"), a quarter of the compass ("Via Emilia Est" / "Via Emilia Ovest"), new and old,
# upper and lower. On one side only, they make another street. (A lone "S." is a saint or
# an initial, "S. Pellico": no such word, though it may stand for one, see _street_marks.)
_STREET_MARKS = {
    **dict.fromkeys("saint san santa santo sant sainte ste sankt sao santi".split(), "saint"),
    **dict.fromkeys("nord north norte".split(), "north"),
    **dict.fromkeys("sud south".split(), "south"),
    **dict.fromkeys("est east este ost".split(), "east"),
    **dict.fromkeys("ovest west oeste".split(), "west"),
    **dict.fromkeys("nuova nuovo new nueva nuevo neue neuer neues neuve".split(), "new"),
    **dict.fromkeys("vecchia vecchio old vieja viejo velha velho alte alter altes".split(), "old"),
    **dict.fromkeys("superiore upper obere oberer".split(), "upper"),
    **dict.fromkeys("inferiore lower untere unterer".split(), "lower"),
    **dict.fromkeys("great little".split(), "size"),
}


def _street_kind(words: list[str]) -> tuple[str | None, list[str]]:
    """(the street's kind, the words of its name): 'via roma' -> ('via', ['roma']), 'elm
    street' -> ('street', ['elm']); no kind when none opens or closes it ('loreto')."""
    if len(words) > 1 and words[0] in _STREET_KINDS:
        return words[0], words[1:]
    if len(words) > 1 and words[-1] in _STREET_KINDS:
        return words[-1], words[:-1]
    return None, words


def _street_marks(names: list[str], other: list[str]) -> set[str]:
    """The marks (_STREET_MARKS) of a street's name that the other's name does not
    answer, neither with a mark of the same meaning nor with an abbreviation of the
    word ("S. Francesco" answers "San Francesco")."""
    theirs = {_STREET_MARKS[w] for w in other if w in _STREET_MARKS}
    return {
        _STREET_MARKS[w]
        for w in names
        if w in _STREET_MARKS
        and _STREET_MARKS[w] not in theirs
        and not any(_abbreviates(x, w) for x in other)
    }


def _streets_apart(sa: str, sb: str) -> bool:
    """Two streets that no slip makes one: of two kinds ("Piazza" / "Piazzale"; unless
    one's kind is a word of the other's name, "Borgo Palazzo" / "Via Borgo Palazzo"), or
    a name with a saint, a quarter or an age that the other lacks or reverses."""
    (kind_a, names_a), (kind_b, names_b) = _street_kind(sa.split()), _street_kind(sb.split())
    if kind_a and kind_b and kind_a != kind_b and kind_a not in names_b and kind_b not in names_a:
        return True
    return bool(_street_marks(names_a, names_b) or _street_marks(names_b, names_a))


def _house_numbers(na: frozenset[str], nb: frozenset[str]) -> str:
    """'same', 'suffix' (one side writes a suffix the other lacks: 5 / 5A) or 'other'
    (5 / 7, 5A / 5B) for two addresses' house numbers."""
    if na == nb:
        return "same"
    suffixes: dict[str, list[set[str]]] = {}
    for side, numbers in enumerate((na, nb)):
        for number in numbers:
            house = _HOUSE_NUMBER.fullmatch(number)
            base, suffix = (house[1], house[2] or "") if house else (number, "")
            suffixes.setdefault(base, [set(), set()])[side].add(suffix)
    for on_a, on_b in suffixes.values():
        if not on_a or not on_b:
            return "other"  # a number on one side only
        if on_a - {""} and on_b - {""} and on_a != on_b:
            return "other"  # 5A / 5B
    return "suffix"


def _address_level(a: str, b: str) -> str:
    return _address_level_sorted(a, b) if a <= b else _address_level_sorted(b, a)


@lru_cache(maxsize=_CACHE)
def _address_level_sorted(a: str, b: str) -> str:
    (sa, na), (sb, nb) = street_words(a), street_words(b)
    if not sa or not sb:
        return "unknown"
    units_a, units_b = {n for n in na if n[0] == "#"}, {n for n in nb if n[0] == "#"}
    na, nb = na - units_a, nb - units_b
    if _street_numerals(sa) != _street_numerals(sb):
        return "different"  # "Via XX Settembre" and "Via XXI Settembre" are two streets
    if _streets_apart(sa, sb):
        return "different"  # "Piazza Loreto" / "Piazzale Loreto", "St Mary St" / "Mary St"
    if fuzz.token_set_ratio(sa, sb) < 90 and fuzz.token_set_ratio(*_as_written(a, b)) < 90:
        # One house number on a street written with an abbreviation no list knows is no
        # evidence against the pair.
        return WRITTEN_APART if na and na == nb and _written_apart(sa, sb) else "different"
    if na and nb:
        numbers = _house_numbers(na, nb)
        # A unit on one side only says nothing more; two different units, two homes.
        if numbers == "other" or (units_a and units_b and units_a != units_b):
            return "same street, other number"
        return "same" if numbers == "same" else NUMBER_SUFFIX_ONE_SIDE
    return "same street"


def _new_year(day: date | None) -> bool:
    """1 January: a real birthday for few, a placeholder for an unknown one for many."""
    return day is not None and day.month == 1 and day.day == 1


def _other_towns(a: Person, b: Person) -> bool:
    """Whether two people's addresses are in two towns: their cities differ (no slip, no
    other language's name) and their postcodes do not say one place (the same, or one
    slip apart: with a misspelt town too, more likely one record typed badly twice)."""
    if not (a.city and b.city) or _city_level(a.city, b.city) != "different":
        return False
    if not (a.postcode and b.postcode):
        return True
    return OSA.distance(_postcode(a.postcode), _postcode(b.postcode)) > 1


def _city_level(a: str, b: str) -> str:
    return _city_level_sorted(a, b) if a <= b else _city_level_sorted(b, a)


@lru_cache(maxsize=_CACHE)
def _city_level_sorted(a: str, b: str) -> str:
    """'same' (also by another language's name: Rome/Roma), 'typo' (one slip: 'Winston
    Hills'/'Winstonbhills') or 'different'."""
    x, y = city_key(a), city_key(b)
    if x == y:
        return "same"
    xj, yj = x.replace(" ", ""), y.replace(" ", "")
    if xj == yj or (min(len(xj), len(yj)) >= 5 and OSA.distance(xj, yj) <= 1):
        return "typo"
    return "different"


def _tax_slip(a: str, b: str) -> bool:
    """One character replaced, dropped or two swapped: a typo, not another person's id."""
    return OSA.distance(a, b) <= 1


def _company_same(a: str, b: str) -> bool:
    ca, cb = _company(a), _company(b)
    if not ca or not cb:
        return False
    if ca > cb:
        ca, cb = cb, ca
    return _company_ratio(ca, cb) >= 90


@lru_cache(maxsize=_CACHE)
def _company_ratio(a: str, b: str) -> float:
    return fuzz.token_set_ratio(a, b)


def address_level(a: str, b: str) -> str:
    """How compare() reads two addresses: 'same', 'same street', 'different', 'unknown'..."""
    return _address_level(a, b)


def values_same(field: str, a: str, b: str) -> bool | None:
    """Whether compare() counts two non-empty values of a Person field as the same ("Via
    Roma 5" / "Via Roma, 5", "Milano" / "MILANO"); None when it does not read them (another
    field, an address without a street, a placeholder company)."""
    if field == "first_name":
        return _first_level(a, b) == "exact"
    if field == "last_name":
        return _last_level(a, b) == "exact" and not _one_generation(a, b)
    if field == "address":
        level = address_level(a, b)
        return None if level == "unknown" else level == "same"
    if field == "postcode":
        return _postcode(a) == _postcode(b)
    if field == "city":
        return _city_level(a, b) == "same"
    if field == "company":
        return _company_same(a, b) if _company(a) and _company(b) else None
    if field == "country":
        return a.upper() == b.upper()
    return None


def _domain(email: str) -> str:
    return email.rpartition("@")[2]


# Mailboxes anyone can open: two people at one of these share a provider, not an employer.
# Providers with a domain per country are named by their first label ("hotmail.it").
_PUBLIC_MAIL = MAIL_PROVIDERS | frozenset(
    "pec.it legalmail.it arubapec.it postecert.it pec.libero.it pec.aruba.it "
    "cert.legalmail.it pecveneto.it mypec.eu".split()
)
_PUBLIC_MAIL_FAMILIES = frozenset("hotmail outlook live msn yahoo ymail gmx".split())


# The local parts of an organisation's role mailboxes (info@, amministrazione@, sales@):
# an office's inbox that several people use, not one person's, in the languages of the
# headers the importer reads. Compared without separators and trailing digits (info2@).
ROLE_MAILBOXES = frozenset(
    """
    info infos information informazioni informazione office ufficio uffici amministrazione
    admin administration administracion amministrativo contabilita accounting accounts
    billing fatture fatturazione invoice invoices segreteria secretary reception
    accoglienza commerciale commerciali vendite sales ventas vente ventes vertrieb ordini
    orders order pedidos commande commandes bestellung bestellungen acquisti purchasing
    marketing support supporto assistenza help helpdesk service servizio servizi clienti
    servizioclienti customerservice customercare kundenservice hello ciao hola bonjour
    contact contacts contatti contatto contacto kontakt mail email posta hr jobs careers
    lavoraconnoi recruiting privacy legal direzione management booking prenotazioni
    reservations shop store negozio team staff noreply donotreply postmaster webmaster
    bureau buero verwaltung general generale
    """.split()
)


@lru_cache(maxsize=_SMALL_CACHE)
def role_address(email: str) -> bool:
    """An organisation's role mailbox (info@acme.it, ufficio.vendite@, sales2@): an
    office's inbox, not a person's, so sharing it says less about being one person."""
    local = email.lower().rpartition("@")[0].split("+", 1)[0]
    words = [w for w in re.split(r"[._-]+", local) if w]
    if not words:
        return False
    joined = "".join(words).rstrip("0123456789")
    return joined in ROLE_MAILBOXES or all(w.rstrip("0123456789") in ROLE_MAILBOXES for w in words)


def public_mail_domain(domain: str) -> bool:
    """A webmail or certified-mail (PEC) provider's domain, not an organisation's."""
    if domain in _PUBLIC_MAIL:
        return True
    labels = domain.split(".")
    return 2 <= len(labels) <= 3 and labels[0] in _PUBLIC_MAIL_FAMILIES


@lru_cache(maxsize=_CACHE)
def mailbox(email: str) -> str:
    """The inbox an address reaches: Gmail ignores dots and a +tag in the local part, and
    googlemail.com is gmail.com ('Sara.Greco+shop@googlemail.com' -> 'saragreco@gmail.com')."""
    local, _, domain = email.lower().rpartition("@")
    if domain in ("gmail.com", "googlemail.com") and local:
        return local.partition("+")[0].replace(".", "") + "@gmail.com"
    return email.lower()


def _mailboxes(emails: tuple[str, ...]) -> frozenset[str]:
    return _mailboxes_of(tuple(emails))


@lru_cache(maxsize=_SMALL_CACHE)
def _mailboxes_of(emails: tuple[str, ...]) -> frozenset[str]:
    # Asked for each candidate a row is screened against: the row's own are asked again
    # (a small cache holds a batch's rows; the candidates' are many, and asked less).
    return frozenset(mailbox(e) for e in emails)


def colleagues(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two people's emails are other mailboxes at one organisation's domain
    (laura.romano@studio-rx.it / laura.rovani@studio-rx.it): colleagues, whatever office
    phone or address they share. A webmail provider's domain says nothing, and nor does a
    slip of one address (s.hofmann@ / s.hoffmann@: one letter)."""
    if not a or not b:
        return False
    boxes_a, boxes_b = _mailboxes(a), _mailboxes(b)
    if boxes_a & boxes_b:
        return False
    for domain in {_domain(e) for e in boxes_a} & {_domain(e) for e in boxes_b}:
        if public_mail_domain(domain):
            continue
        mine = [e.rpartition("@")[0] for e in boxes_a if _domain(e) == domain]
        theirs = [e.rpartition("@")[0] for e in boxes_b if _domain(e) == domain]
        if all(OSA.distance(x, y) > 1 or _numbered_apart(x, y) for x in mine for y in theirs):
            return True
    return False


def _numbered_apart(x: str, y: str) -> bool:
    """Two local parts of one domain, one of them the other with a number after it
    (elizabeth.carter@ and elizabeth.carter2@): how an organisation gives a namesake a
    mailbox of their own, not a slip of the keyboard."""
    digits = "0123456789"
    bare_x, bare_y = x.rstrip(digits), y.rstrip(digits)
    return bare_x == bare_y and (bare_x == x) != (bare_y == y)


# ---------------------------------------------------------------------------------------
# Birth dates in an Italian codice fiscale (normalise.codice_fiscale): two digits of the
# year, so compared with a birth date without guessing the century.


def _short_date(p: Person) -> tuple[int, int, int] | None:
    """(year % 100, month, day) of a person's birth date, else of their codice fiscale."""
    if p.birth_date:
        return p.birth_date.year % 100, p.birth_date.month, p.birth_date.day
    code = codice_fiscale(p.tax_id) if p.tax_id else None
    return (code.year, code.month, code.day) if code else None


def _short_birth_level(x: tuple[int, int, int], y: tuple[int, int, int]) -> str:
    """_birth_level for dates of two-digit years: a generation apart is GENERATION_YEARS
    or more either way round the century (1999 / 2001 are two years apart)."""
    if x == y:
        return "same"
    if x[0] == y[0] and x[1] == y[2] and x[2] == y[1]:
        return "day and month swapped"
    sx, sy = (f"{year:02d}{month:02d}{day:02d}" for year, month, day in (x, y))
    diff = [i for i in range(6) if sx[i] != sy[i]]
    gap = abs(x[0] - y[0])
    if diff[0] < 2 and min(gap, 100 - gap) >= GENERATION_YEARS:
        return "different"
    if len(diff) == 1 or (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and sx[diff[0]] == sy[diff[1]]
        and sx[diff[1]] == sy[diff[0]]
    ):
        return "one digit off"
    return "different"


def _birth(a: Person, b: Person) -> tuple[str, bool] | None:
    """(level, read from a tax id) of two people's birth dates, None when there is nothing
    to compare. A codice fiscale stands in for a missing birth date; two tax ids are
    compared as ids (the same one settles the pair, different ones veto it)."""
    if a.birth_date and b.birth_date:
        return _birth_level(a.birth_date, b.birth_date), False
    if (a.tax_id and b.tax_id) or not (a.tax_id or b.tax_id):
        return None
    x, y = _short_date(a), _short_date(b)
    if x is None or y is None:
        return None
    coded = a if a.tax_id and not a.birth_date else b
    if not _code_fits(codice_fiscale(coded.tax_id), a, b):
        return None  # a mother's code typed on her daughter's record says nothing of her
    return _short_birth_level(x, y), True


def _code_fits(code, a: Person, b: Person) -> bool:
    """A codice fiscale may be the person the records describe: its given-name code is one
    of their first names' (the other may be a nickname), its surname code one of their
    surnames' (a married woman's code keeps her surname at birth)."""
    if code is None:
        return False
    for names, of_code, coded in (
        ([p.first_name for p in (a, b) if p.first_name], given_name_code, code.given),
        ([p.last_name for p in (a, b) if p.last_name], surname_code, code.surname),
    ):
        if names and all(of_code(name) != coded for name in names):
            return False
    return True


def births_comparable(a: Person, b: Person) -> bool:
    """Whether compare() weighs the two people's birth dates: both have one, or one has a
    birth date or a codice fiscale and the other a codice fiscale (two tax ids aside)."""
    return _birth(a, b) is not None


@lru_cache(maxsize=_CACHE)
def _name_codes(first: str, last: str) -> tuple[str, str]:
    return surname_code(last), given_name_code(first)


def _tax_id_names_other(a: Person, b: Person) -> bool:
    """One's codice fiscale spells the other's surname and given name and states their
    birth date, though its holder now bears another surname: a married woman's tax id
    keeps her surname at birth (Laura Colombo's says BNC LRA 85C52: Laura Bianchi, born
    12 March 1985)."""
    for x, y in ((a, b), (b, a)):
        code = codice_fiscale(y.tax_id) if y.tax_id and not x.tax_id else None
        if not (code and x.first_name and x.last_name and x.birth_date):
            continue
        born = (x.birth_date.year % 100, x.birth_date.month, x.birth_date.day)
        if (code.surname, code.given) == _name_codes(x.first_name, x.last_name) and born == (
            code.year,
            code.month,
            code.day,
        ):
            if not y.last_name or surname_code(y.last_name) != code.surname:
                return True
    return False


# ---------------------------------------------------------------------------------------
# Weights beyond the names (log-odds).

PRIOR = -9.0
W_BIRTH = {"same": 5.0, "day and month swapped": 1.5, "one digit off": 1.5, "different": -8.0}
W_EMAIL_SAME = 9.0
W_TAX_ID_SAME = 10.0
W_PHONE_SAME = 7.0
W_PHONE_DIFFERENT = -0.5
W_ADDRESS = {
    "same": 4.0,
    "same street": 1.5,
    NUMBER_SUFFIX_ONE_SIDE: 0.0,
    "same street, other number": -1.0,
    OTHER_TOWN: -1.0,
    "different": -1.0,
}
W_POSTCODE_SAME, W_POSTCODE_SAME_WITH_ADDRESS, W_POSTCODE_DIFFERENT = 2.0, 1.0, -0.5
W_CITY_SAME, W_CITY_SAME_WITH_PLACE, W_CITY_DIFFERENT = 1.0, 0.2, -0.3
W_COMPANY_SAME, W_COMPANY_DIFFERENT = 1.5, -0.3
W_COUNTRY_DIFFERENT = -2.0
# A codice fiscale that spells the other record's surname, given name and birth date beside
# another surname (see _tax_id_names_other): nearly as telling as a second birth date in
# common, enough with the same first name and date for review, never a merge (the surnames
# are not sure).
W_TAX_ID_NAMES_OTHER = 5.0
W_SWAPPED = -0.5
# Names that agree well (as written, not swapped) and the same city, where no other profile
# of the database has a similar name (the city's block of the surname's sound and the
# initial holds one profile), and no other address or company there: a badge scan or a
# till record with nothing else can still reach review. A common name in a big city gets
# nothing, its namesakes being many.
W_NAME_ALONE_IN_CITY = 1.5
# A woman's surname after marriage: the same first name and the same birth date (or a
# shared email or phone) take back most of what a different surname costs, so with an
# address in common (or the identifier; a shared mobile with the same town) the pair
# reaches review (never an automatic merge: the surnames are not sure).
W_SURNAME_CHANGED = 3.5
_FIRST_KEPT = frozenset({"exact", "nickname"})
# Why a pair shares an email that is an organisation's role mailbox (role_address).
EMAIL_ROLE_SAME = "email: same office mailbox"


def _names(a: Person, b: Person) -> tuple[str, str, float, bool]:
    """(first level, last level, weight, swapped), trying swapped first/last names too."""
    f_level = (
        _first_level(a.first_name, b.first_name) if a.first_name and b.first_name else "missing"
    )
    l_level = _last_level(a.last_name, b.last_name) if a.last_name and b.last_name else "missing"
    weight = FIRST_WEIGHTS.get(f_level, 0.0) + LAST_WEIGHTS.get(l_level, 0.0)
    if (
        a.first_name
        and a.last_name
        and b.first_name
        and b.last_name
        and (f_level not in _FIRST_SURE or l_level not in _LAST_SURE)
    ):
        # Swapped fields: a's first name against b's last name and vice versa. Both
        # assignments of the first/last comparators are tried so the result is symmetric.
        options = []
        for first_pair, last_pair in (
            ((a.last_name, b.first_name), (a.first_name, b.last_name)),
            ((a.first_name, b.last_name), (a.last_name, b.first_name)),
        ):
            fl, ll = _first_level(*first_pair), _last_level(*last_pair)
            if fl in _FIRST_SURE and ll in _LAST_SURE:
                options.append((FIRST_WEIGHTS[fl] + LAST_WEIGHTS[ll] + W_SWAPPED, fl, ll))
        if options:
            best = max(options)
            if best[0] > weight:
                return best[1], best[2], best[0], True
    return f_level, l_level, weight, False


# Reasons beyond "subject: level" (see compare).
LAST_ONE_GENERATION = "last name: same, Jr. or Sr. on one side only"
LAST_GENERATIONS = "last name: same, two generations (Jr. and Sr.)"
LAST_IN_TAX_ID = "last name: changed, the other's is in the tax id"
BIRTH_FROM_TAX_ID = "birth date: read from the tax id"
NO_MERGE_STRONG = "no automatic merge: needs two strong signals beyond the name"
NO_MERGE_AMBIGUOUS = "no automatic merge: the first name is a diminutive of several names"
# Other mailboxes at one organisation's domain (colleagues): a person looks.
NO_MERGE_COLLEAGUES = "no automatic merge: other mailboxes at one organisation"
# The reason of first names one language gives a man and another a woman.
MAN_AND_WOMAN = "first name: man and woman"
# A surname changed beside a shared tax id, with no email or phone in common.
SURNAME_CHANGED_TAX_ID = "last name: changed, same first name and tax id"


NO_MERGE_FIRST = "no automatic merge: the first names do not agree well enough"
NO_MERGE_SURNAMES = "no automatic merge: the surnames differ (perhaps a new surname)"
NO_MERGE_LAST = "no automatic merge: the surnames do not agree well enough"


def first_names_clash(reasons) -> bool:
    """Whether compare()'s reasons say the first names clash: two names, or one that may be
    a man's and a woman's (_FIRST_CLASH)."""
    return any(f"first name: {level}" in reasons for level in _FIRST_CLASH)


def compare(
    a: Person, b: Person, thresholds: Thresholds = Thresholds(), *, alone_in_city: bool = False
) -> Decision:
    """Weigh the evidence that `a` and `b` are one person and decide what to do.

    alone_in_city: the caller knows that no other profile has a name like theirs in a's
    city (see place_key); with names that agree well and the same city it adds weight.
    """
    f_level, l_level, total, swapped = _names(a, b)
    reasons = ["names: swapped"] if swapped else []
    reasons.append(f"first name: {f_level}")
    # "Rossi Jr." / "Rossi": the son, or his father who writes no suffix.
    generation = (
        l_level == "exact" and not swapped and _one_generation(a.last_name or "", b.last_name or "")
    )
    # "Rossi Sr." / "Rossi Jr.": father and son, not a surname changed by marriage.
    generations = (
        l_level == "different"
        and not swapped
        and _generations_apart(a.last_name or "", b.last_name or "")
    )
    if generation or generations:
        reasons.append(LAST_ONE_GENERATION if generation else LAST_GENERATIONS)
    else:
        reasons.append(f"last name: {l_level}")
    strong = 0
    born_same = False
    veto = None
    shared_id = False

    if birth := _birth(a, b):
        level, coded = birth
        total += W_BIRTH[level]
        if level == "same":
            strong += 1
            born_same = True
            reasons.append("birth date: same")
        elif level == "different":
            veto = "different birth dates"
        else:
            reasons.append(f"birth date: {level}")
        if coded:
            reasons.append(BIRTH_FROM_TAX_ID)

    if a.emails and b.emails:
        boxes_a, boxes_b = _mailboxes(a.emails), _mailboxes(b.emails)
        common = set(a.emails) & set(b.emails)
        if common and all(role_address(e) for e in common):
            # An office's inbox: evidence of one workplace, not of one person.
            total += W_COMPANY_SAME
            reasons.append(EMAIL_ROLE_SAME)
        elif common:
            total += W_EMAIL_SAME
            strong += 2
            shared_id = True
            reasons.append("email: same")
        elif boxes_a & boxes_b:
            # Gmail's dots and +tags reach one inbox, but an address written another way
            # is also how one person's address is mistyped as a namesake's: the weight
            # of the same email, never a strong signal for an automatic merge.
            total += W_EMAIL_SAME
            reasons.append("email: same inbox")
        elif f_level in _FIRST_CLASH and any(
            not public_mail_domain(d)
            for d in {_domain(e) for e in boxes_a} & {_domain(e) for e in boxes_b}
        ):
            veto = veto or "same email domain, different first names"

    if a.phones and b.phones:
        if set(a.phones) & set(b.phones):
            total += W_PHONE_SAME
            strong += 2
            shared_id = True
            reasons.append("phone: same")
        else:
            total += W_PHONE_DIFFERENT
            reasons.append("phone: different")

    tax_same = False
    if a.tax_id and b.tax_id:
        if a.tax_id == b.tax_id:
            total += W_TAX_ID_SAME
            strong += 2
            shared_id = tax_same = True
            reasons.append("tax id: same")
        elif _tax_slip(a.tax_id, b.tax_id):
            reasons.append("tax id: one character off")
        else:
            veto = veto or "different tax ids"

    place = local = False  # place: a strong signal; local: same address or postcode
    address = "unknown"
    if a.address and b.address:
        address = _address_level(a.address, b.address)
        if address not in ("unknown", "different") and _other_towns(a, b):
            address = OTHER_TOWN
        if address in W_ADDRESS:
            total += W_ADDRESS[address]
            reasons.append(f"address: {address}")
            place = local = address == "same"
    if a.postcode and b.postcode:
        if _postcode(a.postcode) == _postcode(b.postcode):
            # With a known address the postcode adds little: it agrees with a same address
            # anyway, and beside a different one (or one that may be another) it points to
            # neighbours, not one person. Unless the birth dates agree too: a namesake born
            # the same day in the same postcode is far rarer than a person who moved house
            # nearby.
            if address in ("unknown", "same street"):
                total += W_POSTCODE_SAME
                place = True
            else:
                total += W_POSTCODE_SAME_WITH_ADDRESS
                # Not when that day is 1 January: where the day is unknown, many systems
                # write it, and two namesakes "born" on it in one postcode are two people
                # until a person looks.
                place = place or (born_same and not _new_year(a.birth_date))
            local = True
            reasons.append("postcode: same")
        else:
            total += W_POSTCODE_DIFFERENT
            reasons.append("postcode: different")
    if place:
        strong += 1
    city_same = company_different = False
    if a.city and b.city:
        city = _city_level(a.city, b.city)
        if city != "different":
            total += W_CITY_SAME_WITH_PLACE if local else W_CITY_SAME
            reasons.append(f"city: {city}")
            city_same = city == "same"
        else:
            total += W_CITY_DIFFERENT
            reasons.append("city: different")
    if a.company and b.company and _company(a.company) and _company(b.company):
        if _company_same(a.company, b.company):
            total += W_COMPANY_SAME
            reasons.append("company: same")
        else:
            total += W_COMPANY_DIFFERENT
            reasons.append("company: different")
            company_different = True
    if (
        alone_in_city
        and city_same
        and f_level in _FIRST_SURE
        and l_level in _LAST_SURE
        and not swapped
        and not generation
        and address in ("unknown", "same", "same street", NUMBER_SUFFIX_ONE_SIDE, WRITTEN_APART)
        and not company_different
    ):
        # The only profile with a name like this in the city, and nothing about the place
        # or the work that says otherwise (another address there, another company).
        total += W_NAME_ALONE_IN_CITY
        reasons.append("name: no namesake in the city")
    if a.country and b.country and a.country.upper() != b.country.upper():
        total += W_COUNTRY_DIFFERENT
        reasons.append("country: different")
    if l_level == "different" and f_level in _FIRST_KEPT and not swapped:
        # The same first name with the same birth date or identifier: a surname changed
        # by marriage, or (one surname, two generations) a father and his son named after
        # him, sharing a home's landline; either way a person looks (LAST_GENERATIONS says
        # which).
        if born_same or shared_id:
            total += W_SURNAME_CHANGED
        if born_same and not generations:
            reasons.append("last name: changed, same first name and birth date")
        elif shared_id and not generations:
            reasons.append(
                SURNAME_CHANGED_TAX_ID
                if tax_same and not ("email: same" in reasons or "phone: same" in reasons)
                else "last name: changed, same first name and email or phone"
            )
        if _tax_id_names_other(a, b):
            total += W_TAX_ID_NAMES_OTHER
            reasons.append(LAST_IN_TAX_ID)

    logit = max(-30.0, min(30.0, total + PRIOR))
    score = round(1.0 / (1.0 + math.exp(-logit)), 4)

    if veto:
        reasons.append(f"veto: {veto}")
        # Different tax ids beside otherwise strong evidence are more likely a data-entry
        # slip than two people: a person decides. Other vetoes need a shared identifier.
        # A tax id in common is one person's by law, whatever else disagrees: either the
        # two are one person or one of them holds another's id, and a person decides.
        doubt = shared_id or veto == "different tax ids"
        outcome = "review" if tax_same or (doubt and score >= thresholds.review) else "separate"
    elif tax_same:
        # A personal tax id is one person's by law: with first names that do not clash
        # (the slip rule of shared emails and phones) it settles the pair (a married
        # name, a moved house, a typo elsewhere); with clashing ones a person looks.
        clash = f_level in _FIRST_CLASH and not first_names_slip(a.first_name, b.first_name)
        outcome = "review" if clash else "merge"
    elif score >= thresholds.auto:
        first_sure = f_level in _FIRST_SURE or (
            # A diminutive of several names is pinned down by a shared email address.
            f_level == "nickname (ambiguous)" and "email: same" in reasons
        )
        last_sure = l_level in _LAST_SURE and not generation
        coworkers = colleagues(a.emails, b.emails)
        if first_sure and last_sure and strong >= 2 and not coworkers:
            outcome = "merge"
        else:
            outcome = "review"
            # Each condition the merge lacks, in words: a reviewer reads why.
            if not first_sure:
                reasons.append(
                    NO_MERGE_AMBIGUOUS if f_level == "nickname (ambiguous)" else NO_MERGE_FIRST
                )
            if not last_sure:
                married = l_level == "different" and not generations
                reasons.append(NO_MERGE_SURNAMES if married else NO_MERGE_LAST)
            if strong < 2:
                reasons.append(NO_MERGE_STRONG)
            if coworkers:
                reasons.append(NO_MERGE_COLLEAGUES)
    elif (
        score >= thresholds.review
        or (shared_id and "last name: changed, same first name and email or phone" in reasons)
        or (
            EMAIL_ROLE_SAME in reasons
            and f_level in _FIRST_SURE
            and l_level in _LAST_SURE
            and not generation
        )
    ):
        # A woman's new surname after marriage, often with a new address: her mobile or
        # email says a person should look, however much else changed. So does one name
        # on an office's mailbox: a person, or two namesakes who work there.
        outcome = "review"
    else:
        outcome = "separate"
    return Decision(score=score, outcome=outcome, reasons=tuple(reasons), veto=veto)


def weigh(
    a: Person, b: Person, thresholds: Thresholds = Thresholds(), *, alone_in_city: bool = False
) -> Decision | None:
    """compare(), skipped where may_match() says the pair is sure to be kept apart; None
    for a pair to keep apart, else its Decision ("merge" or "review")."""
    if not may_match(a, b, thresholds, alone_in_city=alone_in_city):
        return None
    decision = compare(a, b, thresholds, alone_in_city=alone_in_city)
    return None if decision.outcome == "separate" else decision


_NAMES_MAX = max(FIRST_WEIGHTS.values()) + max(LAST_WEIGHTS.values())
_SWAPPED_MAX = (
    max(FIRST_WEIGHTS[level] for level in _FIRST_SURE)
    + max(LAST_WEIGHTS[level] for level in _LAST_SURE)
    + W_SWAPPED
)
_ROUNDING = 5e-5  # compare() rounds its score to four places


def may_match(
    a: Person, b: Person, thresholds: Thresholds = Thresholds(), *, alone_in_city: bool = False
) -> bool:
    """False only when `compare(a, b, thresholds, alone_in_city=...)` is sure to answer
    "separate".

    A cheap upper bound on the pair's score, for the importer to skip hopeless candidates
    of a block before weighing them in full: the fields that are quick to compare count
    exactly (birth dates and their veto, shared identifiers, postcode, city, country), the
    slower ones (address, company) at their best weight, and the names at their best
    until the rest leaves them a chance.
    """
    review = thresholds.review - _ROUNDING
    if not 0.0 < review < 1.0:
        return True
    need = math.log(review / (1.0 - review)) - PRIOR
    bound = 0.0
    veto = shared = born_same = False
    if birth := _birth(a, b):
        bound += W_BIRTH[birth[0]]
        veto = birth[0] == "different"
        born_same = birth[0] == "same"
    if a.emails and b.emails and not _mailboxes(a.emails).isdisjoint(_mailboxes(b.emails)):
        bound += W_EMAIL_SAME
        common = set(a.emails) & set(b.emails)
        shared = bool(common) and not all(role_address(e) for e in common)
        if common and not shared and a.first_name and a.last_name and b.first_name:
            return True  # compare: one name on an office's mailbox is reviewed
    if a.phones and b.phones:
        if set(a.phones).isdisjoint(b.phones):
            bound += W_PHONE_DIFFERENT
        else:
            bound += W_PHONE_SAME
            shared = True
    if a.tax_id and b.tax_id:
        if a.tax_id == b.tax_id:
            return True  # a shared tax id is never kept apart (compare: at least review)
    if veto and not shared:
        return False  # a vetoed pair is at most reviewed, and only with a shared identifier
    if shared and a.first_name and b.first_name and a.last_name and b.last_name:
        if _first_level(a.first_name, b.first_name) in _FIRST_KEPT:
            return True  # compare: a surname changed with a shared identifier is reviewed
    if a.address and b.address:
        bound += max(W_ADDRESS.values())
    if a.postcode and b.postcode:
        same = _postcode(a.postcode) == _postcode(b.postcode)
        bound += (
            max(W_POSTCODE_SAME, W_POSTCODE_SAME_WITH_ADDRESS) if same else W_POSTCODE_DIFFERENT
        )
    if a.city and b.city:
        city = _city_level(a.city, b.city)
        if city == "different":
            bound += W_CITY_DIFFERENT
        else:
            bound += max(W_CITY_SAME, W_CITY_SAME_WITH_PLACE)
            if alone_in_city and city == "same":
                bound += W_NAME_ALONE_IN_CITY
    if a.company and b.company and _company(a.company) and _company(b.company):
        bound += W_COMPANY_SAME
    if a.country and b.country and a.country.upper() != b.country.upper():
        bound += W_COUNTRY_DIFFERENT
    if shared or born_same:
        bound += W_SURNAME_CHANGED  # at most (compare: a surname changed by marriage)
    if born_same and (a.tax_id or b.tax_id):
        bound += W_TAX_ID_NAMES_OTHER  # at most (compare: _tax_id_names_other)
    if bound + _NAMES_MAX < need:
        return False
    first = _first_level(a.first_name, b.first_name) if a.first_name and b.first_name else ""
    last = _last_level(a.last_name, b.last_name) if a.last_name and b.last_name else ""
    if bound + FIRST_WEIGHTS.get(first, 0.0) + LAST_WEIGHTS.get(last, 0.0) >= need:
        return True
    if not (a.first_name and a.last_name and b.first_name and b.last_name):
        return False  # no swapped reading to try
    if bound + _SWAPPED_MAX < need:
        return False  # even names written the other way round would not be enough
    return bound + _names(a, b)[2] >= need


# ---------------------------------------------------------------------------------------
# Blocking.


# The version of blocking_keys: change it with the keys, and `crm init` rebuilds the stored
# keys of every profile (match_keys.ensure_current), so old profiles meet new rows.
KEYS_VERSION = 6  # 2: company (co:) and city (ci:) keys, cities by their local name;
# 3: names translated (nicknames.TRANSLATIONS) share their blocking representative;
# 4: first name + birth date without the century (fb:, from a codice fiscale too), surnames
# without Jr./Sr., cities without a province in brackets, linking words or saints' titles;
# 5: a Gmail inbox (mb:);
# 6: names, cities and companies in other scripts folded to Latin (normalise.fold: Иванов
# blocks with Ivanov), more legal forms left out of companies ("AB Volvo" is volvo)
# The blocking key of a Gmail inbox (see mailbox).
INBOX_KEY = "mb:"
# Keys that only narrow a name down (company, city): worth reading beside a name block too
# big to read; otherwise the name blocks already hold the same profiles.
NARROWING_KEYS = ("co:", "ci:")


def blocking_keys(p: Person) -> set[str]:
    """Short keys for the blocks this person belongs to (only pairs sharing one are compared).

    Each key combines two fields, so one typo, a nickname, swapped names or a missing field
    still leaves a key in common with the other record; none is so broad that a whole city
    shares it.
    """
    keys: set[str] = set()
    last = _surname_joined(p.last_name) if p.last_name else ""
    first = _first_rep(p.first_name) if p.first_name else ""
    last_code = _phonetic(last) if last else ""
    first_code = _phonetic(first) if first else ""
    postcode = _postcode(p.postcode) if p.postcode else ""
    if p.tax_id:
        keys.add(f"tx:{p.tax_id}")
    if last and first:
        keys.add(f"n:{last_code}:{first[0]}")
        keys.add(f"nl:{_letters(last)}:{first[0]}")
        # Swapped first/last: the same key whichever field holds which name.
        other = _phonetic(_first_rep(p.last_name))
        keys.add("sw:" + ":".join(sorted((first_code, other))))
    if p.birth_date and last:
        keys.add(f"nb:{last_code}:{p.birth_date.year}")
    if first and (born := _short_date(p)):
        # Without the century, so that a codice fiscale's date meets a birth date.
        year, month, day = born
        keys.add(f"fb:{first_code}:{year:02d}{month:02d}{day:02d}")
    if postcode:
        if last:
            keys.add(f"pc:{postcode}:{last_code}")
        if first:
            keys.add(f"pf:{postcode}:{first_code}")
    # A badge scan or a business card carries a name and a company, sometimes a city: for a
    # common name the name keys above are blocks of thousands, read only in part.
    if last and p.company and (company := _company(p.company).split()):
        keys.add(f"co:{_phonetic(_joined(company[0]))}:{last_code}")
    if city_key := place_key(p):
        keys.add(city_key)
    # Gmail addresses that reach one inbox (dots, a +tag, googlemail.com): the two records
    # meet, whatever their names, and are weighed ("email: same inbox").
    keys.update(f"{INBOX_KEY}{box}" for box in _mailboxes(p.emails) if box.endswith("@gmail.com"))
    return keys


def place_key(p: Person) -> str | None:
    """The blocking key of a person's city, surname sound and initial ("ci:..."): how many
    profiles hold it tells whether a name is alone in its city (see compare)."""
    if not (p.first_name and p.last_name and p.city):
        return None
    city = city_key(p.city).replace(" ", "")
    first = _first_rep(p.first_name)
    last = _surname_joined(p.last_name)
    if not (city and first and last):
        return None
    return f"ci:{city[:24]}:{_phonetic(last)}:{first[0]}"
