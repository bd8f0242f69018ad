"""The optional risk questions of the request form in Chromium, on a 360 px phone, with
JavaScript on and off: folded until opened, answered, sent, and stored as answered;
opened again when an answer is wrong; axe finds nothing serious, in three languages."""

import pytest
from playwright.sync_api import expect

from portal.db import db
from portal.models import Request

from axe_checks import axe_problems
from portal_testing import PASSWORD_ALONE
from portal_testing.keys import as_escrow
from staff_pages import PHONE, no_sideways_scrolling

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

INCIDENT = "On 3 May two men photographed the house."


def newest_request(live_app) -> Request:
    with live_app.app_context(), db.connection_context():
        return Request.select().order_by(Request.id.desc()).get()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_requester_answers_the_risk_questions_on_a_phone(portal, live_app, javascript):
    page = portal.new_page(viewport=PHONE, java_script_enabled=javascript)
    page.goto(portal.url("/request"))
    portal.fill_request_form(page, portal.valid_values())

    section = page.locator("details#section-risk")
    expect(section).not_to_have_attribute("open", "")
    section.locator("summary").click()
    expect(section.get_by_text("Answer only what you want to")).to_be_visible()
    page.get_by_label("Surveillance: being followed, watched or listened to").check()
    page.get_by_label("An armed group").check()
    page.get_by_label("Recent incidents").fill(INCIDENT)
    page.get_by_label("Family").check()
    page.get_by_label("Yes, if it could help").check()
    no_sideways_scrolling(page, "the form with the risk questions open")
    if javascript:  # axe runs in the page: not without JavaScript
        assert axe_problems(page, "the form with the risk questions open") == []

    portal.send_request(page, javascript)
    portal.tracking_code(page)

    with live_app.app_context(), as_escrow():
        picture = newest_request(live_app).risk_picture
    assert picture.threats == ["surveillance"]
    assert picture.sources == ["armed_group"]
    assert picture.incidents == INCIDENT
    assert picture.at_risk == ["family"]
    assert picture.inform_authorities is True


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_the_risk_questions_open_with_an_error_in_them_in_each_language(portal, lang):
    page = portal.new_page(viewport=PHONE)
    page.goto(portal.url("/request", lang))
    section = page.locator("details#section-risk")
    section.locator("summary").click()
    page.locator('textarea[name="incidents"]').fill("x" * 2001)
    portal.send_request(page)  # htmx: the form comes back with its errors
    portal.wait_for_htmx(page)

    expect(section).to_have_attribute("open", "")
    expect(section.locator("#incidents-error")).to_be_visible()
    expect(page.locator('textarea[name="incidents"]')).to_have_value("x" * 2001)
    assert axe_problems(page, f"the form's errors in {lang}") == []
