"""Small factories: each test states only what matters to it."""

import itertools
import re

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
