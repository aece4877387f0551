"""Profiles: list and search, detail, create, edit."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from crm.extensions import query_id
from crm.forms.merges import DetachRecordForm, MergeForm, UndoMergeForm
from crm.forms.notes import NoteForm
from crm.forms.profiles import (
    DistinctMergeForm,
    EditProfileForm,
    NewProfileForm,
    ProfileForm,
    profile_form_data,
)
from crm.models import Profile
from crm.security import ALL_ROLES, roles
from crm.services import duplicates, merging, notes, profiles, splitting, survivorship
from crm.services.errors import (
    ConflictError,
    LikelyDuplicateError,
    NotFoundError,
    ValidationError,
)
from crm.services.normalise import format_phone
from crm.views.duplicates import REVIEWERS
from crm.views.imports import IMPORT_ROLES
from crm.views.reasons import refusal_text, refusal_texts

bp = Blueprint("profiles", __name__, url_prefix="/profiles")

# Roles that may create and edit profiles; everyone else reads.
EDITORS = ("admin", "sales")
MAX_QUERY_LENGTH = 200


@bp.context_processor
def _profile_helpers() -> dict:
    """Helpers for this blueprint's templates."""
    signed_in = current_user.is_authenticated
    return {
        "can_edit": signed_in and current_user.has_role(*EDITORS),
        "can_see_imports": signed_in and current_user.has_role(*IMPORT_ROLES),
        "format_phone": format_phone,
    }


def get_profile_or_404(id: int) -> Profile:
    """The profile with this id. Raises NotFound (a 404 page) when there is none."""
    try:
        return profiles.get_profile(id)
    except NotFoundError:
        abort(404)


@bp.route("/")
@ALL_ROLES
def index():
    """Search profiles by name, email, phone or company, a page at a time."""
    q = request.args.get("q", "").strip()[:MAX_QUERY_LENGTH]
    after = request.args.get("after", type=query_id)
    rows, next_cursor = profiles.search_profiles(
        q, after=after, limit=current_app.config["PAGE_SIZE"]
    )
    return render_template(
        "profiles/index.html", profiles=rows, q=q, after=after, next_cursor=next_cursor
    )


@bp.route("/<int:id>")
@ALL_ROLES
def detail(id: int):
    """Everything about one person: fields with provenance, stage history, notes, timeline,
    source records."""
    return _render_detail(get_profile_or_404(id), NoteForm())


def _render_detail(profile: Profile, note_form: NoteForm, status: int = 200):
    """The profile page, with the note form as given (empty, or refused with its errors)."""
    id = profile.id
    absorbing = merging.absorbing_merge(id) if profile.merged_into_id else None
    reviewer = current_user.has_role(*REVIEWERS) and not profile.merged_into_id
    merges = merging.merge_history(id)
    notes_after = request.args.get("notes_after", type=query_id)
    timeline_after = request.args.get("timeline_after", type=query_id)
    page = render_template(
        "profiles/detail.html",
        profile=profile,
        merges=merges,
        undone_merges_of=merging.undone_merges_of(id),
        detaches=splitting.detach_history(id),
        absorbing_merge=absorbing,
        undo_first=merging.undo_blockers([m for m, *_ in merges], absorbing),
        absorbing_undo_first=merging.later_merge(absorbing) if absorbing else None,
        brought_by=merging.records_brought([m for m, *_ in merges]),
        kept_by=splitting.detach_blockers(profile, [m for m, *_ in merges]),
        suspected=duplicates.open_pairs_of(id) if reviewer else [],
        stage_history=profiles.stage_history(id),
        stage_origins=profiles.stage_origins(id),
        held_elsewhere=survivorship.held_elsewhere(profile),
        bounced=survivorship.bounced_emails(profile),
        consents=profiles.consents_of([profile])[id],
        consent_history=profiles.consent_history(id),
        attribution=notes.attribution(profile),
        note_form=note_form,
        notes_after=notes_after,
        notes_page=_first_page_if_stale(notes.notes_of, id, notes_after),
        timeline_after=timeline_after,
        timeline_page=_first_page_if_stale(notes.touchpoints_of, id, timeline_after),
    )
    return page, status


def _first_page_if_stale(list_of, profile_id: int, after: int | None) -> tuple[list, int | None]:
    """A page of a profile's notes or touchpoints; the first one when the cursor is none of
    the profile's (a link kept from before a merge was undone)."""
    try:
        return list_of(profile_id, after=after)
    except ValidationError:
        return list_of(profile_id)


@bp.route("/<int:id>/notes", methods=["POST"])
@roles(*EDITORS)
def add_note(id: int):
    """Write a note on a profile; a refused one shows the page again with what was typed."""
    profile = get_profile_or_404(id)
    if profile.merged_into_id:  # merged into another since the page was opened
        return _note_merged_away(profile)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            notes.add_note(id, form.body.data, actor=current_user._get_current_object())
        except NotFoundError:
            abort(404)
        except ConflictError:  # merged between the check above and the service's lock
            return _note_merged_away(profile)
        except ValidationError as error:
            form.body.errors = refusal_texts(error.fields.get("body") or [error.message])
        else:
            flash(_("Note added."), "success")
            return redirect(url_for("profiles.detail", id=id, _anchor="notes"))
    return _render_detail(profile, form, status=422)


def _note_merged_away(profile: Profile):
    """Back to the page of a profile merged into another, flashing why it takes no note."""
    message = _(
        "This profile was merged into profile #%(id)s: write the note there, or undo the "
        "merge first.",
        id=profile.merged_into_id,
    )
    flash(message, "error")
    return redirect(url_for("profiles.detail", id=profile.id, _anchor="notes"))


@bp.route("/new", methods=["GET", "POST"])
@roles(*EDITORS)
def new():
    """Create a profile by hand (it gets a 'manual' source record). A profile that looks
    like people already here is shown with them first; "Create anyway" saves it and puts
    the pairs in the review queue. A sales rep's new lead is theirs unless they say."""
    mine = str(current_user.id) if current_user.role == "sales" else ""
    form = NewProfileForm(owner=mine)
    form.set_owner_choices(profiles.assignable_owners())
    if form.validate_on_submit():
        try:
            profile = profiles.create_profile(
                form.to_data(keep_empty=False),
                actor=current_user._get_current_object(),
                on_duplicate="review" if form.create_anyway.data else "refuse",
            )
        except LikelyDuplicateError as error:
            return _render_form(form, None, status=409, likely=error.matches)
        except (ValidationError, ConflictError) as error:
            return _refused(form, None, error)
        flash(_("Profile created."), "success")
        return redirect(url_for("profiles.detail", id=profile.id))
    return _render_form(form, None, status=422 if form.errors else 200)


@bp.route("/<int:id>/edit", methods=["GET", "POST"])
@roles(*EDITORS)
def edit(id: int):
    """Edit a profile, refusing the save if someone else changed it since it was opened.
    A profile merged into another is edited there: its own page says so."""
    profile = get_profile_or_404(id)
    if profile.merged_into_id and request.method == "GET":
        flash(_merged_away(profile), "warning")
        return redirect(url_for("profiles.detail", id=id))
    form = EditProfileForm(data=profile_form_data(profile))
    form.set_owner_choices(profiles.assignable_owners(profile.owner_id))
    if form.validate_on_submit():
        data = form.to_data(keep_empty=True, current_owner_id=profile.owner_id)
        try:
            profiles.update_profile(
                id,
                data,
                expected_version=form.version.data,
                actor=current_user._get_current_object(),
            )
        except NotFoundError:
            abort(404)
        except (ValidationError, ConflictError) as error:
            return _refused(form, profile, error)
        flash(_("Profile saved."), "success")
        return redirect(url_for("profiles.detail", id=id))
    return _render_form(form, profile, status=422 if form.errors else 200)


def _refused(form: ProfileForm, profile: Profile | None, error: ValidationError | ConflictError):
    """Re-render the form after the service refused the save: 409 for a conflict, else 422.
    Messages that no visible field can show go above the form, so no refusal is silent;
    all of them in the user's language."""
    stale = isinstance(error, ConflictError) and not set(error.fields) - {"version"}
    other: list[str] = []
    if not stale:
        for name, messages in error.fields.items():
            field = form._fields.get(name)
            if name in ("version", "csrf_token"):
                continue  # developer words; a stale or missing version has its own alert
            messages = refusal_texts(messages)
            if field is None:
                other.extend(m for m in messages if m not in other)
            else:
                field.errors = [*field.errors, *messages]
        message = refusal_text(error.message)
        if message and not form.errors and message not in other:
            other.insert(0, message)
    if profile is not None and profile.merged_into_id:
        other = [_merged_away(profile)]  # the service's words, in the user's language
    status = 409 if isinstance(error, ConflictError) else 422
    return _render_form(form, profile, status=status, stale=stale, other_errors=other)


def _merged_away(profile: Profile) -> str:
    """Why a profile merged into another is not edited itself."""
    return _(
        "This profile was merged into profile #%(id)s: edit that one, or undo the merge first.",
        id=profile.merged_into_id,
    )


def _render_form(form: ProfileForm, profile: Profile | None, *, status: int, **alerts):
    """The create/edit page with its form and any alerts."""
    return render_template("profiles/form.html", form=form, profile=profile, **alerts), status


@bp.route("/<int:id>/merge")
@roles(*EDITORS)
def merge_search(id: int):
    """Find another profile (by id or by name, email, phone, company) to merge into this one."""
    profile = get_profile_or_404(id)
    q = request.args.get("q", "").strip()[:MAX_QUERY_LENGTH]
    candidates = merging.merge_candidates(id, q) if q and not profile.merged_into_id else []
    return render_template(
        "profiles/_merge_search.html", profile=profile, q=q, candidates=candidates
    )


@bp.route("/<int:id>/merge/<int:other_id>", methods=["GET", "POST"])
@roles(*EDITORS)
def merge(id: int, other_id: int):
    """Show both profiles side by side; the confirmed POST merges other_id into id. A
    profile and itself are refused at once, back on its page. A pair a person marked as
    different people says so, and its merge needs a box ticked besides the button."""
    survivor, other = get_profile_or_404(id), get_profile_or_404(other_id)
    if id == other_id:
        return _self_merge_refused(id)
    distinct, decider = duplicates.distinct_decision(id, other_id)
    form = DistinctMergeForm() if distinct else MergeForm()
    error = None
    if form.validate_on_submit():
        reasons = [form.reason.data.strip()] if form.reason.data else []
        seen = ((id, form.survivor_version.data), (other_id, form.other_version.data))
        try:
            duplicates.merge_and_weigh_again(  # the distinct form's box was ticked
                id,
                other_id,
                actor=current_user._get_current_object(),
                reasons=reasons,
                overrule_distinct=distinct is not None,
                versions={pid: version for pid, version in seen if version is not None},
            )
        except NotFoundError:
            abort(404)
        except (ValidationError, ConflictError) as exc:
            error = refusal_text(exc.message)
        else:
            flash(_("Profile #%(other)s was merged into this profile.", other=other_id), "success")
            return redirect(url_for("profiles.detail", id=id))
    status = 422 if form.errors or error else 200
    # What the page shows now is what the next click merges.
    for field, profile in ((form.survivor_version, survivor), (form.other_version, other)):
        field.data, field.raw_data = profile.version, None
    live = not (survivor.merged_into_id or other.merged_into_id)
    page = render_template(
        "profiles/_merge_confirm.html",
        survivor=survivor,
        other=other,
        form=form,
        error=error,
        distinct=distinct,
        decider=decider,
        # What says the two are different people, and a merge of them undone before.
        warnings=duplicates.merge_warnings(id, other_id) if live else [],
        undone=duplicates.undone_merge(distinct.profile_a_id, distinct.profile_b_id)
        if distinct
        else None,
    )
    return page, status


def _self_merge_refused(id: int):
    """Back to the profile, flashing the merging service's refusal of a self-merge."""
    try:
        merging.refuse_self_merge(id, id)
    except ValidationError as exc:
        reason = refusal_text(exc.message)
        flash(_("The profiles were not merged: %(reason)s", reason=reason), "error")
    return redirect(url_for("profiles.detail", id=id))


@bp.route("/<int:id>/records/<int:record_id>/detach", methods=["GET", "POST"])
@roles(*EDITORS)
def detach_record(id: int, record_id: int):
    """Make one source record of a profile a profile of its own (a wrong join undone),
    once confirmed on a page that shows the record (or why it cannot be detached)."""
    profile = get_profile_or_404(id)
    record = next((r for r in profile.source_records if r.id == record_id), None)
    if record is None:
        abort(404)
    form = DetachRecordForm()
    if request.method == "GET":
        merges = [m for m, *_ in merging.merge_history(id)]
        return render_template(
            "profiles/detach_confirm.html",
            profile=profile,
            record=record,
            form=form,
            brought_by=merging.records_brought(merges).get(record.id),
            kept_by=splitting.detach_blockers(profile, merges).get(record.id),
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        new = splitting.detach_record(record_id, actor=current_user._get_current_object())
    except NotFoundError:
        abort(404)
    except (ValidationError, ConflictError) as exc:
        reason = refusal_text(exc.message)
        flash(_("The record was not detached: %(reason)s", reason=reason), "error")
        return redirect(url_for("profiles.detail", id=id))
    flash(
        _(
            "The record is now profile #%(id)s; the two will not be proposed as duplicates.",
            id=new.id,
        ),
        "success",
    )
    return redirect(url_for("profiles.detail", id=new.id))


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"])
@roles(*EDITORS)
def undo_merge(merge_id: int):
    """Undo a merge: both profiles as they were before it (manual edits since are kept);
    with_later=1 undoes the later merges that build on it first (reopened for review)."""
    try:
        survivor_id = merging.get_merge(merge_id).survivor_id
    except NotFoundError:
        abort(404)
    if not UndoMergeForm().validate_on_submit():
        abort(400)
    try:
        restored = merging.undo_merge(
            merge_id,
            actor=current_user._get_current_object(),
            with_later=request.args.get("with_later") == "1",
        )[1]
    except NotFoundError:
        abort(404)
    except ConflictError as exc:
        reason = refusal_text(exc.message)
        flash(_("The merge was not undone: %(reason)s", reason=reason), "error")
        return redirect(url_for("profiles.detail", id=survivor_id))
    flash(_("Merge undone: profile #%(id)s is separate again.", id=restored.id), "success")
    return redirect(url_for("profiles.detail", id=survivor_id))
