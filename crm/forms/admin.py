"""Forms for administering staff users."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from crm.models import ROLES

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "sales": _l("Sales"),
    "marketer": _l("Marketer"),
    "compliance": _l("Compliance"),
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
