"""The organization's inbox in Chromium, at 360 px and 1280 px, with JavaScript on and off:
on a phone each offer is a card whose handle, urgency, place and arrival are on the first
screen, with nothing to scroll sideways; the history says in words what happened; axe on the
inbox in three languages.
"""

import pytest
from playwright.sync_api import expect

from portal import offers
from portal.models import User

from axe_checks import axe_problems
from portal_testing import PASSWORD_ALONE, add_organization, approved_request, create_staff_account
from staff_pages import PASSWORD, PHONE, WIDE, no_sideways_scrolling, submit_password

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

LANGUAGES = ("en", "fr", "es")
MEMBER = "member@brigadas.test"
# Long and unbroken, as a requester may type it: it must wrap inside the card.
PLACE = "Santander de Quilichao, vereda La Esperanza-ArribaDelRíoPalo"
SUMMARY = "A community leader threatened; accompaniment to court hearings is asked."


@pytest.fixture
def inbox(live_app):
    """A member of Brigadas; an emergency and an urgent request waiting for its answer, one it
    works on, one it declined. The handle of the emergency's offer."""
    with live_app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer", PASSWORD)
        brigadas = add_organization("brigadas", name="Brigadas del Macizo")
        member = create_staff_account(MEMBER, "org_member", PASSWORD, organization=brigadas)

        def offered(**fields):
            request = approved_request(reviewer, **fields)
            return offers.offer(
                request, [brigadas], reviewer, expected_version=request.version, summary=SUMMARY
            )[0]

        offers.decline(offered(), member, "No one free that week.")
        offers.accept(offered(), member, "By phone within two days.")
        offered(urgency="urgent")
        return offered(urgency="emergency", place=PLACE).handle


def member_page(portal, viewport, javascript=True):
    page = portal.new_page(viewport=viewport, java_script_enabled=javascript)
    page.goto(portal.url("/staff/sign-in"))
    submit_password(page, MEMBER, PASSWORD)
    expect(page).to_have_url(portal.url("/org/"))
    return page


@pytest.mark.parametrize(
    ("viewport", "javascript"),
    [(PHONE, True), (PHONE, False), (WIDE, True)],
    ids=["360-js", "360-no-js", "1280-js"],
)
def test_the_first_offer_shows_its_urgency_and_place_at_a_glance(
    portal, inbox, viewport, javascript
):
    page = member_page(portal, viewport, javascript)
    waiting = page.locator("section[aria-labelledby=waiting-heading] tbody tr")
    expect(waiting).to_have_count(2)
    first = waiting.first
    expect(first.locator("a.handle")).to_have_text(inbox)  # the emergency first
    expect(first.locator(".inbox-urgency")).to_contain_text("Emergency")
    expect(first.locator(".inbox-place")).to_have_text(PLACE)
    expect(first.locator("td[data-label='Offered on (UTC)'] time")).to_be_visible()
    history = page.locator("section#history tbody tr")
    expect(history).to_have_count(1)
    expect(history.locator(".inbox-outcome")).to_contain_text("Declined by your organization on")
    no_sideways_scrolling(page, f"inbox at {viewport['width']} px")

    table = page.locator("section[aria-labelledby=waiting-heading] table")
    if viewport == PHONE:
        # A card: the headings are for screen readers; what matters is on the first screen.
        assert table.locator("thead").bounding_box()["width"] <= 1
        for cell in ("a.handle", ".inbox-urgency", ".inbox-place"):
            expect(first.locator(cell)).to_be_in_viewport()
            box = first.locator(cell).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (cell, box)
        assert first.locator("a.handle").bounding_box()["height"] >= 44  # a finger's size
    else:
        expect(table.locator("thead")).to_be_visible()
        expect(table.locator("thead th")).to_have_count(9)


def test_the_inbox_passes_axe_in_three_languages_at_both_widths(portal, live_app, inbox):
    page = member_page(portal, WIDE)
    problems = []
    for lang in LANGUAGES:
        with live_app.app_context():  # as the language switcher would have saved it
            User.update(locale=lang).where(User.email == MEMBER).execute()
        page.set_viewport_size(WIDE)
        page.goto(portal.url("/org/"))
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems += axe_problems(page, f"inbox ({lang}, 1280 px)")
        page.set_viewport_size(PHONE)
        problems += axe_problems(page, f"inbox ({lang}, 360 px)")
    assert problems == [], "\n".join(problems)
