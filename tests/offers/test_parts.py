"""A request that needs more than one organization (accompaniment by one, a monitoring visit by
another): the reviewer says how many when offering; it is taken once that many have accepted,
the others' offers close, each organization sees and does only its own part, and the
requester's page lists them all."""

import re

import pytest

from portal import offers, workflow
from portal.db import db
from portal.models import ClosingReport, Offer, Organization, Request

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, page_text
from portal_testing.keys import as_escrow
from portal_testing.offers import (
    CLOSING_REPORT,
    CONTACT_PLAN,
    NAME,
    START,
    SUMMARY,
    TAKEN,
    Case,
    offer_url,
)
from portal_testing.races import at_the_same_moment

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

THREE = {
    "brigadas": "Brigadas del Macizo",
    "tejido": "Tejido Solidario Andino",
    "vigia": "Vigía Internacional",
}
PLEDGED = "More organizations are needed: you will see who asked"
UPDATE = "Zyxupdate: the monitoring visit met the mayor."
TO_TEJIDO = "Zyxmessage for Tejido alone."


@pytest.fixture
def case(app):
    return Case(app, organizations=THREE, needed=2)


def accept(case, key):
    return case.members[key].post(offer_url(case.handle[key], "accept"), CONTACT_PLAN)


def states(app):
    with app.app_context(), db.connection_context():
        return {o.organization.key: (o.state, o.working) for o in Offer.select()}


def test_the_first_acceptance_is_a_pledge_and_the_second_takes_the_request(app, case):
    first = accept(case, "brigadas")

    assert first.status_code == 303
    page = case.members["brigadas"].text(offer_url(case.handle["brigadas"]))
    assert "Your organization accepted its part." in page and PLEDGED in page
    assert NAME not in page  # who asked: only once the request is taken
    assert case.request().state == "offered"
    assert states(app)["vigia"] == ("open", False)
    waiting = case.members["vigia"].text(offer_url(case.handle["vigia"]))
    assert "2 organizations are needed, each for its own part" in waiting

    assert accept(case, "tejido").status_code == 303

    assert case.request().state == "accepted"
    assert states(app) == {
        "brigadas": ("accepted", True),
        "tejido": ("accepted", True),
        "vigia": ("closed", False),
    }
    for key in ("brigadas", "tejido"):
        assert NAME in case.members[key].text(offer_url(case.handle[key]))
    late = accept(case, "vigia")
    assert late.status_code == 409
    assert TAKEN in page_text(late)
    assert NAME not in page_text(late)
    # The requester's page lists both, each with its own phrase.
    tracking = case.tracking_page()
    assert "Brigadas del Macizo" in tracking and "Tejido Solidario Andino" in tracking
    assert "Vigía Internacional" not in tracking
    assert tracking.count("Who will contact you") == 2


def test_two_of_three_accepting_at_the_same_moment_take_it_and_the_third_is_refused(
    backend_app,
):
    app = backend_app
    case = Case(app, organizations=THREE, needed=2)

    def press_accept(key):
        def move(ready):
            ready()
            return accept(case, key)

        return move

    keys = list(THREE)
    responses = dict(zip(keys, at_the_same_moment(app, *map(press_accept, keys)), strict=True))

    assert sorted(r.status_code for r in responses.values()) == [303, 303, 409]
    with app.app_context(), db.connection_context():
        request = Request.get(Request.reference == case.reference)
        assert request.state == "accepted"
        taken = {o.organization.key for o in Offer.select().where(Offer.working == True)}  # noqa: E712
        refused = next(key for key, r in responses.items() if r.status_code == 409)
        assert taken == set(THREE) - {refused}
        assert Offer.get(Offer.handle == case.handle[refused]).state == "closed"
        assert TAKEN in page_text(responses[refused])


@pytest.fixture
def taken(case):
    accept(case, "brigadas")
    accept(case, "tejido")
    return case


def test_each_organization_sees_only_its_own_part(app, taken):
    brigadas, tejido = taken.members["brigadas"], taken.members["tejido"]
    assert brigadas.post(offer_url(taken.handle["brigadas"], "update"), {"update-body": UPDATE})
    taken.move("brigadas", "start")
    check_in = {"check_in-status": "concern", "check_in-note": "Zyxconcern of Brigadas."}
    assert (
        brigadas.post(offer_url(taken.handle["brigadas"], "check-in"), check_in).status_code == 303
    )

    theirs = tejido.text(offer_url(taken.handle["tejido"]))
    assert UPDATE not in theirs and "Zyxconcern of Brigadas." not in theirs
    assert "Other organizations do other parts of it: you see only your own." in theirs
    reviewer = taken.reviewer.text(f"/review/{taken.reference}")
    assert UPDATE in reviewer and "Zyxconcern of Brigadas." in reviewer

    # The requester chooses whom to write to; the other organization does not read it.
    assert taken.requester.open(taken.code).status_code == 303
    with app.app_context(), db.connection_context():
        uids = {o.key: o.uid for o in Organization.select()}
    client = taken.requester  # the tracking page's forms
    unaddressed = client.post_form("/track/organization-message", {"organization-body": "Hi"})
    assert unaddressed.status_code == 422
    assert "Please choose the organization to write to." in page_text(unaddressed)
    not_taking_part = client.post_form(
        "/track/organization-message",
        {"organization-body": TO_TEJIDO, "organization-to": uids["vigia"]},
    )
    assert not_taking_part.status_code == 422
    sent = client.post_form(
        "/track/organization-message",
        {"organization-body": TO_TEJIDO, "organization-to": uids["tejido"]},
    )
    assert sent.status_code == 303
    assert TO_TEJIDO in tejido.text(offer_url(taken.handle["tejido"]))
    assert TO_TEJIDO not in brigadas.text(offer_url(taken.handle["brigadas"]))


def test_the_request_is_under_way_from_the_first_part_and_completed_with_the_last(app, taken):
    taken.move("brigadas", "start")
    assert taken.request().state == "active"
    taken.move("tejido", "start")  # its own part; the request was under way already
    assert taken.request().state == "active"

    taken.move("brigadas", "complete")
    assert taken.request().state == "active"
    assert NAME not in taken.members["brigadas"].text(offer_url(taken.handle["brigadas"]))
    assert NAME in taken.members["tejido"].text(offer_url(taken.handle["tejido"]))

    taken.move("tejido", "complete")
    assert taken.request().state == "completed"
    with app.app_context(), db.connection_context():
        reports = {r.organization.key for r in ClosingReport.select()}
    assert reports == {"brigadas", "tejido"}


def test_completing_a_part_twice_or_before_it_started_is_refused(app, taken):
    handle = taken.handle["brigadas"]
    early = taken.members["brigadas"].post(
        offer_url(handle, "complete"),
        {"version": str(taken.request().version), "confirm": "y", **CLOSING_REPORT, **START},
    )
    assert early.status_code == 409
    assert taken.request().state == "accepted"


def test_a_pledge_is_kept_when_the_offers_are_taken_back_and_ends_if_the_request_closes(app, case):
    accept(case, "brigadas")
    with app.app_context(), db.connection_context():
        reviewer = case.reviewer.user
        request = Request.get(Request.reference == case.reference)
        workflow.transition(request, "approved", "staff", user=reviewer)
        assert {o.organization.key for o in Offer.select().where(Offer.working == True)} == {  # noqa: E712
            "brigadas"
        }
        # A new round: the pledge counts, so one more is needed; Brigadas is not asked again.
        vigia = Organization.get(Organization.key == "vigia")
        brigadas = Organization.get(Organization.key == "brigadas")
        with pytest.raises(offers.OfferRefused):  # needing only the one already pledged
            offers.offer(
                request,
                [vigia],
                reviewer,
                expected_version=request.version,
                summary=SUMMARY,
                needed=1,
            )
        made = offers.offer(
            request,
            [vigia, brigadas],
            reviewer,
            expected_version=request.version,
            summary=SUMMARY,
            needed=2,
        )
        assert [o.organization.key for o in made] == ["vigia"]
    with app.app_context(), db.connection_context():
        vigia_offer = Offer.get((Offer.organization == vigia) & (Offer.state == "open"))
    taken_now = case.members["vigia"].post(offer_url(vigia_offer.handle, "accept"), CONTACT_PLAN)
    assert taken_now.status_code == 303
    assert case.request().state == "accepted"

    # Withdrawn by the requester: every engagement ends.
    assert case.requester.open(case.code).status_code == 303
    assert case.requester.withdraw().status_code == 303
    assert {key: working for key, (_, working) in states(app).items()} == {
        "brigadas": False,
        "tejido": False,
        "vigia": False,
    }


def test_the_offer_form_refuses_more_organizations_than_ticked(app):
    case = Case(app, organizations=THREE)
    with app.app_context(), db.connection_context():
        request = Request.get(Request.reference == case.reference)
        workflow.transition(request, "approved", "staff", user=case.reviewer.user)
    before = case.snapshot()

    response = case.reviewer.post(
        f"/review/{case.reference}/offer",
        {
            "organizations": ["brigadas", "tejido"],
            "summary": SUMMARY,
            "needed": "3",
            "version": str(case.request().version),
        },
    )

    assert response.status_code == 422
    assert "Please tick at least as many organizations as are needed." in page_text(response)
    assert case.snapshot() == before


def test_a_part_completed_while_another_goes_on_is_completed_in_its_inbox(app, taken):
    taken.move("brigadas", "start")
    taken.move("tejido", "start")
    taken.move("brigadas", "complete")

    inbox = taken.members["brigadas"].text("/org/")

    history = inbox[inbox.index('id="history-heading"') :]
    assert "Completed" in history
    assert taken.handle["brigadas"] in history


def test_a_complaint_names_the_organization_it_is_about(app, taken):
    from portal.models import Complaint

    assert taken.requester.open(taken.code).status_code == 303
    with app.app_context(), db.connection_context():
        tejido = Organization.get(Organization.key == "tejido").uid
    unnamed = taken.requester.post_form("/track/complaint", {"complaint-body": "Zyxlate again."})
    assert unnamed.status_code == 422
    assert "Please choose the organization it is about." in page_text(unnamed)
    assert "Zyxlate again." in page_text(unnamed)

    named = taken.requester.post_form(
        "/track/complaint", {"complaint-body": "Zyxlate again.", "complaint-about": tejido}
    )

    assert named.status_code == 303
    with app.app_context(), db.connection_context(), as_escrow():  # sealed to the network
        assert [(c.organization.key, c.body) for c in Complaint.select()] == [
            ("tejido", "Zyxlate again.")
        ]


def test_with_several_organizations_the_requester_chooses_rather_than_the_browser(app, taken):
    assert taken.requester.open(taken.code).status_code == 303
    page = taken.requester.client.get("/track").get_data(as_text=True)

    for name in ("organization-to", "complaint-about"):
        select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
        assert select, name
        options = re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1))
        # Nothing is chosen until the requester chooses: the first option is empty.
        assert 'value=""' in options[0][0] and options[0][1] == "Choose the organization"
        assert not any("selected" in attributes for attributes, _ in options[1:])
        assert {label for _, label in options[1:]} == {
            "Brigadas del Macizo",
            "Tejido Solidario Andino",
        }
