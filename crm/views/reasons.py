"""The importer's reasons for rejecting a row or warning about a cell, and the services'
refusals, in the reader's language.

The importer stores its reasons in English, and the services refuse in English (their
messages reach logs, the API and the CLI as written). A page or a report says them in the
reader's language: each known message is matched whole by a pattern, and its variable
parts (a number, an id, a value, a library's own detail) are put into the translated
sentence. A message no pattern knows is shown as it was written.
"""

import re

from flask_babel import gettext as _


def N_(message: str) -> str:  # noqa: N802 (the name gettext's tools look for)
    """Mark a message for translation; gettext translates it when a page or a report says it."""
    return message


# (pattern matched against the whole reason, translated sentence with its named groups)
_PHRASES = [
    (r"invalid email: (?P<detail>.+)", N_("invalid email (%(detail)s)")),
    (r"invalid phone number(: .*)?", N_("invalid phone number")),
    (r"unknown country", N_("unknown country")),
    (
        r"true or false is not a value of this field",
        N_("true or false is not a value of this field"),
    ),
    (r"unrecognised date", N_("unrecognised date")),
    (
        r"a birthday without a year is not a birth date",
        N_("a birthday without a year is not a birth date"),
    ),
    (r"date out of range", N_("date out of range")),
    (r"unrecognised time", N_("unrecognised time")),
    (r"invalid codice fiscale \(check character\)", N_("invalid codice fiscale (check character)")),
    (
        r"invalid codice fiscale \(not 16 characters\)",
        N_("invalid codice fiscale (not 16 characters)"),
    ),
    (
        r"not a tax or national id \(4 to 32 letters and digits\)",
        N_("not a tax or national id (4 to 32 letters and digits)"),
    ),
    (r"not a tax or national id \(a placeholder\)", N_("not a tax or national id (a placeholder)")),
    (r"unknown lifecycle stage (?P<value>.+)", N_("unknown lifecycle stage %(value)s")),
    (
        r"read as a number of (?P<region>[A-Z]{2}): the row's country is unknown",
        N_("read as a number of %(region)s: the row's country is unknown"),
    ),
    (
        r"differs from the address the row takes; kept in the raw record only",
        N_("differs from the address the row takes; kept in the raw record only"),
    ),
    (
        r"not a known field; kept in the raw record only",
        N_("not a known field; kept in the raw record only"),
    ),
    (
        r"only a first name: no last name, email, phone, address, company, tax id or record "
        r"id tells who this is",
        N_(
            "only a first name: no last name, email, phone, address, company, tax id or "
            "record id tells who this is"
        ),
    ),
    (
        r"read month first \(no month is numbered over 12\), unlike the file's dates",
        N_("read month first (no month is numbered over 12), unlike the file's dates"),
    ),
    (
        r"read day first \(no month is numbered over 12\), unlike the file's dates",
        N_("read day first (no month is numbered over 12), unlike the file's dates"),
    ),
    (
        r'names two people \("Mario e Anna"\): imported as one; split them by hand',
        N_('names two people ("Mario e Anna"): imported as one; split them by hand'),
    ),
    (
        r'addresses a couple or a household \("Coniugi Rossi"\): imported as one person',
        N_('addresses a couple or a household ("Coniugi Rossi"): imported as one person'),
    ),
    (
        r"the same as an earlier row of this import, with no id to tell them apart: stored "
        r"once",
        N_("the same as an earlier row of this import, with no id to tell them apart: stored once"),
    ),
    (
        r"the record's shape is refused: (?P<detail>.+)",
        N_("the record's shape is refused: %(detail)s"),
    ),
    (
        r"the list status says subscribed, but the consent column says no: recorded as "
        r"refused",
        N_("the list status says subscribed, but the consent column says no: recorded as refused"),
    ),
    (
        r"a business's name, not a person's: read as the company",
        N_("a business's name, not a person's: read as the company"),
    ),
    (
        r"a person's name, not a business's: read as the person's name",
        N_("a person's name, not a business's: read as the person's name"),
    ),
    (
        r"eleven digits are a company's codice fiscale or partita IVA, not a person's: kept "
        r"in the raw record only",
        N_(
            "eleven digits are a company's codice fiscale or partita IVA, not a person's: "
            "kept in the raw record only"
        ),
    ),
    (
        r"the codice fiscale spells another name \((?P<code>[A-Z]{6})\): it may be another "
        r"person's; kept",
        N_("the codice fiscale spells another name (%(code)s): it may be another person's; kept"),
    ),
    (
        r"the codice fiscale gives another birth date \((?P<born>[\d-]+)\): one of the two "
        r"is mistyped; both kept as written",
        N_(
            "the codice fiscale gives another birth date (%(born)s): one of the two is "
            "mistyped; both kept as written"
        ),
    ),
    (
        r"the extension \((?P<extension>\d+)\) is not kept: kept in the raw record only",
        N_("the extension (%(extension)s) is not kept: kept in the raw record only"),
    ),
    (
        r"a phone number in the email column: read as a phone",
        N_("a phone number in the email column: read as a phone"),
    ),
    (
        r"an email in the phone column: read as an email",
        N_("an email in the phone column: read as an email"),
    ),
    (
        r"a total line of the sheet, not a person",
        N_("a total line of the sheet, not a person"),
    ),
    (
        r"the header row again \(a list pasted below another\), not a person",
        N_("the header row again (a list pasted below another), not a person"),
    ),
    (
        r"not Jr\., Sr\. or II to IV; kept in the raw record only",
        N_("not Jr., Sr. or II to IV; kept in the raw record only"),
    ),
    (
        r"no last name to join it to; kept in the raw record only",
        N_("no last name to join it to; kept in the raw record only"),
    ),
    (
        r"no first name to join it to; kept in the raw record only",
        N_("no first name to join it to; kept in the raw record only"),
    ),
    (
        r"no last name to join its particle to; kept in the raw record only",
        N_("no last name to join its particle to; kept in the raw record only"),
    ),
    (
        r"the last name ends with another suffix; kept in the raw record only",
        N_("the last name ends with another suffix; kept in the raw record only"),
    ),
    (
        r"more than (?P<limit>\d+) emails: the first (?P=limit) are kept",
        N_("more than %(limit)s emails: the first %(limit)s are kept"),
    ),
    (
        r"more than (?P<limit>\d+) phones: the first (?P=limit) are kept",
        N_("more than %(limit)s phones: the first %(limit)s are kept"),
    ),
    (
        r"more than (?P<limit>\d+) tags: the first (?P=limit) are kept",
        N_("more than %(limit)s tags: the first %(limit)s are kept"),
    ),
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
        r"this record now describes another person: it left its profile for one of its own",
        N_("this record now describes another person: it left its profile for one of its own"),
    ),
    (
        r"this record now describes another person, but it came with a merge: undo the merge "
        r"or send the new person under a new record id",
        N_(
            "this record now describes another person, but it came with a merge: undo the "
            "merge or send the new person under a new record id"
        ),
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
        r"a consent needs a known purpose and status granted, withdrawn or refused",
        N_("a consent needs a known purpose and status granted, withdrawn or refused"),
    ),
    (
        # As reasons stored before refusals were a status of their own say it.
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
    (
        r"(?P<purpose>\w+): an opt-in without a date does not lift the refusal of "
        r"(?P<date>[\d-]+)",
        N_("%(purpose)s: an opt-in without a date does not lift the refusal of %(date)s"),
    ),
    (
        r"(?P<purpose>\w+): an opt-in without a date does not lift the refusal on file "
        r"\(undated\)",
        N_("%(purpose)s: an opt-in without a date does not lift the undated refusal on file"),
    ),
    (r"unrecognised email opt in value", N_("unrecognised email opt-in value")),
    (r"unrecognised email opt out value", N_("unrecognised email opt-out value")),
    (r"unrecognised email consent time value", N_("unrecognised email consent time")),
    (
        r"kept as written, but its domain looks like a typo of (?P<domain>.+)",
        N_("kept as written, but its domain looks like a typo of %(domain)s"),
    ),
    (r"unrecognised sms opt in value", N_("unrecognised SMS opt-in value")),
    (r"unrecognised sms opt out value", N_("unrecognised SMS opt-out value")),
    (r"unrecognised sms consent time value", N_("unrecognised SMS consent time")),
    (r"unrecognised submitted at value", N_("unrecognised time the form was sent")),
    (
        r"the spreadsheet turned the number into (?P<value>.+); the digits are lost",
        N_("the spreadsheet turned the number into %(value)s; the digits are lost"),
    ),
    # The import preview's warnings about its mapping (imports_ui).
    (
        r"No column is read as an email, a phone or a name, so every row would be rejected: "
        r"choose below the columns that hold them\.",
        N_(
            "No column is read as an email, a phone or a name, so every row would be "
            "rejected: choose below the columns that hold them."
        ),
    ),
    (
        r'"(?P<column>.+)" is read as the full name: most of its values are two words or more '
        r"and no column holds the surname\.",
        N_(
            '"%(column)s" is read as the full name: most of its values are two words or '
            "more and no column holds the surname."
        ),
    ),
    (
        r"Too few full names to tell whether they are written surname first \(Rossi Mario\): "
        r"they are read given name first\. Choose the order below if that is wrong\.",
        N_(
            "Too few full names to tell whether they are written surname first (Rossi "
            "Mario): they are read given name first. Choose the order below if that is wrong."
        ),
    ),
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
# The services' refusals (ServiceError messages and their per-field messages) that a page
# can show, and the errors of the background jobs that pages follow.
_REFUSALS = [
    # merging
    (
        r"A profile cannot be merged with itself\.",
        N_("A profile cannot be merged with itself."),
    ),
    (
        r"Profile #(?P<id>\d+) was already merged into #(?P<into>\d+)\.",
        N_("Profile #%(id)s was already merged into #%(into)s."),
    ),
    (
        r"Profile #(?P<id>\d+) changed since you read it; nothing was merged\. Read it again\.",
        N_("Profile #%(id)s changed since you read it; nothing was merged. Read it again."),
    ),
    (
        r"These profiles were marked as different people; only a person may merge them\.",
        N_("These profiles were marked as different people; only a person may merge them."),
    ),
    (
        r"These profiles were marked as different people; confirm that they are one person "
        r"to merge them\.",
        N_(
            "These profiles were marked as different people; confirm that they are one "
            "person to merge them."
        ),
    ),
    (
        r"Pair marked distinct: confirm to merge it anyway\.",
        N_("Pair marked distinct: confirm to merge it anyway."),
    ),
    (r"This merge was already undone\.", N_("This merge was already undone.")),
    # sources
    (
        r"A source is already called (?P<named>.+); a name differing from it only in case "
        r"is refused, so that one system does not become two sources\. Send the records "
        r"under that name\.",
        N_(
            "A source is already called %(named)s; a name differing from it only in case is "
            "refused, so that one system does not become two sources. Send the records "
            "under that name."
        ),
    ),
    (
        r"Merge #(?P<id>\d+) came later and builds on this one; undo it first\.",
        N_("Merge #%(id)s came later and builds on this one; undo it first."),
    ),
    (
        r"The pair this page followed is gone; start again from the first page\.",
        N_("The pair this page followed is gone; start again from the first page."),
    ),
    (
        r"More than (?P<count>\d+) later merges build on this one; undo the newest first\.",
        N_("More than %(count)s later merges build on this one; undo the newest first."),
    ),
    # splitting
    (
        r"This record's profile was merged into another one\.",
        N_("This record's profile was merged into another one."),
    ),
    (
        r"This is the profile's only record: there is nothing to detach\.",
        N_("This is the profile's only record: there is nothing to detach."),
    ),
    (
        r"This record came with merge #(?P<id>\d+); undo that merge instead\.",
        N_("This record came with merge #%(id)s; undo that merge instead."),
    ),
    (
        r"The other records of this profile came with merge #(?P<id>\d+) or after it; "
        r"undo that merge instead\.",
        N_(
            "The other records of this profile came with merge #%(id)s or after it; "
            "undo that merge instead."
        ),
    ),
    # duplicates
    (
        r"This pair was already decided \(merged\)\.",
        N_("This pair was already decided (merged)."),
    ),
    (
        r"This pair was already decided \(distinct\)\.",
        N_("This pair was already decided (distinct)."),
    ),
    # users
    (r"A user with this email exists\.", N_("A user with this email exists.")),
    (r"Taken\.", N_("Taken.")),
    (r"Use at least (?P<count>\d+) characters\.", N_("Use at least %(count)s characters.")),
    (r"Unknown role\.", N_("Unknown role.")),
    (r"You cannot deactivate yourself\.", N_("You cannot deactivate yourself.")),
    (r"Keep at least one active admin\.", N_("Keep at least one active admin.")),
    (r"The current password is wrong\.", N_("The current password is wrong.")),
    # profiles
    (r"Some fields are invalid\.", N_("Some fields are invalid.")),
    (
        r"Give at least a name, an email, a phone or a tax id\.",
        N_("Give at least a name, an email, a phone or a tax id."),
    ),
    (r"Email belongs to another profile\.", N_("Email belongs to another profile.")),
    (r"Phone belongs to another profile\.", N_("Phone belongs to another profile.")),
    (
        r"(?P<value>.+) belongs to profile #(?P<id>\d+)\.",
        N_("%(value)s belongs to profile #%(id)s."),
    ),
    (r"At most (?P<limit>\d+) characters\.", N_("At most %(limit)s characters.")),
    (r"Must be one of: (?P<values>.+)\.", N_("Must be one of: %(values)s.")),
    (
        r"A tag has at most (?P<limit>\d+) characters\.",
        N_("A tag has at most %(limit)s characters."),
    ),
    (r"No such active user\.", N_("No such active user.")),
    (
        r"This profile was merged into profile (?P<id>\d+); edit that one "
        r"\(or undo the merge first\)\.",
        N_("This profile was merged into profile %(id)s; edit that one (or undo the merge first)."),
    ),
    (
        r"This profile was changed by someone else since you opened it; nothing was saved\. "
        r"Reload to see the current values\.",
        N_(
            "This profile was changed by someone else since you opened it; nothing was "
            "saved. Reload to see the current values."
        ),
    ),
    (
        r"This profile was changed by someone else at the same time; nothing was saved\.",
        N_("This profile was changed by someone else at the same time; nothing was saved."),
    ),
    # sources
    (
        r"Manual entry is the app's own source: a value typed by hand always wins\.",
        N_("Manual entry is the app's own source: a value typed by hand always wins."),
    ),
    (
        r"'(?P<name>[^']+)' is the app's own source of values typed by hand in the CRM: "
        r"records cannot be sent or imported under it\. Send them under the name of the "
        r"system they come from\.",
        N_(
            "'%(name)s' is the app's own source of values typed by hand in the CRM: records "
            "cannot be sent or imported under it. Send them under the name of the system "
            "they come from."
        ),
    ),
    (
        r"This label would pass for the app's own manual-entry source\.",
        N_("This label would pass for the app's own manual-entry source."),
    ),
    (
        r"Someone else changed this source meanwhile; check its settings and save again\.",
        N_("Someone else changed this source meanwhile; check its settings and save again."),
    ),
    (r"The source's settings were refused\.", N_("The source's settings were refused.")),
    (r"One of (?P<values>.+)\.", N_("One of %(values)s.")),
    (r"A whole number from 0 to 100\.", N_("A whole number from 0 to 100.")),
    (
        r"A country code phone numbers can be read for, e\.g\. IT\.",
        N_("A country code phone numbers can be read for, e.g. IT."),
    ),
    (r"Not a setting of a source\.", N_("Not a setting of a source.")),
    (
        r"Profiles kept changing while their values were chosen again; run it again when the "
        r"imports have finished\.",
        N_(
            "Profiles kept changing while their values were chosen again; run it again when "
            "the imports have finished."
        ),
    ),
    # imports: the upload, the mapping, the import job
    (
        r"A source name of 1 to 64 characters is required\.",
        N_("A source name of 1 to 64 characters is required."),
    ),
    (
        r"A source name must not hold control or invisible formatting characters\.",
        N_("A source name must not hold control or invisible formatting characters."),
    ),
    (
        r"The region must be a two-letter country code such as IT\.",
        N_("The region must be a two-letter country code such as IT."),
    ),
    (
        r"Unknown format (?P<format>.+); use one of (?P<formats>.+)\.",
        N_("Unknown format %(format)s; use one of %(formats)s."),
    ),
    (r"Unknown format (?P<format>.+)\.", N_("Unknown format %(format)s.")),
    (r"The file is empty\.", N_("The file is empty.")),
    (r"Unknown country\.", N_("Unknown country.")),
    (r"Unknown region (?P<region>.+)\.", N_("Unknown region %(region)s.")),
    (r"Unknown reading order\.", N_("Unknown reading order.")),
    (
        r"Some columns cannot be mapped like that\.",
        N_("Some columns cannot be mapped like that."),
    ),
    # A field's name as repr() writes it: the CLI's longer message is not this one.
    (r"unknown field (?P<field>'.*'|\".*\")", N_("unknown field %(field)s")),
    (
        r"(?P<field>\w+) is already taken by column (?P<column>.+)",
        N_("%(field)s is already taken by column %(column)s"),
    ),
    (
        r"No column of the file could be recognised; give a --mapping\.",
        N_("No column of the file could be recognised; give a --mapping."),
    ),
    (
        r"The uploaded file is no longer available; upload it again\.",
        N_("The uploaded file is no longer available; upload it again."),
    ),
    # readers: files that are no table
    (
        r"This file is a zipped file \(unzip it\) or a workbook other than \.xlsx, not CSV, "
        r"JSON or an \.xlsx workbook: save it as CSV \(UTF-8\) or \.xlsx first\.",
        N_(
            "This file is a zipped file (unzip it) or a workbook other than .xlsx, not CSV, "
            "JSON or an .xlsx workbook: save it as CSV (UTF-8) or .xlsx first."
        ),
    ),
    (
        r"This file is an old Excel \(\.xls\) or Word file, not CSV, JSON or an \.xlsx "
        r"workbook: save it as CSV \(UTF-8\) or \.xlsx first\.",
        N_(
            "This file is an old Excel (.xls) or Word file, not CSV, JSON or an .xlsx "
            "workbook: save it as CSV (UTF-8) or .xlsx first."
        ),
    ),
    (
        r"This file is a PDF document, not CSV, JSON or an \.xlsx workbook: save it as CSV "
        r"\(UTF-8\) or \.xlsx first\.",
        N_(
            "This file is a PDF document, not CSV, JSON or an .xlsx workbook: save it as CSV "
            "(UTF-8) or .xlsx first."
        ),
    ),
    (
        r"This file is not text \(CSV or JSON\) nor an \.xlsx workbook\.",
        N_("This file is not text (CSV or JSON) nor an .xlsx workbook."),
    ),
    (
        r"This workbook cannot be read: (?P<detail>.+)",
        N_("This workbook cannot be read: %(detail)s"),
    ),
    (
        r"This file looks like a zip archive or a workbook but cannot be read "
        r"\((?P<detail>.+)\): save it as CSV \(UTF-8\) or \.xlsx, or zip it again\.",
        N_(
            "This file looks like a zip archive or a workbook but cannot be read "
            "(%(detail)s): save it as CSV (UTF-8) or .xlsx, or zip it again."
        ),
    ),
    (
        r"This zip archive holds no CSV, JSON or \.xlsx file \(a document or a spreadsheet "
        r"other than \.xlsx is a zip too\): save it as CSV \(UTF-8\) or \.xlsx first\.",
        N_(
            "This zip archive holds no CSV, JSON or .xlsx file (a document or a spreadsheet "
            "other than .xlsx is a zip too): save it as CSV (UTF-8) or .xlsx first."
        ),
    ),
    (
        r"(?P<name>.+) is compressed (?P<ratio>\d+) times, far more than any export: it is "
        r"not read\.",
        N_("%(name)s is compressed %(ratio)s times, far more than any export: it is not read."),
    ),
    (
        r"This zip archive holds (?P<count>\d+) tables; import at most (?P<limit>\d+) at a "
        r"time\.",
        N_("This zip archive holds %(count)s tables; import at most %(limit)s at a time."),
    ),
    (
        r"This zip archive is protected by a password: unzip it first\.",
        N_("This zip archive is protected by a password: unzip it first."),
    ),
    (
        r"(?P<member>.+) cannot be read from the archive: (?P<detail>.+)",
        N_("%(member)s cannot be read from the archive: %(detail)s"),
    ),
    # jobs
    (
        r"The job failed unexpectedly \((?P<error>\w+)\); see the server log\.",
        N_("The job failed unexpectedly (%(error)s); see the server log."),
    ),
    (
        r"The job queue \(Redis\) could not be reached\.",
        N_("The job queue (Redis) could not be reached."),
    ),
]
# Messages made of a subject and a message about it, tried last so that a whole message
# matches its own pattern first: a profile's email or phone and what is wrong with it, a
# file of an archive and why it cannot be imported, a row of a preview and its problem.
_COMPOSED = [
    (
        r"(?P<subject>.+?): (?P<message>invalid (?:email|phone number)\b.*)",
        N_("%(subject)s: %(message)s"),
    ),
    (
        r"(?P<subject>.+?\.(?i:csv|tsv|json|jsonl|ndjson|xlsx|xlsm)): (?P<message>.+)",
        N_("%(subject)s: %(message)s"),
    ),
    (r"row (?P<row>\d+): (?P<reason>.+)", N_("row %(row)s: %(reason)s")),
    (r"line (?P<row>\d+): (?P<reason>.+)", N_("line %(row)s: %(reason)s")),
    (
        r"(?P<file>.+), row (?P<row>\d+): (?P<reason>.+)",
        N_("%(file)s, row %(row)s: %(reason)s"),
    ),
]


def _compiled(phrases: list[tuple[str, str]]) -> list[tuple[re.Pattern, str]]:
    """Each pattern compiled (its text may span lines), beside its phrase."""
    return [(re.compile(pattern, re.DOTALL), phrase) for pattern, phrase in phrases]


_COMPILED = _compiled(_PHRASES)
_REFUSALS_COMPILED = _compiled(_REFUSALS)
_COMPOSED_COMPILED = _compiled(_COMPOSED)


def _said(text: str | None, table: list[tuple[re.Pattern, str]], parts_text) -> str | None:
    """text in the reader's language by the first pattern of table that matches it whole,
    its parts said by parts_text (a part may be a known message itself); None if none does."""
    for pattern, phrase in table:
        found = pattern.fullmatch(text or "")
        if found:
            parts = {k: parts_text(v) for k, v in found.groupdict().items()}
            return _(phrase, **parts)
    return None


def reason_text(reason: str) -> str:
    """An importer's reason in the reader's language; an unknown one as it is."""
    # A nested known reason (a consent time that is an unrecognised time) too.
    said = _said(reason, _COMPILED, reason_text)
    return reason if said is None else said


def refusal_text(message: str) -> str:
    """A service's refusal (an error's message or one of its per-field messages), or a
    job's error, in the reader's language; an unknown one as it is.

    The importer's reasons are known too: a field's message can be a normaliser's (an
    invalid email), and a failed import's error a reader's.
    """
    for table in (_REFUSALS_COMPILED, _COMPILED, _COMPOSED_COMPILED):
        said = _said(message, table, refusal_text)
        if said is not None:
            return said
    return message


def refusal_texts(messages) -> list[str]:
    """Several refusals (a field's messages) in the reader's language."""
    return [refusal_text(message) for message in messages]
