"""Forms for administering staff users and sources."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput, NumberInput

from crm.forms.imports import region_choices
from crm.models import ROLES
from crm.models.source import PARTIES

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "sales": _l("Sales"),
    "marketer": _l("Marketer"),
    "compliance": _l("Compliance"),
}


PARTY_LABELS = {
    "first": _l("First party (our own customers' data)"),
    "second": _l("Second party (a partner's data)"),
    "third": _l("Third party (bought or rented lists)"),
}


def role_choices() -> list[SelectChoice]:
    """The roles a user can have, labelled in the user's language."""
    return [SelectChoice(role, str(ROLE_LABELS.get(role, role))) for role in ROLES]


class UserCreateForm(FlaskForm):
    """A new staff user with an initial password."""

    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, default="sales")
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField(_l("Create user"))


class UserEditForm(FlaskForm):
    """Name, role and whether the account may sign in."""

    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    active = BooleanField(_l("Active (may sign in and use API keys)"))
    submit = SubmitField(_l("Save"))


class SourceEditForm(FlaskForm):
    """A source's label, party, trust rank and the phone country of its files."""

    label = StringField(_l("Label"), validators=[Length(max=200)])
    party = SelectField(_l("Party"), choices=[SelectChoice(p, PARTY_LABELS[p]) for p in PARTIES])
    trust_rank = IntegerField(
        _l("Trust rank"),
        validators=[InputRequired(), NumberRange(min=0, max=100)],
        widget=NumberInput(min=0, max=100),
        description=_l(
            "0 to 100. Where sources disagree on a value, a profile shows the one from the "
            "source ranked higher; a value typed by hand always wins."
        ),
    )
    default_region = SelectField(
        _l("Phone country"),
        choices=region_choices,
        description=_l(
            "The country of phone numbers written without a calling code, for the files "
            "imported from now on. Numbers already imported keep the country they were "
            "read in: import the file again to read them anew."
        ),
    )
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Save"))
