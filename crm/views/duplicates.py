"""Duplicates: the review queue of suspected pairs, side-by-side comparison, decisions."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from crm.extensions import query_id
from crm.forms.duplicates import DecisionForm, QueueFilterForm
from crm.models import DuplicateCandidate
from crm.security import roles
from crm.services import duplicates, imports_ui
from crm.services.errors import ConflictError, NotFoundError, ValidationError
from crm.services.normalise import format_phone
from crm.views.reasons import refusal_text

bp = Blueprint("duplicates", __name__, url_prefix="/duplicates")

REVIEWERS = ("admin", "sales")


@bp.context_processor
def _duplicate_helpers() -> dict:
    """Helpers for this blueprint's templates."""
    return {"format_phone": format_phone}


def get_candidate_or_404(id: int) -> DuplicateCandidate:
    """The suspected pair with this id. Raises NotFound (a 404 page) when there is none."""
    try:
        return duplicates.get_candidate(id)
    except NotFoundError:
        abort(404)


def queue_filter() -> tuple[QueueFilterForm, duplicates.QueueFilter]:
    """The review queue's filter from the URL (only my leads, a source, a least score)."""
    form = QueueFilterForm(formdata=request.args)
    form.set_sources(imports_ui.source_names())
    form.validate()
    return form, form.to_filter(current_user.id)


@bp.route("/")
@roles(*REVIEWERS)
def index():
    """The open pairs (those the filter lets through), likely duplicates first (vetoed
    pairs last: duplicates.open_candidates), a page at a time, and how many there are."""
    after = request.args.get("after", type=query_id)
    form, only = queue_filter()
    try:
        rows, next_cursor = duplicates.open_candidates(
            after=after, limit=current_app.config["PAGE_SIZE"], only=only
        )
    except ValidationError as exc:  # the pair the page followed is gone: the first page
        flash(refusal_text(exc.message), "warning")
        args = {k: v for k, v in request.args.items() if k != "after"}
        return redirect(url_for("duplicates.index", **args))
    return render_template(
        "duplicates/index.html",
        candidates=rows,
        people=duplicates.profiles_of(rows),
        after=after,
        next_cursor=next_cursor,
        form=form,
        total=duplicates.count_open(only),
    )


@bp.route("/<int:id>")
@roles(*REVIEWERS)
def detail(id: int):
    """Both profiles of a pair side by side, differences marked, with the decision buttons,
    and the scorer's verdict of now when the profiles changed since the pair was proposed."""
    candidate = get_candidate_or_404(id)
    try:
        rows = duplicates.compare_fields(candidate)
        verdict = duplicates.current_verdict(candidate) if candidate.status == "open" else None
    except NotFoundError:
        abort(404)
    form, _only = queue_filter()
    return render_template(
        "duplicates/detail.html",
        candidate=candidate,
        rows=rows,
        verdict=verdict,
        people=duplicates.profiles_of([candidate]),
        queue_args=form.args(),
        undone=duplicates.undone_merge(candidate.profile_a_id, candidate.profile_b_id)
        if candidate.status not in ("open", "merged")
        else None,
        merge=duplicates.merge_of(candidate),
    )


def _merged_message(merge) -> Markup:
    """The flash after a merge from the queue, with a link to the kept profile's merge
    history, where the merge can be undone (the queue moves on to the next pair)."""
    text = Markup('{} <a class="alert-link" id="merged-undo-link" href="{}">{}</a>')
    if merge is None:
        return Markup.escape(_("The two profiles were merged."))
    href = url_for("profiles.detail", id=merge.survivor_id, _anchor=f"merge-{merge.id}")
    return text.format(
        _("The two profiles were merged."), href, _("Merge #%(id)s: undo it", id=merge.id)
    )


@bp.route("/<int:id>/decide", methods=["POST"])
@roles(*REVIEWERS)
def decide(id: int):
    """Merge the pair or mark it distinct, then go on to the next open pair (of the
    filtered queue the reviewer came from)."""
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(400)
    queue, only = queue_filter()
    try:
        candidate = duplicates.decide(
            id,
            form.decision.data,
            actor=current_user._get_current_object(),
            survivor=form.survivor.data,
            versions=form.versions(get_candidate_or_404(id)),
        )
    except NotFoundError:
        abort(404)
    except (ConflictError, ValidationError) as error:
        flash(refusal_text(error.message), "error")
        return redirect(url_for("duplicates.detail", id=id, **queue.args()))
    if form.decision.data == "merge":
        flash(_merged_message(duplicates.merge_of(candidate)), "success")
    else:
        flash(_("Marked as different people; this pair will not be proposed again."), "success")
    following = duplicates.next_open_candidate(only)
    if following is None:
        return redirect(url_for("duplicates.index", **queue.args()))
    return redirect(url_for("duplicates.detail", id=following.id, **queue.args()))
