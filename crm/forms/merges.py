"""Forms of the merge UI: shape checks only; the merging service checks the rules."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, StringField
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput

from crm.forms import Form


class MergeForm(Form):
    """Confirm merging one profile into another, with an optional reason."""

    reason = StringField(
        _l("Why are these the same person?"),
        validators=[Optional(), Length(max=500)],
        description=_l("Optional; kept in the merge history."),
    )
    # The versions of the two profiles the person saw: a merge refuses one changed since.
    survivor_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    other_version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class UndoMergeForm(Form):
    """Undo a merge (a CSRF-protected button, no fields)."""


class DetachRecordForm(Form):
    """Detach a source record into a profile of its own (a CSRF-protected button)."""
