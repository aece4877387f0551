"""The note form of the profile page: shape checks only; the notes service checks the rules."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from crm.forms import Form
from crm.services.notes import NOTE_MAX


def _one_line_end(text: str | None) -> str | None:
    """A browser's CRLF line ends as LF, so a line counts one character, as it is stored."""
    return text.replace("\r\n", "\n") if text else text


class NoteForm(Form):
    """Write a note on a profile."""

    body = TextAreaField(
        _l("New note"),
        validators=[
            DataRequired(message=_l("Write something.")),
            Length(max=NOTE_MAX),
        ],
        filters=[_one_line_end],
        render_kw={"rows": 3, "maxlength": NOTE_MAX},
    )
