"""Deterministic synthetic population seen through three sources, with the truth.

    .venv/bin/python bench/generate.py --size 100000 [--seed 42] [--out bench/data]

writes bench/data/<size>/:

  shop.csv          an online shop's customers: English headers, comma, UTF-8, ISO dates,
                    phones as "+39 333 1234567" / "333 1234567" / "+393331234567"
  crm_export.csv    an old CRM's export: Italian headers (Codice cliente;Nome;Cognome;
                    E-mail;Cellulare;Indirizzo;CAP;Città;Provincia;Azienda;Data di nascita),
                    semicolons, Windows-1252, CRLF, day-first dates, phones as
                    "3331234567" / "0039 3331234567", names often in capitals, emails in
                    mixed case, often the work email instead of the personal one
  events.jsonl      badge scans at trade fairs: one full name ("Mario Rossi", sometimes
                    "ROSSI Mario"), company, job title, sometimes an email, never a phone;
                    a person scanned at two fairs gives two records
  truth.csv         source,external_id,person_id for every record above
  meta.json         seed, size, generator version, counts and timings

Exactly --size records are written in total. The same seed and size give byte-identical
files. Rows are written as they are made (through a small shuffle buffer per file, so one
person's records are not adjacent and external ids say nothing about who is who): memory
stays bounded apart from the sets that keep emails and mobile numbers unique (a few
tens of MB at 1M records).

What makes the data hard (rates are per record unless said otherwise):
- surnames and first names drawn with Zipf-like weights: many "Rossi", "Russo", "Ferrari",
  so name + city is not a key;
- typos in names (insert, delete, substitute, transpose: ~3-4%), nicknames (Giuseppe ->
  Beppe, especially on badges), compound names written together (Maria Grazia ->
  Mariagrazia), surnames with particles glued (De Luca -> Deluca), names in capitals;
- phones in three formats, 2% with two adjacent digits transposed; emails with case
  differences, 1% with a typo, people giving a second personal or a work email;
- missing fields per source (shop has no company, badges have no phone or address);
- households: 10% of people join a recent household (same address, landline, usually the
  same surname, different first name and birth date); a household member sometimes gives
  the shared landline instead of a mobile — a shared identifier of two different people;
- twins (0.4% of people): same surname, birth date and address, different first names
  (sometimes Francesco/Francesca);
- colleagues: a company has many employees sharing the company name and email domain;
- duplicates inside a source: a shop customer with a second account (3%), a visitor
  scanned at two fairs (12%), a CRM lead entered twice (2%).
"""

import argparse
import csv
import json
import random
import sys
import time
import unicodedata
import zlib
from collections import deque
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import names as N  # noqa: E402

GENERATOR_VERSION = 1
SOURCES = ("shop", "crm_export", "events")
FILES = {"shop": "shop.csv", "crm_export": "crm_export.csv", "events": "events.jsonl"}
SHOP_HEADERS = [
    "customer_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "street_address",
    "postcode",
    "city",
    "country",
    "date_of_birth",
    "marketing_opt_in",
]
CRM_HEADERS = [
    "Codice cliente",
    "Nome",
    "Cognome",
    "E-mail",
    "Cellulare",
    "Indirizzo",
    "CAP",
    "Città",
    "Provincia",
    "Azienda",
    "Data di nascita",
]
SHUFFLE_BUFFER = 4096
BASE_DATE = date(2026, 1, 1)
BIRTH_FROM = date(1950, 1, 1).toordinal()
BIRTH_TO = date(2006, 12, 31).toordinal()
LANDLINE_AREAS = [
    "06",
    "02",
    "011",
    "081",
    "051",
    "055",
    "091",
    "010",
    "045",
    "049",
    "041",
    "080",
    "095",
    "070",
]
COUNTRY_NAMES = {
    "IT": ["IT", "Italy", "Italia", "ITALY"],
    "GB": ["GB", "United Kingdom", "UK"],
    "DE": ["DE", "Germany", "Deutschland"],
    "FR": ["FR", "France"],
    "ES": ["ES", "Spain", "España"],
    "CH": ["CH", "Switzerland", "Svizzera"],
    "AT": ["AT", "Austria"],
}


def _names(words: list[str]) -> list[str]:
    """Distinct names in order, underscores as spaces."""
    seen: dict[str, None] = {}
    for word in words:
        seen.setdefault(word.replace("_", " "), None)
    return list(seen)


def _zipf(n: int, s: float = 0.9) -> list[float]:
    """Cumulative Zipf weights for ranks 1..n."""
    return list(accumulate(1.0 / (rank**s) for rank in range(1, n + 1)))


def _cum(pairs) -> tuple[list, list[float]]:
    """Values and cumulative weights of (value, weight) pairs."""
    return [v for v, _ in pairs], list(accumulate(w for _, w in pairs))


_ASCII_CACHE: dict[str, str] = {}


def ascii_slug(text: str) -> str:
    """'D'Angelo' -> 'dangelo', 'Nicolò' -> 'nicolo' (for email local parts and domains)."""
    slug = _ASCII_CACHE.get(text)
    if slug is None:
        decomposed = unicodedata.normalize("NFKD", text.lower())
        slug = "".join(c for c in decomposed if c.isascii() and c.isalnum())
        _ASCII_CACHE[text] = slug
    return slug


class Generator:
    """One seeded run: people, their records per source, and the truth."""

    def __init__(self, size: int, seed: int):
        self.size = size
        self.rng = random.Random(seed)
        self.it_surnames = _names(N.IT_SURNAMES)
        self.int_surnames = _names(N.INT_SURNAMES)
        self.first = {
            ("it", "m"): _names(N.IT_MALE),
            ("it", "f"): _names(N.IT_FEMALE),
            ("int", "m"): _names(N.INT_MALE),
            ("int", "f"): _names(N.INT_FEMALE),
        }
        self.first_cum = {k: _zipf(len(v), 0.7) for k, v in self.first.items()}
        self.it_surname_cum = _zipf(len(self.it_surnames), 0.9)
        self.int_surname_cum = _zipf(len(self.int_surnames), 0.5)
        self.city_cum = list(accumulate(c[5] for c in N.IT_CITIES))
        self.streets = _names(N.STREETS)
        self.street_kinds, self.street_kind_cum = _cum(N.STREET_KINDS)
        self.domains, self.domain_cum = _cum(N.EMAIL_DOMAINS)
        self.mobiles, self.mobile_cum = _cum(N.MOBILE_PREFIXES)
        self.suffixes, self.suffix_cum = _cum(N.COMPANY_SUFFIXES)
        persons = max(100, size * 2 // 3)
        self.companies = self._companies(max(30, persons // 25))
        self.used_emails: set[int] = set()
        self.used_mobiles: set[int] = set()
        self.households: deque = deque(maxlen=500)
        self.previous = None
        self.counts = dict.fromkeys(SOURCES, 0)
        self.persons = 0

    # ----------------------------------------------------------------- material
    def _companies(self, n: int) -> list[tuple[str, str]]:
        """n companies as (name, email domain), domains unique."""
        rng = self.rng
        out, domains = [], set()
        for i in range(n):
            kind = rng.random()
            if kind < 0.45:
                core = rng.choice(N.COMPANY_WORDS) + rng.choice(N.COMPANY_WORDS).lower()
            elif kind < 0.8:
                core = self.it_surnames[rng.randrange(len(self.it_surnames))]
                if rng.random() < 0.3:
                    core += " " + rng.choice(N.COMPANY_WORDS)
            else:
                a, b = rng.sample(self.it_surnames[:120], 2)
                core = f"{a} & {b}"
            suffix = rng.choices(self.suffixes, cum_weights=self.suffix_cum)[0]
            name = f"{core} {suffix}".strip()
            domain = ascii_slug(core)[:20] or f"co{i}"
            if domain in domains:
                domain = f"{domain}{i}"
            domains.add(domain)
            out.append((name, domain + rng.choice([".it", ".it", ".it", ".com", ".eu"])))
        return out

    def _email_unique(self, local: str, domain: str) -> str:
        rng = self.rng
        email = f"{local}@{domain}"
        while zlib.crc32(email.encode()) in self.used_emails:
            email = f"{local}{rng.randrange(1, 1000)}@{domain}"
        self.used_emails.add(zlib.crc32(email.encode()))
        return email

    def _personal_email(self, first: str, last: str, birth: date) -> str:
        rng = self.rng
        f, la = ascii_slug(first), ascii_slug(last)
        pattern = rng.randrange(8)
        local = (
            f"{f}.{la}",
            f"{f}{la}",
            f"{f[0]}{la}",
            f"{la}.{f}",
            f"{f}_{la}",
            f"{f}.{la}{birth.year % 100:02d}",
            f"{f}{la}{rng.randrange(1, 100)}",
            f"{f[0]}.{la}{birth.year}",
        )[pattern]
        domain = rng.choices(self.domains, cum_weights=self.domain_cum)[0]
        return self._email_unique(local, domain)

    def _mobile(self) -> str:
        rng = self.rng
        while True:
            prefix = rng.choices(self.mobiles, cum_weights=self.mobile_cum)[0]
            number = f"{prefix}{rng.randrange(10**6, 10**7)}"
            if int(number) not in self.used_mobiles:
                self.used_mobiles.add(int(number))
                return number

    def _address(self) -> dict:
        rng = self.rng
        if rng.random() < 0.06:
            city, cc, pattern, phone_prefix, digits = rng.choice(N.FOREIGN)
            postcode = pattern.replace("{d}", "{}").format(
                *(rng.randrange(10) for _ in range(pattern.count("{d}")))
            )
            return {
                "country": cc,
                "city": city,
                "city_en": None,
                "province": "",
                "postcode": postcode,
                "kind": "",
                "street": f"{rng.choice(self.streets)}str.",
                "number": str(rng.randrange(1, 200)),
                "phone_prefix": phone_prefix,
                "phone_digits": digits,
            }
        c = N.IT_CITIES[rng.choices(range(len(N.IT_CITIES)), cum_weights=self.city_cum)[0]]
        cap = c[3] + rng.randrange(c[4])
        number = str(rng.randrange(1, 250))
        if rng.random() < 0.08:
            number += rng.choice(["/A", "/B", " bis", "A"])
        return {
            "country": "IT",
            "city": c[0],
            "city_en": c[1],
            "province": c[2],
            "postcode": f"{cap:05d}",
            "kind": rng.choices(self.street_kinds, cum_weights=self.street_kind_cum)[0],
            "street": rng.choice(self.streets),
            "number": number,
            "phone_prefix": None,
            "phone_digits": 0,
        }

    def _first_name(self, origin: str, gender: str) -> str:
        names = self.first[(origin, gender)]
        return self.rng.choices(names, cum_weights=self.first_cum[(origin, gender)])[0]

    # ----------------------------------------------------------------- people
    def person(self) -> dict:
        """A new person (sometimes in a recent household, sometimes a twin)."""
        rng = self.rng
        self.persons += 1
        origin = "it" if rng.random() < 0.88 else "int"
        gender = "m" if rng.random() < 0.5 else "f"
        twin_of = self.previous if (self.previous and rng.random() < 0.004) else None
        household = None
        if twin_of is None and self.households and rng.random() < 0.10:
            household = self.households[rng.randrange(len(self.households))]
        if twin_of is not None:
            last, birth, home = twin_of["last"], twin_of["birth"], twin_of["home"]
            origin = twin_of["origin"]
            first = twin_of["first"]
            if first.endswith("o") and rng.random() < 0.3:
                first, gender = first[:-1] + "a", "f"  # Francesco / Francesca
            while first == twin_of["first"]:
                first = self._first_name(origin, gender)
        else:
            first = self._first_name(origin, gender)
            if household is not None and rng.random() < 0.6:
                last = household["last"]
            elif origin == "it":
                last = self.it_surnames[
                    rng.choices(range(len(self.it_surnames)), cum_weights=self.it_surname_cum)[0]
                ]
            else:
                last = self.int_surnames[
                    rng.choices(range(len(self.int_surnames)), cum_weights=self.int_surname_cum)[0]
                ]
            birth = date.fromordinal(rng.randrange(BIRTH_FROM, BIRTH_TO))
            home = household["home"] if household is not None else self._address()
        if household is None and twin_of is None:
            landline = None
            if home["country"] == "IT" and rng.random() < 0.35:
                area = LANDLINE_AREAS[rng.randrange(len(LANDLINE_AREAS))]
                landline = (
                    area
                    + str(rng.randrange(10**6, 10**7))
                    + (str(rng.randrange(10)) if len(area) == 2 else "")
                )
            hh = {"last": last, "home": home, "landline": landline}
            self.households.append(hh)
        else:
            hh = household or twin_of["hh"]
        if home["country"] == "IT":
            mobile = self._mobile()
        else:
            mobile = None
            digits = home["phone_digits"]
            foreign = str(rng.randrange(10 ** (digits - 1), 10**digits))
            foreign_phone = f"{home['phone_prefix']} {foreign}"
        person = {
            "id": self.persons,
            "origin": origin,
            "gender": gender,
            "first": first,
            "last": last,
            "birth": birth,
            "home": home,
            "hh": hh,
            "mobile": mobile,
            "phone_intl": None if mobile else foreign_phone,
        }
        person["email"] = self._personal_email(first, last, birth)
        person["email2"] = self._personal_email(first, last, birth) if rng.random() < 0.15 else None
        if rng.random() < 0.6:
            idx = int(len(self.companies) * rng.random() ** 2.5)  # a few big employers
            company, domain = self.companies[idx]
            f, la = ascii_slug(first), ascii_slug(last)
            local = f"{f}.{la}" if rng.random() < 0.7 else f"{f[0]}.{la}"
            person["company"] = company
            person["work_email"] = self._email_unique(local, domain)
            person["job"] = rng.choice(N.JOB_TITLES)
        else:
            person["company"] = person["work_email"] = person["job"] = None
        self.previous = person
        return person

    # ----------------------------------------------------------------- noise
    def typo(self, text: str) -> str:
        """One keyboard slip: insert, delete, substitute or transpose (not the first letter)."""
        rng = self.rng
        if len(text) < 3:
            return text
        i = rng.randrange(1, len(text) - 1)
        op = rng.randrange(4)
        letters = "aeiourlnstcm"
        if op == 0:
            return text[:i] + rng.choice(letters) + text[i:]
        if op == 1:
            return text[:i] + text[i + 1 :]
        if op == 2:
            return text[:i] + rng.choice(letters) + text[i + 1 :]
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]

    def first_variant(self, first: str, nick_rate: float, typo_rate: float) -> str:
        rng = self.rng
        r = rng.random()
        if r < nick_rate and first in N.NICKNAMES:
            return rng.choice(N.NICKNAMES[first])
        if r < nick_rate + typo_rate:
            return self.typo(first)
        return first

    def last_variant(self, last: str, typo_rate: float) -> str:
        rng = self.rng
        r = rng.random()
        if r < typo_rate:
            return self.typo(last)
        if (" " in last or "'" in last) and r < typo_rate + 0.25:
            return (
                last.replace(" ", "").replace("'", "")
                if rng.random() < 0.5
                else last.replace("'", " ")
            )
        return last

    def phone_digits(self, p: dict) -> str | None:
        """The person's mobile (national digits), 2% with two adjacent digits swapped."""
        number = p["mobile"]
        if number is None:
            return None
        if self.rng.random() < 0.02:
            i = self.rng.randrange(3, len(number) - 1)
            number = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        return number

    def email_variant(self, email: str, case_rate: float) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.01:
            local, _, domain = email.partition("@")
            return f"{self.typo(local)}@{domain}"
        if r < 0.01 + case_rate:
            local, _, domain = email.partition("@")
            parts = local.split(".")
            return ".".join(x.capitalize() for x in parts) + "@" + domain.capitalize()
        if r < 0.01 + case_rate + 0.02:
            return email.upper()
        return email

    def address_text(self, home: dict) -> str:
        rng = self.rng
        if home["country"] != "IT":
            return f"{home['street']} {home['number']}"
        kind = home["kind"]
        if rng.random() < 0.25:
            kind = rng.choice(N.STREET_ABBREV[kind])
        sep = ", " if rng.random() < 0.5 else " "
        return f"{kind} {home['street']}{sep}{home['number']}"

    def company_variant(self, company: str) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            return company.upper().replace(".", "")
        if r < 0.3:
            for suffix in ("& Figli S.r.l.", "S.r.l.", "S.p.A.", "S.n.c.", "S.a.s.", "Srls"):
                if company.endswith(suffix):
                    return company[: -len(suffix)].strip()
        if r < 0.35:
            return self.typo(company)
        return company

    # ----------------------------------------------------------------- records
    def shop_row(self, p: dict) -> list:
        rng = self.rng
        home = p["home"]
        first = self.first_variant(p["first"], 0.03, 0.03)
        last = self.last_variant(p["last"], 0.03)
        email = p["email"] if rng.random() < 0.85 or not p["email2"] else p["email2"]
        email = self.email_variant(email, 0.03) if rng.random() < 0.96 else ""
        phone = ""
        if rng.random() < 0.7:
            if p["mobile"]:
                d = self.phone_digits(p)
                fmt = rng.randrange(4)
                phone = (f"+39 {d[:3]} {d[3:]}", f"{d[:3]} {d[3:]}", f"+39{d}", f"{d[:3]}-{d[3:]}")[
                    fmt
                ]
            else:
                phone = p["phone_intl"]
        has_address = rng.random() < 0.9
        city = home["city"]
        if home["city_en"] and rng.random() < 0.3:
            city = home["city_en"]
        birth = p["birth"].isoformat() if rng.random() < 0.4 else ""
        country = rng.choice(COUNTRY_NAMES[home["country"]]) if rng.random() < 0.8 else ""
        return [
            first,
            last,
            email,
            phone,
            self.address_text(home) if has_address else "",
            home["postcode"] if has_address else "",
            city if has_address else "",
            country,
            birth,
            rng.choice(["yes", "no", ""]),
        ]

    def crm_row(self, p: dict) -> list:
        rng = self.rng
        home = p["home"]
        first = self.first_variant(p["first"], 0.05, 0.04)
        last = self.last_variant(p["last"], 0.04)
        if rng.random() < 0.2:
            first, last = first.upper(), last.upper()
        r = rng.random()
        if p["work_email"] and r < 0.5:
            email = p["work_email"]
        elif p["email2"] and r < 0.6:
            email = p["email2"]
        else:
            email = p["email"]
        email = self.email_variant(email, 0.2) if rng.random() < 0.7 else ""
        phone = ""
        if rng.random() < 0.65:
            landline = p["hh"]["landline"]
            if landline and rng.random() < 0.15:
                phone = landline
            elif p["mobile"]:
                d = self.phone_digits(p)
                fmt = rng.randrange(4)
                phone = (d, f"0039 {d}", f"0039-{d[:3]}-{d[3:]}", f"+39 {d[:3]} {d[3:6]} {d[6:]}")[
                    fmt
                ]
            else:
                phone = "00" + p["phone_intl"][1:].replace(" ", "")
        has_address = rng.random() < 0.7
        postcode = home["postcode"]
        if rng.random() < 0.01:
            postcode = postcode[:-1] + str(rng.randrange(10))
        birth = ""
        if rng.random() < 0.6:
            b = p["birth"]
            if rng.random() < 0.01 and b.day <= 12 and b.day != b.month:
                b = date(b.year, b.day, b.month)  # day and month swapped
            birth = (
                f"{b.day:02d}/{b.month:02d}/{b.year}"
                if rng.random() < 0.9
                else f"{b.day}/{b.month}/{b.year}"
            )
        company = self.company_variant(p["company"]) if p["company"] and rng.random() < 0.7 else ""
        return [
            first,
            last,
            email,
            phone,
            self.address_text(home) if has_address else "",
            postcode if has_address and rng.random() < 0.95 else "",
            home["city"] if has_address else "",
            home["province"] if has_address else "",
            company,
            birth,
        ]

    def event_row(self, p: dict) -> dict:
        rng = self.rng
        first = self.first_variant(p["first"], 0.2, 0.03)
        last = self.last_variant(p["last"], 0.03)
        name = f"{last.upper()} {first}" if rng.random() < 0.03 else f"{first} {last}"
        day = (BASE_DATE - timedelta(days=rng.randrange(700))).isoformat()
        scanned = f"{day}T{rng.randrange(9, 19):02d}:{rng.randrange(60):02d}:00+01:00"
        row = {"event": rng.choice(N.EVENTS), "scanned_at": scanned, "name": name}
        if p["company"]:
            if rng.random() < 0.9:
                row["company"] = self.company_variant(p["company"])
            if rng.random() < 0.6:
                row["job_title"] = p["job"]
        elif rng.random() < 0.3:
            row["company"] = rng.choice(["Freelance", "Libero professionista", "Privato"])
        if rng.random() < 0.55:
            email = p["work_email"] if p["work_email"] and rng.random() < 0.7 else p["email"]
            row["email"] = self.email_variant(email, 0.05)
        if rng.random() < 0.3:
            row["city"] = p["home"]["city"]
        return row

    # ----------------------------------------------------------------- output
    def run(self, out: Path) -> dict:
        out.mkdir(parents=True, exist_ok=True)
        rng = self.rng
        started = time.perf_counter()
        shop_f = open(out / "shop.csv", "w", encoding="utf-8", newline="")
        crm_f = open(out / "crm_export.csv", "w", encoding="cp1252", errors="replace", newline="")
        ev_f = open(out / "events.jsonl", "w", encoding="utf-8", newline="\n")
        truth_f = open(out / "truth.csv", "w", encoding="utf-8", newline="")
        shop_w = csv.writer(shop_f, lineterminator="\n")
        crm_w = csv.writer(crm_f, delimiter=";", lineterminator="\r\n")
        truth_w = csv.writer(truth_f, lineterminator="\n")
        shop_w.writerow(SHOP_HEADERS)
        crm_w.writerow(CRM_HEADERS)
        truth_w.writerow(["source", "external_id", "person_id"])
        buffers = {s: [] for s in SOURCES}
        serial = dict.fromkeys(SOURCES, 0)
        prefixes = {"shop": "S", "crm_export": "C", "events": "B"}
        dumps = json.dumps

        def emit(source: str, person_id: int, row) -> None:
            serial[source] += 1
            ext = f"{prefixes[source]}{serial[source]:08d}"
            truth_w.writerow([source, ext, person_id])
            if source == "shop":
                shop_w.writerow([ext, *row])
            elif source == "crm_export":
                crm_w.writerow([ext, *row])
            else:
                ev_f.write(dumps({"id": ext, **row}, ensure_ascii=False) + "\n")

        def push(source: str, person_id: int, row) -> None:
            buf = buffers[source]
            buf.append((person_id, row))
            if len(buf) >= SHUFFLE_BUFFER:
                i = rng.randrange(len(buf))
                buf[i], buf[-1] = buf[-1], buf[i]
                emit(source, *buf.pop())

        written = 0
        makers = {"shop": self.shop_row, "crm_export": self.crm_row, "events": self.event_row}
        repeat = {"shop": 0.03, "crm_export": 0.02, "events": 0.12}
        while written < self.size:
            p = self.person()
            chosen = [
                s for s, pr in zip(SOURCES, (0.6, 0.45, 0.4), strict=True) if rng.random() < pr
            ]
            if not chosen:
                chosen = [rng.choices(SOURCES, weights=(5, 3, 2))[0]]
            for source in chosen:
                copies = 2 if rng.random() < repeat[source] else 1
                for _ in range(copies):
                    if written >= self.size:
                        break
                    push(source, p["id"], makers[source](p))
                    self.counts[source] += 1
                    written += 1
        for source in SOURCES:
            buf = buffers[source]
            rng.shuffle(buf)
            for item in buf:
                emit(source, *item)
        for f in (shop_f, crm_f, ev_f, truth_f):
            f.close()
        meta = {
            "generator_version": GENERATOR_VERSION,
            "size": self.size,
            "persons": self.persons,
            "records": self.counts,
            "seconds": round(time.perf_counter() - started, 2),
        }
        return meta


def generate(size: int, seed: int = 42, out_root: Path | None = None) -> Path:
    """Write the data set for size and seed; returns its folder."""
    out_root = out_root or Path(__file__).resolve().parent / "data"
    out = out_root / str(size)
    meta = Generator(size, seed).run(out)
    meta["seed"] = seed
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return out


def is_generated(size: int, seed: int = 42, out_root: Path | None = None) -> bool:
    """True when the data set for size and seed exists and is complete."""
    out_root = out_root or Path(__file__).resolve().parent / "data"
    meta_path = out_root / str(size) / "meta.json"
    if not meta_path.exists():
        return False
    meta = json.loads(meta_path.read_text())
    return meta.get("seed") == seed and meta.get("generator_version") == GENERATOR_VERSION


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="records in total")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=None, help="root folder (bench/data)")
    args = parser.parse_args()
    out = generate(args.size, args.seed, args.out)
    print((out / "meta.json").read_text(), end="")


if __name__ == "__main__":
    main()
