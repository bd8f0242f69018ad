"""Declining an offer, with a reason the reviewer reads as plain text."""

import html

import pytest
from markupsafe import escape

from portal import intake
from portal.models import Offer

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    PageForms,
    page_text,
    request_fields,
)
from portal_testing.keys import as_escrow
from portal_testing.offers import (
    CONTACT_PLAN,
    NO_REASON,
    ORGANIZATIONS,
    SUMMARY,
    offer_url,
    shows_no_secret,
)
from portal_testing.review import listed

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


@pytest.mark.parametrize("reason", ["", "   \n\t "])
def test_a_decline_needs_a_reason_and_the_page_stays_usable(case, reason):
    before = case.snapshot()
    handle = case.handle["brigadas"]
    response = case.members["brigadas"].post(
        offer_url(handle, "decline"), {"decline-reason": reason}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert PageForms(page).errors["decline-reason"] == [NO_REASON]
    assert offer_url(handle, "accept") in page and offer_url(handle, "decline") in page
    assert SUMMARY in page_text(response)
    assert case.snapshot() == before


def test_a_decline_over_4000_characters_is_refused_and_what_was_typed_is_kept(case):
    before = case.snapshot()
    reason = "No volunteers free. " * 200 + "Sorry."
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "decline"), {"decline-reason": reason}
    )
    assert response.status_code == 422
    form = PageForms(response.get_data(as_text=True))
    assert form.errors["decline-reason"] == ["Please use at most 4,000 characters."]
    assert form.values["decline-reason"] == [reason]
    assert case.snapshot() == before


HOSTILE_REASONS = {
    "script": "<script>alert(1)</script>",
    "template": "{{7*7}} {% raw %}",
    "rtl": "שלום, אין לנו מתנדבים",
    "emoji": "Sin cupo este mes 🙏🏽🕊️",
    "sql": "'; DROP TABLE offer; --",
    "longest": ("Sin cupo en mayo, ñandú 🕊 " * 200)[:3999] + "!",
}


@pytest.mark.parametrize("reason", HOSTILE_REASONS.values(), ids=HOSTILE_REASONS.keys())
def test_a_decline_reason_is_stored_and_shown_to_the_reviewer_as_plain_text(case, reason):
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "decline"), {"decline-reason": reason}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/org/"
    with case.app.app_context(), as_escrow():  # sealed to the organization's work key
        declined = case.offer("brigadas")
        assert (declined.state, declined.reason) == ("declined", reason)
        assert Offer.select().count() == 2  # the table is still there

    raw = case.reviewer.get(f"/review/{case.reference}").get_data(as_text=True)
    assert f'Their reason: <span class="user-text" dir="auto">{escape(reason)}</span>' in raw
    if "<" in reason:
        assert reason not in raw
    assert html.unescape(raw).count(reason) == 1


def test_a_declined_offer_goes_to_the_inbox_history_and_shows_only_a_notice(case):
    member, handle = case.members["brigadas"], case.handle["brigadas"]
    declined = member.post(offer_url(handle, "decline"), {"decline-reason": "Outside our area."})
    assert declined.status_code == 303
    current, history = member.text("/org/").split('id="history"')
    assert handle not in current
    assert handle in history and "Declined by your organization on" in history
    page = member.text(offer_url(handle))
    assert "Your organization declined this offer on" in page
    assert SUMMARY not in page and shows_no_secret(page) == []
    assert offer_url(handle, "accept") not in page
    before = case.snapshot()
    again = member.post(offer_url(handle, "decline"), {"decline-reason": "Again."})
    assert again.status_code == 409
    assert "This offer is no longer open: nothing was changed." in page_text(again)
    late = member.post(offer_url(handle, "accept"), CONTACT_PLAN)
    assert late.status_code == 409
    assert case.snapshot() == before


def test_when_every_organization_declined_the_request_is_first_in_the_reviewers_queue(case, app):
    with app.app_context():
        emergency = intake.submit(request_fields(urgency="emergency"), "en").request.reference
    assert listed(case.reviewer.text("/review/"))[0] == emergency
    for key in ORGANIZATIONS:
        response = case.members[key].post(
            offer_url(case.handle[key], "decline"), {"decline-reason": "No volunteers in May."}
        )
        assert response.status_code == 303
    assert case.request().state == "approved"
    assert listed(case.reviewer.text("/review/"))[:2] == [case.reference, emergency]
