"""Small screens: nothing scrolls sideways, and the layout mirrors right-to-left."""

import pytest
from playwright.sync_api import expect

LANGUAGES = ("en", "fr", "es")
SMALL = {"width": 360, "height": 740}
LONG_WORD = "Amenazas" * 1250  # 10,000 characters without a break

_OVERFLOW = """() => {
  const width = window.innerWidth;
  const describe = e => {
    const box = e.getBoundingClientRect();
    const classes = typeof e.className === "string" ? e.className.trim() : "";
    return e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
      + (classes ? "." + classes.split(/\\s+/).join(".") : "")
      + ` [${Math.round(box.left)}, ${Math.round(box.right)}]`;
  };
  const wide = [...document.body.querySelectorAll("*")]
    .filter(e => !e.classList.contains("skip-link"))
    .filter(e => {
      const box = e.getBoundingClientRect();
      return box.right > width + 0.5 || box.left < -0.5;
    })
    .slice(0, 5)
    .map(describe);
  return {scroll: document.documentElement.scrollWidth, inner: width, wide};
}"""


def _assert_fits(page, where):
    sizes = page.evaluate(_OVERFLOW)
    assert sizes["scroll"] <= sizes["inner"], (
        f"{where}: the page is {sizes['scroll']}px wide in a {sizes['inner']}px screen, "
        f"so it scrolls sideways; too wide: {sizes['wide']}"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_small_screen_and_rtl_layout(portal, lang):
    page = portal.new_page(viewport=SMALL)
    # The stylesheet must load, or this test would only measure unstyled HTML.
    with page.expect_response(lambda r: "/static/css/portal." in r.url) as css:
        page.goto(portal.url("/", lang))
    assert css.value.status == 200, "portal.css did not load"
    _assert_fits(page, "home")

    page.goto(portal.url("/request"))
    expect(page.locator("form.request-form")).to_be_visible()
    _assert_fits(page, "request form")

    portal.submit_request(page)
    expect(page.locator(".error-summary")).to_be_visible()
    _assert_fits(page, "request form with every error")

    values = portal.valid_values(situation=LONG_WORD, name="N" * 200, place="P" * 200)
    portal.fill_request_form(page, values)
    portal.wait_for_htmx(page)
    _assert_fits(page, "request form with long words typed in")
    portal.submit_request(page)
    code = portal.tracking_code(page)
    _assert_fits(page, "confirmation page")

    page.goto(portal.url("/track"))
    _assert_fits(page, "tracking code entry")
    page.locator('input[name="code"]').fill("WRONG-CODE-" + "0" * 60)
    page.locator("form.track-form button[type=submit]").click()
    expect(page.locator("#field-code .error-message")).to_be_visible()
    _assert_fits(page, "tracking code entry after a wrong code")

    portal.open_tracking(page, code)
    expect(page.locator(".state")).to_be_visible()
    page.goto(portal.url("/track"))  # the status page as a page of its own
    page.locator("details summary").click()
    expect(page.locator("dl.summary-list")).to_be_visible()
    expect(page.locator("dl.summary-list")).to_contain_text(LONG_WORD[:100])
    _assert_fits(page, "status page with a 10,000-character word")

    page.locator('textarea[name="body"]').fill(LONG_WORD)
    with page.expect_navigation():
        page.locator("form.message-form button[type=submit]").click()
    expect(page.locator(".messages .user-text")).to_have_count(1)
    _assert_fits(page, "status page with a 10,000-character word in a message")

    page.locator('a[href$="/track/withdraw"]').click()
    expect(page.locator('input[name="confirm"]')).to_be_visible()
    _assert_fits(page, "withdraw confirmation page")

    page.goto(portal.url("/no-such-page"))
    _assert_fits(page, "404 page")

    # Right to left: the same form, mirrored, still fits.
    page.goto(portal.url("/request"))
    first = page.locator(".site-header .wrap > :first-child")  # the site name
    ltr = first.bounding_box()
    ltr_start_gap = ltr["x"]
    assert ltr["x"] + ltr["width"] / 2 < SMALL["width"] / 2, (
        f"LTR: site name not at the left: {ltr}"
    )
    page.evaluate("document.documentElement.dir = 'rtl'")
    _assert_fits(page, "request form, right to left")
    rtl = first.bounding_box()
    rtl_start_gap = SMALL["width"] - (rtl["x"] + rtl["width"])
    # The site name is wider than half this screen, so "at the right" means: its middle
    # is in the right half and it keeps the same gap to the right edge as it had to the left.
    assert rtl["x"] + rtl["width"] / 2 > SMALL["width"] / 2, (
        f"RTL: site name not at the right: {rtl}"
    )
    assert abs(rtl_start_gap - ltr_start_gap) <= 2, (
        f"RTL: the header is not mirrored: the site name is {rtl_start_gap}px from the right "
        f"edge, but was {ltr_start_gap}px from the left edge left to right ({ltr} / {rtl})"
    )
