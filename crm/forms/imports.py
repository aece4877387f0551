"""Forms for importing files from the web UI: the upload and the column mapping."""

import phonenumbers
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.validators import ValidationError as FormError

from crm.forms import Form
from crm.services import ingest
from crm.services.normalise import fold

FORMAT_LABELS = {
    "auto": _l("Detect automatically"),
    "csv": _l("CSV"),
    "hubspot": _l("HubSpot export (CSV)"),
    "mailchimp": _l("Mailchimp export (CSV)"),
    "jsonl": _l("JSON Lines or a JSON array"),
    "vcard": _l("vCard contacts (.vcf)"),
}


# The same layouts when the file was an Excel workbook (the layout names only the columns).
WORKBOOK_LABELS = {
    "csv": _l("Excel workbook (.xlsx)"),
    "hubspot": _l("HubSpot export (.xlsx)"),
    "mailchimp": _l("Mailchimp export (.xlsx)"),
}


def format_label(fmt: str, filename: str = "") -> str:
    """A file's format in the user's language, from its column layout and its name."""
    if filename == ingest.API_BATCH:
        return str(_l("Records sent to the API"))
    if (filename or "").lower().endswith((".xlsx", ".xlsm")) and fmt in WORKBOOK_LABELS:
        return str(WORKBOOK_LABELS[fmt])
    return str(FORMAT_LABELS.get(fmt, fmt))


def format_choices() -> list[SelectChoice]:
    """The file formats, labelled in the user's language."""
    return [SelectChoice(value, str(label)) for value, label in FORMAT_LABELS.items()]


FIELD_LABELS = {
    "external_id": _l("Record id in the source"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "full_name": _l("Full name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "company": _l("Company"),
    "job_title": _l("Job title"),
    "address": _l("Address"),
    "street_number": _l("House number (joined to the address)"),
    "address_line_2": _l("Address line 2"),
    "postcode": _l("Postcode"),
    "city": _l("City"),
    "state": _l("State or province"),
    "country": _l("Country"),
    "birth_date": _l("Birth date"),
    "tax_id": _l("Tax or national id (codice fiscale, SSN)"),
    "email_opt_in": _l("Email marketing opt-in (yes, no, unsubscribed or its date)"),
    "email_opt_out": _l("Email marketing opt-out (yes or its date)"),
    "email_consent_time": _l("Time of the email marketing consent"),
    "sms_opt_in": _l("SMS marketing opt-in (yes, no, unsubscribed or its date)"),
    "sms_opt_out": _l("SMS marketing opt-out (yes or its date)"),
    "sms_consent_time": _l("Time of the SMS marketing consent"),
    "profiling_opt_in": _l("Consent to profiling (yes, no or its date)"),
    "submitted_at": _l("When the form was sent (the time of its consents)"),
    "subscription_status": _l("Subscription status (subscribed, unsubscribed, bounced)"),
    "buyer_email": _l("Email of the order's buyer"),
    "buyer_first_name": _l("First name of the order's buyer"),
    "buyer_last_name": _l("Last name of the order's buyer"),
    "buyer_opt_in": _l("The buyer's email marketing opt-in (the attendee's only if the buyer)"),
    "tags": _l("Tags"),
    "stage": _l("Lifecycle stage"),
    "lead_status": _l("Lead status (the stage where the lifecycle stage is empty)"),
    "middle_name": _l("Middle name (joined to the first name)"),
    "name_suffix": _l("Name suffix (Jr., Sr., III: joined to the last name)"),
    # Columns only HubSpot's and Mailchimp's exports have (readers.HUBSPOT_EXTRA,
    # readers.MAILCHIMP_EXTRA): kept as evidence of consent.
    "marketing_status": _l("Marketing contact status (HubSpot)"),
    "legal_basis": _l("Legal basis for processing the contact's data"),
    "unsubscribed": _l("Unsubscribed from all email"),
    "created_at": _l("When the contact was created in the source"),
    "optin_time": _l("Time of the sign-up (opt-in)"),
    "optin_ip": _l("IP address of the sign-up"),
    "confirm_time": _l("Time the sign-up was confirmed"),
    "confirm_ip": _l("IP address of the confirmation"),
    "last_changed": _l("When the subscription last changed"),
    "unsub_time": _l("Time of the unsubscription"),
    "clean_time": _l("When the address was found to bounce"),
}


def field_label(name: str) -> str:
    """A canonical field as the user reads it, in their language (the technical name only
    for a field without a label; the select's option values stay technical)."""
    label = FIELD_LABELS.get(name)
    return str(label) if label else name


class UploadForm(Form):
    """A file to import, the source it comes from and its format."""

    file = FileField(_l("File"), validators=[FileRequired()])
    source = SelectField(_l("Source"), choices=[], validate_choice=False)
    new_source = StringField(_l("New source name"), validators=[Optional(), Length(max=64)])
    format = SelectField(_l("Format"), choices=format_choices, default="auto")
    submit = SubmitField(_l("Upload and preview"))

    def set_sources(self, names: list[str]) -> None:
        """Offer the existing sources, plus a new one."""
        self.source.choices = [SelectChoice("", str(_l("New source (name it below)")))] + [
            SelectChoice(n, n) for n in names
        ]

    def validate_source(self, field) -> None:
        """An existing source or, with none chosen, a new name."""
        if field.data and field.data not in {c.value for c in field.choices}:
            raise FormError(_l("Not a known source."))
        if not field.data and not (self.new_source.data or "").strip():
            raise FormError(_l("Choose a source or name a new one."))

    def source_name(self) -> str:
        """The chosen or the new source name."""
        return self.source.data or (self.new_source.data or "").strip()

    def mark_refused(self, fields: dict[str, list[str]], said) -> None:
        """Put the upload's per-field refusals (the service's field names: source, file,
        format), in the user's language by said, under the fields they are about: a source
        name's under the new name when one was typed, else under the choice."""
        own = {
            "source": self.source if self.source.data else self.new_source,
            "file": self.file,
            "format": self.format,
        }
        for name, messages in fields.items():
            field = own.get(name)
            if field is not None and messages:
                field.errors = [*field.errors, *said(messages)]


DATE_LABELS = {
    "day-first": _l("day first (31/12/1980)"),
    "month-first": _l("month first (12/31/1980)"),
}
NAME_LABELS = {
    "given-first": _l("first name first (Mario Rossi)"),
    "surname-first": _l("surname first (Rossi Mario)"),
}


def region_choices() -> list[SelectChoice]:
    """Every region phone numbers can be read for, by its name in the user's language,
    with its calling code ("Italia (+39)")."""
    names = get_locale().territories
    regions = sorted(phonenumbers.SUPPORTED_REGIONS, key=lambda r: fold(names.get(r, r)))
    return [
        SelectChoice(r, f"{names.get(r, r)} (+{phonenumbers.country_code_for_region(r)})")
        for r in regions
    ]


def _order(detected: bool | None, orders: tuple[str, str]) -> str:
    """The order detected (orders[1] when True), the first when nothing was detected."""
    return orders[1] if detected else orders[0]


def mapping_form(
    headers: list[str],
    targets: list[str],
    initial: dict[str, str],
    *,
    month_first: bool | None = None,
    surname_first: bool | None = None,
    region: str = "IT",
) -> Form:
    """A form with one select per file column (a canonical field, or ignore the column),
    how to read numeric dates and full names, preset to what the preview detected
    (month_first, surname_first; None where the file has no such values), and the
    country of phone numbers written without a calling code (preset to region)."""
    choices = [SelectChoice("", str(_l("— ignore this column —")))] + [
        SelectChoice(t, field_label(t)) for t in targets
    ]
    date_orders, name_orders = tuple(DATE_LABELS), tuple(NAME_LABELS)
    phone_region = region  # the class body below has a field of that name

    class MappingForm(Form):
        """The column mapping the user confirms before the import starts."""

        dates = SelectField(
            _l("Dates"),
            choices=[SelectChoice(k, str(v)) for k, v in DATE_LABELS.items()],
            default=_order(month_first, date_orders),
        )
        names = SelectField(
            _l("Full names"),
            choices=[SelectChoice(k, str(v)) for k, v in NAME_LABELS.items()],
            default=_order(surname_first, name_orders),
        )
        region = SelectField(
            _l("Phones without a country code are from"),
            choices=region_choices(),
            default=phone_region,
            description=_l("Rows that name their country read their phones by it."),
        )
        submit = SubmitField(_l("Start import"))

        def reading(self) -> dict[str, str]:
            """{"dates", "names"} for the import: "auto" where the person kept what was
            detected (or nothing was), else the order they chose."""
            said = {}
            for name, detected, orders in (
                ("dates", month_first, date_orders),
                ("names", surname_first, name_orders),
            ):
                value = self[name].data
                keep = detected is None or value == _order(detected, orders)
                said[name] = "auto" if keep else value
            return said

        def chosen(self) -> dict[str, str]:
            """{header: field or ""} as submitted."""
            return {h: self[f"col_{i}"].data or "" for i, h in enumerate(headers)}

        def columns(self) -> list[tuple[str, object]]:
            """(header, select field) in file order."""
            return [(h, self[f"col_{i}"]) for i, h in enumerate(headers)]

    for i, header in enumerate(headers):
        setattr(
            MappingForm,
            f"col_{i}",
            SelectField(header or f"#{i + 1}", choices=choices, default=initial.get(header, "")),
        )
    return MappingForm()
