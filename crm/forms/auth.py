"""Forms for signing in and managing one's own account."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from crm.forms import Form


class LoginForm(Form):
    """Email and password."""

    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
    submit = SubmitField(_l("Sign in"))


class PasswordForm(Form):
    """Change one's own password."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=10, max=1024)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("Passwords differ."))],
    )
    submit = SubmitField(_l("Change password"))


class LanguageForm(Form):
    """The interface language."""

    locale = SelectField(
        _l("Language"),
        choices=[
            SelectChoice("", _l("The browser's language")),
            SelectChoice("en", "English"),
            SelectChoice("it", "Italiano"),
        ],
    )
    submit = SubmitField(_l("Save"))


class ApiKeyForm(Form):
    """Create an API key."""

    name = StringField(_l("Name"), validators=[Length(max=100)])
    submit = SubmitField(_l("Create API key"))


class ConfirmForm(Form):
    """A button that only carries the CSRF token (logout, revoke, ...)."""

    submit = SubmitField(_l("Confirm"))
