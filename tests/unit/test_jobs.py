"""Background jobs: enqueue, run inline, in a thread and on an RQ worker; failures and progress."""

import threading
import time

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditLog, Job
from crm.services import jobs
from crm.services.errors import ValidationError
from tests import factories


def echo_job(params: dict, *, progress, actor) -> dict:
    """A job that reports progress and returns its params, where it ran and who asked."""
    progress(1, 2, "half way", {"seen": 1})
    if params.get("fail") == "service":
        raise ValidationError("The file has no usable column.")
    if params.get("fail"):
        raise RuntimeError("secret mario.rossi@example.it")
    return {
        "echo": params.get("value"),
        "thread": threading.current_thread().name,
        "actor": getattr(actor, "id", actor),
        "session": id(db.session()),
    }


@pytest.fixture
def echo(monkeypatch):
    """Register echo_job as kind "echo"."""
    monkeypatch.setitem(jobs.JOB_FUNCTIONS, "echo", f"{__name__}:echo_job")


def _wait(job_id: str, timeout: float = 30) -> str:
    """Poll a job's status from this session until it ends; never keep a transaction open."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = db.session.scalar(select(Job.status).where(Job.id == job_id))
        db.session.rollback()
        if status in jobs.FINISHED:
            break
        time.sleep(0.02)
    for thread in threading.enumerate():
        if thread.name == jobs.thread_name(job_id):
            thread.join(timeout)
    return status


def test_sync_mode_runs_the_job_before_enqueue_returns(app, echo):
    app.config["JOBS_MODE"] = "sync"
    user = factories.make_user(role="marketer")
    job = jobs.enqueue("echo", {"value": 42}, actor=user)
    db.session.refresh(job)
    assert job.status == "done"
    assert job.result["echo"] == 42 and job.result["actor"] == user.id
    assert job.created_by_id == user.id
    assert job.started_at is not None and job.finished_at is not None
    # The job ran in a session of its own, not the caller's.
    assert job.result["session"] != id(db.session())
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "job.enqueue"))


def test_progress_is_written_while_the_job_runs(app, echo):
    app.config["JOBS_MODE"] = "sync"
    job = jobs.enqueue("echo", {}, actor="test")
    db.session.refresh(job)
    assert (job.message, job.total) == ("half way", 2)
    assert job.progress == 2  # a finished job is complete
    assert jobs.status_of(job)["percent"] == 100


def test_percent_is_capped_until_the_job_is_done():
    assert jobs.percent(Job(status="running", progress=50, total=200)) == 25
    assert jobs.percent(Job(status="running", progress=200, total=200)) == 99
    assert jobs.percent(Job(status="running", progress=10, total=None)) == 0
    assert jobs.percent(Job(status="done", progress=0, total=None)) == 100


def test_a_failing_job_is_failed_with_a_message_free_of_its_data(app, echo):
    app.config["JOBS_MODE"] = "sync"
    job = jobs.enqueue("echo", {"fail": True}, actor="test")
    db.session.refresh(job)
    assert job.status == "failed"
    assert "RuntimeError" in job.error
    assert "mario" not in job.error


def test_a_domain_error_is_shown_as_it_is(app, echo):
    app.config["JOBS_MODE"] = "sync"
    job = jobs.enqueue("echo", {"fail": "service"}, actor="test")
    db.session.refresh(job)
    assert (job.status, job.error) == ("failed", "The file has no usable column.")


def test_unknown_kind_is_refused(app):
    with pytest.raises(ValidationError):
        jobs.enqueue("no-such-kind", {}, actor="test")


def test_a_job_that_is_not_queued_is_not_run_again(app, echo):
    job = Job(kind="echo", status="done", result={"kept": True})
    db.session.add(job)
    db.session.commit()
    jobs.run(job.id)
    db.session.refresh(job)
    assert job.result == {"kept": True}


def test_default_mode_is_thread_and_rq_with_redis(app):
    app.config.pop("JOBS_MODE", None)
    app.config["REDIS_URL"] = None
    assert jobs.mode(app) == "thread"
    app.config["REDIS_URL"] = "redis://localhost:6379/0"
    assert jobs.mode(app) == "rq"


def test_thread_mode_runs_the_job_in_a_background_thread(app, echo):
    app.config["JOBS_MODE"] = "thread"
    job = jobs.enqueue("echo", {"value": "x"}, actor="test")
    job_id = job.id
    db.session.rollback()
    assert _wait(job_id) == "done"
    result = db.session.get(Job, job_id).result
    assert result["echo"] == "x"
    assert result["thread"] == jobs.thread_name(job_id) != threading.current_thread().name


def test_rq_mode_queues_the_job_for_a_worker(app, echo, redis_queue):
    from rq import SimpleWorker

    job = jobs.enqueue("echo", {"value": 7}, actor="test")
    job_id = job.id
    db.session.rollback()
    assert db.session.get(Job, job_id).status == "queued"
    assert redis_queue.job_ids == [job_id]
    db.session.rollback()
    assert SimpleWorker([redis_queue], connection=redis_queue.connection).work(burst=True)
    job = db.session.get(Job, job_id)
    assert job.status == "done"
    assert job.result["echo"] == 7
    assert redis_queue.count == 0


def test_rq_mode_without_a_reachable_redis_fails_the_job(app, echo):
    app.config.update(JOBS_MODE="rq", REDIS_URL="redis://127.0.0.1:1/0")
    job = jobs.enqueue("echo", {}, actor="test")
    db.session.refresh(job)
    assert job.status == "failed"
    assert "Redis" in job.error


def test_worker_command_needs_redis(app, runner):
    app.config["REDIS_URL"] = None
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "CRM_REDIS_URL" in result.output


def test_worker_command_drains_the_queue(app, runner, echo, redis_queue, monkeypatch):
    import rq

    # The command's default worker forks a work horse per job; in a test process the
    # in-process SimpleWorker does the same work without forking pytest.
    monkeypatch.setattr(rq, "Worker", rq.SimpleWorker)
    job = jobs.enqueue("echo", {"value": "cli"}, actor="test")
    job_id = job.id
    db.session.rollback()
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert db.session.get(Job, job_id).status == "done"


def test_a_failed_job_logs_no_data_from_the_error(app, echo, caplog):
    app.config["JOBS_MODE"] = "sync"
    with caplog.at_level("ERROR", logger="crm.services.jobs"):
        job = jobs.enqueue("echo", {"fail": "boom"}, actor="test")
    db.session.refresh(job)
    assert job.status == "failed"
    assert "RuntimeError" in caplog.text
    assert "mario.rossi" not in caplog.text
    assert "mario.rossi" not in (job.error or "")


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _job(**fields) -> Job:
    job = Job(kind="echo", params={}, **fields)
    db.session.add(job)
    db.session.commit()
    return job


def test_a_job_records_the_process_that_runs_it(app, echo):
    app.config["JOBS_MODE"] = "sync"
    job = jobs.enqueue("echo", {"value": 1}, actor="test")
    assert job.runner == jobs.runner_id()


def test_a_job_whose_process_died_is_closed_as_failed(app, echo):
    host = jobs.runner_id().rpartition(":")[0]
    job = _job(status="running", runner=f"{host}:{_dead_pid()}")
    assert jobs.get_job(job.id).status == "failed"
    assert job.error == jobs.INTERRUPTED and job.finished_at is not None


def test_a_thread_job_of_this_process_without_its_thread_is_interrupted(app, echo):
    job = _job(status="running", runner=jobs.runner_id())
    assert jobs.get_job(job.id).status == "failed"


def test_a_job_still_at_work_is_left_alone(app, echo):
    import os

    host = jobs.runner_id().rpartition(":")[0]
    alive = _job(status="running", runner=f"{host}:{os.getppid()}")
    elsewhere = _job(status="running", runner=f"other-host:{_dead_pid()}")
    here = _job(status="running", runner=jobs.runner_id())
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name=jobs.thread_name(here.id))
    worker.start()
    try:
        for job in (alive, elsewhere, here):
            assert jobs.get_job(job.id).status == "running"
    finally:
        stop.set()
        worker.join()


def test_a_thread_mode_job_that_never_started_is_closed(app, echo):
    from crm.models.base import utcnow

    app.config["JOBS_MODE"] = "thread"
    lost = _job(status="queued", created_at=utcnow() - 2 * jobs.LOST_AFTER)
    fresh = _job(status="queued")
    assert jobs.get_job(lost.id).status == "failed"
    assert jobs.get_job(fresh.id).status == "queued"
    app.config["JOBS_MODE"] = "rq"  # a queued RQ job waits for a worker, however long
    waiting = _job(status="queued", created_at=utcnow() - 2 * jobs.LOST_AFTER)
    assert jobs.get_job(waiting.id).status == "queued"
