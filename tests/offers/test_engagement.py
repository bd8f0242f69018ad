"""The work an organization took on: under way, progress updates, completed, capacity."""

import pytest
from markupsafe import escape

from portal import intake, offers, review, vocabulary, workflow
from portal.models import Request

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    PageForms,
    StaffClient,
    add_organization,
    create_staff_account,
    page_text,
    request_fields,
)
from portal_testing.offers import (
    CHANGED,
    CLOSING_REPORT,
    CONTACT_PLAN,
    NO_UPDATE,
    NOT_ENGAGED,
    START,
    SUMMARY,
    TAKEN,
    offer_url,
    shows_no_secret,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def test_starting_the_work_shows_under_way_on_the_requesters_page(case):
    case.accept("brigadas")
    handle = case.handle["brigadas"]
    page = case.members["brigadas"].get(offer_url(handle)).get_data(as_text=True)
    version = PageForms(page).values["version"]
    assert version == [str(case.request().version)]
    response = case.members["brigadas"].post(
        offer_url(handle, "start"), {"version": version[0], "confirm": "y", "rhythm": "none"}
    )
    assert response.status_code == 303
    assert case.request().state == "active"
    assert "Under way" in case.tracking_page()


@pytest.mark.parametrize("stale", ["older", "newer", "", "abc"])
def test_a_stale_version_is_refused_and_changes_nothing(case, stale):
    case.accept("brigadas")
    current = case.request().version
    version = {"older": current - 1, "newer": current + 1}.get(stale, stale)
    before = case.snapshot()
    for action in ("start", "complete"):
        response = case.members["brigadas"].post(
            offer_url(case.handle["brigadas"], action),
            {"version": str(version), "confirm": "y", **CLOSING_REPORT, **START},
        )
        assert response.status_code == 409, action
        assert CHANGED in page_text(response)
    assert case.snapshot() == before
    assert "Under way" not in case.tracking_page()


def test_completing_before_starting_is_refused(case):
    case.accept("brigadas")
    before = case.snapshot()
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "complete"),
        {"version": str(case.request().version), "confirm": "y", **CLOSING_REPORT, **START},
    )
    assert response.status_code == 409
    assert case.snapshot() == before


def test_a_progress_update_reaches_the_reviewer_and_not_the_requester(case):
    case.accept("brigadas")
    body = "Met the group <b>at the hall</b> {{7*7}}; next visit on Friday. שלום"
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "update"), {"update-body": body}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == offer_url(case.handle["brigadas"]) + "#progress"
    assert body in case.members["brigadas"].text(offer_url(case.handle["brigadas"]))
    raw = case.reviewer.get(f"/review/{case.reference}").get_data(as_text=True)
    assert "Progress updates from the organization" in raw
    assert f'<div class="user-text" dir="auto">{escape(body)}</div>' in raw
    assert "<b>at the hall</b>" not in raw
    assert body not in case.tracking_page()


def test_an_empty_progress_update_is_refused(case):
    case.accept("brigadas")
    before = case.snapshot()
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "update"), {"update-body": "  \n "}
    )
    assert response.status_code == 422
    assert PageForms(response.get_data(as_text=True)).errors["update-body"] == [NO_UPDATE]
    assert case.snapshot() == before


def test_once_completed_the_contact_details_and_the_update_form_are_gone(case):
    case.accept("brigadas")
    case.move("brigadas", "start")
    case.move("brigadas", "complete")
    assert case.request().state == "completed"
    handle = case.handle["brigadas"]
    page = case.members["brigadas"].text(offer_url(handle))
    assert shows_no_secret(page) == []
    assert "It has now ended" in page
    assert offer_url(handle, "update") not in page
    assert offer_url(handle, "complete") not in page
    assert "Completed" in case.tracking_page()


def test_an_update_after_completion_is_refused_and_nothing_is_stored(case):
    case.accept("brigadas")
    case.move("brigadas", "start")
    case.move("brigadas", "complete")
    before = case.snapshot()
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "update"), {"update-body": "One last word."}
    )
    assert response.status_code == 409
    assert NOT_ENGAGED in page_text(response)
    assert shows_no_secret(page_text(response)) == []
    assert case.snapshot() == before


def test_an_update_refused_after_completion_keeps_what_was_typed(case):
    case.accept("brigadas")
    case.move("brigadas", "start")
    case.move("brigadas", "complete")
    typed = "One last word: the hearing was postponed to June."
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "update"), {"update-body": typed}
    )
    assert response.status_code == 409
    assert PageForms(response.get_data(as_text=True)).values.get("update-body") == [typed]


def test_when_the_requester_withdraws_the_accepting_organization_no_longer_sees_them(case, app):
    case.accept("brigadas")
    with app.app_context():
        request = Request.get(Request.reference == case.reference)
        workflow.transition(request, vocabulary.WITHDRAWN, "requester")
    before = case.snapshot()
    handle = case.handle["brigadas"]
    page = case.members["brigadas"].text(offer_url(handle))
    assert shows_no_secret(page) == []
    assert offer_url(handle, "start") not in page and offer_url(handle, "update") not in page
    response = case.members["brigadas"].post(
        offer_url(handle, "start"),
        {"version": str(case.request().version), "confirm": "y", **CLOSING_REPORT, **START},
    )
    assert response.status_code == 409
    assert case.snapshot() == before


def _end_while_offered(case, how):
    with case.app.app_context():
        request = Request.get(Request.reference == case.reference)
        if how == "withdrawn":
            workflow.transition(request, vocabulary.WITHDRAWN, "requester")
        else:
            workflow.transition(request, vocabulary.REJECTED, "staff", reason="no_capacity")


@pytest.mark.parametrize("how", ["withdrawn", "rejected"])
def test_a_request_that_ended_while_offered_leaves_the_organizations_inbox(case, how):
    _end_while_offered(case, how)
    inbox = case.members["brigadas"].text("/org/")
    waiting = inbox.split("Requests your organization took on")[0]
    assert case.handle["brigadas"] not in waiting


def test_accepting_a_withdrawn_request_does_not_claim_another_organization_took_it(case):
    _end_while_offered(case, "withdrawn")
    before = case.snapshot()
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "accept"), CONTACT_PLAN
    )
    assert response.status_code == 409
    assert case.snapshot() == before
    assert TAKEN not in page_text(response)


def test_an_organization_at_capacity_ranks_below_an_equal_one_with_room(app):
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        full = add_organization("alfa", name="Brigada Alfa", capacity=1)  # first by name
        add_organization("beta", name="Brigada Beta", capacity=1)
        taken = intake.submit(request_fields(), "en").request
        for state in (vocabulary.IN_REVIEW, vocabulary.APPROVED):
            workflow.transition(taken, state, "staff", user=reviewer)
        (the_offer,) = offers.offer(
            taken, [full], reviewer, expected_version=taken.version, summary=SUMMARY
        )
        member = create_staff_account("m@alfa.test", "org_member", organization=full)
        offers.accept(the_offer, member)

        new = intake.submit(request_fields(), "en").request
        workflow.transition(new, vocabulary.IN_REVIEW, "staff", user=reviewer)
        matches = review.matches_for(new)
        assert [m.candidate.key for m in matches] == ["beta", "alfa"]
        with app.test_request_context():
            capacity = {m.candidate.key: str(m.capacity_words) for m in matches}
        assert capacity == {"alfa": "Full: 1 taken, room for 1", "beta": "1 of 1 free"}
    page = StaffClient(app, reviewer).text(f"/review/{new.reference}")
    assert page.index("Brigada Beta") < page.index("Brigada Alfa")
    assert "Full: 1 taken, room for 1" in page


def test_capacity_is_free_again_once_the_work_is_completed(case):
    case.accept("brigadas")
    with case.app.app_context():
        assert offers.engagements() == {case.orgs["brigadas"].id: 1}
    case.move("brigadas", "start")
    with case.app.app_context():
        assert offers.engagements() == {case.orgs["brigadas"].id: 1}
    case.move("brigadas", "complete")
    with case.app.app_context():
        assert offers.engagements() == {}
