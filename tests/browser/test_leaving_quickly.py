"""Leaving quickly, and what leaves the browser before Send.

"Leave quickly" goes to an exit site served here on another local port (never the
internet), set as the portal's EXIT_URL. A person at risk may have to hide the page at
once: the link must be the first thing on the screen and the first that Tab reaches, on
a phone too, and leaving must end what the browser held. While they write, nothing that
identifies them may leave the browser before Send. After Send, the code stays on its
own page until they show they kept it, and never after.
"""

import contextlib
import datetime
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from portal.intake.forms import CHECKED_WHILE_TYPING

from portal_testing import valid_request_data

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
SITE_NAME = "Recetas de la abuela"  # neutral, and not the default: the setting is used
EXIT_HEADING = "Weather today"

GONE = "The code is no longer shown here"
END_BEFORE_START = "The end date cannot be before the start date."

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_token" type="hidden" value="([^"]*)"')
_CODE = re.compile(r'id="tracking-code"[^>]*>([^<]+)<')
_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# ---------------------------------------------------------------- the exit site


class _ExitSite(BaseHTTPRequestHandler):
    """An ordinary site: any path answers 200 with a short page naming that path."""

    def do_GET(self):
        body = (
            "<!doctype html><html lang=en><title>Weather</title>"
            f"<h1>{EXIT_HEADING}</h1><p id=path>{self.path}</p></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)  # unless the browser moved on (Back) before reading it

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def exit_site():
    """The exit site's address (one server for the module, on a free local port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ExitSite)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="exit-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def app_settings(app_settings, exit_site):
    """The live portal leaves to the local exit site, under a neutral site name."""
    return {**app_settings, "EXIT_URL": exit_site, "SITE_NAME": SITE_NAME}


# ---------------------------------------------------------------- helpers


def send_request_behind_the_page(portal, page) -> str:
    """Send a valid request with the page's own cookies, without filling the form (quicker):
    the browser then holds the code at /request/code. Returns the code."""
    api = page.request  # shares the cookies of the page's context
    form = api.get(portal.url("/request")).text()
    data = valid_request_data(
        csrf_token=_TOKEN.search(form)[1], submission_token=_SUBMISSION.search(form)[1]
    )
    answer = api.post(portal.url("/request"), data=urlencode(data, doseq=True), headers=_FORM)
    assert answer.ok and answer.url == portal.url("/request/code"), (answer.status, answer.url)
    return _CODE.search(answer.text())[1].strip()


def open_tracking_behind_the_page(portal, page, code):
    """Open the request with its code, with the page's own cookies (a tracking session)."""
    api = page.request
    token = _TOKEN.search(api.get(portal.url("/track")).text())[1]
    answer = api.post(
        portal.url("/track"), data=urlencode({"csrf_token": token, "code": code}), headers=_FORM
    )
    assert answer.ok and "Your request" in answer.text(), answer.status


def shows_the_code_entry_not_the_request(portal, page):
    page.goto(portal.url("/track"))
    expect(page.locator("h1")).to_have_text("Follow your request")
    expect(page.locator('input[name="code"]')).to_be_visible()
    expect(page.locator(".state")).to_have_count(0)


def shows_no_code(portal, page):
    page.goto(portal.url("/request/code"))
    expect(page.locator("h1")).to_have_text(GONE)
    expect(page.locator("#tracking-code")).to_have_count(0)


def on_exit_site(page, exit_site):
    expect(page).to_have_url(exit_site)
    expect(page.locator("h1")).to_have_text(EXIT_HEADING)


def assert_on_first_screen(page, locator, viewport, where):
    """Entirely inside the screen as it is, without scrolling."""
    assert page.evaluate("window.scrollY") == 0, f"{where}: the page opened scrolled down"
    box = locator.bounding_box()
    assert box is not None, f"{where}: not rendered"
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (where, box)
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"], (where, box)


# ---------------------------------------------------------------- 1. leave quickly

# Every public page: its address, and what shows that it is the page meant.
PUBLIC_PAGES = {
    "home": ("/", "h1", "Protection for defenders at risk"),
    "request form": ("/request", "h1", "Ask for accompaniment or a visit"),
    "code page": ("/request/code", "h1", "Your request has been received"),
    "code entry": ("/track", "h1", "Follow your request"),
    "tracking page": ("/track", "h1", "Your request"),
    "organizations": ("/organizations", "h1", "Accompanying organizations"),
    "staying safe": ("/safety", "h1", "Staying safe while you use this site"),
    "error page": ("/no-such-page", "h1", "Page not found"),
}
MODES = {
    "phone-js": {"viewport": PHONE, "java_script_enabled": True},
    "phone-nojs": {"viewport": PHONE, "java_script_enabled": False},
    "desktop-js": {"viewport": DESKTOP, "java_script_enabled": True},
}
# Every page on a phone with JavaScript; without it, and at desktop size, the pages that
# hold something (the form, the code, the request) and one of each other kind.
LEAVE_CASES = [(where, "phone-js") for where in PUBLIC_PAGES]
LEAVE_CASES += [
    (where, "phone-nojs") for where in ("request form", "code page", "tracking page", "error page")
]
LEAVE_CASES += [(where, "desktop-js") for where in ("home", "tracking page")]


@pytest.mark.parametrize(("where", "mode"), LEAVE_CASES)
def test_leave_quickly_is_first_in_reach_and_leaves_nothing_open(portal, exit_site, where, mode):
    settings = MODES[mode]
    javascript, viewport = settings["java_script_enabled"], settings["viewport"]
    page = portal.new_page(**settings)
    # The browser holds a code not yet confirmed, and (but on the code entry page, which
    # would then be the tracking page) an open tracking session.
    code = send_request_behind_the_page(portal, page)
    if where != "code entry":
        open_tracking_behind_the_page(portal, page, code)
    path, heading, text = PUBLIC_PAGES[where]
    # The person came from elsewhere, then opened the portal's page.
    before = exit_site + "before"
    page.goto(before)
    page.goto(portal.url(path))
    expect(page.locator(heading)).to_have_text(text)
    expect(page).to_have_title(SITE_NAME)

    link = page.locator("a.leave-quickly")
    expect(link).to_have_text("Leave quickly")
    expect(link).to_be_visible()
    assert_on_first_screen(page, link, viewport, f"{where}: Leave quickly")
    # The first thing Tab reaches.
    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    # Sticky: still on the screen at the bottom of the page.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    expect(link).to_be_in_viewport(ratio=1)

    with page.expect_response(portal.url("/leave")) as leaving:
        link.click()
    on_exit_site(page, exit_site)
    assert leaving.value.status == 303
    assert leaving.value.all_headers().get("clear-site-data") == '"cache", "cookies", "storage"'
    # The browser holds no cookie of the portal any more.
    assert page.context.cookies(portal.base_url) == []
    page.go_back()
    if javascript:
        # The portal's page was replaced in the history: Back goes to where they were before.
        expect(page).to_have_url(before)
        expect(page.locator("#path")).to_have_text("/before")
    else:
        # Without JavaScript the page stays in the history (the safety page says so), but
        # opened again it shows nothing that was held.
        expect(page.locator("h1")).to_be_visible()
        expect(page.locator(".state, #tracking-code")).to_have_count(0)

    # Nothing open any more: the request needs the code again, and the code is gone.
    shows_the_code_entry_not_the_request(portal, page)
    shows_no_code(portal, page)


@pytest.mark.parametrize("where", ["tracking page", "writing on the form"])
def test_escape_three_times_leaves(portal, exit_site, where):
    page = portal.new_page(viewport=PHONE)
    code = send_request_behind_the_page(portal, page)
    open_tracking_behind_the_page(portal, page, code)
    before = exit_site + "before"
    page.goto(before)
    if where == "tracking page":
        page.goto(portal.url("/track"))
        expect(page.locator(".state")).to_be_visible()
    else:
        page.goto(portal.url("/request"))
        page.locator("#situation").press_sequentially("Vinieron otra vez")
        expect(page.locator("#situation")).to_be_focused()

    for _ in range(3):
        page.keyboard.press("Escape")

    on_exit_site(page, exit_site)
    page.go_back()
    expect(page).to_have_url(before)
    shows_the_code_entry_not_the_request(portal, page)
    shows_no_code(portal, page)


# ---------------------------------------------------------------- 2. nothing leaves before Send

# Distinctive, letters and digits only (unchanged by URL encoding), one per free-text field.
MARKERS = {
    "name": "mkname4417",
    "organization": "mkorganization4417",
    "other_languages": "mkotherlang4417",
    "place": "mkplace4417",
    "situation": "mksituation4417",
    "asked_for": "mkaskedfor4417",
    "contact_detail": "mkcontact4417",
    "notify_email": "mknotify4417",
}
TYPED = {
    "name": f"Amaru {MARKERS['name']}",
    "organization": f"Red {MARKERS['organization']}",
    "other_languages": f"Nasa Yuwe {MARKERS['other_languages']}",
    "place": f"Vereda {MARKERS['place']}",
    "situation": f"Armed men came again {MARKERS['situation']} last night.",
    "asked_for": f"Presence at the hearing {MARKERS['asked_for']}.",
    "contact_detail": f"@{MARKERS['contact_detail']}",
    "notify_email": f"{MARKERS['notify_email']}@example.org",
}


def what_went(request) -> str:
    """All a request carried: its address, headers and body, decoded as a server would."""
    body = request.post_data_buffer or b""
    headers = " ".join(f"{k}: {v}" for k, v in request.all_headers().items())
    raw = " ".join([request.url, headers, body.decode("utf-8", "replace")])
    return raw + " " + unquote_plus(raw)


def markers_in(request) -> list[str]:
    went = what_went(request).lower()
    return [name for name, marker in MARKERS.items() if marker in went]


def leave_field(page, locator, value):
    """Type into a field and move on, as a person does (a change event)."""
    locator.fill(value)
    locator.press("Tab")


def test_nothing_typed_leaves_the_browser_before_send(portal):
    page = portal.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(portal.url("/request"))
    start = datetime.date.today() + datetime.timedelta(days=7)

    # Everything that is chosen, as a person would, with a language from "More languages".
    page.locator("details.more-choices summary").click()
    chosen = portal.valid_values(languages=["es", "qu"], contact_channel="whatsapp")
    for name in TYPED:
        chosen.pop(name, None)
    portal.fill_request_form(page, chosen)
    # Changing one's mind: dates, the number (first wrong), the country, the channel...
    for name, value in (
        ("start_date", (start + datetime.timedelta(days=3)).isoformat()),
        ("start_date", start.isoformat()),
        ("people_count", "0"),
        ("people_count", "40"),
    ):
        portal.wait_for_htmx(page)
        leave_field(page, page.locator(f'[name="{name}"]'), value)
    portal.wait_for_htmx(page)
    expect(page.locator("#field-people_count .error-message")).to_have_count(0)
    for name, value in (("country", "PE"), ("country", "CO"), ("contact_channel", "signal")):
        portal.wait_for_htmx(page)
        page.locator(f'select[name="{name}"]').select_option(value)
    for name, value in (("urgency", "emergency"), ("service", "solidarity")):
        portal.wait_for_htmx(page)
        page.locator(f'input[name="{name}"][value="{value}"]').check()
    # Every free-text field, typed key by key.
    for name, value in TYPED.items():
        portal.wait_for_htmx(page)
        field = page.locator(f'[name="{name}"]')
        field.click()
        field.press_sequentially(value)
        field.press("Tab")
    portal.wait_for_htmx(page)
    expect(page.locator(".error-message")).to_have_count(0)

    sent_before = list(requests)
    leaks = [(r.method, r.url, markers_in(r)) for r in sent_before if markers_in(r)]
    assert leaks == [], f"typed text left the browser before Send: {leaks}"
    posts = [r for r in sent_before if r.method != "GET"]
    assert {urlsplit(r.url).path for r in posts} == {"/request/validate"}, [r.url for r in posts]
    checked = set()
    for request in posts:
        headers = request.all_headers()
        name = headers.get("hx-trigger-name")
        checked.add(name)
        assert name in CHECKED_WHILE_TYPING, f"{name!r} was checked while typing"
        sent = parse_qs(request.post_data or "", keep_blank_values=True)
        expected = {"start_date", "end_date"} if name == "end_date" else {name}
        assert set(sent) == expected, f"checking {name} sent {sorted(sent)}"
        assert headers.get("x-csrftoken"), f"checking {name}: no CSRF token in the header"
    # Each of them was checked at least once, so the above covered them all.
    assert checked == CHECKED_WHILE_TYPING

    portal.submit_request(page)
    expect(page).to_have_url(portal.url("/request/code"))
    assert portal.tracking_code(page)
    carrying = [r for r in requests if markers_in(r)]
    assert [(r.method, urlsplit(r.url).path) for r in carrying] == [("POST", "/request")]
    assert requests.index(carrying[0]) >= len(sent_before)
    assert sorted(markers_in(carrying[0])) == sorted(MARKERS), "Send did not send every field"


def test_the_end_date_is_checked_against_the_start_date_every_time(portal):
    page = portal.new_page()
    checks = []
    page.on(
        "request",
        lambda r: checks.append(r) if r.url.endswith("/request/validate") else None,
    )
    page.goto(portal.url("/request"))
    start = datetime.date.today() + datetime.timedelta(days=10)
    end = page.locator("#end_date")
    error = page.locator("#field-end_date .error-message")

    leave_field(page, page.locator("#start_date"), start.isoformat())
    portal.wait_for_htmx(page)
    # A first end date, fine; then one before the start: the person must be told.
    leave_field(page, end, (start + datetime.timedelta(days=20)).isoformat())
    portal.wait_for_htmx(page)
    expect(error).to_have_count(0)
    leave_field(page, end, (start - datetime.timedelta(days=5)).isoformat())
    portal.wait_for_htmx(page)

    # The check has answered by now (htmx settled): no need to wait long.
    expect(error).to_have_text(END_BEFORE_START, timeout=2000)
    expect(end).to_have_attribute("aria-invalid", "true")
    # Each check of the end date carried the start date.
    sent = [set(parse_qs(r.post_data or "")) for r in checks if "end_date" in (r.post_data or "")]
    assert sent == [{"start_date", "end_date"}] * 2, sent


def fill_with_markers(portal, page):
    """The whole form, every free-text field with its marker."""
    portal.fill_request_form(page, portal.valid_values(**TYPED))
    page.locator('[name="notify_email"]').fill(TYPED["notify_email"])


@pytest.mark.parametrize("then", ["left without javascript", "read the safety page, left", "sent"])
def test_back_to_the_form_does_not_bring_back_what_was_typed(portal, exit_site, then):
    javascript = then != "left without javascript"
    page = portal.new_page(viewport=PHONE, java_script_enabled=javascript)
    page.goto(exit_site + "before")
    page.goto(portal.url("/request"))
    fill_with_markers(portal, page)
    if then == "sent":
        # Sent; then someone else takes the phone and presses Back.
        portal.send_request(page, javascript)
        expect(page).to_have_url(portal.url("/request/code"))
    else:
        if then == "read the safety page, left":
            # The form links to it: a person may read it halfway through.
            page.locator(".page-intro").get_by_role(
                "link", name="Staying safe while you use this site"
            ).click()
            expect(page).to_have_url(portal.url("/safety"))
        page.locator("a.leave-quickly").click()
        on_exit_site(page, exit_site)

    page.go_back()
    expect(page).to_have_url(portal.url("/request"))
    expect(page.locator("h1")).to_have_text("Ask for accompaniment or a visit")
    # Read once the page has loaded: the browser puts typed text back while loading it.
    shown = {name: page.locator(f'[name="{name}"]').input_value() for name in TYPED}
    assert shown == dict.fromkeys(TYPED, ""), f"Back shows what was typed: {shown}"
