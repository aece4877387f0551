"""Administration: staff users and their roles."""

from flask import Blueprint, render_template

from crm.security import roles
from crm.services import users

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@roles("admin")
def users_index():
    """All staff users."""
    return render_template("admin/users.html", users=users.list_users())
