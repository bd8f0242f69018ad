"""A trail of a million events: its pages count events only so far, then say there are more,
and ask the database as often however long the trail is."""

import pytest

from portal import audit
from portal.models import AuditEvent, User

from . import sentences
from portal_testing import PASSWORD_ALONE, page_text, tags
from portal_testing.queries import queries_of

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def viewed(app, admin, count):
    with app.app_context():
        for n in range(count):
            audit.record("request.viewed", user=admin.user, reference=f"AR-2026-{n:04d}")


def next_links(response):
    return [a["href"] for t, a in tags(response.get_data(as_text=True)) if a.get("rel") == "next"]


@pytest.fixture
def counted_up_to_ten(monkeypatch):
    monkeypatch.setattr(audit, "COUNTED_UP_TO", 10)


def test_a_long_trail_says_there_are_more_and_pages_on_to_the_oldest(app, admin, counted_up_to_ten):
    viewed(app, admin, 120)

    first = admin.get("/admin/audit?action=request.viewed")
    text = page_text(first)
    assert "More than 10 events" in text
    assert "Page 1" in text and "Page 1 of" not in text
    assert sentences(first)[0] == "admin@example.org opened the request AR-2026-0119"
    assert next_links(first) == ["/admin/audit?page=2&action=request.viewed"]

    third = admin.get("/admin/audit?action=request.viewed&page=3")
    assert len(sentences(third)) == 20
    assert sentences(third)[-1] == "admin@example.org opened the request AR-2026-0000"
    assert next_links(third) == []  # the oldest page: nothing older


def test_a_page_past_the_end_of_a_long_trail_gives_the_last_page(app, admin, counted_up_to_ten):
    viewed(app, admin, 120)

    response = admin.get("/admin/audit?action=request.viewed&page=" + "9" * 30)

    assert response.status_code == 200
    assert sentences(response)[-1] == "admin@example.org opened the request AR-2026-0000"
    assert "Page 3 of 3" in page_text(response)


def test_a_trail_within_the_count_is_counted_exactly(app, admin, counted_up_to_ten):
    viewed(app, admin, 10)

    text = page_text(admin.get("/admin/audit?action=request.viewed"))

    assert "10 events" in text and "More than" not in text


def test_the_email_filter_finds_the_accounts_first(app, admin):
    viewed(app, admin, 3)
    with app.app_context():
        other = User.create(email="other@example.org", role="reviewer", password_hash="x")
        audit.record("request.viewed", user=other, reference="AR-2026-9999")

    found = sentences(admin.get("/admin/audit?category=all&email=other@&email_match=contains"))
    nobody = sentences(admin.get("/admin/audit?category=all&email=nobody@example.org"))

    assert found == ["other@example.org opened the request AR-2026-9999"]
    assert nobody == []


TRAIL_PAGES = [
    "/admin/audit",
    "/admin/audit?category=all",
    "/admin/audit?category=sign_ins",
    "/admin/audit?action=request.viewed",
    "/admin/audit?category=page_views&email=admin@example.org&email_match=exact",
]


def test_a_trail_page_asks_the_database_as_often_with_300_events_as_with_10(
    app, admin, counted_up_to_ten
):
    viewed(app, admin, 10)
    few = {path: queries_of(admin.client, path) for path in TRAIL_PAGES}
    viewed(app, admin, 290)
    with app.app_context():
        assert AuditEvent.select().count() > 300
    many = {path: queries_of(admin.client, path) for path in TRAIL_PAGES}

    assert many == few
