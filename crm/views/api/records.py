"""API: source records (being built)."""

from crm.views.api.common import Blueprint

blp = Blueprint("api_records", __name__, description="Source records")
URL_PREFIX = "/sources"
