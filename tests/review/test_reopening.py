"""A reviewer reopens a completed request within PORTAL_REOPEN_DAYS (a new threat): it goes back
to be offered in a new round, its history kept together; the organization whose work ended
sees nothing of the requester again, and an organization that declined before may be asked
again."""

import datetime

import pytest

from portal import create_app, deadlines
from portal.db import db
from portal.models import ClosingReport, InternalNote, Offer, Organization

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, page_text, portal_settings
from portal_testing.keys import as_escrow
from portal_testing.offers import CONTACT_PLAN, NAME, SUMMARY, Case, offer_url
from portal_testing.staff import StaffClient

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

WHY = "Zyxwhy: the leader was threatened again after the hearing."
REOPEN_BUTTON = "Reopen for a new round of offers"


@pytest.fixture
def completed(app):
    case = Case(app)
    # Tejido declines the first round; Brigadas takes it and completes it.
    declined = case.members["tejido"].post(
        offer_url(case.handle["tejido"], "decline"), {"decline-reason": "No volunteers."}
    )
    assert declined.status_code == 303
    case.accept("brigadas")
    case.move("brigadas", "start")
    case.move("brigadas", "complete")
    assert case.request().state == "completed"
    return case


def reopen(case, **fields):
    return case.reviewer.post(
        f"/review/{case.reference}/act",
        {"action": "reopen", "version": str(case.request().version), **fields},
    )


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"confirm": "y"}, "Please say why it is reopened."),
        ({"confirm": "y", "why": "   "}, "Please say why it is reopened."),
        ({"why": WHY}, "Tick this box to confirm."),
    ],
)
def test_reopening_needs_the_reason_and_the_tick(app, completed, fields, error):
    before = completed.snapshot()

    response = reopen(completed, **fields)

    assert response.status_code == 422
    assert error in page_text(response)
    assert completed.snapshot() == before
    if fields.get("why", "").strip():
        assert WHY in response.get_data(as_text=True)  # what was typed is not lost


def test_a_reopened_request_starts_a_new_round_with_its_history_kept(app, completed):
    page = completed.reviewer.text(f"/review/{completed.reference}")
    assert REOPEN_BUTTON in page
    assert "It can be reopened until" in page

    response = reopen(completed, why=WHY, confirm="y")

    assert response.status_code == 303
    request = completed.request()
    assert request.state == "approved"
    with app.app_context(), db.connection_context(), as_escrow():
        assert [n.body for n in InternalNote.select().where(InternalNote.request == request)] == [
            WHY
        ]
        assert ClosingReport.select().where(ClosingReport.request == request).count() == 1
        moves = [(e.from_state, e.to_state) for e in request.timeline()]
    assert moves[-2:] == [("active", "completed"), ("completed", "approved")]
    page = completed.reviewer.text(f"/review/{completed.reference}")
    assert "The request was reopened." in page
    assert "Closing reports" in page and WHY in page
    assert "Approved" in completed.tracking_page()

    # The organization whose work ended sees nothing of the requester any more.
    brigadas = completed.members["brigadas"].text(offer_url(completed.handle["brigadas"]))
    assert NAME not in brigadas

    # A new round: Tejido, which declined the first one, may be asked again, and takes it.
    with app.app_context(), db.connection_context():
        tejido = Organization.get(Organization.key == "tejido")
    offered = completed.reviewer.post(
        f"/review/{completed.reference}/offer",
        {
            "organizations": [tejido.key],
            "summary": SUMMARY,
            "version": str(completed.request().version),
        },
    )
    assert offered.status_code == 303, page_text(offered)
    with app.app_context(), db.connection_context():
        new = Offer.get((Offer.organization == tejido) & (Offer.state == "open"))
    taken = completed.members["tejido"].post(offer_url(new.handle, "accept"), CONTACT_PLAN)
    assert taken.status_code == 303
    assert NAME in completed.members["tejido"].text(offer_url(new.handle))
    # Brigadas' offer stays accepted in its history, and shows no contact though the
    # request is in an organization's hands again.
    assert NAME not in completed.members["brigadas"].text(offer_url(completed.handle["brigadas"]))
    assert "Tejido Solidario Andino" in completed.tracking_page()


def test_past_the_reopening_period_it_cannot_be_reopened(app, completed, time_machine):
    time_machine.move_to(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30, minutes=1), tick=False
    )
    reviewer = StaffClient(app, completed.reviewer.user)  # signed in anew: time has passed
    assert REOPEN_BUTTON not in reviewer.text(f"/review/{completed.reference}")
    before = completed.snapshot()

    response = reviewer.post(
        f"/review/{completed.reference}/act",
        {
            "action": "reopen",
            "version": str(completed.request().version),
            "why": WHY,
            "confirm": "y",
        },
    )

    assert response.status_code == 409
    assert "This action is not possible in the request's current state." in page_text(response)
    assert completed.snapshot() == before


def test_an_organization_member_cannot_reopen(app, completed):
    before = completed.snapshot()
    member = completed.members["brigadas"]
    response = member.post(
        f"/review/{completed.reference}/act",
        {"action": "reopen", "version": str(completed.request().version), "why": WHY},
    )
    assert response.status_code in (403, 404)
    assert completed.snapshot() == before


@pytest.mark.parametrize("days, retention", [(-1, 180), (181, 180)])
def test_a_reopening_period_past_retention_stops_the_portal_at_start(tmp_path, days, retention):
    settings = portal_settings(tmp_path, REOPEN_DAYS=days, RETENTION_DAYS=retention)
    with pytest.raises(deadlines.BadSetting, match="PORTAL_REOPEN_DAYS"):
        create_app(settings)


@pytest.mark.app_config(REOPEN_DAYS=0)
def test_no_reopening_when_it_is_turned_off(app, completed):
    assert REOPEN_BUTTON not in completed.reviewer.text(f"/review/{completed.reference}")
    assert completed.request().state == "completed"
    assert reopen(completed, why=WHY, confirm="y").status_code == 409
