"""Accepting an offer, marking the work under way and marking it completed cannot be undone:
each needs a tick that says what happens and who is told. A post without it changes
nothing and gives the page back with the error by the box, what was typed kept."""

import re

import pytest

from portal.models import Held

from portal_testing import PASSWORD_ALONE, PageForms, page_text
from portal_testing.offers import CLOSING_REPORT, CONTACT_PLAN, NOT_ENGAGED, START, offer_url

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

TICK = "Tick this box to confirm."
PLAN = CONTACT_PLAN["accept-contact_plan"]


def without_tick(fields):
    return {name: value for name, value in fields.items() if not name.endswith("confirm")}


def version_of(case):
    return str(case.request().version)


def summary_links(html):
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    return re.findall(r'href="#([^"]+)"', summary)


def test_the_accept_form_says_what_accepting_does_and_who_is_told(case):
    html = case.members["brigadas"].page(offer_url(case.handle["brigadas"]))

    assert 'id="accept-confirm"' in html and 'name="accept-confirm"' in html
    assert "The offer closes for every other organization" in html
    assert "the requester reads on their tracking page" in html


def test_accepting_without_the_tick_changes_nothing_and_keeps_the_plan(case):
    before = case.snapshot()

    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "accept"), without_tick(CONTACT_PLAN)
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    forms = PageForms(html)
    assert forms.errors["accept-confirm"] == [TICK]
    assert summary_links(html) == ["accept-confirm"]
    assert forms.values["accept-contact_plan"] == [PLAN]
    assert case.snapshot() == before
    assert case.offer("brigadas").state == "open"
    # Nothing of the requester is shown before the acceptance goes through.
    assert "contact-heading" not in html


def test_accepting_with_the_tick_takes_the_request(case):
    response = case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "accept"), CONTACT_PLAN
    )

    assert response.status_code == 303
    assert case.offer("brigadas").state == "accepted"
    assert case.request().state == "accepted"


@pytest.fixture
def accepted(case):
    case.accept("brigadas")
    return case


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("start", "The requester sees it as under way on their tracking page."),
        ("complete", "network staff are told"),
    ],
)
def test_each_move_of_the_work_needs_its_tick(accepted, step, words):
    member, handle = accepted.members["brigadas"], accepted.handle["brigadas"]
    report = CLOSING_REPORT if step == "complete" else START
    if step == "complete":
        accepted.move("brigadas", "start")
    assert words in page_text(member.get(offer_url(handle)))
    before = accepted.snapshot()

    response = member.post(offer_url(handle, step), {"version": version_of(accepted), **report})

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert PageForms(html).errors["confirm"] == [TICK]
    assert summary_links(html) == ["confirm"]
    assert accepted.snapshot() == before
    # The tick given, it goes through.
    moved = member.post(
        offer_url(handle, step), {"version": version_of(accepted), "confirm": "y", **report}
    )
    assert moved.status_code == 303
    assert accepted.request().state == ("active" if step == "start" else "completed")


def test_an_unticked_move_that_no_longer_applies_says_so(accepted):
    accepted.move("brigadas", "start")
    member, handle = accepted.members["brigadas"], accepted.handle["brigadas"]
    before = accepted.snapshot()

    # "Under way" again, from a page left open: it is already under way.
    response = member.post(offer_url(handle, "start"), {"version": version_of(accepted)})

    assert response.status_code == 409
    assert NOT_ENGAGED in page_text(response)
    assert accepted.snapshot() == before


def test_a_move_without_the_version_is_refused_as_hand_made(accepted):
    member, handle = accepted.members["brigadas"], accepted.handle["brigadas"]
    before = accepted.snapshot()

    for fields in ({}, {"confirm": "y"}, {"version": "x", "confirm": "y"}):
        assert member.post(offer_url(handle, "start"), fields).status_code in (400, 409)
    assert accepted.snapshot() == before


def test_another_organization_cannot_move_the_work_even_ticked(accepted):
    before = accepted.snapshot()

    response = accepted.members["tejido"].post(
        offer_url(accepted.handle["brigadas"], "start"),
        {"version": version_of(accepted), "confirm": "y"},
    )

    assert response.status_code == 404
    assert accepted.snapshot() == before


def test_a_language_switch_keeps_the_plan_but_never_the_tick(app, case):
    member, handle = case.members["brigadas"], case.handle["brigadas"]
    page = offer_url(handle)

    switched = member.client.post(
        "/staff/language",
        query_string={"lang": "es", "back": page},
        data={"csrf_token": member.token, "switch_language": "es", **CONTACT_PLAN},
    )

    assert switched.status_code == 303
    html = member.client.get(switched.headers["Location"]).get_data(as_text=True)
    forms = PageForms(html)
    assert '<html lang="es"' in html
    assert forms.values["accept-contact_plan"] == [PLAN]
    assert "accept-confirm" not in forms.values
    assert case.offer("brigadas").state == "open"
    with app.app_context():
        assert Held.select().count() == 0  # given back once


def test_the_page_carries_the_form_being_written_across_a_language_switch(case):
    member, handle = case.members["brigadas"], case.handle["brigadas"]

    waiting = member.page(offer_url(handle))
    assert 'form="accept-form"' in waiting and 'id="accept-form"' in waiting

    case.accept("brigadas")
    working = member.page(offer_url(handle))
    assert 'form="thread-form"' in working and 'id="thread-form"' in working
