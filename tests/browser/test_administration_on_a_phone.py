"""Administration in Chromium, at 360 px and 1280 px, with JavaScript on and off: the staff
accounts and the organizations as cards on a phone (role and actions in view, nothing to
scroll sideways), deactivating and archiving behind a required tick reached from the error
summary, languages ticked by name, members moved; axe on every changed page in three
languages.
"""

import pytest
from playwright.sync_api import expect

from portal.models import Organization, User

from axe_checks import axe_problems
from portal_testing import PASSWORD_ALONE, add_organization, create_staff_account
from staff_pages import PASSWORD, PHONE, WIDE, no_sideways_scrolling, submit_password

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

LANGUAGES = ("en", "fr", "es")
ADMIN = "admin@network.test"
REVIEWER = "reviewer@network.test"
MEMBER = "member@andes.test"


@pytest.fixture
def network(live_app):
    """An administrator, a reviewer, a member of Andes; Andes and Sahel in service (Andes
    with a long name and three languages), Gone Watch archived. Uids by email."""
    with live_app.app_context():
        andes = add_organization(
            "andes",
            name="Acompañamiento Andino para la Protección de Defensoras y Defensores",
            languages="es,qu,rw",
            regions="latin_america_caribbean",
        )
        add_organization("sahel", name="Sahel Visits", countries="SN", languages="fr,wo")
        add_organization("gone", name="Gone Watch")
        Organization.update(archived_at=Organization.created_at).where(
            Organization.key == "gone"
        ).execute()
        accounts = [
            create_staff_account(ADMIN, "admin", PASSWORD),
            create_staff_account(REVIEWER, "reviewer", PASSWORD),
            create_staff_account(MEMBER, "org_member", PASSWORD, organization=andes),
        ]
        return {account.email: account.uid for account in accounts}


def admin_page(portal, viewport=WIDE, javascript=True, lang=None):
    page = portal.new_page(viewport=viewport, java_script_enabled=javascript)
    page.goto(portal.url("/staff/sign-in", lang))
    submit_password(page, ADMIN, PASSWORD)
    expect(page).to_have_url(portal.url("/admin/accounts"))
    return page


def within_the_screen(locator, where, width=PHONE["width"]):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box is not None, f"{where}: not drawn"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, f"{where}: {box}"


def stored(live_app, email):
    with live_app.app_context():
        return User.get(User.email == email)


def archived(live_app, key):
    with live_app.app_context():
        return Organization.get(Organization.key == key).archived_at is not None


# ---------------------------------------------------------------- accounts


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_accounts_on_a_phone_then_a_deactivation_fixed_from_the_summary(
    portal, live_app, network, javascript
):
    page = admin_page(portal, PHONE, javascript)

    # Each account a card: its address, role and every action inside the screen.
    rows = page.locator("table.card-table tbody tr")
    expect(rows).to_have_count(3)
    # The column headings are for screen readers only: each cell names its column.
    assert page.locator("table.card-table thead").bounding_box()["width"] <= 1
    for index in range(3):
        row = rows.nth(index)
        within_the_screen(row.locator("th"), f"row {index}: address")
        within_the_screen(row.locator("td").first, f"row {index}: role")
        for link in row.locator(".action-links a, .action-links button").all():
            within_the_screen(link, f"row {index}: {link.inner_text()}")
    member_row = rows.filter(has_text=MEMBER)
    expect(member_row.locator("td").first).to_contain_text("Organization member")
    expect(member_row.locator("td").first).to_contain_text("Acompañamiento Andino")
    no_sideways_scrolling(page, "accounts on a phone")

    # Deactivate the reviewer: a page that asks first.
    with page.expect_navigation():
        rows.filter(has_text=REVIEWER).locator("a", has_text="Deactivate").click()
    expect(page).to_have_url(portal.url(f"/admin/accounts/{network[REVIEWER]}/deactivate"))
    no_sideways_scrolling(page, "deactivation on a phone")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(page.locator("#field-confirm .error-message")).to_have_text("Tick this box to confirm.")
    assert stored(live_app, REVIEWER).active

    summary.locator('a[href="#confirm"]').click()
    box = page.locator("#confirm")
    expect(box).to_be_in_viewport()
    box.check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(portal.url("/admin/accounts"))
    expect(page.locator(".notice-success")).to_contain_text("deactivated")
    assert not stored(live_app, REVIEWER).active

    # At 1280 px the same list is a table with its column headings.
    page.set_viewport_size(WIDE)
    expect(page.locator("table.card-table thead")).to_be_visible()
    expect(page.locator("table.card-table thead th")).to_have_count(6)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_moved_on_a_phone(portal, live_app, network, javascript):
    page = admin_page(portal, PHONE, javascript)
    member = page.locator("table.card-table tbody tr", has_text=MEMBER)

    with page.expect_navigation():
        member.locator("a", has_text="Move").click()
    options = page.locator('select[name="organization"] option')
    expect(options).to_have_count(2)  # "Choose", then Sahel: not Andes, not the archived one
    page.locator('select[name="organization"]').select_option("sahel")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#field-confirm .error-message")).to_be_visible()
    expect(page.locator('select[name="organization"]')).to_have_value("sahel")  # kept
    assert stored(live_app, MEMBER).organization.key == "andes"

    page.locator("#error-summary a").click()
    page.locator("#confirm").check()
    no_sideways_scrolling(page, "move on a phone")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(portal.url("/admin/accounts"))
    assert stored(live_app, MEMBER).organization.key == "sahel"
    expect(page.locator("table.card-table tbody tr", has_text=MEMBER)).to_contain_text(
        "Sahel Visits"
    )


# ---------------------------------------------------------------- organizations


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_organizations_on_a_phone_languages_by_name_then_archived(
    portal, live_app, network, javascript
):
    page = admin_page(portal, PHONE, javascript)
    page.goto(portal.url("/admin/organizations"))

    cards = page.locator("table.card-table tbody tr")
    expect(cards).to_have_count(2)  # in service only
    for index in range(2):
        within_the_screen(cards.nth(index).locator("th a"), f"card {index}: name")
        within_the_screen(cards.nth(index).locator("td").last, f"card {index}: directory")
    no_sideways_scrolling(page, "organizations on a phone")

    # A new organization: languages ticked by name, the rarer ones behind disclosures.
    page.locator("main a.button-primary").click()
    languages = page.locator("#field-languages")
    expect(languages.locator('label[for="languages-0"]')).to_be_visible()
    more = languages.locator("details.more-choices").first
    nested = languages.locator("details.more-choices-nested")
    expect(languages.get_by_label("Quechua")).to_be_hidden()
    more.locator("> summary").click()
    languages.get_by_label("Quechua").check()
    nested.locator("> summary").click()
    languages.get_by_label("Kinyarwanda").check()
    languages.get_by_label("Spanish").check()
    expect(page.locator("#public")).not_to_be_checked()  # out of the directory unless said
    page.locator("#key").fill("lakes")
    page.locator("#name").fill("Great Lakes Presence")
    page.get_by_label("Protective accompaniment").check()
    page.locator("#capacity").fill("4")
    no_sideways_scrolling(page, "new organization on a phone")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(portal.url("/admin/organizations"))
    with live_app.app_context():
        lakes = Organization.get(Organization.key == "lakes")
        assert sorted(lakes.language_codes) == ["es", "qu", "rw"]
        assert lakes.public is False

    # Archive Sahel: the tick first, reached from the summary.
    page.goto(portal.url("/admin/organizations/sahel"))
    with page.expect_navigation():
        page.locator("main a", has_text="Archive the organization").click()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#field-confirm .error-message")).to_be_visible()
    assert not archived(live_app, "sahel")
    page.locator("#error-summary a").click()
    page.locator("#confirm").check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert archived(live_app, "sahel")
    expect(page.locator("table.card-table tbody tr", has_text="Sahel")).to_have_count(0)
    page.locator(".counts a", has_text="Archived").click()
    gone = page.locator("table.card-table tbody tr", has_text="Sahel Visits")
    expect(gone.locator(".badge-archived")).to_be_visible()
    within_the_screen(gone.locator(".badge-archived"), "archived badge")
    no_sideways_scrolling(page, "archived organizations on a phone")


# ---------------------------------------------------------------- axe, three languages


def pages_to_check(network):
    reviewer, member = network[REVIEWER], network[MEMBER]
    return [
        ("staff accounts", "/admin/accounts", None),
        ("deactivation", f"/admin/accounts/{reviewer}/deactivate", None),
        ("deactivation without the tick", f"/admin/accounts/{reviewer}/deactivate", "submit"),
        ("move", f"/admin/accounts/{member}/move", None),
        ("move with errors", f"/admin/accounts/{member}/move", "submit"),
        ("reset confirmation", f"/admin/accounts/{reviewer}/reset", None),
        ("organizations", "/admin/organizations", None),
        ("archived organizations", "/admin/organizations?archived=1", None),
        ("new organization with errors", "/admin/organizations/new", "submit"),
        ("organization with languages", "/admin/organizations/andes", None),
        ("archived organization", "/admin/organizations/gone", None),
        ("archive", "/admin/organizations/andes/archive", None),
        ("archive without the tick", "/admin/organizations/andes/archive", "submit"),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_changed_administration_pages_pass_axe_at_both_widths(portal, live_app, network, lang):
    page = admin_page(portal, WIDE, lang=lang)
    problems = []

    for where, path, then in pages_to_check(network):
        page.set_viewport_size(WIDE)
        page.goto(portal.url(path))
        if then == "submit":
            with page.expect_navigation():
                page.locator("main form button[type=submit]").last.click()
            expect(page.locator("#error-summary")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems += axe_problems(page, f"{where} ({lang}, 1280 px)")
        page.set_viewport_size(PHONE)
        problems += axe_problems(page, f"{where} ({lang}, 360 px)")
        sizes = page.evaluate(
            "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        if sizes["scroll"] > sizes["inner"]:
            problems.append(f"{where} ({lang}): {sizes['scroll']}px wide at 360 px")

    assert problems == [], "\n".join(problems)
