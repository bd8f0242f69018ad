"""A background job that still fails after its last retry is not lost: it is in the audit
trail, administrators are told, and *Notifications and jobs* (/admin/notices) lists it.

The app's Huey runs in immediate mode (memory://): the first attempt runs at the end of
the web request that asked for it, and each retry is taken from Huey's schedule once the
clock (time_machine) has passed its time, as the worker would.
"""

import datetime
from pathlib import Path

import pytest
import time_machine

from portal import jobs, mail
from portal.models import AuditEvent, Notice

from portal_testing import PASSWORD_ALONE, Requester, StaffClient, create_staff_account

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

ADMIN = "admin@network.test"
T0 = datetime.datetime(2025, 5, 5, 10, 0)
# Longer than a notice stays claimed by a delivery that died (10 minutes), and than any
# retry delay of the delivery job (30 s, doubling, five times).
A_WHILE = datetime.timedelta(minutes=11)


class MailCrashes:
    """The mail library fails in a way nobody planned for (not a MailError), `times` times."""

    def __init__(self, monkeypatch, times=None):
        self.times, self.calls = times, 0
        self.real_send = mail.send
        monkeypatch.setattr(mail, "send", self)

    def __call__(self, message):
        self.calls += 1
        if self.times is None or self.calls <= self.times:
            # Its text quotes the address: none of it may reach the audit trail.
            raise RuntimeError(f"the mail library crashed while writing to {message['To']}")
        self.real_send(message)


def run_the_retries(app, clock):
    """What the worker does while the job keeps coming back: each retry runs when it is due.
    Returns how many retries ran."""
    huey = app.extensions["portal.jobs"].huey
    retries = 0
    while True:
        clock.shift(A_WHILE)
        due = huey.read_schedule()
        if not due:
            return retries
        for task in due:
            huey.execute(task)
            retries += 1


def outbox(app):
    return sorted(Path(app.instance_path, "outbox").glob("*.eml"))


def test_a_delivery_that_fails_after_its_retries_is_reported_to_administrators(app, monkeypatch):
    with time_machine.travel(T0, tick=False) as clock:
        with app.app_context():
            administrator = create_staff_account(ADMIN, "admin")
        crash = MailCrashes(monkeypatch)

        # A new emergency: its notice is committed, then the delivery runs and fails.
        Requester(app.test_client()).submit_and_get_code(urgency="emergency")
        assert crash.calls == 1
        retries = run_the_retries(app, clock)

        assert retries == 5
        assert crash.calls == 6
        with app.app_context():
            (failure,) = AuditEvent.select().where(AuditEvent.action == "job.failed")
            assert failure.detail == "job=deliver error=RuntimeError"
            owed = [(n.kind, n.user.email, n.sent_at) for n in Notice.select().order_by(Notice.id)]
        assert owed == [("new_emergency", ADMIN, None), ("job_failed", ADMIN, None)]
        assert outbox(app) == []

        page = StaffClient(app, administrator).text("/admin/notices")
        assert "Background jobs that failed" in page
        assert "job=deliver error=RuntimeError" in page
        assert "No background job has failed." not in page
        trail = StaffClient(app, administrator).text("/admin/audit?action=job.failed")
        assert "Background job failed" in trail

        # Mail works again: the administrator is told, in one email, at the next sweep.
        monkeypatch.setattr(mail, "send", crash.real_send)
        clock.shift(A_WHILE)
        with app.app_context():
            assert jobs.sweep()["sent"] == 1
            assert Notice.select().where(Notice.sent_at.is_null()).count() == 0
        (email,) = outbox(app)
        assert f"To: {ADMIN}" in email.read_text()


def test_a_delivery_that_succeeds_on_a_retry_is_not_reported(app, monkeypatch):
    with time_machine.travel(T0, tick=False) as clock:
        with app.app_context():
            administrator = create_staff_account(ADMIN, "admin")
        crash = MailCrashes(monkeypatch, times=1)

        Requester(app.test_client()).submit_and_get_code(urgency="emergency")
        assert run_the_retries(app, clock) == 1

        assert crash.calls == 2
        assert len(outbox(app)) == 1
        with app.app_context():
            assert not AuditEvent.select().where(AuditEvent.action == "job.failed").exists()
            assert [n.kind for n in Notice.select()] == ["new_emergency"]
            assert Notice.get().sent_at == T0 + A_WHILE  # by the retry
        page = StaffClient(app, administrator).text("/admin/notices")
        assert "No background job has failed." in page
