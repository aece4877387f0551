"""A marketer imports a small Italian CSV and follows it to the report, and a Mailchimp
audience export as downloaded (a zip), in a real browser.

The import runs as in production without Redis: in a background thread of the live server
(JOBS_MODE "thread"), while job-progress.js polls its status and reloads the page when
it ends. The job is held at a gate until the browser shows the progress bar, so the
finished state is always reached through the JavaScript, never by the first page load.
"""

import csv
import io
import re
import threading
import uuid

import pytest
from playwright.sync_api import expect

from crm.services import jobs

HEADERS = "Nome;Cognome;E-mail;Cellulare;CAP;Città"
DETECTED = {
    "Nome": "first_name",
    "Cognome": "last_name",
    "E-mail": "email",
    "Cellulare": "phone",
    "CAP": "postcode",
    "Città": "city",
}
# Data rows are numbered from 2 (the header is row 1).
BAD_ROW_NUMBER = 5
BAD_ROW_REASON = "expected 6 columns, found 4"


def _write_csv(folder, tag: str):
    """Five data rows: one with an invalid email (a warning), one short a column (rejected)."""
    rows = [
        HEADERS,
        f"Giulia;Imp{tag}a;giulia.{tag}@example.com;+39 333 1234567;20121;Milano",
        f"Marco;Imp{tag}b;marco.{tag}@example.com;+39 347 7654321;24121;Bergamo",
        f"Anna;Imp{tag}c;anna-at-nowhere;+39 320 1112233;10121;Torino",
        f"Luca;Imp{tag}d;luca.{tag}@example.com;20100",
        f"Sara;Imp{tag}e;sara.{tag}@example.com;+39 339 9998877;00184;Roma",
    ]
    path = folder / f"contatti-{tag}.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _upload_to_a_new_source(page, path, source: str) -> None:
    """From the imports page: upload a file to a new source, wait for its preview."""
    page.get_by_role("link", name="Imports", exact=True).click()
    page.click("#new-import")
    page.set_input_files("input[name=file]", str(path))
    page.select_option("select[name=source]", "")
    page.fill("input[name=new_source]", source)
    page.click("#upload-form [type=submit]")
    page.wait_for_url(re.compile(r"/imports/preview/[0-9a-f]{32}$"))


@pytest.fixture
def import_gate(monkeypatch):
    """Hold every job started during this test, still queued, until the event is set (<= 10 s).

    The gate sits before jobs.run, so the held job has no database transaction open (on
    SQLite a job's transactions take the write lock, which would stall the browser's POST).
    """
    gate = threading.Event()
    real_run = jobs.run

    def gated(job_id):
        gate.wait(timeout=10)
        real_run(job_id)

    # The runner thread looks jobs.run up when it starts.
    monkeypatch.setattr(jobs, "run", gated)
    yield gate
    gate.set()


def test_marketer_imports_a_csv_and_downloads_the_report(
    page, login, make_live_user, csp_errors, tmp_path, import_gate
):
    tag = uuid.uuid4().hex[:8]
    csv_path = _write_csv(tmp_path, tag)
    source = f"Fiera {tag}"
    status_requests: list[str] = []
    page.on(
        "request", lambda r: status_requests.append(r.url) if r.url.endswith("/status") else None
    )

    login(*make_live_user("marketer"))
    page.get_by_role("link", name="Imports", exact=True).click()
    page.wait_for_url("**/imports/")
    page.click("#new-import")

    # Upload: a new source, format detected automatically.
    page.set_input_files("input[name=file]", str(csv_path))
    page.select_option("select[name=source]", "")
    page.fill("input[name=new_source]", source)
    page.click("#upload-form [type=submit]")
    page.wait_for_url(re.compile(r"/imports/preview/[0-9a-f]{32}$"))

    # Preview: the file's facts, its first rows, the bad row flagged, the detected mapping.
    expect(page.locator("#source-name")).to_have_text(source)
    expect(page.locator("#detected-delimiter")).to_contain_text(";")
    expect(page.locator("#preview-rows tbody tr")).to_have_count(5)
    expect(page.locator("#preview-rows")).to_contain_text(f"Imp{tag}a")
    expect(page.locator(".alert-warning", has_text=BAD_ROW_REASON)).to_contain_text(
        f"row {BAD_ROW_NUMBER}"
    )
    for header, field in DETECTED.items():
        expect(page.get_by_label(header, exact=True)).to_have_value(field)
    # Correct one column: the postcode is not wanted from this source.
    page.get_by_label("CAP", exact=True).select_option("")
    page.click("#start-import")

    # Progress: the job waits at the gate (queued), so the browser sees it unfinished first.
    page.wait_for_url(re.compile(r"/imports/jobs/[0-9a-f]{32}$"))
    job_url = page.url
    expect(page.locator("#job-progress")).to_be_visible()
    expect(page.locator("#import-summary")).to_have_count(0)
    expect(page.locator("#job-message")).to_contain_text("Waiting for a worker")
    import_gate.set()
    # job-progress.js polls the status and reloads the page once the job is done.
    expect(page.locator("#import-summary")).to_be_visible()
    assert page.url == job_url
    assert any(url.startswith(job_url) for url in status_requests), status_requests
    expect(page.locator("#job-progress")).to_have_count(0)
    expect(page.locator("#job-message")).to_contain_text("Import finished: 5 rows.")

    # Summary: 5 rows read, 4 people created, the short row rejected, the bad email warned.
    expect(page.locator("#count-rows")).to_have_text("5")
    expect(page.locator("#count-created")).to_have_text("4")
    expect(page.locator("#count-rejected")).to_have_text("1")
    warnings = int(page.locator("#count-warnings").inner_text())
    assert warnings >= 1

    # The rejected-rows report.
    with page.expect_download() as download_info:
        page.click("#report-link")
    download = download_info.value
    assert download.suggested_filename.endswith("-report.csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        report = list(csv.DictReader(io.StringIO(handle.read())))
    rejected = [r for r in report if r["kind"] == "rejected"]
    assert [(r["row"], r["reason"]) for r in rejected] == [(str(BAD_ROW_NUMBER), BAD_ROW_REASON)]
    assert rejected[0]["Nome"] == "Luca"  # the raw row comes along
    warned = [(r["row"], r["column"]) for r in report if r["kind"] == "warning"]
    assert ("4", "E-mail") in warned, report
    assert "invalid email" in next(r["reason"] for r in report if r["column"] == "E-mail")
    assert len(report) == 1 + warnings

    # The batch remembers the corrected mapping: CAP was ignored.
    page.get_by_role("link", name="Batch details").click()
    mapping = page.locator("#batch-mapping")
    expect(mapping).to_contain_text("Città")
    expect(mapping).to_contain_text("Nome")
    expect(mapping).not_to_contain_text("CAP")
    assert csp_errors == []


def test_marketer_imports_a_mailchimp_audience_export_as_downloaded(
    page, login, make_live_user, csp_errors, tmp_path, import_gate
):
    from tests import factories

    archive = tmp_path / "audience_export.zip"
    archive.write_bytes(factories.zip_of(factories.MAILCHIMP_EXPORT))
    login(*make_live_user("marketer"))
    _upload_to_a_new_source(page, archive, f"Mailchimp {uuid.uuid4().hex[:8]}")

    # The preview names the archive's files and reads them as one Mailchimp export.
    expect(page.locator("#detected-format")).to_contain_text("(mailchimp)")
    for name in factories.MAILCHIMP_EXPORT:
        expect(page.locator("#archive-files")).to_contain_text(name)
    expect(page.get_by_label("UNSUB_TIME", exact=True)).to_have_value("unsub_time")
    page.click("#start-import")
    page.wait_for_url(re.compile(r"/imports/jobs/[0-9a-f]{32}$"))
    import_gate.set()
    expect(page.locator("#import-summary")).to_be_visible()
    expect(page.locator("#count-rows")).to_have_text("4")
    expect(page.locator("#count-created")).to_have_text("4")
    expect(page.locator("#count-rejected")).to_have_text("0")
    assert csp_errors == []


def test_the_phone_sample_follows_the_country_the_marketer_picks(
    page, login, make_live_user, csp_errors, tmp_path
):
    path = tmp_path / "us.csv"
    path.write_text("First Name,Last Name,Phone\nRobert,Johnson,(312) 555-0190\n", "utf-8")
    login(*make_live_user("marketer"))
    _upload_to_a_new_source(page, path, f"Web {uuid.uuid4().hex[:8]}")
    sample = page.locator("#phone-sample")
    expect(sample).to_contain_text("(312) 555-0190 → +39 312 555 0190")  # read as Italian
    page.select_option("#phone-region", "US")
    expect(sample).to_contain_text("(312) 555-0190 → +1 312-555-0190")
    page.select_option("#phone-region", "FR")
    expect(sample).to_contain_text("(312) 555-0190 → no number")
    assert csp_errors == []


def test_the_phone_sample_follows_a_column_mapped_by_hand(
    page, login, make_live_user, csp_errors, tmp_path
):
    path = tmp_path / "recapiti.csv"
    path.write_text("First Name,Last Name,Recapito\nRobert,Johnson,(312) 555-0190\n", "utf-8")
    login(*make_live_user("marketer"))
    _upload_to_a_new_source(page, path, f"Web {uuid.uuid4().hex[:8]}")
    sample = page.locator("#phone-sample")
    expect(sample).to_be_hidden()  # no column reads as a phone
    page.get_by_label("Recapito", exact=True).select_option("phone")
    expect(sample).to_contain_text("(312) 555-0190 → +39 312 555 0190")
    page.select_option("#phone-region", "US")
    expect(sample).to_contain_text("(312) 555-0190 → +1 312-555-0190")
    page.get_by_label("Recapito", exact=True).select_option("")
    expect(sample).to_be_hidden()
    assert csp_errors == []
