"""Who is told when a request is past its response time: reviewers once, then administrators
once if it is still overdue half the target later; the next deadline is reported again.

report_overdue() is what the worker's sweep runs every few minutes: it is called here with
`now=` as often as a sweep would, and twice at the same moment on both databases.
"""

import pytest

from portal import deadlines, intake, workflow
from portal.models import AuditEvent, Notice, Request

from .story import at, moment
from portal_testing import create_staff_account, request_fields
from portal_testing.races import at_the_same_moment

REVIEWER, ADMIN = "reviewer@network.test", "admin@network.test"


@pytest.fixture
def emergency(app):
    """A reviewer and an administrator (who reviews too), and an emergency sent at T0."""
    with at(), app.app_context():
        reviewer = create_staff_account(REVIEWER, "reviewer")
        create_staff_account(ADMIN, "admin")
        request = intake.submit(request_fields(urgency="emergency"), "en").request
    return {"reference": request.reference, "reviewer": reviewer}


def told(kind):
    """Who is owed a notice of `kind`, sorted."""
    return sorted(n.user.email for n in Notice.select().where(Notice.kind == kind))


def recorded(action):
    return [
        (event.reference, event.detail)
        for event in AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)
    ]


def sweeps(*hours):
    """report_overdue() at each of these moments (hours after T0): how many it told each time."""
    return [deadlines.report_overdue(moment(hours=h)) for h in hours]


def test_reviewers_hear_once_that_an_emergency_missed_its_first_look(app, emergency):
    with app.app_context():
        assert sweeps(23, 24, 25, 25, 26, 30) == [0, 0, 1, 0, 0, 0]

        assert told("overdue") == [ADMIN, REVIEWER]
        assert told("escalated") == []
        assert recorded("request.overdue") == [(emergency["reference"], "deadline=first_look")]
        request = Request.get(Request.reference == emergency["reference"])
        assert (request.overdue_for, request.overdue_level) == ("first_look", 1)


def test_administrators_hear_once_if_it_is_still_overdue_half_the_target_later(app, emergency):
    with app.app_context():
        # Due at 24 h; half the target again is 12 h more.
        assert sweeps(25, 35.9, 36, 36, 40, 70) == [1, 0, 1, 0, 0, 0]

        assert told("overdue") == [ADMIN, REVIEWER]
        assert told("escalated") == [ADMIN]
        assert recorded("request.escalated") == [(emergency["reference"], "deadline=first_look")]


def test_the_decision_deadline_is_reported_again_once_after_the_review_started(app, emergency):
    with app.app_context():
        assert sweeps(25, 36) == [1, 1]
        with at(hours=40):
            request = Request.get(Request.reference == emergency["reference"])
            workflow.transition(request, "in_review", "staff", user=emergency["reviewer"])

        # The decision is due 72 h after arrival; administrators hear 36 h after that.
        assert sweeps(41, 72, 73, 73, 107, 108, 108, 200) == [0, 0, 1, 0, 0, 1, 0, 0]

        assert told("overdue") == [ADMIN, ADMIN, REVIEWER, REVIEWER]
        assert told("escalated") == [ADMIN, ADMIN]
        assert recorded("request.overdue") == [
            (emergency["reference"], "deadline=first_look"),
            (emergency["reference"], "deadline=decision"),
        ]
        assert recorded("request.escalated") == [
            (emergency["reference"], "deadline=first_look"),
            (emergency["reference"], "deadline=decision"),
        ]


def test_a_request_looked_at_in_time_and_decided_in_time_is_never_reported(app, emergency):
    with app.app_context():
        with at(hours=23):
            request = Request.get(Request.reference == emergency["reference"])
            workflow.transition(request, "in_review", "staff", user=emergency["reviewer"])
            workflow.transition(request, "approved", "staff", user=emergency["reviewer"])

        assert sweeps(25, 73, 200) == [0, 0, 0]
        assert told("overdue") == told("escalated") == []


def test_a_request_waiting_for_the_requester_is_never_reported(app, emergency):
    with app.app_context():
        with at(hours=1):
            request = Request.get(Request.reference == emergency["reference"])
            workflow.transition(request, "in_review", "staff", user=emergency["reviewer"])
            workflow.transition(request, "needs_info", "staff", user=emergency["reviewer"])

        assert sweeps(25, 73, 24 * 400) == [0, 0, 0]
        assert told("overdue") == told("escalated") == []


def test_two_sweeps_at_the_same_moment_tell_reviewers_once(backend_app):
    app = backend_app
    with at(), app.app_context():
        create_staff_account(REVIEWER, "reviewer")
        intake.submit(request_fields(urgency="emergency"), "en")

    def sweep(ready):
        ready()
        return deadlines.report_overdue(moment(hours=25))

    results = at_the_same_moment(app, sweep, sweep)

    assert sorted(results) == [0, 1]
    with app.app_context():
        assert told("overdue") == [REVIEWER]
        assert len(recorded("request.overdue")) == 1
