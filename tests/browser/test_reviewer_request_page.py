"""The reviewer's request page under pressure, in a real browser at 360 and 1280 px, with
and without JavaScript: the request comes before any action, offering is done from a
compact table whose whole row ticks, an error is reached from the summary's link,
irreversible actions need their tick, and switching language loses no word typed.
"""

import pytest
from playwright.sync_api import expect

from portal import review
from portal.models import Request, User

from axe_checks import axe_problems
from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, add_organization, create_staff_account
from staff_pages import act, ask_for_information, signed_in, stored_emergency

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
REVIEWER = "reviewer@network.test"
QUESTION = "¿Desde cuándo? Which town exactly — and who else is at risk?"


def reviewer_on(portal, app, state, javascript=True, viewport=DESKTOP):
    """A signed-in reviewer's page on a stored emergency moved to `state`, and its reference."""
    with app.app_context():
        add_organization("andes", name="Acompañamiento Andino")
        add_organization(
            "mexico", name="Brigadas del Norte", countries="MX,GT", languages="en", capacity=1
        )
        add_organization("kenya", name="Kenya Watch", countries="KE", regions="africa")
        reviewer = create_staff_account(REVIEWER, "reviewer")
    request = stored_emergency(app)
    with app.app_context():
        request = Request.get_by_id(request.id)
        for action in {"in_review": ["start_review"], "approved": ["start_review", "approve"]}[
            state
        ]:
            review.act(request, reviewer, action, confirmed=True, expected_version=request.version)
    page = signed_in(portal, REVIEWER, javascript=javascript)
    page.set_viewport_size(viewport)
    page.goto(portal.url(f"/review/{request.reference}"))
    return page, request.reference


def top(page, selector):
    return page.locator(selector).bounding_box()["y"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_reviewer_reads_the_request_before_any_action(portal, live_app, viewport):
    page, _ = reviewer_on(portal, live_app, "in_review", viewport=viewport)
    request_at, decide_at = top(page, "#details-heading"), top(page, "#actions-heading")
    if viewport is PHONE:
        # The request, then the latest messages, then the decisions.
        assert request_at < top(page, "#messages-heading") < decide_at
    else:
        # Side by side: the request in the first screen, the decisions beside it.
        assert request_at < DESKTOP["height"] and decide_at < DESKTOP["height"]
        details = page.locator("#details-heading").bounding_box()
        actions = page.locator("#actions-heading").bounding_box()
        assert actions["x"] > details["x"] + details["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_reviewer_offers_from_the_table_and_fixes_an_error_from_the_summary(
    portal, live_app, javascript
):
    page, reference = reviewer_on(
        portal, live_app, "approved", javascript=javascript, viewport=PHONE
    )
    rows = page.locator(".match-table tbody tr")
    expect(rows).to_have_count(3)
    # The best match first, said in a few words; "elsewhere" says where.
    expect(rows.nth(0)).to_contain_text("Acompañamiento Andino")
    expect(rows.nth(0)).to_contain_text("Same country")
    expect(page.locator(".match-table")).to_contain_text("Elsewhere: Guatemala, Mexico")
    # A tap on the row's capacity (not on the box) ticks it.
    rows.nth(0).locator(".match-capacity label").click()
    expect(rows.nth(0).locator("input[type=checkbox]")).to_be_checked()

    with page.expect_navigation():
        page.locator("#offer-form button[type=submit]").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(rows.nth(0).locator("input[type=checkbox]")).to_be_checked()  # kept
    summary.locator("a[href='#summary']").click()
    expect(page.locator("#summary")).to_be_focused()
    page.locator("#summary").fill("Threatened leaders; accompaniment to the hearings.")
    with page.expect_navigation():
        page.locator("#offer-form button[type=submit]").click()
    expect(page.locator(".status-card .badge")).to_have_text("Offered to organizations")
    with live_app.app_context():
        assert review.find(reference).state == "offered"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_approving_needs_its_tick_and_says_who_is_told(portal, live_app, javascript):
    page, reference = reviewer_on(portal, live_app, "in_review", javascript=javascript)
    box = page.locator("#confirm-approve")
    expect(page.locator("label[for=confirm-approve]")).to_contain_text("The requester reads")
    assert act(page, "approve", confirm=False).status == 422
    expect(page.locator("#confirm-approve-error")).to_be_visible()
    with live_app.app_context():
        assert review.find(reference).state == "in_review"
    assert act(page, "approve").status == 303
    expect(box).to_have_count(0)
    with live_app.app_context():
        assert review.find(reference).state == "approved"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_one_place_writes_to_the_requester_and_asks(portal, live_app, javascript):
    page, reference = reviewer_on(portal, live_app, "in_review", javascript=javascript)
    expect(page.locator("form.action-ask_info")).to_have_count(0)
    assert ask_for_information(page, QUESTION).status == 303
    expect(page.locator("#messages .message-staff")).to_contain_text(QUESTION)
    with live_app.app_context():
        assert review.find(reference).state == "needs_info"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_switching_language_keeps_the_words_being_written(portal, live_app, javascript):
    page, _ = reviewer_on(portal, live_app, "in_review", javascript=javascript, viewport=PHONE)
    page.locator("#message-body").fill(QUESTION)
    with page.expect_navigation():
        page.locator("#lang-switcher button[lang=fr]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#message-body")).to_have_value(QUESTION)
    if javascript:
        # The form last typed in goes along, whichever it is.
        page.locator("#note-body").fill("Vérifier avec le bureau du Cauca.")
        with page.expect_navigation():
            page.locator("#lang-switcher button[lang=es]").click()
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.locator("#note-body")).to_have_value("Vérifier avec le bureau du Cauca.")


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_request_page_has_no_serious_accessibility_problem(portal, live_app, lang):
    page, reference = reviewer_on(portal, live_app, "approved")
    with live_app.app_context():
        User.update(locale=lang).where(User.email == REVIEWER).execute()
    problems = []
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto(portal.url(f"/review/{reference}"))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems += axe_problems(page, f"approved request {viewport['width']}px {lang}")
        page.locator("#offer-form button[type=submit]").click()
        expect(page.locator(".error-summary")).to_be_visible()
        problems += axe_problems(page, f"refused offer {viewport['width']}px {lang}")
    assert problems == []
