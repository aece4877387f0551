"""Small factories: each test states only what matters to it."""

import io
import itertools
import re
import zipfile

from crm.services import profiles, users

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_user(
    role: str = "sales", *, email: str | None = None, password: str = PASSWORD, name: str = ""
):
    """Create a staff user."""
    n = next(_seq)
    return users.create_user(
        email or f"user{n}@staff.example", password, role, name=name or f"User {n}", actor="test"
    )


def make_profile(**data):
    """Create a profile by hand with sensible defaults."""
    n = next(_seq)
    data.setdefault("first_name", "Giulia")
    data.setdefault("last_name", f"Rossi{n}")
    data.setdefault("emails", [f"person{n}@example.com"])
    return profiles.create_profile(data, actor="test")


def csrf_token(client, path: str) -> str:
    """Fetch a page and read the CSRF token from its form."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


# A Mailchimp audience export as downloaded: a zip of one CSV per status, the status only in
# each file's name, the address in one cell with its parts two spaces apart.
_MAILCHIMP_COMMON = (
    "Email Address,First Name,Last Name,Address,Phone Number,MEMBER_RATING,OPTIN_TIME,"
    "OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION"
)
MAILCHIMP_EXPORT = {
    "subscribed_email_audience_export_5f3a.csv": (
        f"{_MAILCHIMP_COMMON},LAST_CHANGED,LEID,EUID,NOTES,TAGS\n"
        "anna.verdi@example.it,Anna,Verdi,Via Roma 1  Scala B  Milano  MI  20121  IT,"
        "+39 333 1234567,3,2024-01-05 10:00:00,192.0.2.1,2024-01-05 10:05:00,192.0.2.1,"
        ',,,,,IT,,2024-01-05 10:05:00,2001,e1,,"""Fiera"""\n'
        "not-an-email,Bruno,Neri,,,2,2024-01-06 10:00:00,,,,,,,,,,,2024-01-06 10:00:00,2002,e2,,\n"
    ),
    "unsubscribed_email_audience_export_5f3a.csv": (
        f"{_MAILCHIMP_COMMON},UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,"
        "UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS\n"
        "carla.bianchi@example.it,Carla,Bianchi,,,2,2023-02-01 09:00:00,,2023-02-01 09:01:00,"
        ",,,,,,,,2024-03-01 09:00:00,Spring,c1,NORMAL,,2003,e3,,\n"
    ),
    "cleaned_email_audience_export_5f3a.csv": (
        f"{_MAILCHIMP_COMMON},CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,"
        "TAGS\n"
        "dario.gallo@example.it,Dario,Gallo,,,1,2022-01-05 10:00:00,,,,,,,,,,,"
        "2024-02-01 08:00:00,Winter,c2,2004,e4,,\n"
    ),
}


def zip_of(files: dict[str, str | bytes]) -> bytes:
    """A zip archive holding files (name -> text or bytes)."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return data.getvalue()


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx file with these sheets (title -> rows), in order."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def import_records(source: str, *records: dict) -> list[dict]:
    """Import records (API-shaped dicts) from source through the importer; returns its
    per-record results (outcome, profile_id, reasons)."""
    from crm.services import ingest

    return ingest.import_records(list(records), source_name=source, actor="test")["results"]
