"""Administration: staff users, their roles and everyone's API keys (admins only)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from crm.forms.admin import ROLE_LABELS, UserCreateForm, UserEditForm
from crm.models import User
from crm.security import roles
from crm.services import users
from crm.services.errors import ConflictError, NotFoundError, ValidationError

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_template_global()
def role_label(role: str) -> str:
    """The translated name of a role."""
    return str(ROLE_LABELS.get(role, role))


def get_user_or_404(user_id: int) -> User:
    """Load a staff user for an admin page; 404 when there is none."""
    try:
        return users.get_user(user_id)
    except NotFoundError:
        abort(404)


def _show_errors(form: FlaskForm, error: ValidationError | ConflictError) -> None:
    """Attach a service error to the form fields it names; flash what no field shows."""
    shown: list[str] = []
    for name, messages in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
            shown.extend(messages)
    if error.message and error.message not in shown:
        flash(error.message, "danger")
    elif not shown:
        flash(_("The change was refused."), "danger")


@bp.route("/users")
@roles("admin")
def users_index():
    """All staff users."""
    return render_template("admin/users.html", users=users.list_users())


@bp.route("/users/new", methods=["GET", "POST"])
@roles("admin")
def user_new():
    """Create a staff user with an initial password."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(
                form.email.data,
                form.password.data,
                form.role.data,
                name=form.name.data or "",
                actor=current_user._get_current_object(),
            )
        except (ValidationError, ConflictError) as error:
            _show_errors(form, error)
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users_index"))
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles("admin")
def user_edit(user_id: int):
    """Change a user's name, role or active flag; deactivating ends their sessions."""
    user = get_user_or_404(user_id)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        try:
            users.update_user(
                user.id,
                name=form.name.data or "",
                role=form.role.data,
                active=form.active.data,
                actor=current_user._get_current_object(),
            )
        except ValidationError as error:
            _show_errors(form, error)
        else:
            flash(_("User saved."), "success")
            return redirect(url_for("admin.users_index"))
    return render_template("admin/user_edit.html", form=form, user=user)


@bp.route("/api-keys")
@roles("admin")
def api_keys():
    """Every API key of every user, with a revoke button for the live ones."""
    return render_template("admin/api_keys.html", keys=users.list_api_keys())
