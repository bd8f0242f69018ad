"""Giving a colleague access to the network's key, in a real browser, with JavaScript on and
off, on a 360 px phone: a reviewer created after the first one signs in, reads that they do
not hold the key and that a note and the requester's details are sealed; the first reviewer
finds them waiting, forgets the tick (and is told), then gives access; the newcomer's next
page reads the note and the details. Neither page scrolls sideways, and axe finds nothing
serious on the access page or the sealed request page (JavaScript on).
"""

import pytest
from playwright.sync_api import expect

from portal import accounts, intake, review
from portal.models import User

from axe_checks import axe_problems
from portal_testing import PASSWORD_ALONE, STAFF_PASSWORD, request_fields
from staff_pages import PHONE, no_sideways_scrolling, signed_in

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

FIRST, LATER = "first@network.test", "later@network.test"
NOTE = "The Cauca desk knows this community: call before Friday."
NAME = "Comunidad Nasa de Tacueyó"


def click_and_wait(page, button):
    with page.expect_navigation():
        button.click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_reviewer_gives_a_newcomer_access_and_the_newcomer_reads_the_notes(
    portal, live_app, javascript
):
    with live_app.app_context():
        accounts.create_user(FIRST, "reviewer", STAFF_PASSWORD)
    first = signed_in(portal, FIRST, javascript)  # the first reviewer takes the network's key
    first.set_viewport_size(PHONE)
    with live_app.app_context():
        accounts.create_user(LATER, "reviewer", STAFF_PASSWORD)
        request = intake.submit(request_fields(name=NAME), "en").request
        review.add_note(request, User.by_email(FIRST), NOTE)
        reference = request.reference

    later = signed_in(portal, LATER, javascript)
    later.set_viewport_size(PHONE)
    expect(later.locator("main")).to_contain_text("You do not hold your group's key yet")
    later.goto(portal.url(f"/review/{reference}"))
    expect(later.locator("#notes-locked")).to_contain_text(
        "1 note is sealed to the network's key, which you do not hold yet."
    )
    expect(later.locator("main")).not_to_contain_text(NOTE)
    # The requester's details too: each marked sealed, never a failing page.
    expect(later.locator("main")).not_to_contain_text(NAME)
    expect(later.locator("#details-heading + div .sealed-value").first).to_have_text(
        "Sealed: not readable with the keys you hold"
    )
    no_sideways_scrolling(later, "request page with sealed details")
    if javascript:
        assert axe_problems(later, "request page with sealed details") == []
    click_and_wait(later, later.locator("#notes-locked a"))
    expect(later.locator("#no-key")).to_contain_text("You do not hold the network's key yet.")
    no_sideways_scrolling(later, "access page without the key")

    first.goto(portal.url("/staff/"))
    click_and_wait(
        first, first.get_by_role("link", name="1 colleague waits for access to the keys.")
    )
    row = first.locator(".grant").filter(has_text=LATER)
    click_and_wait(first, row.get_by_role("button", name="Give access"))
    row = first.locator(".grant").filter(has_text=LATER)
    expect(row.locator(".error-message")).to_contain_text("Tick this box to confirm.")
    no_sideways_scrolling(first, "access page with an error")
    if javascript:
        assert axe_problems(first, "access page with an error") == []
    row.locator("input[type=checkbox]").check()
    click_and_wait(first, row.get_by_role("button", name="Give access"))
    expect(first.locator(".notice-success[role=status]")).to_contain_text("Access given.")
    expect(first.locator("main")).to_contain_text("Every colleague you can give access to has it.")

    later.goto(portal.url(f"/review/{reference}"))
    expect(later.locator("#notes")).to_contain_text(NOTE)
    expect(later.locator("main")).to_contain_text(NAME)
    expect(later.locator(".sealed-value")).to_have_count(0)
    later.goto(portal.url("/staff/keys/"))
    expect(later.locator("main")).to_contain_text("You hold the network's key.")
    if javascript:
        assert axe_problems(later, "access page with the key") == []
