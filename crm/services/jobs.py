"""Background jobs: queue a long piece of work and run it with visible progress.

A job is a row in `jobs` (kind, params, progress, result) plus a function registered for
its kind. Where it runs depends on JOBS_MODE:

- "thread" (the embedded default): a background thread of this process, with its own app
  context and therefore its own database session;
- "sync": inline, before enqueue returns (tests);
- "rq" (when CRM_REDIS_URL is set): an RQ queue on Redis, run by `crm worker` processes.

The job function gets the job's params, a progress reporter and the actor; it returns the
result (ids and counts only, never personal data). run() records done or failed, with an
error message fit to show a user.
"""

import importlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.models import Job, User
from crm.models.base import utcnow
from crm.services import audit
from crm.services.errors import NotFoundError, ServiceError, ValidationError

log = logging.getLogger(__name__)

MODES = ("thread", "sync", "rq")
DEFAULT_QUEUE = "crm"
# How long an RQ worker lets a job run, unless its kind says (an import: by its size).
JOB_TIMEOUT = 3600
FINISHED = ("done", "failed")

# kind -> "module:function"; resolved when the job runs, so workers need no import order.
JOB_FUNCTIONS: dict[str, str] = {
    "import": "crm.services.imports_ui:run_import",
    "sources.recompute": "crm.services.sources:run_recompute",
}
# kind -> "module:function" that tidies up after a job whose process died while it ran.
JOB_CLEANUPS: dict[str, str] = {
    "import": "crm.services.imports_ui:interrupted_import",
}
INTERRUPTED = (
    "Interrupted: the process running it stopped (for example, the app was restarted). "
    "Start it again; what was already stored is recognised and not stored twice."
)
# A job queued in thread mode starts at once; one still queued after this never will.
LOST_AFTER = timedelta(minutes=5)


class Progress:
    """Writes a running job's progress in short transactions of the job's own session."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id

    def __call__(
        self, done: int, total: int | None, message: str = "", result: dict | None = None
    ) -> None:
        """Record how far the job got (and the counts so far, if given); commits."""
        job = db.session.get(Job, self.job_id)
        job.progress = max(0, int(done))
        job.total = total
        job.message = message[:300]
        if result is not None:
            job.result = result
        db.session.commit()


JobFunction = Callable[..., dict]


def mode(app: Flask | None = None) -> str:
    """How jobs run in this app: thread, sync or rq (see the module docstring)."""
    config = (app or current_app).config
    chosen = config.get("JOBS_MODE") or ("rq" if config.get("REDIS_URL") else "thread")
    if chosen not in MODES:
        raise ValueError(f"JOBS_MODE must be one of {', '.join(MODES)}, not {chosen!r}")
    return chosen


def enqueue(
    kind: str, params: dict, *, actor: User | str | None, timeout: int | None = None
) -> Job:
    """Create a job of kind and start it in the configured mode; an RQ worker stops it
    after timeout seconds (JOB_TIMEOUT unless given).

    Raises ValidationError for an unknown kind. When the queue cannot be reached the job is
    returned already failed, with a message saying so.
    """
    if kind not in JOB_FUNCTIONS:
        raise ValidationError(f"Unknown job kind {kind!r}.")
    job_id = uuid.uuid4().hex
    job = Job(
        id=job_id,
        kind=kind,
        params=params,
        status="queued",
        created_by_id=actor.id if isinstance(actor, User) else None,
    )
    db.session.add(job)
    audit.record("job.enqueue", actor=actor, object_type="job", object_id=job_id, details={})
    # Commit before starting: the runner reads the job in its own session.
    db.session.commit()
    _dispatch(current_app._get_current_object(), job_id, timeout or JOB_TIMEOUT)
    return job


def _dispatch(app: Flask, job_id: str, timeout: int) -> None:
    """Hand the job to the configured runner."""
    how = mode(app)
    if how == "sync":
        _run_in_app(app, job_id)
    elif how == "thread":
        threading.Thread(
            target=_run_in_app, args=(app, job_id), name=thread_name(job_id), daemon=True
        ).start()
    else:
        _enqueue_rq(app, job_id, timeout)


def thread_name(job_id: str) -> str:
    """The name of the thread that runs a job in thread mode."""
    return f"crm-job-{job_id}"


def _run_in_app(app: Flask, job_id: str) -> None:
    """Run a job in a new app context: a session of its own, never the request's."""
    with app.app_context():
        run(job_id)


def queue_name(app: Flask | None = None) -> str:
    """The RQ queue jobs go to (JOBS_QUEUE, default 'crm')."""
    return (app or current_app).config.get("JOBS_QUEUE") or DEFAULT_QUEUE


def _enqueue_rq(app: Flask, job_id: str, timeout: int) -> None:
    """Put the job on the RQ queue; a queue that cannot be reached fails the job."""
    import redis
    from rq import Queue

    try:
        with redis.Redis.from_url(app.config["REDIS_URL"]) as connection:
            Queue(queue_name(app), connection=connection).enqueue(
                perform,
                job_id,
                job_id=job_id,
                job_timeout=timeout,
                result_ttl=3600,
                failure_ttl=7 * 86400,
                description=f"crm job {job_id}",
            )
    except redis.RedisError as exc:
        log.error("cannot enqueue job %s: %s", job_id, exc.__class__.__name__)
        _finish(job_id, "failed", error="The job queue (Redis) could not be reached.")


def perform(job_id: str) -> None:
    """RQ entry point: run a job by id, in an app built from the environment if none is active."""
    if has_app_context():
        app = current_app._get_current_object()
    else:
        from crm import create_app

        app = create_app()
    _run_in_app(app, job_id)


def _resolve(kind: str) -> JobFunction:
    """The function registered for kind."""
    module_name, _, name = JOB_FUNCTIONS[kind].partition(":")
    return getattr(importlib.import_module(module_name), name)


def safe_error(exc: BaseException) -> str:
    """What a user may read about a failure: a domain error's message, else a generic one."""
    if isinstance(exc, ServiceError) and exc.message:
        return exc.message[:2000]
    return f"The job failed unexpectedly ({exc.__class__.__name__}); see the server log."


def run(job_id: str) -> None:
    """Run a queued job in the current session; records running, then done or failed.

    A job that is not queued any more (already run, redelivered by RQ) is left alone.
    """
    job = db.session.get(Job, job_id)
    if job is None or job.status != "queued":
        return
    job.status = "running"
    job.started_at = utcnow()
    job.runner = runner_id()
    db.session.commit()
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    kind, params = job.kind, dict(job.params or {})
    try:
        result = _resolve(kind)(params, progress=Progress(job_id), actor=actor or f"job:{job_id}")
    except Exception as exc:  # a job must end as failed, whatever went wrong
        db.session.rollback()
        # Exception messages can quote the data (a duplicate key, a bad value): log the type
        # and where it happened, not the message.
        log.error(
            "job %s (%s) failed: %s at %s",
            job_id,
            kind,
            exc.__class__.__name__,
            _where(exc),
        )
        _finish(job_id, "failed", error=safe_error(exc))
    else:
        _finish(job_id, "done", result=result)


def _finish(job_id: str, status: str, *, result: dict | None = None, error: str | None = None):
    """Close a job as done or failed; commits."""
    job = db.session.get(Job, job_id)
    job.status = status
    job.finished_at = utcnow()
    job.error = error
    if result is not None:
        job.result = result
    if status == "done" and job.total:
        job.progress = job.total
    db.session.commit()


def get_job(job_id: str, kind: str | None = None) -> Job:
    """A job by id (of the given kind), closed as failed if its process died. NotFoundError."""
    job = db.session.get(Job, job_id) if job_id else None
    if job is None or (kind is not None and job.kind != kind):
        raise NotFoundError("No such job.")
    reap(job)
    return job


def runner_id() -> str:
    """This process, as a job's runner: "host:pid"."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}"


def _orphaned(job: Job) -> bool:
    """True when nothing runs the job any more: its process is gone, or it never started.

    Only what this machine can see is judged: a runner on another host counts as alive.
    """
    if job.status == "queued":
        created = job.created_at
        return mode() == "thread" and created is not None and utcnow() - created > LOST_AFTER
    if job.status != "running" or not job.runner:
        return False
    if job.runner == runner_id():
        return not any(t.name == thread_name(job.id) for t in threading.enumerate())
    return not process_alive(job.runner)


def process_alive(runner: str | None) -> bool:
    """Whether the process a runner ("host:pid") names may still be at work.

    Only this machine's processes can be checked: anything else counts as alive.
    """
    host, _, pid = (runner or "").rpartition(":")
    if host != socket.gethostname()[:80] or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)  # signal 0: is the process there?
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # there, but someone else's
    return True


def reap(job: Job) -> bool:
    """Close a job whose process died (a restart, a crash) as failed; True if it did.

    Without this its progress bar would wait forever. The kind's cleanup (JOB_CLEANUPS)
    closes what the job left open. A database that refuses the write now leaves the job
    for the next look.
    """
    if not _orphaned(job):
        return False
    try:
        cleanup = JOB_CLEANUPS.get(job.kind)
        if cleanup:
            module, _, name = cleanup.partition(":")
            getattr(importlib.import_module(module), name)(job)
        _finish(job.id, "failed", error=INTERRUPTED)
    except SQLAlchemyError:
        db.session.rollback()
        return False
    log.warning("job %s (%s) was interrupted; closed as failed", job.id, job.kind)
    return True


def percent(job: Job) -> int:
    """How far the job is, 0-100; 100 only once done."""
    if job.status == "done":
        return 100
    if not job.total:
        return 0
    return max(0, min(99, job.progress * 100 // job.total))


def status_of(job: Job) -> dict:
    """The job's state as the status endpoint returns it (ids and counts only)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "progress": job.progress,
        "total": job.total,
        "percent": percent(job),
        "message": job.message,
        "result": job.result or {},
        "error": job.error,
    }


def work(*, burst: bool = False) -> bool:
    """Run an RQ worker on this app's queue until stopped (or, with burst, until empty).

    Raises ValidationError when no Redis is configured.
    """
    import redis
    from rq import Queue, Worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise ValidationError("Set CRM_REDIS_URL to run a worker; without it jobs run in-process.")
    # Work horses fork from this process: none may inherit an open database connection.
    db.engine.dispose()
    with redis.Redis.from_url(url) as connection:
        queue = Queue(queue_name(), connection=connection)
        return Worker([queue], connection=connection).work(burst=burst)


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame of an exception's traceback (no values)."""
    tb = exc.__traceback__
    if tb is None:
        return "?"
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f"{os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
