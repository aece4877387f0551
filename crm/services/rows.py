"""One row of a file as the importer reads it: its values normalised, its consents, and
what was wrong with it (reported as warnings with the field, or a reason to reject it).

Pure functions over a row's values by canonical field (readers.Mapping.values): nothing
here reads or writes the database; ingest stores what they return.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone

from crm.models import (
    CONSENT_STATUSES,
    LEGAL_BASES,
    MAX_EMAILS,
    MAX_PHONES,
    MAX_TAGS,
    PROFILE_FIELDS,
    PURPOSES,
    TAG_MAX,
    Profile,
)
from crm.services.given_names import GIVEN_NAMES
from crm.services.matching import reads_as_company
from crm.services.normalise import (
    COUPLE_OR_FAMILY,
    calling_code_reading,
    clean_text,
    codice_fiscale,
    empty_date,
    fold,
    given_name_code,
    is_placeholder,
    likely_region,
    lost_leading_zeros,
    mistyped_domain,
    normalise_address,
    normalise_country,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_place,
    normalise_postcode,
    normalise_state,
    normalise_tax_id,
    numeric_date,
    pad_postcode,
    phone_extension,
    phone_region,
    postcode_fits,
    read_in_other_order,
    storable,
    strip_text_marker,
    strip_titles,
    surname_code,
    zero_put_back,
)
from crm.services.readers import LOST_PHONES

# How Google Contacts names its own groups in a contact's labels ("* myContacts").
GOOGLE_SYSTEM_GROUP = "* "
# Lifecycle stage names of other tools (folded, letters only) -> ours; None: no stage.
STAGE_ALIASES = {
    "subscriber": "lead",
    "iscritto": "lead",
    "lead": "lead",
    "marketingqualifiedlead": "mql",
    "leadqualificatoperilmarketing": "mql",
    "mql": "mql",
    "salesqualifiedlead": "sql",
    "leadqualificatoperlevendite": "sql",
    "sql": "sql",
    "opportunity": "sql",
    "opportunita": "sql",
    "customer": "customer",
    "evangelist": "customer",
    "cliente": "customer",
    "other": None,
    "altro": None,
    "prospect": "lead",
    # HubSpot's stages in German, French and Spanish, and other tools' words for them.
    "abonnent": "lead",
    "interessent": "lead",
    "marketingqualifizierterlead": "mql",
    "vertriebsqualifizierterlead": "sql",
    "verkaufsqualifizierterlead": "sql",
    "verkaufschance": "sql",
    "kunde": "customer",
    "sonstiges": None,
    "andere": None,
    "abonne": "lead",
    "leadqualifiemarketing": "mql",
    "leadqualifiepourlemarketing": "mql",
    "leadqualifiepourlavente": "sql",
    "leadqualifieventes": "sql",
    "opportunite": "sql",
    "client": "customer",
    "ambassadeur": "customer",
    "evangeliste": "customer",
    "autre": None,
    "suscriptor": "lead",
    "prospecto": "lead",
    "leadcalificadoparamarketing": "mql",
    "leadcualificadoparamarketing": "mql",
    "leadcalificadoparaventas": "sql",
    "leadcualificadoparaventas": "sql",
    "oportunidad": "sql",
    "evangelizador": "customer",
    "promotor": "customer",
    "otro": None,
}
# A lead's status in other CRMs (HubSpot, Salesforce, Zoho, in English and Italian): the
# person is a lead, whatever the status; a few statuses say more (pre-qualified, an open
# deal, converted).
_LEAD_STATUSES = (
    "new open inprogress attemptedtocontact connected badtiming unqualified "
    "opennotcontacted workingcontacted closednotconverted contacted notcontacted "
    "contactinfuture junklead lostlead notqualified nuovo aperto incorso "
    "tentativodicontatto connesso momentosbagliato nonqualificato apertononcontattato "
    "inlavorazionecontattato chiusononconvertito "
    "created "  # Meta's (Facebook Lead Ads) lead_status of every new lead
    # HubSpot's lead statuses in German, French and Spanish.
    "neu offen inbearbeitung nichtqualifiziert kontaktversuch verbunden schlechtestiming "
    "nouveau ouvert encours nonqualifie tentativedecontact connecte mauvaistiming "
    "mauvaismoment nuevo abierto encurso nocalificado intentodecontacto conectado "
    "malmomento"
)
STAGE_ALIASES.update(dict.fromkeys(_LEAD_STATUSES.split(), "lead"))
STAGE_ALIASES.update(
    prequalified="mql",
    qualified="sql",
    opendeal="sql",
    affareaperto="sql",
    offenerdeal="sql",
    transactionouverte="sql",
    negocioabierto="sql",
    closedconverted="sql",
    chiusoconvertito="sql",
)
# HubSpot's legal-basis texts (folded, first match wins) -> GDPR Art. 6 basis.
LEGAL_BASIS_TEXTS = (
    ("freely given consent", "consent"),
    ("legitimate interest", "legitimate_interests"),
    ("performance of a contract", "contract"),
    ("legal obligation", "legal_obligation"),
    ("consent", "consent"),
    ("contract", "contract"),
    # HubSpot in Italian.
    ("consenso liberamente fornito", "consent"),
    ("interesse legittimo", "legitimate_interests"),
    ("esecuzione di un contratto", "contract"),
    ("obbligo legale", "legal_obligation"),
    ("consenso", "consent"),
    ("contratto", "contract"),
)
_TRUE = {"true", "yes", "y", "1", "si", "x"}
_NAME_PARTICLES = frozenset(
    "de di da del della dello delle dell dei degli dal dalla dallo dalle dall la lo le "
    "van von der den ter ten du des dos das do los las el al bin ibn ben bint".split()
)
# Given names that open a compound one written as two words ("Gian Luca", "Pier Paolo").
_GIVEN_PREFIXES = frozenset({"gian", "pier"})
# Values of one cell: "a@x.it; b@x.it", and Google Contacts' "347 987 6543 ::: +39 011 ...".
_LIST_SPLIT = re.compile(r"[;,]|:::")
# No profile field is longer than this: a bigger cell (a note pasted in the wrong column) is
# left out before it is read, and a list cell that long is not split into thousands of items.
_CELL_MAX = 1000
_LIST_CELL_MAX = 10_000
# The time of day after a numeric date: "10:00", "10:00:30", "2:05 PM".
# A time of day: "10:00", "2:05 PM", and the Italian "10.00" / "10.00.30".
_CLOCK = re.compile(
    r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?"
    # a zone after it, as form tools write one: "GMT+1", "UTC-05:00", "+0100", "CET"
    r"(?:\s*(?:(?:GMT|UTC)?([+-])(\d{1,2})(?::?(\d{2}))?|([A-Za-z]{3,4})))?"
)
# The zones written as letters in form tools' timestamps (Google Forms' "10:22:11 AM CET"),
# hours from UTC; another name is read as UTC (its hours at most off).
_ZONES = {
    "UTC": 0, "GMT": 0, "WET": 0, "WEST": 1, "BST": 1, "CET": 1, "CEST": 2, "MET": 1,
    "MEST": 2, "EET": 2, "EEST": 3, "MSK": 3, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
    "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "AEST": 10, "AEDT": 11,
}  # fmt: skip


def _column_limit(name: str) -> int | None:
    """The length limit of a profile column, so an over-long value warns instead of failing."""
    return getattr(Profile.__table__.c[name].type, "length", None)


@dataclass
class NormalisedRow:
    """A row's normalised values, identifiers and the problems found on the way."""

    external_id: str | None = None
    fields: dict = field(default_factory=dict)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    stage: str | None = None
    # The file says the row's email bounced (Mailchimp's "cleaned"), and since when if it
    # says: a fact about the address, not the person's consent.
    bounced: bool = False
    bounced_at: str | None = None
    # (canonical field, reason) for each value left out of the normalised record
    warnings: list[tuple[str, str]] = field(default_factory=list)
    reject_reason: str | None = None

    @property
    def has_name(self) -> bool:
        """True when the row names the person."""
        return bool(self.fields.get("first_name") or self.fields.get("last_name"))

    def record_fields(self) -> dict:
        """The normalised record as stored on the source record (JSON-ready)."""
        data = dict(self.fields)
        for key in ("emails", "phones", "tags"):
            if getattr(self, key):
                data[key] = list(getattr(self, key))
        if self.stage:
            data["stage"] = self.stage
        if self.bounced and self.emails:
            data["bounced"] = True
            if self.bounced_at:
                data["bounced_at"] = self.bounced_at
        return data


def _in_capitals(word: str) -> bool:
    """A word written in capitals (two letters at least: an initial says nothing)."""
    return word.isupper() and sum(c.isalpha() for c in word) >= 2


def _surname_in_capitals(parts: list[str]) -> tuple[str, str] | None:
    """(first, last) when the capitals mark the surname: 'ROSSI Mario', 'DE LUCA Maria
    Grazia', 'Anna BIANCHI' (lists, badges and forms often write it so); else None."""
    caps = [_in_capitals(p) for p in parts]
    if all(caps) or not any(caps):
        return None
    lead = caps.index(False)
    if lead and not any(caps[lead:]):
        return " ".join(parts[lead:]), " ".join(parts[:lead])
    tail = caps[::-1].index(False)
    if tail and not any(caps[: len(parts) - tail]):
        return " ".join(parts[:-tail]), " ".join(parts[-tail:])
    return None


def _particle(word: str) -> bool:
    """A surname particle written as a word of its own: de, di, della, van, von, ..."""
    return word.lower().rstrip("'’") in _NAME_PARTICLES


def _given(word: str) -> bool:
    """A common given name (given_names.GIVEN_NAMES)."""
    return fold(word).replace(" ", "") in GIVEN_NAMES


def _compound_given(parts: list[str]) -> bool:
    """Two words that make one Italian given name: "Gian Luca", "Pier Paolo"; "Maria" or
    "Anna" with a woman's name ("Maria Grazia", "Anna Rita"); a given name and "Maria"
    ("Anna Maria", "Gian Maria")."""
    first, second = (fold(p) for p in parts)
    if not _given(parts[1]) and second != "maria":
        return False
    if first in _GIVEN_PREFIXES:
        return True
    if second == "maria":
        return _given(parts[0]) or first in _GIVEN_PREFIXES
    return first in ("maria", "anna") and second.endswith("a")


def _given_at(parts: list[str], at: int) -> bool:
    """A given name, or the first word of a two-word one ("Gian" in "Gian Luca")."""
    if _given(parts[at]):
        return True
    return fold(parts[at]) in _GIVEN_PREFIXES and at + 1 < len(parts) and _given(parts[at + 1])


# How many of a file's full names must say "surname first" before it is read so.
NAME_ORDER_MIN = 5


def surname_first(samples) -> bool:
    """Whether a file's full names put the surname first ("Rossi Mario"), from a sample.

    A name opening with a common given name and not closing with one says "given name
    first"; the other way round says "surname first". The file is read surname first
    when that is said at least NAME_ORDER_MIN times and four times as often as the
    other; anything less keeps the usual order. A name with its surname in capitals
    follows its own rule (see split_full_name) and says which order the file uses.
    """
    given_first, surname_before = name_order_counts(samples)
    return surname_before >= max(NAME_ORDER_MIN, 4 * given_first)


def name_order_counts(samples) -> tuple[int, int]:
    """(names that say "given name first", names that say "surname first") in a sample
    of full names (see surname_first)."""
    given_first = surname_before = 0
    for sample in samples:
        text = clean_text(sample) if isinstance(sample, str) else None
        if not text or "," in text:
            continue
        parts = strip_titles(text).split(" ")
        if len(parts) < 2:
            continue
        if _surname_in_capitals(parts):
            # The capitals say where this one's surname stands: evidence for the others.
            surname_before += _in_capitals(parts[0])
            given_first += not _in_capitals(parts[0])
            continue
        opens, closes = _given(parts[0]), _given(parts[-1])
        given_first += opens and not closes
        surname_before += closes and not opens
    return given_first, surname_before


def split_full_name(
    full: str, *, surname_first: bool = False, country: str | None = None
) -> tuple[str | None, str | None]:
    """Split 'Maria Grazia De Luca' into ('Maria Grazia', 'De Luca'); 'Rossi, Anna' and
    'ROSSI Anna' (the surname in capitals, first or last) too.

    surname_first: the file writes names surname first ("De Luca Maria Grazia"): the
    given names are the common given names at the end (at least the last word), unless
    this name plainly opens with a given name and does not close with one.
    country: the row's (an ISO code), for the countries' own ways (see _family_first,
    _iberian_cut). A generational suffix stays with the surname ("John Smith Jr.",
    "Robert Johnson III": see take_suffix).
    """
    text = clean_text(full)
    if not text:
        return None, None
    text, suffix = take_suffix(strip_titles(text))
    if COUPLE_OR_FAMILY.match(full) and " " not in text:
        first, last = None, text  # "Famiglia Rossi", "Mr & Mrs Smith": a household's surname
    else:
        first, last = _split_name(text, surname_first, country)
    if suffix:
        last = f"{last} {suffix}" if last else suffix
    return first, last


def _split_name(text: str, surname_first: bool, country: str | None) -> tuple[str, str | None]:
    """(first, last) of a full name without titles or suffix (see split_full_name)."""
    if "," in text:
        last, _, first = text.partition(",")
        return clean_text(first), clean_text(last)
    if written := _east_asian_script(text, country):
        return written
    parts = text.split(" ")
    if len(parts) == 1:
        return parts[0], None
    if marked := _surname_in_capitals(parts):
        return marked
    order = _family_first(parts, country)
    if order is not None:
        surname_first = order
    elif len(parts) == 2 and _compound_given(parts):
        return text, None  # "Maria Grazia", "Gian Luca": one given name, no surname
    # A name in one case, whose capitals say nothing, that plainly reads surname first
    # follows its own order ("ROSSI ANNA" in a file of "Mario Rossi"); in mixed case the
    # file's order holds ("Edoadro De Simone", "Mei Laurent": a slip or a name the lists
    # do not know before a surname that is a given name elsewhere).
    reversed_here = (
        order is None
        and len(parts) == 2
        and (text.isupper() or text.islower())
        and not _particle(parts[0])
        and _given(parts[-1])
        and not _given_at(parts, 0)
    )
    if (surname_first and (order or not (_given(parts[0]) and not _given(parts[-1])))) or (
        not surname_first and reversed_here
    ):
        cut = 1 if order else _surname_end(parts)
        return " ".join(parts[cut:]), " ".join(parts[:cut])
    cut = _iberian_cut(parts, country)
    if cut is None:
        cut = len(parts) - 1
        while cut > 1 and _particle(parts[cut - 1]):
            cut -= 1
    return " ".join(parts[:cut]), " ".join(parts[cut:])


# Generational suffixes after a surname ("Smith Jr.", "Johnson III"; Brazil's "Silva
# Filho"), folded: they stay with the surname, where matching tells a father from his son.
_GENERATIONS = frozenset("jr sr junior senior ii iii iv filho".split())
_ROMAN = frozenset({"ii", "iii", "iv"})


def is_generation(word: str) -> bool:
    """A generational suffix, with or without its dot ("Jr.", "iii"): a word in any case,
    a numeral in capitals or in lower case ("III", "iii"; "Iv" reads as a name)."""
    folded = fold(word)
    if folded in _ROMAN:
        bare = word.rstrip(".")
        return bare.isupper() or bare.islower()
    return folded in _GENERATIONS


def suffix_written(word: str) -> str:
    """A generational suffix as it is best written: a numeral in capitals ("III"), a word
    with a capital and its dot as written ("Jr.", "Junior")."""
    bare = word.rstrip(".")
    if fold(bare) in _ROMAN:
        return bare.upper()
    return bare[:1].upper() + bare[1:].lower() + word[len(bare) :]


def take_suffix(text: str) -> tuple[str, str | None]:
    """(the name without it, its generational suffix or None): "John Smith, Jr." ->
    ("John Smith", "Jr."). Only after two words or more: "John Jr." keeps its word."""
    head, _, tail = text.rpartition(" ")
    head = head.rstrip(" ,")
    if not head or not is_generation(tail) or len(head.replace(",", " ").split()) < 2:
        return text, None
    return head, suffix_written(tail)


def normalise_surname(value: object) -> str | None:
    """A last name as normalise.normalise_name writes it, its generational suffix as
    suffix_written does ("JOHNSON III" -> "Johnson III", not "Johnson Iii")."""
    text = normalise_name(value)
    if not text:
        return None
    head, _, tail = text.rpartition(" ")
    if head and is_generation(tail):
        return f"{normalise_name(head) or head} {suffix_written(tail)}"
    return text


# Countries whose people bear two surnames, the father's then the mother's (Spain and
# Hispanic America), and those who keep as many as their family gives, the main one last
# (Portugal, Brazil and Portuguese-speaking Africa).
_TWO_SURNAMES = frozenset("ES MX AR CO CL PE VE EC GT CU BO DO HN PY SV NI CR PA UY PR GQ".split())
_SEVERAL_SURNAMES = frozenset("PT BR AO MZ CV GW ST TL".split())
# Words that join two surnames ("Pérez y Gómez", "Silva e Sousa").
_SURNAME_JOINS = frozenset({"y", "e", "i"})
# Spanish and Portuguese given names the common lists lack (folded): where such a name
# stands before a surname, the given names end there ("José Luis García").
_IBERIAN_GIVEN = frozenset(
    """
    agustin agustina alvaro andres angel aparecida beatriz bruno caio camila catarina cesar
    conceicao consuelo encarnacion esther fernanda florencia francisca gabriela gerardo
    gonzalo gustavo hector helena henrique ignacio inacio ines inmaculada jesus joana joaquin
    josefa julian larissa leticia lourdes luiz manoel marcelo marcos mariana mateo mateus
    matheus matias mercedes montserrat nuria oscar paulo pilar rafael rafaela raimundo
    ramon raquel raul ricardo rocio rodrigo ruben santiago sebastiao thiago tiago tomas
    vinicius vitoria xavier ximena guadalupe dolores concepcion
    """.split()
)


def _iberian_cut(parts: list[str], country: str | None) -> int | None:
    """Where the surnames start in a Spanish or Portuguese name written given name first
    (two words or more), or None for another country's.

    From the end, a surname with the particles before it ("de los Ríos") and the next
    ones while they are no given names: two at most where people bear two ("María García
    López"), all of them where they bear more ("João da Silva Gonçalves"). The first
    word is always a given name.
    """
    most = 2 if country in _TWO_SURNAMES else len(parts) if country in _SEVERAL_SURNAMES else 0
    if not most:
        return None
    cut, taken, joined = len(parts), 0, False
    while cut > 1 and (taken < most or joined):
        start = cut - 1
        while start > 1 and _particle(parts[start - 1]):
            start -= 1
        if (
            taken
            and not joined
            and (_given(parts[cut - 1]) or fold(parts[cut - 1]) in _IBERIAN_GIVEN)
        ):
            break
        cut, taken = start, taken + 1
        joined = cut > 2 and fold(parts[cut - 1]) in _SURNAME_JOINS
        if joined:
            cut -= 1  # "Pérez y Gómez": the word before the join is a surname too
    return cut


# The commonest family names of the countries that write them first (folded, Latin
# script), less those that are as common there as given names ("Wei", "Min", "Jun",
# "Balázs"): a name opening with one and not closing with one is written family name
# first ("Wang Xiaoming", "Tanaka Hiroshi", "Nguyen Van An", "Nagy Anna").
_CHINESE_FAMILY_NAMES = """
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng
liang xie song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang du ye
cheng su ding ren shen yao lu fu zhong qian qin dai xue tan
chan wong cheung lau leung lam ng tsang chow yeung lai kwok tse fung mak yip
lee lim tan teo ong goh koh chua tay ang sim toh yeo chong foo
"""
_FAMILY_NAMES = {
    **dict.fromkeys("CN TW HK MO SG".split(), frozenset(_CHINESE_FAMILY_NAMES.split())),
    "JP": frozenset(
        """
        sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida
        yamada sasaki yamaguchi matsumoto inoue kimura hayashi shimizu yamazaki mori abe
        ikeda hashimoto yamashita ishikawa nakajima maeda fujita ogawa goto okada hasegawa
        murakami kondo ishii saito sakamoto endo aoki fujii nishimura fukuda ota miura
        fujiwara okamoto matsuda nakagawa nakano harada ono tamura takeuchi kaneko wada
        nakayama ishida ueda morita hara shibata sakai kudo yokoyama miyazaki miyamoto
        uchida takagi ando taniguchi ohno maruyama imai takada fujimoto takeda murata ueno
        sugiyama masuda sugawara hirano otsuka chiba kubo matsui iwasaki sakurai kinoshita
        noguchi matsuo nomura kikuchi sano onishi sugimoto arai
        """.split()
    ),
    **dict.fromkeys(
        ("KR", "KP"),
        frozenset(
            "kim lee park choi jung jeong chung kang cho yoon jang lim han oh shin kwon "
            "hwang ahn song hong jeon moon baek heo nam noh bae kwak cha joo".split()
        ),
    ),
    "VN": frozenset(
        "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly".split()
    ),
    "HU": frozenset(
        """
        nagy kovacs toth szabo horvath varga kiss molnar nemeth farkas balogh papp takacs
        juhasz lakatos meszaros olah racz fekete szilagyi torok feher gal kis szucs kocsis
        pinter fodor szalai sipos magyar lukacs gulyas biro kiraly katona
        """.split()
    ),
}


def _family_first(parts: list[str], country: str | None) -> bool | None:
    """Whether a name in Latin script of a country that writes the family name first
    (_FAMILY_NAMES) is written so: True when a known family name opens it and none
    closes it, False the other way round, None when that does not tell.

    Only what the name itself shows is read: many exports write such names given name
    first ("Wei Wang", "Hiroshi Tanaka"), as other countries do, and the same list may
    hold both orders.
    """
    known = _FAMILY_NAMES.get(country or "")
    if not known:
        return None
    opens, closes = fold(parts[0]) in known, fold(parts[-1]) in known
    return opens if opens != closes else None


# Chinese, Japanese and Korean writing (Han characters, kana, Hangul).
_EAST_ASIAN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_HANGUL = re.compile(r"[\uac00-\ud7af]+")
# Family names of two characters (the others have one): Chinese and Korean.
_LONG_FAMILY_NAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 司徒 夏侯 轩辕 宇文 长孙 端木 "
    "歐陽 司馬 諸葛 東方 長孫 軒轅 "
    "남궁 황보 제갈 선우 독고 사공 서문".split()
)
_CHINESE_COUNTRIES = frozenset("CN TW HK MO SG".split())
# The dots between the names of a foreign name written in kana ("ジョン・スミス").
_FOREIGN_DOTS = frozenset("\u30fb\uff65")


def _east_asian_script(text: str, country: str | None) -> tuple[str, str] | None:
    """(given, family) of a name written in Chinese, Japanese or Korean characters, which
    always put the family name first ("王 伟", "田中 宏", "김 민준"); None for any other.

    Without a space, a Korean name's family name is its first syllable (two for the few
    long ones), and so is a Chinese name's first character: a name in Han characters
    alone is read so under a Chinese-speaking country, or of three characters at most
    under another but Japan (whose names in kanji have family names of any length:
    those, and names with kana, stay whole). A name in kana with a middle dot ("ジョン・
    スミス") is a foreign one, written given name first, and is none of these.
    """
    bare = text.replace(" ", "")
    if not bare or not all(_EAST_ASIAN.match(ch) for ch in bare) or _FOREIGN_DOTS & set(bare):
        return None
    words = text.split()
    if len(words) > 1:
        return " ".join(words[1:]), words[0]
    chinese = (
        _HAN.fullmatch(text)
        and country != "JP"
        and (country in _CHINESE_COUNTRIES or len(text) <= 3)
    )
    if not (chinese or _HANGUL.fullmatch(text)) or len(text) < 2:
        return None
    size = 2 if text[:2] in _LONG_FAMILY_NAMES and len(text) > 2 else 1
    return text[size:], text[:size]


def _surname_end(parts: list[str]) -> int:
    """Where the given names start in a name written surname first (two words or more)."""
    lead = 0
    while lead < len(parts) - 2 and _particle(parts[lead]):
        lead += 1
    if lead:
        # Particles take one word with them and no more: "Dalla Costa Gian Luca".
        return lead + 1
    cut = len(parts) - 1
    # More given names before the last ("Maria Grazia"), but never the word after a
    # particle ("Rossi De Luca Maria": Luca is the surname's).
    while cut > 1 and _given_at(parts, cut - 1) and not _particle(parts[cut - 2]):
        cut -= 1
    return cut


def _items(value) -> list[str]:
    """A cell as a list: lists stay lists, text splits on commas, semicolons and ":::"."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v not in (None, "")]
    return [part for part in _LIST_SPLIT.split(str(value)) if part.strip()]


def normalise_stage(value) -> str | None:
    """Our lifecycle stage for a stage name from a file. Raises ValueError if unknown."""
    text = clean_text(value)
    if text is None:
        return None
    key = re.sub(r"[^a-z]", "", fold(text))
    if key not in STAGE_ALIASES:
        raise ValueError(f"unknown lifecycle stage {text!r}")
    return STAGE_ALIASES[key]


NOT_TEXT = "true or false is not a value of this field"

_FIELD_NORMALISERS: dict[str, Callable] = {
    "first_name": normalise_name,
    "last_name": normalise_surname,
    "postcode": normalise_postcode,
    "city": normalise_place,
    "address": normalise_address,
    "address_line_2": normalise_address,
    "country": normalise_country,
    "birth_date": lambda v: d.isoformat() if (d := normalise_date(v)) else None,
    "tax_id": normalise_tax_id,
}


def normalise_row(
    values: dict,
    region: str,
    *,
    month_first: bool = False,
    surname_first: bool = False,
    zeros_dropped: bool = False,
    number_phones: frozenset[str] = frozenset(),
) -> NormalisedRow:
    """Normalise one mapped row (canonical field -> value); a pure function.

    month_first: the file writes numeric dates month first (normalise.dates_month_first).
    surname_first: the file writes full names surname first (see surname_first).
    Cells that say there is no value ("N/D", "-", "#N/A": normalise.is_placeholder) are
    read as empty, as the raw record keeps them.
    A one-cell address is split into its parts (split_address_cell); phones without a
    calling code are read in the row's country, else the source's region (read_phone),
    with their leading 0 put back where the file lost it (zeros_dropped) or the cell
    could not keep it (number_phones: phone cells a workbook stores as numbers).
    What the reader could not place (readers.RowValues.left_out) is reported, and so are
    emails, phones and tags past the profile's limits (keep_within_limits). A row that
    gives a first name and nothing else is rejected (FIRST_NAME_ONLY), and so is a sheet's
    total line (SUMMARY_LINE).
    """
    row = NormalisedRow()
    row.warnings += getattr(values, "left_out", ())
    values = _person_or_company(row, without_placeholders(values))
    raw_id = values["external_id"] if "external_id" in values else values.get("id")
    external = None if isinstance(raw_id, bool) else clean_text(raw_id)
    external = strip_text_marker(external) if external else None
    if isinstance(raw_id, bool):
        row.reject_reason = NOT_TEXT
    elif external and len(external) > 200:
        row.reject_reason = "external id longer than 200 characters"
    row.external_id = external
    parts = _address_parts(values, region)
    values = {**values, **parts}
    for name in PROFILE_FIELDS:
        if values.get(name) in (None, ""):
            continue
        column = "address" if name in parts else name  # where the report points
        if isinstance(values[name], bool):  # a JSON true or false where text belongs
            row.warnings.append((column, NOT_TEXT))
            continue
        limit = _column_limit(name)
        if len(str(values[name])) > _CELL_MAX:
            row.warnings.append((column, f"longer than {limit or _CELL_MAX} characters"))
            continue
        try:
            if name == "birth_date" and month_first:
                born = normalise_date(values[name], month_first=True)
                value = born.isoformat() if born else None
            else:
                value = _FIELD_NORMALISERS.get(name, clean_text)(values[name])
        except ValueError as exc:
            row.warnings.append((column, str(exc)))
            continue
        if value and limit and len(value) > limit:
            row.warnings.append((column, f"longer than {limit} characters"))
            continue
        if value:
            row.fields[name] = value
    if "birth_date" in row.fields and read_in_other_order(
        values.get("birth_date"), month_first=month_first
    ):
        row.warnings.append(("birth_date", DAY_FIRST_READ if month_first else MONTH_FIRST_READ))
    country = row.fields.get("country")
    state = row.fields.get("state")
    if state and country and (named := _STATE_OF_COUNTRY.fullmatch(state)):
        if named.group(2).upper() == country:  # Odoo's "Milano (IT)", "California (US)"
            row.fields["state"] = named.group(1)
    # Only a row that names no country is taken to be of the source's region: one that
    # names a country not recognised may write postcodes of any length ("1010", Wien).
    place_country = country or (None if clean_text(values.get("country")) else region)
    if "state" in row.fields:
        row.fields["state"] = normalise_state(row.fields["state"], place_country)
    if place_country == "IT" and _COMPANY_NUMBER.fullmatch(row.fields.get("tax_id") or ""):
        del row.fields["tax_id"]
        row.warnings.append(("tax_id", COMPANY_NUMBER))
    if "postcode" in row.fields:
        row.fields["postcode"] = pad_postcode(row.fields["postcode"], place_country)
    _join_house_number(row, values.get("street_number"), region)
    if values.get("full_name") and not row.has_name:
        _add_full_name(row, str(values["full_name"]), surname_first, country)
    _join_middle_name(row, values.get("middle_name"))
    _order_by_codice_fiscale(row)
    _join_name_suffix(row, values.get("name_suffix"))
    email_items, phone_items = _cell_items(row, values, "email"), _cell_items(row, values, "phone")
    strays = [item for item in email_items if _reads_as_phone(item, region)]
    if strays:  # a phone typed in the email column, or the two columns swapped
        email_items = [item for item in email_items if item not in strays]
        row.warnings.append(("email", PHONE_IN_EMAIL))
    strays_back = [item for item in phone_items if "@" in item and _reads_as_email(item)]
    if strays_back:  # and an email in the phone column
        row.warnings.append(("phone", EMAIL_IN_PHONE))
    phone_items = [item for item in phone_items if item not in strays_back] + strays
    email_items += strays_back
    for item in email_items:
        _add(row.emails, row.warnings, "email", normalise_email, item)
    for email in row.emails:
        if known := mistyped_domain(email):
            row.warnings.append(
                ("email", f"kept as written, but its domain looks like a typo of {known}")
            )
    own_region = phone_region(country)
    phones = phone_items
    for item in phones:
        if extension := phone_extension(item):
            row.warnings.append(("phone", EXTENSION_NOT_KEPT.format(extension=extension)))
        _add(
            row.phones,
            row.warnings,
            "phone",
            lambda v: read_phone(
                v, own_region, region, zeros_dropped=zeros_dropped or v in number_phones
            ),
            item,
        )
    if row.phones and country is None and clean_text(values.get("country")):
        national = [p for p in phones if not str(p).strip().startswith(("+", "00"))]
        if national:  # the country the row names would have told, had it been known
            row.warnings.append(
                ("phone", f"read as a number of {region}: the row's country is unknown")
            )
    for tag in _cell_items(row, values, "tags"):
        text = clean_text(tag.strip().strip('"'))
        if text and text.startswith(GOOGLE_SYSTEM_GROUP):
            continue  # "* myContacts", "* starred": Google's groups, not the person's tags
        if text and len(text) > TAG_MAX:
            row.warnings.append(("tags", f"a tag longer than {TAG_MAX} characters was cut"))
        if text and text[:TAG_MAX] not in row.tags:
            row.tags.append(text[:TAG_MAX])
    for header, cell in values.get(LOST_PHONES) or ():
        shown = f"{float(cell.replace(',', '.')):.2E}"
        row.warnings.append((header, f"the spreadsheet turned the number into {shown}; {LOST}"))
    keep_within_limits(row)
    row.warnings += codice_fiscale_warnings(row.fields)
    _read_stage(row, values)
    _read_bounce(row, values, month_first)
    if _two_given_names(row.fields.get("first_name")):
        row.warnings.append(("first_name", TWO_PEOPLE))
    elif couple := next(
        (n for n in _NAME_CELLS if COUPLE_OR_FAMILY.match(str(values.get(n) or ""))), None
    ):
        row.warnings.append((couple, COUPLE))
    if row.reject_reason is None and _summary_line(row):
        row.reject_reason = SUMMARY_LINE
    if row.reject_reason is None and _first_name_only(row):
        row.reject_reason = FIRST_NAME_ONLY
    return row


# The most emails, phones and tags a profile holds (the models' limits, the API's too), so that
# every profile an import makes can be edited through the API.
LIST_LIMITS = (
    ("emails", "email", MAX_EMAILS),
    ("phones", "phone", MAX_PHONES),
    ("tags", "tags", MAX_TAGS),
)


def keep_within_limits(row: NormalisedRow) -> None:
    """Keep a row's first emails, phones and tags up to LIST_LIMITS, warning of the rest."""
    for attribute, name, limit in LIST_LIMITS:
        values = getattr(row, attribute)
        if len(values) > limit:
            del values[limit:]
            row.warnings.append(
                (name, f"more than {limit} {attribute}: the first {limit} are kept")
            )


def _read_stage(row: NormalisedRow, values: dict) -> None:
    """The row's stage: its stage column's, else where that cell is empty its lead
    status's (readers._lead_status: HubSpot leaves the lifecycle stage of many contacts
    empty and keeps their lead status)."""
    name = (
        "stage"
        if clean_text(values.get("stage")) or not values.get("lead_status")
        else "lead_status"
    )
    try:
        row.stage = normalise_stage(values.get(name))
    except ValueError as exc:
        row.warnings.append((name, str(exc)))


FIRST_NAME_ONLY = (
    "only a first name: no last name, email, phone, address, company, tax id or record id "
    "tells who this is"
)


def _first_name_only(row: NormalisedRow) -> bool:
    """A row that gives a first name and nothing that tells who it is ("Max"): it would
    make a profile nobody could tell from any other Max, nor find again.

    A row with a value left out (a mistyped email, "max@") is not one: the importer's
    rule is that a bad value is reported at its cell and the person still imports, for
    someone to complete.
    """
    identity = ("last_name", "company", "address", "tax_id")
    return (
        "first_name" in row.fields
        and not any(row.fields.get(name) for name in identity)
        and not (row.external_id or row.emails or row.phones or row.warnings)
    )


SUMMARY_LINE = "a total line of the sheet, not a person"
HEADER_AGAIN = "the header row again (a list pasted below another), not a person"
_NUMBERED = re.compile(r"\s+\(\d+\)$")  # readers.distinct_headers' "Email (2)"


def repeats_headers(raw: dict) -> bool:
    """Whether a row of a table is its header row again (two lists pasted one below the
    other, a report printed page by page): two cells or more, each its column's header."""
    filled = 0
    for header, cell in raw.items():  # read per row: the first person's cell ends it
        text = str(cell or "").strip()
        if not text:
            continue
        if fold(text) != fold(_NUMBERED.sub("", str(header))):
            return False
        filled += 1
    return filled >= 2


TWO_PEOPLE = 'names two people ("Mario e Anna"): imported as one; split them by hand'
# Said of a row whose email column holds a phone number, or whose phone column an email.
PHONE_IN_EMAIL = "a phone number in the email column: read as a phone"
EMAIL_IN_PHONE = "an email in the phone column: read as an email"


def _reads_as_phone(item: str, region: str) -> bool:
    """Whether an email column's value is a phone number instead (no @, a valid number)."""
    if "@" in item or sum(ch.isdigit() for ch in item) < _PHONE_DIGITS:
        return False
    try:
        return normalise_phone(item, region) is not None
    except ValueError:
        return False


def _reads_as_email(item: str) -> bool:
    """Whether a phone column's value is an email address instead."""
    try:
        return normalise_email(item) is not None
    except ValueError:
        return False


# Said of a name cell holding a business's name, and of a company cell a person's.
COMPANY_IN_NAME = "a business's name, not a person's: read as the company"
PERSON_IN_COMPANY = "a person's name, not a business's: read as the person's name"
_WHOLE_NAME_CELLS = ("full_name", "first_name", "last_name")


def _person_or_company(row: NormalisedRow, values: dict) -> dict:
    """The row's values with a business's name and a person's each where it belongs.

    Italian invoicing tools keep one "Nome", "Denominazione" or "Ragione sociale" for a
    customer who is a person or a business: "Ferramenta Colombo S.r.l." in a name column
    is the company (matching.reads_as_company; one word, a surname such as "Salone", is
    never taken for one), "Bianchi Giulia" in the company column of a row that names
    nobody else is the person, and a company that is the row's own name ("ROSSI MARIO"
    beside Rossi, Mario: a private customer, or a sole trader) is no company. A
    person's name in the company column is read surname first, as such registers write
    it, unless it plainly opens with a given name."""
    company = clean_text(values.get("company"))
    for name in _WHOLE_NAME_CELLS:
        text = clean_text(values.get(name))
        if text and " " in text and reads_as_company(text):
            values[name] = None
            if not company:
                values["company"] = company = text
            row.warnings.append((name, COMPANY_IN_NAME))
    if not company or reads_as_company(company):
        return values
    names = [text for n in _WHOLE_NAME_CELLS if (text := clean_text(values.get(n)))]
    if not names:
        if _person_name(company):
            # Registers of customers write the surname first ("Rossi Anna"), unless the
            # name plainly opens with a given name.
            first, last = split_full_name(company, surname_first=True)
            values["first_name"], values["last_name"], values["company"] = first, last, None
            row.warnings.append(("company", PERSON_IN_COMPANY))
    elif sorted(fold(company).split()) == sorted(fold(" ".join(names)).split()):
        values["company"] = None
    return values


def _person_name(text: str) -> bool:
    """Two to four words of a name, one of them a common given name ("Rossi Anna")."""
    words = strip_titles(text).split()
    return (
        2 <= len(words) <= 4
        and not any(ch.isdigit() for ch in text)
        and any(_given(w) for w in words)
    )


# An Italian company's codice fiscale, its partita IVA's eleven digits as a rule: invoicing
# tools put it in the "Codice fiscale" column of a business customer, and so of the person
# named on its row. A person's is sixteen characters.
_COMPANY_NUMBER = re.compile(r"\d{11}")
COMPANY_NUMBER = (
    "eleven digits are a company's codice fiscale or partita IVA, not a person's: kept in "
    "the raw record only"
)
# Said of a codice fiscale that disagrees with the row: another person's (both its name
# codes differ from the row's names: a parent's, a company holder's), or the row's with a
# slip in it or in the birth date.
CODICE_FISCALE_OTHER_NAME = (
    "the codice fiscale spells another name ({code}): it may be another person's; kept"
)
CODICE_FISCALE_OTHER_BIRTH = (
    "the codice fiscale gives another birth date ({born}): one of the two is mistyped; "
    "both kept as written"
)


def _order_by_codice_fiscale(row: NormalisedRow) -> None:
    """Swap a name split, or typed, the wrong way round when the row's codice fiscale
    spells it the other way, both codes exactly ("Rossi Mario" beside RSSMRA...: the
    surname is Rossi, whatever order the rest of the file writes its names in)."""
    code = codice_fiscale(row.fields.get("tax_id"))
    first, last = row.fields.get("first_name"), row.fields.get("last_name")
    if not (code and first and last):
        return
    if (surname_code(last), given_name_code(first)) == (code.surname, code.given):
        return
    if (surname_code(first), given_name_code(last)) == (code.surname, code.given):
        row.fields["first_name"], row.fields["last_name"] = last, first


def codice_fiscale_warnings(fields: dict) -> list[tuple[str, str]]:
    """What a row's codice fiscale says against its names and birth date.

    Either name code alone may differ for good reasons (a nickname, a married surname:
    matching._code_fits), so only both together say the code is someone else's; a birth
    date is checked only against a code that is the row's own."""
    code = codice_fiscale(fields.get("tax_id"))
    first, last = fields.get("first_name"), fields.get("last_name")
    if code is None:
        return []
    if first and last and given_name_code(first) != code.given:
        if surname_code(last) != code.surname:
            return [("tax_id", CODICE_FISCALE_OTHER_NAME.format(code=code.surname + code.given))]
    born = fields.get("birth_date")
    if born:
        year, month, day = (int(part) for part in born.split("-"))
        if (year % 100, month, day) != (code.year, code.month, code.day):
            coded = f"{year // 100:02d}{code.year:02d}-{code.month:02d}-{code.day:02d}"
            return [("birth_date", CODICE_FISCALE_OTHER_BIRTH.format(born=coded))]
    return []


# Said of a phone written with an extension ("02 1234567 int. 23").
EXTENSION_NOT_KEPT = "the extension ({extension}) is not kept: kept in the raw record only"
COUPLE = 'addresses a couple or a household ("Coniugi Rossi"): imported as one person'
_NAME_CELLS = ("first_name", "last_name", "full_name")
_NAME_JOINS = re.compile(r"\s+(?:e|ed|and|und|et|y|&|\+)\s+|\s*[&+/]\s*", re.IGNORECASE)


def _two_given_names(first_name: str | None) -> bool:
    """Whether a first name is two people's, joined ("Mario e Anna", "Anna & Luca"): two
    common given names, which a compound name ("Maria Grazia") never joins so."""
    parts = _NAME_JOINS.split(first_name or "")
    return len(parts) == 2 and all(_given(part.strip()) for part in parts)


# Said of a date of a row that only the order other than the file's reads ("05/13/1990").
MONTH_FIRST_READ = "read month first (no month is numbered over 12), unlike the file's dates"
DAY_FIRST_READ = "read day first (no month is numbered over 12), unlike the file's dates"
# The words that open a spreadsheet's total line, folded.
_TOTAL_WORDS = frozenset(
    "totale totali total totals subtotale subtotal somma sum conteggio count".split()
)


def _summary_line(row: NormalisedRow) -> bool:
    """A sheet's total line read as a name ("Totale", "Totale contatti: 25", "TOTALE"
    beside a count): no email, phone, record id or tax id, and a name whose first word
    is a total's."""
    if row.external_id or row.emails or row.phones or row.fields.get("tax_id"):
        return False
    firsts = (fold(row.fields.get(name)).split()[:1] for name in ("first_name", "last_name"))
    return any(words and words[0] in _TOTAL_WORDS for words in firsts)


# Said of a phone a spreadsheet wrote in scientific notation (readers.SCIENTIFIC_NUMBER).
LOST = "the digits are lost"


# What a status or opt-in column says of an address that bounced (Mailchimp's "cleaned",
# other tools' "bounced"), folded: the address is undeliverable; the person said nothing.
_SAYS_BOUNCED = frozenset(["cleaned", "bounced", "hard bounce", "hard bounced", "hardbounce"])


def _read_bounce(row: NormalisedRow, values: dict, month_first: bool) -> None:
    """Mark the row's emails as bounced where its status columns say so."""
    said = [
        fold(part.replace("_", " "))
        for name in ("subscription_status", "marketing_status", "email_opt_in", "email_opt_out")
        if isinstance(values.get(name), str)
        for part in values[name].split(";")  # several columns (readers.CONSENT_FIELDS)
    ]
    clean_time = clean_text(values.get("clean_time"))
    if not (clean_time or _SAYS_BOUNCED.intersection(said)):
        return
    row.bounced = True
    try:
        at = parse_time(clean_time, month_first=month_first)
    except ValueError:
        at = None  # consent_from_row reports the bad time
    row.bounced_at = at.isoformat() if at else None


def _cell_items(row: NormalisedRow, values: dict, name: str) -> list[str]:
    """The values of a list field (see _items), placeholders left out; none, with a
    warning, from a huge cell."""
    value = values.get(name)
    if isinstance(value, str) and len(value) > _LIST_CELL_MAX:
        row.warnings.append((name, f"longer than {_LIST_CELL_MAX} characters"))
        return []
    return list_items(value, name)


def list_items(value, name: str) -> list[str]:
    """The values a cell of list field name gives (see _items), several typed in one
    apart (_SEVERAL_IN_A_CELL), placeholders left out (normalise.is_placeholder)."""
    items = _items(value)
    if name in _SEVERAL_IN_A_CELL:
        items = [piece for item in items for piece in _SEVERAL_IN_A_CELL[name](item)]
    return [item for item in items if not is_placeholder(item, name)]


# Words that join two values in a cell ("a@x.it e b@x.it", "333 1234567 o 06 1234567").
_JOINING_WORDS = frozenset("e ed o oppure and or et ou y und oder".split())
_EMAIL_GAPS = re.compile(r"[\s/]+")
_PHONE_GAPS = re.compile(
    r"\s*[\r\n;]+\s*|,\s+|\s+[/\-–]\s+|\s+(?:" + "|".join(_JOINING_WORDS) + r")\s+", re.I
)
_PHONE_DIGITS = 6  # the fewest digits of a phone number a piece must hold to be one


def _emails_in(item: str) -> list[str]:
    """The emails a hand-typed cell gives several of, however apart ("a@x.it / b@x.it",
    "a@x.it e b@x.it", one a line): split at spaces and slashes, which no address holds,
    where the cell holds two @ or more; else the cell as it is."""
    if item.count("@") < 2:
        return [item]
    return [p for p in _EMAIL_GAPS.split(item) if p and p.casefold() not in _JOINING_WORDS]


def _phones_in(item: str) -> list[str]:
    """The phones a hand-typed cell gives several of: one a line, or " / ", " - ", ";",
    ", ", " o ", " e " apart, where each piece holds a number's digits; else the cell as
    it is ("06/1234567" and "02 - 48001234" are one number)."""
    pieces = [p for p in _PHONE_GAPS.split(item) if p.strip()]
    if len(pieces) > 1 and all(sum(ch.isdigit() for ch in p) >= _PHONE_DIGITS for p in pieces):
        return pieces
    return [item]


# List fields whose cells people type several values into, with what splits them.
_SEVERAL_IN_A_CELL = {"email": _emails_in, "phone": _phones_in}


# The fields whose cells may say there is no value (is_placeholder): the person's details,
# not the consent columns, whose "-" or "0" may be an answer.
_VALUE_FIELDS = frozenset(
    {
        *PROFILE_FIELDS,
        *("email", "phone", "tags", "full_name", "middle_name", "name_suffix", "street_number"),
    }
)


def without_placeholders(values: dict) -> dict:
    """values without the cells of _VALUE_FIELDS that say there is no value
    (normalise.is_placeholder); a list cell keeps its other items."""
    kept = dict(values)
    for name in _VALUE_FIELDS & kept.keys():
        value = kept[name]
        if isinstance(value, str) and is_placeholder(value, name):
            del kept[name]
        elif isinstance(value, list):
            kept[name] = [v for v in value if not is_placeholder(v, name)]
    return kept


def phone_region_hint(values: Iterable[dict], region: str) -> str | None:
    """The country the phones of these rows read as, if not region (normalise.likely_region):
    only rows that name no country of their own count, since theirs are read by it."""
    texts = []
    for row in values:
        if own_phone_region(row.get("country")) is None:
            texts += list_items(row.get("phone"), "phone")
    return likely_region(texts, region)


def phones_lost_zeros(values: Iterable[dict], region: str) -> bool:
    """Whether the phones of these rows lost their leading 0, as a spreadsheet's number
    cells drop it (normalise.lost_leading_zeros), each read in the row's own country, else in
    region."""
    return lost_leading_zeros(
        (phone, own_phone_region(row.get("country")) or region)
        for row in values
        for phone in list_items(row.get("phone"), "phone")  # a "0" for none left out
    )


def own_phone_region(country: object) -> str | None:
    """The country a row's national phones are read in, from its country cell (a code or
    a name): None when it names none, or none phonenumbers knows."""
    try:
        return phone_region(normalise_country(country))
    except ValueError:
        return None


def read_phone(
    value, own_region: str | None, region: str, *, zeros_dropped: bool = False
) -> str | None:
    """A phone read in the row's own country, else in the source's region, else as
    written with its calling code and no "+" (normalise.calling_code_reading).

    A row that names its country (a US customer in an Italian shop's file) has its
    national numbers read there; one that reads only as the source's (an Italian mobile
    given by a customer living abroad) is kept so. In a file whose phones lost their
    leading 0 (zeros_dropped: phones_lost_zeros), digits that are a number only with it
    put back are read so (normalise.zero_put_back). Digits that are no number of either
    but are one with "+" before them ("4915112345678": Brevo's SMS column, a spreadsheet
    that dropped the "+") are read so; a valid national reading always comes first.
    Raises ValueError (the national reading's).
    """
    try:
        return normalise_phone(value, own_region or region)
    except ValueError as exc:
        error = exc
    if own_region not in (None, region):
        try:
            return normalise_phone(value, region)
        except ValueError as exc:
            error = exc
    if zeros_dropped:
        for reading in dict.fromkeys((own_region or region, region)):
            if found := zero_put_back(value, reading):
                return found
    international = calling_code_reading(value, (own_region, region))
    if international is None:
        raise error
    return international


def _add_full_name(
    row: NormalisedRow, full: str, surname_first: bool, country: str | None = None
) -> None:
    """First and last name from a full-name cell, each within its column's length; the
    row's country says how its people write them (split_full_name)."""
    if len(full) > _CELL_MAX:
        row.warnings.append(("full_name", f"longer than {_CELL_MAX} characters"))
        return
    first, last = split_full_name(full, surname_first=surname_first, country=country)
    for key, part in (("first_name", first), ("last_name", last)):
        value = _FIELD_NORMALISERS[key](part) if part else None
        limit = _column_limit(key)
        if value and limit and len(value) > limit:
            what = key.replace("_", " ")
            row.warnings.append(("full_name", f"{what} longer than {limit} characters"))
        elif value:
            row.fields[key] = value


# Why a middle name column's value (readers.SYNONYMS["middle_name"]) is not joined.
MIDDLE_WITHOUT_FIRST = "no first name to join it to; kept in the raw record only"
MIDDLE_WITHOUT_SURNAME = "no last name to join its particle to; kept in the raw record only"


def _join_middle_name(row: NormalisedRow, middle: object) -> None:
    """Join a middle name column (Google Contacts' and Outlook's "Middle Name", "Secondo
    nome") to the name, where the profile shows it and matching reads it: Google splits
    "Anna Maria De Luca" typed in one box into Anna, "Maria De" and Luca. The given names
    go after the first name ("Anna Maria", "John F."), a surname's particles before the
    last name ("De Luca")."""
    if isinstance(middle, bool):  # a JSON true or false
        row.warnings.append(("middle_name", NOT_TEXT))
        return
    words = (clean_text(middle) or "").split()
    if not words:
        return
    cut = len(words)
    while cut and _particle(words[cut - 1]):
        cut -= 1
    given, particles = normalise_name(" ".join(words[:cut])), " ".join(words[cut:])
    changes = {}
    for key, part, missing in (
        ("first_name", given, MIDDLE_WITHOUT_FIRST),
        ("last_name", particles, MIDDLE_WITHOUT_SURNAME),
    ):
        if not part:
            continue
        have = row.fields.get(key)
        words = (have, part) if key == "first_name" else (part, have)
        joined = _FIELD_NORMALISERS[key](" ".join(words)) if have else None
        limit = _column_limit(key)
        if joined is None or (limit and len(joined) > limit):
            what = key.replace("_", " ")
            reason = missing if joined is None else f"{what} longer than {limit} characters"
            row.warnings.append(("middle_name", reason))
            return
        changes[key] = joined
    row.fields.update(changes)


# Why a name suffix column's value (readers.SYNONYMS["name_suffix"]) is not joined to the
# last name.
SUFFIX_NOT_GENERATION = "not Jr., Sr. or II to IV; kept in the raw record only"
SUFFIX_WITHOUT_SURNAME = "no last name to join it to; kept in the raw record only"
SUFFIX_OTHER = "the last name ends with another suffix; kept in the raw record only"


def _join_name_suffix(row: NormalisedRow, suffix: object) -> None:
    """Join a generational suffix column (Outlook's "Suffix": Jr., III) to the last name,
    where matching reads it (a father and his son of one name are two people). A title
    there (PhD, MD) is no part of a name and stays in the raw record."""
    if isinstance(suffix, bool):  # a JSON true or false
        row.warnings.append(("name_suffix", NOT_TEXT))
        return
    text = clean_text(suffix)
    if text is None:
        return
    last = row.fields.get("last_name")
    if not is_generation(text):
        row.warnings.append(("name_suffix", SUFFIX_NOT_GENERATION))
    elif not last:
        row.warnings.append(("name_suffix", SUFFIX_WITHOUT_SURNAME))
    elif is_generation(have := last.rpartition(" ")[2]) and " " in last:
        if fold(have) != fold(text):
            row.warnings.append(("name_suffix", SUFFIX_OTHER))
    else:
        joined = f"{last} {suffix_written(text)}"
        limit = _column_limit("last_name")
        if limit and len(joined) > limit:
            row.warnings.append(("name_suffix", f"last name longer than {limit} characters"))
        else:
            row.fields["last_name"] = joined


# A state followed by its country's code in brackets, as Odoo writes it ("Milano (IT)").
_STATE_OF_COUNTRY = re.compile(r"(.+?)\s*\(([A-Za-z]{2})\)")
# Mailchimp writes a postal address in one cell, its parts two spaces apart: "street
# line-2  city  state  zip  country", an empty part leaving its two spaces.
_ADDRESS_CELL = ("address", "address_line_2", "city", "state", "postcode", "country")
_TWO_SPACES = re.compile(r"\s{2,}")
_POSTCODE = re.compile(
    r"(?=\S*\d)[A-Z0-9][A-Z0-9\-]{1,9}"  # one word with a digit: 20121, 62701-1234, L-1234
    r"|(?=\S*\d)[A-Z0-9]{2,4} (?=\S*\d)[A-Z0-9]{2,3}"  # SW1A 1AA, H3Z 2Y7, 114 55
    r"|\d{4} [A-Z]{2}"  # 1012 AB
)
# The parts between the street and the postcode, by how many there are.
_TAIL_PARTS = ((), ("city",), ("city", "state"), ("address_line_2", "city", "state"))
# A city followed by its state or province code: "Milano MI", "Springfield IL".
_CITY_STATE = re.compile(r"(.+) ([A-Z]{2,3})")


def _postcode_like(text: str) -> bool:
    """Text shaped like a postcode of some country."""
    return bool(_POSTCODE.fullmatch(text.upper()))


def _country_like(text: str) -> bool:
    """A country code in capitals ("IT", "USA") or a country's name ("Italia")."""
    if len(text) <= 3 and not text.isupper():
        return False  # "it", "in", "be": words before they are codes
    try:
        return normalise_country(text) is not None
    except ValueError:
        return False


def _split_end(parts: list[str], test: Callable[[str], bool]) -> tuple[list[str], str] | None:
    """(parts without their end, the end) when the last part, or its last one to three
    words, passes test (longest first); None when none does."""
    if not parts:
        return None
    *rest, last = parts
    words = last.split(" ")
    for size in range(min(3, len(words)), 0, -1):
        end, before = " ".join(words[-size:]), " ".join(words[:-size])
        if test(end):
            return ([*rest, before] if before else rest), end
    return None


def split_address_cell(text: str, *, country: str | None = None) -> dict[str, str]:
    """A one-cell postal address as address fields; {} when its parts cannot be told apart.

    Two forms are read. Mailchimp's, its parts two spaces apart ("Via Roma 1  Scala B
    Milano  MI  20121  IT"; city, state and zip also one space apart: "Via Solferino 12
    Milano MI 20121 IT"), when it plainly ends with a postcode and a country. And one line
    with its parts apart by commas or line breaks, as Pipedrive, HubSpot and address
    books write it ("Via Emilia 45, 43121 Parma PR, Italia", "1600 Amphitheatre Pkwy,
    Mountain View, CA 94043, USA"), or by dashes when commas tell nothing ("Via Roma 1 -
    40100 Bologna"): see _split_lines. country: the ISO code to read that
    form's postcode by when it names no country (the row's, else the source's region).
    """
    text = text.strip()
    if "  " in text and (split := _split_two_spaces(text)):
        return split
    lines = [line for part in _ADDRESS_LINES.split(text) if (line := clean_text(part))]
    split = _split_lines(lines, country) if len(lines) > 1 else {}
    if not split and _ADDRESS_DASH.search(text):  # "Via Roma 1 - 40100 Bologna"
        parts = (
            part for piece in _ADDRESS_DASH.split(text) for part in _ADDRESS_LINES.split(piece)
        )
        lines = [line for part in parts if (line := clean_text(part))]
        split = _split_lines(lines, country) if len(lines) > 1 else {}
    return split


def _split_two_spaces(text: str) -> dict[str, str]:
    """Mailchimp's form of a one-cell address (see split_address_cell), else {}."""
    placed = [p.strip() for p in text.split("  ")]
    if len(placed) == len(_ADDRESS_CELL) and _postcode_like(placed[4]) and _country_like(placed[5]):
        return {name: part for name, part in zip(_ADDRESS_CELL, placed, strict=True) if part}
    parts = [p for p in _TWO_SPACES.split(text) if p]
    found = _split_end(parts[1:], _country_like) if len(parts) > 1 else None
    if found is None:
        return {}
    rest, country = found
    found = _split_end(rest, _postcode_like)
    if found is None:
        return {}
    rest, postcode = found
    if len(rest) == 1 and (city_state := _CITY_STATE.fullmatch(rest[0])):
        rest = list(city_state.groups())
    if len(rest) >= len(_TAIL_PARTS):
        return {}
    names = _TAIL_PARTS[len(rest)]
    split = {"address": parts[0], **dict(zip(names, rest, strict=True))}
    return {**split, "postcode": postcode, "country": country}


# The parts of a one-line address: commas, or the lines of an address book's cell.
_ADDRESS_LINES = re.compile(r"\s*[,\n\r]\s*")
# A dash between an address's parts, where no comma parts them ("Via Roma 1 - 40100 Bologna").
_ADDRESS_DASH = re.compile(r"\s+[-–]\s+")
# Provinces and states written after a city ("43121 Parma PR", "Mountain View, CA 94043").
_STATES = {
    "IT": frozenset(
        "AG AL AN AO AP AQ AR AT AV BA BG BI BL BN BO BR BS BT BZ CA CB CE CH CI CL CN CO CR "
        "CS CT CZ EN FC FE FG FI FM FR GE GO GR IM IS KR LC LE LI LO LT LU MB MC ME MI MN MO "
        "MS MT NA NO NU OG OR OT PA PC PD PE PG PI PN PO PR PT PU PV PZ RA RC RE RG RI RM RN "
        "RO SA SI SO SP SR SS SU SV TA TE TN TO TP TR TS TV UD VA VB VC VE VI VR VS VT VV".split()
    ),
    "US": frozenset(
        "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE "
        "NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP "
        "AA AE AP".split()
    ),
    "CA": frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split()),
    "AU": frozenset("ACT NSW NT QLD SA TAS VIC WA".split()),
}
# How many words a postcode has at most ("SW1A 2AA", "1016 GV", "114 55").
_POSTCODE_WORDS = 2
# Countries that write the postcode after the city ("London SW1A 2AA", "Mountain View, CA
# 94043"); elsewhere it comes first ("43121 Parma", "10115 Berlin", "1016 GV Amsterdam").
_POSTCODE_AFTER_CITY = frozenset("GB IM JE GG IE US PR VI GU AS MP CA AU BR".split())


def _split_lines(lines: list[str], country: str | None) -> dict[str, str]:
    """A one-line address's parts (split_address_cell) as fields, or {}.

    The last part may name the country ("Italia", "UK"); the postcode must fit that
    country's (normalise.postcode_fits: where no pattern is known, nothing is told). The
    part before it holds the postcode and the city, in the country's order ("43121
    Parma", "London SW1A 2AA"), and may add a state or province the country has ("Parma
    PR", "Parma (PR)", "New York NY"). Where the postcode follows the city, the city may
    be the part before ("Mountain View, CA 94043", "London, SW1A 2AA"). The parts left
    are the street, as written. A city is never taken from a street: a part with a
    digit is no city, and there must be a street left.
    """
    split: dict[str, str] = {}
    trailing = _province_part(lines, country)
    if trailing:
        lines.pop()
    elif _country_like(lines[-1]):
        split["country"] = lines.pop()
        country = normalise_country(split["country"])
        if trailing := _province_part(lines, country):  # "00100 Roma, RM, Italia"
            lines.pop()
    if not country or len(lines) < 2:
        return {}
    after = country in _POSTCODE_AFTER_CITY
    words = lines.pop().split(" ")
    for size in range(min(_POSTCODE_WORDS, len(words)), 0, -1):
        code = words[-size:] if after else words[:size]
        if postcode_fits(" ".join(code), country):
            postcode, place = " ".join(code), words[:-size] if after else words[size:]
            break
    else:
        return {}
    place = [word for word in place if any(ch.isalnum() for ch in word)]  # "20121 - Milano"
    states = _STATES.get(country, frozenset())
    if len(place) > 1 and "country" not in split and len(place[-1]) > 3:
        # "20121 Milano MI Italia"; a code there is a state, and so is "(BO)", not Bolivia
        if _country_like(place[-1]) and not _state(place[-1], states):
            split["country"] = place.pop()
    state = _state(place[-1], states) if place else None
    if state:
        place = place[:-1]
    state = state or trailing
    if not place and after and len(lines) > 1:
        place = [lines.pop()]
    city = " ".join(place)
    if not city or any(ch.isdigit() for ch in city) or not lines:
        return {}
    split.update(address=", ".join(lines), postcode=postcode, city=city)
    if state:
        split["state"] = state
    return split


# How an Italian street starts: a province code after an address that starts so is the
# province ("Via Roma 2, 03100 Frosinone, FR"), not the country code it may also be
# ("Rue de Rivoli 5, 75008 Paris, FR" is France).
_LOCAL_STREET = {
    "IT": re.compile(
        r"(via|viale|v\.le|piazza|piazzale|p\.za|p\.zza|corso|c\.so|largo|vicolo|vico|"
        r"strada|contrada|c\.da|localit[aà]|loc\.|frazione|fraz\.|borgo|lungomare|"
        r"salita|traversa|calle|campo|fondamenta)\b",
        re.IGNORECASE,
    )
}


def _province_part(lines: list[str], country: str | None) -> str | None:
    """The last part of a one-line address when it is a province of country after the
    postcode and city ("..., 03100 Frosinone, FR"); one that is also a country code
    only after a street written as that country's streets are."""
    if len(lines) < 3 or not country or not _postcode_in(lines[-2], country):
        return None
    province = _state(lines[-1], _STATES.get(country, frozenset()))
    if province is None:
        return None
    if _country_like(province):
        local = _LOCAL_STREET.get(country)
        if local is None or not local.match(lines[0]):
            return None
    return province


def _postcode_in(part: str, country: str) -> bool:
    """Whether a part of a one-line address holds a postcode of country ("03100 Frosinone")."""
    words = part.split(" ")
    return any(
        postcode_fits(" ".join(words[start : start + size]), country)
        for size in range(1, _POSTCODE_WORDS + 1)
        for start in range(len(words) - size + 1)
    )


def _state(text: str, states: frozenset[str]) -> str | None:
    """A state or province code of the address's country ("PR", "(PR)"), if text is one."""
    code = text.removeprefix("(").removesuffix(")")
    return code if code in states else None


def _address_parts(values: dict, region: str) -> dict[str, str]:
    """The parts of a one-cell address (split_address_cell) when the row has no city or
    postcode of its own; {} otherwise. Its postcode is read by the row's country, else
    (a row that names none) the source's region."""
    address = values.get("address")
    if not isinstance(address, str) or len(address) > _CELL_MAX:
        return {}
    stripped = address.strip()
    if not ("  " in stripped or _ADDRESS_LINES.search(stripped) or _ADDRESS_DASH.search(stripped)):
        return {}
    if clean_text(values.get("city")) or clean_text(values.get("postcode")):
        return {}
    named = values.get("country")
    try:
        own = normalise_country(named) if isinstance(named, str) else None
    except ValueError:
        own = None  # a country not recognised: its postcodes cannot be read
    return split_address_cell(address, country=own if clean_text(named) else region)


# Countries that write the house number after the street name ("Via Roma 12"); elsewhere
# it comes first ("8 Stanley Street"). Matching ignores the order either way.
_NUMBER_AFTER_STREET = frozenset(
    "IT SM VA CH DE AT LI NL BE ES PT PL CZ SK HU SI HR RS BA ME MK AL GR RO BG DK SE NO FI "
    "IS EE LV LT UA TR AR CL CO MX PE UY BR".split()
)


def _join_house_number(row: NormalisedRow, number, region: str) -> None:
    """Join a separate house-number column to the street, in the country's order."""
    number = clean_text(number)
    street = row.fields.get("address")
    if not number or not street:
        return  # a number without a street says nothing; the raw record keeps it
    if number in street.split():
        return
    country = (row.fields.get("country") or region or "").upper()
    if country in _NUMBER_AFTER_STREET:
        joined = f"{street} {number}"
    else:
        joined = f"{number} {street}"
    limit = _column_limit("address")
    if limit and len(joined) > limit:
        row.warnings.append(("street_number", f"address longer than {limit} characters"))
        return
    row.fields["address"] = joined


def _add(target: list[str], warnings: list, name: str, normaliser: Callable, value) -> None:
    """Normalise value into target (no duplicates), or record why it was left out."""
    try:
        clean = normaliser(value)
    except ValueError as exc:
        warnings.append((name, str(exc)))
        return
    if clean and clean not in target:
        target.append(clean)


def parse_time(value, *, month_first: bool = False) -> datetime | None:
    """A timestamp from an export: ISO, or a numeric date in the file's order (see
    normalise.normalise_date: month_first for a US-style file) with or without a time of
    day ("03/04/2023 10:00", "3/15/2023 2:05 PM", "03/04/2023": that day's midnight).
    Naive means UTC. None for empty input and tools' empty dates ("0/0/00").
    Raises ValueError."""
    text = clean_text(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        day, _, clock = text.partition(" ")
        if empty_date(day):
            return None
        parsed = _numeric_time(day, clock, month_first)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _numeric_time(day: str, clock: str, month_first: bool) -> datetime:
    """A numeric date and an optional time of day (parse_time). Raises ValueError."""
    date_read = numeric_date(day, month_first=month_first)
    found = _CLOCK.fullmatch(clock) if clock else None
    if date_read is None or (clock and found is None):
        raise ValueError("unrecognised time")
    hour = minute = second = 0
    if found:
        hour, minute, second = (int(found.group(i) or 0) for i in (1, 2, 3))
        if found.group(4):  # a 12-hour clock: 12 AM is midnight, 12 PM noon
            if not 1 <= hour <= 12:
                raise ValueError("unrecognised time")
            hour = hour % 12 + (12 if found.group(4) in "Pp" else 0)
    try:
        return datetime.combine(date_read, time(hour, minute, second), _zone(found))
    except ValueError:
        raise ValueError("unrecognised time") from None


def _zone(clock: re.Match | None) -> timezone | None:
    """The time zone written after a time of day (_CLOCK), or None (UTC is assumed)."""
    if clock is None:
        return None
    sign, hours, minutes, name = clock.group(5, 6, 7, 8)
    if sign:
        offset = timedelta(hours=int(hours), minutes=int(minutes or 0))
        return timezone(-offset if sign == "-" else offset)
    if name and name.upper() in _ZONES:
        return timezone(timedelta(hours=_ZONES[name.upper()]))
    return None


# A fact's status for a "no" to an opt-in ("No", "Non acconsento"): the person was asked
# and refused. Stored as such, a state of no consent weighed as a withdrawal
# (consent_ledger.record_statements); but it is the row's own answer, never restated for
# another holder of the address as an unsubscribe is (ingest._withdrawals_for_holders
# takes only "withdrawn"), and a grant beside it in the row wins (_outweighs).
REFUSED = "refused"


@dataclass
class ConsentFact:
    """What one imported row says about a consent (email marketing, unless it says which)."""

    # One of CONSENT_STATUSES: "granted", "withdrawn", or REFUSED.
    status: str
    legal_basis: str
    recorded_at: datetime | None
    evidence: dict
    warnings: list[tuple[str, str]] = field(default_factory=list)
    purpose: str = "email_marketing"
    # The field that stated it, where a warning about it points (a column, or "consents").
    field: str = "email_opt_in"


def consents_from_object(value) -> tuple[list[ConsentFact], list[tuple[str, str]]]:
    """The consents a JSON record states, as [{"purpose", "status", "legal_basis",
    "recorded_at", "evidence"}] (only purpose and status required); pure.

    Returns the facts and a warning for each entry left out.
    """
    if value in (None, "", []):
        return [], []
    if not isinstance(value, list):
        return [], [("consents", "consents must be a list of objects")]
    facts, warnings = [], []
    for entry in value:
        if (
            not isinstance(entry, dict)
            or entry.get("purpose") not in PURPOSES
            or entry.get("status") not in CONSENT_STATUSES
        ):
            warnings.append(
                (
                    "consents",
                    "a consent needs a known purpose and status granted, withdrawn or refused",
                )
            )
            continue
        basis = entry.get("legal_basis") or "consent"
        if basis not in LEGAL_BASES:
            warnings.append(("consents", f"unknown legal basis {str(basis)[:40]!r}"))
            continue
        try:
            at = parse_time(entry.get("recorded_at"))
        except ValueError as exc:
            warnings.append(("consents", f"recorded_at: {exc}"))
            at = None
        evidence = entry.get("evidence")
        evidence = jsonable(evidence) if isinstance(evidence, dict) else {}
        facts.append(
            ConsentFact(
                entry["status"], basis, at, evidence, purpose=entry["purpose"], field="consents"
            )
        )
    return facts, warnings


def legal_basis_from_text(text: str | None) -> str | None:
    """Our legal basis for a tool's legal-basis text, if recognised."""
    folded = fold(text)
    for needle, basis in LEGAL_BASIS_TEXTS:
        if needle in folded:
            return basis
    return None


def consent_from_row(fmt: str, values: dict, *, month_first: bool = False) -> ConsentFact | None:
    """The email-marketing consent a Mailchimp or HubSpot row states, if any; pure.

    month_first: the file writes numeric dates month first (see parse_time). A member of
    Mailchimp's subscribed list with no opt-in or confirmation time (one the account's
    owner imported) states a grant without a time, as a plain "yes" column does.
    """
    warnings: list[tuple[str, str]] = []

    def when(name: str) -> datetime | None:
        try:
            return parse_time(values.get(name), month_first=month_first)
        except ValueError as exc:
            warnings.append((name, str(exc)))
            return None

    status_text = fold(values.get("subscription_status"))
    if fmt == "mailchimp":
        evidence = {
            k: clean_text(values.get(k))
            for k in ("optin_time", "optin_ip", "confirm_time", "confirm_ip")
        }
        unsub_time = clean_text(values.get("unsub_time"))
        clean_time = clean_text(values.get("clean_time"))
        if status_text == "unsubscribed" or unsub_time:
            evidence.update(status=status_text or "unsubscribed", unsub_time=unsub_time)
            at = when("unsub_time") or when("last_changed")
            return ConsentFact("withdrawn", "consent", at, evidence, warnings)
        if status_text == "cleaned" or clean_time:
            # The address bounced (normalise_row marks it): the person withdrew nothing,
            # and an opt-in the row dates stands; without one the row says no consent.
            evidence.update(status="cleaned", clean_time=clean_time)
            when("clean_time")  # a bad time is reported
            if not (evidence["optin_time"] or evidence["confirm_time"]):
                return None
            at = when("confirm_time") or when("optin_time")
            return ConsentFact("granted", "consent", at, evidence, warnings)
        if status_text in ("subscribed", "") and (
            evidence["optin_time"] or evidence["confirm_time"]
        ):
            at = when("confirm_time") or when("optin_time")
            return ConsentFact("granted", "consent", at, evidence, warnings)
        if status_text == "subscribed":
            # Imported into Mailchimp by its owner: subscribed, but since when is unknown.
            evidence["status"] = status_text
            return ConsentFact("granted", "consent", None, evidence, warnings)
        return None
    if fmt == "hubspot":
        basis_text = clean_text(values.get("legal_basis"))
        basis = legal_basis_from_text(basis_text)
        evidence = {"legal_basis_text": basis_text}
        unsubscribed = fold(values.get("unsubscribed")) in _TRUE
        if unsubscribed or status_text in ("unsubscribed", "opted out"):
            evidence["unsubscribed_from_all_email"] = True
            return ConsentFact("withdrawn", basis or "consent", None, evidence, warnings)
        if basis_text and basis is None:
            warnings.append(("legal_basis", "unrecognised legal basis"))
        if basis:
            return ConsentFact("granted", basis, None, evidence, warnings)
    return None


# What an opt-in or opt-out column says, folded.
_SAYS_YES = frozenset(
    "true yes y 1 si x subscribed granted confirmed accepted iscritto acconsento".split()
    + ["opted in", "opt in"]
    # Italian lists by hand and Excel's booleans in Italian ("S" of S/N, "VERO"), a web
    # form's ticked box ("on", "checked").
    + "s vero accetto accettato accettata autorizzo consento ok checked on".split()
)
# An answer of no ("No", a boolean false, Italian privacy forms' "Non acconsento"): in an
# opt-in column the person's refusal (REFUSED), in an opt-out column only that they did
# not opt out, which says nothing.
_SAYS_NO = frozenset(
    ["false", "no", "n", "0", "non acconsento", "falso", "rifiuto", "unchecked", "off"]
)
# A tool's state of no subscription, not anybody's answer: Pipedrive's marketing status
# says "No consent" (never asked) and "Archived" (left out of campaigns). Nothing to record.
_SAYS_NONE = frozenset(
    ["never subscribed", "not subscribed", "non iscritto"]
    + ["no consent", "archived", "nessun consenso", "archiviato"]
)
_SAYS_WITHDRAWN = frozenset(
    ["unsubscribed", "opted out", "withdrawn", "revoked", "revocato", "disiscritto"]
)


# A form's answer in words ("Sì, acconsento", "No, non acconsento", "Yes, I agree"):
# only these words, and a yes or a no among them.
_ANSWER_WORDS = frozenset(
    "si yes no non not i do don t acconsento accetto agree consent autorizzo consento".split()
)


def _answer(folded: str) -> str:
    """ "yes" or "no" for a form's answer in words (_ANSWER_WORDS), else folded as it is."""
    words = set(folded.split())
    if len(words) < 2 or not words <= _ANSWER_WORDS:
        return folded
    if words & {"no", "non", "not", "don"}:
        return "no"
    return "yes" if words & {"si", "yes"} else folded


# What a subscription state says (a status column: ActiveCampaign's, Klaviyo's), folded;
# other states ("Active", "Unconfirmed", an order's "Completed") say nothing of consent.
_STATUS_GRANTS = frozenset(["subscribed", "iscritto", "opted in"])


def consent_from_columns(
    values: dict, *, month_first: bool = False
) -> tuple[ConsentFact | None, list[tuple[str, str]]]:
    """The email-marketing consent of plain opt-in / opt-out columns, if they say one, and
    a warning for each value not understood; pure.

    An opt-in that says yes (or gives the date of the opt-in) is a grant; one that says
    unsubscribed, or an opt-out that says yes (or gives its date), a withdrawal. An
    opt-in that says no is the person's refusal (REFUSED): asked, they said no, which
    their consent history keeps as it keeps a yes. An empty cell, a tool's empty date
    ("0/0/00"), a state of never having been asked ("Never subscribed", "No consent") and
    an opt-out's no say nothing. A subscription status says a grant or a withdrawal only
    in those words ("Subscribed", "Unsubscribed"). Several opt-in columns
    (readers.CONSENT_FIELDS, "; " apart) are read together: one yes is a grant though
    another says no (Brevo's OPT_IN beside its DOUBLE_OPT-IN). A withdrawal wins over a
    grant, a grant over a refusal. A statement with no date of its own takes the time of
    the consent column beside it ("Email Marketing Consent Timestamp", "Data consenso"),
    unless an opt-out column stated it: that is the time of a consent, and an opt-out
    dated by it would be dated back to when the person said yes (it is kept in the
    evidence all the same). Dates are read in the file's order (month_first, see
    parse_time).
    """
    return _columns_consent(values, "email", month_first)


def consents_from_columns(
    values: dict, *, month_first: bool = False
) -> tuple[list[ConsentFact], list[tuple[str, str]]]:
    """The consents of plain columns: email marketing (consent_from_columns), SMS
    marketing (sms_opt_in, sms_opt_out, sms_consent_time, read the same way) and
    profiling (profiling_opt_in), and a warning for each value not understood; pure.
    An order's buyer_opt_in (readers.ORDER_FIELDS) is the row's email_opt_in only where
    the row's person is the buyer (the same email): another attendee of the order said
    nothing.
    """
    facts, warnings = [], []
    if values.get("buyer_opt_in") not in (None, "") and _is_buyer(values):
        opt_in = values.get("email_opt_in")
        values = {**values, "email_opt_in": "; ".join(
            str(v) for v in (opt_in, values["buyer_opt_in"]) if v not in (None, "")
        )}  # fmt: skip
    for kind in ("email", "sms", "profiling"):
        fact, more = _columns_consent(values, kind, month_first)
        facts += [fact] if fact else []
        warnings += more
    return facts, warnings


def _is_buyer(values: dict) -> bool:
    """The row's person placed the order: one of their emails is the buyer's, or, where
    the file gives the buyer no email, their first and last names are the buyer's."""
    try:
        buyer = normalise_email(values.get("buyer_email"))
    except ValueError:
        buyer = None
    if buyer:
        for item in list_items(values.get("email"), "email"):
            try:
                if normalise_email(item) == buyer:
                    return True
            except ValueError:
                continue
        return False
    names = [(values.get(f"buyer_{n}"), values.get(n)) for n in ("first_name", "last_name")]
    return all(
        isinstance(b, str) and isinstance(r, str) and b.strip() and fold(b) == fold(r)
        for b, r in names
    )


def _columns_consent(
    values: dict, kind: str, month_first: bool
) -> tuple[ConsentFact | None, list[tuple[str, str]]]:
    """The consent of kind ("email", "sms", "profiling") its columns state (see
    consent_from_columns)."""
    warnings: list[tuple[str, str]] = []
    said: dict[str, tuple[str, datetime | None]] = {}
    names = [f"{kind}_opt_out", f"{kind}_opt_in"]
    if kind == "email":
        names.append("subscription_status")
    for name in names:
        text = clean_text(values.get(name))
        if text is None:
            continue
        for part in text.split(";") if name != "subscription_status" else [text]:
            statement = _column_statement(name, part, month_first, warnings)
            if statement and (name not in said or _outweighs(statement, said[name])):
                said[name] = statement
    if not said:
        return None, warnings
    stated = list(said)  # each in the evidence, even one that gives way
    opt_in = said.get(f"{kind}_opt_in")
    if opt_in and opt_in[0] == REFUSED and said.get("subscription_status", ("",))[0] == "granted":
        # A list's "subscribed" says the address is on it; the person's own "no" to
        # marketing in a consent column says what they agreed to (MailUp's "Stato:
        # Iscritto" beside "Consenso marketing: No").
        del said["subscription_status"]
        warnings.append((f"{kind}_opt_in", STATUS_BUT_REFUSED))
    # The weightiest statement (_WEIGHT); among equals, the first column of names.
    stated_by = max((n for n in names if n in said), key=lambda n: _WEIGHT[said[n][0]])
    status, at = said[stated_by]
    evidence = {name: clean_text(values.get(name)) for name in stated}
    when = f"{kind}_consent_time"
    if stamp := clean_text(values.get(when)):
        evidence[when] = stamp  # as the row said it, even where it dates nothing
        if at is None and stated_by != f"{kind}_opt_out":
            at = _stamp(when, stamp, month_first, warnings)
    if at is None and (stamp := clean_text(values.get("submitted_at"))):
        # A form's answers were all given when it was sent, an opt-out's too.
        at = _stamp("submitted_at", stamp, month_first, warnings)
        evidence["submitted_at"] = stamp
    purpose = "profiling" if kind == "profiling" else f"{kind}_marketing"
    return (
        ConsentFact(status, "consent", at, evidence, purpose=purpose, field=stated_by),
        warnings,
    )


def _stamp(name: str, text: str, month_first: bool, warnings: list) -> datetime | None:
    """The time a column states (parse_time), or None with a warning if it is none."""
    try:
        return parse_time(text, month_first=month_first)
    except ValueError:
        warnings.append((name, f"unrecognised {name.replace('_', ' ')} value"))
        return None


def _column_statement(
    name: str, text: str, month_first: bool, warnings: list
) -> tuple[str, datetime | None] | None:
    """(status, time or None) one consent column's value states; None when it states
    nothing (an opt-out's no, a bounce, an empty date, a status of no subscription)."""
    text = clean_text(text)
    if text is None:
        return None
    folded = fold(text.replace("_", " "))
    if name == "subscription_status":
        if folded in _SAYS_WITHDRAWN:
            return "withdrawn", None
        return ("granted", None) if folded in _STATUS_GRANTS else None
    if name.endswith("_opt_out") and folded in _ALLOW_CHOICES:
        return ("withdrawn", None) if _ALLOW_CHOICES[folded] else None
    if folded in _SAYS_NONE:
        return None  # nobody answered (read before _answer: "No consent" is no "no")
    folded = _answer(folded)
    if folded in _SAYS_BOUNCED:
        return None  # a bounce is the address's (normalise_row)
    if folded in _SAYS_NO:
        return None if name.endswith("_opt_out") else (REFUSED, None)
    at = None
    if folded not in _SAYS_YES and folded not in _SAYS_WITHDRAWN:
        try:
            at = parse_time(text, month_first=month_first)
        except ValueError:
            warnings.append((name, f"unrecognised {name.replace('_', ' ')} value"))
            return None
        if at is None:
            return None  # an empty date: nothing said
    opted_out = name.endswith("_opt_out") or folded in _SAYS_WITHDRAWN
    return ("withdrawn" if opted_out else "granted"), at


STATUS_BUT_REFUSED = (
    "the list status says subscribed, but the consent column says no: recorded as refused"
)


# Dynamics 365's choices in its opt-out columns ("Do not allow Bulk Emails"), in English
# and Italian: whether the person opted out. "Allow" says only that they did not.
_ALLOW_CHOICES = {"do not allow": True, "allow": False, "non consentire": True, "consenti": False}

# How a row's statements weigh against each other (_outweighs): a withdrawal over a
# grant, and a grant over a refusal, since one yes among a tool's opt-in columns is a
# grant (Brevo's OPT_IN beside its DOUBLE_OPT-IN).
_WEIGHT = {REFUSED: 0, "granted": 1, "withdrawn": 2}


def _outweighs(new: tuple[str, datetime | None], old: tuple[str, datetime | None]) -> bool:
    """Whether one column's statement wins over another's of the same field: the weightier
    status (_WEIGHT), or a dated statement over a dateless one of the same status."""
    if new[0] != old[0]:
        return _WEIGHT[new[0]] > _WEIGHT[old[0]]
    return old[1] is None and new[1] is not None


def jsonable(value):
    """Raw values as JSON can hold them."""
    if isinstance(value, dict):
        return {storable(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, str):
        return storable(value)
    if value is None or isinstance(value, int | float | bool):
        return value
    return storable(str(value))
