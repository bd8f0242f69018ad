"""Whatever a person (or an attacker) types is shown back as text, never run."""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from portal import intake, review
from portal.models import Organization

from portal_testing import PASSWORD_ALONE, create_staff_account
from staff_pages import accept_offer, signed_in

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '"><img src=x onerror="window.__pwned=1">'
SVG = '<svg onload="window.__pwned=1">'
JINJA = "{{7*7}}"
JINJA_STATEMENT = "{% print 1 %}"
HTMX = '<div hx-get="/healthz" hx-trigger="load">x</div>'
JS_URL = "javascript:window.__pwned=1"
SQL = "'; DROP TABLE request; --"
SINGLE_QUOTE = "' autofocus onfocus='window.__pwned=1"
TEXTAREA_BREAK = "</textarea><script>window.__pwned=1</script>"
IFRAME = '<iframe src="javascript:window.__pwned=1"></iframe>'
STYLE = "<style>body{display:none}</style>"
ARABIC_RLO = "\u202eطلب حماية عاجل للمدافعين"
FAMILY = "👩\u200d👩\u200d👧"
ALL = [
    SCRIPT,
    IMG,
    SVG,
    JINJA,
    JINJA_STATEMENT,
    HTMX,
    JS_URL,
    SQL,
    SINGLE_QUOTE,
    TEXTAREA_BREAK,
    IFRAME,
    STYLE,
    ARABIC_RLO,
    FAMILY,
]

# Text inputs take 200 characters at most, textareas 20,000.
HOSTILE = {
    "name": [SCRIPT, SVG, FAMILY],
    "organization": [IMG, SINGLE_QUOTE],
    "place": [JINJA, JINJA_STATEMENT, SQL],
    "other_languages": [HTMX, ARABIC_RLO],
    "contact_detail": [JS_URL, IMG],
    "situation": ALL,
    "asked_for": [TEXTAREA_BREAK, HTMX, IFRAME, STYLE, ARABIC_RLO, FAMILY, SCRIPT],
}
SHORT_FIELDS = ("name", "organization", "place", "other_languages", "contact_detail")
# Where the status page shows each field back ("What you sent"): its label there.
SHOWN = {
    "name": "Name or pseudonym",
    "organization": "Organization",
    "place": "Town or area",
    "situation": "Situation",
    "asked_for": "What you asked for",
}

# Anything that would be live if some text had become markup.
INJECTED = (
    "main img, main svg, main iframe, main style, main script, main [hx-get],"
    " [onerror], [onload], [onfocus], [autofocus]"
)


def _hostile_values(portal):
    joined = {
        name: ("\n".join(parts) if name in ("situation", "asked_for") else " ".join(parts))
        for name, parts in HOSTILE.items()
    }
    for name in SHORT_FIELDS:
        assert len(joined[name]) <= 200, name
    return portal.valid_values(contact_channel="other", consent=False, **joined)


def _shown(page, label):
    """The text shown for `label` in the open "What you sent" list."""
    term = page.locator("dl.summary-list dt", has_text=re.compile(f"^{re.escape(label)}$"))
    expect(term).to_have_count(1)
    return term.locator("xpath=following-sibling::dd[1]").inner_text()


def _assert_inert(page, dialogs, bad_requests, csp_reports, where):
    assert dialogs == [], f"{where}: a dialog opened: {dialogs}"
    assert bad_requests == [], f"{where}: requests that text should never make: {bad_requests}"
    assert page.evaluate("typeof window.__pwned") == "undefined", f"{where}: a payload ran"
    injected = page.evaluate(
        "sel => [...document.querySelectorAll(sel)].map(e => e.outerHTML.slice(0, 120))",
        INJECTED,
    )
    assert injected == [], f"{where}: text became markup: {injected}"
    # The CSP stops inline scripts, but markup that even tried to run is an escaping bug.
    assert csp_reports == [], f"{where}: Content-Security-Policy blocked something: {csp_reports}"


def _watched(portal, page):
    """Record on `page` dialogs, requests text should never make and CSP reports."""
    dialogs, bad_requests, csp_reports = [], [], []

    def on_dialog(dialog):
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_request(request):
        url = request.url
        if url.startswith("data:"):
            return
        path = urlsplit(url).path
        if not portal.is_own(url) or path == "/healthz" or path.rsplit("/", 1)[-1] == "x":
            bad_requests.append(f"{request.method} {url}")

    def on_console(message):
        if "Content Security Policy" in message.text:
            csp_reports.append(message.text)

    page.on("dialog", on_dialog)
    page.on("request", on_request)
    page.on("console", on_console)
    return dialogs, bad_requests, csp_reports


def test_hostile_input_is_inert(portal):
    page = portal.new_page()
    dialogs, bad_requests, csp_reports = _watched(portal, page)

    values = _hostile_values(portal)
    page.goto(portal.url("/request"))
    portal.fill_request_form(page, values)
    portal.wait_for_htmx(page)
    # Every field went through htmx validation and came back as the same text.
    for name in HOSTILE:
        expect(page.locator(f'[name="{name}"]'), name).to_have_value(values[name])
    _assert_inert(page, dialogs, bad_requests, csp_reports, "after the field checks")

    # Sent without consent: the whole form comes back with the text in it, intact.
    portal.submit_request(page)
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#field-consent .error-message")).to_be_visible()
    expect(page.locator(".error-message")).to_have_count(1)
    for name in HOSTILE:
        expect(page.locator(f'[name="{name}"]'), name).to_have_value(values[name])
    _assert_inert(page, dialogs, bad_requests, csp_reports, "on the form with errors")

    page.locator('input[name="consent"]').check()
    portal.wait_for_htmx(page)
    portal.submit_request(page)
    code = portal.tracking_code(page)

    # The status page shows it all back as plain text.
    portal.open_tracking(page, code)
    expect(page.locator(".state")).to_be_visible()
    details = page.locator("details")
    details.locator("summary").click()
    expect(details.locator("dl.summary-list")).to_be_visible()
    for name, label in SHOWN.items():
        text = _shown(page, label)
        for payload in HOSTILE[name]:
            assert payload in text, f"{name}: {payload!r} is not shown as text in {text!r}"
    place = _shown(page, SHOWN["place"])
    assert "49" not in place, f"{{{{7*7}}}} was evaluated: {place!r}"
    _assert_inert(page, dialogs, bad_requests, csp_reports, "on the status page")

    # The same in a message, shown in the thread.
    body = "\n".join(ALL)
    page.locator('textarea[name="body"]').fill(body)
    with page.expect_navigation():
        page.locator("form.message-form button[type=submit]").click()
    message = page.locator(".messages .message-requester .user-text")
    expect(message).to_have_count(1)
    text = message.inner_text()
    for payload in ALL:
        assert payload in text, f"message: {payload!r} is not shown as text in {text!r}"
    page.locator("details summary").click()
    expect(page.locator("dl.summary-list")).to_be_visible()
    for name, label in SHOWN.items():
        text = _shown(page, label)
        for payload in HOSTILE[name]:
            assert payload in text, f"{name}: {payload!r} is not shown as text in {text!r}"
    portal.wait_for_htmx(page)
    _assert_inert(page, dialogs, bad_requests, csp_reports, "after sending a message")


# Staff sign in with a password alone here: two-step sign-in has its own tests.
@pytest.mark.app_config(**PASSWORD_ALONE)
def test_hostile_text_on_the_offer_pages_is_inert(portal, live_app):
    """The requester's words reach an organization, the organization's words reach staff:
    both ways they stay text."""
    body = "\n".join(ALL)
    with live_app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        orgs = [
            Organization.create(key=key, name=name, services="monitoring", countries="CO")
            for key, name in (("one", SVG + " One"), ("two", ARABIC_RLO))
        ]
        for org in orgs:
            create_staff_account(f"member@{org.key}.test", "org_member", organization=org)
        fields = {
            "service": "monitoring",
            "requester_kind": "individual",
            "name": SCRIPT + FAMILY,
            "organization": IMG,
            "country": "CO",
            "place": JINJA + " " + SQL,
            "situation": body,
            "asked_for": body,
            "urgency": "planned",
            "start_date": datetime.date.today() + datetime.timedelta(days=30),
            "end_date": None,
            "people_count": 2,
            "languages": ["es"],
            "other_languages": HTMX,
            "contact_channel": "other",
            "contact_detail": JS_URL,
            "contact_safe": True,
        }
        sent = intake.submit(fields, "es")
        request, code = sent.request, sent.code
        review.act(request, reviewer, "start_review", expected_version=request.version)
        review.act(request, reviewer, "approve", confirmed=True, expected_version=request.version)
        review.offer_to(
            request, ["one", "two"], reviewer, expected_version=request.version, summary=body
        )
        reference = request.reference

    # The organization that declines: the summary and the need, then a hostile reason.
    two = signed_in(portal, "member@two.test")
    watched = _watched(portal, two)
    two.locator("a.handle").click()
    expect(two.locator("main")).to_contain_text(TEXTAREA_BREAK)
    _assert_inert(two, *watched, "on the open offer page")
    two.locator("textarea[name=decline-reason]").fill(body)
    with two.expect_navigation():
        two.locator('form[action$="/decline"] button[type=submit]').click()
    _assert_inert(two, *watched, "after declining")

    # The organization that accepts reads everything the requester wrote, as text; what
    # it says of its first contact (hostile too) is shown back as text.
    one = signed_in(portal, "member@one.test")
    watched = _watched(portal, one)
    one.locator("a.handle").click()
    accept_offer(one, body)
    expect(one.locator(".notice-success")).to_contain_text("has taken on this request")
    contact = one.locator("section[aria-labelledby=contact-heading]")
    for payload in (SCRIPT, FAMILY, IMG, JS_URL, STYLE, ARABIC_RLO):
        expect(contact).to_contain_text(payload)
    told = contact.locator("p", has_text="What you told the requester about your first contact")
    plan = told.locator(".user-text").inner_text()
    for payload in ALL:
        assert payload in plan, f"contact plan: {payload!r} is not shown as text in {plan!r}"
    _assert_inert(one, *watched, "on the offer page just accepted")
    one.locator("textarea[name=update-body]").fill(body)
    with one.expect_navigation():
        one.locator('form[action$="/update"] button[type=submit]').click()
    expect(one.locator("#progress .user-text")).to_have_count(1)
    _assert_inert(one, *watched, "on the accepted offer page with an update")

    # Network staff read the reason and the update as text.
    staff = signed_in(portal, "reviewer@network.test")
    watched = _watched(portal, staff)
    staff.goto(portal.url(f"/review/{reference}"))
    for where in ("#offers", "#progress"):
        shown = staff.locator(where).inner_text()
        for payload in ALL:
            assert payload in shown, f"{where}: {payload!r} is not shown as text"
    _assert_inert(staff, *watched, "on the reviewer's request page")

    # The requester reads who will contact them, in the organization's words, as text.
    requester = portal.new_page()
    watched = _watched(portal, requester)
    portal.open_tracking(requester, code)
    who = requester.locator(".status-card .who-will-come")
    expect(who).to_contain_text(SVG + " One")
    shown = who.inner_text()
    for payload in ALL:
        assert payload in shown, f"who will come: {payload!r} is not shown as text"
    portal.wait_for_htmx(requester)
    _assert_inert(requester, *watched, "on the requester's tracking page")
