"""Forms for administering staff users and sources."""

import json

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import NumberInput

from crm.forms import Form
from crm.forms.imports import region_choices
from crm.forms.profiles import VersionField
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


class UserCreateForm(Form):
    """A new staff user with an initial password."""

    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, default="sales")
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField(_l("Create user"))


class UserEditForm(Form):
    """Name, role and whether the account may sign in."""

    name = StringField(_l("Name"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    active = BooleanField(_l("Active (may sign in and use API keys)"))
    submit = SubmitField(_l("Save"))


class SourceEditForm(Form):
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
    # Required: a form without it would save over someone else's change unchecked.
    version = VersionField(validators=[InputRequired()])
    # The settings as they were when the form was opened (JSON): when someone else changes
    # the source meanwhile, they tell which fields this user changed.
    opened = HiddenField(validators=[Length(max=2000)])
    submit = SubmitField(_l("Save"))

    def remember_opened(self, names: tuple[str, ...]) -> None:
        """Keep the values of the fields among names as they are now, as the opened ones."""
        self.opened.data = json.dumps({name: self[name].data for name in names})

    def shown(self, name: str) -> str:
        """A field's value as the page shows it: a choice by its label."""
        field = self[name]
        if isinstance(field, SelectField):
            chosen = (str(c.label) for c in field.iter_choices() if c.selected)
            return next(chosen, field.data or "")
        return "" if field.data is None else str(field.data)

    def unsaved(self, current: "SourceEditForm", names: tuple[str, ...]) -> dict[str, str]:
        """The fields among names that this user changed since opening the form and that
        differ from current's, each with the value entered as the page shows it: what a
        refused save would have changed. Without the opened values, every field that
        differs from current's counts."""
        try:
            opened = json.loads(self.opened.data or "")
        except ValueError:
            opened = None
        if not isinstance(opened, dict):
            opened = {name: current[name].data for name in names}
        return {
            name: self.shown(name)
            for name in names
            if _plain(self[name].data) != _plain(opened.get(name))
            and self.shown(name) != current.shown(name)
        }


def _plain(value: object) -> object:
    """A value to compare, an empty text and none being the same."""
    return "" if value is None else value
