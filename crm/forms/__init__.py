"""WTForms forms for the web UI, one module per area, all built on Form."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from crm.services.normalise import UNSTORABLE

UNSTORABLE_TEXT = _l("Holds a character that cannot be stored (a NUL).")


class Form(FlaskForm):
    """A FlaskForm (CSRF-protected) that refuses, in any of its text fields, what no
    database stores: PostgreSQL refuses a NUL in text, and the save would fail with a
    server error instead of telling the person which field to mend."""

    def validate(self, extra_validators=None) -> bool:
        """The fields' own validators, then the storable-text check on every field."""
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and UNSTORABLE.search(field.data):
                field.errors = [*field.errors, UNSTORABLE_TEXT]
                valid = False
        return valid
