"""The public directory of accompanying organizations, by region, with its filters."""

import html
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel import Locale
from markupsafe import escape

from portal import directory
from portal.models import Organization
from portal.regions import REGIONS

from portal_testing import HOSTILE, shown, tags
from security.test_headers import SECURITY_HEADERS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
HTMX = {"HX-Request": "true"}
IGNORED = "Some filters were not understood and are ignored."
NOT_UNDERSTOOD = "This filter was not understood and is ignored."
NOTHING_MATCHES = "No organization matches these filters."


def add(app, key, **fields):
    """An organization stored the way an import or an administrator would store it."""
    fields.setdefault("name", key.replace("-", " ").title())
    fields.setdefault("services", "accompaniment")
    with app.app_context():
        return Organization.create(key=key, **fields)


class Directory(HTMLParser):
    """Read the directory page: the region sections in order, and the names under each."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.sections: dict[str, list[str]] = {}
        self._region = None
        self._name = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "region-group" in (attrs.get("class") or ""):
            self._region = attrs["aria-labelledby"].removeprefix("region-")
            self.sections[self._region] = []
        elif tag == "h3" and self._region:
            self._name = []

    def handle_endtag(self, tag):
        if tag == "h3" and self._name is not None:
            self.sections[self._region].append("".join(self._name))
            self._name = None
        elif tag == "section":
            self._region = None

    def handle_data(self, data):
        if self._name is not None:
            self._name.append(data)


def sections(response):
    assert response.status_code == 200
    return Directory(response.get_data(as_text=True)).sections


def text(response):
    return html.unescape(response.get_data(as_text=True))


def card(page, name):
    """The HTML of the first card for the organization called `name`."""
    start = page.index(f">{escape(name)}</h3>")
    return page[page.rindex('<li class="org-card">', 0, start) : page.index("</li>", start)]


# --- who is listed, and where -------------------------------------------------------------


def test_only_public_organizations_are_listed(app, client):
    add(app, "shown-org", regions="africa")
    add(app, "private-org", regions="africa", public=False)
    page = client.get("/organizations").get_data(as_text=True)
    assert "Shown Org" in page
    assert "Private Org" not in page
    assert sections(client.get("/organizations")) == {"africa": ["Shown Org"]}


def test_regions_come_in_the_order_of_the_page_and_names_in_alphabetical_order(app, client):
    add(app, "zeta", regions="north_america")
    add(app, "alpha", regions="mena,africa")
    add(app, "beta", regions="africa")
    add(app, "gamma", regions="latin_america_caribbean,asia_pacific")
    found = sections(client.get("/organizations"))
    assert list(found) == [key for key in REGIONS if key in found]
    assert found == {
        "africa": ["Alpha", "Beta"],
        "asia_pacific": ["Gamma"],
        "latin_america_caribbean": ["Gamma"],
        "mena": ["Alpha"],
        "north_america": ["Zeta"],
    }


def test_an_organization_that_names_only_countries_appears_under_their_regions(app, client):
    add(app, "country-only", countries="CO,KE")
    add(app, "both", regions="africa", countries="KE")  # listed once under Africa
    assert sections(client.get("/organizations")) == {
        "africa": ["Both", "Country Only"],
        "latin_america_caribbean": ["Country Only"],
    }


def test_grouping_is_a_plain_function_of_the_organizations():
    kenya = Organization(key="k", name="kenya team", countries="KE", services="solidarity")
    andes = Organization(key="a", name="Andes", regions="latin_america_caribbean", services="")
    both = Organization(
        key="b", name="Both", regions="africa", countries="PE", services="monitoring"
    )
    unknown = Organization(key="u", name="Nowhere", regions="atlantis", countries="ZZ")
    organizations = [kenya, andes, both, unknown]

    assert directory.regions_of(both) == ["africa", "latin_america_caribbean"]
    assert directory.regions_of(unknown) == []
    assert directory.group_by_region(organizations) == [
        ("africa", [both, kenya]),
        ("latin_america_caribbean", [andes, both]),
    ]
    assert directory.group_by_region(organizations, region="africa") == [("africa", [both, kenya])]
    assert directory.group_by_region(organizations, service="monitoring") == [
        ("africa", [both]),
        ("latin_america_caribbean", [both]),
    ]
    assert directory.group_by_region(organizations, region="mena") == []


def test_an_empty_directory_says_so_kindly(client):
    response = client.get("/organizations")
    assert response.status_code == 200
    assert "No organization is listed yet." in text(response)
    assert sections(response) == {}


# --- filters --------------------------------------------------------------------------------


@pytest.fixture
def network(app):
    add(app, "andes-accompaniment", regions="latin_america_caribbean", services="accompaniment")
    add(app, "andes-visits", countries="CO", services="solidarity,monitoring")
    add(app, "sahel-visits", regions="africa", services="solidarity")
    add(app, "everywhere", regions="africa,latin_america_caribbean", services="accompaniment")


def test_the_region_filter_keeps_one_region(network, client):
    assert sections(client.get("/organizations?region=africa")) == {
        "africa": ["Everywhere", "Sahel Visits"],
    }


def test_the_service_filter_keeps_those_that_offer_it(network, client):
    assert sections(client.get("/organizations?service=solidarity")) == {
        "africa": ["Sahel Visits"],
        "latin_america_caribbean": ["Andes Visits"],
    }


def test_region_and_service_filters_combine(network, client):
    response = client.get("/organizations?region=latin_america_caribbean&service=accompaniment")
    assert sections(response) == {
        "latin_america_caribbean": ["Andes Accompaniment", "Everywhere"],
    }
    page = response.get_data(as_text=True)
    assert '<option selected value="latin_america_caribbean">' in page
    assert '<option selected value="accompaniment">' in page


def test_filters_with_no_result_say_so_kindly(network, client):
    response = client.get("/organizations?region=north_america&service=monitoring")
    assert sections(response) == {}
    assert NOTHING_MATCHES in text(response)


@pytest.mark.parametrize(
    "query",
    [
        "region=atlantis",
        "service=teleportation",
        "region=%00",
        "region=" + "x" * 5000,
        "region=<script>alert(1)</script>",
        "service=africa&region=accompaniment",
        "region=africa&region=atlantis",
    ],
)
def test_a_filter_that_is_not_understood_is_ignored_with_a_message(network, client, query):
    response = client.get(f"/organizations?{query}")
    assert response.status_code == 200
    page = text(response)
    if query != "region=africa&region=atlantis":  # the first value counts, as in any form
        assert IGNORED in page
        assert NOT_UNDERSTOOD in page
        assert "<script>alert(1)</script>" not in page


def test_a_bad_filter_does_not_undo_a_good_one(network, client):
    response = client.get("/organizations?region=africa&service=teleportation")
    assert IGNORED in text(response)
    assert sections(response) == {"africa": ["Everywhere", "Sahel Visits"]}


def test_the_filter_form_works_without_javascript_and_with_htmx(client):
    page = client.get("/organizations").get_data(as_text=True)
    (form,) = [attrs for tag, attrs in tags(page) if tag == "form" and attrs.get("role")]
    assert form["method"] == "get"
    assert form["action"] == "/organizations"
    assert form["hx-get"] == "/organizations"
    assert form["hx-target"] == "#directory-results"
    assert form["hx-push-url"] == "true"
    assert 'id="directory-results"' in page
    filters = page.split('class="filters"')[1].split("</form>")[0]
    assert 'name="csrf_token"' not in filters
    assert 'name="region"' in filters and 'name="service"' in filters


def test_an_htmx_filter_gets_only_the_results(network, client):
    response = client.get("/organizations?region=africa", headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'class="filters"' not in body
    assert Directory(body).sections == {"africa": ["Everywhere", "Sahel Visits"]}
    assert "HX-Request" in response.headers.get("Vary", "")


def test_the_full_page_and_a_history_restore_get_the_whole_page(network, client):
    full = client.get("/organizations?region=africa")
    assert "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers.get("Vary", "")
    restore = client.get(
        "/organizations?region=africa", headers={**HTMX, "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.get_data(as_text=True)


def test_an_htmx_filter_that_is_not_understood_gets_the_message_in_the_results(network, client):
    response = client.get("/organizations?service=nonsense", headers=HTMX)
    assert response.status_code == 200
    assert IGNORED in text(response)


# --- languages ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_the_page_speaks_the_page_language(app, client, lang):
    add(
        app,
        "andes",
        countries="CO,PE",
        regions="north_america",
        services="accompaniment,monitoring",
        languages="es,en,qu",
    )
    page = text(client.get(f"/organizations?lang={lang}"))
    locale = Locale(lang)
    for region in ("Latin America and the Caribbean", "North America", "All regions"):
        assert f">{shown(lang, region)}<" in page, region
    for service in ("Protective accompaniment", "Monitoring visit", "All services"):
        assert shown(lang, service) in page, service
    assert shown(lang, "Solidarity visit") in page  # among the filter's choices
    countries = sorted([locale.territories["CO"], locale.territories["PE"]])
    assert ", ".join(countries) in page
    for code in ("es", "en", "qu"):
        name = locale.languages[code]
        assert name[:1].upper() + name[1:] in page, code
    assert f'<html lang="{lang}"' in page


def test_countries_are_sorted_by_their_name_in_the_page_language(app, client):
    # Germany, Spain, Egypt: in French "Allemagne, Égypte, Espagne" (accents ignored).
    add(app, "mixed", countries="ES,EG,DE")
    page = text(client.get("/organizations?lang=fr"))
    assert "Allemagne, Égypte, Espagne" in page
    page = text(client.get("/organizations?lang=en"))
    assert "Egypt, Germany, Spain" in page


def test_the_description_is_in_the_page_language_or_else_in_english(app, client):
    add(
        app,
        "described",
        regions="africa",
        description_en="Accompaniment in the Sahel.",
        description_fr="Accompagnement au Sahel.",
    )
    assert "Accompagnement au Sahel." in text(client.get("/organizations?lang=fr"))
    spanish = client.get("/organizations?lang=es").get_data(as_text=True)
    assert "Accompaniment in the Sahel." in spanish
    assert "Accompagnement au Sahel." not in spanish
    assert 'lang="en">Accompaniment in the Sahel.<' in spanish  # read out as English


# --- websites -------------------------------------------------------------------------------


def links(page):
    return {attrs["href"]: attrs for tag, attrs in tags(page) if tag == "a" and "href" in attrs}


def test_an_http_or_https_website_is_an_external_link(app, client):
    add(app, "secure", regions="africa", website="https://secure.example.org/en/")
    add(app, "plain", regions="africa", website="http://plain.example.org")
    page = client.get("/organizations").get_data(as_text=True)
    found = links(page)
    for address in ("https://secure.example.org/en/", "http://plain.example.org"):
        assert found[address]["rel"] == "noopener noreferrer"
        assert "external-link" in found[address]["class"]
    assert "(another website)" in page


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        " JavaScript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example",
        "https://",
        "www.example.org",
        "",
    ],
)
def test_any_other_website_is_never_a_link(app, client, website):
    add(app, "odd", regions="africa", website=website)
    response = client.get("/organizations")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    hrefs = [attrs["href"] for tag, attrs in tags(page) if tag == "a" and "href" in attrs]
    assert all(href.startswith(("/", "#")) for href in hrefs), hrefs
    assert "<script>alert(1)</script>" not in page


def test_website_links_are_checked_by_a_plain_function():
    assert directory.website_link("https://pbi.example") == "https://pbi.example"
    assert directory.website_link("HTTP://PBI.EXAMPLE") == "HTTP://PBI.EXAMPLE"
    assert directory.website_link("javascript:alert(1)") is None
    assert directory.website_link("https://[::1") is None
    assert directory.website_link("") is None


# --- hostile text ---------------------------------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_names_and_descriptions_are_shown_as_text(app, client, payload):
    add(app, "hostile", name=payload, regions="africa", description_en=payload)
    for headers in ({}, HTMX):
        response = client.get("/organizations", headers=headers)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert page.count(str(escape(payload))) == 2  # the name and the description
        if "<" in payload:
            assert payload not in page
        assert "<script>" not in page
        assert ">49<" not in page
        assert not any(
            attrs.get("hx-trigger") == "load" or attrs.get("hx-get") == "/x"
            for _, attrs in tags(page)
        ), "organization text became live markup"
        assert not any("onerror" in attrs or "onload" in attrs for _, attrs in tags(page))


def test_organization_text_sits_in_an_hx_disable_region_with_dir_auto(app, client):
    add(app, "careful", regions="africa", description_en="We walk beside defenders.")
    page = client.get("/organizations").get_data(as_text=True)
    assert '<ul class="org-list" hx-disable>' in page
    html_card = card(page, "Careful")
    assert '<h3 dir="auto">Careful</h3>' in html_card
    assert 'dir="auto">We walk beside defenders.</div>' in html_card
    assert "|safe" not in open_template("_results.html")


def open_template(name):
    return (TEMPLATES / "directory" / name).read_text()


# --- the rest of the page -------------------------------------------------------------------


def test_demo_organizations_carry_a_demo_badge(app, client):
    add(app, "real", regions="africa")
    add(app, "sample", name="Sample (demo)", regions="africa", demo=True)
    page = client.get("/organizations").get_data(as_text=True)
    assert "Demo data" in card(page, "Sample (demo)")
    assert "Demo data" not in card(page, "Real")


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_the_directory_carries_the_security_headers(client, headers):
    response = client.get("/organizations", headers=headers)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Cache-Control"] == "no-store"
    assert "Server" not in response.headers or "Werkzeug" not in response.headers["Server"]


def test_the_public_pages_link_to_the_directory(client):
    home = client.get("/").get_data(as_text=True)
    assert 'href="/organizations"' in home
    nav = home.split('class="site-nav"')[1].split("</nav>")[0]
    assert 'href="/organizations"' in nav
    directory_page = client.get("/organizations").get_data(as_text=True)
    nav = directory_page.split('class="site-nav"')[1].split("</nav>")[0]
    assert 'href="/organizations" aria-current="page"' in nav
