"""A defender's whole path through the portal, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

LANGUAGES = ("en", "fr", "es")


def _marker(page):
    return page.evaluate("window.__marker")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_javascript_flow(portal, lang):
    def t(msgid):
        return portal.translate(lang, msgid)

    page = portal.new_page(java_script_enabled=False)
    html = page.locator("html")

    # A first try with the place forgotten.
    page.goto(portal.url("/request", lang))
    expect(html).to_have_attribute("lang", lang)
    values = portal.valid_values(place="")
    portal.fill_request_form(page, values)
    with page.expect_navigation():
        portal.submit_request(page)

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("h2")).to_have_text(t("Please check what you wrote"))
    expect(summary.locator("a")).to_have_count(1)
    expect(summary.locator("a")).to_have_attribute("href", "#place")
    expect(summary.locator("a")).to_contain_text(t("Please say where."))
    expect(page.locator("#field-place .error-message")).to_have_text(t("Please say where."))
    expect(page.locator("#place")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".error-message")).to_have_count(1)
    expect(html).to_have_attribute("lang", lang)

    # Everything else the person typed or chose is still there.
    for name in (
        "start_date",
        "end_date",
        "people_count",
        "name",
        "organization",
        "other_languages",
        "situation",
        "asked_for",
        "contact_detail",
        "country",
        "contact_channel",
    ):
        expect(page.locator(f'[name="{name}"]'), name).to_have_value(values[name])
    for name in ("service", "urgency", "requester_kind", "contact_safe"):
        expect(page.locator(f'input[name="{name}"][value="{values[name]}"]'), name).to_be_checked()
    expect(page.locator('input[name="languages"]:checked')).to_have_count(1)
    expect(page.locator('input[name="languages"][value="es"]')).to_be_checked()
    expect(page.locator('input[name="consent"]')).to_be_checked()

    # Fixed and sent: the code is shown, the copy button stays hidden without JS.
    page.locator("#place").fill("Cauca")
    with page.expect_navigation():
        portal.submit_request(page)
    code = portal.tracking_code(page)
    expect(page.locator("h1")).to_have_text(t("Your request has been received"))
    expect(page.locator(".copy-button")).to_be_hidden()
    expect(html).to_have_attribute("lang", lang)
    # The code stays on this page until it is kept, so the language links are here.
    expect(page.locator("#lang-switcher a[hreflang]")).to_have_count(2)

    # Kept: the page asks for its last four characters, then thanks in the same language.
    portal.keep_code(page, code)
    expect(page.locator(".notice-success")).to_have_text(
        t("Thank you. Keep the code safe: you need it to follow your request.")
    )

    # The language is remembered without ?lang= from here on.
    portal.open_tracking(page, code)
    expect(html).to_have_attribute("lang", lang)
    expect(page.locator(".state-submitted")).to_have_text(t("Received"))

    # A message, shown in the thread.
    message = "Ayer vinieron dos hombres armados. Ils sont revenus ce matin."
    page.locator('textarea[name="body"]').fill(message)
    with page.expect_navigation():
        page.locator("form.message-form button[type=submit]").click()
    expect(page.locator(".notice-success")).to_have_text(t("Your message was sent."))
    thread = page.locator(".messages .message-requester .user-text")
    expect(thread).to_have_count(1)
    expect(thread).to_have_text(message)

    # Withdraw: the box must be ticked first.
    page.locator('a[href$="/track/withdraw"]').click()
    expect(page).to_have_url(portal.url("/track/withdraw"))
    expect(page.locator("h1")).to_have_text(t("Withdraw your request"))
    withdraw = page.locator('form[action$="/track/withdraw"] button[type=submit]')
    with page.expect_navigation():
        withdraw.click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#field-confirm .error-message")).to_have_text(
        t("Please tick the box to confirm.")
    )
    expect(page.locator(".state")).to_have_count(0)
    page.locator('input[name="confirm"]').check()
    with page.expect_navigation():
        withdraw.click()
    expect(page).to_have_url(portal.url("/track"))
    expect(page.locator(".notice-success")).to_have_text(t("Your request has been withdrawn."))
    expect(page.locator(".state-withdrawn")).to_have_text(t("Withdrawn by you"))
    expect(page.locator(".state")).to_have_count(1)
    expect(html).to_have_attribute("lang", lang)
    # Closed: no more messages, no second withdrawal; the message is still there.
    expect(page.locator("form.message-form")).to_have_count(0)
    expect(page.locator('a[href$="/track/withdraw"]')).to_have_count(0)
    expect(thread).to_have_text(message)

    # Leaving ends the tracking session.
    with page.expect_navigation():
        page.locator('form[action$="/track/leave"] button[type=submit]').click()
    expect(page).to_have_url(portal.url("/"))
    expect(page.locator(".notice-success")).to_have_text(
        t("You have left the tracking page. Your code is needed to come back.")
    )
    page.goto(portal.url("/track"))
    expect(page.locator('input[name="code"]')).to_be_visible()
    expect(page.locator(".state")).to_have_count(0)
    expect(html).to_have_attribute("lang", lang)


def test_htmx_request_flow(portal):
    context = portal.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=portal.base_url)
    page = context.new_page()
    page.goto(portal.url("/request"))
    page.evaluate("window.__marker = 1")

    values = portal.valid_values()
    del values["people_count"]
    portal.fill_request_form(page, values)

    # A wrong number: the error appears by the field as soon as the person leaves it.
    field = page.locator("#field-people_count")
    people = page.locator("#people_count")
    error = field.locator(".error-message")
    people.fill("0")
    people.press("Tab")
    expect(error).to_have_text("Please enter a number from 1 to 100,000.")
    expect(people).to_have_attribute("aria-invalid", "true")
    expect(people).to_have_attribute("aria-describedby", re.compile(r"\bpeople_count-error\b"))
    expect(people).to_have_value("0")
    portal.wait_for_htmx(page)
    # Only that field was checked and swapped: nothing else complains, no summary yet.
    expect(page.locator(".error-message")).to_have_count(1)
    expect(page.locator(".error-summary")).to_have_count(0)
    # Focus went where Tab sent it, not back to the top of the page.
    expect(page.locator("#field-requester_kind input:focus")).to_have_count(1)
    assert _marker(page) == 1, "the page was reloaded instead of swapping the field"

    # Fixed: the error goes away, again without a page load.
    people.fill("3")
    people.press("Tab")
    expect(error).to_have_count(0)
    expect(people).not_to_have_attribute("aria-invalid", "true")
    expect(people).to_have_value("3")
    portal.wait_for_htmx(page)
    expect(page.locator(".error-message")).to_have_count(0)
    assert _marker(page) == 1, "the page was reloaded instead of swapping the field"

    # Sent: htmx sends the browser on to the code page (HX-Redirect), a page of its own that
    # a refresh or Back shows again until the code is kept (Post/Redirect/Get).
    with page.expect_response(
        lambda r: r.url == portal.url("/request") and r.request.method == "POST"
    ) as posted:
        portal.submit_request(page)
    assert posted.value.status == 204, "the post was not answered for htmx"
    assert posted.value.headers.get("hx-redirect") == "/request/code"
    code = portal.tracking_code(page)
    assert re.fullmatch(r"[A-Z0-9][A-Z0-9 -]{7,}", code), f"unexpected code shape: {code!r}"
    expect(page).to_have_url(portal.url("/request/code"))
    expect(page.locator("h1")).to_have_text("Your request has been received")
    # A whole page, not the code page swapped into the form's.
    expect(page.locator("main")).to_have_count(1)
    expect(page.locator("form.request-form")).to_have_count(0)
    # The code stays here until it is kept, so the language links are back on this page.
    expect(page.locator("#lang-switcher a[hreflang]")).to_have_count(2)

    # The copy button, unhidden by JS, puts exactly the code on the clipboard.
    copy = page.locator(".copy-button")
    expect(copy).to_be_visible()
    expect(copy).to_have_text("Copy the code")
    copy.click()
    expect(copy).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == code

    # Kept, then followed: paste the code and open the request.
    portal.keep_code(page, code)
    page.goto(portal.url("/track"))
    code_input = page.locator('input[name="code"]')
    code_input.focus()
    page.keyboard.press("ControlOrMeta+V")
    expect(code_input).to_have_value(code)
    page.locator("form.track-form button[type=submit]").click()
    expect(page.locator(".state")).to_have_text("Received")
    expect(page.locator("h1")).to_have_text("Your request")
    # It is one page: one banner, one main area, one footer, not a page inside a page.
    # (The status page is there by now: no need to wait long for these counts.)
    expect(page.locator("header.site-header")).to_have_count(1, timeout=2000)
    expect(page.locator("main")).to_have_count(1, timeout=2000)
    expect(page.locator("footer.site-footer")).to_have_count(1, timeout=2000)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_switching_language_keeps_what_was_typed(portal, javascript):
    page = portal.new_page(java_script_enabled=javascript)
    page.goto(portal.url("/request", "en"))
    values = portal.valid_values(
        situation="Hombres armados rondan la vereda desde marzo.", place="Vereda La Esperanza"
    )
    portal.fill_request_form(page, values)
    if javascript:
        portal.wait_for_htmx(page)

    with page.expect_navigation():
        page.locator("#lang-switcher button[lang=es]").click()

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#lang-switcher [aria-current]")).to_have_text("Español")
    expect(page.locator("h1")).to_have_text(
        portal.translate("es", "Ask for accompaniment or a visit")
    )
    expect(page.locator(".error-message")).to_have_count(0)
    for name in ("situation", "place", "name", "start_date", "contact_detail"):
        expect(page.locator(f'[name="{name}"]')).to_have_value(values[name])
    expect(page.locator('input[name="languages"][value="es"]')).to_be_checked()
    expect(page.locator('input[name="service"][value="accompaniment"]')).to_be_checked()

    # Sent from there, it is stored once, and the confirmation is in Spanish.
    portal.send_request(page, javascript)
    assert portal.tracking_code(page)
    expect(page.locator("html")).to_have_attribute("lang", "es")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_switching_language_on_the_tracking_page_keeps_the_message(portal, javascript):
    page = portal.new_page(java_script_enabled=javascript)
    page.goto(portal.url("/request", "en"))
    portal.fill_request_form(page, portal.valid_values())
    portal.send_request(page, javascript)
    code = portal.tracking_code(page)
    portal.open_tracking(page, code)
    message = "La audiencia se aplazó al martes; ¿pueden venir?"
    page.locator('textarea[name="body"]').fill(message)

    with page.expect_navigation():
        page.locator("#lang-switcher button[lang=fr]").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator('textarea[name="body"]')).to_have_value(message)
    expect(page.locator(".messages .message")).to_have_count(0)  # not sent
