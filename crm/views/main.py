"""The start page and helpers every template uses."""

from datetime import date
from decimal import ROUND_FLOOR, Decimal

from flask import Blueprint, render_template
from flask_babel import format_date, format_decimal, get_locale, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.security import ALL_ROLES, public
from crm.services import consent_ledger, duplicates, profiles

bp = Blueprint("main", __name__)

# Navigation per role: (endpoint, label, roles that see it).
NAV = (
    ("profiles.index", _l("Profiles"), {"admin", "sales", "marketer", "compliance"}),
    ("imports.index", _l("Imports"), {"admin", "marketer"}),
    ("duplicates.index", _l("Duplicates"), {"admin", "sales"}),
    ("admin.users_index", _l("Users"), {"admin"}),
    ("admin.sources_index", _l("Sources"), {"admin"}),
    ("admin.api_keys", _l("API keys"), {"admin"}),
)
STAGE_LABELS = {"lead": _l("Lead"), "mql": _l("MQL"), "sql": _l("SQL"), "customer": _l("Customer")}

# The words of a match decision (matching.compare, the importer), stored in English in
# merges and review pairs and exported as they are; shown in the reader's language.
REASON_PHRASES = {
    "names: swapped": _l("first and last name swapped"),
    "name: no namesake in the city": _l("no other namesake in the city"),
    "last name: changed, same first name and birth date": _l(
        "surname perhaps changed: same first name and birth date"
    ),
    "last name: changed, same first name and email or phone": _l(
        "surname perhaps changed: same first name and email or phone"
    ),
    "last name: changed, same first name and tax id": _l(
        "surname perhaps changed: same first name and tax id"
    ),
    "no automatic merge: needs two strong signals beyond the name": _l(
        "no automatic merge: needs two strong signals beyond the name"
    ),
    "no automatic merge: the first name is a diminutive of several names": _l(
        "no automatic merge: the first name is a diminutive of several names"
    ),
    "no automatic merge: other mailboxes at one organisation": _l(
        "no automatic merge: other email addresses at one organisation (colleagues?)"
    ),
    "no automatic merge: the first names do not agree well enough": _l(
        "no automatic merge: the first names do not agree well enough"
    ),
    "no automatic merge: the surnames differ (perhaps a new surname)": _l(
        "no automatic merge: the surnames differ (perhaps a new surname)"
    ),
    "no automatic merge: the surnames do not agree well enough": _l(
        "no automatic merge: the surnames do not agree well enough"
    ),
    # A sales rep reads who the two may be (a father and his son named after him), not
    # how the scorer compared their surnames.
    "last name: same, Jr. or Sr. on one side only": _l(
        "perhaps father and son: same surname, but Jr. or Sr. on only one of them"
    ),
    "last name: same, two generations (Jr. and Sr.)": _l(
        "probably father and son: same surname, one Jr. and the other Sr."
    ),
    "last name: changed, the other's is in the tax id": _l(
        "surname perhaps changed: the other's is in the tax id"
    ),
    "birth date: read from the tax id": _l("birth date read from the tax id"),
    "address: same street, another town": _l(
        "address: the same street and number, but in another town"
    ),
    "address: same street, number suffix on one side": _l(
        "address: same street and house number, a suffix (A, bis) on one side only"
    ),
    "evidence added by an import": _l("evidence added by an import"),
    "carried over from a merged profile": _l("carried over from a merged profile"),
    "found after a merge": _l("found after a merge"),
    "found after an edit by hand": _l("found after an edit by hand"),
    "found when created by hand": _l("found when created by hand"),
    "one record holds identifiers of both": _l("one record holds identifiers of both"),
    "a merge of the two was undone": _l("a merge of the two was undone"),
    "its merge was undone to undo an earlier one: decide again": _l(
        "its merge was undone to undo an earlier one: decide again"
    ),
    "decided about a merged profile this one was part of": _l(
        "decided about a merged profile this one was part of"
    ),
    "veto: different birth dates": _l("veto: different birth dates"),
    "veto: same email domain, different first names": _l(
        "veto: same email domain, different first names"
    ),
    "veto: different tax ids": _l("veto: different tax ids"),
}
# The vetoes of a match decision (duplicates.vetoes: what says two people) in plain words.
VETO_WORDS = {
    "different birth dates": _l("different birth dates"),
    "different tax ids": _l("different tax ids"),
    "same email domain, different first names": _l(
        "different first names, email addresses at one organisation"
    ),
}
REASON_SUBJECTS = {
    "first name": _l("first name"),
    "last name": _l("last name"),
    "birth date": _l("birth date"),
    "email": _l("email"),
    "phone": _l("phone"),
    "tax id": _l("tax id"),
    "address": _l("address"),
    "postcode": _l("postcode"),
    "city": _l("city"),
    "company": _l("company"),
    "country": _l("country"),
    "source record": _l("source record"),
}
REASON_LEVELS = {
    "exact": _l("exact"),
    "same": _l("same"),
    "same id": _l("same id"),
    "same inbox": _l("same inbox"),
    "unchanged": _l("unchanged"),
    "typo": _l("typo"),
    "different": _l("different"),
    "nickname": _l("nickname"),
    "nickname (ambiguous)": _l("nickname (ambiguous)"),
    "partial": _l("partial"),
    "man and woman": _l("a man's name in one language, a woman's in another"),
    "similar": _l("similar"),
    "initial": _l("initial only"),
    "compound": _l("compound"),
    "missing": _l("missing"),
    "day and month swapped": _l("day and month swapped"),
    "one digit off": _l("one digit off"),
    "one character off": _l("one character off"),
    "same street": _l("same street"),
    "same street, other number": _l("same street, other number"),
}
# The levels that agree with their subject in languages with grammatical gender (Italian:
# "città: diversa", "data di nascita: identica"): the subjects that take them, and the
# levels in the "feminine" context.
FEMININE_SUBJECTS = frozenset({"birth date", "email", "city", "company"})
FEMININE_LEVELS = {
    "exact": lazy_pgettext("feminine", "exact"),
    "different": lazy_pgettext("feminine", "different"),
    "unchanged": lazy_pgettext("feminine", "unchanged"),
}
MERGE_RULES = {"auto": _l("automatic"), "review": _l("review"), "manual": _l("manual")}
# Reasons the app itself gives stage changes, as stage history shows them (a person's own
# reason is shown as they wrote it).
STAGE_REASONS = {
    "most advanced stage among source records": _l("most advanced stage among source records"),
    "most advanced stage of merged profiles": _l("most advanced stage of merged profiles"),
    "manual edit": _l("manual edit"),
    "merge undone: the record that stated this stage went back to the other profile": _l(
        "merge undone: the record that stated this stage went back to the other profile"
    ),
    "the record that stated this stage was detached: it is a profile of its own now": _l(
        "the record that stated this stage was detached: it is a profile of its own now"
    ),
}
PARTIES = {"first": _l("first party"), "second": _l("second party"), "third": _l("third party")}
# Actors without a user (audit.actor_fields), as stage history shows them.
ACTOR_WORDS = {"system": _l("system"), "import": _l("import")}
CONSENT_WORDS = {
    "email_marketing": _l("Email marketing"),
    "sms_marketing": _l("SMS marketing"),
    "phone_marketing": _l("Phone marketing"),
    "profiling": _l("Profiling"),
    "third_party_sharing": _l("Sharing with third parties"),
    "granted": _l("granted"),
    "withdrawn": _l("withdrawn"),
    "refused": _l("refused"),
    "none": _l("not asked"),
    "consent": _l("consent"),
    "contract": _l("contract"),
    "legal_obligation": _l("legal obligation"),
    "vital_interests": _l("vital interests"),
    "public_task": _l("public task"),
    "legitimate_interests": _l("legitimate interests"),
}


@bp.app_template_filter()
def isodateformat(value: object, format: str = "medium") -> object:
    """A date kept as ISO text ("1985-03-12", or the day of an ISO date-time) in the
    user's locale, like Babel's dateformat; text that is no ISO date is shown as it is."""
    if isinstance(value, date):
        return format_date(value, format)
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return value
    return format_date(day, format)


@bp.app_template_filter()
def scoreformat(value: float) -> str:
    """A match score with two decimals, cut rather than rounded: 0.849 shows 0.84, so a
    pair the queue's "score at least 0.85" leaves out never shows 0.85."""
    cut = Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    return format_decimal(cut, "0.00")


@bp.app_template_global()
def nav_items() -> list[dict]:
    """The navigation entries the signed-in user's role may use."""
    if not current_user.is_authenticated:
        return []
    return [{"endpoint": e, "label": label} for e, label, who in NAV if current_user.role in who]


@bp.app_template_global()
def evidence_shown_apart(key: str) -> bool:
    """Whether a consent statement's evidence key is the CRM's own, shown in the
    statement's columns rather than in its evidence list (consent_ledger.SHOWN_APART)."""
    return key in consent_ledger.SHOWN_APART


@bp.app_template_global()
def stage_label(stage: str) -> str:
    """The translated name of a lifecycle stage."""
    return str(STAGE_LABELS.get(stage, stage))


@bp.app_template_global()
def reason_label(reason: str) -> str:
    """A match reason in the reader's language; a reason it does not know (a reviewer's
    own words) as it was written."""
    phrase = REASON_PHRASES.get(reason)
    if phrase is not None:
        return str(phrase)
    subject, colon, level = reason.partition(": ")
    if colon and subject in REASON_SUBJECTS and level in REASON_LEVELS:
        levels = FEMININE_LEVELS if subject in FEMININE_SUBJECTS else REASON_LEVELS
        return f"{REASON_SUBJECTS[subject]}: {levels.get(level, REASON_LEVELS[level])}"
    return reason


@bp.app_template_global()
def pair_vetoes(reasons) -> list[str]:
    """The vetoes among a pair's reasons (duplicates.vetoes), each in plain words in the
    reader's language: what says the two are different people."""
    return [str(VETO_WORDS.get(veto, veto)) for veto in duplicates.vetoes(reasons)]


@bp.app_template_global()
def warning_label(reason: str) -> str:
    """A reason of duplicates.merge_warnings in the reader's language: a veto in plain
    words, any other as reason_label says it."""
    vetoed = duplicates.vetoes([reason])
    return pair_vetoes([reason])[0] if vetoed else reason_label(reason)


@bp.app_template_global()
def consent_label(word: str) -> str:
    """A consent purpose, state or legal basis in the reader's language."""
    return str(CONSENT_WORDS.get(word, word))


@bp.app_template_global()
def merge_rule_label(rule: str) -> str:
    """How a merge was decided (automatic, review, manual), in the reader's language."""
    return str(MERGE_RULES.get(rule, rule))


@bp.app_template_global()
def stage_reason(reason: str) -> str:
    """A stage change's reason in the user's language when the app gave it."""
    return str(STAGE_REASONS.get(reason, reason))


@bp.app_template_global()
def party_label(party: str) -> str:
    """A source's party (first, second, third) in the user's language."""
    return str(PARTIES.get(party, party))


@bp.app_template_global()
def source_title(source) -> str:
    """A source's name as pages show it (a Source or its name): the app's own manual-entry
    source's in the reader's language, every other's as stored (the API and the CLI keep
    saying "manual")."""
    name = getattr(source, "name", source) or ""
    return _("Manual entry") if name == profiles.MANUAL_SOURCE else name


@bp.app_template_global()
def source_label(source) -> str:
    """A source's label as pages show it: the manual-entry source's own in the reader's
    language, any other as its admin wrote it."""
    if source.name == profiles.MANUAL_SOURCE and source.label == profiles.MANUAL_LABEL:
        return _("Manual entry")
    return source.label or ""


@bp.app_template_global()
def actor_label(label: str) -> str:
    """Who or what made a change, from its stored label, when no user is at hand: the
    import, merge, detach or rule that made it, or a user who no longer exists."""
    kind, colon, name = (label or "").partition(":")
    if not colon:
        return str(ACTOR_WORDS.get(kind, kind)) if kind else "—"
    if kind == "user":
        return _("deleted user #%(id)s", id=name)
    if kind == "cli" and name.startswith("import:"):  # crm import (cli:import:<source>)
        kind, name = "import", name.removeprefix("import:")
    if kind == "import":
        return _("import from %(source)s", source=name)
    if kind == "merge":
        return _("merge #%(id)s", id=name)
    if kind == "detach":  # splitting.DETACH_LABEL: the move a detach made
        return _("detach of record #%(id)s", id=name)
    if kind == "rule":
        return _("rule %(name)s", name=name)
    return label


@bp.app_template_global()
def country_name(code: str | None) -> str:
    """A country's name in the user's language, from its ISO code ("US" -> "Stati Uniti")."""
    if not code:
        return ""
    return get_locale().territories.get(code.upper(), code.upper())


@bp.app_template_global("get_locale")
def _locale() -> str:
    """The language of this response."""
    return str(get_locale())


@bp.route("/")
@ALL_ROLES
def index():
    """Start page: the funnel counts and the way in for each role."""
    return render_template("main/index.html", counts=profiles.count_by_stage())


@bp.route("/healthz")
@public
def health():
    """Liveness probe for load balancers."""
    return {"status": "ok"}
