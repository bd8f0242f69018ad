"""The public directory of organizations, as a person sees it in a browser."""

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from portal import organizations

DEMO = Path(__file__).resolve().parents[2] / "portal" / "data" / "demo-organizations.csv"


@pytest.fixture
def directory(live_app, portal):
    with live_app.app_context():
        organizations.import_csv(DEMO.read_text(encoding="utf-8-sig"), demo=True)
    return portal


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_directory_is_accessible_and_fits_a_small_screen(directory, lang):
    page = directory.new_page(viewport={"width": 360, "height": 740})
    page.goto(directory.url("/organizations", lang))
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator(".org-list").first).to_be_visible()
    results = Axe().run(page)
    blocking = [
        (violation["id"], [node["target"] for node in violation["nodes"]])
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert blocking == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_filtering_by_region_swaps_only_the_results(directory):
    page = directory.new_page()
    page.goto(directory.url("/organizations"))
    page.evaluate("window.__marker = 1")
    all_groups = page.locator("#directory-results h2").count()
    assert all_groups == 6
    page.locator('select[name="region"]').select_option("africa")
    expect(page.locator("#directory-results h2")).to_have_count(1)
    expect(page).to_have_url(directory.url("/organizations?region=africa&service="))
    assert page.evaluate("window.__marker") == 1  # no page load: htmx swapped the results


def test_filtering_works_without_javascript(directory):
    page = directory.new_page(java_script_enabled=False)
    page.goto(directory.url("/organizations"))
    page.locator('select[name="service"]').select_option("monitoring")
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(directory.url("/organizations?region=&service=monitoring"))
    expect(page.locator("#directory-results .org-list li").first).to_be_visible()
