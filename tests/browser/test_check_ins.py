"""Check-ins in a real browser, with JavaScript on and off, on a 360 px phone: an organization
member marks the work under way with a check-in rhythm, records an "All well" and, once it has
its sentence, an incident; the clock then moves past the next due time, the sweep reports the
missed check-in, and a reviewer finds the request at the top of the queue with its badge,
reads the check-ins and marks the alert handled. Neither page scrolls sideways, and axe finds
nothing serious on either.
"""

import datetime

import pytest
from playwright.sync_api import expect

from portal import jobs
from portal.db import db
from portal.models import CheckIn, Offer, Request

from axe_checks import axe_problems
from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY
from portal_testing.keys import as_escrow
from portal_testing.offers import Case, offer_url
from staff_pages import PHONE, no_sideways_scrolling, signed_in, stored_emergency

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

MEMBER = "member@brigadas.test"
REVIEWER = "reviewer@network.test"
INCIDENT = "Two men photographed the office from a car this morning."
NO_SENTENCE = "Please say in a sentence what happened."
INCIDENT_BADGE = "Incident reported"
MISSED_BADGE = "Check-in missed"


def click_and_wait(page, button):
    with page.expect_navigation():
        button.click()


def stored_check_ins(app, reference):
    """The request's check-ins as stored, oldest first: (status, sentence)."""
    with app.app_context(), db.connection_context(), as_escrow():
        return [
            (row.status, row.note)
            for row in CheckIn.select()
            .join(Request)
            .where(Request.reference == reference)
            .order_by(CheckIn.id)
        ]


def stored_request(app, reference):
    with app.app_context(), db.connection_context():
        return Request.get(Request.reference == reference)


def record_check_in(page, label, sentence=""):
    """On the offer page: choose how things are, write the sentence, press the button."""
    form = page.locator("#check-in-form")
    form.get_by_label(label, exact=True).check()
    form.locator('textarea[name="check_in-note"]').fill(sentence)
    click_and_wait(page, form.get_by_role("button", name="Record the check-in"))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_check_ins_reach_reviewers_and_a_missed_one_tops_their_queue(
    portal, live_app, time_machine, javascript
):
    # A request offered to two organizations; Brigadas del Macizo accepted it.
    case = Case(live_app)
    case.accept("brigadas")
    reference, handle = case.reference, case.handle["brigadas"]

    # --- the organization member, on a phone
    member = signed_in(portal, MEMBER, javascript)
    member.set_viewport_size(PHONE)
    member.goto(portal.url(offer_url(handle)))
    work = member.locator("#work-form")
    work.get_by_label("Every day", exact=True).check()
    work.locator("input[name=confirm]").check()
    click_and_wait(member, work.get_by_role("button", name="Mark as under way"))
    expect(member.locator(".notice-success")).to_contain_text("The request is marked as under way.")
    section = member.locator("section#check-ins")
    expect(section).to_contain_text("Your organization checks in: Every day.")
    expect(section).to_contain_text("The next check-in is due by")
    expect(section).to_contain_text("No check-in yet.")
    with live_app.app_context(), db.connection_context():
        assert Offer.get(Offer.handle == handle).check_in_hours == 24
    assert stored_request(live_app, reference).state == "active"

    record_check_in(member, "All well")
    expect(member.locator(".notice-success")).to_contain_text("Your check-in was recorded.")
    expect(section.locator(".check-in-list li")).to_have_count(1)
    assert stored_check_ins(live_app, reference) == [("well", None)]

    # An incident without its sentence: refused, said in the summary and by the field.
    record_check_in(member, "An incident")
    summary = member.locator("#check-in-form .error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a")).to_have_text([NO_SENTENCE])
    expect(member.locator("#check_in-note-error")).to_have_text(NO_SENTENCE)
    expect(member.locator(".notice-success")).to_have_count(0)
    expect(section.locator(".check-in-list li")).to_have_count(1)
    assert stored_check_ins(live_app, reference) == [("well", None)]
    assert stored_request(live_app, reference).attention is None
    no_sideways_scrolling(member, "the offer page with a check-in error")
    if javascript:  # axe runs in the page: not without JavaScript
        assert axe_problems(member, "the offer page with a check-in error") == []

    record_check_in(member, "An incident", INCIDENT)
    expect(member.locator(".notice-success")).to_contain_text("Your check-in was recorded.")
    expect(member.locator(".error-summary")).to_have_count(0)
    expect(section.locator("h3")).to_have_text("Your organization's check-ins")
    listed = section.locator(".check-in-list li")
    expect(listed).to_have_count(2)
    expect(listed.nth(0).locator(".badge")).to_have_text("An incident")  # newest first
    expect(listed.nth(0)).to_contain_text(INCIDENT)
    expect(listed.nth(1).locator(".badge")).to_have_text("All well")
    assert stored_check_ins(live_app, reference) == [("well", None), ("incident", INCIDENT)]
    no_sideways_scrolling(member, "the offer page with its check-ins")
    if javascript:
        assert axe_problems(member, "the offer page with its check-ins") == []

    # --- a day and an hour later, nobody has checked in again: the sweep reports it.
    with live_app.app_context(), db.connection_context():
        due = Offer.get(Offer.handle == handle).check_in_due_at
    time_machine.move_to(due.replace(tzinfo=datetime.UTC) + datetime.timedelta(hours=1), tick=True)
    with live_app.app_context(), db.connection_context():
        assert jobs.sweep()["check_ins_missed"] == 1
    assert stored_check_ins(live_app, reference)[-1] == ("missed", None)
    # The incident is not hidden by the later missed check-in: it stays the reason.
    assert stored_request(live_app, reference).attention == "incident"
    # A new emergency arrives, still within its response time: the alert comes before it.
    # (An overdue emergency would come first: the queue puts those above everything.)
    emergency = stored_emergency(live_app).reference

    # --- the reviewer (signed in anew: the clock jumped past every session's idle limit)
    reviewer = signed_in(portal, REVIEWER, javascript)
    reviewer.set_viewport_size(PHONE)
    reviewer.goto(portal.url("/review/"))
    rows = reviewer.locator("#queue-results tbody tr")
    expect(rows.first.locator("a.reference")).to_have_text(reference)
    expect(rows.first.locator(".badge-attention")).to_have_text(INCIDENT_BADGE)
    expect(rows.nth(1).locator("a.reference")).to_have_text(emergency)
    expect(reviewer.locator("#queue-results .badge-attention")).to_have_count(1)

    click_and_wait(reviewer, rows.first.locator("a.reference"))
    expect(reviewer).to_have_url(portal.url(f"/review/{reference}"))
    alert = reviewer.locator(".alert-card")
    expect(alert.locator("h2")).to_have_text(INCIDENT_BADGE)
    history = reviewer.locator("section#check-ins .check-in-list li")
    expect(history).to_have_count(3)
    expect(history.nth(0).locator(".badge")).to_have_text("Missed: no check-in on time")
    expect(history.nth(1).locator(".badge")).to_have_text("An incident")
    expect(history.nth(1)).to_contain_text(INCIDENT)
    expect(history.nth(1)).to_contain_text("Brigadas del Macizo")
    expect(history.nth(2).locator(".badge")).to_have_text("All well")
    no_sideways_scrolling(reviewer, "the request page with its check-in alert")
    if javascript:
        assert axe_problems(reviewer, "the request page with its check-in alert") == []

    click_and_wait(reviewer, alert.get_by_role("button", name="Mark as handled"))
    expect(reviewer.locator(".notice-success")).to_contain_text("Marked as handled.")
    expect(reviewer.locator(".alert-card")).to_have_count(0)
    expect(reviewer.locator("section#check-ins .check-in-list li")).to_have_count(3)
    assert stored_request(live_app, reference).attention is None

    reviewer.goto(portal.url("/review/"))
    # Back in its usual place, after the emergency, and without a badge.
    rows = reviewer.locator("#queue-results tbody tr")
    expect(rows.first.locator("a.reference")).to_have_text(emergency)
    expect(rows.nth(1).locator("a.reference")).to_have_text(reference)
    expect(reviewer.locator("#queue-results .badge-attention")).to_have_count(0)
    for badge in (INCIDENT_BADGE, MISSED_BADGE):
        expect(reviewer.locator("#queue-results")).not_to_contain_text(badge)
