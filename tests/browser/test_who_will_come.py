"""Knowing who will come, in a real browser: when an organization accepts, the requester's
tracking page names it, says how and when it will make contact, and gives a three-word
verification phrase that only the requester and that organization see. Then the two write
to each other through the portal, network staff read along, and the organization never
reads the requester's messages with network staff.
"""

import email
import email.policy
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal import intake, notices, offers, phrases, review
from portal.models import Offer, Organization, Request, User

from axe_checks import axe_problems
from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    add_organization,
    create_staff_account,
    request_fields,
)
from portal_testing.keys import as_escrow
from staff_pages import signed_in

# Staff sign in with a password alone here (two-step sign-in has its own browser tests).
pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

DESKTOP = {"width": 1280, "height": 800}

REVIEWER = "reviewer@network.test"
ANDES = "member@andes.test"
PACIFICO = "member@pacifico.test"
ANDES_NAME = "Acompañamiento Andino"
PACIFICO_NAME = "Brigadas del Pacífico"
# The requester reads the description in their own language, not the English one.
ANDES_ES = "Acompañamos a comunidades rurales del suroccidente desde 2009."
ANDES_EN = "We have accompanied rural communities in the south-west since 2009."
SUMMARY = "Community leaders threatened since March; accompaniment to land hearings asked."
PLAN = "Por teléfono en dos días, desde el número de nuestra oficina en Popayán."
NOTIFY = "aviso.esperanza@example.org"

TO_STAFF = "Only the network should read this: the mayor came to the house again."
FROM_ORG = "We will call on Tuesday from the office line; please keep your phone on."
FROM_REQUESTER = "Tuesday works for us. Please call after six in the evening."


# ---------------------------------------------------------------- the people and the request


def people(app):
    """Two organizations offering accompaniment in Colombia, a reviewer, a member of each."""
    with app.app_context():
        andes = add_organization(
            "andes", name=ANDES_NAME, description_es=ANDES_ES, description_en=ANDES_EN
        )
        pacifico = add_organization("pacifico", name=PACIFICO_NAME)
        create_staff_account(REVIEWER, "reviewer")
        create_staff_account(ANDES, "org_member", organization=andes)
        create_staff_account(PACIFICO, "org_member", organization=pacifico)


def stored_request(app) -> str:
    """A request sent in Spanish, stored directly (quicker than the form); its code."""
    with app.app_context():
        return intake.submit(request_fields(), "es").code


def offered_to_both(app) -> tuple[str, dict[str, str]]:
    """The reviewer reviews, approves and offers the one request to both organizations,
    as the request page's buttons do. Its reference, and each organization's offer handle."""
    with app.app_context():
        request = Request.get()
        reviewer = User.get(User.email == REVIEWER)
        for action in ("start_review", "approve"):
            review.act(request, reviewer, action, confirmed=True, expected_version=request.version)
        made = offers.offer(
            request,
            list(Organization.select().where(Organization.key.in_(("andes", "pacifico")))),
            reviewer,
            expected_version=request.version,
            summary=SUMMARY,
        )
        return request.reference, {o.organization.key: o.handle for o in made}


def offer_url(portal, handle):
    return portal.url(f"/org/offers/{handle}")


def accept(page, plan=PLAN):
    """The member accepts the open offer shown, saying how and when they will make contact."""
    page.locator('textarea[name="accept-contact_plan"]').fill(plan)
    page.locator("#accept-confirm").check()
    with page.expect_navigation():
        page.locator('form[action$="/accept"] button[type=submit]').click()
    expect(page.locator(".notice-success")).to_contain_text("has taken on this request")


def confirm_code(portal, page, code):
    """On the code page: type the code's last four characters, as the page asks."""
    expect(page).to_have_url(portal.url("/request/code"))
    page.locator('input[name="kept"]').fill(code.split("-")[-1])
    with page.expect_navigation():
        page.locator('form[action$="/request/code"] button[type=submit]').click()
    expect(page).to_have_url(portal.url("/track"))


def words_in(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"\w+", text)}


def shows_nothing_of(page, phrase):
    """The phrase nowhere in the page (its HTML, hidden parts too), and none of its words
    in what the page says."""
    words = phrase.split(" · ")
    html = page.content()
    expect(page.locator(".phrase, .verification-phrase")).to_have_count(0)
    assert phrase not in html
    assert " · ".join(words[:2]) not in html and " · ".join(words[1:]) not in html
    found = words_in(page.locator("body").inner_text()) & set(words)
    assert not found, f"{page.url} shows words of the phrase: {sorted(found)}"


def outbox_texts(app) -> dict[str, str]:
    """Each email in the outbox, by file name: its headers and its decoded text."""
    folder = Path(app.instance_path) / "outbox"
    texts = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        parts = [f"{name}: {value}" for name, value in message.items()]
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts.append(part.get_content())
        texts[path.name] = "\n".join(parts)
    return texts


# ---------------------------------------------------------------- 1. who will come


def test_the_requester_learns_who_will_come_and_only_they_and_the_organization_see_the_phrase(
    portal, live_app
):
    people(live_app)

    # The requester asks in Spanish, through the real form, and confirms the code.
    requester = portal.new_page(viewport=DESKTOP)
    requester.goto(portal.url("/request", "es"))
    expect(requester.locator("html")).to_have_attribute("lang", "es")
    portal.fill_request_form(requester, portal.valid_values(country="CO"))
    requester.locator('[name="notify_email"]').fill(NOTIFY)
    portal.send_request(requester)
    code = portal.tracking_code(requester)
    confirm_code(portal, requester, code)
    with live_app.app_context():
        assert Request.get().locale == "es"

    # Network staff approve it and offer it to both organizations.
    reference, handles = offered_to_both(live_app)

    # Acompañamiento Andino accepts, saying how and when it will make contact.
    andes = signed_in(portal, ANDES)
    andes.goto(offer_url(portal, handles["andes"]))
    accept(andes)
    said = andes.locator(".verification-phrase")
    expect(said).to_contain_text("Say this phrase when you first make contact")
    expect(said.locator("p.phrase")).to_have_attribute("lang", "es")
    expect(andes.locator("main")).to_contain_text(PLAN)
    phrase_for_andes = said.locator("p.phrase").text_content().strip()

    # The requester opens the request: who will come, how, when, and the phrase.
    portal.open_tracking(requester, code)
    card = requester.locator(".status-card")
    expect(card.locator(".who-will-come h3")).to_have_text(
        portal.translate("es", "Who will contact you")
    )
    expect(requester.locator("html")).to_have_attribute("lang", "es")
    who = card.locator(".who-will-come")
    expect(who).to_contain_text(ANDES_NAME)
    expect(who).to_contain_text(ANDES_ES)
    expect(who).not_to_contain_text(ANDES_EN)
    expect(who).to_contain_text(PLAN)
    expect(who).not_to_contain_text(PACIFICO_NAME)
    shown_phrase = who.locator("p.phrase")
    expect(shown_phrase).to_have_count(1)
    expect(shown_phrase).to_be_visible()
    phrase = shown_phrase.text_content().strip()
    words = phrase.split(" · ")
    assert len(words) == phrases.WORDS == 3, phrase
    spanish = phrases.words("es")
    assert [word for word in words if word not in spanish] == [], f"not Spanish: {phrase}"
    with live_app.app_context(), as_escrow():
        assert Offer.get(Offer.handle == handles["andes"]).phrase == phrase

    # Andes was given the very same phrase to say.
    assert phrase_for_andes == phrase
    andes.reload()
    expect(andes.locator("p.phrase")).to_have_text(phrase)

    # Brigadas del Pacífico and the reviewer never see it, nor any of its words.
    pacifico = signed_in(portal, PACIFICO)
    pacifico.goto(offer_url(portal, handles["pacifico"]))
    expect(pacifico.locator("main .notice")).to_contain_text("Another organization accepted")
    shows_nothing_of(pacifico, phrase)
    pacifico.goto(portal.url("/org/"))
    shows_nothing_of(pacifico, phrase)

    reviewer = signed_in(portal, REVIEWER)
    reviewer.goto(portal.url(f"/review/{reference}"))
    expect(reviewer.locator("#offers li", has_text=ANDES_NAME)).to_contain_text("Accepted")
    shows_nothing_of(reviewer, phrase)

    # Every notice owed so far goes out (to the requester, the members, the reviewer):
    # none of the emails holds the phrase or any of its words.
    with live_app.app_context():
        notices.deliver()
    emails = outbox_texts(live_app)
    assert any(NOTIFY in text for text in emails.values()), "the requester was sent no email"
    leaks = {name: sorted(words_in(text) & set(words)) for name, text in emails.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
    assert not [name for name, text in emails.items() if phrase in text]


# ---------------------------------------------------------------- 2. the thread


def test_the_requester_and_the_organization_write_to_each_other_and_staff_read_along(
    portal, live_app
):
    people(live_app)
    code = stored_request(live_app)

    # Without JavaScript, the requester writes to network staff before anyone accepts.
    requester = portal.new_page(java_script_enabled=False)
    portal.open_tracking(requester, code, "es")
    expect(requester.locator("html")).to_have_attribute("lang", "es")
    expect(requester.locator("#organization-thread")).to_have_count(0)
    requester.locator("#messages textarea[name=body]").fill(TO_STAFF)
    with requester.expect_navigation():
        requester.locator("#messages form button[type=submit]").click()
    expect(requester.locator("#messages .message")).to_contain_text(TO_STAFF)

    reference, handles = offered_to_both(live_app)

    # With JavaScript, Andes accepts and writes to the requester.
    andes = signed_in(portal, ANDES)
    andes.goto(offer_url(portal, handles["andes"]))
    expect(andes.locator("#thread")).to_have_count(0)
    accept(andes)
    thread = andes.locator("#thread")
    expect(thread).to_contain_text("No messages yet.")
    thread.locator("textarea[name=thread-body]").fill(FROM_ORG)
    with andes.expect_navigation():
        thread.get_by_role("button", name="Send to the requester").click()
    expect(andes.locator(".notice-success")).to_contain_text("sent to the requester")
    expect(thread.locator(".message")).to_have_count(1)
    expect(thread.locator(".message")).to_contain_text(FROM_ORG)

    # The requester reads it, from Andes, apart from the messages with network staff.
    requester.goto(portal.url("/track"))
    with_andes = requester.locator("#organization-thread")
    expect(with_andes.locator("h2")).to_have_text(
        portal.translate("es", "Messages with %(name)s") % {"name": ANDES_NAME}
    )
    expect(with_andes.locator(".message")).to_have_count(1)
    expect(with_andes.locator(".message")).to_contain_text(FROM_ORG)
    expect(with_andes.locator(".message .message-meta")).to_contain_text(ANDES_NAME)
    expect(with_andes).not_to_contain_text(TO_STAFF)
    expect(requester.locator("#messages")).not_to_contain_text(FROM_ORG)

    # And answers, in the Andes thread's own form.
    with_andes.locator("textarea[name=organization-body]").fill(FROM_REQUESTER)
    with requester.expect_navigation():
        with_andes.get_by_role(
            "button", name=portal.translate("es", "Send to the organization")
        ).click()
    expect(requester.locator(".notice-success")).to_contain_text(
        portal.translate("es", "Your message was sent to the organization.")
    )
    with_andes = requester.locator("#organization-thread")
    expect(with_andes.locator(".message")).to_have_count(2)
    expect(with_andes.locator(".message").nth(0)).to_contain_text(FROM_ORG)
    expect(with_andes.locator(".message").nth(1)).to_contain_text(FROM_REQUESTER)
    expect(with_andes.locator(".message").nth(1).locator(".message-meta strong")).to_have_text(
        portal.translate("es", "You")
    )
    expect(requester.locator("#messages")).not_to_contain_text(FROM_REQUESTER)
    expect(requester.locator("#messages .message")).to_have_count(1)

    # Andes reads the answer, from the requester, and never the message to network staff.
    andes.reload()
    thread = andes.locator("#thread")
    expect(thread.locator(".message")).to_have_count(2)
    expect(thread.locator(".message").nth(0)).to_contain_text(FROM_ORG)
    answer = thread.locator(".message").nth(1)
    expect(answer).to_contain_text(FROM_REQUESTER)
    expect(answer.locator(".message-meta")).to_contain_text("The requester")
    assert TO_STAFF not in andes.content()
    assert "the mayor came" not in andes.locator("body").inner_text()

    # The reviewer reads both, in the thread between the requester and Andes, and the
    # message to network staff in their own thread with the requester.
    reviewer = signed_in(portal, REVIEWER)
    reviewer.goto(portal.url(f"/review/{reference}"))
    between = reviewer.locator("#organization-thread")
    expect(between.locator("h2")).to_contain_text(ANDES_NAME)
    expect(between.locator(".message")).to_have_count(2)
    expect(between.locator(".message").nth(0)).to_contain_text(FROM_ORG)
    expect(between.locator(".message").nth(0).locator(".message-meta")).to_contain_text(ANDES_NAME)
    expect(between.locator(".message").nth(1)).to_contain_text(FROM_REQUESTER)
    expect(between.locator(".message").nth(1).locator(".message-meta")).to_contain_text(
        "The requester"
    )
    expect(between).not_to_contain_text(TO_STAFF)
    expect(reviewer.locator("#messages")).to_contain_text(TO_STAFF)
    expect(reviewer.locator("#messages")).not_to_contain_text(FROM_ORG)


# ---------------------------------------------------------------- 3. accessibility


def test_the_status_card_the_thread_and_the_offer_page_after_accepting_are_accessible(
    portal, live_app
):
    people(live_app)
    code = stored_request(live_app)
    _, handles = offered_to_both(live_app)
    found = []

    # The member's offer page right after accepting: the phrase, the plan, an empty thread.
    andes = signed_in(portal, ANDES)
    andes.goto(offer_url(portal, handles["andes"]))
    accept(andes)
    expect(andes.locator("p.phrase")).to_be_visible()
    expect(andes.locator("#thread")).to_contain_text("No messages yet.")
    found += axe_problems(andes, "offer page just accepted")
    andes.locator("textarea[name=thread-body]").fill(FROM_ORG)
    with andes.expect_navigation():
        andes.get_by_role("button", name="Send to the requester").click()

    # The tracking page: who will come, the phrase, and both threads, one answered.
    requester = portal.new_page(viewport=DESKTOP)
    portal.open_tracking(requester, code, "es")
    expect(requester.locator(".who-will-come p.phrase")).to_be_visible()
    thread = requester.locator("#organization-thread")
    thread.locator("textarea[name=organization-body]").fill(FROM_REQUESTER)
    with requester.expect_navigation():
        thread.locator("button[type=submit]").click()
    expect(thread.locator(".message")).to_have_count(2)
    expect(requester.locator("#messages form textarea")).to_be_visible()
    found += axe_problems(requester, "tracking page with who will come and both threads")

    # The offer page with both messages.
    andes.reload()
    expect(andes.locator("#thread .message")).to_have_count(2)
    found += axe_problems(andes, "offer page with the thread")

    assert found == [], "\n".join(found)


def test_the_box_for_the_organization_is_the_one_its_label_names(portal, live_app):
    people(live_app)
    code = stored_request(live_app)
    _, handles = offered_to_both(live_app)
    with live_app.app_context():
        offers.accept(
            Offer.get(Offer.handle == handles["andes"]), User.get(User.email == ANDES), PLAN
        )

    requester = portal.new_page(java_script_enabled=False)
    portal.open_tracking(requester, code, "es")
    thread = requester.locator("#organization-thread")
    expect(thread.locator("textarea")).to_have_count(1)
    expect(requester.locator("#messages textarea")).to_have_count(1)
    repeated = requester.evaluate(
        "[...document.querySelectorAll('[id]')].map(e => e.id)"
        ".filter((id, i, ids) => ids.indexOf(id) !== i)"
    )
    assert repeated == [], f"ids used twice on the tracking page: {repeated}"

    # A person (or a screen reader) finds the box by its label, writes, and sends it.
    label = portal.translate("es", "Your message to the organization")
    box = requester.get_by_label(label)
    expect(box).to_have_count(1)
    assert box.evaluate("e => e.closest('section').id") == "organization-thread"
    box.fill(FROM_REQUESTER)
    with requester.expect_navigation():
        thread.get_by_role(
            "button", name=portal.translate("es", "Send to the organization")
        ).click()
    expect(requester.locator("#organization-thread .message")).to_contain_text(FROM_REQUESTER)
    expect(requester.locator("#messages")).not_to_contain_text(FROM_REQUESTER)
