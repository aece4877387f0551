"""The start page and helpers every template uses."""

from flask import Blueprint, render_template
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.security import ALL_ROLES, public
from crm.services import profiles

bp = Blueprint("main", __name__)

# Navigation per role: (endpoint, label, roles that see it).
NAV = (
    ("profiles.index", _l("Profiles"), {"admin", "sales", "marketer", "compliance"}),
    ("imports.index", _l("Imports"), {"admin", "marketer"}),
    ("duplicates.index", _l("Duplicates"), {"admin", "sales"}),
    ("admin.users_index", _l("Users"), {"admin"}),
    ("admin.api_keys", _l("API keys"), {"admin"}),
)
STAGE_LABELS = {"lead": _l("Lead"), "mql": _l("MQL"), "sql": _l("SQL"), "customer": _l("Customer")}


@bp.app_template_global()
def nav_items() -> list[dict]:
    """The navigation entries the signed-in user's role may use."""
    if not current_user.is_authenticated:
        return []
    return [{"endpoint": e, "label": label} for e, label, who in NAV if current_user.role in who]


@bp.app_template_global()
def stage_label(stage: str) -> str:
    """The translated name of a lifecycle stage."""
    return str(STAGE_LABELS.get(stage, stage))


@bp.app_template_global("get_locale")
def _locale() -> str:
    """The language of this response."""
    return str(get_locale())


@bp.route("/")
@ALL_ROLES
def index():
    """Start page: the funnel counts and the way in for each role."""
    return render_template("main/index.html", counts=profiles.count_by_stage())


@bp.route("/healthz")
@public
def health():
    """Liveness probe for load balancers."""
    return {"status": "ok"}
