"""Normalisers for person data: pure functions, no Flask, no database.

Each raises ValueError with a short reason for a value it cannot accept.

Imports call the email and phone normalisers for every row, and the libraries behind them
(email_validator, phonenumbers) are the slow part. Two shortcuts give the libraries'
results for less: a plain ASCII email (letters, digits and `._+-` in the local part,
ordinary hostname labels, a common top-level domain) is checked by one regular expression
and lower-cased, exactly what email_validator accepts and returns for such an address
(tests/unit/test_normalise.py checks the equality with hypothesis); and phone numbers are
parsed through a bounded cache (the same landline or switchboard recurs across rows).
"""

import math
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from functools import cache, lru_cache
from typing import NamedTuple

import phonenumbers
import pycountry
from anyascii import anyascii
from babel import Locale
from babel.languages import get_official_languages
from email_validator import EmailNotValidError, validate_email
from rapidfuzz.distance import OSA
from stdnum.exceptions import ValidationError as NumberError
from stdnum.it import codicefiscale

_SPACES = re.compile(r"\s+")
_CACHE_SIZE = 1 << 15  # entries per cache: bounded memory whatever the file's size
# Letters that Unicode does not decompose into a base letter plus an accent.
_FOLD_LETTERS = str.maketrans(
    {"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "ı": "i", "æ": "ae", "œ": "oe", "ð": "d", "þ": "th"}
)
# Where a new word part starts in a name: after a space, a hyphen or an apostrophe.
_NAME_PART_START = re.compile(r"(^|[\s\-'’])(\w)")


# Characters no person's value holds on purpose, dropped from every cleaned value: control
# characters (a NUL, which PostgreSQL cannot store), the invisible marks that reorder or
# hide text (a right-to-left override shows "Anna" reversed), a byte-order mark, and lone
# UTF-16 surrogates (JSON can write them; no database can store them). The joiners some
# scripts need (U+200C, U+200D) stay.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u200b\u200e\u200f\u202a-\u202e"
    "\u2060\u2066-\u2069\ufeff\ud800-\udfff]"
)  # not the controls that are whitespace (a vertical tab, a form feed): spaces
# What a database cannot store even in a raw payload kept as received.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(value: object) -> str | None:
    """Trim and collapse whitespace, drop invisible characters; empty becomes None."""
    if value is None:
        return None
    text = _SPACES.sub(" ", _INVISIBLE.sub("", str(value))).strip()
    return text or None


# Cells that say there is no value, as hand-kept lists fill them: Excel's errors (in
# English and Italian: "#N/A", "#N/D", "#VALORE!", "#DIV/0!"), "N/D", "n.a." ...
_SHEET_ERROR = re.compile(r"#(?:n/[ad]|div/0!|[a-z]+[!?])")
_NOT_GIVEN = re.compile(r"n\s*[/.]\s*[ad]\.?")
# ... and words saying so (folded; a name's own are _NO_NAME's).
_NO_VALUE_WORDS = frozenset(
    "none null nil unknown tbd sconosciuto sconosciuta ignoto ignota nessuno nessuna".split()
    + ["not available", "not applicable", "not provided", "not specified", "not given"]
    + ["da definire", "non disp", "non disponibile", "non presente", "non pervenuto"]
    + ["non pervenuta", "non noto", "non nota", "non specificato", "non specificata"]
    + ["non indicato", "non indicata", "non fornito", "non fornita"]
)


# The letters every word and mark below starts with ("n/d", "none", "unknown", "tbd",
# "sconosciuto", "ignoto", "da definire"), and a phone's zeros.
_PLACEHOLDER_STARTS = frozenset("nutsid0")


def is_placeholder(value: object, field: str = "") -> bool:
    """Whether a cell of field says there is no value rather than giving one: no letter or
    digit at all ("-", "/", "?", "—"), a spreadsheet's error, "N/D" or "n.a.", a word
    saying so ("non disponibile", "unknown"), a phone of zeros only.
    """
    if not isinstance(value, str) or not (start := value.lstrip()[:1].lower()):
        return False
    if start.isalnum() and start not in _PLACEHOLDER_STARTS:
        return False  # the common case, quickly: nothing below starts so
    text = clean_text(value)
    if text is None:
        return False
    if not any(ch.isalnum() for ch in text):
        return True
    low = text.casefold()
    if _SHEET_ERROR.fullmatch(low) or _NOT_GIVEN.fullmatch(low):
        return True
    if field == "phone" and set(text) <= set("0 +-./()"):
        return True
    return fold(text) in _NO_VALUE_WORDS


def storable(text: str) -> str:
    """text with what no database can store (a NUL, a lone surrogate) replaced by U+FFFD:
    for values kept as received, where dropping would hide that something was there."""
    return UNSTORABLE.sub("\ufffd", text)


# A spreadsheet's "keep as text" apostrophe before a code ('20121, '+39333..., '0123): only
# when what follows is a code's letters, digits and punctuation with a digit among them, so
# a name never loses one (in "O'Brien" or "D'Amico" it is inside anyway).
_TEXT_MARKED_CODE = re.compile(r"['’](\+?[0-9A-Za-z][0-9A-Za-z .\-/()]*)")


def strip_text_marker(text: str) -> str:
    """Drop the leading apostrophe spreadsheets put before a code to keep it as text."""
    match = _TEXT_MARKED_CODE.fullmatch(text)
    if match and any(ch.isdigit() for ch in match.group(1)):
        return match.group(1)
    return text


_NOT_WORD = re.compile(r"[^\w]+")


# Letters that keyboards and old systems write out ("Müller" as "Mueller", "Søren" as
# "Soeren", "Ångström" as "Aangstroem"; "ß" is "ss" in fold already).
_SPELT_OUT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ø": "oe", "Ø": "Oe",
     "å": "aa", "Å": "Aa"}
)  # fmt: skip


def spelt_out(value: str) -> str:
    """value with its umlauts (and ø, å) written out as two letters."""
    return value.translate(_SPELT_OUT)


def fold(value: str | None) -> str:
    """Lower-case, strip accents and punctuation runs, write other scripts in Latin:
    'Nicolò D’Angelo' -> 'nicolo d angelo', 'Дмитрий Иванов' -> 'dmitriy ivanov'."""
    if not value:
        return ""
    return _fold(value)


@lru_cache(maxsize=_CACHE_SIZE)
def _fold(value: str) -> str:
    # Names, cities and companies repeat across rows, so the result is kept. Plain ASCII
    # needs no decomposition (it is its own NFKD form and casefold is lower there).
    if value.isascii():
        return _SPACES.sub(" ", _NOT_WORD.sub(" ", value.lower())).strip()
    # Case-fold after a first decomposition (compatibility letters such as '𝔄' become 'A'
    # only then), compose again, and fold letter by letter: a Latin letter loses its marks
    # (folding can itself produce them: 'İ' -> 'i' + dot above), a letter of another script
    # is written in Latin whole (its marks are part of it: 'й', 'が').
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", value).casefold())
    if _GREEK_MARKED.search(decomposed) or _GREEK_PAIRS.search(decomposed):
        decomposed = _GREEK_PAIRS.sub(_greek_pair, _GREEK_MARKED.sub(_greek_unmarked, decomposed))
    latin = "".join(map(_latin_letter, unicodedata.normalize("NFC", decomposed)))
    lowered = _NOT_WORD.sub(" ", latin.lower())
    return _SPACES.sub(" ", lowered).strip()


@lru_cache(maxsize=4096)
def _latin_letter(ch: str) -> str:
    """One character folded to Latin: a Latin letter without its marks ('ö' -> 'o', 'ß'
    -> 'ss'), a letter or digit of another script as anyascii writes it ('Д' -> 'D', '日'
    -> 'Ri'; without the apostrophe of a soft sign, 'ь', so that a word stays one word);
    anything else (a symbol, a mark) as it was, for the caller to drop."""
    if ch.isascii():
        return ch
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD_LETTERS)
    if base.isascii() or not ch.isalnum():
        return base
    return "".join(c for c in anyascii(ch) if c.isalnum())


# Greek letter pairs that romanisation (ELOT 743, as passports and most people write
# Greek names) reads as one sound: Παπαδόπουλος is Papadopoulos, Ευάγγελος Evangelos,
# Ελευθέριος Eleftherios. A letter-by-letter reading would write "Papadopoylos". The
# accents go first; a vowel with a diaeresis is read apart from the one before it
# ("Ταΰγετος", Taygetos), so it is written in Latin at once.
_GREEK_MARKED = re.compile("([\u0370-\u03ff])([\u0300-\u036f]+)")
_GREEK_PAIRS = re.compile(r"ου|[αεη]υ|γ[γξχ]|(?<![^\W\d_])(?:μπ|ντ)")
_GREEK_VOICELESS = frozenset("θκξπστφχψ")
_GREEK_PAIR_SOUNDS = {"ου": "ou", "γγ": "ng", "γξ": "nx", "γχ": "nch", "μπ": "b", "ντ": "d"}
_GREEK_U_VOWELS = {"α": "a", "ε": "e", "η": "i"}


def _greek_unmarked(match: re.Match) -> str:
    """A decomposed Greek letter without its accents and breathings; ϊ and ϋ in Latin."""
    letter, marks = match.groups()
    if "\u0308" in marks and letter in "ιυ":
        return "i" if letter == "ι" else "y"
    return letter


def _greek_pair(match: re.Match) -> str:
    """The Latin of one Greek letter pair: αυ/ευ/ηυ are av/ev/iv, or af/ef/if before a
    voiceless consonant or at the end of a word; μπ and ντ open a word as b and d."""
    pair = match.group()
    if pair in _GREEK_PAIR_SOUNDS:
        return _GREEK_PAIR_SOUNDS[pair]
    following = match.string[match.end() : match.end() + 1]
    voiceless = not following.isalpha() or following in _GREEK_VOICELESS
    return _GREEK_U_VOWELS[pair[0]] + ("f" if voiceless else "v")


# A plain ASCII address email_validator accepts unchanged but for the domain's case: a
# dot-atom local part of ordinary characters (no leading, trailing or doubled dot), then
# hostname labels (no leading or trailing hyphen, no "--" so no IDNA "xn--" label) and a
# top-level domain from a fixed list (never special-use or numeric).
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9]|-(?!-))*(?<!-)\.)+"
    r"(?:com|net|org|it|eu|info|biz|de|fr|es|ch|at|uk|nl|be|pt|us|io|co|sm|va|gr|pl|se)",
    re.IGNORECASE | re.ASCII,
)
_LOCAL_MAX, _EMAIL_MAX, _LABEL_MAX = 64, 254, 63


def _plain_email(text: str) -> str | None:
    """The normalised form of a plain ASCII address, or None to ask email_validator."""
    if len(text) > _EMAIL_MAX or not _PLAIN_EMAIL.fullmatch(text):
        return None
    local, _, domain = text.partition("@")
    if len(local) > _LOCAL_MAX or any(len(label) > _LABEL_MAX for label in domain.split(".")):
        return None
    return text.lower()


# An aside in brackets after an address, and the spaces typed around its @.
_EMAIL_ASIDE = re.compile(r"\s*\([^()@]*\)$")
_EMAIL_AT = re.compile(r"\s*@\s*")


def normalise_email(value: object) -> str | None:
    """A syntactically valid, lower-cased email, or None for empty input."""
    text = clean_text(value)
    if text is None:
        return None
    if text.lower().startswith("mailto:"):
        text = text[7:]
    if text.endswith(">") and "<" in text:  # 'Anna Rossi <anna@example.it>', as mailers write
        text = parseaddr(text)[1] or text
    if text.count("@") == 1:  # as people type them: 'a @ tin.it', 'x@libero.it.'
        text = _EMAIL_ASIDE.sub("", text)  # 'x@gmail.com (personale)'
        text = _EMAIL_AT.sub("@", text).rstrip(".,;:")
    plain = _plain_email(text)
    if plain is not None:
        return plain
    return _validated_email(text)


# Webmail providers' domains: two people at one share a provider, not an employer
# (matching), and an address one letter away from one is most likely mistyped.
MAIL_PROVIDERS = frozenset(
    "gmail.com googlemail.com icloud.com me.com mac.com aol.com mail.com gmx.com gmx.net "
    "protonmail.com proton.me pm.me zoho.com yandex.com yandex.ru mail.ru qq.com 163.com "
    "libero.it virgilio.it alice.it tiscali.it tin.it fastwebnet.it email.it inwind.it "
    "iol.it katamail.com poste.it teletu.it tim.it vodafone.it "
    "web.de t-online.de orange.fr free.fr laposte.net wanadoo.fr sfr.fr "
    "hotmail.com hotmail.it outlook.com outlook.it live.com live.it msn.com yahoo.com "
    "yahoo.it ymail.com".split()
)
# Providers whose mistyped domains are common enough to say so (longer than "me.com").
_TYPO_TARGETS = tuple(sorted(d for d in MAIL_PROVIDERS if len(d) >= 8))


@lru_cache(maxsize=4096)
def mistyped_domain(email: str) -> str | None:
    """The webmail domain an address's domain is one slip away from ('gmial.com',
    'libero.ti', 'hotmail.con'), or None: a known provider's own domain, or nothing near."""
    domain = email.rpartition("@")[2].lower()
    if not domain or domain in MAIL_PROVIDERS:
        return None
    for known in _TYPO_TARGETS:
        # The same first letter: "gmail.it" is no slip of "email.it" (a first letter is
        # rarely mistyped, and both are written on purpose).
        if (
            known[0] == domain[0]
            and abs(len(known) - len(domain)) <= 1
            and OSA.distance(domain, known) == 1
        ):
            return known
    return None


def _validated_email(text: str) -> str:
    """email_validator's verdict on an address, lower-cased. Raises ValueError."""
    try:
        info = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email: {exc}") from exc
    return info.normalized.lower()


# A whole number written as a float, as JSON, pandas and spreadsheets write a numeric
# column: digits and one ".0" ("3201234567.0"), or exponent notation ("3.201234567e9").
_POINT_ZERO = re.compile(r"(\d+)\.0")
_EXPONENT = re.compile(r"(\d)(?:\.(\d+))?[eE]\+?(\d{1,2})")
# The fewest digits of a phone written with a trailing ".0": fewer is a local number or a
# number with dots as separators ("333.0"), not a float.
_PHONE_POINT_ZERO_DIGITS = 6


def _whole_number(value: object, least_digits: int = 1) -> str | None:
    """The digits of a whole number written as a float (a float, "3201234567.0" with at
    least least_digits digits, "3.201234567e9"), or None when value is not one. Raises
    ValueError for a number that is no whole number (2.5) or an exponent notation that
    kept fewer digits than the number has ("3.20123E+09", as a spreadsheet shows a long
    number): its last digits are lost, and guessing them gives someone else's number."""
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise ValueError("not a whole number")
        return str(int(value))
    if not isinstance(value, str):
        return None
    if (found := _POINT_ZERO.fullmatch(value)) and len(found[1]) >= least_digits:
        return found[1]
    if found := _EXPONENT.fullmatch(value):
        fraction, exponent = found[2] or "", int(found[3])
        if len(fraction) > exponent or len(fraction.rstrip("0")) < len(fraction):
            return None  # a fraction ("1.5e0"), or a form no tool writes: left as it is
        if len(fraction) < exponent:
            raise ValueError("digits lost in exponent notation")
        return found[1] + fraction
    return None


# An aside in brackets after a number ("(ufficio)", "(Mario)"): no digit in it.
_PHONE_ASIDE = re.compile(r"\s*\([^()\d]*\)$")
_INTERNO = re.compile(r"\binterno\b\.?", re.IGNORECASE)
# An extension written after a number ("int. 23", "ext 5", "x12", "# 4"): phonenumbers
# reads it, and E.164 has no place for it.
_EXTENSION = re.compile(
    r"(?:\b(?:int|interno|ext|extn|extension|x|durchwahl|dw|poste)(?![a-z])\.?|#)\s*:?\s*(\d{1,6})$",
    re.IGNORECASE,
)


def phone_extension(value: object) -> str | None:
    """The extension written after a phone number ("02 1234567 int. 23" -> "23"), or None."""
    text = clean_text(value) if isinstance(value, str) else None
    found = _EXTENSION.search(text) if text else None
    return found.group(1) if found else None


def _phone_text(value: object) -> str | None:
    """A phone cell as text to read: cleaned, a spreadsheet's apostrophe dropped, and a
    number written as a float as its digits. Raises ValueError for a float that holds no
    whole number, or digits lost to exponent notation."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, float):
        value = clean_text(value)
        if value is None:
            return None
        value = strip_text_marker(value)
        if not value[-1:].isdigit():  # "02 1234567 (ufficio)": an aside, not the number's
            value = _PHONE_ASIDE.sub("", value)
        value = _INTERNO.sub("int.", value)  # phonenumbers reads "int." as an extension
    try:
        digits = _whole_number(value, _PHONE_POINT_ZERO_DIGITS)
    except ValueError as exc:
        raise ValueError(f"invalid phone number: {exc}") from None
    return digits if digits is not None else str(value)


def normalise_phone(value: object, region: str | None = "IT") -> str | None:
    """A phone number in E.164 form, or None for empty input. A number written as a float
    (3201234567.0, "3201234567.0", 3.201234567e9) is read as its whole number."""
    text = _phone_text(value)
    if text is None:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    result = _e164(text, region or None)
    if isinstance(result, ValueError):
        raise ValueError(*result.args)
    return result


# The fewest digits a number written with its calling code and no "+" is read from.
INTERNATIONAL_DIGITS = 12


def calling_code_reading(value: object, regions: Iterable[str | None] = ()) -> str | None:
    """The E.164 form of a number written with its country calling code but no "+" or
    "00" ("4915112345678", as Brevo's SMS column and spreadsheets that dropped the "+"
    write them), or None. Callers read a number nationally first.

    Only a run of at least INTERNATIONAL_DIGITS digits is read so, and only when "+"
    before it makes a valid number: a ten-digit national mobile with one digit too many
    ("34712345678", an Italian 347 typed with an extra 7) would read as a Spanish number,
    and is better reported than stored wrong.
    A calling code never starts with 0, so a number written with its trunk 0 (an Italian
    landline, a German "0151 ...") never is. Nor is one that a 0 put back makes a valid
    number of one of regions: spreadsheets drop leading zeros, and the Italian landline
    "06 498956489" written 6498956489 is no number of New Zealand's (+64).
    """
    try:
        text = _phone_text(value) or ""
    except ValueError:
        return None
    if not (text.isascii() and text.isdigit()) or text.startswith("0"):
        return None
    if len(text) < INTERNATIONAL_DIGITS:
        return None
    if any(isinstance(_e164("0" + text, region), str) for region in regions if region):
        return None
    result = _e164("+" + text, None)
    return result if isinstance(result, str) else None


def zero_put_back(value: object, region: str | None) -> str | None:
    """The E.164 form of a run of digits that is no number of region as written but is one
    with a leading 0 put back, or None: a spreadsheet drops the 0 of a number typed in a
    number cell, and the Italian landline 02 12345678 is stored as 212345678. Where the 0
    is a trunk prefix (a British 07700 900123, a French 06 ...), the digits read without
    it anyway, so this finds nothing there."""
    try:
        text = _phone_text(value) or ""
    except ValueError:
        return None
    if not region or not (text.isascii() and text.isdigit()) or text.startswith("0"):
        return None
    if isinstance(_e164(text, region), str):
        return None
    found = _e164("0" + text, region)
    return found if isinstance(found, str) else None


# How many of a file's phones must read only with their leading 0 put back, none of them
# being written with one, for the file to be taken as having lost its zeros
# (lost_leading_zeros).
ZEROS_DROPPED_MIN = 2


def lost_leading_zeros(phones: Iterable[tuple[object, str]]) -> bool:
    """Whether a file's phones ((value, the region it is read in)) lost their leading 0 as
    a spreadsheet drops it: none of those written as digits alone starts with 0, and at
    least ZEROS_DROPPED_MIN read as numbers only with it put back (zero_put_back). One
    number so is a typo as likely as a lost 0, and a file that writes some bare digits
    with their 0 kept them all (a number cell cannot hold one: that column is text); one
    written with spaces or dashes ("02 1234 5678") was typed as text and says nothing of
    the cells typed as numbers beside it."""
    found = 0
    for value, region in phones:
        try:
            text = _phone_text(value) or ""
        except ValueError:
            continue
        if text.startswith("0") and text.isdigit():
            return False  # "00" too: a file that writes 0039... wrote its zeros
        if not text.startswith("+") and zero_put_back(text, region):
            found += 1
    return found >= ZEROS_DROPPED_MIN


@lru_cache(maxsize=_CACHE_SIZE)
def _e164(text: str, region: str | None) -> str | ValueError:
    """phonenumbers' E.164 form of text, or the ValueError to raise (cached: pure)."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        return ValueError(f"invalid phone number: {exc}")
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return ValueError("invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_region(country: str | None) -> str | None:
    """The region phonenumbers reads national numbers of a country by, or None where it
    has none (EU, ZZ, AQ: codes a country column may hold)."""
    country = (country or "").upper()
    return country if country in phonenumbers.SUPPORTED_REGIONS else None


# Phones a file's region is checked on: enough to see a pattern, few enough to try them in
# every country (each tried number costs a parse), and the fewest that tell anything.
REGION_SAMPLE = 20
REGION_SAMPLE_MIN = 5


def likely_region(texts: Iterable[object], region: str) -> str | None:
    """The country whose numbers a file's phones are, when they are not region's.

    Only phones written without a calling code count (a "+44" or "0044" number reads
    the same anywhere), the first REGION_SAMPLE of them, at least REGION_SAMPLE_MIN of them
    written in groups ("(312) 538-7262", "333 1234567"). Every country is weighed on the
    grouped ones: it counts those that are valid numbers of it grouped as its people
    group them (phonenumbers' national form, or coarser), and those among them written
    with its separators only (_written_as). When most of them are one other country's,
    clearly ahead of every other country, region included (by a fifth of them, two at
    least, on either count), that country (the main one of its calling code: US for +1,
    GB for +44); else None.

    Validity alone cannot tell: Luxembourg's plan takes most American numbers, Italy's
    most numbers starting with 0, and a British mobile reads as an Indian one. How the
    digits are grouped tells more, and a number written in one run of digits tells
    nothing: such a file gets no hint rather than a wrong one.
    """
    national = []
    for value in texts:
        try:
            text = _phone_text(value) or ""  # "3331234567.0" is one run of digits
        except ValueError:
            continue
        if text and not text.startswith(("+", "00")):
            national.append(text)
    national = national[:REGION_SAMPLE]
    grouped = [text for text in national if len(_groups(text)) > 1]
    if len(grouped) < REGION_SAMPLE_MIN:
        return None
    regions = [region] + sorted(
        {
            phonenumbers.region_code_for_country_code(c)
            for c in phonenumbers.COUNTRY_CODE_TO_REGION_CODE
        }
        & SUPPORTED_PHONE_REGIONS - {region}
    )
    ways = {r: [_written_as(text, r) for text in grouped] for r in regions}
    counts = {r: sum(w > 0 for w in found) for r, found in ways.items()}
    styled = {r: sum(w > 1 for w in found) for r, found in ways.items()}
    best = max(regions, key=lambda r: (counts[r], styled[r]))
    margin = max(2, len(grouped) // 5)
    if best == region or 2 * counts[best] <= len(grouped):
        return None
    for other in regions:
        if other != best and not (
            counts[best] - counts[other] >= margin or styled[best] - styled[other] >= margin
        ):
            return None
    return best


SUPPORTED_PHONE_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)


def _reads_as(text: str, region: str) -> str | None:
    """phonenumbers' national form of text as a number of region, if it is a valid one
    written with the digits of that form, a leading prefix aside ("1 212 ..."): a German
    reading of "212 736 5000" is valid, but a German would write 02127 365000. Not
    cached: a one-off check."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = "".join(_groups(national))
    return national if "".join(_groups(text)).endswith(digits) else None


def _written_as(text: str, region: str) -> int:
    """How well text reads as a number of region written as its people write it: 0 not
    at all; 1 a valid number grouped as its national form groups digits, or with some of
    those groups run together ("333 1234567" for "333 123 4567"), after a leading prefix
    group ("1-312-..."); 2 the same, with only the separators its national form uses
    ("(312) 538-7262" and "312-538-7262" are American, "312 538 7262" could be Mexican)."""
    national = _reads_as(text, region)
    if national is None:
        return 0
    written, expected = _groups(text), _groups(national)
    extra = len("".join(written)) - len("".join(expected))
    while extra > 0 and written:
        extra -= len(written.pop(0))
    if extra != 0 or not written:
        return 0
    sizes = [len(group) for group in expected]
    for group in written:
        total = 0
        while sizes and total < len(group):
            total += sizes.pop(0)
        if total != len(group):
            return 0
    if sizes:
        return 0
    separators = set(re.sub(r"\d", "", text.strip()))
    return 2 if separators <= set(re.sub(r"\d", "", national)) else 1


def _groups(text: str) -> list[str]:
    """The runs of digits in text."""
    return re.findall(r"\d+", text)


def format_phone(e164: str) -> str:
    """An E.164 number in international display form."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
# Languages whose country names are recognised, besides each country's own name: the
# commonest of the files an Italian business receives (Unicode CLDR through babel).
COUNTRY_NAME_LOCALES = ("en", "it", "de", "fr", "es", "pt", "nl")


# The names European countries give themselves, where none of COUNTRY_NAME_LOCALES uses
# it. Loading each country's own locale from babel for them would cost ~35 MB of memory
# in every import process for a few dozen words.
_OWN_NAMES = {
    "PL": "Polska", "DK": "Danmark", "SE": "Sverige", "NO": "Norge", "FI": "Suomi",
    "IS": "Ísland", "CZ": "Česko", "SK": "Slovensko", "HU": "Magyarország",
    "RO": "România", "BG": "България", "GR": "Ελλάδα", "CY": "Κύπρος", "HR": "Hrvatska",
    "SI": "Slovenija", "RS": "Srbija", "BA": "Bosna i Hercegovina", "ME": "Crna Gora",
    "MK": "Северна Македонија", "AL": "Shqipëria", "EE": "Eesti", "LV": "Latvija",
    "LT": "Lietuva", "IE": "Éire", "LU": "Lëtzebuerg", "TR": "Türkiye", "UA": "Україна",
    "RU": "Россия", "MD": "Moldova", "MT": "Malta",
}  # fmt: skip


# Names people and older systems write that neither CLDR nor ISO 3166 gives today: short
# forms, former names ("Turkey", "Swaziland") and the nations of the United Kingdom.
# Names two countries share: "Korea" alone is read as South Korea, the one a business
# trades with (the North is under UN sanctions); "Congo" and "Guinea" alone as ISO 3166's
# short names of the Republic of the Congo and of Guinea (the others are "DR Congo",
# "Guinea-Bissau", ...); "Virgin Islands" alone, British or US, is left unknown.
_COUNTRY_ALIASES = {
    "UK": "GB", "U.K.": "GB", "Great Britain": "GB", "England": "GB", "Scotland": "GB",
    "Wales": "GB", "Northern Ireland": "GB", "USA": "US", "U.S.": "US", "U.S.A.": "US",
    "UAE": "AE", "U.A.E.": "AE", "KSA": "SA", "Holland": "NL", "Republic of Ireland": "IE",
    "Repubblica Ceca": "CZ", "República Checa": "CZ", "Tschechische Republik": "CZ",
    "République tchèque": "CZ", "Turkey": "TR", "Ivory Coast": "CI", "Macedonia": "MK",
    "Macedonia, the former Yugoslav Republic of": "MK", "Bosnia": "BA", "Korea": "KR",
    "Swaziland": "SZ", "Burma": "MM", "East Timor": "TL", "Holy See": "VA",
    "Vatican": "VA", "Macau": "MO", "Palestine": "PS",
}  # fmt: skip
# English words one export writes and another leaves out of the same name: "The
# Netherlands", "Republic of the Congo", "Bosnia & Herzegovina" ("&" folds away).
_COUNTRY_FILLERS = frozenset({"the", "of", "and"})
# ISO 3166's order, the country before what kind of state it is, after a comma or in
# brackets: "Korea, Republic of", "NETHERLANDS (THE)", "Bolivia (Plurinational State of)".
_QUALIFIER_LAST = re.compile(r"(?P<name>.+?)\s*(?:,\s*(?P<comma>[^,]+)|\((?P<bracket>[^()]+)\))")


def _country_keys(name: str) -> list[str]:
    """The keys a country's name is found by: folded without _COUNTRY_FILLERS, and so
    again with a qualifier put first ("Korea, Republic of" -> "republic korea", as
    "Republic of Korea")."""
    keys = [_country_key(name)]
    if found := _QUALIFIER_LAST.fullmatch(name.strip()):
        keys.append(_country_key(f"{found['comma'] or found['bracket']} {found['name']}"))
    return keys


def _country_key(text: str) -> str:
    """text folded, without _COUNTRY_FILLERS."""
    return " ".join(w for w in fold(text).split() if w not in _COUNTRY_FILLERS)


@cache
def _country_names() -> dict[str, str]:
    """Country names as _country_keys gives them, and ISO codes -> ISO 3166 alpha-2.

    The names are CLDR's in COUNTRY_NAME_LOCALES (through babel), European countries' own
    ("Polska", "Danmark"), ISO 3166's short, official and common names in English (through
    pycountry: "Russian Federation", "Korea, Republic of", "Slovak Republic"), and
    _COUNTRY_ALIASES.
    """
    codes = [c for c in Locale.parse("en").territories if len(c) == 2 and c.isalpha()]
    names = {code.lower(): code for code in codes}

    def add(name: str, code: str) -> None:
        for key in _country_keys(name):
            names.setdefault(key, code)

    for locale in COUNTRY_NAME_LOCALES:
        territories = Locale.parse(locale).territories
        for code in codes:
            if code in territories:
                add(territories[code], code)
                # German written without umlauts, as keyboards and old systems do.
                add(territories[code].translate(_UMLAUTS), code)
    for code, own in _OWN_NAMES.items():
        add(own, code)
    for country in pycountry.countries:
        for attribute in ("name", "official_name", "common_name"):
            if name := getattr(country, attribute, None):
                add(name, country.alpha_2)
    for alias, code in _COUNTRY_ALIASES.items():
        names.update(dict.fromkeys(_country_keys(alias), code))
    return names


# Languages of other scripts than Latin, Greek and Cyrillic (whose countries' own names
# are in _OWN_NAMES), and the locales that write each (Chinese in both its scripts): the
# names of the countries where they are official are those countries' own ("日本", "中国",
# "대한민국", "ไทย"). Read only when a country is written in another script, as it costs
# some megabytes of locale data.
_SCRIPT_LOCALES = {
    "ja": ("ja",), "zh": ("zh", "zh_Hant"), "ko": ("ko",), "ar": ("ar",), "he": ("he",),
    "fa": ("fa",), "hi": ("hi",), "bn": ("bn",), "ur": ("ur",), "th": ("th",),
    "ka": ("ka",), "hy": ("hy",),
}  # fmt: skip
# Short or long forms people write that the locale data does not give.
_SCRIPT_ALIASES = {
    "한국": "KR", "中华人民共和国": "CN", "中華人民共和國": "CN", "中華人民共和国": "CN",
    "日本国": "JP",
    "الإمارات": "AE", "السعودية": "SA", "ประเทศไทย": "TH",
}  # fmt: skip


def _script_key(text: str) -> str:
    """A name in another script as compared: case-folded, without marks (Arabic vowel
    signs are mostly left out in writing), spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@cache
def _script_country_names() -> dict[str, str]:
    """Countries' own names in the scripts of _SCRIPT_LOCALES (as _script_key gives
    them) -> ISO 3166 alpha-2, from Unicode CLDR through babel."""
    names = {_script_key(name): code for name, code in _SCRIPT_ALIASES.items()}
    for code in Locale.parse("en").territories:
        if len(code) != 2 or not code.isalpha():
            continue
        for language in get_official_languages(code, de_facto=True):
            for locale in _SCRIPT_LOCALES.get(language.split("_")[0], ()):
                if own := Locale.parse(locale).territories.get(code):
                    names.setdefault(_script_key(own), code)
    return names


def _other_script(text: str) -> bool:
    """Whether text has letters of a script that is not Latin (nor the Greek and
    Cyrillic that _OWN_NAMES names countries in)."""
    return any(
        ch.isalpha() and not ch.isascii() and not _LATIN_GREEK_CYRILLIC.match(ch) for ch in text
    )


# Latin letters with their marks, Greek and Cyrillic: up to U+052F, and Latin Extended
# Additional and Greek Extended.
_LATIN_GREEK_CYRILLIC = re.compile("[\u0000-\u052f\u1e00-\u1fff]")


def normalise_country(value: object) -> str | None:
    """An ISO 3166 alpha-2 code from a code or a country's name in a common European
    language or its own ("Deutschland", "Österreich", "Suisse", "日本", "ไทย"), or its
    ISO 3166 name in either order ("Korea, Republic of", "Republic of Korea", "NETHERLANDS
    (THE)"). Raises ValueError."""
    text = clean_text(value)
    if text is None:
        return None
    code = None
    if _other_script(text):
        # Before the folded names: another script's name written in Latin letters
        # could read as another country's code ("عمان", Oman, as "mn").
        code = _script_country_names().get(_script_key(text))
    code = code or _named_country(text)
    if code is None:
        raise ValueError("unknown country")
    return code


@lru_cache(maxsize=4096)
def _named_country(text: str) -> str | None:
    """The code a country's name (as _country_keys reads it) stands for; a file writes
    a few names many times."""
    names = _country_names()
    return next((names[key] for key in _country_keys(text) if key in names), None)


# Cities people write by another language's name: the local name, then its other names
# (English, Italian, French, German, Spanish). Italian cities first, then Europe's largest.
_CITY_NAMES = (
    ("Roma", "Rome", "Rom"),
    ("Milano", "Milan", "Mailand"),
    ("Torino", "Turin"),
    ("Napoli", "Naples", "Neapel", "Nápoles"),
    ("Firenze", "Florence", "Florenz", "Florencia"),
    ("Venezia", "Venice", "Venedig", "Venise", "Venecia"),
    ("Genova", "Genoa", "Genua", "Gênes"),
    ("Padova", "Padua", "Padoue"),
    ("Mantova", "Mantua", "Mantoue"),
    ("Siracusa", "Syracuse", "Syrakus"),
    ("Livorno", "Leghorn"),
    ("Bolzano", "Bozen"),
    ("Merano", "Meran"),
    ("Bressanone", "Brixen"),
    ("Trento", "Trient", "Trente"),
    ("Aosta", "Aoste"),
    ("Sanremo", "San Remo"),
    ("München", "Munich", "Monaco di Baviera", "Múnich"),
    ("Wien", "Vienna", "Vienne", "Viena"),
    ("Köln", "Cologne", "Colonia"),
    ("Zürich", "Zurich", "Zurigo"),
    ("Genève", "Geneva", "Ginevra", "Genf", "Ginebra"),
    ("Bruxelles", "Brussels", "Brussel", "Bruselas"),
    ("Antwerpen", "Antwerp", "Anversa", "Anvers", "Amberes"),
    ("Den Haag", "The Hague", "L'Aia", "La Haye", "La Haya"),
    ("London", "Londra", "Londres"),
    ("Paris", "Parigi"),
    ("Lyon", "Lione", "Lyons"),
    ("Marseille", "Marsiglia", "Marseilles", "Marsella"),
    ("Nice", "Nizza", "Niza"),
    ("Barcelona", "Barcellona", "Barcelone"),
    ("Sevilla", "Seville", "Siviglia", "Séville"),
    ("Lisboa", "Lisbon", "Lisbona", "Lisbonne", "Lissabon"),
    ("Praha", "Prague", "Praga", "Prag"),
    ("Warszawa", "Warsaw", "Varsavia", "Varsovie", "Warschau", "Varsovia"),
    ("København", "Copenhagen", "Copenaghen", "Copenhague", "Kopenhagen"),
    ("Athína", "Athens", "Atene", "Athènes", "Athen", "Atenas"),
    ("București", "Bucharest", "Bucarest", "Bukarest"),
    ("Beograd", "Belgrade", "Belgrado", "Belgrad"),
    ("Moskva", "Moscow", "Mosca", "Moscou", "Moskau", "Moscú"),
)


@cache
def _city_aliases() -> dict[str, str]:
    """Folded other name -> folded local name."""
    return {fold(other): fold(names[0]) for names in _CITY_NAMES for other in names[1:]}


# A province written after the city in brackets: "Milano (MI)", "Sesto S. Giovanni (Mi)".
_CITY_PROVINCE = re.compile(r"\s*\([^()]*\)\s*$")
# Words of Italian place names that people write, abbreviate or leave out: "Reggio di
# Calabria" / "Reggio Calabria", "Reggio nell'Emilia" / "Reggio Emilia"; "Sesto S.
# Giovanni" / "Sesto San Giovanni", "S. Margherita" / "Santa Margherita".
_CITY_LINKS = frozenset(
    "di de del della dello dei degli delle d nel nell nella sul sull sulla".split()
)
_CITY_SAINTS = frozenset("s san santa santo sant st sta sto".split())


@lru_cache(maxsize=_CACHE_SIZE)
def city_key(value: str) -> str:
    """A city for comparing: folded, by its local name ("Rome", "ROMA" -> "roma"), without
    a province in brackets ("Milano (MI)"), linking words after its first ("Reggio di
    Calabria" -> "reggio calabria") and with a saint's title as "s" ("Sesto San Giovanni",
    "Sesto S. Giovanni" -> "sesto s giovanni")."""
    folded = fold(_CITY_PROVINCE.sub("", value) or value)
    aliases = _city_aliases()
    if folded in aliases:
        return aliases[folded]
    words = folded.split()
    if len(words) < 2:
        return folded
    kept = [words[0]] + [w for w in words[1:] if w not in _CITY_LINKS]
    key = " ".join("s" if w in _CITY_SAINTS else w for w in kept)
    return aliases.get(key, key)


# Countries whose addresses give the province or state by its code: Italy's sigla ("20122
# Milano MI"), the postal abbreviations of the United States, Canada and Australia.
STATE_CODE_COUNTRIES = frozenset({"IT", "US", "CA", "AU"})
# Names people write for a province that ISO 3166-2 names otherwise (folded), or not at all:
# Aosta's province is its region.
_STATE_ALIASES = {
    "IT": {
        "aosta": "AO",
        "valle d aosta": "AO",
        "vallee d aoste": "AO",
        "monza": "MB",
        "monza brianza": "MB",
        "monza e della brianza": "MB",
        "monza and brianza": "MB",
        "pesaro urbino": "PU",
        "forli": "FC",
        "massa": "MS",
        "spezia": "SP",
        "reggio di calabria": "RC",
        "reggio nell emilia": "RE",
        "bozen": "BZ",
        "alto adige": "BZ",
        "sudtirol": "BZ",
        "verbania": "VB",
    },
}
# What precedes a province's name: "Provincia di Milano", "Prov. MI", "Città metropolitana
# di Roma Capitale", "Libero consorzio comunale di Ragusa".
_STATE_PREFIX = re.compile(
    r"^(?:provincia autonoma|provincia|prov|citta metropolitana|libero consorzio comunale"
    r"|state of|province of)(?: (?:di|de|of))? "
)
_STATE_SUFFIX = re.compile(r" (?:capitale|province|state)$")
# A code beside the name: "Milano (MI)", "MI - Milano", "Bolzano/Bozen".
_STATE_PARTS = re.compile(r"\s*(?:\(|\)|\s-\s|/|,)\s*")


@cache
def _state_codes(country: str) -> dict[str, str]:
    """Folded name or code -> code of a country's provinces or states (ISO 3166-2, without
    the country's prefix; for Italy its provinces, not its regions, whose codes are digits)."""
    codes: dict[str, str] = {}
    for division in pycountry.subdivisions.get(country_code=country) or ():
        code = division.code.split("-", 1)[1]
        if code.isalpha():
            codes[code.lower()] = code
            codes.setdefault(fold(division.name), code)
    for name, code in _STATE_ALIASES.get(country, {}).items():
        codes.setdefault(name, code)
    return codes


@lru_cache(maxsize=_CACHE_SIZE)
def normalise_state(value: str, country: str | None) -> str:
    """A province or state as its code where the country's addresses write it so
    (STATE_CODE_COUNTRIES): "Milano", "milano", "Prov. di Milano", "Milano (MI)", "mi" ->
    "MI" in Italy; "California" -> "CA" in the United States; "Milan" is Milano. Anything
    else (a region, "Lombardia"; a province of another country; a code no longer in use,
    "OT") stays as written."""
    if country not in STATE_CODE_COUNTRIES:
        return value
    codes = _state_codes(country)
    parts = [p for p in _STATE_PARTS.split(value) if p] or [value]
    found = set()
    for part in parts:
        key = _STATE_SUFFIX.sub("", _STATE_PREFIX.sub("", fold(part)))
        code = codes.get(key) or (codes.get(city_key(key)) if len(key) > 3 else None)
        if code:
            found.add(code)
    return found.pop() if len(found) == 1 else value


_DATE_FORMATS = (
    "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%y", "%d-%m-%y",
    "%d.%m.%y", "%Y%m%d",
)  # fmt: skip
# A US-style file: the month first ("03/14/1985").
_MONTH_FIRST_FORMATS = (
    "%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%Y/%m/%d", "%m/%d/%y", "%m-%d-%y", "%Y%m%d",
)  # fmt: skip
# A date as a spreadsheet counts it (days since 30 December 1899), left in a cell not
# formatted as a date: five digits, 1927 to 2173 (four digits would be a year).
_SHEET_SERIAL = re.compile(r"[1-9]\d{4}")
_SHEET_EPOCH = date(1899, 12, 30)
_DATE_TOKENS = re.compile(r"[^\W\d_]+|\d+")
# Words around a written date: "14th of March", "14 de marzo de 1985", "le 14 mars".
_DATE_FILLERS = frozenset("st nd rd th of de del le der den am el".split())
# A date written with numbers only, day and month in either order (31/12/1980, 12.31.80).
NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})")
# A day and a month with no year: Mailchimp's birthdays ("03/15"), "15.03.", and the
# ISO 8601 / vCard form of Google Contacts ("--03-15").
_NUMERIC_DAY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})\.?")
_ISO_DAY = re.compile(r"--(\d{2})-?(\d{2})")
NO_YEAR = "a birthday without a year is not a birth date"
# Tools' marks of an empty date: Outlook's "0/0/00", MySQL's "0000-00-00", "00.00.0000".
_EMPTY_DATE = re.compile(r"0{1,4}(?P<sep>[/.\-])0{1,2}(?P=sep)0{1,4}")
# Countries whose dates put the month first.
MONTH_FIRST_REGIONS = frozenset({"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "VI"})
# The youngest a customer is taken to be when a birth date's year has two digits: the age
# at which Italian law lets a person consent alone to the processing of their data.
YOUNGEST_CUSTOMER = 14


def normalise_date(value: object, *, month_first: bool = False) -> date | None:
    """A birth date from ISO, numeric or written text (or a date/datetime); None for empty
    input. Other dates are read by numeric_date.

    Numeric dates are read day first ("14/03/1985"), or month first for a US-style file;
    a date only the other order can read ("03/14/1985" in a day-first file) is read that
    way. Months may be written out in English, Italian, German, French or Spanish ("14
    marzo 1985", "March 14, 1985", "14-Mar-85"). A day and month with no year ("03/15",
    as Mailchimp writes birthdays) is no date: it raises ValueError(NO_YEAR), as anything
    else unreadable raises ValueError.

    A two-digit year is the latest that makes the person at least YOUNGEST_CUSTOMER years
    old today: in 2026, "05/05/12" is 2012 and "05/05/21" is 1921, not a child of five.
    Five digits are a spreadsheet's count of days ("29221": 1 January 1980).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    if text is None:
        return None
    text = strip_text_marker(text)
    day = text.split("T")[0].split(" ")[0]
    if empty_date(day):
        return None
    born_by = _born_by()
    if _SHEET_SERIAL.fullmatch(day):
        return _in_range(_SHEET_EPOCH + timedelta(days=int(day)))
    parsed = _parse_date(day, month_first, born_by) or _written_date(text, born_by)
    if parsed is None:
        raise ValueError(NO_YEAR if _without_year(text) else "unrecognised date")
    return _in_range(parsed)


def _in_range(born: date) -> date:
    """born, if a birth date can be it (from 1900 to today); else ValueError."""
    if born.year < 1900 or born > date.today():
        raise ValueError("date out of range")
    return born


def read_in_other_order(value: object, *, month_first: bool) -> bool:
    """Whether normalise_date reads value's numbers in the order other than the file's
    ("05/13/1990" in a day-first file: no 13th month), as one row of a file may write
    it; for the importer to say so."""
    text = clean_text(value)
    found = NUMERIC_DATE.fullmatch(text.split(" ")[0]) if text else None
    if found is None:
        return False
    first, second = int(found.group(1)), int(found.group(2))
    day, month = (second, first) if month_first else (first, second)
    return month > 12 and day <= 12


def empty_date(text: str) -> bool:
    """Whether text is a tool's mark of an empty date ("0/0/00", "0000-00-00")."""
    return _EMPTY_DATE.fullmatch(text.strip()) is not None


def numeric_date(text: str, *, month_first: bool = False) -> date | None:
    """The date of ISO or numeric text ("2023-04-03", "03/04/2023") in the file's order
    (see normalise_date), or None; any year, unlike a birth date's."""
    return _parse_date(text.strip(), month_first, date.today())


def _born_by() -> date:
    """The latest birth date of a person YOUNGEST_CUSTOMER years old today."""
    today = date.today()
    if (today.month, today.day) == (2, 29):
        today = today.replace(day=28)  # that many years ago may have had no leap day
    return today.replace(year=today.year - YOUNGEST_CUSTOMER)


def _two_digit_year(day: date, latest: date) -> date:
    """day, read with a two-digit year, a century earlier when it would be after latest."""
    return day.replace(year=day.year - 100) if day > latest else day


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_date(text: str, month_first: bool, latest: date) -> date | None:
    """The date text spells in the first format that reads it, a two-digit year as the
    latest one not after latest (cached: birth dates repeat)."""
    formats = (
        (_MONTH_FIRST_FORMATS, _DATE_FORMATS)
        if month_first
        else (_DATE_FORMATS, _MONTH_FIRST_FORMATS)
    )
    for group in formats:
        for fmt in group:
            try:
                parsed = datetime.strptime(text, fmt).date()
            except ValueError:
                continue
            return _two_digit_year(parsed, latest) if fmt.endswith("%y") else parsed
    return None


def _without_year(text: str) -> bool:
    """A day of the year with no year: "03/15" or "15/03", "--03-15", "15 March"."""
    if found := _ISO_DAY.fullmatch(text):
        return _day_exists(int(found.group(1)), int(found.group(2)))
    if found := _NUMERIC_DAY.fullmatch(text):
        first, second = int(found.group(1)), int(found.group(2))
        return _day_exists(first, second) or _day_exists(second, first)
    tokens = _DATE_TOKENS.findall(fold(text))
    words = [t for t in tokens if not t.isdigit() and t not in _DATE_FILLERS]
    numbers = [t for t in tokens if t.isdigit()]
    if len(words) != 1 or len(numbers) != 1 or len(numbers[0]) > 2:
        return False
    month = _month_names().get(words[0])
    return month is not None and _day_exists(month, int(numbers[0]))


def _day_exists(month: int, day: int) -> bool:
    """A month and day some year has (29 February included)."""
    try:
        date(2000, month, day)
    except ValueError:
        return False
    return True


@cache
def _month_names() -> dict[str, int]:
    """Folded month names and abbreviations (Unicode CLDR through babel) -> month number."""
    names: dict[str, int] = {}
    clashes: set[str] = set()
    for locale in ("en", "it", "de", "fr", "es"):
        months = Locale.parse(locale).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in months[context][width].items():
                    key = fold(name)
                    if names.setdefault(key, number) != number:
                        clashes.add(key)
    names["sept"] = 9
    for key in clashes:
        del names[key]
    return names


@lru_cache(maxsize=_CACHE_SIZE)
def _written_date(text: str, latest: date) -> date | None:
    """A date with its month written out: '14 marzo 1985', 'March 14, 1985', '14-Mar-85';
    a two-digit year as the latest one not after latest."""
    tokens = _DATE_TOKENS.findall(fold(text))
    words = [t for t in tokens if not t.isdigit() and t not in _DATE_FILLERS]
    numbers = [t for t in tokens if t.isdigit()]
    if len(words) != 1 or len(numbers) != 2 or words[0] not in _month_names():
        return None
    first, second = numbers
    if len(first) == 4:
        year, day = first, second
    elif len(second) in (2, 4):
        year, day = second, first
    else:
        return None
    century = 2000 if len(year) == 2 else 0  # this century's, or the last one's below
    try:
        written = date(century + int(year), _month_names()[words[0]], int(day))
    except ValueError:
        return None
    return _two_digit_year(written, latest) if century else written


def dates_month_first(samples, region: str | None = None) -> bool:
    """Whether a file's numeric dates put the month first, from a sample of its values.

    A date with a first number over 12 says day first; one with a second number over 12
    says month first. Without either (or with both), the source's region decides.
    """
    day_first = month_first = False
    for sample in samples:
        match = NUMERIC_DATE.match(sample) if isinstance(sample, str) else None
        if match:
            first, second = int(match.group(1)), int(match.group(2))
            day_first |= first > 12 >= second
            month_first |= second > 12 >= first
    if day_first != month_first:
        return month_first
    return (region or "").upper() in MONTH_FIRST_REGIONS


_TAX_ID_PUNCTUATION = re.compile(r"[\s\-./]+")
# How a codice fiscale opens: surname and name codes, the year, the month's letter, the day.
_CODICE_FISCALE_START = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}")
CODICE_FISCALE_LENGTH = "invalid codice fiscale (not 16 characters)"
_CODICE_FISCALE_SHAPE = re.compile(r"[A-Z]{6}[0-9A-Z]{2}[A-Z][0-9A-Z]{2}[A-Z][0-9A-Z]{3}[A-Z]")


def normalise_tax_id(value: object) -> str | None:
    """A personal tax or national id (codice fiscale, social security number, NIF, ...).

    Upper case without spaces or punctuation. An Italian codice fiscale (16 characters
    of its shape) must pass its check character (python-stdnum); any other id must be
    4 to 32 letters and digits, with a digit, and not one character repeated (placeholders
    such as 000000000 say nothing about a person), except one that opens as a codice
    fiscale does and is shorter or longer than one. Raises ValueError.
    """
    text = clean_text(value)
    if text is None:
        return None
    compact = _TAX_ID_PUNCTUATION.sub("", strip_text_marker(text)).upper()
    if _CODICE_FISCALE_SHAPE.fullmatch(compact):
        try:
            return codicefiscale.validate(compact)
        except NumberError:
            raise ValueError("invalid codice fiscale (check character)") from None
    if _CODICE_FISCALE_START.match(compact) and len(compact) != 16:
        raise ValueError(CODICE_FISCALE_LENGTH)  # one typed short or long: no one's id
    if not (4 <= len(compact) <= 32 and compact.isascii() and compact.isalnum()):
        raise ValueError("not a tax or national id (4 to 32 letters and digits)")
    if not any(ch.isdigit() for ch in compact) or len(set(compact)) == 1:
        raise ValueError("not a tax or national id (a placeholder)")
    return compact


class CodiceFiscale(NamedTuple):
    """What an Italian codice fiscale says about its holder: the codes of the surname and
    given name, and the birth date without its century (the code keeps two digits)."""

    surname: str
    given: str
    year: int  # 0-99
    month: int
    day: int
    female: bool


# Omocodia: when two people would get one code, digits are replaced by letters, L for 0 to
# V for 9, from the right, in these places (the year, the day, the birthplace's number).
_OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")
_OMOCODIA_PLACES = (6, 7, 9, 10, 12, 13, 14)
_CODICE_FISCALE_MONTHS = "ABCDEHLMPRST"


@lru_cache(maxsize=_CACHE_SIZE)
def codice_fiscale(value: str | None) -> CodiceFiscale | None:
    """The codice fiscale's codes and birth date, or None for any other id (or a code whose
    check character or date does not hold)."""
    if not value or len(value) != 16:
        return None
    text = value.upper()
    if not _CODICE_FISCALE_SHAPE.fullmatch(text):
        return None
    if codicefiscale.calc_check_digit(text[:15]) != text[15]:
        return None
    chars = list(text)
    for place in _OMOCODIA_PLACES:
        chars[place] = chars[place].translate(_OMOCODIA)
    year, day = "".join(chars[6:8]), "".join(chars[9:11])
    month = _CODICE_FISCALE_MONTHS.find(text[8]) + 1
    if not (year.isdigit() and day.isdigit() and month):
        return None
    female = int(day) > 40
    day_of_month = int(day) - 40 if female else int(day)
    if not _day_exists(month, day_of_month):
        return None
    return CodiceFiscale(text[:3], text[3:6], int(year), month, day_of_month, female)


def _letters_of(name: str) -> tuple[str, str]:
    """(consonants, vowels) of a name as the codice fiscale reads it: letters only."""
    letters = [ch for ch in fold(name).upper() if "A" <= ch <= "Z"]
    consonants = "".join(ch for ch in letters if ch not in "AEIOU")
    return consonants, "".join(ch for ch in letters if ch in "AEIOU")


def surname_code(surname: str) -> str:
    """A surname's three letters in a codice fiscale: 'Bianchi' -> 'BNC', 'Fo' -> 'FOX'."""
    consonants, vowels = _letters_of(surname)
    return (consonants + vowels + "XXX")[:3]


def given_name_code(given: str) -> str:
    """A given name's three letters in a codice fiscale: 'Laura' -> 'LRA'; of four
    consonants or more, the first, third and fourth ('Francesco' -> 'FNC')."""
    consonants, vowels = _letters_of(given)
    if len(consonants) >= 4:
        return consonants[0] + consonants[2] + consonants[3]
    return (consonants + vowels + "XXX")[:3]


def normalise_postcode(value: object) -> str | None:
    """Upper-case postcode with single spaces; one written as a whole number's float
    (8100.0, "08100.0", as JSON and pandas write a numeric column) as its digits, for
    the caller to pad to its country's length. Anything else stays as written."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = clean_text(value)
    if text is None:
        return None
    text = strip_text_marker(text)
    try:
        digits = _whole_number(value if isinstance(value, float) else text)
    except ValueError:
        digits = None  # not a number a postcode was written as: kept as it is
    return digits if digits is not None else text.upper()


# Countries whose postcodes are digits only, of one length, leading zeros included: the
# zeros a spreadsheet or a JSON number drops (US 02108 -> 2108, IT 00183 -> 183) come back.
_POSTCODE_DIGITS = {
    **dict.fromkeys(
        "IT SM VA US PR VI GU AS MP FR MC DE ES FI EE LT HR ME RS BA MX TR UA MY TH ID KR "
        "DZ MA".split(),
        5,
    ),
    **dict.fromkeys("AT CH LI BE LU DK NO AU NZ HU BG SI MK CY GE AL LV TN ZA PH".split(), 4),
    **dict.fromkeys("SG RO IN CN RU BY".split(), 6),
}
_POSTCODE_ZEROS_MAX = 2  # more missing digits than that is another mistake, left alone
# The shapes of postcodes that are not one run of digits of a fixed length (upper case).
_ZIP = r"\d{5}(?:-\d{4})?"  # 94043, 94043-1351
_POSTCODE_SHAPES = {
    **dict.fromkeys("US PR VI GU AS MP".split(), _ZIP),
    **dict.fromkeys("GB IM JE GG".split(), r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}"),  # SW1A 2AA
    "CA": r"[A-Z]\d[A-Z] ?\d[A-Z]\d",  # H3Z 2Y7
    "NL": r"\d{4} ?[A-Z]{2}",  # 1016 GV
    "PL": r"\d{2}-\d{3}",  # 00-950
    "PT": r"\d{4}-\d{3}",  # 1000-001
    **dict.fromkeys("SE CZ SK GR".split(), r"\d{3} ?\d{2}"),  # 114 55
    "IE": r"[AC-FHKNPRTV-Y]\d[\dW] ?[AC-FHKNPRTV-Y\d]{4}",  # Eircode D02 X285
    "BR": r"\d{5}-?\d{3}",  # 01310-100
    "JP": r"\d{3}-?\d{4}",  # 100-0001
}


def postcode_fits(text: str, country: str | None) -> bool:
    """Whether text is shaped like a postcode of country (an ISO code): its fixed number
    of digits ("20121" in Italy), or its own shape ("SW1A 2AA"). False for a country
    whose postcodes are not known here: nothing can be told of them."""
    code = (country or "").upper()
    shape = _POSTCODE_SHAPES.get(code)
    if shape is None and code in _POSTCODE_DIGITS:
        shape = rf"\d{{{_POSTCODE_DIGITS[code]}}}"
    text = (clean_text(text) or "").upper()
    return shape is not None and re.fullmatch(shape, text, re.ASCII) is not None


# A country's letters before a postcode, as European mail once wrote it ("I-20122").
_POSTCODE_COUNTRY = re.compile(r"^[A-Z]{1,3}\s*-\s*(?=\d)")


def pad_postcode(postcode: str, country: str | None) -> str:
    """A numeric postcode with the leading zeros its country's fixed length says it lost;
    in a country of digit-only postcodes, without a country prefix ("I-20122", "D-10115")
    or spaces typed in it ("00 185")."""
    width = _POSTCODE_DIGITS.get((country or "").upper())
    if width:
        digits = _POSTCODE_COUNTRY.sub("", postcode).replace(" ", "")
        if digits.isascii() and digits.isdigit() and len(digits) <= width:
            postcode = digits
    missing = width - len(postcode) if width else 0
    if 0 < missing <= _POSTCODE_ZEROS_MAX and postcode.isascii() and postcode.isdigit():
        return postcode.zfill(width)
    return postcode


# Honorifics and academic titles written before names (Italian, English, German, Spanish,
# French), compared folded, without spaces and without the final dot.
_TITLES = frozenset(
    {
        "sig",
        "sigra",
        "signor",
        "signora",
        "signorina",
        "signa",
        "dott",
        "dottssa",
        "dottoressa",
        "dottor",
        "dr",
        "dssa",
        "ing",
        "avv",
        "prof",
        "profssa",
        "arch",
        "geom",
        "rag",
        "mr",
        "mrs",
        "ms",
        "mx",
        "miss",
        "sir",
        "dame",
        "herr",
        "frau",
        "sr",
        "sra",
        "srta",
        "mme",
        "mlle",
        # Italian letters' salutations and honours ("Egr. Sig.", "Gent.ma", "Cav."), and
        # the words that address a couple or a household ("Coniugi", "Fam.", "Sig.ri":
        # COUPLE_OR_FAMILY tells them apart). Not "Gentile", "Gentili", "Signori": they
        # are common surnames as well.
        "egr",
        "egregio",
        "egregia",
        "gent",
        "gentmo",
        "gentma",
        "spett",
        "spettle",
        "spettabile",
        "illmo",
        "illma",
        "cav",
        "uff",
        "comm",
        "rev",
        "mons",
        "drssa",
        "messrs",
        "sigg",
        "sigri",
        "coniugi",
        "famiglia",
        "fam",
    }
)
# The word joining two titles of a couple ("Sig. e Sig.ra", "Mr & Mrs").
_TITLE_JOINS = frozenset({"e", "and", "&", "und", "et", "y"})
# A name cell that addresses a couple or a household, not one person.
COUPLE_OR_FAMILY = re.compile(
    r"\s*(?:coniugi|famiglia|fam\.|sig\.?\s?ri|sigg\.?|messrs\.?"
    r"|(?:sig|mr|herr|m)\.?\s*(?:e|and|&|und|et)\s*(?:sig\.?\s?ra|mrs|frau|mme)\.?)(?:\s|$)",
    re.IGNORECASE,
)
# A title in brackets after a name ("Rossi (geom.)").
_TRAILING_TITLE = re.compile(r"\s*\(([^()]{1,12})\)$")


def _is_title(word: str) -> bool:
    return fold(word.rstrip(".")).replace(" ", "") in _TITLES


def strip_titles(text: str) -> str:
    """Drop leading titles ('Dott.ssa Anna' -> 'Anna', 'Sig. e Sig.ra Rossi' -> 'Rossi')
    and one in brackets at the end ('Rossi (geom.)'); a title alone is kept as written."""
    bracketed = _TRAILING_TITLE.search(text)
    if bracketed and _is_title(bracketed.group(1)) and bracketed.start() > 0:
        text = text[: bracketed.start()]
    parts = text.split(" ")
    while len(parts) > 1 and (
        _is_title(parts[0]) or (parts[0].lower() in _TITLE_JOINS and _is_title(parts[1]))
    ):
        parts = parts[1:]
    return " ".join(parts)


# What tools write where a name is missing (Salesforce's required last name is
# "[not provided]"), folded: no name at all.
_NO_NAME = frozenset(
    "not provided|unknown|n a|n d|nd|n n|nn|none|null|no name|tbd|tba|xx|xxx|"
    "sconosciuto|sconosciuta|non fornito|non disponibile|non indicato|cliente|customer|"
    "unbekannt|inconnu|desconocido".split("|")
)
# Titles that are also names ("Miss" aside, "Dame", "Sir" are surnames too): kept alone.
_TITLE_NAMES = frozenset({"sir", "dame", "miss"})


def normalise_name(value: object) -> str | None:
    """A person's name as written, trimmed; all-caps or all-lower input gets title case.
    A placeholder ("[not provided]", "Unknown", "N/A", "-", "TBD") or a title alone
    ("Sig.") is no name."""
    text = clean_text(value)
    if text is None or not any(ch.isalnum() for ch in text) or fold(text) in _NO_NAME:
        return None
    text = strip_titles(text)
    title = fold(text.rstrip(".")).replace(" ", "")
    if title in _TITLES and title not in _TITLE_NAMES:
        return None  # "Sig.", "Dott.ssa", "Sig. e Sig.ra" alone: a salutation, no name
    if text.isupper() or text.islower():
        # "d'angelo" -> "D'Angelo", "ROSSI-BIANCHI" -> "Rossi-Bianchi"
        text = _GENERATION_NUMERAL.sub(lambda m: m.group().upper(), _title_case(text))
    return accent_apostrophe(text)


def _title_case(text: str) -> str:
    """Each part of a name or a place capitalised: after a space, a hyphen or an
    apostrophe ("d'angelo" -> "D'Angelo", "SESTO SAN GIOVANNI" -> "Sesto San Giovanni")."""
    return _NAME_PART_START.sub(lambda m: m.group(1) + m.group(2).upper(), text.lower())


# A final vowel and an apostrophe where the accent goes: how a keyboard without accented
# capitals (or an old system) writes "NICOLÒ", "FORLÌ", "CANTÙ".
_ACCENT_APOSTROPHE = re.compile(r"(?<=\w\w)([aeiouAEIOU])['’`´](?=[\s,;.)]|$)")
_GRAVE = str.maketrans("aeiouAEIOU", "àèìòùÀÈÌÒÙ")
_APOSTROPHES = frozenset("'’`´")


def accent_apostrophe(text: str) -> str:
    """ "Nicolo'" -> "Nicolò", "Forli'" -> "Forlì": a word's final vowel followed by an
    apostrophe is that vowel with its (grave) accent."""
    if not _APOSTROPHES.intersection(text):
        return text
    return _ACCENT_APOSTROPHE.sub(lambda m: m.group(1).translate(_GRAVE), text)


def normalise_place(value: object) -> str | None:
    """A town's name as written, trimmed; all-caps or all-lower input gets title case
    ("MILANO" -> "Milano", "sesto san giovanni" -> "Sesto San Giovanni"), and an accent
    written as an apostrophe its letter ("FORLI'" -> "Forlì")."""
    text = clean_text(value)
    if text is None:
        return None
    if text.isupper() or text.islower():
        text = _title_case(text)
    return accent_apostrophe(text)


# Words of a street's name written in lower case after its first: Italian prepositions
# with their article ("Via dei Mille", "Piazza della Repubblica", "Via dell'Indipendenza").
# "Di", "D'" and "Da" stay capitals: they open surnames streets are named after ("Via Di
# Vittorio", "Via D'Annunzio").
_STREET_LINKS = frozenset(
    "del dello della dei degli delle dell dal dallo dalla dai dagli dalle e ed al allo "
    "alla ai agli alle all nel nello nella nei negli nelle nell sul sullo sulla sui sugli "
    "sulle sull snc km".split()
)
# A Roman numeral of a street's name (1 to 89): "Via XX Settembre", "Vittorio Emanuele II".
_STREET_NUMERAL = re.compile(r"(?=[ivxl])(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})", re.IGNORECASE)


# The words an Italian street address opens with (folded, without dots): only such an
# address is cased again, by Italian rules; others ("1600 PENNSYLVANIA AVE NW") stay.
_STREET_TYPES = frozenset(
    "via viale vle corso cso piazza pzza pza piazzale ple largo vicolo vico strada str "
    "contrada cda localita loc frazione fraz borgo lungomare lungotevere lungarno salita "
    "traversa rione circonvallazione galleria piazzetta stradone calle campo".split()
)


def normalise_address(value: object) -> str | None:
    """A street address as written, trimmed; an Italian one typed all in capitals or all
    in lower case (TeamSystem's, Danea's registers) gets the case addresses are written
    in: "VIA DELL'INDIPENDENZA 30" -> "Via dell'Indipendenza 30", "C.SO VITTORIO EMANUELE
    II 12" -> "C.so Vittorio Emanuele II 12", a house number as typed ("3/A"), Roman
    numerals in capitals, prepositions with their article after the first word in lower
    case."""
    text = clean_text(value)
    if text is None or not (text.isupper() or text.islower()):
        return text
    if fold(text.split(" ", 1)[0]).replace(" ", "") not in _STREET_TYPES:
        return text
    words = []
    for n, word in enumerate(text.split(" ")):
        lower = word.lower()
        head = lower.split("'", 1)[0].rstrip(".,")
        if any(ch.isdigit() for ch in word):
            words.append(word)  # a house number, a "3/A", a "12B": as typed
        elif _STREET_NUMERAL.fullmatch(lower.rstrip(".,")):
            words.append(word.upper())
        elif n and head in _STREET_LINKS:
            link, apostrophe, rest = lower.partition("'")  # "dell'indipendenza"
            words.append(link + apostrophe + (_title_case(rest) if rest else ""))
        else:
            words.append(_title_case(word))
    return accent_apostrophe(" ".join(words))


# A generation written in Roman numerals after a name ("JOHNSON III"): capitals, not "Iii".
_GENERATION_NUMERAL = re.compile(r"(?<=\s)(?:Ii|Iii|Iv)$")
