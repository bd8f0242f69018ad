"""The review queue: its filters, its order and its pages."""

import re

import pytest

from portal import review

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, page_text
from portal_testing.review import (
    HTMX,
    listed,
    new_request,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


@pytest.fixture
def assorted(app):
    """Requests that differ in one thing each from a plain one."""
    return {
        "plain": new_request(app),
        "emergency": new_request(app, urgency="emergency"),
        "kenya": new_request(app, country="KE"),
        "france": new_request(app, country="FR"),
        "monitoring": new_request(app, service="monitoring"),
        "old": new_request(app, days_old=10),
        "in_review": new_request(app, state="in_review"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=in_review", {"in_review"}),
        ("urgency=emergency", {"emergency"}),
        ("region=africa", {"kenya"}),
        ("region=europe_central_asia", {"france"}),
        ("country=FR", {"france"}),
        ("service=monitoring", {"monitoring"}),
        ("age=7", {"old"}),
        ("age=14", set()),
        ("country=KE&region=africa", {"kenya"}),
        ("country=KE&region=mena", set()),
    ],
)
def test_each_filter_narrows_the_queue(app, reviewer, assorted, query, expected):
    page = reviewer.page(f"/review/?{query}")
    assert set(listed(page)) == {assorted[name] for name in expected}


def test_the_reference_search_finds_part_of_a_reference(app, reviewer, assorted):
    reference = assorted["kenya"]
    number = reference.rsplit("-", 1)[1]
    assert listed(reviewer.page(f"/review/?reference={reference.lower()}")) == [reference]
    assert listed(reviewer.page(f"/review/?reference={number}")) == [reference]
    assert listed(reviewer.page("/review/?reference=%25")) == []  # no LIKE wildcards


def test_the_filter_form_keeps_the_chosen_values(reviewer, assorted):
    page = reviewer.page("/review/?urgency=emergency&country=KE&age=7")
    assert '<option selected value="emergency">' in page
    assert '<option selected value="KE">' in page
    assert '<option selected value="7">Older than 7 days</option>' in page


def test_a_country_chosen_on_one_page_is_not_chosen_on_the_next(reviewer):
    # The countries' options are drawn once per language and reused (forms.KeptOptions).
    assert '<option selected value="KE">' in reviewer.page("/review/?country=KE")

    countries = country_select(reviewer.page("/review/?country=FR"))
    assert re.findall(r"<option selected[^>]*>", countries) == ['<option selected value="FR">']
    assert '<option value="KE">Kenya</option>' in countries
    assert '<option value="">All countries</option>' in countries
    french = country_select(reviewer.page("/review/?country=DE&lang=fr"))
    assert re.findall(r"<option selected[^>]*>[^<]*", french) == [
        '<option selected value="DE">Allemagne'
    ]
    assert '<option value="FR">France</option>' in french
    assert country_select(reviewer.page("/review/")).count("<option selected") == 0


def country_select(page: str) -> str:
    return re.search(r'<select[^>]*name="country".*?</select>', page, re.S).group(0)


def test_the_filter_form_works_without_javascript_and_with_htmx(reviewer):
    page = reviewer.page("/review/")
    form = re.search(r'<form method="get" action="/review/"[^>]*>', page)
    assert form, "no GET filter form"
    tag = form.group(0)
    assert 'hx-get="/review/"' in tag
    assert 'hx-target="#queue-results"' in tag
    assert 'hx-push-url="true"' in tag
    assert 'hx-trigger="change, submit"' in tag
    assert 'id="queue-results"' in page
    assert 'name="csrf_token"' not in page.split('class="filters"')[1].split("</form>")[0]


def test_emergencies_come_first_then_urgent_then_planned_then_the_oldest(app, reviewer):
    planned_old = new_request(app, days_old=20, urgency="planned")
    urgent_new = new_request(app, days_old=1, urgency="urgent")
    urgent_old = new_request(app, days_old=5, urgency="urgent")
    emergency_new = new_request(app, urgency="emergency")
    emergency_old = new_request(app, days_old=2, urgency="emergency")
    closed_emergency = new_request(app, days_old=30, urgency="emergency", state="rejected")
    withdrawn = new_request(app, days_old=40, urgency="emergency", state="withdrawn")

    assert listed(reviewer.page("/review/")) == [
        emergency_old,
        emergency_new,
        urgent_old,
        urgent_new,
        planned_old,
        withdrawn,
        closed_emergency,
    ]


def test_the_table_shows_what_a_reviewer_sorts_by(app, reviewer):
    reference = new_request(app, days_old=3, country="KE", urgency="emergency")
    page = page_text(reviewer.get("/review/"))
    row = page.split(f">{reference}<")[1].split("</tr>")[0]
    assert "Protective accompaniment" in row
    assert "Kenya" in row
    assert "Africa" in row
    assert "Emergency" in row
    assert 'class="badge badge-submitted"' in row
    assert "Submitted" in row
    # Emergencies get a first look within 24 hours: three days old is two days late.
    assert "Overdue by 2 days" in row


def test_the_state_counts_link_to_the_filtered_queue(app, reviewer):
    new_request(app)
    new_request(app)
    new_request(app, state="in_review")
    page = reviewer.page("/review/")
    counts = page.split('class="counts"')[1].split("</ul>")[0]
    assert re.search(
        r'href="/review/\?state=submitted"[^>]*>Submitted <span class="count">2<', counts
    )
    assert re.search(
        r'href="/review/\?state=in_review"[^>]*>In review <span class="count">1<', counts
    )
    assert re.search(r"Needs information <span class=\"count\">0<", counts)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(review, "PAGE_SIZE", 2)


def test_the_queue_comes_in_pages_whose_links_keep_the_filters(app, reviewer, small_pages):
    references = [new_request(app, days_old=10 - i, service="solidarity") for i in range(5)]
    new_request(app, service="monitoring")

    first = reviewer.page("/review/?service=solidarity")
    assert listed(first) == references[:2]
    assert "5 requests" in first
    assert 'href="/review/?page=2&amp;service=solidarity"' in first
    assert 'hx-get="/review/?page=2&amp;service=solidarity"' in first

    second = reviewer.page("/review/?page=2&service=solidarity")
    assert listed(second) == references[2:4]
    assert 'aria-current="page">2<' in second
    assert listed(reviewer.page("/review/?page=3&service=solidarity")) == references[4:]


@pytest.mark.parametrize("page", ["999", "0", "-3", "abc", "1e9", "99999999999999999999"])
def test_a_page_number_out_of_range_does_not_break_the_queue(app, reviewer, small_pages, page):
    for i in range(3):
        new_request(app, days_old=5 - i)
    response = reviewer.get(f"/review/?page={page}")
    assert response.status_code == 200
    assert len(listed(response.get_data(as_text=True))) in (1, 2)


def test_an_htmx_filter_gets_only_the_results(app, reviewer):
    reference = new_request(app, urgency="emergency")
    new_request(app)
    response = reviewer.get("/review/?urgency=emergency", headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'class="filters"' not in body
    assert listed(body) == [reference]
    assert "HX-Request" in response.headers.get("Vary", "")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_bookmarked_filter_shows_the_whole_page_with_the_same_results(app, reviewer):
    reference = new_request(app, urgency="emergency")
    new_request(app)
    partial = reviewer.get("/review/?urgency=emergency", headers=HTMX).get_data(as_text=True)
    full = reviewer.get("/review/?urgency=emergency")
    page = full.get_data(as_text=True)
    assert "<html" in page
    assert listed(page) == listed(partial) == [reference]
    assert "HX-Request" in full.headers.get("Vary", "")
    # A boosted navigation or a history restore needs the whole page too.
    boosted = reviewer.get("/review/", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "state=approved_by_me",
        "state=<script>alert(1)</script>",
        "urgency=whenever",
        "region=atlantis",
        "country=ZZ",
        "country=co",
        "service=%00",
        "age=5",
        "age=abc",
        "age=-1",
        "reference=%00",
        "reference=" + "A" * 5000,
        "reference=%ED%A0%80",
        "state=submitted&state=bogus",
        "page=&state=",
        "unknown=1",
    ],
)
def test_unknown_filter_values_are_ignored_not_a_crash(app, reviewer, query):
    one = new_request(app)
    two = new_request(app, state="in_review")
    response = reviewer.get(f"/review/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert set(listed(page)) <= {one, two}
    assert "<script>alert" not in page


def test_a_refused_filter_is_said_and_the_others_still_apply(app, reviewer):
    emergency = new_request(app, urgency="emergency")
    new_request(app)
    page = page_text(reviewer.get("/review/?urgency=emergency&country=ZZ"))
    assert listed(page) == [emergency]
    assert "This filter was not understood and is ignored." in page
    assert "Some filters were not understood and are ignored." in page


def test_overdue_only_lists_the_requests_past_their_response_time(app, reviewer):
    late = new_request(app, days_old=2, urgency="emergency")  # first look within 24 hours
    new_request(app, urgency="emergency")  # still within its time
    new_request(app, days_old=30, state="needs_info")  # the requester's turn: never late

    assert listed(reviewer.page("/review/?late=overdue")) == [late]
    page = page_text(reviewer.get("/review/"))
    assert "1 request is past its response time." in page
    assert 'href="/review/?late=overdue"' in page


def test_an_unknown_response_time_filter_is_ignored_and_said(app, reviewer):
    listed_everything = listed(reviewer.page("/review/"))
    page = reviewer.get("/review/?late=%3Cscript%3E")
    assert page.status_code == 200
    assert "Some filters were not understood and are ignored." in page_text(page)
    assert listed(reviewer.page("/review/?late=%3Cscript%3E")) == listed_everything
