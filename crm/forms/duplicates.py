"""The review decision form: shape checks only; the duplicates service checks the rules."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, InputRequired

from crm.services.duplicates import DECISIONS, SURVIVORS


class DecisionForm(FlaskForm):
    """One reviewer decision on a suspected pair: merge (keeping a or b) or distinct."""

    decision = HiddenField(validators=[InputRequired(), AnyOf(DECISIONS)])
    survivor = HiddenField(default="a", validators=[InputRequired(), AnyOf(SURVIVORS)])
