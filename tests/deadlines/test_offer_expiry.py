"""Offers lapse when nobody answers in time (PORTAL_OFFER_EXPIRY: 12 hours for an emergency):
the open offers expire, the request goes back to *approved* at the top of the queue and
reviewers are told; members were reminded once when a quarter of the time was left."""

import pytest

from portal import i18n, offers
from portal.models import AuditEvent, Notice, Request, TimelineEvent

from .story import ORGANIZATIONS, T0, at, moment, queue_rows
from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, StaffClient
from portal_testing.offers import CONTACT_PLAN
from portal_testing.review import new_request

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

EXPIRED = (
    "Nobody answered this offer in time, so network staff are looking for another match. "
    "Nothing more is needed from your organization."
)
NO_LONGER_OPEN = "This offer is no longer open: nothing was changed."
ACCEPT_BUTTON = "Accept: our organization takes it on"


def owed(app, kind):
    with app.app_context():
        return sorted(n.user.email for n in Notice.select().where(Notice.kind == kind))


def test_each_offer_of_an_emergency_runs_for_12_hours(app, offered):
    with app.app_context():
        lapses = {o.expires_at for o in Request.get_by_id(offered.request().id).offers}
    assert lapses == {moment(hours=12)}
    assert offered.offer_states() == dict.fromkeys(ORGANIZATIONS, "open")


def test_an_unanswered_offer_lapses_and_the_request_goes_back_to_the_top_of_the_queue(app, offered):
    with at(hours=-5):  # older, and not overdue when the offers lapse (17 hours old)
        older_emergency = new_request(app, urgency="emergency")

    with app.app_context():
        assert offers.expire_due(moment(hours=11, minutes=59)) == 0
        assert offered.offer_states() == dict.fromkeys(ORGANIZATIONS, "open")
        assert offers.expire_due(moment(hours=12)) == 1
        assert offers.expire_due(moment(hours=12, minutes=5)) == 0  # the next sweep: nothing

    assert offered.offer_states() == dict.fromkeys(ORGANIZATIONS, "expired")
    request = offered.request()
    assert request.state == "approved"
    with app.app_context():
        back = TimelineEvent.select().where(TimelineEvent.request == request.id)
        assert [(e.from_state, e.to_state, e.actor) for e in back][-1] == (
            "offered",
            "approved",
            "system",
        )
        assert [
            e.reference for e in AuditEvent.select().where(AuditEvent.action == "offer.expired")
        ] == [offered.reference]
    assert owed(app, "offers_ended") == ["reviewer@network.test"]

    with at(hours=12, minutes=1):
        page = StaffClient(app, offered.reviewer).page("/review/")
    assert [row.reference for row in queue_rows(page)] == [offered.reference, older_emergency]


def test_the_member_reads_that_the_offer_expired_and_cannot_accept_it(app, offered):
    with app.app_context():
        offers.expire_due(moment(hours=12))
    before = (offered.request().state, offered.request().version, offered.offer_states())

    with at(hours=13):
        member = StaffClient(app, offered.member("brigadas"))
        page = member.text(f"/org/offers/{offered.handle['brigadas']}")
        answer = member.post(f"/org/offers/{offered.handle['brigadas']}/accept", CONTACT_PLAN)
        inbox = member.text("/org/")

    assert EXPIRED in page
    assert ACCEPT_BUTTON not in page
    assert answer.status_code == 409
    answered = answer.get_data(as_text=True)
    assert NO_LONGER_OPEN in answered
    assert ACCEPT_BUTTON not in answered
    assert (offered.request().state, offered.request().version, offered.offer_states()) == before
    current, history = inbox.split('id="history"')
    assert offered.handle["brigadas"] not in current
    assert "No offer is waiting for an answer." in current
    assert offered.handle["brigadas"] in history and "Nobody answered in time" in history
    assert offered.reference not in inbox


def test_members_are_reminded_once_when_a_quarter_of_the_time_is_left(app, offered):
    with app.app_context():
        # 12 hours: a quarter is 3 hours, so at 9 hours.
        assert offers.warn_expiring(moment(hours=8, minutes=59)) == 0
        assert offers.warn_expiring(moment(hours=9)) == 2
        assert offers.warn_expiring(moment(hours=9)) == 0
        assert offers.warn_expiring(moment(hours=11)) == 0

    assert owed(app, "offer_expiring") == ["member@brigadas.test", "member@tejido.test"]
    assert owed(app, "offers_ended") == []


def test_an_offer_answered_in_time_is_neither_reminded_nor_expired(app, offered):
    with at(hours=1), app.app_context():
        offers.accept(
            offers.offer_for(offered.member("tejido").organization, offered.handle["tejido"]),
            offered.member("tejido"),
        )

    with app.app_context():
        assert offers.warn_expiring(moment(hours=10)) == 0
        assert offers.expire_due(moment(hours=13)) == 0
    assert offered.request().state == "accepted"
    assert offered.offer_states() == {"brigadas": "closed", "tejido": "accepted"}
    assert owed(app, "offer_expiring") == owed(app, "offers_ended") == []


def test_the_inbox_shows_when_it_was_offered_and_the_time_left(app, offered):
    with app.test_request_context():
        offered_on = i18n.moment(T0)

    with at(hours=2):
        member = StaffClient(app, offered.member("brigadas"))
        inbox = member.text("/org/")
        page = member.text(f"/org/offers/{offered.handle['brigadas']}")
    with at(hours=12, minutes=30):  # lapsed, but no sweep has run yet
        late = StaffClient(app, offered.member("brigadas")).text("/org/")

    assert "Offered on" in inbox
    assert offered_on in inbox
    assert "10 hours left" in inbox
    assert "10 hours left" in page
    assert ACCEPT_BUTTON in page
    assert "Time is up: answer now if you can" in late
