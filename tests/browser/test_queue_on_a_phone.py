"""The review queue in Chromium, at 360 px and 1280 px, with JavaScript on and off: on a
phone the first request's card is on the first screen, the states and filters folded
away in a disclosure that says how many filters are in use and still filters without
JavaScript; on a wide screen the filters are shown and the requests are a table; axe on
the queue in three languages.
"""

import re

import pytest
from playwright.sync_api import expect

from axe_checks import axe_problems
from portal_testing import PASSWORD_ALONE, create_staff_account
from portal_testing.review import new_request
from staff_pages import PASSWORD, PHONE, WIDE, no_sideways_scrolling, submit_password

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

LANGUAGES = ("en", "fr", "es")
REVIEWER = "reviewer@network.test"


@pytest.fixture
def queue(live_app):
    """A reviewer, and three requests: an overdue emergency (first in the queue), an urgent
    one and a planned one in Senegal. The emergency's reference."""
    with live_app.app_context():
        create_staff_account(REVIEWER, "reviewer", PASSWORD)
    emergency = new_request(live_app, days_old=2, urgency="emergency")  # 24 hours to look
    new_request(live_app, urgency="urgent")
    new_request(live_app, urgency="planned", country="SN")
    return emergency


def queue_page(portal, viewport, javascript=True, lang=None):
    """A reviewer signed in with the password alone, landing on the queue."""
    page = portal.new_page(viewport=viewport, java_script_enabled=javascript)
    page.goto(portal.url("/staff/sign-in", lang))
    submit_password(page, REVIEWER, PASSWORD)
    expect(page).to_have_url(portal.url("/review/"))
    return page


@pytest.mark.parametrize(
    ("viewport", "javascript"),
    [(PHONE, True), (PHONE, False), (WIDE, True)],
    ids=["360-js", "360-no-js", "1280-js"],
)
def test_the_first_request_comes_first_and_the_filters_still_filter(
    portal, queue, viewport, javascript
):
    page = queue_page(portal, viewport, javascript)
    filters = page.locator("details.queue-filters")
    summary = filters.locator("summary")
    form = page.locator("form.filters")
    rows = page.locator("#queue-results tbody tr")
    expect(rows).to_have_count(3)
    first = rows.first
    expect(first.locator("a.reference")).to_have_text(queue)
    # The urgent warning is never folded away with the filters.
    overdue = page.locator(".queue-overdue a")
    expect(overdue).to_have_text("1 request is past its response time.")
    assert page.locator("details.queue-filters .queue-overdue").count() == 0
    no_sideways_scrolling(page, f"queue at {viewport['width']} px")

    on_a_phone = viewport == PHONE
    if on_a_phone:
        # Folded, saying that no filter is in use; the first card whole on the first screen.
        expect(form).to_be_hidden()
        expect(summary).to_have_text("Filters and states (none in use)")
        box = first.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], f"first card ends at {box}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert page.locator("#queue-results thead").bounding_box()["width"] <= 1
        for label in ("Emergency", "Submitted", "Overdue by", "Colombia"):
            expect(first).to_contain_text(label)
        # An overdue emergency's card is framed, not only coloured words.
        assert first.evaluate("row => getComputedStyle(row).borderInlineStartWidth") == "6px"

        # Open the disclosure from the keyboard, then filter by urgency.
        summary.focus()
        page.keyboard.press("Enter")
        expect(filters).to_have_attribute("open", "")
        expect(form).to_be_visible()
        no_sideways_scrolling(page, "open filters at 360 px")
    else:
        # Shown without a click; the summary is not needed; a table with its headings.
        expect(form).to_be_visible()
        expect(summary).to_be_hidden()
        expect(page.locator("#queue-results thead th")).to_have_count(9)

    form.locator('select[name="urgency"]').select_option("emergency")
    if not javascript:
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/review/\?(.*&)?urgency=emergency(&|$)"))
    expect(rows).to_have_count(1)
    expect(rows.first.locator("a.reference")).to_have_text(queue)
    expect(page.locator(".filters-in-use")).to_have_text("(1 in use)")
    if on_a_phone and not javascript:
        # A new page: folded again, the result first.
        expect(form).to_be_hidden()


def test_the_queue_passes_axe_in_three_languages_with_the_first_card_in_view(portal, queue):
    page = queue_page(portal, WIDE)
    problems = []
    for lang in LANGUAGES:
        page.set_viewport_size(WIDE)
        page.goto(portal.url("/review/", lang))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems += axe_problems(page, f"queue ({lang}, 1280 px)")
        page.set_viewport_size(PHONE)
        card = page.locator("#queue-results tbody tr").first.bounding_box()
        if card["y"] + card["height"] > PHONE["height"]:
            problems.append(f"queue ({lang}, 360 px): the first card ends at {card}")
        problems += axe_problems(page, f"queue, filters folded ({lang}, 360 px)")
        page.locator("details.queue-filters summary").click()
        expect(page.locator("form.filters")).to_be_visible()
        problems += axe_problems(page, f"queue, filters open ({lang}, 360 px)")
    assert problems == [], "\n".join(problems)
