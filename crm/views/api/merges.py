"""API: merges of profiles and their undo (being built)."""

from crm.views.api.common import Blueprint

blp = Blueprint("api_merges", __name__, description="Merges of profiles and their undo")
URL_PREFIX = ""
