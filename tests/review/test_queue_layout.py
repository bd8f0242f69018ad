"""The queue's layout for a phone: the states and filters folded into one disclosure that
says how many filters are in use, the overdue warning outside it, and each request a row
that a phone shows as a card (tests/browser/test_queue_on_a_phone.py checks the drawing).
"""

import html
import re

import pytest

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, tags
from portal_testing.review import HTMX, listed, new_request

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def disclosure(page):
    """The folded part of the queue page: from <details> to </details>."""
    match = re.search(r'<details class="queue-filters"[^>]*>.*?</details>', page, re.S)
    assert match, "no details.queue-filters on the page"
    return match.group(0)


def words(fragment):
    """A piece of HTML as a person reads it: no tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def summary(page):
    return words(re.search(r"<summary>(.*?)</summary>", disclosure(page), re.S).group(1))


def row_of(page, reference):
    return page.split(f">{reference}<")[1].split("</tr>")[0]


def test_the_states_and_the_filters_fold_into_one_closed_disclosure(app, reviewer):
    page = reviewer.page("/review/")
    folded = disclosure(page)
    assert page.count("<details") == 1
    assert '<details class="queue-filters">' in folded  # closed: the requests come first
    assert 'class="counts"' in folded
    assert '<form method="get" action="/review/" class="filters"' in folded
    assert 'id="queue-results"' not in folded
    assert page.index("</details>") < page.index('id="queue-results"')


def test_the_overdue_warning_stays_outside_the_folded_filters(app, reviewer):
    new_request(app, days_old=2, urgency="emergency")  # a first look within 24 hours
    page = reviewer.page("/review/")
    link = '<a href="/review/?late=overdue">1 request is past its response time.</a>'
    assert link in page
    assert link not in disclosure(page)
    assert page.index(link) < page.index("<details")


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("", "Filters and states (none in use)"),
        ("?urgency=emergency", "Filters and states (1 in use)"),
        ("?state=submitted", "Filters and states (1 in use)"),
        ("?urgency=emergency&country=KE", "Filters and states (2 in use)"),
        ("?urgency=emergency&country=ZZ", "Filters and states (1 in use)"),  # refused: unset
        ("?page=2&lang=en", "Filters and states (none in use)"),  # not filters
    ],
)
def test_the_summary_says_how_many_filters_are_in_use(app, reviewer, query, said):
    assert summary(reviewer.page(f"/review/{query}")) == said


def test_a_refused_filter_opens_the_disclosure_so_that_its_error_is_seen(app, reviewer):
    folded = disclosure(reviewer.page("/review/?country=ZZ"))
    assert folded.startswith('<details class="queue-filters" open>')
    assert "This filter was not understood and is ignored." in folded


def test_each_row_carries_what_a_card_shows(app, reviewer):
    late = new_request(app, days_old=2, urgency="emergency", country="KE")
    planned = new_request(app, urgency="planned", country="SN")
    page = reviewer.page("/review/")

    row = row_of(page, late)
    assert '<tr class="urgency-emergency overdue">' in page
    assert f'href="/review/{late}" class="reference"' in page
    assert 'class="badge badge-submitted">Submitted<' in row
    assert "Emergency" in words(row)
    assert "Overdue by 25 hours" in words(row)
    assert ">Kenya<" in row
    assert "ago" in words(row) or "now" in words(row)  # the last activity
    assert "Overdue by" not in row_of(page, planned)
    assert "7 days left" in words(row_of(page, planned))

    # On a phone each cell that needs it is named by its column, in the page's language.
    labels = [attrs["data-label"] for tag, attrs in tags(row) if "data-label" in attrs]
    assert labels == ["Country", "Region", "Service", "Received on", "Last activity"]
    assert 'data-label="Pays"' in reviewer.page("/review/?lang=fr")


def test_an_htmx_filter_gets_the_results_and_the_new_count_only(app, reviewer):
    emergency = new_request(app, urgency="emergency")
    new_request(app)
    body = reviewer.page("/review/?urgency=emergency", headers=HTMX)
    assert "<details" not in body
    assert "<form" not in body
    assert 'class="counts"' not in body
    assert listed(body) == [emergency]
    # Out of band, htmx puts the new count into the folded filters' summary.
    count = re.search(r'<span id="filters-in-use"[^>]*hx-swap-oob="true">([^<]*)<', body)
    assert count and count.group(1).strip() == "(1 in use)"


def test_the_whole_page_has_one_count_and_no_out_of_band_swap(app, reviewer):
    new_request(app)
    page = reviewer.page("/review/?urgency=urgent")
    assert page.count('id="filters-in-use"') == 1
    assert "hx-swap-oob" not in page
