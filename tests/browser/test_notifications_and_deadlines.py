"""Notifications and deadlines in a real browser: a staff member's language and notification
settings, the time an organization has left to answer an offer, and the response time a
requester is told to expect.

With JavaScript and without: the settings page is a plain form, htmx only helps elsewhere.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from portal import i18n, notices, offers, review
from portal.models import NoticeChoice, User
from portal.vocabulary import IMMEDIATELY, IN_DIGEST, NEVER

from axe_checks import axe_problems
from portal_testing import (
    PASSWORD_ALONE,
    add_organization,
    create_staff_account,
    translated,
)
from staff_pages import signed_in, stored_emergency

REVIEWER = "reviewer@network.test"
MEMBER = "member@andes.test"
SUMMARY = "Community leaders threatened since March; accompaniment to land hearings asked."

# What the settings page calls each kind of notice, and the three timings (English).
NEW_EMERGENCY = "A new emergency request"
NEW_REQUEST = "A new request that is not an emergency"
TIMING_LABELS = {IMMEDIATELY: "Immediately", IN_DIGEST: "In the daily digest", NEVER: "Never"}
# The requester's expectation before anyone has looked at the request.
FIRST_LOOK = "Network staff aim to read requests like yours within %(time)s of their arrival."
# Babel's words for the default emergency target (24h); not from the .po catalogues.
TWENTY_FOUR_HOURS = {"en": "24 hours", "fr": "24 heures"}

# Staff sign in with a password alone here (two-step sign-in has its own browser tests).
pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


# ---------------------------------------------------------------- helpers


def served(app, msgid, lang, **variables):
    """What the portal shows for `msgid` in `lang`: its compiled translation, or English
    while there is none yet (the staff pages are still being translated)."""
    return translated(app, msgid, lang, **variables)


def store_emergency(app, **overrides):
    """An emergency stored through intake.submit (quicker than the form); the request."""
    return stored_emergency(app, **overrides)


def notice_choice(page, kind, timing):
    """The radio button of one timing for one kind of notice (by value: any language)."""
    return page.locator(f'input[type=radio][name="notice_{kind}"][value="{timing}"]')


def open_settings_from_start_page(portal, page):
    """From any staff page: the "Staff" link in the menu, then "Language and notifications"."""
    page.locator(".site-nav").get_by_role("link", name="Staff", exact=True).click()
    expect(page).to_have_url(portal.url("/staff/"))
    page.locator("main").get_by_role("link", name="Language and notifications").click()
    expect(page).to_have_url(portal.url("/staff/settings"))


def choose(page, kind_label, timing):
    """Tick a timing in the group (fieldset) of one kind of notice, by what a person reads."""
    group = page.get_by_role("group", name=kind_label, exact=True)
    group.get_by_label(TIMING_LABELS[timing], exact=True).check()


def save_settings(page):
    with page.expect_navigation():
        page.locator('main form[action$="/staff/settings"] button[type=submit]').click()


def stored_settings(app, email):
    """(the account's language, {kind: timing} as stored where it differs from the default)."""
    with app.app_context():
        user = User.by_email(email)
        rows = NoticeChoice.select().where(NoticeChoice.user == user)
        return user.locale, {row.kind: row.timing for row in rows}


# ---------------------------------------------------------------- settings


def test_a_reviewer_chooses_french_and_when_to_hear_and_both_are_kept(portal, live_app):
    with live_app.app_context():
        create_staff_account(REVIEWER, "reviewer")
    page = signed_in(portal, REVIEWER)
    expect(page).to_have_url(portal.url("/review/"))
    html, switcher = page.locator("html"), page.locator("#lang-switcher")
    # No language chosen yet: English from the browser; a button for each other language
    # (a button, so that the words of a form being written go along).
    expect(html).to_have_attribute("lang", "en")
    expect(switcher.locator("button[lang]")).to_have_count(2)

    open_settings_from_start_page(portal, page)
    expect(page.locator("h1")).to_have_text("Your settings")
    language = page.get_by_label("Language of your pages and notifications")
    expect(language).to_have_value("")
    # The defaults: emergencies at once, other new requests in the digest.
    expect(notice_choice(page, "new_emergency", IMMEDIATELY)).to_be_checked()
    expect(notice_choice(page, "new_request", IN_DIGEST)).to_be_checked()

    language.select_option(label="Français")
    choose(page, NEW_EMERGENCY, NEVER)
    choose(page, NEW_REQUEST, IMMEDIATELY)
    save_settings(page)

    # The answer is already in French.
    expect(page).to_have_url(portal.url("/staff/settings"))
    expect(html).to_have_attribute("lang", "fr")
    expect(page.locator(".notice-success")).to_have_text(
        served(live_app, "Your settings were saved.", "fr")
    )

    def french(msgid):
        text = served(live_app, msgid, "fr")
        assert text != msgid, f"{msgid!r} has no French in the compiled catalogue"
        return text

    def shows_the_choices_in_french():
        expect(html).to_have_attribute("lang", "fr")
        # The heading, the menu and a timing, as the French catalogue words them.
        expect(page.locator("h1")).to_have_text(french("Your settings"))
        expect(page.locator(".site-nav")).to_contain_text(french("Review queue"))
        expect(page.locator(".site-nav")).not_to_contain_text("Review queue")
        expect(page.locator('label[for="notice_new_emergency-2"]')).to_have_text(french("Never"))
        expect(
            page.get_by_label(served(live_app, "Language of your pages and notifications", "fr"))
        ).to_have_value("fr")
        expect(notice_choice(page, "new_emergency", NEVER)).to_be_checked()
        expect(notice_choice(page, "new_request", IMMEDIATELY)).to_be_checked()
        # The kinds left alone keep their defaults.
        expect(notice_choice(page, "requester_answer", IN_DIGEST)).to_be_checked()
        expect(notice_choice(page, "offers_ended", IMMEDIATELY)).to_be_checked()
        # The header says the account's language; its buttons change that setting.
        expect(switcher.locator("[aria-current]")).to_have_text("Français")
        expect(switcher.locator("button[lang]")).to_have_count(2)
        expect(switcher.locator("a[hreflang]")).to_have_count(0)

    shows_the_choices_in_french()
    page.reload()
    expect(page.locator(".notice-success")).to_have_count(0)
    shows_the_choices_in_french()

    # Another staff page: French too; the header's Spanish changes the account's language.
    page.goto(portal.url("/review/"))
    expect(html).to_have_attribute("lang", "fr")
    with page.expect_navigation():
        switcher.locator("button[lang=es]").click()
    expect(html).to_have_attribute("lang", "es")
    with live_app.app_context():
        assert User.by_email(REVIEWER).locale == "es"
    with page.expect_navigation():
        switcher.locator("button[lang=fr]").click()
    expect(html).to_have_attribute("lang", "fr")
    page.goto(portal.url("/staff/settings"))
    expect(notice_choice(page, "new_emergency", NEVER)).to_be_checked()

    # Stored: French, and only the two choices that differ from the defaults.
    assert stored_settings(live_app, REVIEWER) == (
        "fr",
        {"new_emergency": NEVER, "new_request": IMMEDIATELY},
    )
    # And they rule who is told: nobody hears of an emergency, the reviewer hears of a
    # request that is not an emergency at once instead of in the digest.
    with live_app.app_context():
        user = User.by_email(REVIEWER)
        assert notices.timings(user)["new_emergency"] == NEVER
        assert notices.to_reviewers("new_emergency") == 0
        assert notices.to_reviewers("new_request") == 1
        owed = list(user.notices)
        assert [notice.kind for notice in owed] == ["new_request"]
        assert owed[0].due_at <= owed[0].created_at


def test_without_javascript_the_settings_are_saved_too(portal, live_app):
    with live_app.app_context():
        create_staff_account(REVIEWER, "reviewer")
    page = signed_in(portal, REVIEWER, javascript=False)
    open_settings_from_start_page(portal, page)
    page.get_by_label("Language of your pages and notifications").select_option(label="Français")
    choose(page, NEW_EMERGENCY, IN_DIGEST)
    choose(page, "A request is past its response time", NEVER)
    save_settings(page)

    expect(page).to_have_url(portal.url("/staff/settings"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".notice-success")).to_have_text(
        served(live_app, "Your settings were saved.", "fr")
    )
    expect(notice_choice(page, "new_emergency", IN_DIGEST)).to_be_checked()
    expect(notice_choice(page, "overdue", NEVER)).to_be_checked()
    assert stored_settings(live_app, REVIEWER) == (
        "fr",
        {"new_emergency": IN_DIGEST, "overdue": NEVER},
    )

    # Back to the browser's language (the first option): English, and the switcher again.
    page.locator('select[name="language"]').select_option("")
    save_settings(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".notice-success")).to_have_text("Your settings were saved.")
    expect(page.locator("#lang-switcher button[lang]")).to_have_count(2)
    expect(notice_choice(page, "new_emergency", IN_DIGEST)).to_be_checked()
    assert stored_settings(live_app, REVIEWER) == (
        None,
        {"new_emergency": IN_DIGEST, "overdue": NEVER},
    )


# ---------------------------------------------------------------- offers


def test_an_organization_member_sees_when_the_offer_was_made_and_how_long_is_left(portal, live_app):
    with live_app.app_context():
        andes = add_organization("andes", name="Acompañamiento Andino")
        reviewer = create_staff_account(REVIEWER, "reviewer")
        create_staff_account(MEMBER, "org_member", organization=andes)
    req = store_emergency(live_app)
    with live_app.app_context():
        review.act(req, reviewer, "start_review", expected_version=req.version)
        review.act(req, reviewer, "approve", confirmed=True, expected_version=req.version)
        (offer,) = offers.offer(
            req, [andes], reviewer, expected_version=req.version, summary=SUMMARY
        )
    # As the member's English page writes them: when it was offered, and 12 hours later
    # (emergency offers lapse after 12 hours unless PORTAL_OFFER_EXPIRY says otherwise).
    with live_app.test_request_context():
        offered_on = i18n.moment(offer.created_at)
        answer_by = i18n.moment(offer.created_at + datetime.timedelta(hours=12))

    page = signed_in(portal, MEMBER)
    expect(page).to_have_url(portal.url("/org/"))
    waiting = page.locator("section[aria-labelledby=waiting-heading] table")
    headings = waiting.locator("thead th")
    expect(headings).to_contain_text(["Offered on", "Time to answer"])
    columns = headings.all_inner_texts()
    row = waiting.locator("tbody tr", has=page.locator("a.handle", has_text=offer.handle))
    expect(row).to_have_count(1)
    cells = row.locator("th, td")
    expect(cells.nth(columns.index("Offered on (UTC)"))).to_have_text(offered_on)
    # Seconds after the offer: 11 h 59 min and some seconds, which Babel rounds to 12 hours.
    expect(cells.nth(columns.index("Time to answer"))).to_have_text(
        re.compile(r"^\s*1[12] hours left\s*$")
    )

    row.locator("a.handle").click()
    expect(page).to_have_url(portal.url(f"/org/offers/{offer.handle}"))
    status = page.locator("main")
    expect(status).to_contain_text(f"Please answer by {answer_by} (UTC).")
    expect(status).to_contain_text(re.compile(r"\b1[12] hours left\b"))
    expect(page.locator("form[action$='/accept']")).to_be_visible()


# ---------------------------------------------------------------- the requester


@pytest.mark.parametrize(
    ("lang", "javascript"), [("en", True), ("fr", False)], ids=["en-js", "fr-no-js"]
)
def test_the_requester_is_told_how_soon_staff_aim_to_read_the_request(
    portal, live_app, lang, javascript
):
    expected = served(live_app, FIRST_LOOK, lang, time=TWENTY_FOUR_HOURS[lang])
    page = portal.new_page(java_script_enabled=javascript)
    html = page.locator("html")
    page.goto(portal.url("/request", lang))
    expect(html).to_have_attribute("lang", lang)
    portal.fill_request_form(page, portal.valid_values(urgency="emergency"))
    portal.send_request(page, javascript)
    code = portal.tracking_code(page)

    # The code page.
    expected_time = page.locator("#expected-time")
    expect(expected_time).to_have_text(expected)
    expect(expected_time).to_contain_text(TWENTY_FOUR_HOURS[lang])
    expect(html).to_have_attribute("lang", lang)

    # The person confirms they kept the code and reaches the tracking page, where the
    # code opens the request (the language is remembered).
    page.locator('input[name="kept"]').fill(code[-4:])
    with page.expect_navigation():
        page.get_by_role("button", name=served(live_app, "I have kept my code", lang)).click()
    expect(page).to_have_url(portal.url("/track"))
    portal.open_tracking(page, code)
    expect(page.locator(".state-submitted")).to_be_visible()
    expect(html).to_have_attribute("lang", lang)
    expect(page.locator(".status-card #expected-time")).to_have_text(expected)


# ---------------------------------------------------------------- accessibility


def test_the_settings_page_is_accessible(portal, live_app):
    with live_app.app_context():
        andes = add_organization("andes", name="Acompañamiento Andino")
        create_staff_account(REVIEWER, "reviewer")
        create_staff_account(MEMBER, "org_member", organization=andes)
    found = []

    reviewer = signed_in(portal, REVIEWER)
    reviewer.goto(portal.url("/staff/settings"))
    expect(reviewer.get_by_role("group")).to_have_count(8)  # a group per kind of notice
    found += axe_problems(reviewer, "reviewer's settings (en)")

    reviewer.get_by_label("Language of your pages and notifications").select_option("fr")
    choose(reviewer, NEW_EMERGENCY, NEVER)
    save_settings(reviewer)
    expect(reviewer.locator("html")).to_have_attribute("lang", "fr")
    expect(reviewer.locator(".notice-success")).to_be_visible()
    found += axe_problems(reviewer, "reviewer's settings just saved (fr)")

    member = signed_in(portal, MEMBER)
    member.goto(portal.url("/staff/settings"))
    # New offers, offers about to lapse, the requester writing: one group of choices each.
    expect(member.get_by_role("group")).to_have_count(3)
    found += axe_problems(member, "organization member's settings (en)")

    assert found == [], "\n".join(found)
