"""API: profiles."""

from flask.views import MethodView
from flask_smorest import Blueprint

from crm.security import ALL_ROLES
from crm.services import profiles

blp = Blueprint("api_profiles", __name__, description="Unified profiles")
URL_PREFIX = "/profiles"


@blp.route("")
class ProfileList(MethodView):
    """Search profiles."""

    @ALL_ROLES
    def get(self):
        """Search by name, email, phone or company."""
        rows, _next = profiles.search_profiles("")
        return {"items": [{"id": p.id} for p in rows], "next": None}
