"""The queue on PostgreSQL: pages share pooled connections, and references compare byte by
byte (migration 0015), so that a prefix is a range of their index whatever the collation."""

import pytest

from portal.db import db

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, StaffClient, admin_connection
from portal_testing.review import listed, new_request

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def connections_to(name):
    admin = admin_connection()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,))
            return cursor.fetchone()[0]
    finally:
        admin.close()


def test_pages_one_after_another_reuse_one_pooled_connection(pg_app, pg_name):
    reviewer = StaffClient.create(pg_app, "reviewer")
    new_request(pg_app)
    for _ in range(5):
        reviewer.page("/review/")
    after_five = connections_to(pg_name)
    for _ in range(5):
        reviewer.page("/review/")

    # Given back to the pool after each page (a new one each time would leave none open).
    assert after_five == connections_to(pg_name) == 1
    assert db.is_closed()


def test_a_reference_prefix_finds_its_requests_on_postgresql(pg_app):
    reviewer = StaffClient.create(pg_app, "reviewer")
    first, second = new_request(pg_app), new_request(pg_app)

    assert sorted(listed(reviewer.page(f"/review/?reference={first[:-1]}"))) == [first, second]
    assert listed(reviewer.page(f"/review/?reference={second.lower()}")) == [second]
    assert listed(reviewer.page(f"/review/?reference={first.split('-', 1)[1]}")) == [first]
    assert listed(reviewer.page("/review/?reference=AR-")) == listed(reviewer.page("/review/"))
