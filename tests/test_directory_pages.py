"""A directory with more organizations than one page holds: pages of ENTRIES_PER_PAGE,
by region, with and without htmx; each region a page of its own from the index."""

import re

from test_directory import HTMX, Directory

from portal import directory
from portal.models import Organization

PAGE = directory.ENTRIES_PER_PAGE


def add_many(app, count, countries="CO", prefix="org"):
    with app.app_context():
        Organization.insert_many(
            [
                {
                    "key": f"{prefix}-{n:03}",
                    "name": f"{prefix.title()} {n:03}",
                    "countries": countries,
                }
                | {"services": "accompaniment"}
                for n in range(count)
            ]
        ).execute()


def names(response) -> list[str]:
    return [
        name
        for names in Directory(response.get_data(as_text=True)).sections.values()
        for name in names
    ]


def test_a_long_directory_comes_in_pages_that_together_list_everyone_once(client, app):
    add_many(app, PAGE + 5)

    first = client.get("/organizations")
    second = client.get("/organizations?page=2")
    beyond = client.get("/organizations?page=99")
    nonsense = client.get("/organizations?page=many")

    assert names(first) == [f"Org {n:03}" for n in range(PAGE)]
    assert names(second) == [f"Org {n:03}" for n in range(PAGE, PAGE + 5)]
    assert names(beyond) == names(second)  # out of range: the nearest page
    assert names(nonsense) == names(first)
    text = first.get_data(as_text=True)
    assert f"{PAGE + 5} organizations" in text
    assert 'href="/organizations?page=2"' in text
    assert 'rel="next"' in text


def test_pages_keep_the_filters_and_htmx_gets_only_the_results(client, app):
    add_many(app, PAGE + 2)
    add_many(app, 3, countries="KE", prefix="kenya")

    filtered = client.get(
        "/organizations?region=latin_america_caribbean&service=accompaniment", headers=HTMX
    )
    page = filtered.get_data(as_text=True)

    assert "<html" not in page
    assert "region=latin_america_caribbean" in re.search(r'href="([^"]*page=2[^"]*)"', page)[1]
    assert "Kenya 000" not in page
    second = client.get("/organizations?region=latin_america_caribbean&page=2", headers=HTMX)
    assert names(second) == [f"Org {n:03}" for n in range(PAGE, PAGE + 2)]


def test_a_paged_directory_indexes_every_region_as_a_filter(client, app):
    add_many(app, PAGE + 2)
    add_many(app, 3, countries="KE", prefix="kenya")

    page = client.get("/organizations").get_data(as_text=True)
    index = re.search(r'<nav class="region-index".*?</nav>', page, re.S)[0]

    assert 'href="/organizations?region=africa"' in index
    assert 'href="/organizations?region=latin_america_caribbean"' in index
    kenya = client.get("/organizations?region=africa")
    assert names(kenya) == ["Kenya 000", "Kenya 001", "Kenya 002"]


def test_a_short_directory_is_one_page_with_anchors(client, app):
    add_many(app, 2)
    add_many(app, 2, countries="KE", prefix="kenya")

    page = client.get("/organizations").get_data(as_text=True)

    assert 'href="#region-africa"' in page
    assert 'class="pagination"' not in page
