"""The audit trail in Chromium, at 360 px and 1280 px, with JavaScript on and off: events
read as sentences, page views and sign-ins are a category of their own, the filtered
events download as a CSV file; axe finds nothing serious in three languages."""

import csv
import io

import pytest
from playwright.sync_api import expect

from portal import audit
from portal.models import User

from axe_checks import axe_problems
from portal_testing import PASSWORD_ALONE, create_staff_account
from staff_pages import PASSWORD, PHONE, WIDE, no_sideways_scrolling, submit_password

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

ADMIN = "admin@network.test"
# A long address, to show that a sentence wraps rather than widening the page.
REVIEWER = "a.reviewer.with.a.rather.long.address@protection-network.example.org"


@pytest.fixture
def trail(live_app):
    """An administrator, and a reviewer who approved a request and opened another."""
    with live_app.app_context():
        create_staff_account(ADMIN, "admin", PASSWORD)
        reviewer = create_staff_account(REVIEWER, "reviewer", PASSWORD)
        audit.record("request.viewed", user=reviewer, reference="AR-2026-0007")
        audit.record(
            "request.transition", user=reviewer, reference="AR-2026-0042", detail="action=approve"
        )
        return User.get(User.email == ADMIN)


def admin_page(portal, viewport, javascript, lang=None):
    page = portal.new_page(viewport=viewport, java_script_enabled=javascript)
    page.goto(portal.url("/staff/sign-in", lang))
    submit_password(page, ADMIN, PASSWORD)
    page.goto(portal.url("/admin/audit"))
    return page


@pytest.mark.parametrize(
    ("viewport", "javascript"),
    [(PHONE, True), (PHONE, False), (WIDE, True)],
    ids=["360-js", "360-no-js", "1280-js"],
)
def test_the_trail_reads_as_sentences_by_category_and_downloads(
    portal, trail, viewport, javascript
):
    page = admin_page(portal, viewport, javascript)
    rows = page.locator("#audit-results tbody tr")

    # Actions by default: the approval, not the page view or the sign-in.
    expect(rows.first).to_contain_text(f"{REVIEWER} approved AR-2026-0042")
    expect(page.locator("#audit-results")).not_to_contain_text("opened the request")
    no_sideways_scrolling(page, f"audit trail {viewport['width']}px")

    page.locator("select[name=category]").select_option("page_views")
    with page.expect_response(lambda r: "/admin/audit?" in r.url):
        page.locator("form.filters button[type=submit]").click()
    expect(rows.last).to_contain_text(f"{REVIEWER} opened the request AR-2026-0007")
    expect(page.locator("#audit-results")).not_to_contain_text("approved")
    assert "category=page_views" in page.url  # the address keeps the filter

    with page.expect_download() as downloading:
        page.locator("#audit-results a[download]").click()
    body = downloading.value.path().read_text(encoding="utf-8-sig")
    header, *lines = list(csv.reader(io.StringIO(body, newline="")))
    assert header[:4] == ["time_utc", "category", "action", "sentence"]
    assert {line[2] for line in lines} == {"request.viewed", "audit.viewed"}


def test_the_trail_has_no_serious_accessibility_problem_in_three_languages(portal, trail):
    page = admin_page(portal, PHONE, True)
    problems = []
    for lang in ("en", "fr", "es"):
        page.goto(portal.url("/admin/audit?category=all", lang))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("#audit-results tbody tr").first).to_be_visible()
        problems += axe_problems(page, f"audit trail {lang}")
    assert problems == []
