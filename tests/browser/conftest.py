"""Real-browser tests: the portal served on a local port, driven by Debian's Chromium.

Every test gets a fresh portal (its own SQLite file) served by werkzeug in a
daemon thread, and fresh browser contexts from one Chromium per session.
Helpers that the test modules share are reached through the `portal` fixture.
"""

import datetime
import os
import re
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from portal_testing import make_app, shown

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Generous for a loaded 2-core machine, far below "hanging".
TIMEOUT_MS = 10_000

expect.set_options(timeout=TIMEOUT_MS)

# ---------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Debian chromium not installed at {CHROMIUM}"
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (PORTAL_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


# ---------------------------------------------------------------- live server


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, code="-", size="-"):
        pass


@pytest.fixture
def live_app(tmp_path_factory, app_settings):
    """A fresh portal with a fresh database (tests reach its data through app_context()).

    Its settings come from pytest.mark.app_config markers, as for the `app` fixture.
    """
    return make_app(tmp_path_factory.mktemp("live"), **app_settings)


@pytest.fixture
def live_server(live_app):
    """The portal of `live_app`, served on 127.0.0.1 on a free port."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-portal", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# ---------------------------------------------------------------- the portal helper


def valid_values(**overrides) -> dict:
    """A complete, valid request as a person would fill the form in the browser."""
    start = datetime.date.today() + datetime.timedelta(days=7)
    values = {
        "service": "accompaniment",
        "urgency": "urgent",
        "start_date": start.isoformat(),
        "end_date": (start + datetime.timedelta(days=30)).isoformat(),
        "people_count": "12",
        "requester_kind": "community",
        "name": "Comunidad La Esperanza",
        "organization": "Red de Defensoras del Cauca",
        "languages": ["es"],
        "other_languages": "Nasa Yuwe",
        "country": "CO",
        "place": "Cauca",
        "situation": "Threats against community leaders since March.",
        "asked_for": "Accompaniment during the land restitution hearings.",
        "contact_channel": "signal",
        "contact_detail": "@esperanza.77",
        "contact_safe": "no",
        "consent": True,
    }
    values.update(overrides)
    return values


RADIOS = ("service", "urgency", "requester_kind", "contact_safe")
# Shown only once a channel is chosen (hidden while "only through the tracking code").
CONTACT_FIELDS = ("contact_detail", "contact_safe")
SELECTS = ("country", "contact_channel")
# The form's order, so that each field is checked by htmx with the ones before it filled.
FORM_ORDER = (
    "service",
    "urgency",
    "start_date",
    "end_date",
    "people_count",
    "requester_kind",
    "name",
    "organization",
    "languages",
    "other_languages",
    "country",
    "place",
    "situation",
    "asked_for",
    "contact_channel",
    "contact_detail",
    "contact_safe",
    "consent",
)


class Portal:
    """The live portal and what a requester does with it in a browser."""

    def __init__(self, base_url, browser):
        self.base_url = base_url
        self.browser = browser
        self._contexts = []

    # -- browser contexts

    def new_context(self, **kwargs):
        context = self.browser.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        self._contexts.append(context)
        return context

    def new_page(self, **context_kwargs):
        return self.new_context(**context_kwargs).new_page()

    def close(self):
        while self._contexts:
            self._contexts.pop().close()

    # -- addresses

    def url(self, path="/", lang=None):
        url = self.base_url + path
        if lang:
            url += ("&" if "?" in path else "?") + f"lang={lang}"
        return url

    def is_own(self, url: str) -> bool:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.base_url

    # -- the request form

    valid_values = staticmethod(valid_values)
    translate = staticmethod(shown)
    # Where the browser lands after Send, and shows the code until it is kept.
    CODE_PAGE = "/request/code"

    def fill_request_form(self, page, values: dict):
        """Fill the form like a person: field by field, in the form's order."""
        for name in FORM_ORDER:
            if name not in values:
                continue
            if name in CONTACT_FIELDS and not values.get("contact_channel"):
                # "Only through the tracking code": these fields are hidden (and ignored
                # by the server); a person cannot fill them in.
                continue
            value = values[name]
            # A field's check swaps it anew: act on the page once the last swap settled,
            # never on an element about to be replaced (a flaky click on a slow machine).
            self.wait_for_htmx(page)
            if name in RADIOS:
                if value:
                    self._choose(page.locator(f'input[name="{name}"][value="{value}"]'))
            elif name in SELECTS:
                page.locator(f'select[name="{name}"]').select_option(value)
            elif name == "languages":
                for code in value:
                    self._open_more_choices(page, "languages", code)
                    self._choose(page.locator(f'input[name="languages"][value="{code}"]'))
            elif name == "consent":
                page.locator('input[name="consent"]').set_checked(bool(value))
            else:
                page.locator(f'[name="{name}"]').fill(value)
        # Leave the last field, as a person moving on to the button would.
        page.locator("form.request-form button[type=submit]").focus()

    def _choose(self, option):
        """Tick a radio button or a box. Its check swaps the field anew as soon as it
        changes, so the state is read again from the page (the locator), not from the
        element clicked, which may already be gone on a slow machine."""
        if not option.is_checked():
            option.click()
        expect(option).to_be_checked()

    def _open_more_choices(self, page, name, value):
        """Open "More languages" (or the like) when the option is behind it, as a person would."""
        option = page.locator(f'input[name="{name}"][value="{value}"]')
        more = page.locator("details.more-choices", has=option)
        if more.count() and more.get_attribute("open") is None:
            more.locator("summary").click()
            expect(more).to_have_attribute("open", "")

    def wait_for_htmx(self, page):
        """Let every htmx request in flight finish and its swap settle (JS pages only)."""
        expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)

    def submit_request(self, page):
        page.locator("form.request-form button[type=submit]").click()

    def send_request(self, page, javascript=True):
        """Send the filled form: once htmx has settled, or (no JavaScript) as a plain post."""
        if javascript:
            self.wait_for_htmx(page)
            self.submit_request(page)
        else:
            with page.expect_navigation():
                self.submit_request(page)

    def on_code_page(self, page):
        """The page is the code page (whatever its ?lang=)."""
        expect(page).to_have_url(re.compile(re.escape(self.url(self.CODE_PAGE)) + r"(\?.*)?$"))

    def tracking_code(self, page) -> str:
        """The code shown on the code page, where the browser lands after Send."""
        self.on_code_page(page)
        code = page.locator("#tracking-code")
        expect(code).to_be_visible()
        text = code.inner_text().strip()
        assert text, "the tracking code is empty"
        return text

    def keep_code(self, page, code=None, typed=None) -> str:
        """On the code page, say the code was kept, as the page asks: type its last four
        characters (or `typed`) and press "I have kept my code". The browser lands on the
        tracking page (its thank-you is in .notice-success); returns the code."""
        if code is None:
            code = self.tracking_code(page)
        else:
            self.on_code_page(page)
        if typed is None:
            typed = re.sub(r"[\s-]", "", code)[-4:]
        page.locator('form.kept-form input[name="kept"]').fill(typed)
        with page.expect_navigation():
            page.locator("form.kept-form button[type=submit]").click()
        expect(page).to_have_url(self.url("/track"))
        expect(page.locator(".notice-success")).to_be_visible()
        return code

    def send_and_keep_code(self, page, javascript=True) -> str:
        """Send the filled form, read the code on the code page and say it was kept."""
        self.send_request(page, javascript)
        return self.keep_code(page)

    # -- tracking

    def open_tracking(self, page, code, lang=None):
        page.goto(self.url("/track", lang))
        page.locator('input[name="code"]').fill(code)
        page.locator("form.track-form button[type=submit]").click()


@pytest.fixture
def portal(browser, live_server):
    """The live portal and a helper to drive it; its browser contexts close after the test."""
    helper = Portal(live_server, browser)
    try:
        yield helper
    finally:
        helper.close()
