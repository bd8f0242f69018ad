"""axe-core on every page a requester sees, in every language."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

LANGUAGES = ("en", "fr", "es")
BLOCKING = ("serious", "critical")

_axe = Axe()


def _audit(page, where, found):
    """Run axe on the page as it is now; keep its serious and critical violations."""
    results = _axe.run(page)
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"]]
            found.append(f"{where}: {violation['id']} ({violation['impact']}) on {targets}")


def _native_submit(page):
    """Post the request form as a browser without JavaScript would (htmx is bypassed)."""
    with page.expect_navigation():
        page.evaluate(
            "HTMLFormElement.prototype.submit.call(document.querySelector('form.request-form'))"
        )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_accessibility(portal, lang):
    page = portal.new_page()
    found = []

    page.goto(portal.url("/", lang))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    _audit(page, "home", found)

    page.locator(".site-nav a[href='/request']").click()
    expect(page).to_have_url(portal.url("/request"))
    expect(page.locator("form.request-form")).to_be_visible()
    _audit(page, "empty request form", found)

    _native_submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    _audit(page, "request form after a post with errors", found)

    page.goto(portal.url("/request"))
    portal.submit_request(page)  # htmx
    expect(page.locator(".error-summary")).to_be_visible()
    # The summary takes the focus, so that screen readers read it out.
    expect(page.locator("#error-summary")).to_be_focused()
    _audit(page, "request form with errors swapped in by htmx", found)

    portal.fill_request_form(page, portal.valid_values())
    portal.wait_for_htmx(page)
    portal.submit_request(page)
    code = portal.tracking_code(page)
    _audit(page, "confirmation page", found)

    page.locator(".site-nav a[href='/track']").click()
    expect(page.locator('input[name="code"]')).to_be_visible()
    _audit(page, "tracking code entry", found)

    page.locator('input[name="code"]').fill("WRONG-CODE-0000")
    page.locator("form.track-form button[type=submit]").click()
    expect(page.locator("#field-code .error-message")).to_be_visible()
    _audit(page, "tracking code entry after a wrong code", found)

    page.locator('input[name="code"]').fill(code)
    page.locator("form.track-form button[type=submit]").click()
    expect(page.locator(".state")).to_be_visible()
    _audit(page, "status page (opened with htmx)", found)

    page.reload()
    expect(page.locator(".state")).to_be_visible()
    page.locator("details summary").click()
    _audit(page, "status page", found)

    page.locator('a[href$="/track/withdraw"]').click()
    expect(page.locator('input[name="confirm"]')).to_be_visible()
    _audit(page, "withdraw confirmation page", found)

    with page.expect_navigation():
        page.locator('form[action$="/track/withdraw"] button[type=submit]').click()
    expect(page.locator(".error-summary")).to_be_visible()
    _audit(page, "withdraw confirmation page with an error", found)

    response = page.goto(portal.url("/no-such-page"))
    assert response.status == 404
    expect(page.locator("html")).to_have_attribute("lang", lang)
    _audit(page, "404 page", found)

    assert found == [], f"{len(found)} serious or critical axe violations ({lang}):\n" + "\n".join(
        found
    )
