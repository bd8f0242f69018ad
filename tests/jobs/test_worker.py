"""A real consumer: `flask --app portal worker`, in a process of its own, sends what the web
process committed, through the SQLite queue in the instance folder or through Redis.

These tests start processes: they are few on purpose.
"""

import signal
from email import message_from_bytes
from pathlib import Path

from portal.db import db
from portal.models import Notice

from portal_testing import Requester, create_staff_account, make_app

REVIEWER = "reviewer@network.test"


def outbox(app):
    return sorted(Path(app.instance_path, "outbox").glob("*.eml"))


def notices_owed(app):
    """Every notice row as (kind, recipient, sent or not), from the web process's side."""
    with app.app_context(), db.connection_context():
        return [
            (notice.kind, notice.user.email, notice.sent_at is not None)
            for notice in Notice.select().order_by(Notice.id)
        ]


def a_requester_sends_an_emergency(app):
    """Over the web: the reviewer is owed a notice, and a delivery is put in the queue."""
    Requester(app.test_client()).submit_and_get_code(urgency="emergency")
    assert [(kind, to) for kind, to, _ in notices_owed(app)] == [("new_emergency", REVIEWER)]


def the_worker_emails_the_reviewer(app, worker):
    """The worker, not the web process, writes the reviewer's email and marks the notice sent."""
    (email,) = worker.until(lambda: outbox(app), "the reviewer's email in instance/outbox/")
    worker.until(
        lambda: notices_owed(app) == [("new_emergency", REVIEWER, True)],
        "the notice to be marked as sent",
    )
    assert str(email) in worker.log(), "written by the worker process"

    message = message_from_bytes(email.read_bytes())
    assert message["To"] == REVIEWER
    assert message["Subject"] == "Something new for you"
    body = message.get_payload(decode=True).decode()
    assert "There is something new for you on the portal." in body
    assert "/staff/sign-in" in body


def test_a_running_worker_sends_what_the_web_process_committed_through_the_sqlite_queue(
    tmp_path, start_worker
):
    app = make_app(tmp_path, QUEUE_URL="")  # as shipped: instance/jobs.sqlite3
    with app.app_context():
        create_staff_account(REVIEWER, "reviewer")
    worker = start_worker(app)

    a_requester_sends_an_emergency(app)
    the_worker_emails_the_reviewer(app, worker)

    assert Path(app.instance_path, "jobs.sqlite3").is_file()
    assert worker.stop(signal.SIGTERM) == 0, worker.log()
    assert "Consumer exiting" in worker.log()


def test_a_delivery_waits_in_redis_until_a_worker_starts(tmp_path, start_worker, redis_queue):
    # A queue of this test's own, so that no other worker on the same Redis takes its jobs.
    # QUEUE_NAME has no PORTAL_ variable (and instance/config.toml is not read, see
    # tests/jobs/test_settings.py): the worker gets it on its --app command line.
    app = make_app(tmp_path, **redis_queue)
    with app.app_context():
        create_staff_account(REVIEWER, "reviewer")

    a_requester_sends_an_emergency(app)
    assert outbox(app) == []
    assert notices_owed(app) == [("new_emergency", REVIEWER, False)]
    worker = start_worker(app, {"QUEUE_NAME": redis_queue["QUEUE_NAME"]})
    the_worker_emails_the_reviewer(app, worker)

    assert not Path(app.instance_path, "jobs.sqlite3").exists(), "the queue is in Redis"
    assert worker.stop(signal.SIGINT) == 0, worker.log()
    assert "Consumer exiting" in worker.log()
