"""The review decision form: shape checks only; the duplicates service checks the rules."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
)
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional, StopValidation
from wtforms.widgets import HiddenInput

from crm.forms import Form
from crm.services.duplicates import DECISIONS, SURVIVORS, QueueFilter
from crm.views.main import source_title


class DecisionForm(Form):
    """One reviewer decision on a suspected pair: merge (keeping a or b) or distinct."""

    decision = HiddenField(validators=[InputRequired(), AnyOf(DECISIONS)])
    survivor = HiddenField(default="a", validators=[InputRequired(), AnyOf(SURVIVORS)])
    # The versions of the two profiles the reviewer saw: a merge refuses one changed since.
    a_version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    b_version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def versions(self, candidate) -> dict[int, int]:
        """{profile id: version seen} of the pair's profiles whose version was sent."""
        seen = ((candidate.profile_a_id, self.a_version.data),
                (candidate.profile_b_id, self.b_version.data))  # fmt: skip
        return {pid: version for pid, version in seen if version is not None}


class DecimalCommaField(DecimalField):
    """A decimal number written with a point or a decimal comma ("0.95", "0,95"): Italian
    readers write the comma."""

    def process_formdata(self, valuelist):
        """Read a lone comma as the decimal point, then parse as DecimalField does; a NaN
        or an infinity ("nan", "sNaN", "inf") is no number."""
        if valuelist and isinstance(valuelist[0], str):
            text = valuelist[0].strip()
            if text.count(",") == 1 and "." not in text:
                text = text.replace(",", ".")
            valuelist = [text, *valuelist[1:]]
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None  # a signalling NaN would raise in any comparison
            raise ValueError(self.invalid_value_message or self.gettext("Not a valid number."))


def _read_first(_form, field) -> None:
    """Stop at a value that could not be read: its own message says it all."""
    if field.process_errors:
        raise StopValidation()


class QueueFilterForm(Form):
    """Which pairs of the review queue to show (a GET form: the filter is in the URL)."""

    class Meta:
        csrf = False  # it changes nothing

    mine = BooleanField(_l("Only my leads"))
    source = SelectField(_l("Source"), choices=[], default="")
    min_score = DecimalCommaField(
        _l("Score at least"),
        places=2,
        validators=[Optional(), _read_first, NumberRange(min=0, max=1)],
        invalid_value_message=_l("Not a number: write a score such as 0.95 or 0,95."),
    )

    def set_sources(self, names: list[str]) -> None:
        """Offer the existing sources, plus 'any'."""
        self.source.choices = [SelectChoice("", str(_l("any source")))] + [
            SelectChoice(name, source_title(name)) for name in names
        ]

    def _kept(self, name: str):
        """A field's value when it validated and says something, else None."""
        value = self[name].data
        if name in self.errors or value is None or value == "" or value is False:
            return None
        return value

    def to_filter(self, user_id: int) -> QueueFilter:
        """The filter asked for; a field that did not validate filters nothing."""
        score = self._kept("min_score")
        return QueueFilter(
            owner_id=user_id if self._kept("mine") else None,
            source=self._kept("source"),
            min_score=float(score) if score is not None else None,
        )

    def args(self) -> dict[str, str]:
        """The filter as URL query arguments (for links that keep it)."""
        values = {
            "mine": "y" if self._kept("mine") else None,
            "source": self._kept("source"),
            "min_score": self._kept("min_score"),
        }
        return {name: str(value) for name, value in values.items() if value is not None}
