"""Nothing kept in the browser, nothing loaded from elsewhere."""

import pytest
from playwright.sync_api import expect

_STORAGE = """() => {
  const dump = s => Object.fromEntries(
    [...Array(s.length).keys()].map(i => [s.key(i), s.getItem(s.key(i))])
  );
  return {
    local: dump(localStorage),
    session: dump(sessionStorage),
    htmxCache: sessionStorage.getItem('htmx-history-cache'),
  };
}"""


def _assert_nothing_stored(page, code, where):
    stored = page.evaluate(_STORAGE)
    assert stored["local"] == {}, f"{where}: localStorage holds {list(stored['local'])}"
    assert stored["htmxCache"] is None, f"{where}: htmx keeps page copies in sessionStorage"
    htmx_keys = [key for key in stored["session"] if "htmx-history" in key]
    assert htmx_keys == [], f"{where}: sessionStorage holds {htmx_keys}"
    kept = [key for key, value in stored["session"].items() if code in (value or "")]
    assert kept == [], f"{where}: the tracking code is kept in sessionStorage under {kept}"


def test_htmx_never_stores_pages(portal):
    page = portal.new_page()
    page.goto(portal.url("/request"))
    portal.fill_request_form(page, portal.valid_values())
    portal.wait_for_htmx(page)
    with page.expect_response(lambda r: r.url == portal.url("/request/code")) as shown:
        portal.submit_request(page)
    code = portal.tracking_code(page)
    # The code page may be shown again until the code is kept, but by the server only.
    assert shown.value.headers.get("cache-control") == "no-store", shown.value.headers
    _assert_nothing_stored(page, code, "code page")

    # Kept: on to the tracking page; still nothing stored.
    portal.keep_code(page, code)
    expect(page.locator('input[name="code"]')).to_be_visible()
    _assert_nothing_stored(page, code, "tracking page, the code kept")

    # Back, and back again: the code is not shown again, from a cache or from history.
    page.go_back()
    expect(page).to_have_url(portal.url("/request/code"))
    expect(page.locator("h1")).to_have_text("The code is no longer shown here")
    expect(page.locator("#tracking-code")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(code)
    _assert_nothing_stored(page, code, "back on the code page")
    page.go_back()
    expect(page).to_have_url(portal.url("/request"))
    expect(page.locator("form.request-form")).to_be_visible()
    expect(page.locator("#tracking-code")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(code)
    _assert_nothing_stored(page, code, "back on the form")

    portal.open_tracking(page, code)
    expect(page.locator(".state")).to_have_text("Received")
    portal.wait_for_htmx(page)
    _assert_nothing_stored(page, code, "status page")

    page.locator('textarea[name="body"]').fill("We moved to another house.")
    with page.expect_navigation():
        page.locator("form.message-form button[type=submit]").click()
    expect(page.locator(".messages .user-text")).to_have_text("We moved to another house.")
    _assert_nothing_stored(page, code, "status page after a message")


def _csp_problems(response):
    policy = response.headers.get("content-security-policy")
    if not policy:
        return "no Content-Security-Policy header"
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    if "default-src" not in directives:
        return f"no default-src in {policy!r}"
    script = directives.get("script-src", directives["default-src"])
    if "'unsafe-inline'" in script or "'unsafe-eval'" in script or "*" in script:
        return f"scripts are not restricted: {policy!r}"
    return None


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_no_external_requests(portal, javascript):
    context = portal.new_context(java_script_enabled=javascript)
    requests, documents = [], []
    context.on("request", lambda request: requests.append(request.url))

    failed = []

    def on_response(response):
        if response.request.resource_type == "document" and not 300 <= response.status < 400:
            documents.append((response.url, response.status, _csp_problems(response)))
        # Only the made-up address may be missing; validation answers 422 to htmx.
        if response.status >= 500 or (
            response.status in (400, 403, 404, 405) and "/no-such-page" not in response.url
        ):
            failed.append(f"{response.status} {response.url}")

    context.on("response", on_response)
    page = context.new_page()

    page.goto(portal.url("/"))
    page.locator(".page-intro a.button-primary[href='/request']").click()
    expect(page.locator("form.request-form")).to_be_visible()
    portal.fill_request_form(page, portal.valid_values())
    portal.wait_for_htmx(page)
    portal.submit_request(page)
    code = portal.keep_code(page)

    page.locator('input[name="code"]').fill(code)
    page.locator("form.track-form button[type=submit]").click()
    expect(page.locator(".state")).to_be_visible()

    page.locator('textarea[name="body"]').fill("A message.")
    with page.expect_navigation():
        page.locator("form.message-form button[type=submit]").click()
    page.locator('a[href$="/track/withdraw"]').click()
    page.locator('input[name="confirm"]').check()
    with page.expect_navigation():
        page.locator('form[action$="/track/withdraw"] button[type=submit]').click()
    expect(page.locator(".state-withdrawn")).to_be_visible()
    with page.expect_navigation():
        page.locator('form[action$="/track/leave"] button[type=submit]').click()
    expect(page).to_have_url(portal.url("/"))
    page.locator("a[hreflang='fr']").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    response = page.goto(portal.url("/no-such-page"))
    assert response.status == 404
    portal.wait_for_htmx(page)

    elsewhere = [url for url in requests if not portal.is_own(url) and url != "data:,"]
    assert elsewhere == [], f"requests to other places than the portal: {elsewhere}"
    # The whole flow really went through the browser (and htmx, with JavaScript).
    paths = {url.removeprefix(portal.base_url).split("?")[0] for url in requests}
    assert {
        "/",
        "/request",
        "/request/code",
        "/track",
        "/track/message",
        "/track/withdraw",
        "/track/leave",
    } <= paths
    assert ("/request/validate" in paths) is javascript
    assert any(path.startswith("/static/css/portal.") for path in paths)
    assert len(documents) >= 8, documents
    assert failed == [], f"requests that failed on the way: {failed}"
    missing = [(url, status, problem) for url, status, problem in documents if problem]
    assert missing == [], f"pages without a proper Content-Security-Policy: {missing}"
