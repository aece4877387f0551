"""The importer's reasons for rejecting a row or warning about a cell, in the reader's
language.

The importer stores its reasons in English (they reach logs, the API and the CLI as
written). A report a marketer downloads says them in the marketer's language: each known
reason is matched whole by a pattern, and its variable parts (a number, a value, a
library's own detail) are put into the translated sentence. A reason no pattern knows is
shown as it was stored.
"""

import re

from flask_babel import gettext as _


def N_(message: str) -> str:  # noqa: N802 (the name gettext's tools look for)
    """Mark a message for translation; gettext translates it when a report is written."""
    return message


# (pattern matched against the whole reason, translated sentence with its named groups)
_PHRASES = [
    (r"invalid email: (?P<detail>.+)", N_("invalid email (%(detail)s)")),
    (r"invalid phone number(: .*)?", N_("invalid phone number")),
    (r"unknown country", N_("unknown country")),
    (r"unrecognised date", N_("unrecognised date")),
    (
        r"a birthday without a year is not a birth date",
        N_("a birthday without a year is not a birth date"),
    ),
    (r"date out of range", N_("date out of range")),
    (r"unrecognised time", N_("unrecognised time")),
    (r"invalid codice fiscale \(check character\)", N_("invalid codice fiscale (check character)")),
    (
        r"not a tax or national id \(4 to 32 letters and digits\)",
        N_("not a tax or national id (4 to 32 letters and digits)"),
    ),
    (r"not a tax or national id \(a placeholder\)", N_("not a tax or national id (a placeholder)")),
    (r"unknown lifecycle stage (?P<value>.+)", N_("unknown lifecycle stage %(value)s")),
    (r"longer than (?P<limit>\d+) characters", N_("longer than %(limit)s characters")),
    (
        r"a tag longer than (?P<limit>\d+) characters was cut",
        N_("a tag longer than %(limit)s characters was cut"),
    ),
    (
        r"first name longer than (?P<limit>\d+) characters",
        N_("first name longer than %(limit)s characters"),
    ),
    (
        r"last name longer than (?P<limit>\d+) characters",
        N_("last name longer than %(limit)s characters"),
    ),
    (
        r"address longer than (?P<limit>\d+) characters",
        N_("address longer than %(limit)s characters"),
    ),
    (
        r"external id longer than (?P<limit>\d+) characters",
        N_("external id longer than %(limit)s characters"),
    ),
    (
        r"no email, phone, name or tax id, and no earlier record with this id",
        N_("no email, phone, name or tax id, and no earlier record with this id"),
    ),
    (
        r"no usable email, phone, external id or name",
        N_("no usable email, phone, external id or name"),
    ),
    (r"could not be stored \((?P<detail>.+)\)", N_("could not be stored (%(detail)s)")),
    (
        r"email belongs to another profile \(#(?P<id>\d+)\); not merged",
        N_("the email belongs to another profile (#%(id)s); not merged"),
    ),
    (
        r"phone belongs to another profile \(#(?P<id>\d+)\); not merged",
        N_("the phone belongs to another profile (#%(id)s); not merged"),
    ),
    (r"unreadable CSV row: (?P<detail>.+)", N_("unreadable CSV row (%(detail)s)")),
    (
        r"a quote opened in this row is not closed in it",
        N_("a quote opened in this row is not closed in it"),
    ),
    (
        r"expected (?P<expected>\d+) columns, found (?P<found>\d+)",
        N_("expected %(expected)s columns, found %(found)s"),
    ),
    (r"not a JSON object", N_("not a JSON object")),
    (r"invalid JSON: (?P<detail>.+)", N_("invalid JSON (%(detail)s)")),
    (
        r"invalid JSON after item (?P<item>\d+) \((?P<detail>.+)\); the rest cannot be read",
        N_("invalid JSON after item %(item)s (%(detail)s); the rest cannot be read"),
    ),
    (r"consents must be a list of objects", N_("consents must be a list of objects")),
    (
        r"a consent needs a known purpose and status granted or withdrawn",
        N_("a consent needs a known purpose and status granted or withdrawn"),
    ),
    (r"unknown legal basis (?P<value>.+)", N_("unknown legal basis %(value)s")),
    (r"unrecognised legal basis", N_("unrecognised legal basis")),
    (r"recorded_at: (?P<detail>.+)", N_("consent time: %(detail)s")),
    (
        r"(?P<purpose>\w+): time (?P<date>[\d-]+) is in the future; taken as unknown",
        N_("%(purpose)s: the time %(date)s is in the future; taken as unknown"),
    ),
    (
        r"(?P<purpose>\w+): an opt-in without a date does not lift the withdrawal of "
        r"(?P<date>[\d-]+)",
        N_("%(purpose)s: an opt-in without a date does not lift the withdrawal of %(date)s"),
    ),
    (
        r"(?P<purpose>\w+): an opt-in without a date does not lift the withdrawal on file "
        r"\(undated\)",
        N_("%(purpose)s: an opt-in without a date does not lift the undated withdrawal on file"),
    ),
    (r"unrecognised email opt in value", N_("unrecognised email opt-in value")),
    (r"unrecognised email opt out value", N_("unrecognised email opt-out value")),
]
# Why a background job failed, when the app knows (jobs.INTERRUPTED).
_PHRASES.append(
    (
        r"Interrupted: the process running it stopped \(for example, the app was restarted\)\. "
        r"Start it again; what was already stored is recognised and not stored twice\.",
        N_(
            "Interrupted: the process running it stopped (for example, the app was "
            "restarted). Start it again; what was already stored is recognised and not "
            "stored twice."
        ),
    )
)
_COMPILED = [(re.compile(pattern, re.DOTALL), phrase) for pattern, phrase in _PHRASES]


def reason_text(reason: str) -> str:
    """An importer's reason in the reader's language; an unknown one as it is."""
    for pattern, phrase in _COMPILED:
        found = pattern.fullmatch(reason or "")
        if found:
            parts = found.groupdict()
            # A nested known reason (a consent time that is an unrecognised time) too.
            parts = {k: reason_text(v) for k, v in parts.items()}
            return _(phrase, **parts)
    return reason
