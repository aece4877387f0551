"""Imports: upload a file, check its column mapping, follow the import job, get the report."""

from babel.numbers import get_decimal_symbol
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from crm.forms.imports import (
    DATE_LABELS,
    NAME_LABELS,
    UploadForm,
    field_label,
    format_label,
    mapping_form,
)
from crm.models import ImportBatch, Job
from crm.security import roles
from crm.services import imports_ui, jobs
from crm.services.errors import NotFoundError, ValidationError
from crm.views.reasons import reason_text, refusal_text, refusal_texts

bp = Blueprint("imports", __name__, url_prefix="/imports")
IMPORT_ROLES = ("admin", "marketer")
# Uploads larger than this are refused with 413 before they reach a view.
MAX_UPLOAD_BYTES = 1024**3
# The preview's problems with rows are the readers' words: said in the user's language.
bp.add_app_template_global(refusal_text)


@bp.record_once
def _limit_request_size(state) -> None:
    """Bound request bodies (uploads) unless the configuration already does."""
    if state.app.config.get("MAX_CONTENT_LENGTH") is None:
        state.app.config["MAX_CONTENT_LENGTH"] = MAX_UPLOAD_BYTES


@bp.app_template_global()
def import_field_label(name: str) -> str:
    """A canonical field's label for import pages."""
    return field_label(name)


@bp.app_template_global()
def import_job_percent(job: Job) -> int:
    """How far an import job is, 0-100."""
    return jobs.percent(job)


def get_upload_or_404(upload_id: str) -> imports_ui.Upload:
    """The signed-in user's upload (admins: anyone's); 404 otherwise."""
    try:
        return imports_ui.get_upload(upload_id, actor=current_user._get_current_object())
    except NotFoundError:
        abort(404)


def get_job_or_404(job_id: str) -> Job:
    """An import job; 404 otherwise."""
    try:
        return jobs.get_job(job_id, kind="import")
    except NotFoundError:
        abort(404)


def get_batch_or_404(batch_id: str) -> ImportBatch:
    """An import batch; 404 otherwise."""
    try:
        return imports_ui.get_batch(batch_id)
    except NotFoundError:
        abort(404)


def progress_message(job: Job) -> str:
    """The job's state in the user's language."""
    rows = (job.result or {}).get("rows", 0)
    if job.status == "queued":
        return _("Waiting for a worker…")
    if job.status == "running":
        return _("Importing: %(rows)s rows read so far.", rows=rows)
    if job.status == "done":
        return _("Import finished: %(rows)s rows.", rows=rows)
    return _("Import failed: %(error)s", error=refusal_text(job.error or ""))


@bp.route("/")
@roles(*IMPORT_ROLES)
def index():
    """Recent import batches and the imports still running. Uploads left unimported
    past their time are deleted here too, not only when the next file is uploaded, and
    so are the rows of reports past theirs."""
    imports_ui.sweep_uploads()
    imports_ui.sweep_reports()
    return render_template(
        "imports/index.html",
        batches=imports_ui.recent_batches(),
        active=imports_ui.active_jobs(),
        format_label=format_label,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles(*IMPORT_ROLES)
def new():
    """Upload a file and say where it comes from; then the preview."""
    form = UploadForm()
    form.set_sources(imports_ui.import_source_names())
    if form.validate_on_submit():
        try:
            upload = imports_ui.save_upload(
                form.file.data.stream,
                filename=form.file.data.filename or "",
                source_name=form.source_name(),
                fmt=form.format.data,
                actor=current_user._get_current_object(),
            )
        except ValidationError as error:
            form.mark_refused(error.fields, refusal_texts)
            flash(refusal_text(error.message), "danger")
        else:
            return redirect(url_for("imports.preview", upload_id=upload.id))
    return render_template("imports/new.html", form=form)


@bp.route("/preview/<upload_id>", methods=["GET", "POST"])
@roles(*IMPORT_ROLES)
def preview(upload_id: str):
    """The file's first rows and detected mapping, which the user corrects and starts."""
    upload = get_upload_or_404(upload_id)
    try:
        shown = imports_ui.preview_upload(upload)
    except ValidationError as error:  # not a text file: say what to do, keep nothing
        imports_ui.delete_upload(upload.id)
        flash(refusal_text(error.message), "danger")
        return redirect(url_for("imports.new"))
    form = mapping_form(
        shown.headers,
        imports_ui.mapping_targets(shown.format),
        shown.mapping,
        month_first=shown.month_first,
        surname_first=shown.surname_first,
        region=shown.region,
    )
    if form.validate_on_submit():
        try:
            overrides = imports_ui.check_mapping(shown.headers, form.chosen(), shown.format)
            job = imports_ui.start_import(
                upload,
                fmt=shown.format,
                overrides=overrides,
                actor=current_user._get_current_object(),
                region=form.region.data,
                **form.reading(),
            )
        except ValidationError as error:
            for header, field in form.columns():
                field.errors = refusal_texts(error.fields.get(header, []))
            flash(refusal_text(error.message), "danger")
        else:
            return redirect(url_for("imports.job", job_id=job.id))
    return render_template(
        "imports/preview.html", upload=upload, preview=shown, form=form, format_label=format_label
    )


@bp.route("/preview/<upload_id>/phones")
@roles(*IMPORT_ROLES)
def phone_sample(upload_id: str):
    """The preview's first phones read as another country's (?region=US), from the
    columns the person maps to phone and country (?mapped=1&phone=H&country=H) if given,
    as JSON for phone-sample.js: [{"written", "stored"}], stored (international form)
    null where it reads as no number."""
    upload = get_upload_or_404(upload_id)
    mapped = None
    if request.args.get("mapped"):  # the columns as the person maps them now
        mapped = {f: request.args.getlist(f) for f in ("phone", "country")}
    try:
        found = imports_ui.phone_sample(upload, request.args.get("region", ""), mapped)
    except ValidationError as error:
        return jsonify({"message": refusal_text(error.message), "errors": error.fields}), 422
    return jsonify(
        {"phones": [{"written": written, "stored": stored} for written, stored in found]}
    )


@bp.route("/jobs/<job_id>")
@roles(*IMPORT_ROLES)
def job(job_id: str):
    """Progress (polled by job-progress.js; refreshes itself without JS), then the summary."""
    found = get_job_or_404(job_id)
    batch_id = (found.result or {}).get("batch_id")
    return render_template(
        "imports/job.html",
        job=found,
        percent=jobs.percent(found),
        message=progress_message(found),
        batch_id=batch_id,
    )


@bp.route("/jobs/<job_id>/status")
@roles(*IMPORT_ROLES)
def job_status(job_id: str):
    """The job's state as JSON: status, progress, total, percent, message, result."""
    found = get_job_or_404(job_id)
    return jsonify({**jobs.status_of(found), "message": progress_message(found)})


@bp.route("/batches/<batch_id>")
@roles(*IMPORT_ROLES)
def batch(batch_id: str):
    """One import batch: its counts, mapping and report."""
    found = get_batch_or_404(batch_id)
    return render_template(
        "imports/batch.html",
        batch=found,
        job=imports_ui.batch_job(found.id),
        format_label=format_label,
        order_labels={**DATE_LABELS, **NAME_LABELS},
    )


def _report_words() -> imports_ui.ReportWords:
    """The report's column names and kinds in the user's language, and the delimiter of
    their spreadsheets (";" where numbers are written 0,95)."""
    labels = {
        "file": _("file"),
        "row": _("row"),
        "kind": _("kind"),
        "column": _("column"),
        "reason": _("reason"),
        "rejected": _("rejected"),
        "warning": _("warning"),
    }
    comma = get_decimal_symbol(get_locale()) == ","
    return imports_ui.ReportWords(labels, ";" if comma else ",", reason_text)


@bp.route("/batches/<batch_id>/report.csv")
@roles(*IMPORT_ROLES)
def report(batch_id: str):
    """Download the rejected and warning rows of a batch as CSV (audited)."""
    try:
        chunks = imports_ui.report_csv(
            batch_id, actor=current_user._get_current_object(), words=_report_words()
        )
    except NotFoundError:
        abort(404)
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{batch_id}-report.csv"'},
    )
