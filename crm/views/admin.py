"""Administration: staff users, their roles, everyone's API keys and the sources of
person records (admins only)."""

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField

from crm.forms.admin import ROLE_LABELS, SourceEditForm, UserCreateForm, UserEditForm
from crm.models import Job, Source, User
from crm.security import roles
from crm.services import jobs, sources, users
from crm.services.errors import ConflictError, NotFoundError, ValidationError
from crm.views.reasons import refusal_text, refusal_texts

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
    """Attach a service error to the visible form fields it names; flash the rest (its
    message, and what it says of fields the form does not have), so no refusal goes unsaid.
    Every message is said in the user's language."""
    shown: list[str] = []
    unplaced: list[str] = []
    for name, messages in error.fields.items():
        field = form._fields.get(name)
        messages = refusal_texts(messages)
        if field is None:
            unplaced.extend(messages)
        # A hidden field (the version, the CSRF token) has no place for a message, and what
        # the service says of it is meant for developers.
        elif not isinstance(field, HiddenField):
            field.errors = [*field.errors, *messages]
            shown.extend(messages)
    for message in (refusal_text(error.message), *unplaced):
        if message and message not in shown:
            flash(message, "danger")
            shown.append(message)
    if not shown:
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


def get_source_or_404(source_id: int) -> Source:
    """Load a source for an admin page; 404 when there is none."""
    try:
        return sources.get_source(source_id)
    except NotFoundError:
        abort(404)


def get_recompute_or_404(job_id: str) -> Job:
    """A job choosing a source's profile values again; 404 otherwise."""
    try:
        return jobs.get_job(job_id, kind="sources.recompute")
    except NotFoundError:
        abort(404)


def recompute_message(job: Job) -> str:
    """A recompute job's state in the user's language."""
    done, total = job.progress or 0, job.total or 0
    if job.status == "queued":
        return _("Waiting for a worker…")
    if job.status == "running" and job.total is None:
        return _("Finding the profiles whose values may change…")
    if job.status == "running":
        return _(
            "Choosing values again: %(done)s of %(total)s profiles.",
            done=format_number(done),
            total=format_number(total),
        )
    if job.status == "done":
        result = job.result or {}
        return _(
            "Done: %(changed)s of %(profiles)s profiles changed.",
            changed=format_number(result.get("changed", 0)),
            profiles=format_number(result.get("profiles", 0)),
        )
    return _("Failed: %(error)s", error=refusal_text(job.error or ""))


@bp.route("/sources")
@roles("admin")
def sources_index():
    """Every source with its party, trust rank, phone country and what it gave."""
    return render_template("admin/sources.html", summaries=sources.list_sources())


@bp.route("/sources/<int:source_id>", methods=["GET", "POST"])
@roles("admin")
def source_edit(source_id: int):
    """Change a source's settings; a new trust rank chooses its profiles' values again.
    A save refused because someone else changed the source meanwhile shows its current
    settings, with what this user had changed (_after_conflict)."""
    source = get_source_or_404(source_id)
    try:
        sources.refuse_manual(source)
    except ConflictError as error:
        flash(refusal_text(error.message), "warning")
        return redirect(url_for("admin.sources_index"))
    form, unsaved = SourceEditForm(obj=source), None
    if not form.is_submitted():
        form.remember_opened(sources.SETTINGS)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in sources.SETTINGS}
        actor = current_user._get_current_object()
        try:
            source, changed = sources.update_source(
                source.id, data, expected_version=form.version.data, actor=actor
            )
        except ConflictError as error:
            form, source, unsaved = _after_conflict(form, error, source_id)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            if "trust_rank" not in changed:
                flash(_("Source saved."), "success")
                return redirect(url_for("admin.sources_index"))
            job = sources.start_recompute(source.id, actor=actor)
            return redirect(url_for("admin.source_job", job_id=job.id))
    return render_template("admin/source_edit.html", form=form, source=source, unsaved=unsaved)


def _after_conflict(
    form: SourceEditForm, error: ConflictError, source_id: int
) -> tuple[SourceEditForm, Source, dict[str, str] | None]:
    """The form, source and unsaved changes to show after a save refused as a conflict.

    When someone else changed the source meanwhile, the form holds its current settings
    and version, so that saving again works, and unsaved names what this user changed;
    otherwise (manual entry) the same form shows the refusal.
    """
    source = get_source_or_404(source_id)  # as it is now, after the refusal
    if source.version == form.version.data:
        _show_errors(form, error)
        return form, source, None
    current = SourceEditForm(formdata=None, obj=source)
    current.remember_opened(sources.SETTINGS)
    return current, source, form.unsaved(current, sources.SETTINGS)


@bp.route("/sources/jobs/<job_id>")
@roles("admin")
def source_job(job_id: str):
    """How far the values of a source's profiles are chosen again."""
    job = get_recompute_or_404(job_id)
    source = get_source_or_404(job.params["source_id"])
    return render_template(
        "admin/source_job.html",
        job=job,
        source=source,
        percent=jobs.percent(job),
        message=recompute_message(job),
    )


@bp.route("/sources/jobs/<job_id>/status")
@roles("admin")
def source_job_status(job_id: str):
    """The recompute job's state as JSON, for the progress bar."""
    job = get_recompute_or_404(job_id)
    return jsonify({**jobs.status_of(job), "message": recompute_message(job)})
