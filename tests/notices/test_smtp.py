"""Mail through a real SMTP server: STARTTLS or nothing, and nothing waits on the mail.

The relay (conftest.py) requires STARTTLS with its own certificate, then a login;
a test makes it refuse addresses or messages, or points the portal at a server in
clear or at a port nobody listens on. The clock moves with time_machine.
"""

import datetime
import gc
import warnings
from pathlib import Path

import pytest

from portal import jobs, notices, offers
from portal.models import AuditEvent, Notice, Request, User

from .mailboxes import (
    SMTP_USER,
    THROUGH_SMTP,
    Live,
    expected_notice,
    owed,
)
from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    Requester,
    StaffClient,
    create_staff_account,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY, **THROUGH_SMTP)

START = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC)  # a Monday morning
REVIEWER, ADMIN = "reviewer@network.test", "admin@network.test"
MINUTE = datetime.timedelta(minutes=1)

FAILURES = [
    pytest.param(
        {"refuse": {"*": "550 5.1.1 Mailbox unavailable"}, "error": "SMTPRecipientsRefused"},
        id="the relay refuses every address (550)",
    ),
    pytest.param(
        {"refuse_data": "451 4.3.0 Try again later", "error": "SMTPDataError"},
        id="the relay refuses the message for now (451)",
    ),
    pytest.param(
        {"error": "ConnectionRefusedError"},
        id="the relay is down",
        marks=pytest.mark.app_config(SMTP_URL=Live("down_smtp_url")),
    ),
]


def naive(moment):
    return moment.replace(tzinfo=None)


def accounts(app, admin_locale=None):
    with app.app_context():
        reviewer = create_staff_account(REVIEWER, "reviewer")
        admin = create_staff_account(ADMIN, "admin")
        if admin_locale:
            notices.save_settings(admin, admin_locale, {})
    return reviewer, admin


def account(app, email):
    with app.app_context():
        return User.by_email(email)


def emergency(app):
    """A requester sends an emergency through the form; its reference."""
    response = Requester(app.test_client()).submit_and_follow(urgency="emergency")
    assert response.status_code == 200
    assert 'id="tracking-code"' in response.get_data(as_text=True)
    with app.app_context():
        return Request.get().reference


def test_notices_reach_the_relay_over_starttls_in_each_accounts_language(app, relay):
    accounts(app, admin_locale="fr")

    emergency(app)

    mails = {mail.to: mail for mail in relay.received}
    assert set(mails) == {REVIEWER, ADMIN}
    for address, locale in ((REVIEWER, "en"), (ADMIN, "fr")):
        mail = mails[address]
        assert mail.envelope_to == (address,)
        assert mail.over_tls
        assert mail.login == SMTP_USER
        expected = expected_notice(app, address, locale)
        assert mail.subject == expected["Subject"]
        assert mail.body == expected.get_content()
    assert [row.sent for row in owed(app)] == [True, True]


def test_every_notice_says_its_language_in_content_language(app, relay):
    accounts(app, admin_locale="fr")

    emergency(app)

    languages = {mail.to: mail.language for mail in relay.received}
    assert languages == {REVIEWER: "en", ADMIN: "fr"}


@pytest.mark.parametrize("failure", FAILURES)
def test_while_mail_fails_nothing_is_lost_and_nothing_waits(
    app, relay, smtp_url, time_machine, failure
):
    time_machine.move_to(START, tick=False)
    accounts(app)
    relay.refuse.update(failure.get("refuse", {}))
    relay.refuse_data = failure.get("refuse_data")

    reference = emergency(app)

    assert relay.received == []
    rows = owed(app)
    assert [(row.kind, row.to) for row in rows] == [
        ("new_emergency", REVIEWER),
        ("new_emergency", ADMIN),
    ]
    for row in rows:
        assert (row.sent, row.failed, row.attempts) == (False, False, 1)
        assert row.due_at == naive(START + MINUTE)
    with app.app_context():  # the error's class only: the server's words may quote an address
        assert {row.last_error for row in Notice.select()} == {failure["error"]}
    # The reviewer works on the request while mail is down.
    reviewer = StaffClient(app, account(app, REVIEWER))
    assert reference in reviewer.text(f"/review/{reference}")
    assert reviewer.act(reference, "start_review").status_code == 303
    with app.app_context():
        assert Request.get(Request.reference == reference).state == "in_review"

    relay.reset()  # mail works again
    app.config["SMTP_URL"] = smtp_url
    time_machine.shift(MINUTE)
    with app.app_context():
        assert notices.deliver() == 2

    assert sorted(mail.to for mail in relay.received) == [ADMIN, REVIEWER]
    assert all(row.sent for row in owed(app))


@pytest.mark.app_config(SMTP_URL=Live("down_smtp_url"))
def test_retries_come_1_2_4_minutes_apart_and_at_most_an_hour_apart(app, time_machine):
    time_machine.move_to(START, tick=False)
    reviewer, _ = accounts(app)

    emergency(app)  # nobody listens on the relay's port

    waits = []  # between one attempt and the next
    for attempt in range(1, 10):
        with app.app_context():
            row = Notice.get(Notice.user == reviewer)
            assert row.attempts == attempt
            assert row.last_error == "ConnectionRefusedError"
            assert row.failed_at is None
            waits.append((row.due_at - naive(START)) - sum(waits, datetime.timedelta()))
            time_machine.move_to(row.due_at.replace(tzinfo=datetime.UTC), tick=False)
            assert notices.deliver() == 0
    assert [wait // MINUTE for wait in waits] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_a_notice_given_up_on_is_shown_to_administrators_who_try_it_again(app, relay, time_machine):
    time_machine.move_to(START, tick=False)
    accounts(app)
    relay.refuse[REVIEWER] = "550 5.1.1 Mailbox unavailable"
    emergency(app)
    assert [mail.to for mail in relay.received] == [ADMIN]

    time_machine.move_to(START + datetime.timedelta(hours=47, minutes=59), tick=False)
    with app.app_context():
        assert notices.deliver() == 0
    (row,) = [row for row in owed(app) if row.to == REVIEWER]
    assert (row.attempts, row.failed) == (2, False)

    given_up_at = START + datetime.timedelta(hours=48, minutes=1)  # the next attempt
    assert row.due_at == naive(given_up_at)
    time_machine.move_to(given_up_at, tick=False)
    with app.app_context():
        assert notices.deliver() == 0

    (row,) = [row for row in owed(app, "new_emergency") if row.to == REVIEWER]
    assert (row.attempts, row.failed, row.sent) == (3, True, False)
    with app.app_context():
        failed = AuditEvent.get(AuditEvent.action == "notice.failed")
        assert failed.target_user.email == REVIEWER
        assert "kind=new_emergency" in failed.detail
        assert "SMTPRecipientsRefused" in failed.detail
    # The administrators are owed a notice at once, sent by the next delivery.
    assert [(row.to, row.due_at) for row in owed(app, "job_failed")] == [
        (ADMIN, naive(given_up_at))
    ]
    with app.app_context():
        assert notices.deliver() == 1
    assert [mail.to for mail in relay.received] == [ADMIN, ADMIN]
    assert [row.sent for row in owed(app, "job_failed")] == [True]
    # Given up: no more attempts, however long one waits.
    time_machine.shift(datetime.timedelta(hours=5))
    with app.app_context():
        assert notices.deliver() == 0
    assert len(relay.received) == 2

    admin = StaffClient(app, account(app, ADMIN))
    page = admin.text("/admin/notices")
    listed = page.split("Notifications not sent")[1].split("Background jobs that failed")[0]
    assert REVIEWER in listed
    assert "A new emergency request" in listed
    assert "Given up" in listed
    assert "SMTPRecipientsRefused" in listed
    assert f'action="/admin/notices/{row.uid}/retry"' in admin.page("/admin/notices")

    relay.refuse.clear()  # the mailbox works again
    response = admin.post(f"/admin/notices/{row.uid}/retry")

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/notices"
    assert [mail.to for mail in relay.received] == [ADMIN, ADMIN, REVIEWER]
    (row,) = [row for row in owed(app, "new_emergency") if row.to == REVIEWER]
    assert (row.sent, row.failed) == (True, False)
    page = admin.text("/admin/notices")
    assert "The notification will be sent again in a moment." in page
    assert "Every notification tried so far has been sent." in page
    with app.app_context():
        assert AuditEvent.get(AuditEvent.action == "notice.retried").user.email == ADMIN


def test_trying_again_a_notice_still_being_tried_changes_nothing(app, relay, time_machine):
    time_machine.move_to(START, tick=False)
    accounts(app)
    relay.refuse[REVIEWER] = "550 5.1.1 Mailbox unavailable"
    emergency(app)
    (before,) = [row for row in owed(app) if row.to == REVIEWER]
    admin = StaffClient(app, account(app, ADMIN))

    response = admin.post(f"/admin/notices/{before.uid}/retry")

    assert response.status_code == 303
    page = admin.text("/admin/notices")
    assert "This notification is not waiting to be sent again." in page
    assert "Next attempt" in page
    assert [row for row in owed(app) if row.to == REVIEWER] == [before]


@pytest.mark.app_config(SMTP_URL=Live("plain_smtp_url"))
def test_a_server_without_starttls_gets_nothing_in_clear(app, plain_relay):
    accounts(app)

    emergency(app)

    assert plain_relay.connections >= 1  # the portal did knock
    assert plain_relay.received == []
    with app.app_context():
        errors = {row.last_error for row in Notice.select()}
    assert errors == {"SMTPNotSupportedError"}
    assert {(row.sent, row.attempts) for row in owed(app)} == {(False, 1)}


@pytest.mark.app_config(SMTP_CA_FILE="")
def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(app, relay):
    accounts(app)

    emergency(app)

    assert relay.connections >= 1
    assert relay.received == []
    with app.app_context():
        errors = {row.last_error for row in Notice.select()}
    assert errors == {"SSLCertVerificationError"}


@pytest.mark.app_config(SMTP_URL=Live("plain_smtp_url"))
def test_the_portal_hangs_up_on_a_server_without_starttls(app, plain_relay):
    accounts(app)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        emergency(app)
        gc.collect()

    unclosed = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []


@pytest.mark.app_config(SMTP_URL="")
def test_an_outbox_that_cannot_be_written_counts_as_a_failed_attempt(app, time_machine):
    time_machine.move_to(START, tick=False)
    accounts(app)
    outbox = Path(app.instance_path) / "outbox"
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("a file where the folder should be")

    emergency(app)

    rows = owed(app)
    assert [(row.attempts, row.sent) for row in rows] == [(1, False), (1, False)]
    assert {row.due_at for row in rows} == {naive(START + MINUTE)}


@pytest.mark.app_config(SMTP_URL="")
def test_a_background_job_that_fails_for_good_is_listed_and_administrators_told(app, monkeypatch):
    accounts(app)
    with app.app_context():
        worker = jobs.jobs()

    def broken(now=None):
        raise LookupError("the offers table is gone")

    monkeypatch.setattr(offers, "expire_due", broken)
    worker.sweep()  # the periodic task, run by Huey: it has no retries

    with app.app_context():
        (event,) = AuditEvent.select().where(AuditEvent.action == "job.failed")
        assert event.detail == "job=sweep error=LookupError"  # never the error's text
    assert [(row.to, row.sent) for row in owed(app, "job_failed")] == [(ADMIN, False)]
    admin = StaffClient(app, account(app, ADMIN))
    jobs_failed = admin.text("/admin/notices").split("Background jobs that failed")[1]
    assert "job=sweep error=LookupError" in jobs_failed

    with app.app_context():
        notices.deliver()
    assert [(row.to, row.sent) for row in owed(app, "job_failed")] == [(ADMIN, True)]
