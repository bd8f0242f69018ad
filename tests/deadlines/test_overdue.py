"""A request past its response time is overdue: the queue says by how much and puts overdue
emergencies first; a request waiting for the requester's answer is never overdue."""

import pytest

from portal import deadlines, review
from portal.models import Request

from .story import at, moment, queue_row, queue_rows
from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, StaffClient, create_staff_account
from portal_testing.review import new_request

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


@pytest.fixture
def queue(app):
    """Requests of every urgency, sent at different times before the reviewer looks, 25 hours
    after T0 (the default targets: first look within 24 h for an emergency, 3 days for an
    urgent request, 7 days for a planned one)."""
    sent = sent_at_different_times(app)
    with app.app_context():
        sent["reviewer"] = create_staff_account("reviewer@network.test", "reviewer")
    return sent


def sent_at_different_times(app):
    """Their references by name: planned 2 days before T0, urgent 1 day before, an emergency
    waiting for the requester 1 hour before, one emergency at T0 and one 20 hours after."""
    sent = {}
    for name, when, urgency, state in (
        ("planned", {"days": -2}, "planned", None),
        ("urgent", {"days": -1}, "urgent", None),
        ("waiting", {"hours": -1}, "emergency", "needs_info"),
        ("late", {}, "emergency", None),
        ("fresh", {"hours": 20}, "emergency", None),
    ):
        with at(**when):
            extra = {"state": state} if state else {}
            sent[name] = new_request(app, urgency=urgency, **extra)
    return sent


def test_an_emergency_not_looked_at_after_25_hours_is_overdue_and_comes_first(app, queue):
    with at(hours=25):
        page = StaffClient(app, queue["reviewer"]).page("/review/")

    rows = queue_rows(page)
    assert [row.reference for row in rows] == [
        queue["late"],  # overdue emergencies first, though others are older
        queue["waiting"],
        queue["fresh"],
        queue["urgent"],
        queue["planned"],
    ]
    late = rows[0]
    assert late.overdue
    assert late.response_time == "Overdue by 60 minutes"
    assert [row.reference for row in rows if row.overdue] == [queue["late"]]


def test_the_queue_shows_the_time_left_on_every_other_running_deadline(app, queue):
    with at(hours=25):
        page = StaffClient(app, queue["reviewer"]).page("/review/")

    assert queue_row(page, queue["fresh"]).response_time == "19 hours left"
    assert queue_row(page, queue["urgent"]).response_time == "23 hours left"
    assert queue_row(page, queue["planned"]).response_time == "4 days left"


def test_a_request_waiting_for_the_requester_is_never_overdue(app, queue):
    with at(days=400):
        page = StaffClient(app, queue["reviewer"]).page("/review/")
        with app.app_context():
            late = {r.reference for r in Request.select().where(deadlines.overdue())}

    waiting = queue_row(page, queue["waiting"])
    assert not waiting.overdue
    assert waiting.response_time == "No response time runs —"
    assert queue["waiting"] not in late
    assert late == {queue["late"], queue["fresh"], queue["urgent"], queue["planned"]}


def test_the_same_emergency_is_on_time_one_minute_before_its_deadline(app, queue):
    with at(hours=23, minutes=59):
        page = StaffClient(app, queue["reviewer"]).page("/review/")

    row = queue_row(page, queue["late"])
    assert not row.overdue
    assert row.response_time == "60 seconds left"
    assert queue_rows(page)[0].reference == queue["waiting"]  # by age among emergencies


def test_an_emergency_under_review_is_overdue_once_its_decision_is_late(app, queue):
    """Once the review started, the decision is measured: 72 hours from arrival."""
    with at(hours=26), app.app_context():
        Request.update(state="in_review").where(Request.reference == queue["late"]).execute()

    with at(hours=71):
        on_time = StaffClient(app, queue["reviewer"]).page("/review/")
    with at(hours=74):
        late = StaffClient(app, queue["reviewer"]).page("/review/")

    assert queue_row(on_time, queue["late"]).response_time == "60 minutes left"
    assert not queue_row(on_time, queue["late"]).overdue
    assert queue_row(late, queue["late"]).response_time == "Overdue by 2 hours"
    assert queue_rows(late)[0].reference == queue["late"]
    with app.app_context():
        request = Request.get(Request.reference == queue["late"])
        deadline = deadlines.deadline_of(request)
    assert deadline.key == deadlines.DECISION
    assert deadline.due_at == moment(hours=72)
    assert deadline.missed(moment(hours=72, minutes=1))
    assert not deadline.missed(moment(hours=72))


def test_the_queue_order_is_the_same_on_both_databases(backend_app):
    app = backend_app
    sent = sent_at_different_times(app)

    with at(hours=25), app.app_context():
        order = [r.reference for r in review.queue(review.QueueFilters(), moment(hours=25))]
        late_ones = [r.reference for r in Request.select().where(deadlines.overdue())]

    assert order == [sent[name] for name in ("late", "waiting", "fresh", "urgent", "planned")]
    assert late_ones == [sent["late"]]
