"""Background jobs and the portal's clock, run by Huey.

The queue lives in a SQLite file in the instance folder unless QUEUE_URL
points to Redis (several web hosts share one queue there). `flask --app
portal worker` runs the consumer: it sends notices as soon as a web request
has committed them, and runs the periodic tasks that replace cron: the
sweep (deadlines, offer expiry, notices to try again) every SWEEP_MINUTES,
the daily digest and the daily purge.

Each app builds its own Huey: tasks close over the app, so a job runs with
that app's settings, keys and database.
"""

import functools
import logging
from pathlib import Path

from flask import Flask, current_app
from huey import MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.signals import SIGNAL_ERROR

from . import audit, checkins, deadlines, held, notices, offers, retention, sessions
from .db import db, refresh_statistics
from .models import JobRun, utcnow

log = logging.getLogger(__name__)

_EXTENSION = "portal.jobs"
IMMEDIATE = "memory://"


def sweep(now=None) -> dict[str, int]:
    """What the clock does every few minutes; each step is safe to run twice at once."""
    now = now or utcnow()
    return {
        "overdue": deadlines.report_overdue(now),
        "expired": offers.expire_due(now),
        "warned": offers.warn_expiring(now),
        "check_ins_missed": checkins.report_missed(now),
        "sent": notices.deliver(now),
        "codes_erased": sessions.forget_expired_codes(now),
        "held_erased": held.forget_expired(now),
    }


def purge(now=None) -> tuple[int, int]:
    """Closed requests past their retention, sessions left idle, notices sent long ago; then
    the query planner's statistics, which SQLite never gathers by itself."""
    deleted = retention.purge_closed(current_app.config["RETENTION_DAYS"], now)
    notices.purge_sent(now)
    expired = sessions.purge_expired()
    refresh_statistics()
    return deleted, expired


def _queue(app: Flask):
    url = app.config["QUEUE_URL"]
    name = app.config["QUEUE_NAME"]
    if url == IMMEDIATE:
        return MemoryHuey(name, immediate=True, results=False)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url, results=False)
    if url:
        raise ValueError("PORTAL_QUEUE_URL must be empty (SQLite), redis://… or memory://")
    return SqliteHuey(name, filename=str(Path(app.instance_path) / "jobs.sqlite3"), results=False)


def _in_app(app: Flask, fn):
    """`fn` run inside the app, with a database connection of its own when it has none."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        with app.app_context():
            if not db.is_closed():  # immediate mode, inside a web request
                return fn(*args, **kwargs)
            with db.connection_context():
                return fn(*args, **kwargs)

    return run


def _noted(job: str, fn):
    """`fn`, noting when it finished: `flask --app portal check` tells a worker that has
    stopped sweeping, or a purge that no longer runs, from these rows."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        result = fn(*args, **kwargs)
        JobRun.record(job)
        return result

    return run


class Jobs:
    """The app's Huey and its tasks."""

    def __init__(self, app: Flask):
        config = app.config
        minutes = config["SWEEP_MINUTES"]
        if not 1 <= minutes <= 30 or 60 % minutes:
            raise ValueError("PORTAL_SWEEP_MINUTES must divide an hour (1, 2, 5, 10, 15, 30)")
        for name in ("DIGEST_HOUR", "PURGE_HOUR"):
            if not 0 <= config[name] <= 23:
                raise ValueError(f"PORTAL_{name} must be an hour from 0 to 23 (UTC)")
        self.huey = huey = _queue(app)
        self.deliver = huey.task(retries=5, retry_delay=30, retry_backoff=2, name="deliver")(
            _in_app(app, notices.deliver)
        )
        self.sweep = huey.periodic_task(crontab(minute=f"*/{minutes}"), name="sweep")(
            _in_app(app, _noted("sweep", sweep))
        )
        self.digest = huey.periodic_task(
            crontab(minute="0", hour=str(config["DIGEST_HOUR"])), name="digest"
        )(_in_app(app, notices.deliver))
        self.purge = huey.periodic_task(
            crontab(minute="30", hour=str(config["PURGE_HOUR"])), name="purge"
        )(_in_app(app, _noted("purge", purge)))
        huey.signal(SIGNAL_ERROR)(_in_app(app, _failed))


def _failed(signal, task, exc=None) -> None:
    """A job failed; once it has no retries left, administrators must be able to see it."""
    if task.retries:
        return
    # The class of the error only: its text could quote data.
    audit.record("job.failed", detail=f"job={task.name} error={type(exc).__name__}")
    notices.tell_administrators_of_failure()


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = Jobs(app)

    @app.after_request
    def _send_what_was_committed(response):
        # After the view: its transactions are over, so the worker finds the
        # notices it is asked to send. If the queue is out of reach, the
        # next sweep sends them.
        if notices.waiting_to_go():
            try:
                jobs().deliver()
            except Exception:
                log.exception("could not enqueue a delivery; the next sweep will send")
        return response


def jobs() -> Jobs:
    return current_app.extensions[_EXTENSION]


def run_worker(workers: int = 2) -> None:
    """Run the consumer of the current app's queue until it is stopped (SIGINT or SIGTERM)."""
    consumer = jobs().huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=True
    )
    consumer.run()
