"""After Send: the code stays on its own page until the person shows they kept it, and
never after; and on a phone, why nothing was sent is on the first screen, the form works
without JavaScript, and the new pages pass axe."""

import pytest
from playwright.sync_api import expect

from axe_checks import axe_problems

PHONE = {"width": 360, "height": 640}
LANGUAGES = ("en", "fr", "es")

GONE = "The code is no longer shown here"
THANKS = "Thank you. Keep the code safe: you need it to follow your request."
NOT_THE_END = "This is not the end of your code. Look at the code above and type it again."


def shows_no_code(portal, page):
    page.goto(portal.url("/request/code"))
    expect(page.locator("h1")).to_have_text(GONE)
    expect(page.locator("#tracking-code")).to_have_count(0)


# ---------------------------------------------------------------- 3. the code page


def wrong_end(code):
    """A group of the code that is not its last: the first (a person's likely slip)."""
    groups = code.split("-")
    return next(group for group in groups if group != groups[-1])


def other_tab(context, portal):
    """The code page in a second tab of the same browser."""
    tab = context.new_page()
    tab.goto(portal.url("/request/code"))
    return tab


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_the_code_is_shown_until_kept_and_never_after(portal, javascript):
    context = portal.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.goto(portal.url("/request"))
    portal.fill_request_form(page, portal.valid_values())
    portal.send_request(page, javascript)
    expect(page).to_have_url(portal.url("/request/code"))
    code = portal.tracking_code(page)
    groups = code.split("-")
    shown_code = page.locator("#tracking-code")

    # A refresh, and a second tab of the same browser, show it again.
    page.reload()
    expect(shown_code).to_have_text(code)
    tab = other_tab(context, portal)
    expect(tab.locator("#tracking-code")).to_have_text(code)
    tab.close()
    # Reading it in another language does not lose it either.
    page.locator("#lang-switcher a[hreflang=fr]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(shown_code).to_have_text(code)
    page.locator("#lang-switcher a[hreflang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # The first group instead of the last: said, and the code is still there.
    kept = page.locator('input[name="kept"]')
    button = page.get_by_role("button", name="I have kept my code")
    kept.fill(wrong_end(code))
    with page.expect_navigation():
        button.click()
    expect(page.locator("#error-summary")).to_contain_text(NOT_THE_END)
    expect(page.locator("#field-kept .error-message")).to_have_text(NOT_THE_END)
    expect(kept).to_have_attribute("aria-invalid", "true")
    expect(shown_code).to_have_text(code)
    page.goto(portal.url("/request/code"))
    expect(shown_code).to_have_text(code)
    expect(page.locator(".error-message")).to_have_count(0)

    # Typed as people retype it: the last group in small letters, or the whole code with
    # spaces for dashes. The tracking page, with thanks.
    kept.fill(groups[-1].lower() if javascript else " ".join(groups))
    with page.expect_navigation():
        button.click()
    expect(page).to_have_url(portal.url("/track"))
    expect(page.locator(".notice-success")).to_have_text(THANKS)
    expect(page.locator('input[name="code"]')).to_be_visible()

    # Never again: not with Back, not on its page, not after a refresh, not in another tab.
    page.go_back()
    expect(page).to_have_url(portal.url("/request/code"))
    expect(page.locator("h1")).to_have_text(GONE)
    expect(shown_code).to_have_count(0)
    shows_no_code(portal, page)
    page.reload()
    expect(page.locator("h1")).to_have_text(GONE)
    expect(shown_code).to_have_count(0)
    tab = other_tab(context, portal)
    expect(tab.locator("h1")).to_have_text(GONE)
    expect(tab.locator("#tracking-code")).to_have_count(0)
    tab.close()
    # Kept, it opens the request.
    portal.open_tracking(page, code)
    expect(page.locator(".state")).to_have_text("Received")


# ---------------------------------------------------------------- 4. errors in view


def assert_top_in_first_screen(page, locator, where):
    assert page.evaluate("window.scrollY") == 0, f"{where}: the page opened scrolled down"
    box = locator.bounding_box()
    assert box is not None, f"{where}: not rendered"
    assert box["y"] < PHONE["height"], f"{where}: starts {box['y']:.0f}px down, off the screen"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_phone_shows_why_nothing_was_sent_on_its_first_screen(portal, lang):
    def t(msgid):
        return portal.translate(lang, msgid)

    page = portal.new_page(viewport=PHONE, java_script_enabled=False)
    summary = page.locator("#error-summary")

    # Sent empty: every error.
    page.goto(portal.url("/request", lang))
    with page.expect_navigation():
        portal.submit_request(page)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(summary.locator("h2")).to_have_text(t("Please check what you wrote"))
    assert_top_in_first_screen(page, summary, f"{lang}, sent empty")
    assert_top_in_first_screen(page, summary.locator("h2"), f"{lang}, its heading")

    # One thing forgotten.
    page.goto(portal.url("/request"))
    portal.fill_request_form(page, portal.valid_values(place=""))
    with page.expect_navigation():
        portal.submit_request(page)
    expect(summary.locator("a")).to_have_count(1)
    expect(summary.locator("a")).to_have_text(t("Please say where."))
    assert_top_in_first_screen(page, summary, f"{lang}, the place forgotten")
    assert_top_in_first_screen(page, summary.locator("a"), f"{lang}, the error itself")


# ---------------------------------------------------------------- 5. without JavaScript


def test_more_languages_and_contact_fields_work_on_a_phone_without_javascript(portal):
    page = portal.new_page(viewport=PHONE, java_script_enabled=False)
    page.goto(portal.url("/request"))

    # The common languages first; the others behind "More languages", which opens.
    languages = page.locator("#field-languages")
    for code in ("ar", "en", "es", "fr", "pt", "ru"):
        expect(languages.locator(f'input[value="{code}"]')).to_be_visible()
    more = languages.locator("details.more-choices")
    quechua = languages.locator('input[value="qu"]')
    expect(more).not_to_have_attribute("open", "")
    expect(quechua).to_be_hidden()
    more.locator("summary").click()
    expect(more).to_have_attribute("open", "")
    expect(quechua).to_be_visible()
    quechua.check()

    # The contact detail and "is it safe" appear once a channel is chosen.
    detail, safe = page.locator("#field-contact_detail"), page.locator("#field-contact_safe")
    channel = page.locator('select[name="contact_channel"]')
    expect(channel).to_have_value("")
    expect(detail).to_be_hidden()
    expect(safe).to_be_hidden()
    channel.select_option("signal")
    expect(detail).to_be_visible()
    expect(safe).to_be_visible()
    expect(detail.get_by_label("Number, username or address")).to_be_editable()
    channel.select_option("")
    expect(detail).to_be_hidden()
    expect(safe).to_be_hidden()
    channel.select_option("telegram")

    # Sent with something missing: the language chosen is still in view, and so are the
    # contact fields of the channel chosen.
    with page.expect_navigation():
        portal.submit_request(page)
    expect(page.locator("#error-summary")).to_be_visible()
    expect(more).to_have_attribute("open", "")
    expect(quechua).to_be_visible()
    expect(quechua).to_be_checked()
    expect(channel).to_have_value("telegram")
    expect(detail).to_be_visible()
    expect(safe).to_be_visible()


# ---------------------------------------------------------------- 6. axe


def test_no_serious_accessibility_problem_on_the_new_pages(portal):
    page = portal.new_page()
    found = []

    page.goto(portal.url("/safety"))
    expect(page.locator("h1")).to_have_text("Staying safe while you use this site")
    found += axe_problems(page, "staying safe")

    page.goto(portal.url("/request"))
    portal.submit_request(page)  # htmx
    expect(page.locator("#error-summary")).to_be_visible()
    found += axe_problems(page, "request form with every error")

    portal.fill_request_form(page, portal.valid_values())
    portal.send_request(page)
    expect(page).to_have_url(portal.url("/request/code"))
    portal.tracking_code(page)
    found += axe_problems(page, "code page")

    page.locator('input[name="kept"]').fill(wrong_end(portal.tracking_code(page)))
    with page.expect_navigation():
        page.get_by_role("button", name="I have kept my code").click()
    expect(page.locator("#field-kept .error-message")).to_be_visible()
    found += axe_problems(page, "code page with a wrong group")

    page.locator('input[name="kept"]').fill(portal.tracking_code(page))
    with page.expect_navigation():
        page.get_by_role("button", name="I have kept my code").click()
    page.goto(portal.url("/request/code"))
    expect(page.locator("h1")).to_have_text(GONE)
    found += axe_problems(page, "code page after the code was kept")

    assert found == [], f"{len(found)} serious or critical axe violations:\n" + "\n".join(found)
