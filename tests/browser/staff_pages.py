"""What a staff member does in the browser, shared by the staff browser tests."""

import datetime

from portal import intake
from portal.models import Offer, Organization, Request

from portal_testing import STAFF_PASSWORD as PASSWORD

# What a member says when accepting an offer: how and roughly when they make contact.
CONTACT_PLAN = "By phone within two days, from the number of our local office."

CHANGED = (
    "This request was changed by someone else while you were looking at it. "
    "Reload the page and decide again."
)


PHONE = {"width": 360, "height": 740}
WIDE = {"width": 1280, "height": 800}


def no_sideways_scrolling(page, where):
    """The page is no wider than the window: nothing to scroll sideways."""
    sizes = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["scroll"] <= sizes["inner"], f"{where}: {sizes['scroll']}px wide at {sizes}"


def submit_password(page, email, password=PASSWORD):
    form = page.locator('form[action$="/staff/sign-in"]')
    form.locator('input[name="email"]').fill(email)
    form.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def signed_in(portal, email, javascript=True):
    """A new page where `email` signed in with the password alone."""
    page = portal.new_page(java_script_enabled=javascript)
    page.goto(portal.url("/staff/sign-in"))
    submit_password(page, email)
    return page


def act(page, action, confirm=True):
    """Click an action's button on the request page, its tick box ticked first (`confirm`)
    if it has one; the answer to the post."""
    box = page.locator(f"#confirm-{action}")
    if confirm and box.count():
        box.check()
    with page.expect_response(
        lambda r: r.url.endswith("/act") and r.request.method == "POST"
    ) as posted:
        page.locator(f"form.action-{action} button[type=submit]").click()
    return posted.value


def ask_for_information(page, question):
    """Write to the requester from the request page, ticked as a question; the answer."""
    page.locator("#message-body").fill(question)
    page.locator("#message-ask").check()
    with page.expect_response(
        lambda r: r.url.endswith("/message") and r.request.method == "POST"
    ) as posted:
        page.locator("#message-form button[type=submit]").click()
    return posted.value


def accept_offer(page, contact_plan=CONTACT_PLAN, confirm=True):
    """On an open offer's page: say how and roughly when the organization will make contact
    (left empty if `contact_plan` is empty), tick the confirmation (unless `confirm` is
    false) and press the accept button; waits for the page that answers (the accepted
    offer, or the form again with an error)."""
    form = page.locator('form[action$="/accept"]')
    form.locator('textarea[name="accept-contact_plan"]').fill(contact_plan)
    form.locator("#accept-confirm").set_checked(confirm)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def offer_handle(app, reference, organization_key):
    """The handle of the offer of request `reference` to one organization: what its members
    see and open, never the reference."""
    with app.app_context():
        return (
            Offer.select(Offer.handle)
            .join(Request)
            .switch(Offer)
            .join(Organization)
            .where((Request.reference == reference) & (Organization.key == organization_key))
            .get()
            .handle
        )


def stored_emergency(app, **overrides):
    """An emergency stored through intake.submit (quicker than the form), in Spanish."""
    fields = {
        "service": "accompaniment",
        "requester_kind": "community",
        "name": "Comunidad La Esperanza",
        "organization": "Red de Defensoras del Cauca",
        "country": "CO",
        "place": "Cauca",
        "situation": "Threats against community leaders since March.",
        "asked_for": "Accompaniment during the land restitution hearings.",
        "urgency": "emergency",
        "start_date": datetime.date.today() + datetime.timedelta(days=7),
        "end_date": None,
        "people_count": 12,
        "languages": ["es"],
        "other_languages": "Nasa Yuwe",
        "contact_channel": "signal",
        "contact_detail": "@esperanza.77",
        "contact_safe": False,
    }
    fields.update(overrides)
    with app.app_context():
        return intake.submit(fields, "es").request
