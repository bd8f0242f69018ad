"""The offer in a real browser: a reviewer offers a request to two organizations,
one declines, the other accepts and reports, and the requester sees it.

With JavaScript and without: every step is a plain form, htmx only helps.
"""

import re

import pytest
from playwright.sync_api import expect

from portal.models import Request

from portal_testing import PASSWORD_ALONE, add_organization, create_staff_account
from staff_pages import accept_offer, offer_handle, signed_in

SUMMARY = "Community leaders threatened since March; accompaniment to land hearings asked."
DECLINE_REASON = "Our two teams are in Putumayo until June: no one free for Cauca."
UPDATE = "First visit done with two volunteers; next one on Friday."
CONTACT_PLAN = "We will call on Tuesday from the office line in Popayán."
REVIEWER = "reviewer@network.test"
ANDES = "member@andes.test"
PACIFICO = "member@pacifico.test"


# This story is about offers: staff sign in with a password alone here
# (two-step sign-in has its own browser tests).
pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def organizations_and_staff(app):
    with app.app_context():
        andes = add_organization(
            "andes",
            name="Acompañamiento Andino",
            regions="latin_america_caribbean",
            languages="es,en",
            capacity=4,
        )
        pacifico = add_organization(
            "pacifico",
            name="Brigadas del Pacífico",
            services="accompaniment,monitoring",
            countries="CO,EC",
            regions="latin_america_caribbean",
            capacity=2,
        )
        create_staff_account(REVIEWER, "reviewer")
        create_staff_account(ANDES, "org_member", organization=andes)
        create_staff_account(PACIFICO, "org_member", organization=pacifico)


def click_and_wait(page, button):
    with page.expect_navigation():
        button.click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_one_organization_declines_the_other_accepts_and_the_requester_sees_it(
    portal, live_app, javascript
):
    organizations_and_staff(live_app)

    # The requester asks, through the real form.
    requester = portal.new_page(java_script_enabled=javascript)
    requester.goto(portal.url("/request"))
    portal.fill_request_form(requester, portal.valid_values(country="CO"))
    portal.send_request(requester, javascript)
    code = portal.tracking_code(requester)
    portal.keep_code(requester, code)
    with live_app.app_context():
        reference = Request.get().reference

    # The reviewer reviews, approves and offers it to both organizations.
    reviewer = signed_in(portal, REVIEWER, javascript)
    expect(reviewer).to_have_url(portal.url("/review/"))
    reviewer.goto(portal.url(f"/review/{reference}"))
    for action in ("start_review", "approve"):
        form = reviewer.locator(f"form.action-{action}")
        if action == "approve":
            form.locator("#confirm-approve").check()
        click_and_wait(reviewer, form.locator("button[type=submit]"))
    offer_form = reviewer.locator('form[action$="/offer"]')
    expect(offer_form.locator("input[name=organizations]")).to_have_count(2)
    # Nothing ticked and no summary: both errors by their fields and in the summary.
    click_and_wait(reviewer, offer_form.locator("button[type=submit]"))
    expect(reviewer.locator(".error-summary a")).to_have_count(2)
    expect(reviewer.locator("#organizations-error")).to_be_visible()
    expect(reviewer.locator("#summary-error")).to_be_visible()
    offer_form = reviewer.locator('form[action$="/offer"]')
    offer_form.locator("input[value=andes]").check()
    offer_form.locator("input[value=pacifico]").check()
    offer_form.locator("textarea[name=summary]").fill(SUMMARY)
    click_and_wait(reviewer, offer_form.locator("button[type=submit]"))
    expect(reviewer.locator(".status-card .badge")).to_have_text("Offered to organizations")
    expect(reviewer.locator("#offers li")).to_have_count(2)
    # Members know each offer by its handle, which the reviewer reads beside the organization.
    handles = {key: offer_handle(live_app, reference, key) for key in ("andes", "pacifico")}
    for handle in handles.values():
        expect(reviewer.locator("#offers")).to_contain_text(f"Offer {handle}")

    # Brigadas del Pacífico reads only what it needs to decide, and declines.
    pacifico = signed_in(portal, PACIFICO, javascript)
    expect(pacifico).to_have_url(portal.url("/org/"))
    expect(pacifico.locator("body")).not_to_contain_text(reference)
    pacifico.locator(f"#waiting-heading ~ div a:text('{handles['pacifico']}')").click()
    expect(pacifico).to_have_url(portal.url(f"/org/offers/{handles['pacifico']}"))
    expect(pacifico).to_have_title(re.compile(f"^Offer {handles['pacifico']} · "))
    expect(pacifico.locator("h1")).to_have_text(f"Offer {handles['pacifico']}")
    expect(pacifico.locator("body")).not_to_contain_text(reference)
    expect(pacifico.locator("main")).to_contain_text(SUMMARY)
    expect(pacifico.locator("main")).to_contain_text("Cauca")
    for secret in ("Comunidad La Esperanza", "@esperanza.77", "Threats against community"):
        expect(pacifico.locator("main")).not_to_contain_text(secret)
    pacifico_offer = pacifico.url
    decline = pacifico.locator('form[action$="/decline"]')
    click_and_wait(pacifico, decline.locator("button[type=submit]"))
    expect(pacifico.locator("#decline-reason-error")).to_have_text(
        "Please say why your organization cannot take it."
    )
    pacifico.locator("textarea[name=decline-reason]").fill(DECLINE_REASON)
    click_and_wait(pacifico, pacifico.locator('form[action$="/decline"] button[type=submit]'))
    expect(pacifico).to_have_url(portal.url("/org/"))
    expect(pacifico.locator(".notice-success")).to_contain_text("You declined the offer.")
    expect(pacifico.locator("section[aria-labelledby=waiting-heading]")).not_to_contain_text(
        handles["pacifico"]
    )
    expect(pacifico.locator("#history tbody tr", has_text=handles["pacifico"])).to_contain_text(
        "Declined by your organization on"
    )

    # Acompañamiento Andino accepts, saying how and when it will make contact (without
    # that, nothing is accepted): now it reads who asked and how to reach them.
    andes = signed_in(portal, ANDES, javascript)
    andes.locator(f"a:text('{handles['andes']}')").click()
    expect(andes.locator("#contact-heading")).to_have_count(0)
    accept_offer(andes, "")
    expect(andes.locator("#accept-contact_plan-error")).to_have_text(
        "Please say how and roughly when you will make contact."
    )
    expect(andes.locator("#contact-heading")).to_have_count(0)
    expect(andes.locator(".notice-success")).to_have_count(0)
    accept_offer(andes, CONTACT_PLAN)
    expect(andes.locator(".notice-success")).to_contain_text("has taken on this request")
    contact = andes.locator("section[aria-labelledby=contact-heading]")
    expect(contact).to_contain_text("Comunidad La Esperanza")
    expect(contact).to_contain_text("@esperanza.77")
    expect(contact).to_contain_text("Not safe to contact there")
    expect(contact).to_contain_text(CONTACT_PLAN)
    phrase = contact.locator("p.phrase").inner_text().strip()
    assert len(re.findall(r"\w+", phrase)) == 3, f"not a three-word phrase: {phrase!r}"
    expect(andes.locator("#thread-heading")).to_have_text("Messages with the requester")
    # Marking it under way needs a tick that says who will see it; without it, nothing moves
    # and the error summary leads to the box.
    start = andes.locator('form[action$="/start"] button[type=submit]')
    click_and_wait(andes, start)
    expect(andes.locator(".status-card .badge")).to_have_text("Accepted by an organization")
    andes.locator("#error-summary a[href='#confirm']").click()
    expect(andes.locator("#confirm")).to_be_focused()
    andes.keyboard.press("Space")
    andes.get_by_label("Every 2 days").check()
    click_and_wait(andes, start)
    expect(andes.locator(".status-card .badge")).to_have_text("Active")
    andes.locator("textarea[name=update-body]").fill(UPDATE)
    click_and_wait(andes, andes.locator('form[action$="/update"] button[type=submit]'))
    expect(andes.locator("#progress")).to_contain_text(UPDATE)

    # Pacífico's old link now says only that it declined, and nothing of the request.
    pacifico.goto(pacifico_offer)
    expect(pacifico.locator("main .notice")).to_contain_text("Your organization declined")
    expect(pacifico.locator("main")).not_to_contain_text("Comunidad La Esperanza")
    expect(pacifico.locator("main")).not_to_contain_text(SUMMARY)

    # The requester sees the acceptance, the organization's name, and the work under way;
    # who will contact them, how, and the phrase they will say.
    tracker = portal.new_page(java_script_enabled=javascript)
    portal.open_tracking(tracker, code)
    expect(tracker.locator(".status-card")).to_contain_text("Under way")
    who = tracker.locator(".status-card .who-will-come")
    expect(who.locator("h3")).to_have_text("Who will contact you")
    expect(who).to_contain_text("Acompañamiento Andino")
    expect(who).not_to_contain_text("Brigadas del Pacífico")
    expect(who).to_contain_text(CONTACT_PLAN)
    expect(who.locator("p.phrase")).to_have_text(phrase)
    timeline = tracker.locator(".timeline")
    expect(timeline).to_contain_text("Acompañamiento Andino")
    expect(timeline).not_to_contain_text("Brigadas del Pacífico")
    for internal in (DECLINE_REASON, UPDATE, SUMMARY, ANDES):
        expect(tracker.locator("body")).not_to_contain_text(internal)

    # The reviewer sees who declined and why, who accepted, and the update.
    reviewer.reload()
    offers = reviewer.locator("#offers")
    expect(offers).to_contain_text(DECLINE_REASON)
    expect(offers.locator("li", has_text="Acompañamiento Andino")).to_contain_text("Accepted")
    expect(offers.locator("li", has_text="Brigadas del Pacífico")).to_contain_text("Declined")
    expect(reviewer.locator("#progress")).to_contain_text(UPDATE)
    accepted = reviewer.locator(".timeline li", has_text="Accepted by an organization")
    expect(accepted).to_contain_text("Acompañamiento Andino")
    expect(accepted).to_contain_text(ANDES)
    expect(reviewer.locator(".status-card .badge")).to_have_text(re.compile("Active"))
