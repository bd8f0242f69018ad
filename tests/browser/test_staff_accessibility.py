"""axe-core, and a 360 px wide screen, on every page network staff see, in every language.

The staff pages are being translated: nothing here depends on their French or
Spanish wording. The one message checked by its text is compared with what the
compiled catalogue (the one the portal serves) gives for it.

The conftest's live server hides its app; this module serves its own (same settings),
so that the test can create accounts and requests in the app's context.
"""

import functools
import re
import time

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from babel.support import Translations
from playwright.sync_api import expect

from portal import accounts, intake, review, vocabulary
from portal.models import User

from portal_testing import TRANSLATIONS, add_organization
from staff_pages import (
    CHANGED,
    PASSWORD,
    accept_offer,
    act,
    ask_for_information,
    stored_emergency,
    submit_password,
)

LANGUAGES = ("en", "fr", "es")
BLOCKING = ("serious", "critical")
WIDE = {"width": 1280, "height": 800}
SMALL = {"width": 360, "height": 740}
ADMIN = "admin@network.test"

_axe = Axe()


# ---------------------------------------------------------------- helpers


@functools.cache
def _served_catalogue(lang):
    return Translations.load(str(TRANSLATIONS), [lang])


def served(lang, msgid):
    """What the portal shows for `msgid` in `lang`: the compiled translation, or the
    English text while there is none yet (as gettext does)."""
    return _served_catalogue(lang).gettext(msgid)


def store_request(app, **overrides) -> str:
    return stored_emergency(app, **overrides).reference


def submit_code(page, form_path, code):
    form = page.locator(f'form[action$="{form_path}"]')
    form.locator('input[name="code"]').fill(code)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


_OVERFLOW = """() => {
  const width = window.innerWidth;
  // Inside a scrolling box (a wide table's wrapper), only what is positioned out of it
  // can widen the page; elsewhere anything past the edge does.
  const inScroller = e => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [...document.body.querySelectorAll("*")]
    .filter(e => !e.classList.contains("skip-link"))
    .filter(e => {
      const box = e.getBoundingClientRect();
      return box.right > width + 0.5 || box.left < -0.5;
    })
    .filter(e => !inScroller(e) || ["absolute", "fixed"].includes(getComputedStyle(e).position))
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
      + (typeof e.className === "string" && e.className.trim()
         ? "." + e.className.trim().split(/\\s+/).join(".") : "")
      + ` (position: ${getComputedStyle(e).position}, right edge at `
      + `${Math.round(e.getBoundingClientRect().right)}px)`);
  return {scroll: document.documentElement.scrollWidth, inner: width, wide};
}"""


class Checks:
    """Runs axe and the small-screen check on each page; keeps what fails, to report all."""

    def __init__(self, page, lang):
        self.page, self.lang = page, lang
        self.found: list[str] = []
        self.checked: list[str] = []

    def __call__(self, where):
        page = self.page
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        self.checked.append(where)
        for violation in _axe.run(page).response["violations"]:
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]]
                self.found.append(
                    f"{where}: axe {violation['id']} ({violation['impact']}) on {targets}"
                )
        page.set_viewport_size(SMALL)
        try:
            sizes = page.evaluate(_OVERFLOW)
        finally:
            page.set_viewport_size(WIDE)
        if sizes["scroll"] > sizes["inner"]:
            self.found.append(
                f"{where}: {sizes['scroll']}px wide at {sizes['inner']}px, so it scrolls "
                f"sideways; too wide: {sizes['wide']}"
            )

    def assert_clean(self):
        assert self.found == [], (
            f"{len(self.found)} problems on staff pages ({self.lang}):\n" + "\n".join(self.found)
        )


# ---------------------------------------------------------------- the test


@pytest.mark.parametrize("lang", LANGUAGES)
# The administrator reviews here too: on this portal, administrators hold the network's key
# (PORTAL_ADMINS_HOLD_NETWORK_KEY), so its request page shows the internal notes.
@pytest.mark.app_config(ADMINS_HOLD_NETWORK_KEY=True)
def test_staff_pages_are_accessible_and_fit_small_screens(portal, live_app, lang):
    with live_app.app_context():
        accounts.create_user(ADMIN, "admin", PASSWORD)
        accounts.create_user("other.reviewer@network.test", "reviewer", PASSWORD)
    page = portal.new_page(viewport=WIDE)
    check = Checks(page, lang)

    # Sign-in, first time: password, enrolment, recovery codes. ?lang= once, then the cookie.
    page.goto(portal.url("/staff/sign-in", lang))
    expect(page.locator('form[action$="/staff/sign-in"]')).to_be_visible()
    check("sign-in page")

    submit_password(page, ADMIN, "not the right password at all")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#field-password .error-message")).to_be_visible()
    check("sign-in page with an error")

    submit_password(page, ADMIN)
    expect(page).to_have_url(portal.url("/staff/enrol"))
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    check("enrol page")

    submit_code(page, "/staff/enrol", pyotp.TOTP(secret).now())
    expect(page.locator("ul.recovery-codes li")).to_have_count(accounts.RECOVERY_CODES)
    check("recovery codes page")

    page.locator("main button.button-primary").click()
    # No page was asked for before signing in: an administrator starts with the accounts.
    expect(page).to_have_url(portal.url("/admin/accounts"))

    # Later sign-ins: the code page (with the next step's code: the current one is spent).
    with page.expect_navigation():
        page.locator('form[action$="/staff/sign-out"] button[type=submit]').click()
    submit_password(page, ADMIN)
    expect(page).to_have_url(portal.url("/staff/code"))
    check("code page")
    submit_code(page, "/staff/code", pyotp.TOTP(secret).at(time.time() + 30))

    # Administration.
    expect(page).to_have_url(portal.url("/admin/accounts"))
    expect(page.locator("table.data-table tbody tr")).to_have_count(2)
    check("staff accounts page")

    create = page.locator('form[action$="/admin/accounts"]')
    create.locator('input[name="email"]').fill("new.reviewer@network.test")
    create.locator('select[name="role"]').select_option("reviewer")
    with page.expect_navigation():
        create.locator("button[type=submit]").click()
    expect(page.locator("#new-password")).to_have_text(re.compile(r"\S{20,}"))
    check("new account's password page")

    page.goto(portal.url("/admin/audit?category=all"))
    expect(page.locator("#audit-results tbody tr").first).to_be_visible()
    check("audit trail page, every category")

    # The review queue: empty, with results, filtered by htmx.
    page.goto(portal.url("/review/"))
    expect(page.locator("form.filters")).to_be_visible()
    expect(page.locator("#queue-results tbody tr")).to_have_count(0)
    check("empty review queue")

    reference = store_request(live_app)
    store_request(
        live_app,
        country="SN",
        place="Ziguinchor",
        urgency="planned",
        name="Collectif des femmes de Ziguinchor",
        languages=["fr"],
    )
    page.reload()
    rows = page.locator("#queue-results tbody tr")
    expect(rows).to_have_count(2)
    check("review queue with results")

    page.evaluate("window.__marker = 1")
    page.locator('form.filters select[name="country"]').select_option("CO")
    expect(page).to_have_url(re.compile(r"[?&]country=CO(&|$)"))
    expect(rows).to_have_count(1)
    portal.wait_for_htmx(page)
    assert page.evaluate("window.__marker") == 1, "the filter reloaded the page"
    check("review queue after an htmx filter")

    # A request with a timeline, messages both ways, a note and the action forms.
    rows.first.locator("a.reference").click()
    expect(page).to_have_url(portal.url(f"/review/{reference}"))
    assert act(page, "start_review").status == 303
    asked = ask_for_information(page, "Can the hearing still be attended by outsiders?")
    assert asked.status == 303
    expect(page.locator("#messages .message-staff")).to_have_count(1)
    with live_app.app_context():
        intake.add_information(review.find(reference), "Yes, it is public.")
    page.locator('textarea[name="note-body"]').fill("Cross-check with the Cauca desk.")
    with page.expect_navigation():
        page.locator('form[action$="/note"] button[type=submit]').click()
    expect(page.locator("#messages .message")).to_have_count(2)
    expect(page.locator("#notes .note")).to_have_count(1)
    expect(page.locator(".timeline li")).to_have_count(4)
    for action in ("approve", "reject"):
        expect(page.locator(f"form.action-{action}")).to_be_visible()
    expect(page.locator("#message-ask")).to_be_visible()
    expect(page.locator("form.action-reject select[name='reason']")).to_be_visible()
    check("request page with timeline, messages, notes and action forms")

    # Refused: a question left empty.
    assert ask_for_information(page, "").status == 422
    expect(page.locator("#messages .error-summary")).to_be_visible()
    expect(page.locator("#field-message-body .error-message")).to_be_visible()
    check("request page after a refused question (422, words missing)")

    # Refused: approving without the tick.
    assert act(page, "approve", confirm=False).status == 422
    expect(page.locator("form.action-approve .error-summary")).to_be_visible()
    expect(page.locator("#confirm-approve-error")).to_be_visible()
    check("request page after a refused action (422, not confirmed)")

    # Refused: someone else decided meanwhile.
    with live_app.app_context():
        req = review.find(reference)
        other = User.by_email("other.reviewer@network.test")
        review.act(req, other, "approve", confirmed=True, expected_version=req.version)
    assert act(page, "approve").status == 409
    expect(page.locator("#problem")).to_have_text(served(lang, CHANGED))
    check("request page after a refused action (409, changed meanwhile)")

    assert len(check.checked) == 15
    check.assert_clean()


def signed_in_first_time(portal, email, lang):
    """A new page with `email` signed in: password, two-step enrolment, recovery codes."""
    page = portal.new_page(viewport=WIDE)
    page.goto(portal.url("/staff/sign-in", lang))
    submit_password(page, email)
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    submit_code(page, "/staff/enrol", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.locator("main button.button-primary").click()
    return page


@pytest.mark.parametrize("lang", LANGUAGES)
def test_offer_pages_are_accessible_and_fit_small_screens(portal, live_app, lang):
    from portal import offers
    from portal.models import Organization

    reviewer_email, member_email = "reviewer@network.test", "member@andes.test"
    with live_app.app_context():
        andes = add_organization("andes", name="Acompañamiento Andino")
        Organization.create(key="other", name="Otra", services="accompaniment", capacity=1)
        reviewer = accounts.create_user(reviewer_email, "reviewer", PASSWORD)
        accounts.create_user(member_email, "org_member", PASSWORD, organization=andes)
    reference = store_request(live_app)
    with live_app.app_context():
        req = review.find(reference)
        review.act(req, reviewer, "start_review", expected_version=req.version)
        review.act(req, reviewer, "approve", confirmed=True, expected_version=req.version)

    # The reviewer's page of an approved request: ranked matches and the offer form.
    staff = signed_in_first_time(portal, reviewer_email, lang)
    check = Checks(staff, lang)
    staff.goto(portal.url(f"/review/{reference}"))
    form = staff.locator('form[action$="/offer"]')
    with staff.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(staff.locator("#summary-error")).to_be_visible()
    check("request page with the offer form refused (nothing chosen)")
    staff.locator("input[value=andes]").check()
    staff.locator("textarea[name=summary]").fill("Leaders threatened; accompaniment asked.")
    with staff.expect_navigation():
        staff.locator('form[action$="/offer"] button[type=submit]').click()
    expect(staff.locator("#offers li")).to_have_count(1)

    # The member's inbox and offer page: open, refused decline, accepted with contact.
    member = signed_in_first_time(portal, member_email, lang)
    check_member = Checks(member, lang)
    expect(member).to_have_url(portal.url("/org/"))
    check_member("inbox with an offer waiting")
    member.locator("a.handle").click()
    check_member("offer page, open")
    with member.expect_navigation():
        member.locator('form[action$="/decline"] button[type=submit]').click()
    expect(member.locator("#decline-reason-error")).to_be_visible()
    check_member("offer page with a decline refused (no reason)")
    accept_offer(member, "")
    expect(member.locator("#accept-contact_plan-error")).to_be_visible()
    check_member("offer page with an acceptance refused (no contact plan)")
    accept_offer(member)
    expect(member.locator("section[aria-labelledby=contact-heading]")).to_be_visible()
    expect(member.locator(".verification-phrase p.phrase")).to_be_visible()
    with member.expect_navigation():
        member.locator('form[action$="/start"] button[type=submit]').click()
    expect(member.locator("#confirm-error")).to_be_visible()
    check_member("offer page with 'under way' refused (not ticked)")
    member.locator("#confirm").check()
    member.locator('input[name=rhythm][value="24"]').check()  # every day
    with member.expect_navigation():
        member.locator('form[action$="/start"] button[type=submit]').click()
    member.locator("textarea[name=update-body]").fill("First visit done.")
    with member.expect_navigation():
        member.locator('form[action$="/update"] button[type=submit]').click()
    check_member("offer page, accepted, under way, with an update")
    member.goto(portal.url("/org/"))
    check_member("inbox with a request taken on")

    with live_app.app_context():
        assert offers.progress_updates(review.find(reference)).count() == 1
        assert review.find(reference).state == vocabulary.ACTIVE
    staff.reload()
    expect(staff.locator("#progress .note")).to_have_count(1)
    check("request page with offers and a progress update")

    assert len(check.checked) + len(check_member.checked) == 9
    check.assert_clean()
    check_member.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_organization_admin_pages_are_accessible_and_fit_small_screens(portal, live_app, lang):

    with live_app.app_context():
        accounts.create_user(ADMIN, "admin", PASSWORD)
        add_organization(
            "andes",
            name="Acompañamiento Andino",
            services="accompaniment,monitoring",
            regions="latin_america_caribbean",
            countries="CO,PE",
            languages="es,qu",
        )
    page = signed_in_first_time(portal, ADMIN, lang)
    check = Checks(page, lang)

    page.goto(portal.url("/admin/organizations"))
    expect(page.locator("table.data-table tbody tr")).to_have_count(1)
    check("organizations list")

    page.locator("main a.button-primary").click()
    expect(page).to_have_url(portal.url("/admin/organizations/new"))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    check("new organization form with errors")

    page.goto(portal.url("/admin/organizations/andes"))
    expect(page.locator("details.country-group[open]")).to_have_count(1)
    expect(page.locator("#countries-CO")).to_be_checked()
    check("organization edit form")

    page.locator('input[name="capacity"]').fill("5")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(portal.url("/admin/organizations"))
    expect(page.locator("table.data-table tbody td.numeric").first).to_have_text("0 / 5")

    assert len(check.checked) == 3
    check.assert_clean()
