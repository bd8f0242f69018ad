"""A reviewer's whole path in a real browser: two-step sign-in, the queue, one request
carried from "submitted" to "approved" while the requester answers on the tracking page.

The conftest's live server hides its app; this module serves its own (same settings),
so that the test can create staff accounts and read the database in the app's context.
"""

import datetime
import re
import time
from urllib.parse import parse_qs, urlsplit

import pyotp
from playwright.sync_api import expect

from portal import accounts, intake, review, vocabulary
from portal.models import Request, TimelineEvent

from portal_testing import create_staff_account
from staff_pages import CHANGED, PASSWORD, act, ask_for_information, submit_password

# ---------------------------------------------------------------- data in the app's context


def create_staff(app, email, role="reviewer"):
    with app.app_context():
        return create_staff_account(email, role, PASSWORD)


def stored_request(app, reference) -> Request:
    with app.app_context():
        return Request.get(Request.reference == reference)


def reference_of(app, code) -> str:
    with app.app_context():
        found = intake.open_with_code(code)
        assert found is not None, "the tracking code opens nothing"
        return found.reference


def transitions(app, reference) -> list[str]:
    with app.app_context():
        req = Request.get(Request.reference == reference)
        return [
            event.to_state
            for event in TimelineEvent.select()
            .where(TimelineEvent.request == req)
            .order_by(TimelineEvent.id)
        ]


def store_request(app, **overrides) -> str:
    """A request stored through intake.submit (quicker than the form); its reference."""
    fields = {
        "service": "monitoring",
        "requester_kind": "organization",
        "name": "Collectif des femmes de Ziguinchor",
        "organization": None,
        "country": "SN",
        "place": "Ziguinchor",
        "situation": "Pressure on the collective after the land dispute.",
        "asked_for": "A monitoring visit during the next village assembly.",
        "urgency": "planned",
        "start_date": datetime.date.today() + datetime.timedelta(days=40),
        "end_date": None,
        "people_count": 30,
        "languages": ["fr"],
        "other_languages": "Diola",
        "contact_channel": None,
        "contact_detail": None,
        "contact_safe": None,
    }
    fields.update(overrides)
    with app.app_context():
        return intake.submit(fields, "en").request.reference


# ---------------------------------------------------------------- what a person does in pages


def submit_colombian_emergency(portal, javascript=True) -> str:
    """A requester sends an emergency in Colombia through the real form; the code shown."""
    page = portal.new_page(java_script_enabled=javascript)
    page.goto(portal.url("/request"))
    portal.fill_request_form(page, portal.valid_values(urgency="emergency", country="CO"))
    portal.send_request(page, javascript)
    code = portal.tracking_code(page)
    page.context.close()
    return code


def enrol(page) -> tuple[str, str]:
    """On the enrolment page: read the key, answer with the current code; both."""
    expect(page).to_have_url(re.compile(r"/staff/enrol$"))
    shown = page.locator("code.secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", shown.strip()), shown
    secret = shown.replace(" ", "")
    expect(page.locator(".qr img")).to_have_attribute("src", re.compile(r"^data:image/svg"))
    form = page.locator('form[action$="/staff/enrol"]')
    code = pyotp.TOTP(secret).now()
    form.locator('input[name="code"]').fill(code)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    return secret, code


def answer_code(page, code):
    form = page.locator('form[action$="/staff/code"]')
    form.locator('input[name="code"]').fill(code)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def next_code(secret) -> str:
    """The code of the next time step: the current one may be spent already (a code works once)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def sign_in_first_time(page, email, landing) -> tuple[str, str]:
    """From the sign-in page to past the recovery codes; the TOTP secret and the code used.

    The recovery codes page leads on to `landing`, the page asked for before signing in.
    """
    expect(page).to_have_url(re.compile(r"/staff/sign-in"))
    submit_password(page, email)
    secret, used = enrol(page)
    codes = page.locator("ul.recovery-codes li")
    expect(codes).to_have_count(accounts.RECOVERY_CODES)
    assert all(
        re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", text.strip())
        for text in codes.all_inner_texts()
    )
    page.locator("main button.button-primary").click()
    expect(page).to_have_url(portal_url_of(page, landing))
    return secret, used


def portal_url_of(page, path):
    """`path` on the server `page` is on."""
    parts = urlsplit(page.url)
    return f"{parts.scheme}://{parts.netloc}{path}"


def expect_sign_in_for(page, path):
    """The sign-in page, set to bring the person back to `path` afterwards."""
    expect(page).to_have_url(re.compile(r"/staff/sign-in\?next="))
    assert parse_qs(urlsplit(page.url).query)["next"] == [path]
    expect(page.locator('form[action$="/staff/sign-in"] input[name="next"]')).to_have_value(path)


def sign_out(page):
    with page.expect_navigation():
        page.locator('form[action$="/staff/sign-out"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(r"/staff/sign-in$"))


def state_badge(page):
    return page.locator(".status-card .badge")


def add_note(page, text):
    page.locator('textarea[name="note-body"]').fill(text)
    with page.expect_navigation():
        page.locator('form[action$="/note"] button[type=submit]').click()


def requester_answers(page, answer):
    page.locator('textarea[name="body"]').fill(answer)
    with page.expect_navigation():
        page.locator("form.message-form button[type=submit]").click()
    expect(page.locator(".notice-success")).to_have_text("Your message was sent.")


def assert_nothing_internal(page, *secrets):
    html = page.content().lower()
    for secret in secrets:
        assert secret.lower() not in html, f"{secret!r} is shown to the requester"


def filter_by_country(page, country, javascript):
    page.locator('form.filters select[name="country"]').select_option(country)
    if not javascript:
        with page.expect_navigation():
            page.locator("form.filters button[type=submit]").click()


# ---------------------------------------------------------------- the tests

QUESTION = "Can the hearing of 14 May still be attended by outsiders? ¿Quién la convoca?"
ANSWER = "Yes, it is public. La convoca el juzgado de Popayán."
NOTE = "Internal: cross-check with the Cauca desk before approving (zx-4471)."
REVIEWER = "amara.okafor@network.test"


def _reviewer_flow(portal, app, javascript):
    create_staff(app, REVIEWER)
    code = submit_colombian_emergency(portal, javascript)
    colombian = reference_of(app, code)
    senegalese = store_request(app)
    assert colombian != senegalese

    reviewer = portal.new_page(java_script_enabled=javascript)
    requester = portal.new_page(java_script_enabled=javascript)

    # The queue asks for a sign-in first, then a second step set up on the spot.
    reviewer.goto(portal.url("/review/"))
    expect_sign_in_for(reviewer, "/review/")
    totp = sign_in_first_time(reviewer, REVIEWER, "/review/")

    reviewer.locator('.site-nav a[href="/review/"]').click()
    expect(reviewer).to_have_url(portal.url("/review/"))
    rows = reviewer.locator("#queue-results tbody tr")
    expect(rows).to_have_count(2)
    # Emergencies first.
    expect(rows.first).to_contain_text(colombian)

    # Filter by country: only the Colombian request stays, and the address says so.
    if javascript:
        reviewer.evaluate("window.__marker = 1")
        history = reviewer.evaluate("history.length")
    filter_by_country(reviewer, "CO", javascript)
    expect(reviewer).to_have_url(re.compile(r"/review/\?(.*&)?country=CO(&|$)"))
    expect(rows).to_have_count(1)
    expect(rows.first.locator("a.reference")).to_have_text(colombian)
    expect(reviewer.locator("#queue-results")).not_to_contain_text(senegalese)
    expect(reviewer.locator("#queue-results .results-summary")).to_have_text("1 request")
    if javascript:
        portal.wait_for_htmx(reviewer)
        assert reviewer.evaluate("window.__marker") == 1, "the filter reloaded the whole page"
        assert reviewer.evaluate("history.length") == history + 1, "the address was not pushed"

    rows.first.locator("a.reference").click()
    expect(reviewer).to_have_url(portal.url(f"/review/{colombian}"))
    expect(reviewer.locator("h1")).to_contain_text(colombian)
    expect(state_badge(reviewer)).to_have_text("Submitted")

    assert act(reviewer, "start_review").status == 303
    expect(reviewer.locator(".notice-success")).to_have_text("The review has started.")
    expect(state_badge(reviewer)).to_have_text("In review")

    assert ask_for_information(reviewer, QUESTION).status == 303
    expect(reviewer.locator(".notice-success")).to_have_text(
        "Your question was sent to the requester."
    )
    expect(state_badge(reviewer)).to_have_text("Needs information")
    expect(reviewer.locator("#messages .message-staff .user-text")).to_have_text(QUESTION)

    add_note(reviewer, NOTE)
    expect(reviewer.locator(".notice-success")).to_have_text("Your internal note was saved.")
    expect(reviewer.locator("#notes .note .user-text")).to_have_text(NOTE)

    # The requester reads the question, in words meant for them, and answers it.
    portal.open_tracking(requester, code)
    expect(requester.locator(".state")).to_have_text("Waiting for your answer")
    expect(requester.locator(".messages .message-staff .user-text")).to_have_text(QUESTION)
    assert_nothing_internal(requester, REVIEWER, "okafor", NOTE, "zx-4471")
    requester_answers(requester, ANSWER)
    expect(requester.locator(".state")).to_have_text("Being reviewed")

    return reviewer, requester, totp, colombian


def _approve_and_check(portal, app, reviewer, requester, reference):
    reviewer.reload()
    expect(reviewer.locator("#messages .message-requester .user-text")).to_have_text(ANSWER)
    expect(state_badge(reviewer)).to_have_text("In review")
    assert act(reviewer, "approve").status == 303
    expect(reviewer.locator(".notice-success")).to_have_text("The request was approved.")
    expect(state_badge(reviewer)).to_have_text("Approved")

    requester.reload()
    expect(requester.locator(".state")).to_have_text("Approved, looking for an organization")
    thread = requester.locator(".messages .message .user-text")
    expect(thread).to_have_text([QUESTION, ANSWER])
    assert_nothing_internal(requester, REVIEWER, "okafor", NOTE, "zx-4471")

    assert stored_request(app, reference).state == vocabulary.APPROVED
    assert transitions(app, reference) == [
        vocabulary.SUBMITTED,
        vocabulary.IN_REVIEW,
        vocabulary.NEEDS_INFO,
        vocabulary.IN_REVIEW,
        vocabulary.APPROVED,
    ]


def _sign_in_again(portal, page, totp, back_to):
    """Sign out; open a page; password, then a code of the next time step (the current
    step may be the one spent at enrolment: the code used there is refused now)."""
    secret, spent = totp
    sign_out(page)
    page.goto(portal.url(back_to))
    expect_sign_in_for(page, back_to)
    submit_password(page, REVIEWER)
    expect(page).to_have_url(portal.url("/staff/code"))
    answer_code(page, spent)
    expect(page.locator("#field-code .error-message")).to_have_text(
        "That code is not right, or it was used already."
    )
    answer_code(page, next_code(secret))
    expect(page).to_have_url(portal.url(back_to))


def test_reviewer_signs_in_with_totp_and_carries_a_request_to_approval(portal, live_app):
    reviewer, requester, totp, reference = _reviewer_flow(portal, live_app, javascript=True)
    _sign_in_again(portal, reviewer, totp, f"/review/{reference}")
    expect(state_badge(reviewer)).to_have_text("In review")
    _approve_and_check(portal, live_app, reviewer, requester, reference)


def test_the_same_flow_works_without_javascript(portal, live_app):
    reviewer, requester, totp, reference = _reviewer_flow(portal, live_app, javascript=False)
    _sign_in_again(portal, reviewer, totp, f"/review/{reference}")
    _approve_and_check(portal, live_app, reviewer, requester, reference)


def test_a_reviewer_whose_page_is_stale_gets_a_clear_message(portal, live_app):
    first, second = "first.reviewer@network.test", "second.reviewer@network.test"
    create_staff(live_app, first)
    create_staff(live_app, second)
    reference = store_request(live_app)
    initial = stored_request(live_app, reference).version

    pages = []
    for email in (first, second):
        page = portal.new_page()
        page.goto(portal.url(f"/review/{reference}"))
        sign_in_first_time(page, email, f"/review/{reference}")
        expect(state_badge(page)).to_have_text("Submitted")
        pages.append(page)
    one, other = pages

    assert act(one, "start_review").status == 303
    expect(state_badge(one)).to_have_text("In review")

    # The other page still shows "Submitted" and its buttons.
    expect(state_badge(other)).to_have_text("Submitted")
    answer = act(other, "start_review")
    assert answer.status == 409
    expect(other.locator("#problem")).to_have_text(CHANGED)
    expect(other.locator(".notice-success")).to_have_count(0)
    # The page is drawn again as the request is now.
    expect(state_badge(other)).to_have_text("In review")
    saved = stored_request(live_app, reference)
    assert (saved.state, saved.version) == (vocabulary.IN_REVIEW, initial + 1)
    assert transitions(live_app, reference) == [vocabulary.SUBMITTED, vocabulary.IN_REVIEW]

    # Again with approval: the first approves, the second's approval comes too late.
    assert act(one, "approve").status == 303
    expect(state_badge(one)).to_have_text("Approved")
    answer = act(other, "approve")
    assert answer.status == 409
    expect(other.locator("#problem")).to_have_text(CHANGED)
    expect(state_badge(other)).to_have_text("Approved")
    saved = stored_request(live_app, reference)
    assert (saved.state, saved.version) == (vocabulary.APPROVED, initial + 2)
    assert transitions(live_app, reference) == [
        vocabulary.SUBMITTED,
        vocabulary.IN_REVIEW,
        vocabulary.APPROVED,
    ]
    # Nothing was written on the other reviewer's behalf.
    with live_app.app_context():
        actors = {
            event.user.email
            for event in TimelineEvent.select().where(TimelineEvent.user.is_null(False))
        }
        assert actors == {first}
        assert not list(review.staff_messages(Request.get(Request.reference == reference)))
