"""A notice is owed only by a change that was committed, and the worker is asked to send it
only once the web request's transaction is over.

A change that is rolled back owes nobody anything: no row, no email.
"""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from portal import jobs, notices
from portal.db import db
from portal.models import Notice, Request

from portal_testing import Requester, create_staff_account, row_counts

REVIEWER = "reviewer@network.test"


@pytest.fixture
def reviewer_account(app):
    with app.app_context():
        return create_staff_account(REVIEWER, "reviewer")


def outbox(app):
    return sorted(Path(app.instance_path, "outbox").glob("*.eml"))


def committed_notices(app):
    """The notices another process (the worker) would find: only what was committed."""
    path = app.config["DATABASE_URL"].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as other:
        return other.execute("SELECT kind FROM notice WHERE sent_at IS NULL").fetchall()


def test_a_notice_written_in_a_rolled_back_transaction_is_never_sent(app, reviewer_account):
    with app.app_context():
        with pytest.raises(RuntimeError), db.atomic():
            assert notices.to_reviewers("new_emergency") == 1
            raise RuntimeError("the change fails after its notice was written")

        assert Notice.select().count() == 0
        assert notices.deliver() == 0
        assert jobs.sweep() == {
            "overdue": 0,
            "expired": 0,
            "warned": 0,
            "check_ins_missed": 0,
            "sent": 0,
            "codes_erased": 0,
            "held_erased": 0,
        }
    assert outbox(app) == []


def test_a_request_that_fails_to_be_stored_emails_nobody(app, reviewer_account, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the person gets the error page, as in production
    write_then_fail = notices.to_reviewers

    def to_reviewers(kind):
        write_then_fail(kind)  # the notice row is written...
        raise RuntimeError("...and the request's transaction fails after it")

    monkeypatch.setattr(notices, "to_reviewers", to_reviewers)

    response = Requester(app.test_client()).submit(urgency="emergency")

    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page
    assert "tracking-code" not in page
    counts = row_counts(app)
    assert counts["Request"] == 0
    assert counts["Notice"] == 0
    assert outbox(app) == []


def test_the_delivery_is_asked_for_once_the_web_request_has_committed(
    app, reviewer_account, monkeypatch
):
    asked = []

    def enqueue():
        # What the worker would find at this moment, and whether the web request still
        # holds a transaction open.
        asked.append((committed_notices(app), db.in_transaction()))

    monkeypatch.setattr(app.extensions["portal.jobs"], "deliver", enqueue)
    person = Requester(app.test_client())

    assert person.client.get("/request").status_code == 200
    assert asked == [], "a page that owes nobody anything asks for no delivery"

    person.submit_and_get_code(urgency="emergency")

    assert asked == [([("new_emergency",)], False)]


def test_a_queue_out_of_reach_does_not_lose_the_request_nor_its_notice(
    app, reviewer_account, monkeypatch
):
    def unreachable():
        raise ConnectionError("the queue is down")

    monkeypatch.setattr(app.extensions["portal.jobs"], "deliver", unreachable)

    code = Requester(app.test_client()).submit_and_get_code(urgency="emergency")

    assert code
    assert outbox(app) == []
    with app.app_context():
        assert Request.select().count() == 1
        assert [notice.kind for notice in Notice.select()] == ["new_emergency"]
        assert jobs.sweep()["sent"] == 1  # the next sweep sends it
        assert Notice.get().sent_at is not None
    (email,) = outbox(app)
    assert f"To: {REVIEWER}" in email.read_text()
