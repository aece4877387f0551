"""Reading person records from files: encodings, CSV dialects, header synonyms, formats.

A pure core with no Flask and no database: it turns a file into a stream of
(row number, mapped record, raw row) that the ingest service normalises and stores.
"""

import codecs
import csv
import io
import json
import math
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property, lru_cache
from itertools import chain, islice
from typing import BinaryIO

import ijson
import openpyxl
from openpyxl.utils import get_column_letter

from crm.services.errors import ValidationError
from crm.services.given_names import GIVEN_NAMES
from crm.services.normalise import fold, normalise_country, strip_titles

SAMPLE_BYTES = 64 * 1024
HEADER_ROWS = 10  # rows of a workbook searched for its header
# Lines one CSV record may span (a quoted value with line breaks). A record that needs more,
# or that spans several lines with the wrong number of columns, is a quote opened by
# mistake: its first line is reported and the lines after it are read again on their own.
RECORD_LINES = 1000
# The longest value one CSV cell may hold (Python's csv stops at 128 KiB): a long note or
# a pasted document in one cell leaves the row's other cells readable, and a cell longer
# than this (a quote never closed in a huge file) still cannot take all the memory.
FIELD_CHARS = 16 * 1024 * 1024
# The longest line of a CSV file read whole: a longer one (no real export writes one; a
# file made to exhaust memory does) is passed over in pieces and its row reported.
LINE_CHARS = FIELD_CHARS + 1024 * 1024
_DRAIN_CHARS = 1024 * 1024
# A zip's member (or a workbook's part) larger than this and compressed more than
# ZIP_RATIO_MAX times is a compression bomb, not an export: XML and CSV compress about
# 5 to 30 times, one character repeated a thousand times.
ZIP_BOMB_BYTES = 64 * 1024 * 1024
ZIP_RATIO_MAX = 200
# Levels of nesting a JSON value keeps in a raw payload (an object in a list is two): what
# lies deeper is cut, so that a file or a request cannot make the raw payload too deep to
# store or to copy (Python's json and the importer's copies recurse per level).
RAW_DEPTH = 32
# What stands for the part of a JSON value cut at RAW_DEPTH or FIELD_CHARS (see json_value).
CUT = "\u2026"

# A full name's headers that say it is written surname first (see Mapping.surname_first).
SURNAME_FIRST_HEADERS = ("cognome e nome", "cognome nome", "last name first name")
# A lead's status in other CRMs (Salesforce, Zoho, HubSpot's "Lead Status").
LEAD_STATUS_HEADERS = (
    "lead status",
    "stato lead",
    "stato del lead",
    "statut du lead",  # HubSpot in French ("Lead-Status" in German reads as the English)
    "statut de lead",
    "estado del lead",  # ... in Spanish
    "estado de lead",
)
# The lifecycle stage's own headers (HubSpot's, in English, Italian, German, French,
# Spanish and Portuguese).
LIFECYCLE_HEADERS = (
    "lifecycle stage",
    "lifecyclestage",
    "fase del ciclo di vita",
    "ciclo di vita",
    "lebenszyklusphase",
    "phase du cycle de vie",
    "fase del ciclo de vida",
    "fase do ciclo de vida",
)

# Canonical field -> header synonyms (English, Italian, the commonest German, French and
# Spanish ones, and other tools' exports).
# Compared after fold(), so case, accents and punctuation do not matter.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "external_id": (
        "id",
        "external id",
        "record id",
        "rec id",
        "recid",
        "unique id",
        "uid",
        "uuid",
        "row id",
        "contact id",
        "customer id",
        "codice cliente",
        "id cliente",
        "leid",
        "euid",
        "unique email id",
        # Italian UIs put the id first ("ID record", "ID lead": see _id_of_entity), and
        # some tools name it after themselves.
        "id record",
        "klaviyo id",
        # HubSpot's record id in German, French and Spanish.
        "datensatz id",
        "id de la fiche d informations",
        "id de registro",
        "id del registro",
        "kontakt id",
        "kunden id",
        "kundennummer",
        "id du contact",
        "id de contacto",
        "numero client",
        "numero de cliente",
        "id esterno",  # Odoo in Italian
        "identificativo esterno",
        # Dynamics 365's export: the record's id, in a column it asks not to edit.
        "do not modify contact",
        "do not modify lead",
        # Eventbrite's attendee, one a ticket ("Attendee #"), and a customer's or a
        # member's number ("Customer #").
        "attendee number",
        "attendee id",
        "customer number",
        "member number",
    ),
    "first_name": (
        "first name",
        "firstname",
        "given name",
        "fname",
        "nome",
        "first",
        "vorname",
        "prenom",
        "nombre",
        "nome di battesimo",  # Pipedrive in Italian, beside its "Nome" (the full name)
        "nome proprio",
        "come ti chiami",  # a form's question ("What's your name?")
    ),
    "last_name": (
        "last name",
        "lastname",
        "surname",
        "family name",
        "lname",
        "cognome",
        "last",
        "nachname",
        "familienname",
        "nom",
        "nom de famille",
        "apellido",
        "apellidos",
    ),
    # A middle name (Google Contacts', Outlook's, Salesforce's): joined to the first name,
    # its particles to the last name (rows.normalise_row). Not "second name": in Britain,
    # that is the surname.
    "middle_name": (
        "middle name",
        "middle names",
        "middlename",
        "middle initial",
        "additional name",
        "secondo nome",
        "altri nomi",
        "zweiter vorname",
        "weitere vornamen",
        "deuxieme prenom",
        "second prenom",
        "autres prenoms",
        "segundo nombre",
        "otros nombres",
    ),
    # A generational suffix (Outlook's "Suffix": Jr., Sr., III): joined to the last name,
    # where matching tells a father from his son (rows.normalise_row).
    "name_suffix": (
        "suffix",
        "name suffix",
        "suffixe",
        "namenszusatz",
        "sufijo",
        "suffisso",
    ),
    "full_name": (
        "name",
        "full name",
        "nome completo",
        "nominativo",
        "contact name",
        "nome e cognome",
        "nome cognome",
        # A company list's person to ask for ("Azienda; Referente; Email").
        "referente",
        "nome referente",
        "nominativo referente",
        "persona di riferimento",
        *SURNAME_FIRST_HEADERS,
    ),
    "email": (
        "email",
        "e mail",
        # SuiteCRM's and SugarCRM's other addresses of the person.
        "non primary e mails",
        "non primary emails",
        "email address",
        "e mail address",
        "mail",
        "indirizzo email",
        "indirizzo e mail",
        "posta elettronica",
        "email 1",
        "e mail adresse",
        "adresse e mail",
        "correo electronico",
        "correo",
        "adresse de messagerie",  # Outlook in French
        "adresse electronique",
        "courriel",
        "direccion de correo electronico",  # Outlook in Spanish
        # More addresses of the person's (HubSpot's, Zoho's: see _ANOTHER_WORDS for others).
        "email addresses",
        "additional email addresses",
        # A column of several, or the one in a list of contact details ("Recapito email").
        "emails",
        "e mails",
        "indirizzi email",
        "indirizzi e mail",
        "recapito email",
        "recapito e mail",
    ),
    "phone": (
        "phone",
        "phone number",
        "telephone",
        "tel",
        "telefono",
        "mobile",
        "mobile phone",
        "mobile phone number",
        "cellulare",
        "cell",
        "numero di telefono",
        "numero di cellulare",
        "numero cellulare",
        "cell phone",
        "landline",
        "fisso",  # "Numero fisso", Brevo's NUMERO_FISSO
        "numero fisso",
        "contact number",
        "sms",
        "whatsapp",
        "billing phone",
        "telefon",
        "telefonnummer",
        "mobil",
        "mobiltelefon",
        "mobilnummer",
        "mobiltelefonnummer",  # HubSpot in German
        "mobilfunknummer",
        "handynummer",
        "festnetz",
        "festnetznummer",
        "handy",
        "portable",
        "numero de telephone",
        "numero de telephone mobile",  # HubSpot in French
        "numero de telephone portable",
        "telephone mobile",
        "telephone portable",
        "tel portable",
        "numero de portable",
        "numero de mobile",
        "telephone fixe",
        "movil",
        "celular",
        "telefono movil",
        "telefono celular",
        "telefono fijo",
        "numero de telefono",
        "numero de telefono movil",  # HubSpot in Spanish
        "numero de movil",
        # A column of several, and Italian forms' "Recapito telefonico".
        "phones",
        "phone numbers",
        "telefoni",
        "cellulari",
        "numeri di telefono",
        "recapito telefonico",
        "recapiti telefonici",  # not a bare "Recapito": a postal address too
    ),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "azienda",
        "ragione sociale",
        "societa",
        "associated company",
        "account name",
        "business name",
        "firma",
        "unternehmen",
        "firmenname",
        "unternehmensname",
        "societe",
        "entreprise",
        "nom de l entreprise",  # HubSpot in French
        "nom de la societe",
        "nom entreprise",
        "empresa",
        "nombre de la empresa",  # HubSpot in Spanish
        "nombre de empresa",
        "compania",
        "organizacion",
        "company account",  # Salesforce reports
        "societa account",  # Salesforce in Italian
        "nome azienda",  # HubSpot, LinkedIn in Italian
        "nome societa",
        "nome dell azienda",
        "organizzazione",  # Pipedrive in Italian
        # Odoo's contact of a company ("Related Company", "Azienda collegata").
        "related company",
        "azienda collegata",
        # Italian registers' and invoicing tools' name of a business.
        "denominazione",
        "denominazione sociale",
        "ditta",
    ),
    "job_title": (
        "job title",
        "jobtitle",
        "position",
        "role",
        "organization title",
        "organisation title",
        "ruolo",
        "qualifica",
        "posizione",
        "funktion",
        "beruf",
        "fonction",
        "poste",
        "cargo",
        "puesto",
        "berufsbezeichnung",  # HubSpot in German
        "intitule du poste",  # ... in French
        "titre du poste",
        "titulo del puesto",
        "designation",  # Zoho
        "job position",  # Odoo
        "posizione lavorativa",
        "mansione",
    ),
    "address": (
        "address",
        "street address",
        "street",
        "address 1",
        "address line 1",
        "indirizzo",
        "via",
        "billing address 1",
        "strasse",
        "anschrift",
        "adresse",
        "rue",
        "direccion",
        "calle",
        "direccion postal",
        "adresse postale",
    ),
    "street_number": (
        "street number",
        "street no",
        "house number",
        "house no",
        "building number",
        "numero civico",
        "civico",
        "n civico",
        "hausnummer",
        "hausnr",
        "numero de rue",
    ),
    "address_line_2": (
        "address 2",
        "address line 2",
        "street address 2",
        "extended address",
        "billing address 2",
        "indirizzo 2",
        # A street's second line, also of an address group ("Business Street 2",
        # "Straße geschäftlich 2", "Rue (bureau) 2": see interpret_header).
        "street 2",
        "strasse 2",
        "rue 2",
        "calle 2",
        "adresszusatz",
        "complement d adresse",
        # The flat or suite ("Apartment/suite no", Pipedrive's address part).
        "apartment",
        "apt",
        "suite",
        "flat",
        "via 2",  # Odoo in Italian, beside "Via"
    ),
    "postcode": (
        "postcode",
        "postal code",
        "zip",
        "zip code",
        "z i p",  # MailerLite's field key, z_i_p
        "cap",
        "c a p",  # "C.A.P."
        "codice avviamento postale",
        "codice postale",
        "zip postal code",
        "postal zip code",
        "billing postcode",
        "plz",
        "postleitzahl",
        "code postal",
        "codigo postal",
    ),
    "city": (
        "city",
        "town",
        "suburb",
        "locality",
        "municipality",
        "citta",
        "comune",
        "localita",
        "billing city",
        "ort",
        "stadt",
        "wohnort",
        "ville",
        "localite",
        "commune",
        "ciudad",
        "localidad",
        "municipio",
    ),
    "state": (
        "state",
        "region",
        "state region",
        "state province",
        "stato regione",  # HubSpot in Italian ("Stato/Regione")
        "stato provincia",  # LinkedIn in Italian
        "province",
        "county",
        "provincia",
        "regione",
        "prov",
        "pr",
        "sigla prov",
        "sigla provincia",
        "billing state",
        "bundesland",
        "kanton",
        "departement",
        # German, French and Spanish tools' (Outlook's, HubSpot's) "State/Region".
        "bundesland kanton",
        "bundesland region",
        "dep region",
        "departement region",
        "departement ou region",
        "etat region",
        "etat province",
        "estado provincia",
        "estado o provincia",
        "estado region",
    ),
    "country": (
        "country",
        "country region",
        "paese area geografica",  # Outlook in Italian
        "paese regione",  # HubSpot, WooCommerce in Italian ("Paese/regione")
        "nation",
        "paese",
        "nazione",
        "stato",
        "billing country",
        "cc",
        "land",
        "pays",
        "pais",
        # HubSpot's and Outlook's "Country/Region" in German, French and Spanish.
        "land region",
        "land oder region",
        "pays region",
        "pays ou region",
        "pais region",
        "pais o region",
    ),
    "birth_date": (
        "birth date",
        "birthdate",
        "date of birth",
        "dob",
        "birthday",
        "data di nascita",
        "data nascita",
        "nato il",
        "compleanno",
        "data compleanno",
        "data del compleanno",
        "geburtsdatum",
        "geburtstag",
        "date de naissance",
        "fecha de nacimiento",
        "fecha nacimiento",
        "anniversaire",  # Outlook in French
        "date d anniversaire",
        "cumpleanos",  # ... in Spanish
        "fecha de cumpleanos",
    ),
    "tax_id": (
        "tax id",
        "tax code",
        "tax number",
        "codice fiscale",
        "cod fiscale",
        "cod fisc",  # "Cod. Fisc."
        "codice fisc",
        "cf",
        "c f",  # "C.F."
        "fiscal code",
        "national id",
        "national id number",
        "national identifier",
        "national insurance number",
        "ssn",
        "social security number",
        "soc sec id",
        "nif",
        "dni",
    ),
    # Plain opt-in and opt-out columns of shops and other tools' exports (email marketing).
    "email_opt_in": (
        "email opt in",
        "email optin",
        "marketing opt in",
        "opt in",
        "optin",
        "double opt in",
        "accepts marketing",
        "accepts email marketing",
        "email marketing consent",
        "marketing consent",
        "email consent",
        "newsletter",
        "newsletter opt in",
        "consenso marketing",
        "accetta marketing",
        "accetta email marketing",
        "iscritto newsletter",
        "consenso newsletter",
        "consenso email",
        "iscrizione newsletter",
        # Pipedrive's and others' one column for the state of email marketing
        # ("Subscribed", "Unsubscribed", "No consent").
        "marketing status",
        "email marketing status",
        "stato marketing",
    ),
    "email_opt_out": (
        "email opt out",
        "opt out",
        "opted out",
        "unsubscribed",
        "do not email",
        "donotemail",
        "has opted out of email",
        "blacklisted",
        "email blacklisted",  # Brevo
        "disiscritto",
        "revoca consenso",
        "rinuncia email",  # Salesforce in Italian ("Rinuncia e-mail")
        "rinuncia e mail",
        # HubSpot in Italian, read so also where its export is not recognised.
        "annullata l iscrizione a tutte le e mail",
        "annullata l iscrizione a tutte le email",
        # Dynamics 365: "Allow" or "Do Not Allow" (rows._ALLOW_CHOICES).
        "do not allow bulk emails",
        "do not allow emails",
        "non consentire messaggi e mail in blocco",
        "non consentire messaggi e mail",
    ),
    # When the file says the email-marketing consent (or its withdrawal) was given.
    "email_consent_time": (
        "email marketing consent timestamp",  # Klaviyo
        "email consent timestamp",
        "consent timestamp",
        "consent date",
        "marketing consent date",
        "email opt in date",
        "opt in date",
        "data consenso",
        "data del consenso",
        "data consenso marketing",
        "data consenso newsletter",
        "data iscrizione newsletter",
        # When the person subscribed to the list: MailUp's, MailerLite's, others'.
        "data iscrizione",
        "data di iscrizione",
        "subscribed at",
        "opted in at",
        "subscription date",
        "date subscribed",
        "optin date",
        "opt in time",
    ),
    # When a form was sent (Google Forms' "Timestamp", Typeform's "Submitted At"): the
    # time of the consents its answers state, where they give none of their own.
    "submitted_at": (
        "timestamp",
        "informazioni cronologiche",  # Google Forms in Italian
        "marca temporale",
        "horodateur",  # ... in French
        "zeitstempel",  # ... in German
        "marca temporal",  # ... in Spanish
        "submitted at",  # Typeform
        "submit date utc",  # ... its responses download
        "submit date",
        "submitted on",
        "submission date",  # Jotform
        "submission time",
        "date submitted",
        "completion time",  # Microsoft Forms
        "ora di completamento",
        "data invio",
        "data di invio",
        "data compilazione",
    ),
    # A subscription state (Mailchimp's, ActiveCampaign's "Status"): read only for the
    # words of one (see _settle and rows.consent_from_columns).
    "subscription_status": (
        "subscription status",
        "email subscription status",
        "stato iscrizione",
        "stato dell iscrizione",
    ),
    # Consent to marketing by SMS (Shopify, Klaviyo, Brevo).
    "sms_opt_in": (
        "accepts sms marketing",
        "sms marketing consent",
        "sms consent",
        "sms opt in",
        "sms optin",
        "sms marketing opt in",
        "consenso sms",
        "accetta sms marketing",
    ),
    "sms_opt_out": ("sms blacklisted", "sms opt out", "sms unsubscribed", "revoca consenso sms"),
    # Consent to profiling (GDPR Art. 22; the Italian privacy notices' "profilazione"),
    # a purpose of its own beside marketing (MailUp's "Consenso profilazione").
    "profiling_opt_in": (
        "consenso profilazione",
        "consenso alla profilazione",
        "consenso per profilazione",
        "profilazione",
        "profiling consent",
        "consent to profiling",
        "profiling opt in",
    ),
    "sms_consent_time": (
        "sms marketing consent timestamp",
        "sms consent timestamp",
        "sms consent date",
        "data consenso sms",
    ),
    "tags": ("tags", "tag", "labels", "etichette", "lists"),
    "stage": ("stage", "fase", *LIFECYCLE_HEADERS),
    # A lead's status ("Open - Not Contacted" says a lead, rows.STAGE_ALIASES; some tools
    # keep "Customer" there): the stage where nothing else gives one (see _lead_status).
    "lead_status": LEAD_STATUS_HEADERS,
}
# Headers that take their field even where another column naming it stands first.
PREFERRED_HEADERS = frozenset(LIFECYCLE_HEADERS)
# Headers that take their field only where no other column names it: a lead status, a
# region beside a state or province (Bitrix24's "Regione" Lazio beside "Provincia" RM),
# and an Italian list's "Località" (a hamlet, a frazione) beside its "Comune".
FALLBACK_HEADERS = frozenset(LEAD_STATUS_HEADERS) | {"region", "regione", "localita"}

# Headers that identify another tool's export (folded), with their own column meanings.
HUBSPOT_MARKERS = (
    "record id",
    "lifecycle stage",
    "create date",
    "id record",
    "fase del ciclo di vita",
    "data di creazione",
)
MAILCHIMP_MARKERS = ("email address", "optin time", "member rating")

# Tool-specific columns -> our meaning.
HUBSPOT_EXTRA = {
    "marketing contact status": "marketing_status",
    "legal basis for processing contact s data": "legal_basis",
    "legal basis for processing contacts data": "legal_basis",
    "unsubscribed from all email": "unsubscribed",
    "opted out of all email": "unsubscribed",
    "email subscription status": "subscription_status",
    "create date": "created_at",
    # HubSpot in Italian.
    "stato di marketing del contatto": "marketing_status",
    "base giuridica per il trattamento dei dati del contatto": "legal_basis",
    "annullata l iscrizione a tutte le e mail": "unsubscribed",
    "annullata l iscrizione a tutte le email": "unsubscribed",
    "stato dell iscrizione e mail": "subscription_status",
    "data di creazione": "created_at",
}
MAILCHIMP_EXTRA = {
    "optin time": "optin_time",
    "optin ip": "optin_ip",
    "confirm time": "confirm_time",
    "confirm ip": "confirm_ip",
    "last changed": "last_changed",
    "unsub time": "unsub_time",
    "clean time": "clean_time",
    "status": "subscription_status",
}
# Columns of a tool's export that are not what their names say elsewhere: Mailchimp's CC
# and REGION are where the sign-up's IP address was placed, not where the person lives.
FORMAT_IGNORED = {"mailchimp": frozenset({"cc", "region"})}


class Borrowed(io.RawIOBase):
    """A read-only view of an open file that the readers may wrap and close (the caller
    closes the file); its position says how far they have read.

    The readers wrap the stream in buffers that, once dropped, close what they wrap and
    warn about an unclosed file; the file belongs to whoever opened it.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer) -> int:
        """Read from the borrowed file."""
        return self._stream.readinto(buffer)

    def seekable(self) -> bool:
        """Seekable as the borrowed file is (a workbook is read as a zip archive)."""
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move in the borrowed file."""
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        """The position in the borrowed file."""
        return self._stream.tell()

    @property
    def position(self) -> int:
        """Bytes read from the file so far."""
        return self._stream.tell()


class RowValues(dict):
    """A row's values by canonical field, with what reached no field beside them:
    left_out holds (column or key, reason) pairs for rows.normalise_row to report.

    A dict, so that the values compare as the fields alone.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.left_out: list[tuple[str, str]] = []


@dataclass
class Mapping:
    """Which source column feeds which canonical field, and what was left unmapped."""

    columns: dict[str, str] = field(default_factory=dict)  # header -> canonical
    unmapped: list[str] = field(default_factory=list)
    format: str = "csv"
    groups: dict[str, str] = field(default_factory=dict)  # address header -> its group
    headers: list[str] = field(default_factory=list)  # the file's headers, in order
    files: list[str] = field(default_factory=list)  # the tables of a zip archive, in order
    # A header the file gives several columns -> their names (see distinct_headers).
    repeated: dict[str, list[str]] = field(default_factory=dict)
    # The sheets of a workbook that are read, and those that are not (see read_xlsx).
    sheets: list[str] = field(default_factory=list)
    other_sheets: list[str] = field(default_factory=list)
    # Sheets left out because their name says their people are not to be contacted.
    held_sheets: list[str] = field(default_factory=list)
    # A header left unmapped because an earlier column took its field (a single-value one)
    # -> that column ("First name" -> "Nome").
    rivals: dict[str, str] = field(default_factory=dict)
    # The full-name column's header says the surname comes first ("Cognome e nome").
    surname_first: bool = False
    # A column whose first rows' values gave it another field than its header did -> that
    # field (see _settle): a "Nome" of whole names is the full name.
    settled: dict[str, str] = field(default_factory=dict)

    @cached_property
    def several_addresses(self) -> bool:
        """True when the columns hold more than one address (home, business, ...)."""
        return len(set(self.groups.values())) > 1

    @cached_property
    def plain_completes(self) -> bool:
        """True when the address columns of no group ("City", "Zip", "Country") name no
        street of their own beside a group's street ("Mailing Street", Shopify's "Default
        Address Address1"): they are no second address but the rest of the row's one."""
        plain = [h for h, g in self.groups.items() if not g]
        return len(plain) < len(self.groups) and all(
            self.columns.get(h) != "address" for h in plain
        )

    def values(self, raw: dict) -> RowValues:
        """A row's values by canonical field (see map_headers for several columns)."""
        values = RowValues()
        addresses: dict[str, dict[str, tuple[str, str]]] | None = None
        several = self.several_addresses
        for header, target in self.columns.items():
            cell = raw.get(header)
            if not isinstance(cell, str) or not (cell := cell.strip()):
                continue
            if target == "phone" and SCIENTIFIC_NUMBER.fullmatch(cell):
                # A spreadsheet saved the number as "3,47123E+09": its digits are gone.
                values.setdefault(LOST_PHONES, []).append((header, cell))
                continue
            if target in LIST_FIELDS or target in CONSENT_FIELDS:
                values[target] = f"{values[target]}; {cell}" if target in values else cell
            elif several and target in ADDRESS_FIELDS:
                addresses = addresses or {}
                addresses.setdefault(self.groups[header], {}).setdefault(target, (header, cell))
            else:
                values.setdefault(target, cell)
        if addresses:
            values.update(self._one_address(addresses, values))
        # A one-cell address (Mailchimp's) is split as the row is normalised, whatever the
        # tool: see rows.split_address_cell.
        return values

    def _one_address(
        self, groups: dict[str, dict[str, tuple[str, str]]], values: RowValues
    ) -> dict[str, str]:
        """The row's one address of its groups' (field -> (header, cell)): the first
        whole (_first_address), completed by the columns of no group where those are the
        rest of it (plain_completes). A plain column that says otherwise than the
        address taken is left out, and values.left_out says so."""
        plain = groups.pop("", {}) if self.plain_completes else {}
        chosen = dict(_first_address(groups)) if groups else {}
        for target, (header, cell) in plain.items():
            if target not in chosen:
                chosen[target] = (header, cell)
            elif fold(chosen[target][1]) != fold(cell):
                values.left_out.append((header, OTHER_ADDRESS))
        return {target: cell for target, (_header, cell) in chosen.items()}


@dataclass
class Row:
    """One input row: its number in the file, the mapped values and the raw row."""

    number: int
    values: dict[str, str]
    raw: dict[str, str]
    error: str | None = None
    file: str | None = None  # the file of a zip archive the row comes from
    format: str | None = None  # that file's format, when it is not the whole import's
    # The columns whose cells a workbook stores as numbers: a number keeps no leading 0,
    # so a phone stored so lost it if it had one (rows.normalise_row's number_phones).
    numbers: frozenset[str] = frozenset()


def _first_address(groups: dict[str, dict]) -> dict:
    """The first address (in file order) with a street, city or postcode, else the first."""
    for parts in groups.values():
        if parts.keys() & {"address", "city", "postcode"}:
            return parts
    return next(iter(groups.values()))


def detect_encoding(sample: bytes, *, truncated: bool = False) -> str:
    """UTF-8 (with or without BOM), UTF-16 by its BOM, else Windows-1252 or Mac Roman
    (eight_bit_encoding).

    truncated says the sample was cut from a longer file, so its last character may be
    incomplete.
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if truncated and exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    return eight_bit_encoding(sample)


# Bytes Windows-1252 leaves undefined and Mac Roman spends on letters (è 0x8F, ù 0x9D,
# ç 0x8D), and Mac Roman letters that Windows-1252 spends on signs rarely seen after a
# letter (é 0x8E as "Ž", à 0x88 as "ˆ", ä ö ü as "Š š Ÿ").
_NOT_CP1252 = frozenset(b"\x81\x8d\x8f\x90\x9d")
_MAC_LETTERS = frozenset(b"\x87\x88\x8a\x8e\x9a\x9f")


def eight_bit_encoding(data: bytes) -> str:
    """The 8-bit encoding of text that is not UTF-8: Windows-1252, or Mac Roman (what
    Excel for Mac and old Mac tools save CSV in) where the accented letters are in the
    bytes Mac Roman gives them (0x80-0x9F) rather than Windows-1252's (0xC0-0xFF)."""
    mac = cp1252 = 0
    for i, byte in enumerate(data):
        if byte >= 0xC0:
            cp1252 += 1
        elif byte in _NOT_CP1252:
            mac += 2
        elif byte in _MAC_LETTERS and i and chr(data[i - 1]).isalpha():
            mac += 1
    return "mac_roman" if mac > cp1252 else "cp1252"


class LineDecoder:
    """A text file read a line at a time for the CSV reader: each line decoded as UTF-8
    where it is, else in the file's 8-bit encoding (eight_bit_encoding). A file joined
    from the exports of two tools mixes them, and one encoding for the whole would
    garble one kind of line ("PerchÃ©") or lose the other's letters ("Perch�").

    The attributes read_csv uses of a text stream: buffer, encoding, readline, iteration.
    """

    def __init__(self, buffered: io.BufferedReader, encoding: str, eight_bit: str) -> None:
        self.buffer = buffered
        self.encoding = encoding
        self.eight_bit = eight_bit
        # Latin-1 gives every byte its own character: lines are split as a text file's
        # (at \n, \r\n or an old Mac's lone \r), then turned back into their bytes.
        self._lines = io.TextIOWrapper(buffered, encoding="latin-1", newline="")

    def readline(self) -> str:
        """The next line, decoded; "" at the end. Raises csv.Error for a line over
        LINE_CHARS, read to its end in pieces (memory stays bounded)."""
        line = self._lines.readline(LINE_CHARS)
        if len(line) == LINE_CHARS and not line.endswith(("\n", "\r")):
            while (more := self._lines.readline(_DRAIN_CHARS)) and not more.endswith(("\n", "\r")):
                pass
            raise csv.Error(f"a line longer than {LINE_CHARS} characters")
        raw = line.encode("latin-1")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode(self.eight_bit, errors="replace")

    def __iter__(self) -> "LineDecoder":
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def detect_dialect(text_sample: str) -> type[csv.Dialect] | csv.Dialect:
    """The CSV dialect of a text sample (delimiter among , ; tab |)."""
    lines = text_sample.splitlines()
    if len(lines) > 1 and not text_sample.endswith(("\n", "\r")):
        text_sample = "\n".join(lines[:-1])  # drop a line cut in the middle
    try:
        sniffed = csv.Sniffer().sniff(text_sample, delimiters=",;\t|")
    except csv.Error:
        header = lines[0] if lines else ""
        counts = {d: header.count(d) for d in ",;\t|"}
        best = max(counts, key=counts.get)

        class Fallback(csv.excel):
            delimiter = best if counts[best] else ","

        return Fallback
    if sniffed.quotechar == "'" and _apostrophes_mark_text(text_sample, sniffed.delimiter):

        class Marked(sniffed):
            quotechar = '"'
            doublequote = True

        return Marked
    return sniffed


def _apostrophes_mark_text(text_sample: str, delimiter: str) -> bool:
    """True when the apostrophes csv.Sniffer took for quotes are spreadsheets' marks of
    text before codes ('02108, '+39333...: Shopify's): read with double quotes, every row
    has the header's number of columns and no cell is wrapped in apostrophes."""
    try:
        rows = [r for r in csv.reader(io.StringIO(text_sample), delimiter=delimiter) if r]
    except csv.Error:
        return False
    wrapped = any(len(c) > 1 and c[0] == c[-1] == "'" for r in rows for c in r)
    return len({len(r) for r in rows}) == 1 and not wrapped


# Excel's first line naming the delimiter of a CSV file it wrote ("sep=;").
_SEPARATOR_LINE = re.compile(r'"?sep=([^\r\n"]?)"?[,;\t|]*\r?(?:\n|$)', re.IGNORECASE)


def csv_layout(text_sample: str) -> tuple[type[csv.Dialect] | csv.Dialect, int]:
    """The CSV dialect of a text sample and the number of lines before the header row.

    A first line "sep=;" (Excel's) names the delimiter and is not the header.
    """
    hint = _SEPARATOR_LINE.match(text_sample)
    if hint and hint.group(1):

        class Stated(csv.excel):
            delimiter = hint.group(1)

        return Stated, 1
    skip = _preamble_lines(text_sample)
    if skip:
        rest = "".join(text_sample.splitlines(keepends=True)[skip:])
        return detect_dialect(rest), skip
    return detect_dialect(text_sample), 0


# Lines of notes a file may put above its header (LinkedIn's Connections.csv: "Notes:", a
# paragraph about missing emails, an empty line), looked for in the first lines only.
_PREAMBLE_LINES = 10


def _preamble_lines(text_sample: str) -> int:
    """How many lines of notes stand above the header row: 0 when the first line is a
    header that names who a row is (a name, an email, a phone) or when no later line of
    the first few is one; else the number of lines before the first that is."""
    lines = text_sample.splitlines()[: _PREAMBLE_LINES + 1]
    for number, line in enumerate(lines):
        if _names_a_person(line):
            return number
    return 0


def _names_a_person(line: str) -> bool:
    """Whether a line, split at its likeliest delimiter, is a header with two columns or
    more of which one names who a row is (first or last name, full name, email, phone)."""
    best: list[str] = []
    for delimiter in ",;\t|":
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(cells) > len(best):
            best = cells
    if len(best) < 2 or any(len(cell) > 100 for cell in best):
        return False
    fields = {interpret_header(cell.strip())[0] for cell in best if cell.strip()}
    return bool(fields & _IDENTITY_FIELDS)


@lru_cache(maxsize=4096)
def header_key(header: str) -> str:
    """Compare headers ignoring case, accents, punctuation and underscores."""
    return " ".join(fold(header).replace("_", " ").split())


@lru_cache(maxsize=1)
def _synonym_lookup() -> dict[str, str]:
    """Folded synonym -> canonical field, built once (JSON Lines map headers per line)."""
    lookup = {header_key(s): canonical for canonical, names in SYNONYMS.items() for s in names}
    lookup.update({header_key(c): c for c in SYNONYMS})
    return lookup


def detect_format(headers: list[str]) -> str:
    """'hubspot', 'mailchimp' or 'csv' from a file's headers."""
    folded = {header_key(h) for h in headers}
    if sum(marker in folded for marker in HUBSPOT_MARKERS) >= 2:
        return "hubspot"
    if sum(marker in folded for marker in MAILCHIMP_MARKERS) >= 2:
        return "mailchimp"
    return "csv"


# Fields that take every column mapped onto them (in file order; the first is primary).
LIST_FIELDS = frozenset({"email", "phone", "tags"})
# Consent statements that take every column naming them, "; " apart, read together
# (rows.consent_from_columns): Brevo's OPT_IN beside its DOUBLE_OPT-IN, Klaviyo's
# "Accepts Marketing" beside its "Email Marketing Consent".
CONSENT_FIELDS = frozenset(
    {"email_opt_in", "email_opt_out", "sms_opt_in", "sms_opt_out", "profiling_opt_in"}
)
# A number a spreadsheet wrote in scientific notation ("3,47123E+09", "3.47E+09"): the
# digits past the ones shown are lost. Mapping.values puts a phone cell written so under
# LOST_PHONES as (header, cell) for rows.normalise_row to report.
SCIENTIFIC_NUMBER = re.compile(r"\d+(?:[.,]\d+)?[eE]\+?\d{1,2}")
LOST_PHONES = "lost_phones"
# Why a value reached no field (RowValues.left_out): nothing is left out without a word.
OTHER_ADDRESS = "differs from the address the row takes; kept in the raw record only"
UNKNOWN_KEY = "not a known field; kept in the raw record only"
# Fields of one postal address: a file with several addresses (home, business, ...) gives
# each row the first one it has, whole, never a street from one and a city from another.
ADDRESS_FIELDS = frozenset(
    {"address", "address_line_2", "street_number", "postcode", "city", "state", "country"}
)

# Reading headers that are no synonym: other tools qualify a field with the address or
# the record it belongs to ("Business City", "Person - Email - Work", "Address 1 - City",
# "billing_first_name", "Indirizzo di residenza"), number repeated columns ("E-mail 2 -
# Value", "Phone 3") and add words ("Province Code", "Organization Name").
_GROUP_WORDS = frozenset(
    "home business work office mailing billing shipping delivery other default primary main "
    "personal private postal residential res current permanent registered legal "
    "residenza domicilio fatturazione spedizione consegna aziendale personale ufficio casa "
    "lavoro abitazione altro altra uff ab postale principale "  # Outlook: "Via (uff.)", "(ab.)"
    # Outlook in German ("Ort geschäftlich", "Weitere Straße"), French ("Ville (bureau)",
    # "Téléphone professionnel"), Spanish ("Calle del trabajo", "Teléfono particular").
    "geschaftlich privat weitere weiterer weiteres bureau domicile autre professionnel "
    "professionnelle prive privee personnel personnelle principal trabajo oficina particular "
    "residencia otra otro".split()
)
# One group's words in their other genders and numbers ("Rue professionnelle", "Code postal
# professionnel"; "Weitere Straße", "Weiterer Ort"): one address.
_SAME_GROUP = {
    "professionnelle": "professionnel",
    "privee": "prive",
    "personnelle": "personnel",
    "weiterer": "weitere",
    "weiteres": "weitere",
    "otra": "otro",
    "altra": "altro",
}
# Groups that say "another one": another email or address of the person is theirs, "Altro
# nome" (another name, a nickname) is no name of theirs to take.
_OTHER_GROUPS = frozenset("other altro altra weitere weiterer weiteres autre otro otra".split())
# Words between a field and its group ("Calle del trabajo", "Ciudad de residencia").
_GROUP_LINKS = frozenset("di del della de du des".split())
# The record a column belongs to, when it is the row's person ("Attendee Email").
_ENTITY_WORDS = frozenset(
    "person contact customer client cliente attendee member subscriber lead recipient "
    "participant partecipante guest persona contatto iscritto ospite".split()
)
# Words of a form's question around the field it asks for ("Qual è la tua email?", "E il
# tuo cognome?", "What's your name?", CF7's "your-email"): taken off its start.
_QUESTION_WORDS = frozenset(
    "your you my and what s is qual quale e ed il lo la l i gli le tuo tua tuoi tue "
    "vostro vostra please enter inserisci indica scrivi".split()
)
_QUALIFIERS = frozenset(
    "value values number no nr num code name desc mobile cell cellulare fisso mobil movil "
    "portable".split()
)
# Words before a phone or a house number that say "number of" ("N. cellulare"): not
# before anything else ("N. tessera", "No Email").
_NUMBER_WORDS = frozenset("n nr num numero".split())
# Another email or phone of the person's ("Secondary Email", "Telefono alternativo"); not
# another name ("Additional Name" is Google's middle name).
_ANOTHER_WORDS = frozenset(
    "secondary alternate alternative additional secondaria secondario alternativa "
    "alternativo".split()
)
# Columns about something other than the person's own details.
_IGNORED_WORDS = frozenset(
    "label type fax pager telex callback radio tty tdd yomi phonetic formatted".split()
)
# Columns about another person than the row's: a user of the CRM (the owner), someone
# close to the person, who referred them. Never the person's own email, phone or name.
_OTHER_PERSON_WORDS = frozenset(
    "owner assistant manager spouse partner emergency guardian parent referrer referred "
    "ordered proprietario coniuge genitore tutore assistent".split()
)
# Who bought for others (Eventbrite's "Buyer Email" beside each attendee's own): their
# columns are the row's person only in a file that names nobody else (an orders export).
_PURCHASER_WORDS = frozenset("buyer purchaser orderer acquirente".split())
# Words that join a purchaser's to the field ("Email of buyer", "Email dell'acquirente").
_LINKING_WORDS = frozenset("of by di del dell della dello".split())
# The fields that say who a row's person is.
_IDENTITY_FIELDS = frozenset({"first_name", "last_name", "full_name", "email", "phone"})
# Headers that are a job title beside a salutation column, and a salutation otherwise
# (Salesforce's and Zoho's "Title" beside "Salutation"; Outlook's "Title" is "Mr.").
_TITLE_HEADERS = frozenset({"title", "titolo"})
_SALUTATION_HEADERS = frozenset(
    {"salutation", "name prefix", "prefix", "anrede", "civilite", "saluto", "appellativo"}
    | {"formula di saluto"}  # Salesforce in Italian
)
# Italian headers that name the given name alone: a bare "Nome" beside one is the full name.
_GIVEN_NAME_HEADERS = ("nome di battesimo", "nome proprio")
_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])")
# What a header qualified by _NUMBER_WORDS or _ANOTHER_WORDS may be.
_NUMBERED = frozenset({"phone", "street_number"})
_MORE = frozenset({"email", "phone"})


@lru_cache(maxsize=4096)
def interpret_header(header: str) -> tuple[str, str]:
    """(canonical field or "", address group) for a header.

    A synonym first; otherwise the header is read by taking off, one at a time, the words
    other tools put around a field, until what is left is a synonym. The group is the
    address the column belongs to ("home", "business", "address 1"; "" for none). A column
    about another person than the row's ("Buyer Email", "Contact owner") is read as none
    (see map_headers for a file of purchasers only).
    """
    lookup = _synonym_lookup()
    key = header_key(header)
    if key in lookup:
        return lookup[key], ""
    if header.rstrip().endswith("#") and lookup.get(f"{key} number") == "external_id":
        return "external_id", ""  # Eventbrite's "Attendee #": the attendee's number
    key = _LETTER_DIGIT.sub(" ", key)
    tokens = key.split()
    if len(tokens) == 2 and tokens[0] in _ENTITY_WORDS and tokens[1] in ("label", "labels"):
        # The person's own labels (Pipedrive's "Person - Labels": "Hot lead"), not the
        # label of one of their emails or phones (Google's "E-mail 1 - Label").
        return "tags", ""
    if not tokens or any(
        t.rstrip("s") in _IGNORED_WORDS
        or t.rstrip("s") in _OTHER_PERSON_WORDS
        or t.rstrip("s") in _PURCHASER_WORDS
        for t in tokens
    ):
        return "", ""
    group = ""
    only: frozenset[str] | None = None  # the fields the words taken off allow
    while tokens:
        joined = " ".join(tokens)
        if joined in lookup:
            field = lookup[joined]
            if only is not None and field not in only:
                return "", ""
            if group in _OTHER_GROUPS and field not in ADDRESS_FIELDS | LIST_FIELDS:
                return "", ""  # "Altro nome", "Other name": not the person's name
            return field, _SAME_GROUP.get(group, group) if field in ADDRESS_FIELDS else ""
        head, tail = tokens[0], tokens[-1]
        if len(tokens) > 1 and head in _ENTITY_WORDS:
            tokens = tokens[1:]
        elif len(tokens) == 2 and head == "id" and tail in _ENTITY_WORDS:
            tokens = ["id"]  # "ID lead", "ID contatto": the record's id
        elif len(tokens) > 1 and head in _NUMBER_WORDS:
            only = _NUMBERED if only is None else only & _NUMBERED
            tokens = tokens[2:] if tokens[1] in _LINKING_WORDS and len(tokens) > 2 else tokens[1:]
        elif len(tokens) > 1 and (head in _ANOTHER_WORDS or tail in _ANOTHER_WORDS):
            only = _MORE if only is None else only & _MORE
            tokens = tokens[1:] if head in _ANOTHER_WORDS else tokens[:-1]
        elif len(tokens) > 1 and head in _GROUP_WORDS:
            group, tokens = group or head, tokens[1:]
        elif len(tokens) > 2 and tokens[-2] in _GROUP_LINKS and tail in _GROUP_WORDS:
            group, tokens = group or tail, tokens[:-2]
        elif len(tokens) > 2 and tokens[-2] in _GROUP_WORDS and tail.isdigit():
            # Outlook in German and French numbers a group's lines after the group:
            # "Straße geschäftlich 2", "Rue (bureau) 2" (a street's second line).
            group, tokens = group or tokens[-2], [*tokens[:-2], tail]
        elif len(tokens) > 1 and tail in _GROUP_WORDS:
            group, tokens = group or tail, tokens[:-1]
        elif len(tokens) > 2 and head in ("address", "indirizzo") and tokens[1].isdigit():
            group, tokens = group or f"address {tokens[1]}", tokens[2:]
        elif len(tokens) > 1 and head in ("address", "indirizzo"):
            tokens = tokens[1:]
        elif len(tokens) > 1 and head in _QUESTION_WORDS and tokens[:2] != ["e", "mail"]:
            tokens = tokens[1:]
        elif len(tokens) > 1 and tail in _QUALIFIERS and tokens[:-1] != ["id"]:
            tokens = tokens[:-1]
        elif any(t.isdigit() for t in tokens) and not all(t.isdigit() for t in tokens):
            tokens = [t for t in tokens if not t.isdigit()]
        else:
            break
    if (bare := _ASIDES.sub(" ", header)) != header and bare.strip():
        # An aside the header adds: a format ("Data di nascita (gg/mm/aaaa)"), whose the
        # value is ("Indirizzo e-mail (privato)"), that it is required ("Email *").
        found = interpret_header(bare)
        if found[0]:
            return found
    if found := _one_of_alternatives(header):
        return found
    return _consent_question(_LETTER_DIGIT.sub(" ", header_key(_first_clause(header))).split()), ""


# What a header says in brackets, and a required field's asterisk.
_ASIDES = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\*")

# Words written as alternatives ("City/town/village/locality", "ZIP/Postal code",
# "Town/City", "State/county"): Pipedrive's address parts and many a form's.
_ALTERNATIVES = re.compile(r"[^\s/]+(?:\s*/\s*[^\s/]+)+")


# A company's tax identifiers (folded): never a person's tax id, which the CRM matches on
# (two colleagues with their company's VAT number are not one person).
_COMPANY_IDS = frozenset(
    {"partita iva", "p iva", "piva", "vat", "vat number", "vat id", "vat no", "ust idnr"}
)


# Words of a column that is not the person's own detail (see interpret_header).
_NOT_THE_PERSONS = _IGNORED_WORDS | _OTHER_PERSON_WORDS | _PURCHASER_WORDS


def _one_of_alternatives(header: str) -> tuple[str, str] | None:
    """The field of a header written with alternatives, when the alternatives read as one
    field and no other ("Person - Postal address - City/town/village/locality" is the
    city: "City" is, and the other words are nothing or the city too); None otherwise
    ("Email/Phone" names two fields, so neither)."""
    match = _ALTERNATIVES.search(header)
    if match is None:
        return None
    start, end = match.span()
    found = set()
    for word in re.split(r"\s*/\s*", match.group()):
        readings = (word, f"{word}{header[end:]}", f"{header[:start]}{word}")
        if any(header_key(text) in _COMPANY_IDS for text in readings):
            return None  # "CF/P.IVA": a person's tax id or a company's VAT number
        if any(t.rstrip("s") in _NOT_THE_PERSONS for t in header_key(word).split()):
            return None  # "Phone/Fax", "Email/Owner": the cell may hold the other one
        field, group = interpret_header(f"{header[:start]}{word}{header[end:]}")
        if field:
            found.add((field, group))
    return found.pop() if len(found) == 1 else None


# A header phrased as a form's consent question ("Acconsento a ricevere comunicazioni
# commerciali via email", CF7's "acceptance-marketing"): a consent word and a word naming
# marketing (a consent to "trattamento dei dati" alone is for the service, not marketing).
_CONSENT_WORDS = frozenset(
    "acconsento consento consenso consent consents accetto accetta accept accepts acceptance "
    "agree autorizzo authorise authorize desidero voglio want wish iscrivimi subscribe "
    "ricevere receive".split()
)
_MARKETING_WORDS = frozenset(
    "marketing commerciali commerciale newsletter promozionali promozionale promozioni "
    "promotional promotions offerte offers".split()
)
# Eventbrite's "Keep me updated on more events and news from this organizer".
_KEEP_UPDATED = ("keep me updated", "tienimi aggiornato", "tieni aggiornato", "tenetemi aggiornato")
# An order's columns beside its attendees' own: the buyer's email, and the buyer's answer
# to a question asked once per order (Eventbrite's "Keep me updated"), which is an
# attendee's consent only where the attendee is the buyer (rows.consents_from_columns).
ORDER_FIELDS = ("buyer_email", "buyer_first_name", "buyer_last_name", "buyer_opt_in")
_BUYER_FIELDS = {"email": "buyer_email", "first_name": "buyer_first_name",
                 "last_name": "buyer_last_name"}  # fmt: skip
# A consent for another purpose than marketing by email: by phone, to third parties, for
# profiling (left unmapped: the raw payload keeps it).
_OTHER_PURPOSE_WORDS = frozenset(
    "terzi terze third partner partners profilazione profiling telefono telefonico "
    "telefoniche telephone phone chiamate calls whatsapp posta postal".split()
)
_NEGATION_WORDS = frozenset("non not don never".split())
# Words that make a consent question its withdrawal ("Revoca consenso marketing",
# "Consenso marketing revocato", "I withdraw my consent to marketing").
_WITHDRAWAL_WORDS = frozenset(
    "revoca revocato revocata revoke revoked revocation withdraw withdrawn withdrawal "
    "ritiro ritirato unsubscribe unsubscribed disiscrizione disiscritto cancellazione "
    "rinuncia".split()
)

# Words of a column about a consent, not stating one ("Newsletter unsubscribe reason").
_ABOUT_WORDS = frozenset("reason reasons motivo motivazione campaign campagna link url".split())

# Where a consent question's own clause ends: what follows is an aside ("(non
# obbligatorio)", "You can unsubscribe at any time"), not the question.
_CLAUSE_END = re.compile(r"[(\[]|[.!?;:](?:\s|$)")


def _first_clause(header: str) -> str:
    """The header up to its first aside or sentence end ('I agree to marketing emails. You
    can unsubscribe at any time' -> 'I agree to marketing emails')."""
    return _CLAUSE_END.split(header, maxsplit=1)[0] or header


def _consent_question(tokens: list[str]) -> str:
    """email_opt_in (or _opt_out, _consent_time; sms_... for SMS) for a header phrased as
    a consent to marketing; "" for any other."""
    words = set(tokens)
    text = " ".join(tokens)
    asked = words & (_CONSENT_WORDS | _WITHDRAWAL_WORDS) and words & _MARKETING_WORDS
    if not (asked or any(phrase in text for phrase in _KEEP_UPDATED)) or words & _ABOUT_WORDS:
        return ""
    sms = "sms" in words
    if "posta elettronica" in text:  # e-mail, in Italian: not the post
        words = (words - {"posta", "elettronica"}) | {"email"}
    if words & _OTHER_PURPOSE_WORDS or (sms and ("email" in words or "mail" in words)):
        return ""
    kind = "sms" if sms else "email"
    withdrawn = words & _NEGATION_WORDS or words & _WITHDRAWAL_WORDS
    if withdrawn:
        return f"{kind}_opt_out"  # its date, if it is one, is the withdrawal's
    if tokens[0] in ("data", "date", "ora") or words & {"timestamp", "date", "time"}:
        return f"{kind}_consent_time"
    return f"{kind}_opt_in"


# The name distinct_headers gives a repeated header's second column and the next ones.
_REPEATED = re.compile(r"(.*) \((\d+)\)", re.DOTALL)


def distinct_headers(headers: list[str]) -> list[str]:
    """The headers with a repeated one's later columns numbered ("Email", "Email (2)"),
    never as another column of the file is named.

    Rows are read as dicts by header: two columns of one name would keep the second's
    values only, in the row, the mapping, the preview and the raw payload alike.
    """
    taken = set(headers)
    last: dict[str, int] = {}
    names = []
    for header in headers:
        if header not in last:
            last[header] = 1
            names.append(header)
            continue
        number = last[header] + 1
        while (name := f"{header} ({number})".strip()) in taken:
            number += 1
        last[header] = number
        taken.add(name)
        names.append(name)
    return names


def repeated_headers(headers: list[str], names: list[str]) -> dict[str, list[str]]:
    """A header several columns have -> the names distinct_headers gave them."""
    columns: dict[str, list[str]] = {}
    for header, name in zip(headers, names, strict=True):
        columns.setdefault(header, []).append(name)
    return {header: found for header, found in columns.items() if len(found) > 1}


def read_header(header: str) -> tuple[str, str]:
    """(canonical field or "", address group) for a header (interpret_header), a repeated
    one's later column read as its first: "Address (2)" is a second "Address", not
    "Address 2" (a line 2), and "Business Name (2)" no person's name."""
    copy = _REPEATED.fullmatch(header)
    if copy and (first := interpret_header(copy.group(1)))[0]:
        return first
    return interpret_header(header)


def named_headers(headers: list[str]) -> list[str]:
    """A header row's names for its columns: blank headers named (blank_headers_named),
    then repeated ones told apart (distinct_headers)."""
    return distinct_headers(blank_headers_named(headers))


def blank_headers_named(headers: list[str]) -> list[str]:
    """The headers with each blank one before the last named one given a name, so that
    its values are read or, at least, named wherever the file's columns are listed.

    A blank header beside an email, phone or tags column is that column's again: a
    spreadsheet's header cell merged over two columns ("Telefoni" above a mobile and a
    landline) names the second only in the first. Any other blank header before the last
    named one is named by the column's letter, as the spreadsheet shows it ("(column
    D)"); those after it stay blank (a trailing delimiter: cells nobody headed).
    """
    last = max((i for i, header in enumerate(headers) if header.strip()), default=-1)
    names, left = [], ""
    for i, header in enumerate(headers):
        if header.strip():
            left = header
        elif left and read_header(left)[0] in LIST_FIELDS:
            header = left
        elif i < last:
            header = f"(column {get_column_letter(i + 1)})"
        names.append(header)
    return names


def _mapped(headers: list[str], fmt: str, overrides: dict[str, str] | None) -> Mapping:
    """map_headers over a file's header row, its columns named (named_headers)."""
    names = named_headers(headers)
    mapping = map_headers(names, fmt, overrides)
    mapping.headers = names
    mapping.repeated = {
        header: columns
        for header, columns in repeated_headers(blank_headers_named(headers), names).items()
        if header.strip()
    }
    return mapping


def _other_persons_header(header: str, words: frozenset[str]) -> tuple[str, str]:
    """(canonical field or "", address group) of a column about another person than the
    row's ("Buyer Email", or with words=_OTHER_PERSON_WORDS "Owner Phone" -> email,
    phone), read as the same header without the word that names them; ("", "") for any
    other."""
    tokens = _LETTER_DIGIT.sub(" ", header_key(header)).split()
    if not any(t.rstrip("s") in words for t in tokens):
        return "", ""
    rest = [t for t in tokens if t.rstrip("s") not in words]
    while rest and rest[-1] in _LINKING_WORDS:  # "Email of buyer", "Email dell'acquirente"
        rest.pop()
    return interpret_header(" ".join(rest)) if rest else ("", "")


def _order_consent(readings: list[list], chosen: set[str]) -> None:
    """In a file of attendees with their order's buyer ("Buyer Email", "Buyer First
    Name"), read a "Keep me updated" opt-in as the buyer's (buyer_opt_in), with the
    buyer's email and names (ORDER_FIELDS): Eventbrite asks it once per order and repeats
    the answer on every attendee's row."""
    keep = [
        r
        for r in readings
        if r[1] == "email_opt_in"
        and r[0] not in chosen
        and any(phrase in _LETTER_DIGIT.sub(" ", header_key(r[0])) for phrase in _KEEP_UPDATED)
    ]
    buyer: dict[str, list] = {}
    for reading in readings:
        if not reading[1] and reading[0] not in chosen:
            field = _other_persons_header(reading[0], _PURCHASER_WORDS)[0]
            if field in _BUYER_FIELDS:
                buyer.setdefault(_BUYER_FIELDS[field], reading)
    if keep and buyer:
        # Without the buyer's columns, no row could tell whether its person is the buyer.
        for reading in keep:
            reading[1:3] = "buyer_opt_in", ""
        for field, reading in buyer.items():
            reading[1:3] = field, ""


def _lead_status(readings: list[list], chosen: set[str]) -> None:
    """Read a lead status column as the stage where no lifecycle stage stands beside it.

    Beside a lifecycle stage (HubSpot's two properties) it stays the lead status, the
    stage of the rows whose lifecycle cell is empty (rows.normalise_row); beside a file's
    own "Stage" it is that column's rival and left out; alone, it is the stage.
    """
    lifecycle = any(r[1] == "stage" and header_key(r[0]) in PREFERRED_HEADERS for r in readings)
    if lifecycle:
        return
    for reading in readings:
        if reading[1] == "lead_status" and reading[0] not in chosen:
            reading[1] = "stage"


def _whole_address_last(readings: list[list], chosen: set[str]) -> None:
    """Rank an address written whole after the street of its parts: where a group has a
    house number column, a bare "Address" of that group (Pipedrive's "Postal address",
    beside its "Street/road name" and "House number") is the formatted address, street,
    town and all, and the street column is the one to join the number to."""
    numbered = {r[2] for r in readings if r[1] == "street_number"}
    streets = [r for r in readings if r[1] == "address" and r[2] in numbered]
    for reading in streets:
        bare = header_key(reading[0]).split()[-1] in ("address", "indirizzo")
        others = [o for o in streets if o is not reading and o[2] == reading[2]]
        if bare and reading[0] not in chosen and others:
            reading[3] = 3


def _readings(
    headers: list[str], fmt: str, overrides: dict[str, str] | None
) -> list[tuple[str, str, str, int]]:
    """(header, field or "", address group, rank) of each header as map_headers reads it:
    the rank says which column of a field wins it (the lowest; the first of equals)."""
    extra = {"hubspot": HUBSPOT_EXTRA, "mailchimp": MAILCHIMP_EXTRA}.get(fmt, {})
    ignored = FORMAT_IGNORED.get(fmt, frozenset())
    keys = [header_key(h) for h in headers]
    readings = []
    for header, key in zip(headers, keys, strict=True):
        target, group = read_header(header)
        rank = 2
        if overrides and header in overrides:
            target, rank = overrides[header], 0  # the person importing chose it
        elif key in extra:
            target, group = extra[key], ""
        elif key in ignored:
            target, group = "", ""
        elif key in PREFERRED_HEADERS:
            rank = 1
        elif key in FALLBACK_HEADERS:
            rank = 3
        readings.append([header, target, group, rank])
    if fmt == "jsonl":
        # Lines differ in their keys, and the preview maps each key alone: a key reads the
        # same whatever keys stand beside it.
        return [tuple(r) for r in readings]
    chosen = {h for h in headers if overrides and h in overrides}
    _lead_status(readings, chosen)
    fields = {r[1] for r in readings}
    if "job_title" not in fields and _SALUTATION_HEADERS & set(keys):
        for reading, key in zip(readings, keys, strict=True):
            if key in _TITLE_HEADERS and reading[0] not in chosen:
                reading[1:3] = "job_title", ""
    firsts = [r for r in readings if r[1] == "first_name" and r[0] not in chosen]
    if len(firsts) > 1 and "full_name" not in fields:
        # Pipedrive in Italian: "Persona - Nome" is the full name beside "Persona - Nome di
        # battesimo" (as its English "Name" beside "First name").
        bare = [r for r in firsts if header_key(r[0]).split()[-1] == "nome"]
        given = [r for r in firsts if header_key(r[0]).endswith(_GIVEN_NAME_HEADERS)]
        if bare and given:
            for reading in bare[:1]:
                reading[1] = "full_name"
    _whole_address_last(readings, chosen)
    if fields & _IDENTITY_FIELDS:
        _order_consent(readings, chosen)
        return [tuple(r) for r in readings]
    # Nobody but a purchaser (else one other person: an owner, a parent) is named: each
    # row is that person (an orders export, a register of shop owners or of pupils'
    # parents). Of several others (an owner and a manager), the one most columns name.
    free = [r for r in readings if not r[1] and r[0] not in chosen]
    choices = [_PURCHASER_WORDS, *(frozenset({w}) for w in sorted(_OTHER_PERSON_WORDS))]
    best, best_count = None, 0
    for words in choices:
        found = [_other_persons_header(r[0], words) for r in free]
        count = sum(1 for field, _group in found if field in _IDENTITY_FIELDS)
        if count > best_count:
            best, best_count = found, count
        if words is _PURCHASER_WORDS and count:
            break  # a purchaser before anyone else
    for reading, read in zip(free, best or [], strict=False):
        reading[1:3] = read
    return [tuple(r) for r in readings]


def map_headers(
    headers: list[str], fmt: str = "csv", overrides: dict[str, str] | None = None
) -> Mapping:
    """Map headers onto canonical fields; overrides (header -> field or "") win.

    Emails, phones, tags and consents (CONSENT_FIELDS) take every column that names them;
    an address field takes one
    column per address group; any other field the column the person importing chose,
    else its own (PREFERRED_HEADERS: "Lifecycle Stage" before "Stage"), else the first.
    Columns about another person than the row's stay unmapped (see _OTHER_PERSON_WORDS,
    _PURCHASER_WORDS).
    """
    mapping = Mapping(format=fmt)
    readings = _readings(headers, fmt, overrides)
    winners: dict[tuple[str, str], tuple[int, str]] = {}  # claim -> (rank, its header)
    for header, target, group, rank in readings:
        claim = (target, group if target in ADDRESS_FIELDS else "")
        several = target in LIST_FIELDS or target in CONSENT_FIELDS
        if target and not several and rank < winners.get(claim, (4, ""))[0]:
            winners[claim] = (rank, header)
    for header, target, group, _rank in readings:
        claim = (target, group if target in ADDRESS_FIELDS else "")
        if target and (target in LIST_FIELDS | CONSENT_FIELDS or winners[claim][1] == header):
            mapping.columns[header] = target
            if target in ADDRESS_FIELDS:
                mapping.groups[header] = group
            if target == "full_name":
                mapping.surname_first = header_key(header) in SURNAME_FIRST_HEADERS
        else:
            mapping.unmapped.append(header)
            if target:
                mapping.rivals[header] = winners[claim][1]
    _lead_form_time(mapping, headers, overrides or {})
    return mapping


# Facebook's and Instagram's lead forms: a "created_time" beside the form's id or name is
# when the lead sent the form (elsewhere a "Created Time" is when a record was made).
_LEAD_FORM_HEADERS = frozenset({"form id", "form name"})


def _lead_form_time(mapping: Mapping, headers: list[str], overrides: dict[str, str]) -> None:
    """Map a lead form export's "created_time" to submitted_at (see _LEAD_FORM_HEADERS)."""
    keys = {header_key(h): h for h in headers}
    created = keys.get("created time")
    if (
        created is None
        or created in overrides
        or "submitted_at" in mapping.columns.values()
        or not _LEAD_FORM_HEADERS & set(keys)
    ):
        return
    mapping.columns[created] = "submitted_at"
    if created in mapping.unmapped:
        mapping.unmapped.remove(created)


# Rows read when a file is opened whose values tell what some columns hold (see _settle).
VALUE_SAMPLE_ROWS = 20
# Headers whose column is read by its values: a bare status (a subscription state, or an
# order's), a "Stato" (a country, or a status), a "Title" with no salutation column (a job
# title, or "Mr"), an "Account" (ActiveCampaign's company, or a login).
_STATUS_HEADERS = frozenset({"status", "stato"})
_ACCOUNT_HEADERS = frozenset({"account"})
# Headers that name a country or a town: Italian "Paese" is both.
_TOWN_OR_COUNTRY = frozenset({"paese"})
# The words of a subscription state (folded): one of the first set must appear, and
# nothing else, for a status column to be read as one.
_SUBSCRIPTION_WORDS = frozenset(
    "subscribed unsubscribed bounced cleaned iscritto disiscritto".split()
    + ["opted in", "opted out", "non iscritto", "hard bounce"]
)
_STATE_WORDS = _SUBSCRIPTION_WORDS | {"active", "unconfirmed", "pending", "attivo", "in attesa"}


class _Settled:
    """Rows of a file whose first rows were read to settle its mapping (see _settle)."""

    def __init__(self, first: list[Row], rest: Iterator[Row]) -> None:
        self._first, self._rest = iter(first), rest

    def __iter__(self) -> "_Settled":
        return self

    def __next__(self) -> Row:
        return next(self._first, None) or next(self._rest)

    def close(self) -> None:
        """Close the rows not read (a workbook's file goes with them)."""
        if hasattr(self._rest, "close"):
            self._rest.close()


def _settled(mapping: Mapping, rows: Iterator[Row], overrides) -> _Settled:
    """The rows of a file after its first VALUE_SAMPLE_ROWS settled the mapping of the
    columns whose header alone does not say what they hold (_settle); those rows are
    mapped again."""
    first = list(islice(rows, VALUE_SAMPLE_ROWS))
    sample = [row for row in first if not row.error]
    if _settle(mapping, sample, overrides or {}):
        for row in sample:
            row.values = mapping.values(row.raw)
    return _Settled(first, rows)


def _column_values(rows: list[Row], header: str) -> list[str]:
    """The non-empty cells of a column in rows."""
    cells = (row.raw.get(header) for row in rows)
    return [cell.strip() for cell in cells if isinstance(cell, str) and cell.strip()]


def _remap(mapping: Mapping, header: str, target: str) -> None:
    """Give a column another field ("" for none), keeping the file's column order."""
    columns = {h: t for h, t in mapping.columns.items() if h != header}
    if target:
        columns[header] = target
    mapping.columns = {h: columns[h] for h in mapping.headers if h in columns}
    mapping.unmapped = [h for h in mapping.headers if h not in mapping.columns]
    mapping.rivals.pop(header, None)
    mapping.settled[header] = target
    if mapping.groups.pop(header, None) is not None:
        for cached in ("several_addresses", "plain_completes"):  # worked out again
            mapping.__dict__.pop(cached, None)


def _settle(mapping: Mapping, rows: list[Row], overrides: dict[str, str]) -> bool:
    """Map the columns whose values say what they hold; True if any changed. Columns the
    person importing mapped are left as chosen.

    A bare "Status" or "Stato" whose cells are words of a subscription state
    (ActiveCampaign's Unsubscribed, Bounced) is one; a "Stato" whose cells are no
    countries is not the country; a "Paese" whose cells are no countries is the town.
    A "Title" beside no job title whose cells are no
    salutations ("Sig.", "Mr") is the job title. An "Account" beside no company whose
    cells read as organisations' names is the company (ActiveCampaign's). A first-name
    column with no last-name or full-name column whose cells are mostly two words or more
    (not all given names: "Maria Grazia") holds full names (WooCommerce's "Nome"); a
    full-name column beside a last-name column and no first-name one whose cells are
    mostly not so holds first names (MailerLite's "name" beside "last_name").
    """
    changed = False
    fields = set(mapping.columns.values())
    for header in mapping.headers:
        if header in overrides:
            continue
        key, target = header_key(header), mapping.columns.get(header, "")
        cells = _column_values(rows, header)
        new = target
        if key in _STATUS_HEADERS and cells:
            folded = {fold(c) for c in cells}
            if folded & _SUBSCRIPTION_WORDS and folded <= _STATE_WORDS:
                new = "subscription_status"
            elif target == "country" and not _mostly(cells, _is_country):
                new = ""
        elif key in _TOWN_OR_COUNTRY and target == "country" and cells:
            if not _mostly(cells, _is_country):
                new = "city" if "city" not in fields else ""
        elif key in _TITLE_HEADERS and not target and "job_title" not in fields and cells:
            if not any(_is_salutation(c) for c in cells):
                new = "job_title"
        elif key in _ACCOUNT_HEADERS and not target and "company" not in fields and cells:
            if all(_is_organisation(c) for c in cells):
                new = "company"
        if new != target and (new == "" or new not in fields or new in CONSENT_FIELDS):
            _remap(mapping, header, new)
            fields = set(mapping.columns.values())
            changed = True
    firsts = [h for h, t in mapping.columns.items() if t == "first_name" and h not in overrides]
    if len(firsts) == 1 and not fields & {"last_name", "full_name"}:
        cells = _column_values(rows, firsts[0])
        if cells and _mostly(cells, _is_full_name):
            _remap(mapping, firsts[0], "full_name")
            changed = True
    wholes = [h for h, t in mapping.columns.items() if t == "full_name" and h not in overrides]
    if len(wholes) == 1 and "last_name" in fields and "first_name" not in fields:
        # MailerLite's "name" beside its "last_name": the given name, not a whole one.
        cells = _column_values(rows, wholes[0])
        if cells and not _mostly(cells, _is_full_name):
            _remap(mapping, wholes[0], "first_name")
            changed = True
    return changed


def _mostly(cells: list[str], test) -> bool:
    """True when more than half of the cells pass test."""
    return 2 * sum(1 for c in cells if test(c)) > len(cells)


def _is_country(cell: str) -> bool:
    """A country's code or name."""
    try:
        return normalise_country(cell) is not None
    except ValueError:
        return False


def _is_salutation(cell: str) -> bool:
    """A title before a name ("Sig.ra", "Dott.", "Mr"), not a job title."""
    return strip_titles(f"{cell} X") == "X"


_LOGIN = re.compile(r"[a-z0-9._\-]+")


def _is_organisation(cell: str) -> bool:
    """A cell that reads as an organisation's name ("Valli Moda", "ACME"), not an
    address, a number or a login ("mrossi", "m.rossi_1")."""
    return "@" not in cell and not _LOGIN.fullmatch(cell) and any(c.isalpha() for c in cell)


def _is_full_name(cell: str) -> bool:
    """Two words or more, not all of them given names ("Giuseppe Russo", not "Maria Grazia")."""
    words = strip_titles(" ".join(cell.split())).split(" ")
    return len(words) > 1 and not all(fold(w).replace(" ", "") in GIVEN_NAMES for w in words)


# Files people pick by mistake, recognised by their first bytes.
_NOT_TEXT = (
    (b"PK\x03\x04", "a zipped file (unzip it) or a workbook other than .xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"%PDF", "a PDF document"),
)


def check_text_sample(sample: bytes) -> None:
    """Refuse spreadsheets, PDFs and other binary files with a message that says what to do.

    Raises ValidationError.
    """
    for magic, what in _NOT_TEXT:
        if sample.startswith(magic):
            raise ValidationError(
                f"This file is {what}, not CSV, JSON or an .xlsx workbook: "
                "save it as CSV (UTF-8) or .xlsx first."
            )
    if b"\x00" in sample[:4096] and not sample.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise ValidationError("This file is not text (CSV or JSON) nor an .xlsx workbook.")


def is_workbook(stream: BinaryIO) -> bool:
    """True for an Excel .xlsx/.xlsm workbook (a zip holding xl/workbook.xml); rewinds."""
    start = stream.tell()
    try:
        if stream.read(4) != b"PK\x03\x04":
            return False
        stream.seek(start)
        with zipfile.ZipFile(stream) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        stream.seek(start)


def _cell_text(value) -> str:
    """A workbook cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 3331234567.0 is a phone number, not a fraction
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


@dataclass
class _Sheet:
    """One sheet of a workbook as read_xlsx finds it."""

    title: str
    number: int  # the row number of its header (0: none in its first HEADER_ROWS rows)
    headers: list[str]  # as the file writes them ([] for none)
    cells: Iterator  # its rows after the header, as openpyxl gives them

    @property
    def blank(self) -> bool:
        """True for a sheet with no cell filled in (Excel's "Sheet2" of a new workbook)."""
        return not self.headers and not any(
            _cell_text(v).strip() for values in self.cells for v in values
        )


def names_someone(headers: list[str]) -> bool:
    """Whether a header row has a column saying who a row is: a name, an email, a phone."""
    return any(read_header(header)[0] in _IDENTITY_FIELDS for header in headers if header)


def _sheet(sheet) -> _Sheet:
    """A sheet's header and the rows after it.

    The header is the first row naming who a row is (a name, an email, a phone column:
    a report's title lines above it, one cell or several, and the group headings of a
    two-row header are skipped); in a sheet with none, the first row with two cells or
    more; in a one-column sheet, its first non-empty row. The size the
    workbook states for the sheet is not trusted: a tool that writes the file by hand
    often states too few rows or columns (openpyxl's read-only mode would stop there and
    drop the rest unseen), so every row and cell the sheet holds is read.
    """
    sheet.reset_dimensions()
    cells = sheet.iter_rows(values_only=True)
    first = list(islice(cells, HEADER_ROWS))  # as stored: a number stays a number
    seen = [[_cell_text(v).strip() for v in values] for values in first]
    filled = [i for i, texts in enumerate(seen) if any(texts)]
    wide = [i for i in filled if sum(1 for t in seen[i] if t) >= 2]
    naming = [i for i in filled if names_someone(seen[i])]
    at = (naming or wide or filled or [None])[0]
    if at is None:
        return _Sheet(sheet.title, 0, [], chain(first, cells))
    headers = seen[at]
    while headers and not headers[-1]:
        headers.pop()
    return _Sheet(sheet.title, at + 1, headers, chain(first[at + 1 :], cells))


# A sheet's name that says its people are not to be contacted ("NON CONTATTARE",
# "Disiscritti", "Blacklist", "Opt-out"), as header_key writes it.
_DO_NOT_CONTACT = re.compile(
    r"\b(?:non contattare|da non contattare|do not contact|dont contact|donotcontact|dnc"
    r"|blacklist|black list|lista nera|disiscritt\w*|cancellat\w*|unsubscrib\w*|opt out"
    r"|optout|rimoss\w*|esclus\w*|no marketing|bounced|robinson)\b"
)


def held_sheet(title: str) -> bool:
    """Whether a sheet's name says its people are not to be contacted: its rows are no
    part of the list beside it (read_xlsx leaves it out, and says so)."""
    return _DO_NOT_CONTACT.search(header_key(title)) is not None


def read_xlsx(
    stream: BinaryIO, *, fmt: str = "auto", overrides: dict[str, str] | None = None
) -> tuple[Mapping, Iterator[Row]]:
    """Open an .xlsx workbook: its mapping and a lazy iterator of rows.

    Read a row at a time (openpyxl's read-only mode: bounded memory). The first sheet
    whose header names who its rows are (names_someone; a summary sheet before it is
    not the list), else the first with a header, is read, then every other sheet whose
    header names only columns that one has (in any order: the same list split over
    several sheets); the mapping says which sheets are read (sheets) and which, holding
    other columns, are not (other_sheets). When several are read, each row names its
    sheet (Row.file). The header row is found as _sheet says; rows are numbered as the
    sheet numbers them. A sheet whose name says its people are not to be contacted
    ("NON CONTATTARE": held_sheet) is not read beside another (held_sheets).
    Cells become the text a CSV export would hold (dates ISO, whole numbers without
    ".0"). Raises ValidationError for a workbook that cannot be read.
    """
    try:
        with zipfile.ZipFile(stream) as parts:
            refuse_bombs(parts)
        stream.seek(0)
        with warnings.catch_warnings():  # styles and extensions it skips: not our concern
            warnings.simplefilter("ignore", UserWarning)
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationError(f"This workbook cannot be read: {exc}") from None
    read: list[_Sheet] = []
    others: list[str] = []
    mapping = Mapping()
    sheets = [_sheet(sheet) for sheet in book.worksheets]
    headed = [sheet for sheet in sheets if sheet.headers]
    # Only a workbook of nothing else is read from a sheet of people not to contact.
    headed = [sheet for sheet in headed if not held_sheet(sheet.title)] or headed
    # The list is the first sheet that names who its rows are, not a summary before it.
    first = next((s for s in headed if names_someone(s.headers)), headed[0] if headed else None)
    held: list[str] = []
    if first is not None:
        if fmt == "auto":
            fmt = detect_format(first.headers)
        mapping = _mapped(first.headers, fmt, overrides)
        first.headers = mapping.headers
    for sheet in sheets:
        if sheet is first:
            read.append(sheet)
        elif not sheet.blank and held_sheet(sheet.title):
            held.append(sheet.title)
        elif sheet.headers and set(names := named_headers(sheet.headers)) <= set(mapping.headers):
            sheet.headers = names
            read.append(sheet)
        elif not sheet.blank:  # a sheet of something else: the preview names it
            others.append(sheet.title)
    mapping.other_sheets = others
    mapping.held_sheets = held
    if not read:
        book.close()
        return mapping, iter(())
    mapping.sheets = [sheet.title for sheet in read]
    named = len(read) > 1

    def rows() -> Iterator[Row]:
        try:
            for sheet in read:
                row_number = sheet.number
                for values in sheet.cells:
                    row_number += 1
                    texts = [v if isinstance(v, str) else _cell_text(v) for v in values]
                    width = len(sheet.headers)
                    # Cells right of the last header (a note typed beside the table) are
                    # kept in the raw row, as a CSV row's extra cells are.
                    extra = {f"_extra_{i}": t for i, t in enumerate(texts[width:]) if t.strip()}
                    # A row ends at its last filled cell: the empty ones after it are the
                    # file's columns too (as a CSV row has them), so that the report shows
                    # them and a record sent again clears what they hold no more.
                    texts = texts[:width] + [""] * (width - len(texts))
                    if not extra and not any(t.strip() for t in texts):
                        continue
                    raw = dict(zip(sheet.headers, texts, strict=False))
                    raw.update(extra)
                    file = sheet.title if named else None
                    numbers = frozenset(
                        header
                        for header, value in zip(sheet.headers, values, strict=False)
                        if isinstance(value, int | float) and not isinstance(value, bool)
                    )
                    yield Row(row_number, mapping.values(raw), raw, file=file, numbers=numbers)
        finally:
            book.close()

    return mapping, _settled(mapping, rows(), overrides)


# The columns a vCard file is read into: each a header the ordinary synonyms map, so that
# the preview, a --mapping file and the report name them as for any other file.
VCARD_HEADERS = [
    "UID",
    "Prefix",
    "First Name",
    "Middle Name",
    "Last Name",
    "Name suffix",
    "Full Name",
    "Email",
    "Phone",
    "Company",
    "Job Title",
    "Street",
    "Address line 2",
    "City",
    "State",
    "Postcode",
    "Country",
    "Birth date",
    "Tags",
    "Note",
]
_VCARD_START = re.compile(rb"\s*BEGIN\s*:\s*VCARD", re.IGNORECASE)


def is_vcard(stream: BinaryIO) -> bool:
    """True for a vCard file (Apple Contacts, a phone's or Outlook's export); rewinds."""
    start = stream.tell()
    try:
        head = stream.read(1024)
    finally:
        stream.seek(start)
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if head.startswith(bom):
            encoding = "utf-8-sig" if bom == codecs.BOM_UTF8 else "utf-16"
            head = head.decode(encoding, errors="ignore").encode()
            break
    return bool(_VCARD_START.match(head))


def read_vcard(
    stream: BinaryIO, *, fmt: str = "auto", overrides: dict[str, str] | None = None
) -> tuple[Mapping, Iterator[Row]]:
    """Open a vCard file (versions 2.1, 3.0 and 4.0, read by vobject): its mapping and a
    lazy iterator of rows, one a card, numbered from 1.

    A card becomes the columns of VCARD_HEADERS (every email and phone of it, its first
    address, or the one it prefers), which map as any file's headers do. A line vobject
    cannot read is skipped; a card that says nothing of a person is rejected by the
    importer like any other row.
    """
    import vobject  # only a vCard import pays for loading it

    mapping = _mapped(list(VCARD_HEADERS), "vcard", overrides)
    text = open_text(stream)

    def rows() -> Iterator[Row]:
        cards = vobject.readComponents(text, ignoreUnreadable=True, allowQP=True)
        for number, card in enumerate(cards, start=1):
            if getattr(card, "name", "").upper() != "VCARD":
                continue
            raw = {k: v for k, v in _card_columns(card).items() if v}
            yield Row(number, mapping.values(raw), raw)

    return mapping, _settled(mapping, rows(), overrides)


def _card_columns(card) -> dict[str, str]:
    """A vCard's properties as VCARD_HEADERS columns (text; several values "; " apart)."""
    contents = card.contents

    def first(name: str):
        found = contents.get(name)
        return found[0].value if found else None

    def text(value) -> str:
        if isinstance(value, list | tuple):
            return " ".join(text(v) for v in value if v)
        return str(value).strip() if value is not None else ""

    columns = {"UID": text(first("uid")), "Full Name": text(first("fn"))}
    name = first("n")
    if name is not None and not isinstance(name, str):
        columns.update(
            {
                "Prefix": text(name.prefix),
                "First Name": text(name.given),
                "Middle Name": text(name.additional),
                "Last Name": text(name.family),
                "Name suffix": text(name.suffix),
            }
        )
    columns["Email"] = "; ".join(text(e.value) for e in contents.get("email", []) if e.value)
    columns["Phone"] = "; ".join(text(t.value) for t in contents.get("tel", []) if t.value)
    organisation = first("org")
    if isinstance(organisation, list | tuple):
        organisation = organisation[0] if organisation else None
    columns["Company"] = text(organisation)
    columns["Job Title"] = text(first("title"))
    addresses = contents.get("adr", [])
    preferred = [a for a in addresses if "PREF" in _vcard_types(a)]
    if address := (preferred or addresses or [None])[0]:
        value = address.value
        if not isinstance(value, str):
            columns.update(
                {
                    "Street": text(value.street),
                    "Address line 2": text(value.extended),
                    "City": text(value.city),
                    "State": text(value.region),
                    "Postcode": text(value.code),
                    "Country": text(value.country),
                }
            )
    birthday = first("bday")
    columns["Birth date"] = text(
        birthday.isoformat() if hasattr(birthday, "isoformat") else birthday
    )
    categories = [text(c) for c in contents.get("categories", []) for c in _as_list(c.value)]
    columns["Tags"] = "; ".join(c for c in categories if c)
    columns["Note"] = text(first("note"))
    return columns


def _vcard_types(line) -> set[str]:
    """The TYPE parameters of a vCard line, upper case ("HOME", "PREF")."""
    types = set()
    for key, values in line.params.items():
        if key.upper() == "TYPE":
            types.update(str(v).upper() for v in values)
        elif key.upper() == "PREF" or (not values and key.upper() in ("HOME", "WORK")):
            types.add(key.upper())
    return types


def _as_list(value) -> list:
    """A property value as a list (CATEGORIES is one)."""
    return list(value) if isinstance(value, list | tuple) else [value]


def open_text(stream: BinaryIO) -> io.TextIOWrapper:
    """Wrap a binary stream in a text stream with the detected encoding.

    Raises ValidationError for a file that is not text.
    """
    buffered = io.BufferedReader(stream, buffer_size=SAMPLE_BYTES)
    sample = buffered.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
    check_text_sample(sample)
    encoding = detect_encoding(sample, truncated=len(sample) >= SAMPLE_BYTES)
    return io.TextIOWrapper(buffered, encoding=encoding, newline="", errors="replace")


class _Lines:
    """A text file's lines as a csv reader asks for them, remembering the lines of the
    record being read and giving at most RECORD_LINES to one record; lines handed back
    (again) are read before the rest of the file."""

    def __init__(self, text) -> None:
        self.source = iter(text)
        self.pending: list[str] = []  # handed back, next first (in reverse order)
        self.taken: list[str] = []
        self.cut = False  # the current record reached RECORD_LINES

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        if len(self.taken) >= RECORD_LINES:
            self.cut = True
            raise StopIteration  # ends this record only: the reader asks again later
        line = self.pending.pop() if self.pending else next(self.source)
        self.taken.append(line)
        return line

    def start(self) -> None:
        """A new record begins."""
        self.taken, self.cut = [], False

    def again(self, lines: list[str]) -> None:
        """Read these lines again, before the rest."""
        self.pending.extend(reversed(lines))


def _first_line_only(lines: _Lines, headers: list[str], dialect, number: int, reason: str) -> Row:
    """The rejected row of a record that ran on past its first line; the lines after it
    are read again as rows of their own. Its cells are split without quoting."""
    first = lines.taken[0].rstrip("\r\n")
    lines.again(lines.taken[1:])
    try:
        cells = next(csv.reader([first], dialect, quoting=csv.QUOTE_NONE), [])
    except csv.Error:  # a cell over FIELD_CHARS even so: the row is reported without cells
        cells = []
    raw = dict(zip(headers, cells, strict=False))
    raw.update({f"_extra_{i}": c for i, c in enumerate(cells[len(headers) :])})
    return Row(number, {}, raw, error=reason)


def open_lines(stream: BinaryIO) -> io.TextIOWrapper | LineDecoder:
    """A CSV file's text, its lines decoded one by one (LineDecoder) unless it is UTF-16.

    Raises ValidationError for a file that is not text.
    """
    buffered = io.BufferedReader(stream, buffer_size=SAMPLE_BYTES)
    sample = buffered.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
    check_text_sample(sample)
    encoding = detect_encoding(sample, truncated=len(sample) >= SAMPLE_BYTES)
    if encoding == "utf-16":
        return io.TextIOWrapper(buffered, encoding=encoding, newline="", errors="replace")
    eight_bit = encoding if encoding not in ("utf-8", "utf-8-sig") else "cp1252"
    return LineDecoder(buffered, encoding, eight_bit)


def read_csv(
    stream: BinaryIO, *, fmt: str = "auto", overrides: dict[str, str] | None = None
) -> tuple[Mapping, Iterator[Row]]:
    """Open a CSV stream: its mapping and a lazy iterator of rows (numbered from 2)."""
    text = open_lines(stream)
    sample = text.buffer.peek(SAMPLE_BYTES)[:SAMPLE_BYTES].decode(text.encoding, errors="replace")
    dialect, skip = csv_layout(sample.lstrip("\ufeff"))
    for _ in range(skip):
        text.readline()
    lines = _Lines(text)
    csv.field_size_limit(FIELD_CHARS)  # process-wide in Python's csv: set before each read
    reader = csv.reader(lines, dialect)
    try:
        headers = [h.strip().lstrip("\ufeff") for h in next(reader)]
    except StopIteration:
        return Mapping(), iter(())
    if fmt == "auto":
        fmt = detect_format(headers)
    mapping = _mapped(headers, fmt, overrides)
    headers = mapping.headers

    def rows() -> Iterator[Row]:
        number = 1 + skip
        while True:
            lines.start()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                if len(lines.taken) > 1:  # e.g. a value over the size limit: see below
                    yield _first_line_only(lines, headers, dialect, number, f"{exc}")
                else:
                    yield Row(number, {}, {}, error=f"unreadable CSV row: {exc}")
                continue
            number += 1
            if lines.cut or (len(lines.taken) > 1 and len(cells) != len(headers)):
                # A quote opened by mistake ran on into the next lines: the row is its
                # first line, and the lines after it are rows of their own.
                reason = "a quote opened in this row is not closed in it"
                yield _first_line_only(lines, headers, dialect, number, reason)
                continue
            if not any(c.strip() for c in cells):
                continue
            raw = dict(zip(headers, cells, strict=False))
            if len(cells) != len(headers):
                raw.update({f"_extra_{i}": c for i, c in enumerate(cells[len(headers) :])})
                yield Row(
                    number, {}, raw, error=(f"expected {len(headers)} columns, found {len(cells)}")
                )
                continue
            yield Row(number, mapping.values(raw), raw)

    return mapping, _settled(mapping, rows(), overrides)


class _Copy:
    """A bounded copy of JSON values: see json_value."""

    def __init__(self, limit: int) -> None:
        self.left = limit  # characters of JSON text still to keep, about

    def value(self, value, depth: int):
        """value, as json_value keeps it; depth counts the containers it is in."""
        # Sizes as json.dumps writes them (a separator ", " after each value), or more.
        if isinstance(value, str):
            kept = value[: max(self.left - 4, 0)]
            self.left -= len(value) + 4
            return value if len(kept) == len(value) else kept + CUT
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        if isinstance(value, int) and not isinstance(value, bool):
            self.left -= value.bit_length() // 3 + 4  # its digits, a sign, a separator
        else:
            self.left -= 26  # a float, true, false, null or brackets, and a separator
        if not isinstance(value, dict | list | tuple):
            return value
        if depth >= RAW_DEPTH:
            return CUT
        if isinstance(value, dict):
            copy = {}
            for key, item in value.items():
                if self.left <= 0:
                    copy[CUT] = CUT
                    break
                self.left -= len(str(key)) + 4  # its quotes and ": "
                copy[str(key)] = self.value(item, depth + 1)
            return copy
        items = []
        for item in value:
            if self.left <= 0:
                items.append(CUT)
                break
            items.append(self.value(item, depth + 1))
        return items


def _json_cell(value):
    """One key's value of a JSON record as json_value keeps it; a short text, a whole
    number, true, false or null (nearly every value) as it is, without the copy."""
    kind = type(value)
    if (kind is str and len(value) < FIELD_CHARS) or kind is int or kind is bool or value is None:
        return value
    return json_value(value)


def json_value(value, limit: int = FIELD_CHARS):
    """A JSON value as a raw payload keeps it: NaN, Infinity and -Infinity as null, and
    what lies past RAW_DEPTH levels of nesting or about `limit` characters of JSON cut
    (marked CUT).

    Python's json, and so pandas' exports, read and write those three as bare tokens;
    JSON has no such values, PostgreSQL refuses them in a json column, and str() would
    make a person called "Nan" of one.
    """
    return _Copy(limit).value(value, 0)


# Outside a JSON string: a string (group 1 is its closing quote, absent when the bytes read
# so far end in it), or a token Python's json writes for a non-finite float (group 2).
# Within a string: its rest, up to its closing quote if the bytes read hold it. A lone
# backslash at the end of the bytes is left for the next ones (it escapes their first).
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(")?|(-?Infinity|NaN)', re.DOTALL)
_JSON_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*(")?', re.DOTALL)
_NON_FINITE_TOKENS = (b"-Infinity", b"Infinity", b"NaN")


class _FiniteJSON:
    """A JSON byte stream in which NaN, Infinity and -Infinity outside strings read as null.

    ijson (like JSON) refuses those tokens, which Python's json and pandas write: without
    this, one such number would end a JSON array file at its object.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._held = b""  # bytes that may begin a token, or a string's trailing backslash
        self._in_string = False

    def read(self, size: int = -1) -> bytes:
        """Bytes of the stream, b"" at its end."""
        if size == 0:  # ijson asks for none to learn whether the stream gives bytes
            return b""
        while True:
            chunk = self._stream.read(size)
            data, self._held = self._held + chunk, b""
            kept = self._nulls(data, end=not chunk)
            if kept or not chunk:
                return kept

    def _nulls(self, data: bytes, *, end: bool) -> bytes:
        """data with the tokens outside strings as null; a tail that the next bytes may
        complete (a token, an escape) is held back unless the stream ended."""
        out, at = [], 0
        while at < len(data):
            if self._in_string:
                rest = _JSON_STRING_REST.match(data, at)
                if rest.group(1) is None:
                    stop = len(data) if end else rest.end()
                    out.append(data[at:stop])
                    self._held = data[stop:]
                    break
                out.append(data[at : rest.end()])
                at, self._in_string = rest.end(), False
                continue
            found = _JSON_TOKEN.search(data, at)
            if found is None:
                tail = data[at:]
                hold = 0 if end else _token_start(tail)
                out.append(tail[: len(tail) - hold])
                self._held = tail[len(tail) - hold :]
                break
            out.append(data[at : found.start()])
            if found.group(2):
                out.append(b"null")
            elif found.group(1):
                out.append(found.group())
            else:  # a string the next bytes go on with
                out.append(b'"')
                self._in_string = True
                at = found.start() + 1
                continue
            at = found.end()
        return b"".join(out)


def _token_start(tail: bytes) -> int:
    """How many of the last bytes of tail may begin a non-finite token (0 for none)."""
    for size in range(min(len(tail), 8), 0, -1):
        if any(token.startswith(tail[-size:]) for token in _NON_FINITE_TOKENS):
            return size
    return 0


def _array_rows(data: BinaryIO, overrides: dict[str, str] | None) -> Iterator[Row]:
    """The objects of a JSON array, parsed one at a time (bounded memory, ijson).

    A syntax error ends the file: what follows it cannot be told apart, so it is reported
    as one row after the last object read, and everything before it is kept.
    """
    number = 0
    try:
        for obj in ijson.items(_FiniteJSON(data), "item", use_float=True):
            number += 1
            if not isinstance(obj, dict):
                text = json.dumps(json_value(obj, 1000), ensure_ascii=False, default=str)
                raw = {"_item": text[:1000]}
                yield Row(number, {}, raw, error="not a JSON object")
                continue
            yield row_from_object(number, obj, overrides)
    except ijson.JSONError as exc:
        reason = str(exc).splitlines()[0][:200]
        error = f"invalid JSON after item {number} ({reason}); the rest cannot be read"
        yield Row(number + 1, {}, {}, error=error)


# Fields a JSON true or false may fill: yes/no columns, read as their text ("True").
FLAG_FIELDS = frozenset(
    {"unsubscribed", "subscription_status", "marketing_status", *CONSENT_FIELDS}
)


# Keys of a JSON record read besides the fields' own names and synonyms.
JSON_KEYS = frozenset({"emails", "phones", "consents"})


def row_from_object(
    number: int, obj: dict, overrides: dict[str, str] | None = None, *, sent: bool = False
) -> Row:
    """A Row from a JSON object with canonical (or synonym) keys.

    Lists stay lists for emails, phones and tags; 'emails' and 'phones' are accepted too.
    Other keys may hold any JSON value, kept in the raw row. Of a record sent through the
    API (sent), each such key that holds a value is reported (RowValues.left_out,
    UNKNOWN_KEY): a client's typo ("emial") would otherwise lose its value without a word;
    a file's keys are named once for the whole file, in its preview and batch page.
    Values are read as json_value keeps them (NaN and Infinity as null; one key's value
    bounded as a CSV cell is).
    """
    obj = {str(k): _json_cell(v) for k, v in obj.items()}
    for key in ("id", "external_id"):
        if isinstance(obj.get(key), float) and obj[key].is_integer():
            obj[key] = int(obj[key])  # pandas writes an integer id as 7.0: the record 7
    local = map_headers(list(obj), "jsonl", overrides)
    values = RowValues()
    for key, target in local.columns.items():
        value = obj[key]
        if value in (None, "", []):
            continue
        if target in LIST_FIELDS:
            if isinstance(value, list | tuple):
                value = [str(v) for v in value if v not in (None, "")]
            else:
                value = str(value)
            if target in values:  # a second key for the same list ('email', 'work_email')
                have = values[target]
                have = have if isinstance(have, list) else [have]
                value = have + (value if isinstance(value, list) else [value])
            values[target] = value
        elif isinstance(value, bool) and target not in FLAG_FIELDS:
            values.setdefault(target, value)  # no text: the importer reports it, not "True"
        else:
            values.setdefault(target, str(value))
    for plural, target in (("emails", "email"), ("phones", "phone")):
        extra = obj.get(plural)
        if isinstance(extra, list | tuple) and extra and plural not in local.columns:
            have = values.get(target) or []
            have = have if isinstance(have, list) else [have]
            values[target] = have + [str(v) for v in extra if v not in (None, "")]
    values.left_out = [
        (key, UNKNOWN_KEY)
        for key in (local.unmapped if sent else [])
        if key not in local.rivals
        and key not in JSON_KEYS
        and key not in (overrides or {})  # a key the person importing left out
        and obj[key] not in (None, "", [], {})
    ]
    return Row(number, values, obj)


def looks_like_json(head: bytes, filename: str) -> bool:
    """JSON Lines or a JSON array, by extension, else by its first character."""
    if filename.lower().endswith((".jsonl", ".ndjson", ".json")):
        return True
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))


def read_jsonl(
    stream: BinaryIO, overrides: dict[str, str] | None = None
) -> tuple[Mapping, Iterator[Row]]:
    """Open a JSON Lines stream, or a JSON array of objects (rows numbered by item); keys
    map like CSV headers (see row_from_object)."""
    text = open_text(stream)
    mapping = Mapping(format="jsonl")
    head = text.buffer.peek(SAMPLE_BYTES)[:SAMPLE_BYTES]
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"["):
        # JSON is UTF-8 (RFC 8259): the parser reads the bytes, past a byte-order mark.
        data = text.detach()  # the bytes stay open when the text wrapper goes
        if head.startswith(codecs.BOM_UTF8):
            data.read(len(codecs.BOM_UTF8))
        return mapping, _array_rows(data, overrides)

    def rows() -> Iterator[Row]:
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Row(number, {}, {"_line": line[:1000]}, error=f"invalid JSON: {exc.msg}")
                continue
            except RecursionError:  # json.loads recurses once per level of nesting
                yield Row(number, {}, {"_line": line[:1000]}, error="JSON nested too deeply")
                continue
            if not isinstance(obj, dict):
                yield Row(number, {}, {"_line": line[:1000]}, error="not a JSON object")
                continue
            yield row_from_object(number, obj, overrides)

    return mapping, rows()


ARCHIVE_MAX_TABLES = 100  # files of one zip archive imported together
# Files of a zip archive that are read (others, such as a README.txt, folders and macOS
# resource forks are not).
_ARCHIVE_TABLES = (".csv", ".tsv", ".json", ".jsonl", ".ndjson", ".xlsx", ".xlsm", ".vcf")
# A Mailchimp audience export is a zip of one CSV per status, with the status only in the
# file's name ("unsubscribed_email_audience_export_....csv"); the longest prefix first.
_MAILCHIMP_FILE_STATUS = ("unsubscribed", "nonsubscribed", "cleaned", "subscribed")


def is_archive(stream: BinaryIO) -> bool:
    """True for a zip archive that is not an .xlsx workbook; rewinds."""
    start = stream.tell()
    zipped = stream.read(4) == b"PK\x03\x04"
    stream.seek(start)
    return zipped and not is_workbook(stream)


def file_kind(stream: BinaryIO, *, fmt: str, filename: str) -> str:
    """What a file holds, by its first bytes, its name and the format asked for:
    "archive" (a zip of tables), "vcard", "workbook" (.xlsx), "jsonl" (JSON Lines or a JSON
    array) or "csv"; rewinds. A stream that cannot rewind is told by its name alone."""
    if not stream.seekable():
        return "jsonl" if fmt == "jsonl" or looks_like_json(b"", filename) else "csv"
    if is_archive(stream):
        return "archive"
    if fmt == "vcard" or (fmt == "auto" and is_vcard(stream)):
        return "vcard"
    if fmt != "jsonl" and is_workbook(stream):
        return "workbook"
    start = stream.tell()
    head = stream.read(1024)
    stream.seek(start)
    json = fmt == "jsonl" or (fmt == "auto" and looks_like_json(head, filename))
    return "jsonl" if json else "csv"


def archive_members(archive: zipfile.ZipFile) -> list[str]:
    """The tables of an archive in its own order: CSV, JSON and .xlsx files, not folders,
    hidden files or the "__MACOSX" copies that macOS adds."""
    names = []
    for info in archive.infolist():
        parts = info.filename.split("/")
        if info.is_dir() or parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
            continue
        if info.filename.lower().endswith(_ARCHIVE_TABLES):
            names.append(info.filename)
    return names


def mailchimp_status(member: str) -> str | None:
    """The subscription status a Mailchimp export states by a file's name, if any."""
    base = member.rsplit("/", 1)[-1].lower()
    return next((s for s in _MAILCHIMP_FILE_STATUS if base.startswith(s)), None)


def refuse_bombs(archive: zipfile.ZipFile) -> None:
    """Raise ValidationError for a zip (an archive, a workbook) holding a compression
    bomb: a member over ZIP_BOMB_BYTES compressed more than ZIP_RATIO_MAX times, which
    would take gigabytes to read (a workbook's shared strings are read whole)."""
    for info in archive.infolist():
        if info.file_size > ZIP_BOMB_BYTES and (
            info.file_size > ZIP_RATIO_MAX * max(info.compress_size, 1)
        ):
            raise ValidationError(
                f"{info.filename} is compressed {info.file_size // max(info.compress_size, 1)} "
                "times, far more than any export: it is not read."
            )


def _read_member(
    archive: zipfile.ZipFile, member: str, fmt: str, overrides: dict[str, str] | None
) -> tuple[Mapping, Iterator[Row]]:
    """Open one table of an archive with the reader its name or first bytes call for."""
    lower = member.lower()
    if lower.endswith((".xlsx", ".xlsm")):
        # A workbook is itself a zip and needs a seekable file: copied out to disk first.
        copy = tempfile.TemporaryFile()
        with archive.open(member) as handle:
            shutil.copyfileobj(handle, copy, 1024 * 1024)
        copy.seek(0)
        try:
            mapping, rows = read_xlsx(copy, fmt=fmt, overrides=overrides)
        except BaseException:
            copy.close()
            raise
        return mapping, _Closing(rows, copy)
    handle = archive.open(member)
    if lower.endswith(".vcf"):  # Google Takeout's contacts: a vCard file a label
        return read_vcard(handle, fmt=fmt, overrides=overrides)
    head = handle.peek(SAMPLE_BYTES)[:SAMPLE_BYTES] if hasattr(handle, "peek") else b""
    if fmt == "jsonl" or (fmt == "auto" and looks_like_json(head, member)):
        return read_jsonl(handle, overrides)
    return read_csv(handle, fmt=fmt, overrides=overrides)


class _Closing:
    """Rows that close a resource with them: at their end, or when closed unread."""

    def __init__(self, rows: Iterator[Row], resource) -> None:
        self._rows, self._resource = rows, resource

    def __iter__(self) -> "_Closing":
        return self

    def __next__(self) -> Row:
        try:
            return next(self._rows)
        except StopIteration:
            self.close()
            raise

    def close(self) -> None:
        """Close the rows and the resource."""
        if hasattr(self._rows, "close"):
            self._rows.close()
        self._resource.close()


def _combined(mappings: list[Mapping]) -> Mapping:
    """One mapping for the whole archive: every member's columns, in order."""
    formats = {m.format for m in mappings}
    combined = Mapping(format=formats.pop() if len(formats) == 1 else "csv")
    for mapping in mappings:
        for header, target in mapping.columns.items():
            combined.columns.setdefault(header, target)
        combined.groups.update(
            {h: g for h, g in mapping.groups.items() if h not in combined.groups}
        )
        combined.headers.extend(h for h in mapping.headers if h not in combined.headers)
        combined.surname_first = combined.surname_first or mapping.surname_first
        combined.settled.update(mapping.settled)
        for header, names in mapping.repeated.items():
            have = combined.repeated.setdefault(header, [])
            have.extend(n for n in names if n not in have)
    combined.unmapped = list(
        dict.fromkeys(h for m in mappings for h in m.unmapped if h not in combined.columns)
    )
    return combined


def read_archive(
    stream: BinaryIO, *, fmt: str = "auto", overrides: dict[str, str] | None = None
) -> tuple[Mapping, Iterator[Row]]:
    """Open a zip archive of tables (a Mailchimp audience export, several CSV files): one
    mapping for all of them and a lazy iterator of their rows, file after file.

    Each file is read as it would be alone (its own encoding, dialect and headers; the
    same overrides) and each row says which file it comes from. Rows of a Mailchimp
    export take their subscription status from their file's name when no column gives
    one. Raises ValidationError for an archive that cannot be read, is encrypted, or holds
    no table, naming the file at fault.
    """
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ValidationError(
            f"This file looks like a zip archive or a workbook but cannot be read ({exc}): "
            "save it as CSV (UTF-8) or .xlsx, or zip it again."
        ) from None
    try:
        refuse_bombs(archive)
    except ValidationError:
        archive.close()
        raise
    members = archive_members(archive)
    if not members:
        archive.close()
        raise ValidationError(
            "This zip archive holds no CSV, JSON or .xlsx file (a document or a spreadsheet "
            "other than .xlsx is a zip too): save it as CSV (UTF-8) or .xlsx first."
        )
    if len(members) > ARCHIVE_MAX_TABLES:
        archive.close()
        raise ValidationError(
            f"This zip archive holds {len(members)} tables; import at most "
            f"{ARCHIVE_MAX_TABLES} at a time."
        )
    if any(archive.getinfo(m).flag_bits & 0x1 for m in members):
        archive.close()
        raise ValidationError("This zip archive is protected by a password: unzip it first.")
    mappings = []
    for member in members:
        try:
            mapping, rows = _read_member(archive, member, fmt, overrides)
        except ValidationError as exc:
            archive.close()
            raise ValidationError(f"{member}: {exc.message}", fields=exc.fields) from None
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            archive.close()
            raise ValidationError(f"{member} cannot be read from the archive: {exc}") from None
        if hasattr(rows, "close"):
            rows.close()
        mappings.append(mapping)

    def rows() -> Iterator[Row]:
        try:
            for member, mapping in zip(members, mappings, strict=True):
                status = mailchimp_status(member) if mapping.format == "mailchimp" else None
                for row in _read_member(archive, member, fmt, overrides)[1]:
                    # A row of a workbook of several sheets read names its sheet too.
                    row.file = f"{member}, {row.file}" if row.file else member
                    row.format = mapping.format
                    if status and not row.error:
                        row.values.setdefault("subscription_status", status)
                    yield row
        finally:
            archive.close()

    combined = _combined(mappings)
    combined.files = members
    for left_out in ("other_sheets", "held_sheets"):  # named by member and sheet
        setattr(combined, left_out, [
            f"{member}, {sheet}"
            for member, mapping in zip(members, mappings, strict=True)
            for sheet in getattr(mapping, left_out)
        ])  # fmt: skip
    return combined, rows()
