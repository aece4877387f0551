"""The profile form: shape checks only; the profiles service checks the rules."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# SelectChoice needs WTForms 3.3; plain tuples are deprecated there.
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from crm.forms import Form
from crm.forms.merges import MergeForm
from crm.models import PROFILE_FIELDS, STAGES, Profile, User

_STAGE_LABELS = {"lead": _l("Lead"), "mql": _l("MQL"), "sql": _l("SQL"), "customer": _l("Customer")}
STAGE_CHOICES = [SelectChoice(stage, _STAGE_LABELS[stage]) for stage in STAGES]


class VersionField(IntegerField, HiddenField):
    """The version a form was opened at, sent back in a hidden input.

    Being a HiddenField, form.hidden_tag() renders it once and Bootstrap-Flask's render_form
    leaves it out, so it never shows as a labelled field of its own.
    """

    widget = HiddenInput()


def _text(label, limit: int) -> StringField:
    """An optional one-line text field of at most limit characters."""
    return StringField(label, validators=[Optional(), Length(max=limit)])


def _lines(text: str | None) -> list[str]:
    """The non-empty lines of a textarea, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ProfileForm(Form):
    """Create or edit a profile by hand."""

    first_name = _text(_l("First name"), 100)
    last_name = _text(_l("Last name"), 100)
    emails = TextAreaField(
        _l("Emails"),
        validators=[Optional(), Length(max=5000)],
        description=_l("One per line; the first is the primary address."),
        render_kw={"rows": 3},
    )
    phones = TextAreaField(
        _l("Phones"),
        validators=[Optional(), Length(max=2000)],
        description=_l("One per line; the first is the primary number."),
        render_kw={"rows": 3},
    )
    company = _text(_l("Company"), 200)
    job_title = _text(_l("Job title"), 200)
    address = _text(_l("Address"), 300)
    address_line_2 = _text(_l("Address line 2"), 300)
    postcode = _text(_l("Postcode"), 20)
    city = _text(_l("City"), 100)
    state = _text(_l("State or province"), 100)
    country = _text(_l("Country"), 100)
    birth_date = StringField(
        _l("Birth date"),
        validators=[Optional(), Length(max=30)],
        description=_l("YYYY-MM-DD or DD/MM/YYYY"),
    )
    tax_id = _text(_l("Tax or national id"), 40)
    tags = StringField(
        _l("Tags"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Comma separated"),
    )
    stage = SelectField(_l("Stage"), choices=STAGE_CHOICES, default="lead")
    owner = SelectField(_l("Owner"), choices=[], default="")
    version = VersionField(validators=[Optional()])

    def set_owner_choices(self, users: list[User]) -> None:
        """Offer users as owners, plus 'nobody'."""
        self.owner.choices = [SelectChoice("", _("— nobody —"))] + [
            SelectChoice(str(user.id), user.name or user.email) for user in users
        ]

    def to_data(self, *, keep_empty: bool, current_owner_id: int | None = None) -> dict:
        """The form's values in the shape the profiles service takes.

        keep_empty sends blank fields too (an edit clears them); otherwise they are left out.
        The owner is left out when unchanged, so an edit never fails on an owner who has
        since been deactivated.
        """
        data = {name: getattr(self, name).data for name in PROFILE_FIELDS}
        data["emails"] = _lines(self.emails.data)
        data["phones"] = _lines(self.phones.data)
        data["tags"] = [t.strip() for t in (self.tags.data or "").split(",") if t.strip()]
        data["stage"] = self.stage.data
        owner = int(self.owner.data) if self.owner.data else None
        if owner != current_owner_id:
            data["owner"] = owner
        if not keep_empty:
            data = {k: v for k, v in data.items() if v not in (None, "", [])}
        return data


class NewProfileForm(ProfileForm):
    """Create a profile: a second button saves it even though it looks like someone here."""

    create_anyway = SubmitField(_l("Create anyway"))


class EditProfileForm(ProfileForm):
    """Edit a profile: the version read when the form was opened must come back."""

    version = VersionField(validators=[InputRequired()])


class DistinctMergeForm(MergeForm):
    """Merge two profiles that a person marked as different people: the merge overrides
    that decision, so it needs a box ticked besides the button."""

    override = BooleanField(
        _l("I have checked: they are the same person after all"),
        validators=[
            DataRequired(message=_l("Tick this box to merge profiles marked as different people."))
        ],
    )


def profile_form_data(profile: Profile) -> dict:
    """A profile's current values in the form's shape, to prefill the edit form."""
    data = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    if profile.birth_date:
        data["birth_date"] = profile.birth_date.isoformat()
    data.update(
        emails="\n".join(e.email for e in profile.emails),
        phones="\n".join(p.phone for p in profile.phones),
        tags=", ".join(t.name for t in profile.tags),
        stage=profile.stage,
        owner=str(profile.owner_id) if profile.owner_id else "",
        version=profile.version,
    )
    return data
