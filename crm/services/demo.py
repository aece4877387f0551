"""The demo data set: people seen through a web form, a newsletter tool and an online shop.

Deterministic: one seeded random generator and dates relative to a fixed anchor, so two
fresh databases get identical data. The three sources' records are written in bulk, those
of one person linked by their shared normalised email, each profile taking its values
from its records by survivorship (highest trust rank, then most recent). Then a trade
fair's badge scans arrive through the importer like any file (plan_badges): a name as the
badge printed it, a company, often a city, sometimes an email. Identity resolution sorts
them out as it would in use (joins by email, new people, pairs it is not sure of), so the
demo starts with a review queue to work, and merges to make and undo.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import phonenumbers
from babel import Locale
from sqlalchemy import func, insert, select, update

from crm.extensions import db
from crm.models import (
    PROFILE_FIELDS,
    STAGES,
    ConsentRecord,
    Profile,
    ProfileEmail,
    ProfilePhone,
    Source,
    SourceRecord,
    StageChange,
    Tag,
    User,
    profile_tags,
)
from crm.services import audit, ingest, match_keys
from crm.services import demo_names as names
from crm.services.nicknames import NAME_GROUPS
from crm.services.normalise import (
    clean_text,
    fold,
    normalise_country,
    normalise_date,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
)
from crm.services.profiles import record_search_columns, refresh_search_keys

DEMO_SEED = 20261001
# The trade fair whose badge scans the demo imports through the importer.
FAIR_SOURCE = "fair"
FAIR_LABEL = "Trade fair badge scans"
FAIR_EVENT = "Smau Milano 2026"
FAIR_TRUST_RANK = 30  # below every other demo source: a badge's values rarely win
# Share of the demo's people who visited the stand, and visitors never seen before.
FAIR_SHARE = 0.12
FAIR_NEWCOMERS_PER_100 = 3
# Every date in the data set is relative to this moment, never to the clock.
ANCHOR = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
BATCH_ID = "demo"
ACTOR_LABEL = "demo"

SOURCES = {
    "web_form": {"label": "Website forms (contact, demo request, webinar)", "trust_rank": 60},
    "newsletter": {"label": "Newsletter tool export", "trust_rank": 40},
    "shop": {"label": "Online shop customers", "trust_rank": 80},
}
# Which sources see a person, with weights: 60 in 100 people appear in two or more.
SOURCE_MIXES = (
    (("web_form",), 20),
    (("newsletter",), 16),
    (("shop",), 4),
    (("web_form", "newsletter"), 30),
    (("newsletter", "shop"), 12),
    (("web_form", "shop"), 6),
    (("web_form", "newsletter", "shop"), 12),
)
# Source column -> profile field, per source (each source names things its own way).
FIELD_MAPS = {
    "web_form": {
        "nome": "first_name",
        "cognome": "last_name",
        "azienda": "company",
        "ruolo": "job_title",
        "citta": "city",
        "paese": "country",
    },
    "newsletter": {"FNAME": "first_name", "LNAME": "last_name", "CC": "country"},
    "shop": {
        "first_name": "first_name",
        "last_name": "last_name",
        "billing_company": "company",
        "billing_address_1": "address",
        "billing_address_2": "address_line_2",
        "billing_postcode": "postcode",
        "billing_city": "city",
        "billing_state": "state",
        "billing_country": "country",
        "date_of_birth": "birth_date",
    },
}
# (email column, phone column, other email columns) per source.
IDENTIFIER_COLUMNS = {
    "web_form": ("email", "telefono", ()),
    "newsletter": ("EMAIL", None, ()),
    "shop": ("email", "billing_phone", ("billing_email",)),
}
_FIELD_NORMALISERS = {
    "first_name": normalise_name,
    "last_name": normalise_name,
    "city": normalise_name,
    "postcode": normalise_postcode,
    "country": normalise_country,
    "birth_date": lambda value: _iso(normalise_date(value)),
}
NEWSLETTER_FORMS = ("newsletter-footer", "popup-home", "blog-sidebar")
_NO_BUDGET = "no budget this quarter"


@dataclass
class RecordPlan:
    """One source row as the source sends it, with its normalised values."""

    source: str
    external_id: str
    received_at: datetime
    raw: dict
    fields: dict = field(default_factory=dict)
    email: str | None = None
    phone: str | None = None
    other_emails: list[str] = field(default_factory=list)


@dataclass
class ConsentPlan:
    """One consent grant, withdrawal or refusal captured by one of the person's records."""

    record: int  # index into PersonPlan.records
    purpose: str
    status: str
    at: datetime
    evidence: dict


@dataclass
class PersonPlan:
    """Everything the demo holds about one person, before it reaches the database."""

    records: list[RecordPlan]
    stages: list[tuple[str | None, str, datetime, str]]
    tags: list[str]
    score: int
    consents: list[ConsentPlan] = field(default_factory=list)


@dataclass
class _Person:
    """The true person behind the rows (what the sources each see part of)."""

    first: str
    last: str
    country: str
    city: str
    postcode: str
    state: str
    address: str
    address_2: str
    mobile: str
    landline: str | None
    company: str | None
    company_domain: str | None
    job_title: str | None
    birth_date: date
    email: str
    other_email: str | None
    language: str


class _Counters:
    """Running numbers for the sources' own ids."""

    def __init__(self) -> None:
        self.web_form = 0
        self.newsletter = 0
        self.shop = 0


def _iso(value: date | None) -> str | None:
    """A date as ISO text (JSON-friendly), None stays None."""
    return value.isoformat() if value else None


def _ascii(text: str) -> str:
    """Letters and digits of text folded to ASCII, for email local parts."""
    return "".join(ch for ch in fold(text) if ch.isascii() and ch.isalnum())


def _valid_phone(rng: random.Random, template: str) -> str:
    """A valid E.164 number from a template where '#' is a random digit."""
    for _ in range(200):
        text = "".join(str(rng.randrange(10)) if ch == "#" else ch for ch in template)
        number = phonenumbers.parse(text, None)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise RuntimeError(f"no valid number for template {template}")


def _unique_phone(rng: random.Random, template: str, used: set[str]) -> str:
    """A valid number from template that no other demo person has."""
    while True:
        number = _valid_phone(rng, template)
        if number not in used:
            used.add(number)
            return number


def _as_typed_phone(rng: random.Random, e164: str) -> str:
    """The number as a person might type it into a form."""
    number = phonenumbers.parse(e164, None)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if number.country_code != 39:
        return rng.choice((international, "00" + international[1:], e164))
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return rng.choice(
        (national, national.replace(" ", ""), international, "0039 " + national, e164)
    )


def _as_typed_name(rng: random.Random, name: str, sloppy: float) -> str:
    """A name as typed: mostly as written, sometimes all lower or upper case."""
    roll = rng.random()
    if roll < sloppy * 0.7:
        return name.lower()
    if roll < sloppy:
        return name.upper()
    return name


def _typo(rng: random.Random, name: str) -> str:
    """The name with one slip of the keyboard: a doubled letter typed once, or two swapped."""
    for index in range(1, len(name)):
        if name[index] == name[index - 1]:
            return name[:index] + name[index + 1 :]
    letters = [i for i in range(1, len(name) - 1) if name[i - 1 : i + 1].isalpha()]
    if not letters:
        return name
    index = rng.choice(letters)  # two letters, never an apostrophe (D'Angelo)
    return name[: index - 1] + name[index] + name[index - 1] + name[index + 1 :]


def _email_for(rng: random.Random, first: str, last: str, domain: str, used: set[str]) -> str:
    """A new email address for the person, unique in the data set."""
    f, last_part = _ascii(first) or "x", _ascii(last) or "x"
    local = rng.choice(
        (
            f"{f}.{last_part}",
            f"{f[0]}{last_part}",
            f"{f}{last_part}{rng.randint(60, 99)}",
            f"{last_part}.{f}",
            f"{f}_{last_part}",
        )
    )
    candidate, n = f"{local}@{domain}", 1
    while candidate in used:
        n += 1
        candidate = f"{local}{n}@{domain}"
    used.add(candidate)
    return candidate


def _street_address(rng: random.Random, country: str, street: str) -> str:
    """A street and house number in the order the country writes them."""
    number = str(rng.randint(1, 180))
    if country == "IT" and rng.random() < 0.1:
        number += rng.choice(("/A", "/B", " bis"))
    if country in ("FR", "GB", "US"):
        return f"{number} {street}"
    return f"{street} {number}" if country != "IT" else f"{street}, {number}"


def _make_person(rng: random.Random, used_emails: set[str], used_phones: set[str]) -> _Person:
    """Invent one person, Italian most of the time."""
    if rng.random() < 0.8:
        origin = "IT"
        first = rng.choice(names.IT_FEMALE if rng.random() < 0.5 else names.IT_MALE)
        last = rng.choice(names.IT_LAST)
    else:
        origin = rng.choice(sorted(names.INTERNATIONAL))
        info = names.INTERNATIONAL[origin]
        first, last = rng.choice(info["first"]), rng.choice(info["last"])
    lives_in_italy = origin == "IT" or rng.random() < 0.45
    if lives_in_italy:
        city, caps, state, area = rng.choices(names.IT_PLACES, weights=names.IT_PLACE_WEIGHTS)[0]
        postcode, country = rng.choice(caps), "IT"
        address = _street_address(rng, "IT", rng.choice(names.IT_STREETS))
    else:
        info = names.INTERNATIONAL[origin]
        city, postcode, state = rng.choice(info["places"])
        country, area = info.get("country_abroad", origin), None
        address = _street_address(rng, country, rng.choice(info["streets"]))
    if origin == "IT" or (lives_in_italy and rng.random() < 0.6):
        prefix = rng.choice(names.IT_MOBILE_PREFIXES)
        mobile = _unique_phone(rng, f"+39 {prefix} #######", used_phones)
    else:
        mobile = _unique_phone(rng, names.INTERNATIONAL[origin]["mobile"], used_phones)
    company = domain = job = landline = None
    if rng.random() < 0.6:
        company, domain = rng.choice(names.COMPANIES)
        job = rng.choice(names.JOB_TITLES)
        if area and rng.random() < 0.35:
            landline = _unique_phone(rng, f"+39 {area} " + "#" * (10 - len(area)), used_phones)
    personal = _email_for(rng, first, last, rng.choice(names.PERSONAL_DOMAINS), used_emails)
    work = (
        _email_for(rng, first, last, domain + names.WORK_DOMAIN_SUFFIX, used_emails)
        if domain
        else None
    )
    # B2B people often sign up with their work address; the shop may hold the other one.
    email, other = (work, personal) if work and rng.random() < 0.5 else (personal, work)
    born = date(1955, 1, 1) + timedelta(days=rng.randint(0, 365 * 49))
    return _Person(
        first=first,
        last=last,
        country=country,
        city=city,
        postcode=postcode,
        state=state,
        address=address,
        address_2=rng.choice(names.ADDRESS_LINE_2) if rng.random() < 0.15 else "",
        mobile=mobile,
        landline=landline,
        company=company,
        company_domain=domain,
        job_title=job,
        birth_date=born,
        email=email,
        other_email=other if rng.random() < 0.5 else None,
        language="it" if country == "IT" else "en",
    )


def _italian_country_name(code: str) -> str:
    """The country's name in Italian, as an Italian web form would show it."""
    return Locale.parse("it").territories.get(code, code)


def _web_form_row(rng: random.Random, p: _Person, at: datetime, n: int) -> tuple[str, dict]:
    """A submission of one of the website's forms (Italian field names)."""
    form = rng.choices(list(names.WEB_FORMS), weights=[w for _, w in names.WEB_FORMS.values()])[0]
    phone = None
    if rng.random() < 0.65:
        phone = p.landline if p.landline and rng.random() < 0.5 else p.mobile
    company = p.company or ""
    if company and rng.random() < 0.3:
        # Typed in a hurry: without the legal form.
        for suffix in (" S.r.l.", " Srl", " S.p.A.", " S.n.c.", " S.a.s."):
            company = company.removesuffix(suffix)
    city = p.city
    if p.company and rng.random() < 0.35:
        # Where they work, not where they live.
        city = rng.choice(("Milano", "Roma", "Torino", "Bologna"))
    email = p.email if rng.random() < 0.85 else p.email.capitalize()
    raw = {
        "submission_id": f"WF-{at.year}-{n:06d}",
        "form_id": form,
        "submitted_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "pagina": f"https://www.example.com/{form}",
        "nome": _as_typed_name(rng, p.first, 0.12),
        "cognome": _as_typed_name(rng, _typo(rng, p.last) if rng.random() < 0.1 else p.last, 0.12),
        "email": email if rng.random() < 0.9 else f" {email} ",
        "telefono": _as_typed_phone(rng, phone) if phone else "",
        "azienda": company if rng.random() < 0.9 else "",
        "ruolo": (p.job_title or "") if rng.random() < 0.8 else "",
        "citta": city.lower() if rng.random() < 0.1 else city,
        "paese": _italian_country_name(p.country) if rng.random() < 0.5 else "",
        "messaggio": rng.choice(names.WEB_MESSAGES) if form == "contatti" else "",
        "consenso_privacy": True,
        "utm_source": rng.choice(names.UTM_SOURCES),
    }
    return raw["submission_id"], raw


def _newsletter_row(
    rng: random.Random, p: _Person, at: datetime, n: int
) -> tuple[str, dict, list[ConsentPlan]]:
    """A row of the newsletter tool's audience export (its merge tags as columns)."""
    first = p.first
    roll = rng.random()
    if roll < 0.3 and first in names.NICKNAMES:
        first = names.NICKNAMES[first]
    elif roll < 0.25:
        first = first.lower()
    elif roll < 0.3:
        first = ""
    ip = f"203.0.113.{rng.randint(1, 254)}"
    confirmed = at + timedelta(minutes=rng.randint(1, 240))
    unsubscribed = None
    if rng.random() < 0.12:
        unsubscribed = min(confirmed + timedelta(days=rng.randint(10, 300)), ANCHOR)
    tags = [t for t in names.NEWSLETTER_TAGS if rng.random() < 0.2]
    leid = str(48_200_000 + n * 37)
    raw = {
        "EMAIL": p.email if rng.random() < 0.8 else p.email.title(),
        "FNAME": first,
        "LNAME": p.last if rng.random() < 0.6 else "",
        "MEMBER_RATING": str(rng.randint(1, 5)),
        "OPTIN_TIME": at.strftime("%Y-%m-%d %H:%M:%S"),
        "OPTIN_IP": ip,
        "CONFIRM_TIME": confirmed.strftime("%Y-%m-%d %H:%M:%S"),
        "CONFIRM_IP": ip,
        "CC": p.country if rng.random() < 0.7 else "",
        "LANGUAGE": p.language,
        "LEID": leid,
        "EUID": f"{rng.getrandbits(40):010x}",
        "TAGS": ",".join(f'"{t}"' for t in tags),
        "STATUS": "unsubscribed" if unsubscribed else "subscribed",
        "UNSUB_TIME": unsubscribed.strftime("%Y-%m-%d %H:%M:%S") if unsubscribed else "",
        "UNSUB_CAMPAIGN_TITLE": "Offerte di stagione" if unsubscribed else "",
    }
    text_version = "newsletter-2025-01" if at.year < 2026 else "newsletter-2026-02"
    form = rng.choice(NEWSLETTER_FORMS)
    consents = [
        ConsentPlan(
            0,
            "email_marketing",
            "granted",
            confirmed,
            {"form": form, "ip": ip, "text_version": text_version, "double_opt_in": True},
        )
    ]
    if unsubscribed:
        consents.append(
            ConsentPlan(
                0,
                "email_marketing",
                "withdrawn",
                unsubscribed,
                {
                    "form": "unsubscribe-link",
                    "ip": f"203.0.113.{rng.randint(1, 254)}",
                    "text_version": text_version,
                },
            )
        )
    return leid, raw, consents


def _shop_row(
    rng: random.Random, p: _Person, at: datetime, n: int
) -> tuple[str, dict, list[ConsentPlan]]:
    """A customer of the online shop, as its customer export gives it (billing_* columns)."""
    orders = rng.choices((1, 2, 3, 4, 6, 9), weights=(40, 25, 15, 10, 6, 4))[0]
    spent = sum(rng.randint(1500, 24000) for _ in range(orders)) / 100
    last_order = min(at + timedelta(days=rng.randint(0, 60) * (orders - 1)), ANCHOR)
    sms = rng.random() < 0.25
    ip = f"203.0.113.{rng.randint(1, 254)}"
    customer_id = str(1000 + n)
    raw = {
        "customer_id": customer_id,
        "date_created": at.strftime("%Y-%m-%dT%H:%M:%S"),
        "email": p.email,
        "first_name": p.first,
        "last_name": p.last,
        "billing_company": p.company if p.company and rng.random() < 0.3 else "",
        "billing_address_1": p.address,
        "billing_address_2": p.address_2,
        "billing_city": p.city,
        "billing_state": p.state,
        "billing_postcode": p.postcode,
        "billing_country": p.country,
        "billing_email": p.other_email or p.email,
        "billing_phone": _as_typed_phone(rng, p.mobile),
        "date_of_birth": p.birth_date.strftime("%d/%m/%Y") if rng.random() < 0.4 else "",
        "orders_count": orders,
        "total_spent": f"{spent:.2f}",
        "last_order_date": last_order.strftime("%Y-%m-%dT%H:%M:%S"),
        "accepts_sms_marketing": "yes" if sms else "no",
    }
    # Asked at checkout, the customer answered: a "no" is a refusal, not silence.
    consents = [
        ConsentPlan(
            0,
            "sms_marketing",
            "granted" if sms else "refused",
            at,
            {
                "form": "checkout",
                "ip": ip,
                "text_version": "checkout-sms-2025",
                "accepts_sms_marketing": raw["accepts_sms_marketing"],
            },
        )
    ]
    return customer_id, raw, consents


def _normalise_row(source: str, raw: dict) -> tuple[dict, str | None, str | None, list[str]]:
    """The profile fields, email, phone and other emails of a raw row, normalised.

    Besides the plain profile fields, `fields` carries what survivorship unions rather than
    chooses: every email of the row, its tags, and the stage the row implies.
    """
    values = {}
    for column, name in FIELD_MAPS[source].items():
        value = _FIELD_NORMALISERS.get(name, clean_text)(raw.get(column))
        if value:
            values[name] = value
    email_col, phone_col, other_cols = IDENTIFIER_COLUMNS[source]
    email = normalise_email(raw.get(email_col))
    phone = normalise_phone(raw.get(phone_col), "IT") if phone_col else None
    others = [e for e in (normalise_email(raw.get(c)) for c in other_cols) if e and e != email]
    if others:
        values["emails"] = [email, *others]
    if source == "newsletter" and raw["TAGS"]:
        values["tags"] = [t.strip('"') for t in raw["TAGS"].split(",")]
    if source == "shop":
        values["stage"] = "customer"
    return values, email, phone, others


def _stage_path(
    rng: random.Random, records: list[RecordPlan], *, first_source: str
) -> list[tuple[str | None, str, datetime, str]]:
    """The lifecycle moves of a person, in time order, from what the records say."""
    by_source = {r.source: r for r in records}
    events: list[tuple[datetime, str, str]] = []
    web = by_source.get("web_form")
    if web is not None:
        form, at = web.raw["form_id"], web.received_at
        if form == "richiesta-demo":
            events.append((at, "mql", "requested a demo"))
            if rng.random() < 0.7:
                qualified = at + timedelta(days=rng.randint(2, 12))
                events.append((qualified, "sql", "qualified on discovery call"))
                if rng.random() < 0.08:
                    later = qualified + timedelta(days=rng.randint(20, 60))
                    events.append((later, "mql", _NO_BUDGET))
        elif form == "iscrizione-webinar":
            events.append((at + timedelta(hours=rng.randint(24, 200)), "mql", "attended webinar"))
        elif rng.random() < 0.4:
            events.append((at, "mql", "asked for a quote"))
    news = by_source.get("newsletter")
    if news is not None and rng.random() < 0.15:
        at = news.received_at + timedelta(days=rng.randint(30, 90))
        events.append((at, "mql", "engaged with newsletters"))
    shop = by_source.get("shop")
    if shop is not None:
        events.append((shop.received_at, "customer", "first order in the online shop"))

    path: list[tuple[str | None, str, datetime, str]] = [
        (None, "lead", records[0].received_at, f"first seen via {first_source}")
    ]
    for at, to, reason in sorted(events, key=lambda e: e[0]):
        current = path[-1][1]
        going_back = STAGES.index(to) < STAGES.index(current)
        if current == "customer" or to == current or (going_back and reason != _NO_BUDGET):
            continue
        at = min(max(at, path[-1][2] + timedelta(minutes=5)), ANCHOR)
        path.append((current, to, at, reason))
    return path


def _tags_and_score(records: list[RecordPlan], stage: str) -> tuple[list[str], int]:
    """Tags and a lead score from what the records say (no randomness)."""
    tags, score = set(), 0
    for record in records:
        raw = record.raw
        if record.source == "web_form":
            form = raw["form_id"]
            tag = {"richiesta-demo": "demo-request", "iscrizione-webinar": "webinar"}.get(form)
            if tag:
                tags.add(tag)
            score += {"richiesta-demo": 30, "iscrizione-webinar": 20}.get(form, 10)
        elif record.source == "newsletter":
            if raw["STATUS"] == "subscribed":
                tags.add("newsletter")
                score += 10
            score += 3 * int(raw["MEMBER_RATING"])
            tags.update(t.strip('"') for t in raw["TAGS"].split(",") if t)
        elif record.source == "shop":
            score += min(10 * raw["orders_count"], 40)
            if float(raw["total_spent"]) >= 500:
                tags.add("vip")
        if record.fields.get("company"):
            tags.add("b2b")
    score += {"mql": 10, "sql": 20, "customer": 25}.get(stage, 0)
    return sorted(tags), min(score, 100)


def plan_people(people: int = 500, seed: int = DEMO_SEED) -> list[PersonPlan]:
    """The demo people with their source rows, stages, tags and consents (pure, repeatable)."""
    rng = random.Random(seed)
    used_emails: set[str] = set()
    used_phones: set[str] = set()
    counters = _Counters()
    mixes, weights = zip(*SOURCE_MIXES, strict=True)
    plans = []
    for _ in range(people):
        person = _make_person(rng, used_emails, used_phones)
        sources = list(rng.choices(mixes, weights=weights)[0])
        rng.shuffle(sources)
        at = ANCHOR - timedelta(days=rng.randint(20, 730), seconds=rng.randint(0, 86_399))
        records: list[RecordPlan] = []
        consents: list[ConsentPlan] = []
        for source in sources:
            found: list[ConsentPlan] = []
            if source == "web_form":
                counters.web_form += 1
                external_id, raw = _web_form_row(rng, person, at, counters.web_form)
            elif source == "newsletter":
                counters.newsletter += 1
                external_id, raw, found = _newsletter_row(rng, person, at, counters.newsletter)
            else:
                counters.shop += 1
                external_id, raw, found = _shop_row(rng, person, at, counters.shop)
            values, email, phone, others = _normalise_row(source, raw)
            for consent in found:
                consent.record = len(records)
            consents.extend(found)
            records.append(RecordPlan(source, external_id, at, raw, values, email, phone, others))
            step = timedelta(days=rng.randint(2, 150), minutes=rng.randint(0, 600))
            # A day of room before the anchor for confirmations that follow a row.
            at = min(at + step, ANCHOR - timedelta(days=1))
        stages = _stage_path(rng, records, first_source=sources[0])
        tags, score = _tags_and_score(records, stages[-1][1])
        plans.append(PersonPlan(records, stages, tags, score, consents))
    return plans


def _diminutive(rng: random.Random, first: str) -> str | None:
    """A diminutive people use for this first name (Giuseppe -> Beppe), if one is known."""
    key = fold(first).replace(" ", "")
    for variants, diminutives in NAME_GROUPS:
        if key in variants and diminutives:
            return rng.choice(diminutives).capitalize()
    return None


def plan_badges(plans: list[PersonPlan], seed: int = DEMO_SEED) -> list[dict]:
    """The fair's badge scans as its lead-scanning app exports them (pure, repeatable).

    Some of the demo's people visited the stand: the badge prints the name as they
    registered it (a diminutive, a typo, the surname first in capitals), the company they
    gave, often their city, and the scanner sometimes captured an email. A few visitors
    are new to the CRM. What the importer makes of them is up to identity resolution.
    """
    rng = random.Random(seed + 1)
    badges: list[dict] = []
    at = ANCHOR - timedelta(days=12, hours=2)

    def badge(name: str, **values) -> dict:
        scanned = at + timedelta(seconds=rng.randint(0, 3 * 86_400))
        row = {"id": f"SMAU-{len(badges) + 1:04d}", "event": FAIR_EVENT, "name": name}
        row["scanned_at"] = scanned.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {**row, **{k: v for k, v in values.items() if v}}

    for plan in plans:
        if rng.random() >= FAIR_SHARE:
            continue
        known: dict = {}
        for record in plan.records:
            for name, value in record.fields.items():
                known.setdefault(name, value)
        first, last = known.get("first_name"), known.get("last_name")
        if not (first and last):
            continue
        roll = rng.random()
        if roll < 0.25:
            first = _diminutive(rng, first) or first
        elif roll < 0.35:
            last = _typo(rng, last)
        name = f"{last.upper()} {first}" if rng.random() < 0.3 else f"{first} {last}"
        emails = [r.email for r in plan.records if r.email]
        emails += [e for r in plan.records for e in r.other_emails]
        badges.append(
            badge(
                name,
                company=known.get("company"),
                job_title=known.get("job_title") if rng.random() < 0.7 else None,
                city=known.get("city") if rng.random() < 0.75 else None,
                email=rng.choice(emails) if emails and rng.random() < 0.4 else None,
            )
        )
    for _ in range(max(1, len(plans) * FAIR_NEWCOMERS_PER_100 // 100)):
        first = rng.choice(names.IT_FEMALE if rng.random() < 0.5 else names.IT_MALE)
        company, _domain = rng.choice(names.COMPANIES)
        city = rng.choices(names.IT_PLACES, weights=names.IT_PLACE_WEIGHTS)[0][0]
        badges.append(badge(f"{first} {rng.choice(names.IT_LAST)}", company=company, city=city))
    return badges


def survive(candidates: list[tuple[int, str, int, datetime, dict]]) -> tuple[dict, dict]:
    """Pick each field's value from (record id, source, trust rank, received at, fields).

    The highest trust rank wins; among equals the most recent record. Returns the values and
    their provenance {field: {"source_record_id": id, "source": name}}.
    """
    values, provenance = {}, {}
    ranked = sorted(candidates, key=lambda c: (c[2], c[3], c[0]), reverse=True)
    for name in PROFILE_FIELDS:
        for record_id, source, _rank, _at, fields in ranked:
            if fields.get(name) not in (None, ""):
                values[name] = fields[name]
                provenance[name] = {"source_record_id": record_id, "source": source}
                break
    return values, provenance


def _ensure_sources() -> dict[str, Source]:
    """The demo's sources, created when missing (existing ones are left as they are)."""
    existing = {
        s.name: s for s in db.session.scalars(select(Source).where(Source.name.in_(SOURCES)))
    }
    for name, spec in SOURCES.items():
        if name not in existing:
            existing[name] = Source(
                name=name,
                label=spec["label"],
                party="first",
                trust_rank=spec["trust_rank"],
                default_region="IT",
            )
            db.session.add(existing[name])
    db.session.flush()
    return existing


def _taken(column, values: list[str]) -> set[str]:
    """Which of values already exist in column (looked up in chunks)."""
    taken: set[str] = set()
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        taken.update(db.session.scalars(select(column).where(column.in_(chunk))))
    return taken


def _without_clashes(plans: list[PersonPlan]) -> tuple[list[PersonPlan], int]:
    """Drop planned people whose email or phone already belongs to a profile."""
    emails = [e for p in plans for r in p.records for e in [r.email, *r.other_emails] if e]
    phones = [r.phone for p in plans for r in p.records if r.phone]
    taken = _taken(ProfileEmail.email, emails) | _taken(ProfilePhone.phone, phones)
    if not taken:
        return plans, 0
    kept = [
        p for p in plans if not any({r.email, r.phone, *r.other_emails} & taken for r in p.records)
    ]
    return kept, len(plans) - len(kept)


def _insert_returning_ids(model, rows: list[dict]) -> list[int]:
    """Bulk insert rows and return their new ids in the same order."""
    if not rows:
        return []
    result = db.session.execute(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


def _tag_ids(tag_names: list[str]) -> dict[str, int]:
    """Ids of the named tags, created as needed."""
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(tag_names)))}
    for name in tag_names:
        if name not in existing:
            existing[name] = Tag(name=name)
            db.session.add(existing[name])
    db.session.flush()
    return {name: tag.id for name, tag in existing.items()}


def _already_loaded(sources: dict[str, Source]) -> dict | None:
    """A summary when the demo sources already hold records, else None."""
    ids = [s.id for s in sources.values()]
    rows = db.session.execute(
        select(Source.name, func.count(SourceRecord.id))
        .join(SourceRecord, SourceRecord.source_id == Source.id)
        .where(Source.id.in_(ids))
        .group_by(Source.name)
    ).all()
    if not rows:
        return None
    profiles = db.session.scalar(
        select(func.count(func.distinct(SourceRecord.profile_id))).where(
            SourceRecord.source_id.in_(ids)
        )
    )
    return {
        "added": False,
        "message": "Demo sources already hold records; nothing was added.",
        "profiles": profiles,
        "source_records": {name: count for name, count in sorted(rows)},
    }


def load_demo(
    people: int = 500, *, seed: int = DEMO_SEED, actor: User | str | None = ACTOR_LABEL
) -> dict:
    """Load the demo data set once and return a summary (no personal data in it).

    Running it again adds nothing. People whose email or phone already belongs to an
    existing profile are skipped, so the demo never clashes with real data.
    """
    sources = _ensure_sources()
    summary = _already_loaded(sources)
    if summary is None:
        plans, skipped = _without_clashes(plan_people(people, seed))
        summary = _write(plans, sources)
        summary["skipped"] = skipped
    audit.record("demo.load", actor=actor, object_type="demo", details=dict(summary))
    db.session.commit()
    match_keys.rebuild_all()
    match_keys.mark_current()
    if summary["added"]:
        summary["fair"] = _import_badges(plans, seed, actor)
    return summary


def _import_badges(plans: list[PersonPlan], seed: int, actor) -> dict:
    """Import the fair's badge scans through the importer; returns its summary (counts)."""
    source = ingest.ensure_source(FAIR_SOURCE)
    if source.label == FAIR_SOURCE:  # just created: badge data is typed in a hurry
        source.label, source.trust_rank = FAIR_LABEL, FAIR_TRUST_RANK
    db.session.commit()
    badges = plan_badges(plans, seed)
    counts: dict = {}
    for start in range(0, len(badges), ingest.BATCH_SIZE):
        chunk = badges[start : start + ingest.BATCH_SIZE]
        result = ingest.import_records(chunk, source_name=FAIR_SOURCE, actor=actor)
        for name, value in result["summary"].items():
            counts[name] = counts.get(name, 0) + value
    return counts


def _write(plans: list[PersonPlan], sources: dict[str, Source]) -> dict:
    """Insert the planned people in bulk; returns the summary."""
    records = [(p, r) for p in plans for r in p.records]
    record_ids = _insert_returning_ids(
        SourceRecord,
        [
            {
                "source_id": sources[r.source].id,
                "external_id": r.external_id,
                "raw": r.raw,
                "fields": r.fields,
                "email": r.email,
                "phone": r.phone,
                "batch_id": BATCH_ID,
                "received_at": r.received_at,
                "updated_at": r.received_at,
                **record_search_columns(r.fields),
            }
            for _p, r in records
        ],
    )
    ids_of: dict[int, list[int]] = {}
    for (plan, _r), record_id in zip(records, record_ids, strict=True):
        ids_of.setdefault(id(plan), []).append(record_id)

    profile_rows = []
    for plan in plans:
        candidates = [
            (rid, r.source, sources[r.source].trust_rank, r.received_at, r.fields)
            for rid, r in zip(ids_of[id(plan)], plan.records, strict=True)
        ]
        values, provenance = survive(candidates)
        last = max([r.received_at for r in plan.records] + [s[2] for s in plan.stages])
        # The tags no record states (a form's topic, a big spender, a company) were put on
        # by the team: the profile page says so, rather than "no record states it".
        stated = {t for r in plan.records for t in r.fields.get("tags") or []}
        if added := sorted(set(plan.tags) - stated):
            at = last.isoformat()
            provenance["tags"] = {"added": {t: {"manual": None, "at": at} for t in added}}
        if "birth_date" in values:
            values["birth_date"] = date.fromisoformat(values["birth_date"])
        profile = Profile(**values)
        refresh_search_keys(profile)
        profile_rows.append(
            {
                **{name: values.get(name) for name in PROFILE_FIELDS},
                "stage": plan.stages[-1][1],
                "score": plan.score,
                "version": 1,
                "provenance": provenance,
                "search_name": profile.search_name,
                "search_last": profile.search_last,
                "search_company": profile.search_company,
                "created_at": plan.records[0].received_at,
                "updated_at": last,
            }
        )
    profile_ids = _insert_returning_ids(Profile, profile_rows)

    link_rows, email_rows, phone_rows, stage_rows, consent_rows, tag_rows = [], [], [], [], [], []
    tag_ids = _tag_ids(sorted({t for p in plans for t in p.tags}))
    for plan, profile_id in zip(plans, profile_ids, strict=True):
        rids = ids_of[id(plan)]
        for rid, record in zip(rids, plan.records, strict=True):
            link_rows.append(
                {"id": rid, "profile_id": profile_id, "updated_at": record.received_at}
            )
        # Primary identifiers come from the most trusted record.
        ranked = sorted(
            zip(rids, plan.records, strict=True),
            key=lambda pair: (sources[pair[1].source].trust_rank, pair[1].received_at),
            reverse=True,
        )
        seen_emails: dict[str, int] = {}
        seen_phones: dict[str, int] = {}
        for rid, record in ranked:
            for email in (record.email, *record.other_emails):
                if email:
                    seen_emails.setdefault(email, rid)
            if record.phone:
                seen_phones.setdefault(record.phone, rid)
        created = plan.records[0].received_at
        email_rows += [
            {
                "profile_id": profile_id,
                "email": email,
                "is_primary": index == 0,
                "source_record_id": rid,
                "created_at": created,
            }
            for index, (email, rid) in enumerate(seen_emails.items())
        ]
        phone_rows += [
            {
                "profile_id": profile_id,
                "phone": phone,
                "is_primary": index == 0,
                "source_record_id": rid,
                "created_at": created,
            }
            for index, (phone, rid) in enumerate(seen_phones.items())
        ]
        stage_rows += [
            {
                "profile_id": profile_id,
                "from_stage": from_stage,
                "to_stage": to_stage,
                "at": at,
                "actor_label": ACTOR_LABEL,
                "reason": reason,
            }
            for from_stage, to_stage, at, reason in plan.stages
        ]
        consent_rows += [
            {
                "profile_id": profile_id,
                "purpose": c.purpose,
                "status": c.status,
                "legal_basis": "consent",
                "recorded_at": c.at,
                "source_id": sources[plan.records[c.record].source].id,
                "source_record_id": rids[c.record],
                "evidence": c.evidence,
            }
            for c in plan.consents
        ]
        tag_rows += [{"profile_id": profile_id, "tag_id": tag_ids[t]} for t in plan.tags]

    if link_rows:
        db.session.execute(update(SourceRecord), link_rows)
    for model, rows in (
        (ProfileEmail, email_rows),
        (ProfilePhone, phone_rows),
        (StageChange, stage_rows),
        (ConsentRecord, consent_rows),
    ):
        if rows:
            db.session.execute(insert(model), rows)
    if tag_rows:
        db.session.execute(insert(profile_tags), tag_rows)

    by_source = {name: 0 for name in SOURCES}
    for _plan, record in records:
        by_source[record.source] += 1
    stages = {stage: 0 for stage in STAGES}
    for plan in plans:
        stages[plan.stages[-1][1]] += 1
    return {
        "added": True,
        "profiles": len(profile_ids),
        "source_records": by_source,
        "multi_source_profiles": sum(1 for p in plans if len(p.records) > 1),
        "emails": len(email_rows),
        "phones": len(phone_rows),
        "stage_changes": len(stage_rows),
        "consent_records": len(consent_rows),
        "stages": stages,
    }
