"""The tracking page on a 360 px phone without JavaScript: a message sent empty shows the
error summary on the first screen, and a long state wraps inside its pill instead of
running off the screen, in French and Spanish (issue 11)."""

import pytest
from playwright.sync_api import expect

from portal import intake, review, vocabulary, workflow
from portal.models import Request, User

from portal_testing import PASSWORD_ALONE, create_staff_account, request_fields
from staff_pages import no_sideways_scrolling

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

PHONE = {"width": 360, "height": 640}


@pytest.fixture
def offered_code(live_app):
    """A request offered to organizations (the longest state in French); its code."""
    with live_app.app_context():
        code = intake.submit(request_fields(), "fr").code
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        request = Request.get()
        for action in ("start_review", "approve"):
            review.act(request, reviewer, action, confirmed=True, expected_version=request.version)
        workflow.transition(request, vocabulary.OFFERED, "staff", user=User.get())
        return code


def test_errors_first_and_the_state_within_the_screen(portal, offered_code):
    page = portal.new_page(viewport=PHONE, java_script_enabled=False)
    portal.open_tracking(page, offered_code)
    for lang in ("fr", "es"):
        page.goto(portal.url("/track", lang))
        expect(page.locator(".status-card .state")).to_be_visible()
        no_sideways_scrolling(page, f"tracking page {lang}")

        with page.expect_navigation():
            page.locator("#message-form button[type=submit]").click()
        summary = page.locator("#error-summary")
        expect(summary).to_be_visible()
        box = summary.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"], f"{lang}: summary ends at {box}"
        summary.locator("a[href='#body']").click()
        expect(page.locator("#body")).to_be_focused()
