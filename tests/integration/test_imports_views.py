"""HTTP tests of imports from the web UI: upload, preview, mapping, job, progress, report."""

import csv
import io
import os
import re
import threading
import time
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditLog, ImportBatch, ImportRejection, Job, Profile, Source, SourceRecord
from crm.services import imports_ui, ingest, jobs, profiles
from tests import factories

ITALIAN_CSV = (
    "Codice cliente;Nome;Cognome;E-mail;Cellulare;Città;Note\n"
    "C1;Mario;Rossi;mario.rossi@example.it;333 1234567;Milano;Acme Srl\n"
    "C2;Lucia;Bianchi;lucia(at)example.it;;Roma;\n"
    ";;;;;;solo una nota\n"
).encode()
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"


class _MappingReader(HTMLParser):
    """What the preview's mapping form shows: header label -> (select name, selected value)."""

    def __init__(self):
        super().__init__()
        self.labels: dict[str, str] = {}  # select id -> label text
        self.selected: dict[str, str] = {}  # select name -> selected value
        self.token = ""
        self._label_for: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        """Remember labels, selects, their selected options and the CSRF token."""
        attrs = dict(attrs)
        if tag == "label" and (attrs.get("for") or "").startswith("col_"):
            self._label_for = attrs["for"]
            self.labels[self._label_for] = ""
        elif tag == "select" and (attrs.get("name") or "").startswith("col_"):
            self._select = attrs["name"]
            self.selected[self._select] = ""
        elif tag == "option" and self._select and "selected" in attrs:
            self.selected[self._select] = attrs.get("value") or ""
        elif tag == "input" and attrs.get("name") == "csrf_token":
            self.token = attrs.get("value") or ""

    def handle_endtag(self, tag):
        """Close labels and selects."""
        if tag == "label":
            self._label_for = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        """Label text."""
        if self._label_for:
            self.labels[self._label_for] += data

    def mapping(self) -> dict[str, str]:
        """Header -> selected field ("" for ignored)."""
        return {self.labels[name].strip(): value for name, value in self.selected.items()}

    def names(self) -> dict[str, str]:
        """Header -> select name."""
        return {text.strip(): name for name, text in self.labels.items()}


@pytest.fixture
def sync_jobs(app):
    """Jobs run inline, before the request that starts them returns."""
    app.config["JOBS_MODE"] = "sync"


def _upload(client, content: bytes = ITALIAN_CSV, filename: str = "contatti.csv", **fields):
    """Post the upload form as a browser would; returns the response."""
    data = {
        "csrf_token": factories.csrf_token(client, "/imports/new"),
        "source": "",
        "new_source": "fiera",
        "format": "auto",
        **fields,
        "file": (io.BytesIO(content), filename),
    }
    return client.post("/imports/new", data=data, content_type="multipart/form-data")


def _preview(client, **kwargs) -> tuple[str, _MappingReader]:
    """Upload a file and read its preview page; returns (preview path, mapping form)."""
    response = _upload(client, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    path = response.headers["Location"]
    assert re.fullmatch(r"/imports/preview/[0-9a-f]{32}", path)
    reader = _MappingReader()
    page = client.get(path)
    assert page.status_code == 200
    reader.feed(page.get_data(as_text=True))
    return path, reader


def _start(client, path: str, reader: _MappingReader, changes: dict | None = None):
    """Submit the mapping form (with changes {header: field}); returns the response."""
    names = reader.names()
    data = {"csrf_token": reader.token, **reader.selected}
    for header, target in (changes or {}).items():
        data[names[header]] = target
    return client.post(path, data=data)


def _job_id(response) -> str:
    """The job id from the redirect after Start import."""
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.fullmatch(r"/imports/jobs/([0-9a-f]{32})", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def _upload_files(app) -> list[str]:
    """Files left in the uploads folder."""
    folder = os.path.join(app.instance_path, imports_ui.UPLOAD_DIR)
    return os.listdir(folder) if os.path.isdir(folder) else []


def _run_import(client, auth, changes: dict | None = None) -> str:
    """Sign in as a marketer, upload the Italian file and start it; returns the job id."""
    auth.login_as("marketer")
    path, reader = _preview(client)
    return _job_id(_start(client, path, reader, changes))


def test_preview_shows_detected_format_rows_and_mapping_of_italian_headers(client, auth, app):
    auth.login_as("marketer")
    path, reader = _preview(client)
    assert reader.mapping() == {
        "Codice cliente": "external_id",
        "Nome": "first_name",
        "Cognome": "last_name",
        "E-mail": "email",
        "Cellulare": "phone",
        "Città": "city",
        "Note": "",
    }
    html = client.get(path).get_data(as_text=True)
    assert re.search(r'id="detected-format">[^<]*\(csv\)', html)
    assert re.search(r'id="detected-delimiter"><code>;</code>', html)
    assert 'id="detected-encoding">utf-8<' in html
    assert "mario.rossi@example.it" in html and "Lucia" in html
    # every select offers every canonical field plus "ignore"
    options = re.findall(
        r'<option[^>]*value="([^"]*)"', html.split('id="col_0"')[1].split("</select>")[0]
    )
    assert options[0] == "" and {"first_name", "postcode", "birth_date", "tags", "stage"} <= set(
        options
    )
    # the file is stored under a random name, never the user's
    stored = _upload_files(app)
    assert stored and not any("contatti" in name for name in stored)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_import_runs_as_a_job_and_the_page_shows_the_summary(client, auth, app, sync_jobs):
    job_id = _import = _run_import(client, auth)
    job = db.session.get(Job, _import)
    assert job.status == "done", job.error
    assert job.kind == "import"
    summary = job.result
    assert (summary["rows"], summary["created"], summary["rejected"], summary["warnings"]) == (
        3,
        2,
        1,
        1,
    )
    batch = db.session.get(ImportBatch, summary["batch_id"])
    assert batch.filename == "contatti.csv" and batch.source.name == "fiera"
    page = client.get(f"/imports/jobs/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page and "job-progress.js" not in page
    assert re.search(r'id="count-rows">3<', page)
    assert re.search(r'id="count-created">2<', page)
    assert re.search(r'id="count-rejected">1<', page)
    assert re.search(r'id="count-warnings">1<', page)
    assert f"/imports/batches/{batch.id}/report.csv" in page
    listing = client.get("/imports/").get_data(as_text=True)
    assert f'id="batch-{batch.id}"' in listing and "contatti.csv" in listing


def test_json_lines_and_hubspot_files_are_detected(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(
        client, content=(FIXTURES / "shop.jsonl").read_bytes(), filename="shop.jsonl"
    )
    assert 'id="detected-format">JSON Lines or a JSON array (jsonl)' in client.get(path).get_data(
        as_text=True
    )
    assert reader.mapping()["telefono"] == "phone"
    job = db.session.get(Job, _job_id(_start(client, path, reader)))
    assert job.status == "done", job.error
    assert job.result["rejected"] >= 1 and job.result["created"] >= 2
    path, reader = _preview(
        client,
        content=(FIXTURES / "hubspot_contacts.csv").read_bytes(),
        filename="export.csv",
    )
    assert reader.mapping()["Lifecycle Stage"] == "stage"
    assert reader.mapping()["Unsubscribed from all email"] == "unsubscribed"


def test_uploads_are_limited_in_size(client, auth, app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024**3
    auth.login_as("marketer")
    app.config["MAX_CONTENT_LENGTH"] = 2000
    assert _upload(client, content=b"email\n" + b"a@example.com\n" * 500).status_code == 413
    assert _upload_files(app) == []


def test_mapping_correction_is_honoured(client, auth, sync_jobs):
    job_id = _run_import(client, auth, {"Note": "company", "Città": ""})
    job = db.session.get(Job, job_id)
    assert job.status == "done", job.error
    record = db.session.scalar(select(SourceRecord).where(SourceRecord.external_id == "C1"))
    profile = db.session.get(Profile, record.profile_id)
    assert profile.company == "Acme Srl"
    assert profile.city is None
    batch = db.session.get(ImportBatch, job.result["batch_id"])
    assert batch.mapping["columns"]["Note"] == "company"
    assert "Città" in batch.mapping["unmapped"]


def test_a_field_chosen_for_two_columns_is_refused(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(client)
    response = _start(client, path, reader, {"Note": "first_name"})
    assert response.status_code == 200
    assert "already taken" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_status_endpoint_reports_the_job_as_json(client, auth, sync_jobs):
    job_id = _run_import(client, auth)
    data = client.get(f"/imports/jobs/{job_id}/status").get_json()
    assert set(data) >= {"status", "progress", "total", "percent", "message", "result"}
    assert data["status"] == "done"
    assert data["percent"] == 100
    assert data["total"] == len(ITALIAN_CSV) and data["progress"] == data["total"]
    assert data["result"]["rows"] == 3 and len(data["result"]["batch_id"]) == 32
    assert isinstance(data["message"], str) and data["message"]


def test_running_job_page_refreshes_and_loads_the_progress_script(client, auth, app):
    user = auth.login_as("marketer")
    job = Job(kind="import", status="running", progress=250, total=1000, created_by_id=user.id)
    db.session.add(job)
    db.session.commit()
    page = client.get(f"/imports/jobs/{job.id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert 'src="/static/js/job-progress.js"' in page
    assert f'data-status-url="/imports/jobs/{job.id}/status"' in page
    assert 'aria-valuenow="25"' in page
    assert "<script>" not in page  # CSP: no inline script
    status = client.get(f"/imports/jobs/{job.id}/status").get_json()
    assert (status["status"], status["percent"]) == ("running", 25)
    with client.get("/static/js/job-progress.js") as script:
        assert script.status_code == 200


def test_report_csv_lists_the_bad_rows_with_number_and_reason(client, auth, sync_jobs):
    job_id = _run_import(client, auth)
    batch_id = db.session.get(Job, job_id).result["batch_id"]
    response = client.get(f"/imports/batches/{batch_id}/report.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["row", "kind", "column", "reason"]
    assert rows[0][4:] == [
        "Codice cliente",
        "Nome",
        "Cognome",
        "E-mail",
        "Cellulare",
        "Città",
        "Note",
    ]
    by_row = {row[0]: row for row in rows[1:]}
    assert by_row["3"][1:3] == ["warning", "E-mail"] and by_row["3"][5] == "Lucia"
    assert by_row["4"][1] == "rejected" and "no usable" in by_row["4"][3]
    assert by_row["4"][10] == "solo una nota"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "import.report_download"))
    assert entry is not None and entry.object_id == batch_id
    assert "Lucia" not in str(entry.details)


def test_uploaded_file_is_deleted_when_the_job_finishes(client, auth, app, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(client)
    assert len(_upload_files(app)) == 2  # the data and its metadata
    job = db.session.get(Job, _job_id(_start(client, path, reader)))
    assert job.status == "done"
    assert _upload_files(app) == []
    assert client.get(path).status_code == 404


def test_an_upload_left_unimported_is_owner_only_and_goes_after_its_time(client, auth, app):
    auth.login_as("marketer")
    _preview(client)
    files = _upload_files(app)
    assert len(files) == 2
    folder = imports_ui.upload_dir()
    for name in files:
        assert os.stat(os.path.join(folder, name)).st_mode & 0o777 == 0o600, name
    # A day later nobody uploads again: opening the imports page clears it.
    old = time.time() - imports_ui.UPLOAD_TTL_SECONDS - 60
    for name in files:
        os.utime(os.path.join(folder, name), (old, old))
    assert client.get("/imports/").status_code == 200
    assert _upload_files(app) == []


def test_uploaded_file_is_deleted_when_the_job_fails(client, auth, app, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(client)
    ignore_all = dict.fromkeys(reader.names(), "")
    job = db.session.get(Job, _job_id(_start(client, path, reader, ignore_all)))
    assert job.status == "failed"
    assert "No column of the file could be recognised" in job.error
    assert _upload_files(app) == []
    page = client.get(f"/imports/jobs/{job.id}").get_data(as_text=True)
    assert "alert-danger" in page and "No column of the file" in page


@pytest.mark.parametrize("role", ["sales", "compliance"])
def test_sales_and_compliance_may_not_import(client, auth, role):
    job = Job(kind="import", status="done")
    db.session.add(job)
    db.session.commit()
    auth.login_as(role)
    for path in (
        "/imports/",
        "/imports/new",
        f"/imports/preview/{uuid.uuid4().hex}",
        f"/imports/jobs/{job.id}",
        f"/imports/jobs/{job.id}/status",
        f"/imports/batches/{uuid.uuid4().hex}",
        f"/imports/batches/{uuid.uuid4().hex}/report.csv",
    ):
        assert client.get(path).status_code == 403, path
    token = factories.csrf_token(client, "/account")
    assert client.post("/imports/new", data={"csrf_token": token}).status_code == 403
    assert "/imports/" not in client.get("/").get_data(as_text=True)


def test_marketer_sees_imports_in_the_navigation(client, auth):
    auth.login_as("marketer")
    assert 'href="/imports/"' in client.get("/").get_data(as_text=True)


def test_upload_and_start_without_csrf_token_are_refused(client, auth, app, sync_jobs):
    auth.login_as("marketer")
    response = client.post(
        "/imports/new",
        data={"new_source": "fiera", "format": "auto", "file": (io.BytesIO(ITALIAN_CSV), "a.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert _upload_files(app) == []
    path, reader = _preview(client)
    data = {**reader.selected}
    assert client.post(path, data=data).status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_another_marketers_upload_is_not_found(client, auth, app):
    auth.login_as("marketer")
    path, _reader = _preview(client)
    auth.logout()
    auth.login_as("marketer")
    assert client.get(path).status_code == 404


def test_thread_mode_runs_the_import_in_the_background(client, auth, app):
    app.config["JOBS_MODE"] = "thread"
    job_id = _run_import(client, auth)
    db.session.rollback()  # leave the database to the job's own session
    deadline = time.monotonic() + 60
    status = None
    while time.monotonic() < deadline:
        status = db.session.scalar(select(Job.status).where(Job.id == job_id))
        db.session.rollback()
        if status in jobs.FINISHED:
            break
        time.sleep(0.05)
    for thread in threading.enumerate():
        if thread.name == jobs.thread_name(job_id):
            thread.join(timeout=30)
    assert status == "done"
    assert db.session.get(Job, job_id).result["rows"] == 3
    assert _upload_files(app) == []


def test_rq_mode_runs_the_import_on_a_worker(client, auth, app, redis_queue, monkeypatch):
    from rq import SimpleWorker

    # A worker gives an import time by the size of its file, not one fixed hour.
    monkeypatch.setattr(jobs, "JOB_TIMEOUT", 10)
    monkeypatch.setattr(imports_ui, "IMPORT_FLOOR_BYTES_PER_SECOND", 1)
    job_id = _run_import(client, auth)
    db.session.rollback()
    assert db.session.get(Job, job_id).status == "queued"
    assert redis_queue.count == 1
    assert redis_queue.jobs[0].timeout == len(ITALIAN_CSV)
    db.session.rollback()
    SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    job = db.session.get(Job, job_id)
    assert job.status == "done", job.error
    assert job.result["created"] == 2
    assert _upload_files(app) == []


def test_a_spreadsheet_upload_is_refused_with_advice_and_not_kept(client, auth, app):
    auth.login_as("marketer")
    response = _upload(client, content=b"PK\x03\x04" + b"\x00" * 200, filename="contatti.xlsx")
    if response.status_code == 302 and "/preview/" in response.headers["Location"]:
        response = client.get(response.headers["Location"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/imports/new")
    page = client.get("/imports/new").get_data(as_text=True)
    assert "save it as CSV" in page
    assert _upload_files(app) == []


def test_an_import_interrupted_by_a_restart_ends_failed_with_its_batch(client, auth, app):
    """A web import whose process died (a restart) must not wait forever at its progress bar."""
    import subprocess
    import sys

    from crm.models import ImportBatch, Source
    from crm.services import jobs

    auth.login_as("marketer")
    path, _reader = _preview(client)
    upload_id = path.rsplit("/", 1)[1]
    source = Source(name="fair", label="fair")
    db.session.add(source)
    db.session.flush()
    batch = ImportBatch(source_id=source.id, filename="contatti.csv", status="running")
    db.session.add(batch)
    db.session.flush()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = jobs.runner_id().rpartition(":")[0]
    job = Job(
        kind="import",
        status="running",
        params={"upload_id": upload_id, "source_name": "fair"},
        result={"rows": 500, "batch_id": batch.id},
        runner=f"{host}:{child.pid}",
    )
    db.session.add(job)
    db.session.commit()
    assert [j.id for j in imports_ui.active_jobs()] == []
    status = client.get(f"/imports/jobs/{job.id}/status").get_json()
    assert status["status"] == "failed" and status["error"] == jobs.INTERRUPTED
    db.session.expire_all()
    assert db.session.get(ImportBatch, batch.id).status == "failed"
    assert _upload_files(app) == []


def test_a_command_line_import_that_was_killed_shows_as_failed(client, auth, app):
    """`crm import` stopped half-way (Ctrl-C, a crash) must not look as if still running."""
    import subprocess
    import sys

    from crm.models import ImportBatch, Source
    from crm.services import jobs

    source = Source(name="crm", label="crm")
    db.session.add(source)
    db.session.flush()
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = jobs.runner_id().rpartition(":")[0]
    killed = ImportBatch(source_id=source.id, filename="a.csv", runner=f"{host}:{child.pid}")
    running = ImportBatch(source_id=source.id, filename="b.csv", runner=jobs.runner_id())
    db.session.add_all([killed, running])
    db.session.commit()
    auth.login_as("marketer")
    assert client.get("/imports/").status_code == 200
    db.session.expire_all()
    assert db.session.get(ImportBatch, killed.id).status == "failed"
    assert db.session.get(ImportBatch, running.id).status == "running"


def test_an_import_records_its_runner(app):
    from crm.models import ImportBatch
    from crm.services import ingest, jobs

    summary = ingest.import_stream(
        io.BytesIO(b"id,email\n1,a@example.com\n"), filename="a.csv", source_name="shop"
    )
    assert db.session.get(ImportBatch, summary["batch_id"]).runner == jobs.runner_id()


def test_an_export_with_home_and_business_addresses_starts_as_detected(client, auth, sync_jobs):
    auth.login_as("marketer")
    content = (
        b"First Name,Last Name,E-mail Address,E-mail 2 Address,Business City,Home City\n"
        b"Anna,Rossi,anna@acme.it,anna@casa.it,,Milano\n"
    )
    path, reader = _preview(client, content=content, filename="outlook.csv")
    assert reader.mapping() == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "E-mail Address": "email",
        "E-mail 2 Address": "email",
        "Business City": "city",
        "Home City": "city",
    }
    job = db.session.get(Job, _job_id(_start(client, path, reader)))
    assert job.status == "done", job.error
    record = db.session.scalar(select(SourceRecord))
    profile = db.session.get(Profile, record.profile_id)
    assert profile.city == "Milano"
    assert {e.email for e in profile.emails} == {"anna@acme.it", "anna@casa.it"}


def test_preview_of_an_excel_csv_with_a_separator_line(client, auth):
    auth.login_as("marketer")
    content = "sep=;\r\nNome;Città;E-mail\r\nAnna;Milano;anna@example.it\r\n".encode("cp1252")
    _, reader = _preview(client, content=content, filename="excel.csv")
    assert reader.mapping() == {"Nome": "first_name", "Città": "city", "E-mail": "email"}


def test_an_xlsx_upload_previews_and_imports(client, auth, sync_jobs):
    from openpyxl import Workbook

    book = Workbook()
    for row in (["Nome", "Cognome", "E-mail"], ["Anna", "Rossi", "anna@example.it"]):
        book.active.append(row)
    data = io.BytesIO()
    book.save(data)
    auth.login_as("marketer")
    path, reader = _preview(client, content=data.getvalue(), filename="contatti.xlsx")
    assert reader.mapping() == {"Nome": "first_name", "Cognome": "last_name", "E-mail": "email"}
    preview = client.get(path).get_data(as_text=True)
    assert 'id="detected-encoding">xlsx' in preview
    assert 'id="detected-format">Excel workbook (.xlsx)' in preview
    job = db.session.get(Job, _job_id(_start(client, path, reader)))
    assert job.status == "done", job.error
    assert job.result["created"] == 1
    batch_page = client.get(f"/imports/batches/{job.result['batch_id']}").get_data(as_text=True)
    assert "Excel workbook (.xlsx)" in batch_page and ">CSV<" not in batch_page
    assert "Excel workbook (.xlsx)" in client.get("/imports/").get_data(as_text=True)


def test_a_mailchimp_export_zip_previews_its_files_and_reports_rows_by_file(
    client, auth, sync_jobs
):
    auth.login_as("marketer")
    content = factories.zip_of(factories.MAILCHIMP_EXPORT)
    path, reader = _preview(client, content=content, filename="audience_export.zip")
    page = client.get(path).get_data(as_text=True)
    assert 'id="detected-format">' in page and "(mailchimp)" in page
    assert "<code>unsubscribed_email_audience_export_5f3a.csv</code>" in page
    mapping = reader.mapping()
    assert (mapping["Email Address"], mapping["UNSUB_TIME"]) == ("email", "unsub_time")
    assert mapping["CLEAN_TIME"] == "clean_time"  # the preview says it is read
    job = db.session.get(Job, _job_id(_start(client, path, reader)))
    assert job.status == "done", job.error
    assert (job.result["created"], job.result["consents"]) == (4, 4)
    report = client.get(f"/imports/batches/{job.result['batch_id']}/report.csv")
    rows = list(csv.reader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["file", "row", "kind", "column", "reason"]
    assert rows[1][:4] == [
        "subscribed_email_audience_export_5f3a.csv",
        "3",
        "warning",
        "Email Address",
    ]


def test_the_summary_counts_earlier_profiles_weighed_again(client, auth, app, sync_jobs):
    header = "id,first_name,last_name,city,company,email\n"
    for source, row in (
        ("shop", "1,Giulia,Ferraresi,,,giulia@example.com\n"),
        ("crm", "C1,Giulia,Ferraresi,Milano,Acme Srl,g.ferraresi@acme.it\n"),
    ):
        ingest.import_stream(
            io.BytesIO((header + row).encode()), filename="x.csv", source_name=source
        )
    auth.login_as("marketer")
    badge = (header + "B1,Giulia,Ferraresi,Milano,Acme Srl,giulia@example.com\n").encode()
    path, reader = _preview(client, content=badge, filename="badges.csv")
    job_id = _job_id(_start(client, path, reader))
    page = client.get(f"/imports/jobs/{job_id}").get_data(as_text=True)
    assert re.search(r'id="count-rematched">1 ', page)
    # An import that weighed nothing again does not mention it.
    path, reader = _preview(client, filename="contatti.csv")
    page = client.get(f"/imports/jobs/{_job_id(_start(client, path, reader))}").get_data(
        as_text=True
    )
    assert 'id="count-rematched"' not in page and 'id="count-rows"' in page


def test_the_preview_says_how_dates_and_full_names_will_be_read(client, auth):
    auth.login_as("marketer")
    register = "Nominativo;Email;Data di nascita\n" + "".join(
        f"{name};p{n}@example.com;{day}/03/1980\n"
        for n, (name, day) in enumerate(
            [("Rossi Mario", 1), ("Bianchi Giulia", 2), ("Esposito Antonio", 25)]
            + [("Ferrari Chiara", 3), ("Colombo Sara", 4), ("Ricci Marco", 5)]
        )
    )
    path, _reader = _preview(client, content=register.encode(), filename="registro.csv")
    page = client.get(path).get_data(as_text=True)
    assert _chosen(page, "detected-names") == "surname-first"
    assert _chosen(page, "detected-dates") == "day-first"
    # Two rows tell nothing by their names; a header that says so does.
    short = "Cognome e nome;Email\nRossi Mario;m@example.com\nBianchi Giulia;g@example.com\n"
    path, _reader = _preview(client, content=short.encode(), filename="soci.csv")
    page = client.get(path).get_data(as_text=True)
    assert _chosen(page, "detected-names") == "surname-first"
    # A file with neither says nothing about them.
    path, _reader = _preview(client)
    page = client.get(path).get_data(as_text=True)
    assert 'id="detected-names"' not in page and 'id="detected-dates"' not in page


def _chosen(page: str, select_id: str) -> str:
    """The value of the selected option of a select on a page."""
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {select_id}"
    return re.search(r'<option selected value="([^"]+)"', select.group(1)).group(1)


US_EXPORT = (
    b"First Name,Last Name,Email,Date of Birth,Full Name\n"
    b"Ada,Lovelace,ada@example.com,03/04/1980,\n"
    b"Grace,Hopper,grace@example.com,05/06/1981,\n"
    b",,alan@example.com,,Turing Alan\n"
)


def test_the_marketer_corrects_how_dates_and_names_are_read(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(client, content=US_EXPORT, filename="us.csv")
    page = client.get(path).get_data(as_text=True)
    # Nothing in these rows tells: day first and first name first, as in most of Europe.
    assert _chosen(page, "detected-dates") == "day-first"
    assert _chosen(page, "detected-names") == "given-first"
    data = {"csrf_token": reader.token, **reader.selected}
    response = client.post(path, data={**data, "dates": "month-first", "names": "surname-first"})
    job_id = _job_id(response)
    ada = db.session.scalar(select(Profile).where(Profile.first_name == "Ada"))
    assert ada.birth_date.isoformat() == "1980-03-04"
    alan = db.session.scalar(select(Profile).where(Profile.last_name == "Turing"))
    assert alan.first_name == "Alan"
    batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.started_at.desc()))
    assert imports_ui.batch_job(batch.id).id == job_id
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert re.search(r'id="batch-dates">month first \(12/31/1980\)\s*<span[^>]*>as chosen', page)
    assert re.search(r'id="batch-names">surname first[^<]*<span[^>]*>as chosen', page)


def test_keeping_what_was_detected_is_not_a_choice(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(client, content=US_EXPORT, filename="us.csv")
    data = {"csrf_token": reader.token, **reader.selected, "dates": "day-first"}
    _job_id(client.post(path, data=data))
    ada = db.session.scalar(select(Profile).where(Profile.first_name == "Ada"))
    assert ada.birth_date.isoformat() == "1980-04-03"
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.mapping["dates"], batch.mapping["dates_chosen"]) == ("day-first", False)
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert re.search(r'id="batch-dates">day first[^<]*<span[^>]*>as detected', page)


def test_an_unknown_reading_order_is_refused(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(client, content=US_EXPORT, filename="us.csv")
    data = {"csrf_token": reader.token, **reader.selected, "dates": "year-first"}
    response = client.post(path, data=data)
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_how_a_file_reads_is_told_once_and_kept_with_the_upload(client, auth, app):
    auth.login_as("marketer")
    path, _reader = _preview(client, content=US_EXPORT, filename="us.csv")
    upload_id = path.rsplit("/", 1)[1]
    upload = imports_ui.get_upload(upload_id)
    assert upload.reading == [False, False, None]
    # Later views take what the first one told instead of reading the rows again.
    upload.reading = [True, True, None]
    imports_ui._write_meta(upload)
    page = client.get(path).get_data(as_text=True)
    assert _chosen(page, "detected-dates") == "month-first"
    assert _chosen(page, "detected-names") == "surname-first"


def test_the_marketer_says_where_phones_without_a_country_code_are_from(client, auth, sync_jobs):
    auth.login_as("marketer")
    us_web = b"First Name,Last Name,Email,Phone\nRobert,Johnson,rj@globex.example,(312) 555-0190\n"
    path, reader = _preview(client, content=us_web, filename="us_web.csv")
    page = client.get(path).get_data(as_text=True)
    assert _chosen(page, "phone-region") == "IT"  # a new source: Italy unless told
    assert "United States (+1)" in page
    # What Italy would make of the number is shown before anything is stored.
    sample = re.search(r'id="phone-sample"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "(312) 555-0190 → +39 312 555 0190" in sample
    data = {"csrf_token": reader.token, **reader.selected, "region": "US"}
    _job_id(client.post(path, data=data))
    robert = db.session.scalar(select(Profile).where(Profile.first_name == "Robert"))
    assert robert.primary_phone == "+13125550190"
    batch = db.session.scalar(select(ImportBatch))
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert 'id="batch-region">US<' in page
    # The new source remembers it: its next upload is read as American too.
    assert db.session.scalar(select(Source.default_region).where(Source.name == "fiera")) == "US"
    path, _reader = _preview(client, content=us_web, filename="again.csv", source="fiera")
    page = client.get(path).get_data(as_text=True)
    assert _chosen(page, "phone-region") == "US"
    assert "(312) 555-0190 → +1 312-555-0190" in page


US_PHONES = (
    b"First Name,Last Name,Phone\n"
    b"Ann,Baker,(212) 736-5000\nBob,Clark,650-253-0000\nCora,Diaz,415 555 2671\n"
    b"Dan,Evans,(718) 555-0101\nEve,Fox,202.456.1111\n"
)


def test_phones_of_another_country_preset_the_country_and_say_why(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(client, content=US_PHONES, filename="us.csv")
    page = client.get(path).get_data(as_text=True)
    assert _chosen(page, "phone-region") == "US"
    hint = re.search(r'id="phone-region-hint">(.*?)</div>', page, re.S).group(1)
    assert "written as numbers of United States, not of Italy" in hint
    assert "(212) 736-5000 → +1 212-736-5000" in page
    _job_id(client.post(path, data={"csrf_token": reader.token, **reader.selected}))
    ann = db.session.scalar(select(Profile).where(Profile.first_name == "Ann"))
    assert ann.primary_phone == "+12127365000"
    batch = db.session.scalar(select(ImportBatch))
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert "as the phones of the file show" in page
    # Set back to Italy, the batch says what the phones looked like.
    path, reader = _preview(client, content=US_PHONES, filename="us2.csv", new_source="us2")
    data = {"csrf_token": reader.token, **reader.selected, "region": "IT"}
    _job_id(client.post(path, data=data))
    batch = db.session.scalar(select(ImportBatch).where(ImportBatch.filename == "us2.csv"))
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert 'id="batch-region-hint"' in page and "United States" in page
    # Italian phones in an Italian source: nothing to say.
    italian = b"Nome,Cognome,Telefono\n" + b"".join(
        f"N{n},C{n},333 12345{n:02d}\n".encode() for n in range(6)
    )
    path, _reader = _preview(client, content=italian, filename="it.csv", new_source="negozio")
    page = client.get(path).get_data(as_text=True)
    assert _chosen(page, "phone-region") == "IT"
    assert "phone-region-hint" not in page


def test_an_unknown_phone_region_is_refused(client, auth, sync_jobs):
    auth.login_as("marketer")
    path, reader = _preview(client)
    response = client.post(
        path, data={"csrf_token": reader.token, **reader.selected, "region": "ZZ"}
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_the_phone_sample_is_read_again_for_another_country(client, auth, sync_jobs):
    auth.login_as("marketer")
    us_web = b"First Name,Last Name,Phone\nRobert,Johnson,(312) 555-0190\n"
    path, _reader = _preview(client, content=us_web, filename="us_web.csv")
    answer = client.get(path + "/phones?region=us")
    assert answer.status_code == 200
    assert answer.get_json() == {
        "phones": [{"written": "(312) 555-0190", "stored": "+1 312-555-0190"}]
    }
    answer = client.get(path + "/phones?region=FR")
    assert answer.get_json()["phones"][0]["stored"] is None
    assert client.get(path + "/phones?region=ZZ").status_code == 422
    auth.login_as("sales")  # imports are for marketers and admins
    assert client.get(path + "/phones?region=US").status_code == 403


def test_the_phone_sample_follows_the_columns_mapped_by_hand(client, auth, sync_jobs):
    auth.login_as("marketer")
    unnamed = b"First Name,Last Name,Recapito,Nazione\nRobert,Johnson,(312) 555-0190,US\n"
    path, _reader = _preview(client, content=unnamed, filename="recapiti.csv")
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'id="phone-sample"[^>]*hidden', page)  # no phone column detected
    assert 'data-header="Recapito"' in page
    answer = client.get(path + "/phones?region=IT&mapped=1&phone=Recapito&country=Nazione")
    assert answer.get_json() == {
        "phones": [{"written": "(312) 555-0190", "stored": "+1 312-555-0190"}]
    }
    # Unmapped again: no phone to show.
    assert client.get(path + "/phones?region=IT&mapped=1").get_json() == {"phones": []}


def test_an_italian_marketer_gets_the_report_in_italian_for_an_italian_spreadsheet(
    client, auth, sync_jobs
):
    job_id = _run_import(client, auth)
    batch_id = db.session.get(Job, job_id).result["batch_id"]
    token = factories.csrf_token(client, "/account")
    client.post("/account/language", data={"locale": "it", "csrf_token": token})
    text = client.get(f"/imports/batches/{batch_id}/report.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["riga", "tipo", "colonna", "motivo"]
    assert rows[0][4] == "Codice cliente"  # the file's own columns keep their names
    by_row = {row[0]: row for row in rows[1:]}
    assert by_row["3"][1] == "avviso" and by_row["4"][1] == "rifiutata"
    # The importer's reasons too; a library's own detail stays as it wrote it.
    assert by_row["3"][3] == "email non valida (An email address must have an @-sign.)"
    assert by_row["4"][3] == "nessuna email, telefono, id esterno o nome utilizzabile"


def test_the_phone_sample_reads_a_row_in_its_own_country(client, auth, sync_jobs):
    auth.login_as("marketer")
    mixed = (
        b"First Name,Last Name,Phone,Country\n"
        b"Robert,Johnson,(312) 555-0190,United States\n"
        b"Gino,Verdi,333 1234567,Italia\n"
    )
    path, _reader = _preview(client, content=mixed, filename="mixed.csv")
    page = client.get(path).get_data(as_text=True)
    sample = re.search(r'id="phone-sample"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "(312) 555-0190 → +1 312-555-0190" in sample  # as the import will store it
    assert "333 1234567 → +39 333 123 4567" in sample


def test_a_batch_of_api_records_is_labelled_as_such(client, auth):
    ingest.import_records([{"external_id": "1", "email": "api@example.it"}], source_name="web")
    auth.login_as("marketer")
    page = client.get("/imports/").get_data(as_text=True)
    assert "Records sent to the API" in page and "JSON Lines or a JSON array" not in page


def test_a_linkedin_connections_file_previews_and_imports_below_its_notes(client, auth, sync_jobs):
    """LinkedIn's Connections.csv opens with notes above its header: the preview shows the
    real columns, and the import reads its rows."""
    linkedin = (
        b"Notes:\n"
        b'"When exporting your connection data, you may notice that some of the email '
        b'addresses are missing."\n'
        b"\n"
        b"First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
        b"Chiara,Marino,https://www.linkedin.com/in/chiaramarino,,Marino Design,"
        b"Art Director,12 Mar 2024\n"
        b"Davide,Ricci,https://www.linkedin.com/in/davidericci,davide.ricci@example.com,"
        b"Ricci Tech,CTO,03 Jan 2023\n"
    )
    auth.login_as("marketer")
    path, reader = _preview(client, content=linkedin, filename="Connections.csv")
    mapping = reader.mapping()
    assert mapping["First Name"] == "first_name" and mapping["Email Address"] == "email"
    assert "Notes:" not in mapping
    html = client.get(path).get_data(as_text=True)
    assert re.search(r'id="detected-delimiter"><code>,</code>', html)
    job = db.session.get(Job, _job_id(_start(client, path, reader)))
    assert job.status == "done", job.error
    assert (job.result["rows"], job.result["created"], job.result["rejected"]) == (2, 2, 0)


def test_a_vcard_file_previews_its_cards_as_columns_and_imports(client, auth, sync_jobs):
    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "imports" / "contacts.vcf"
    auth.login_as("marketer")
    path, reader = _preview(client, content=fixture.read_bytes(), filename="contacts.vcf")
    mapping = reader.mapping()
    assert (mapping["First Name"], mapping["Email"], mapping["UID"]) == (
        "first_name",
        "email",
        "external_id",
    )
    html = client.get(path).get_data(as_text=True)
    assert re.search(r'id="detected-format">vCard contacts \(\.vcf\)</dd>', html)
    assert "giulia.rossi@example.com" in html
    job = db.session.get(Job, _job_id(_start(client, path, reader)))
    assert job.status == "done", job.error
    assert (job.result["rows"], job.result["created"], job.result["rejected"]) == (3, 2, 1)


def test_phones_that_lost_their_zero_are_shown_read_with_it_and_the_batch_says_so(
    client, auth, sync_jobs
):
    from tests.unit.test_phone_zeros import LOST_ZEROS

    auth.login_as("marketer")
    path, reader = _preview(client, content=LOST_ZEROS, filename="clienti.xlsx")
    page = client.get(path).get_data(as_text=True)
    assert 'id="phone-zeros"' in page
    sample = re.search(r'id="phone-sample"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert "212345678 → +39 02 1234 5678" in sample
    _job_id(client.post(path, data={"csrf_token": reader.token, **reader.selected}))
    mario = db.session.scalar(select(Profile).where(Profile.first_name == "Mario"))
    assert "+390212345678" in [p.phone for p in mario.phones]
    batch = db.session.scalar(select(ImportBatch))
    page = client.get(f"/imports/batches/{batch.id}").get_data(as_text=True)
    assert 'id="batch-phone-zeros"' in page
    # A file that writes its zeros says nothing of them.
    path, _reader = _preview(client, content=US_PHONES, filename="us.csv")
    assert 'id="phone-zeros"' not in client.get(path).get_data(as_text=True)


def test_a_column_nobody_headed_is_shown_by_its_letter_and_can_be_mapped(client, auth, sync_jobs):
    """A user test: the column under a blank header was neither shown nor importable."""
    auth.login_as("marketer")
    content = b"Nome;Cognome;;Email\nAnna;Neri;Modena;anna@example.it\n"
    path, reader = _preview(client, content=content, filename="soci.csv")
    assert "(column C)" in reader.names()
    job = db.session.get(Job, _job_id(_start(client, path, reader, {"(column C)": "city"})))
    assert job.status == "done", job.error
    assert profiles.search_profiles("anna@example.it")[0][0].city == "Modena"


def test_a_reports_rows_are_deleted_after_their_days_and_the_batch_says_so(client, auth, app):
    app.config["IMPORT_REPORT_DAYS"] = 30
    old = ingest.import_stream(
        io.BytesIO(b"Nome,Email\nAnna,not-an-email\n"), filename="old.csv", source_name="fiera"
    )
    new = ingest.import_stream(
        io.BytesIO(b"Nome,Email\nLuca,also-not-one\n"), filename="new.csv", source_name="fiera"
    )
    batch = db.session.get(ImportBatch, old["batch_id"])
    batch.finished_at = batch.finished_at - timedelta(days=31)
    db.session.commit()
    auth.login_as("marketer")

    assert client.get("/imports/").status_code == 200

    left = {r.batch_id for r in db.session.scalars(select(ImportRejection))}
    assert left == {new["batch_id"]}
    page = client.get(f"/imports/batches/{old['batch_id']}").get_data(as_text=True)
    assert 'id="report-deleted"' in page and 'id="report-link"' not in page
    assert 'id="report-link"' in client.get(f"/imports/batches/{new['batch_id']}").get_data(
        as_text=True
    )
    # The counts stay: how many rows were rejected or warned about is no personal data.
    assert db.session.get(ImportBatch, old["batch_id"]).counts["warnings"] == 1
