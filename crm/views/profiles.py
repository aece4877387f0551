"""Profiles: list and search, detail, create, edit."""

from flask import Blueprint, render_template, request

from crm.security import ALL_ROLES
from crm.services import profiles

bp = Blueprint("profiles", __name__, url_prefix="/profiles")


@bp.route("/")
@ALL_ROLES
def index():
    """Search profiles by name, email, phone or company, a page at a time."""
    q = request.args.get("q", "")
    after = request.args.get("after", type=int)
    rows, next_cursor = profiles.search_profiles(q, after=after)
    return render_template("profiles/index.html", profiles=rows, q=q, next_cursor=next_cursor)
