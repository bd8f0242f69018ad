"""Check-ins while the work is under way: the accepting organization sets a rhythm and records
each check-in; a missed one, or an incident, alerts reviewers once, at once, and puts the
request at the top of their queue until one of them handles it. Nobody else sees them."""

import datetime
import html
import re

import pytest

from portal import checkins, intake, jobs
from portal.db import db
from portal.models import CheckIn, Notice, Offer, Request, utcnow

from portal_testing import HOSTILE, PASSWORD_ALONE, ROOM_FOR_MANY, page_text, request_fields
from portal_testing.keys import as_escrow
from portal_testing.offers import Case, offer_url
from portal_testing.staff import StaffClient

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

INCIDENT = "Zyxincident: two men photographed the office from a car."
CONCERN = "Zyxconcern: calls from an unknown number at night."
NOT_UNDER_WAY = "Check-ins are kept only while the work is under way"


def start(case, rhythm="48", key="brigadas"):
    return case.members[key].post(
        offer_url(case.handle[key], "start"),
        {"version": str(case.request().version), "confirm": "y", "rhythm": rhythm},
    )


@pytest.fixture
def accepted(app):
    case = Case(app)
    case.accept("brigadas")
    return case


@pytest.fixture
def under_way(accepted):
    assert start(accepted).status_code == 303
    return accepted


def check_in(case, status, note="", key="brigadas"):
    return case.members[key].post(
        offer_url(case.handle[key], "check-in"),
        {"check_in-status": status, "check_in-note": note},
    )


def stored(app):
    with app.app_context(), db.connection_context(), as_escrow():
        return [(row.status, row.note) for row in CheckIn.select().order_by(CheckIn.id)]


def notices_of(app, kind):
    with app.app_context(), db.connection_context():
        return Notice.select().where(Notice.kind == kind).count()


def sweep(app):
    with app.app_context(), db.connection_context():
        return jobs.sweep()["check_ins_missed"]


def later(time_machine, hours):
    """The clock `hours` on from now (it stays there: nothing waits)."""
    time_machine.move_to(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=hours), tick=False
    )


def signed_in_again(case):
    """Everyone signs in anew after the clock moved past their sessions' idle limit."""
    case.reviewer = StaffClient(case.app, case.reviewer.user)
    case.members = {key: StaffClient(case.app, client.user) for key, client in case.members.items()}


def queue_order(case):
    """The references in the queue, in its order."""
    return re.findall(r'class="reference">(AR-[0-9-]+)<', case.reviewer.page("/review/"))


def queue_rows(case):
    """The queue's first requests, as the reviewer reads them."""
    return page_text(case.reviewer.get("/review/"))


# --- the rhythm ---------------------------------------------------------------------------------


def test_marking_the_work_under_way_asks_how_often_the_organization_checks_in(app, accepted):
    before = accepted.snapshot()

    response = start(accepted, rhythm="")
    assert response.status_code == 422
    assert "Please choose how often your organization will check in." in page_text(response)
    assert accepted.snapshot() == before

    response = start(accepted, rhythm="5")  # not a rhythm the page offers
    assert response.status_code == 422
    assert "Please choose one of the options." in page_text(response)
    assert accepted.snapshot() == before

    assert start(accepted, rhythm="48").status_code == 303
    the_offer = accepted.offer("brigadas")
    assert accepted.request().state == "active"
    assert the_offer.check_in_hours == 48
    assert the_offer.check_in_due_at - utcnow() > datetime.timedelta(hours=47, minutes=59)
    page = accepted.members["brigadas"].text(offer_url(accepted.handle["brigadas"]))
    assert "Your organization checks in: Every 2 days." in page
    assert "The next check-in is due by" in page


def test_the_rhythm_can_be_changed_or_dropped(app, under_way):
    member, handle = under_way.members["brigadas"], under_way.handle["brigadas"]

    assert member.post(offer_url(handle, "rhythm"), {"rhythm-rhythm": "168"}).status_code == 303
    assert under_way.offer("brigadas").check_in_hours == 168

    refused = member.post(offer_url(handle, "rhythm"), {"rhythm-rhythm": "1"})
    assert refused.status_code == 422
    assert "Please choose one of the options." in page_text(refused)
    assert under_way.offer("brigadas").check_in_hours == 168

    assert member.post(offer_url(handle, "rhythm"), {"rhythm-rhythm": "none"}).status_code == 303
    the_offer = under_way.offer("brigadas")
    assert (the_offer.check_in_hours, the_offer.check_in_due_at) == (None, None)
    assert "No regular rhythm is set" in member.text(offer_url(handle))


# --- recording check-ins ------------------------------------------------------------------------


def test_a_check_in_is_recorded_in_seconds_and_its_sentence_sealed(app, under_way):
    due_before = under_way.offer("brigadas").check_in_due_at

    assert check_in(under_way, "well").status_code == 303
    assert check_in(under_way, "concern", CONCERN).status_code == 303

    assert stored(app) == [("well", None), ("concern", CONCERN)]
    with app.app_context(), db.connection_context():
        raw = CheckIn.select(CheckIn.note_sealed).where(CheckIn.status == "concern").scalar()
    assert CONCERN.encode() not in bytes(raw)
    assert under_way.offer("brigadas").check_in_due_at >= due_before
    assert notices_of(app, "check_in_incident") == 0
    assert under_way.request().attention is None
    page = under_way.members["brigadas"].text(offer_url(under_way.handle["brigadas"]))
    assert "Your check-in was recorded." in page
    assert CONCERN in page


@pytest.mark.parametrize(
    "status, note, error",
    [
        ("", "", "Please choose how things are."),
        ("missed", "", "Please choose one of the options."),  # the portal's alone to write
        ("incident", "", "Please say in a sentence what happened."),
        ("incident", "   ", "Please say in a sentence what happened."),
        ("concern", "x" * 2001, "Please use at most 2,000 characters."),
        ("concern", "bad\x00byte", "invisible control characters"),
    ],
)
def test_a_check_in_that_does_not_read_is_refused_and_keeps_what_was_typed(
    app, under_way, status, note, error
):
    before = under_way.snapshot()

    response = check_in(under_way, status, note)

    assert response.status_code == 422
    assert error in page_text(response)
    assert under_way.snapshot() == before
    if note.strip() and "\x00" not in note:
        assert note in html.unescape(response.get_data(as_text=True))


def test_check_ins_are_kept_only_while_the_work_is_under_way(app, accepted):
    # Accepted, not yet under way: no form, and a post changes nothing.
    member, handle = accepted.members["brigadas"], accepted.handle["brigadas"]
    assert f'action="/org/offers/{handle}/check-in"' not in member.page(offer_url(handle))
    response = check_in(accepted, "incident", INCIDENT)
    assert response.status_code == 409
    assert NOT_UNDER_WAY in page_text(response)
    assert INCIDENT in html.unescape(response.get_data(as_text=True))  # not lost
    assert stored(app) == []

    assert start(accepted).status_code == 303
    accepted.move("brigadas", "complete")
    assert check_in(accepted, "well").status_code == 409
    assert stored(app) == []
    assert accepted.offer("brigadas").check_in_due_at is None  # nothing can be missed now


# --- alerts -------------------------------------------------------------------------------------


def test_an_incident_alerts_reviewers_at_once_and_tops_the_queue(app, under_way):
    with app.app_context(), db.connection_context():  # a new emergency, in time
        emergency = intake.submit(request_fields(urgency="emergency"), "en").request.reference
    assert queue_order(under_way)[0] == emergency

    assert check_in(under_way, "incident", INCIDENT).status_code == 303

    assert notices_of(app, "check_in_incident") == 1  # the one reviewer
    assert under_way.request().attention == "incident"
    assert queue_order(under_way)[:2] == [under_way.reference, emergency]
    assert "Incident reported" in queue_rows(under_way)
    page = under_way.reviewer.text(f"/review/{under_way.reference}")
    assert INCIDENT in page
    assert "Mark as handled" in page


def test_a_missed_check_in_alerts_once_and_again_only_after_the_next_one_is_missed(
    app, under_way, time_machine
):
    later(time_machine, 47)
    assert sweep(app) == 0

    later(time_machine, 2)  # 49 hours after the start: due 48 hours after
    assert sweep(app) == 1
    assert sweep(app) == 0  # told once, however often the clock sweeps
    later(time_machine, 24)
    assert sweep(app) == 0
    assert notices_of(app, "check_in_missed") == 1
    assert [status for status, _ in stored(app)] == ["missed"]
    assert under_way.request().attention == "missed"
    signed_in_again(under_way)
    assert "Check-in missed" in queue_rows(under_way)
    page = under_way.members["brigadas"].text(offer_url(under_way.handle["brigadas"]))
    assert "A check-in was missed and network staff were alerted." in page

    # The organization checks in again: the next one is due from then, and is told of once.
    assert check_in(under_way, "well").status_code == 303
    assert under_way.request().attention == "missed"  # until a reviewer handles it
    later(time_machine, 49)
    assert sweep(app) == 1
    assert notices_of(app, "check_in_missed") == 2


def test_a_later_missed_check_in_does_not_hide_an_incident(app, under_way, time_machine):
    assert check_in(under_way, "incident", INCIDENT).status_code == 303
    later(time_machine, 49)
    assert sweep(app) == 1
    assert under_way.request().attention == "incident"


def test_two_sweeps_at_once_report_a_missed_check_in_once(app, under_way, time_machine):
    later(time_machine, 49)
    with app.app_context(), db.connection_context():
        first = checkins.report_missed()
        # The second sweep had read the offer before the first one reported it.
        stale = Offer.get(Offer.handle == under_way.handle["brigadas"])
    assert first == 1 and stale.check_in_due_at is None
    assert notices_of(app, "check_in_missed") == 1


def test_a_reviewer_handles_the_alert_as_the_page_showed_it(app, under_way):
    assert check_in(under_way, "incident", INCIDENT).status_code == 303
    with app.app_context(), db.connection_context():
        shown = checkins.newest_uid(Request.get(Request.reference == under_way.reference))
    # A second check-in arrives after the reviewer's page was drawn.
    assert check_in(under_way, "concern", CONCERN).status_code == 303

    stale = under_way.reviewer.post(f"/review/{under_way.reference}/alert-handled", seen=shown)
    assert stale.status_code == 409
    assert "a new check-in arrived since the page was drawn" in page_text(stale)
    assert CONCERN in html.unescape(stale.get_data(as_text=True))
    assert under_way.request().attention == "incident"

    with app.app_context(), db.connection_context():
        newest = checkins.newest_uid(Request.get(Request.reference == under_way.reference))
    handled = under_way.reviewer.post(f"/review/{under_way.reference}/alert-handled", seen=newest)
    assert handled.status_code == 303
    assert under_way.request().attention is None
    assert "Incident reported" not in queue_rows(under_way)
    again = under_way.reviewer.post(f"/review/{under_way.reference}/alert-handled", seen=newest)
    assert again.status_code == 409


# --- who sees what ------------------------------------------------------------------------------


def test_only_network_staff_and_the_organization_itself_read_check_ins(app, under_way):
    assert check_in(under_way, "incident", INCIDENT).status_code == 303
    theirs = under_way.handle["brigadas"]

    # Another organization: its own offer page says nothing, and this offer is not there.
    other = under_way.members["tejido"]
    assert INCIDENT not in other.text(offer_url(under_way.handle["tejido"]))
    assert other.get(offer_url(theirs)).status_code == 404
    assert check_in(under_way, "well", key="tejido").status_code in (404, 409)
    assert other.post(offer_url(theirs, "check-in"), {"check_in-status": "well"}).status_code == 404
    assert [status for status, _ in stored(app)] == ["incident"]

    # The requester reads nothing of it, nor that an alert was raised.
    tracking = under_way.tracking_page()
    assert INCIDENT not in tracking and "Incident" not in tracking

    # A member cannot clear the reviewers' alert.
    assert under_way.members["brigadas"].post(
        f"/review/{under_way.reference}/alert-handled", seen="x"
    ).status_code in (403, 404)
    assert under_way.request().attention == "incident"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_sentence_is_kept_and_shown_as_text(app, under_way, name):
    text = HOSTILE[name]

    assert check_in(under_way, "incident", text).status_code == 303

    assert stored(app) == [("incident", text.strip())]
    for page in (
        under_way.reviewer.page(f"/review/{under_way.reference}"),
        under_way.members["brigadas"].page(offer_url(under_way.handle["brigadas"])),
    ):
        assert "<script>alert(1)" not in page and "<img src=x" not in page
        assert "<svg onload" not in page and 'hx-get="/x"' not in page
        assert html.escape(text.strip(), quote=False) in page or text.strip() in html.unescape(page)


def test_the_request_page_timeline_tells_the_alerts_and_their_handling(app, under_way):
    assert check_in(under_way, "incident", INCIDENT).status_code == 303
    with app.app_context(), db.connection_context():
        newest = checkins.newest_uid(Request.get(Request.reference == under_way.reference))
    reference = under_way.reference
    assert under_way.reviewer.post(f"/review/{reference}/alert-handled", seen=newest)

    raw = re.sub(r"<[^>]+>", "", under_way.reviewer.page(f"/review/{reference}"))
    page = re.sub(r"\s+", " ", html.unescape(raw))
    timeline = page[page.rindex("Timeline") :]
    told = [
        "member@brigadas.test (Brigadas del Macizo) set how often they check in on " + reference,
        "member@brigadas.test (Brigadas del Macizo) reported an incident on "
        + reference
        + ": reviewers were told",
        "reviewer@network.test marked the check-in alert on " + reference + " as handled",
    ]
    positions = [timeline.find(sentence) for sentence in told]
    assert -1 not in positions, positions
    assert positions == sorted(positions)  # oldest first, after the work began
    assert timeline.index("Active") < positions[0]
    assert INCIDENT not in timeline  # the sentence itself stays in the check-ins


def test_a_missed_check_in_is_reported_once_on_each_database(backend_app, time_machine):
    app = backend_app
    case = Case(app)
    case.accept("brigadas")
    assert start(case, rhythm="12").status_code == 303

    later(time_machine, 13)
    with app.app_context(), db.connection_context():
        reported = [checkins.report_missed(), checkins.report_missed()]
        missed = CheckIn.select().where(CheckIn.status == "missed").count()
        alerts = Notice.select().where(Notice.kind == "check_in_missed").count()
        attention = Request.get(Request.reference == case.reference).attention
    assert (reported, missed, alerts, attention) == ([1, 0], 1, 1, "missed")
