"""The queue's pages read only what they show: every page together is the whole queue in its
order, the last pages are read from the end, a reference is found by a range of its index,
and a page asks the database as often with many requests as with few."""

import pytest

from portal import intake, jobs, offers, review, vocabulary, workflow
from portal.db import db
from portal.models import Offer

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    add_organization,
    create_staff_account,
    request_fields,
)
from portal_testing.offers import SUMMARY
from portal_testing.queries import queries_of
from portal_testing.review import listed, new_request

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(review, "PAGE_SIZE", 3)


def a_queue_of_every_kind(app):
    """Overdue emergencies (more than a page of them), open requests of each urgency, one to
    match again, and closed ones."""
    references = [new_request(app, days_old=2 + i, urgency="emergency") for i in range(4)]
    references += [new_request(app, days_old=1, urgency="emergency", state="in_review")]
    references += [new_request(app, urgency=urgency) for urgency in ("emergency", "planned")]
    references += [new_request(app, days_old=9, urgency="urgent", state="active")]
    references += [new_request(app, days_old=d, state="completed") for d in (3, 30, 60)]
    references += [new_request(app, days_old=5, urgency="emergency", state="rejected")]
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        organization = add_organization("brigadas")
        member = create_staff_account("m@brigadas.test", "org_member", organization=organization)
        declined = intake.submit(request_fields(urgency="planned"), "en").request
        for state in (vocabulary.IN_REVIEW, vocabulary.APPROVED):
            workflow.transition(declined, state, vocabulary.STAFF, user=reviewer)
        (the_offer,) = offers.offer(
            declined, [organization], reviewer, expected_version=declined.version, summary=SUMMARY
        )
        offers.decline(the_offer, member, "No one free.")
    return [*references, declined.reference]


def test_every_page_together_is_the_whole_queue_in_its_order(app, reviewer, small_pages):
    made = a_queue_of_every_kind(app)
    with app.app_context():
        whole = [request.reference for request in review.queue(review.QueueFilters())]
    assert sorted(whole) == sorted(made)

    pages = [listed(reviewer.page(f"/review/?page={number}")) for number in range(1, 6)]

    assert [len(page) for page in pages] == [3, 3, 3, 3, 1]
    assert [reference for page in pages for reference in page] == whole
    # Overdue emergencies first, oldest first; the request to match again next; closed last.
    assert whole[:4] == made[3::-1]
    assert whole[4] == made[-1]
    assert set(whole[-4:]) == set(made[8:12])


def test_the_last_pages_read_from_the_end_show_what_reading_from_the_start_would(app, small_pages):
    a_queue_of_every_kind(app)
    with app.app_context():
        whole = [request.reference for request in review.queue(review.QueueFilters())]
        for number in range(1, 6):
            page = review.queue_page(review.QueueFilters(page=number), review.state_counts())
            start = (number - 1) * review.PAGE_SIZE
            assert [r.reference for r in page.items] == whole[start : start + review.PAGE_SIZE]
        filtered = review.queue_page(review.QueueFilters(urgency="emergency", page=3))
        emergencies = [r.reference for r in review.queue(review.QueueFilters(urgency="emergency"))]
        assert [r.reference for r in filtered.items] == emergencies[6:9]


def test_a_reference_is_found_whole_by_its_beginning_or_by_its_number(app, reviewer):
    first, second, third = [new_request(app) for _ in range(3)]
    year, number = first.split("-")[1:]

    def found(typed):
        return sorted(listed(reviewer.page(f"/review/?reference={typed}")))

    assert found(second) == [second]
    assert found(second.lower()) == [second]
    assert found(f" {third} ") == [third]
    assert found(first[:-1]) == sorted([first, second, third])  # AR-2026-000…
    assert found(f"{year}-{number}") == [first]  # without the prefix
    assert found(number) == [first]  # the number alone, in any year
    assert found(str(int(number))) == [first]  # without its zeros
    assert found("AR-1999") == []
    assert found("%25") == []  # no wildcard
    assert found("_") == []


def test_an_offer_handle_finds_its_request(app, reviewer):
    with app.app_context():
        staff = create_staff_account("staff@network.test", "reviewer")
        organization = add_organization("brigadas")
        request = intake.submit(request_fields(), "en").request
        for state in (vocabulary.IN_REVIEW, vocabulary.APPROVED):
            workflow.transition(request, state, vocabulary.STAFF, user=staff)
        offers.offer(request, [organization], staff, expected_version=request.version, summary="S")
        handle = Offer.get().handle
    new_request(app)

    assert listed(reviewer.page(f"/review/?reference={handle.lower()}")) == [request.reference]


QUEUE_PAGES = [
    "/review/",
    "/review/?page=2",
    "/review/?page=999",
    "/review/?state=submitted",
    "/review/?urgency=emergency&region=latin_america_caribbean",
    "/review/?age=1",
    "/review/?late=overdue",
    "/review/?service=accompaniment&page=2",
]


def test_a_queue_page_asks_the_database_as_often_with_200_requests_as_with_10(app, reviewer):
    def mix(count):
        for i in range(count):
            urgency = ("emergency", "urgent", "planned")[i % 3]
            state = (None, "in_review", "completed", "offered")[i % 4]
            new_request(app, days_old=i % 5, urgency=urgency, state=state)

    mix(10)
    few = {path: queries_of(reviewer.client, path) for path in QUEUE_PAGES}
    mix(190)
    many = {path: queries_of(reviewer.client, path) for path in QUEUE_PAGES}

    assert many == few


def test_the_daily_purge_tells_sqlite_how_many_requests_there_are(app):
    """The queue's plans depend on SQLite's statistics, which it never gathers by itself."""
    for _ in range(3):
        new_request(app)
    with app.app_context(), db.connection_context():
        jobs.purge()
        stats = dict(db.execute_sql("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'request'"))

    assert stats["request_queue_rank_created_at_id"].split()[0] == "3"
