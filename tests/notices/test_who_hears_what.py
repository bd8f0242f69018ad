"""Who is told of what, and how soon: each event of a request's life, through the pages
(or the domain function the worker runs), and the emails that come of it.

Without PORTAL_SMTP_URL every email lands in instance/outbox/; jobs run at once at the
end of each web request (QUEUE_URL memory://), so an immediate notice is in the outbox
as soon as the page has answered.
"""

import datetime

import pytest

from portal import deadlines, jobs, notices, offers
from portal.models import Request, User

from .mailboxes import outbox, owed, told
from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    Requester,
    StaffClient,
    add_organization,
    approved_request,
    create_staff_account,
    tracking_browser,
)
from portal_testing.offers import Case, offer_url
from portal_testing.races import at_the_same_moment

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

START = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC)  # a Monday, 09:00 UTC
DIGEST = datetime.datetime(2030, 3, 4, 17, 0)  # PORTAL_DIGEST_HOUR as shipped: 17 UTC
REVIEWER, ADMIN, MEMBER = "reviewer@network.test", "admin@network.test", "member@org.test"


def staff(app, *, member=True, inactive_reviewer=False):
    """A reviewer, an administrator and (unless told otherwise) an organization member."""
    with app.app_context():
        create_staff_account(REVIEWER, "reviewer")
        create_staff_account(ADMIN, "admin")
        if member:
            create_staff_account(MEMBER, "org_member")
        if inactive_reviewer:
            gone = create_staff_account("former@network.test", "reviewer")
            User.update(active=False).where(User.id == gone.id).execute()


def sent_to(app) -> list[str]:
    return sorted(mail.to for mail in outbox(app))


def test_a_new_emergency_tells_reviewers_and_administrators_at_once_and_members_nothing(app):
    staff(app, inactive_reviewer=True)

    response = Requester(app.test_client()).submit_and_follow(urgency="emergency")

    assert response.status_code == 200
    assert told(app, "new_emergency") == {REVIEWER, ADMIN}
    assert sent_to(app) == [ADMIN, REVIEWER]
    assert all(row.sent for row in owed(app))


def test_a_request_that_is_not_an_emergency_waits_for_the_daily_digest(app, time_machine):
    time_machine.move_to(START, tick=False)
    staff(app)

    Requester(app.test_client()).submit(urgency="planned")

    rows = owed(app)
    assert {(row.kind, row.to, row.due_at) for row in rows} == {
        ("new_request", REVIEWER, DIGEST),
        ("new_request", ADMIN, DIGEST),
    }
    assert outbox(app) == []
    time_machine.move_to(
        DIGEST.replace(tzinfo=datetime.UTC) - datetime.timedelta(seconds=1), tick=False
    )
    with app.app_context():
        assert notices.deliver() == 0
    assert outbox(app) == []

    time_machine.move_to(DIGEST.replace(tzinfo=datetime.UTC), tick=False)
    with app.app_context():
        digest = jobs.jobs().digest  # the worker's daily task
    assert digest.call_local() == 2
    assert sent_to(app) == [ADMIN, REVIEWER]
    assert all(row.sent for row in owed(app))


@pytest.mark.app_config(DIGEST_HOUR=6, SWEEP_MINUTES=10)
def test_the_worker_sends_the_digest_at_the_digest_hour_and_sweeps_every_few_minutes(app):
    with app.app_context():
        worker = jobs.jobs()
    digest, sweep = worker.digest.task_class(), worker.sweep.task_class()

    assert digest.validate_datetime(datetime.datetime(2030, 3, 4, 6, 0))
    assert not digest.validate_datetime(datetime.datetime(2030, 3, 4, 17, 0))
    assert sweep.validate_datetime(datetime.datetime(2030, 3, 4, 6, 50))
    assert not sweep.validate_datetime(datetime.datetime(2030, 3, 4, 6, 55))


@pytest.mark.app_config(DIGEST_HOUR=6)
def test_a_request_sent_after_the_digest_hour_waits_for_the_next_days_digest(app, time_machine):
    time_machine.move_to(START, tick=False)
    staff(app, member=False)

    Requester(app.test_client()).submit(urgency="urgent")

    tomorrow_at_six = datetime.datetime(2030, 3, 5, 6, 0)
    assert {row.due_at for row in owed(app)} == {tomorrow_at_six}


def test_a_requester_writing_on_the_tracking_page_tells_reviewers_in_the_digest(app, time_machine):
    time_machine.move_to(START, tick=False)
    client, _ = tracking_browser(app)  # sent before any staff account existed
    staff(app)

    response = Requester(client).send_message("We have new information about the threats.")

    assert response.status_code == 303
    assert {(row.kind, row.to, row.due_at) for row in owed(app)} == {
        ("requester_answer", REVIEWER, DIGEST),
        ("requester_answer", ADMIN, DIGEST),
    }
    assert outbox(app) == []


def test_an_offer_is_told_only_to_the_members_of_the_organizations_offered(app):
    with app.app_context():
        reviewer = create_staff_account(REVIEWER, "reviewer")
        chosen = [add_organization("brigadas"), add_organization("tejido")]
        other = add_organization("otra")
        create_staff_account("ana@brigadas.test", "org_member", organization=chosen[0])
        create_staff_account("bea@tejido.test", "org_member", organization=chosen[1])
        create_staff_account("carla@otra.test", "org_member", organization=other)
        former = create_staff_account("dora@brigadas.test", "org_member", organization=chosen[0])
        User.update(active=False).where(User.id == former.id).execute()
        request = approved_request(reviewer)
        reference, version = request.reference, request.version

    response = StaffClient(app, reviewer).post(
        f"/review/{reference}/offer",
        {
            "organizations": ["brigadas", "tejido"],
            "summary": "Hearings in May.",
            "version": version,
        },
    )

    assert response.status_code == 303
    assert told(app, "new_offer") == {"ana@brigadas.test", "bea@tejido.test"}
    assert sent_to(app) == ["ana@brigadas.test", "bea@tejido.test"]


def test_when_the_last_organization_declines_reviewers_are_told_at_once(app):
    case = Case(app)
    with app.app_context():
        create_staff_account(ADMIN, "admin")

    first = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "decline"), {"decline-reason": "No volunteers."}
    )
    assert first.status_code == 303
    assert owed(app, "offers_ended") == []

    last = case.members["tejido"].post(
        offer_url(case.handle["tejido"], "decline"), {"decline-reason": "Outside our area."}
    )

    assert last.status_code == 303
    assert case.request().state == "approved"
    assert told(app, "offers_ended") == {"reviewer@network.test", ADMIN}
    # The members' mail is of their new offers, from before.
    assert sent_to(app) == [
        ADMIN,
        "member@brigadas.test",
        "member@tejido.test",
        "reviewer@network.test",
    ]


def test_an_offer_about_to_lapse_tells_its_members_and_a_lapse_tells_reviewers(app, time_machine):
    time_machine.move_to(START, tick=False)
    with app.app_context():
        reviewer = create_staff_account(REVIEWER, "reviewer")
        org = add_organization("brigadas")
        create_staff_account("ana@brigadas.test", "org_member", organization=org)
        request = approved_request(reviewer, urgency="emergency")
        offers.offer(request, [org], reviewer, expected_version=request.version, summary="S.")
    # An emergency offer lasts 12 hours; a quarter of it is left after 9.
    time_machine.shift(datetime.timedelta(hours=8, minutes=59))
    with app.app_context():
        assert offers.warn_expiring() == 0
    time_machine.shift(datetime.timedelta(minutes=1))
    with app.app_context():
        assert offers.warn_expiring() == 1
        assert offers.warn_expiring() == 0  # once
    assert [row.to for row in owed(app, "offer_expiring")] == ["ana@brigadas.test"]

    time_machine.shift(datetime.timedelta(hours=3))
    with app.app_context():
        assert offers.expire_due() == 1

    assert told(app, "offers_ended") == {REVIEWER}
    with app.app_context():  # what the sweep does next: one email each for all that is due
        assert notices.deliver() == 2
    assert sent_to(app) == ["ana@brigadas.test", REVIEWER]


def test_progress_and_completion_tell_reviewers_in_the_digest(app):
    case = Case(app)
    case.accept("brigadas")
    case.move("brigadas", "start")

    update = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "update"), {"update-body": "We met the community."}
    )
    assert update.status_code == 303
    case.move("brigadas", "complete")

    rows = owed(app, "progress")
    assert [row.to for row in rows] == ["reviewer@network.test"] * 2
    assert all(row.due_at.hour == 17 and not row.sent for row in rows)
    assert {row.kind for row in owed(app)} <= {"new_offer", "progress"}


def test_an_account_that_chose_never_gets_no_notice_of_that_kind(app):
    staff(app, member=False)
    with app.app_context():
        notices.save_settings(User.by_email(REVIEWER), None, {"new_emergency": "never"})

    Requester(app.test_client()).submit(urgency="emergency")
    Requester(app.test_client()).submit(urgency="urgent")

    assert told(app, "new_emergency") == {ADMIN}
    assert told(app, "new_request") == {REVIEWER, ADMIN}
    assert sent_to(app) == [ADMIN]


def test_an_account_that_chose_immediately_is_told_of_a_request_at_once(app):
    staff(app, member=False)
    with app.app_context():
        notices.save_settings(User.by_email(REVIEWER), None, {"new_request": "now"})

    Requester(app.test_client()).submit(urgency="planned")

    assert sent_to(app) == [REVIEWER]


def test_one_email_per_person_however_many_notices_are_due(app, time_machine):
    time_machine.move_to(START, tick=False)
    client, _ = tracking_browser(app)
    with app.app_context():
        create_staff_account(REVIEWER, "reviewer")
    for urgency in ("urgent", "planned", "urgent"):
        Requester(app.test_client()).submit(urgency=urgency)
    Requester(client).send_message("One more thing.")
    assert len(owed(app)) == 4

    time_machine.move_to(DIGEST.replace(tzinfo=datetime.UTC), tick=False)
    with app.app_context():
        assert notices.deliver() == 1

    assert sent_to(app) == [REVIEWER]
    assert all(row.sent for row in owed(app))


def test_an_account_deactivated_before_the_digest_is_sent_nothing(app, time_machine):
    time_machine.move_to(START, tick=False)
    staff(app, member=False)
    Requester(app.test_client()).submit(urgency="planned")
    with app.app_context():
        User.update(active=False).where(User.email == REVIEWER).execute()

    time_machine.move_to(DIGEST.replace(tzinfo=datetime.UTC), tick=False)
    with app.app_context():
        assert notices.deliver() == 1

    assert sent_to(app) == [ADMIN]
    assert all(row.sent for row in owed(app))  # nothing left waiting for nobody


def test_a_request_past_its_response_time_tells_reviewers_at_once(app, time_machine):
    time_machine.move_to(START, tick=False)
    staff(app)
    Requester(app.test_client()).submit(urgency="emergency")
    # An emergency should have had a first look within 24 hours.
    time_machine.shift(datetime.timedelta(hours=24, minutes=1))

    with app.app_context():
        assert deadlines.report_overdue() == 1

    assert told(app, "overdue") == {REVIEWER, ADMIN}


def test_a_request_still_overdue_after_reviewers_were_told_tells_administrators(app, time_machine):
    time_machine.move_to(START, tick=False)
    staff(app)
    Requester(app.test_client()).submit(urgency="emergency")
    with app.app_context():  # as report_overdue() leaves it once reviewers were told
        Request.update(overdue_for="first_look", overdue_level=1).execute()
    # Overdue at 24 hours; half the target again (12 hours) later, administrators hear.
    time_machine.shift(datetime.timedelta(hours=35, minutes=59))
    with app.app_context():
        assert deadlines.report_overdue() == 0
    time_machine.shift(datetime.timedelta(minutes=1))

    with app.app_context():
        assert deadlines.report_overdue() == 1
        assert deadlines.report_overdue() == 0  # once

    assert told(app, "escalated") == {ADMIN}
    assert [row.due_at for row in owed(app, "escalated")] == [datetime.datetime(2030, 3, 5, 21, 0)]


def test_two_deliveries_at_once_send_each_email_once(backend_app):
    app = backend_app
    people = [f"reviewer{n}@network.test" for n in range(6)]
    with app.app_context():
        for email in people:
            create_staff_account(email, "reviewer")
        notices.to_reviewers("new_emergency")

    def deliver(ready):
        ready()
        return notices.deliver()

    results = at_the_same_moment(app, deliver, deliver)

    assert sum(results) == len(people), results
    assert sent_to(app) == sorted(people)
    assert all(row.sent for row in owed(app))
