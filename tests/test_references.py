"""Staff call a request by a short reference, numbered per year, never by its database id."""

import datetime

from playhouse.migrations import Runner

from portal import intake, references
from portal.db import MIGRATIONS_DIR, db, open_database

from portal_testing import request_fields


def test_requests_are_numbered_in_order_within_a_year(app):
    with app.app_context():
        first = intake.submit(request_fields(), "en").request
        second = intake.submit(request_fields(), "en").request
    year = first.created_at.year
    assert (first.reference, second.reference) == (f"AR-{year}-0001", f"AR-{year}-0002")


def test_a_new_year_starts_again_at_one(app):
    with app.app_context(), db.atomic():
        assert references.next_reference(datetime.datetime(2030, 12, 31)) == "AR-2030-0001"
        assert references.next_reference(datetime.datetime(2030, 12, 31)) == "AR-2030-0002"
        assert references.next_reference(datetime.datetime(2031, 1, 1)) == "AR-2031-0001"


def test_numbers_past_9999_keep_counting(app):
    from portal.models import ReferenceCounter

    with app.app_context():
        ReferenceCounter.create(year=2032, last=9999)
        assert references.next_reference(datetime.datetime(2032, 6, 1)) == "AR-2032-10000"


def test_requests_stored_before_references_existed_get_one(tmp_path):
    database = open_database(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    runner = Runner(database, str(MIGRATIONS_DIR))
    runner.up("0001_initial")
    for when in ("2026-03-01 10:00:00", "2025-12-31 23:00:00", "2026-01-02 08:00:00"):
        database.execute_sql(
            "INSERT INTO request (uid, tracking_hash, state, version, locale, created_at,"
            " updated_at, service, requester_kind, country, region, urgency, start_date,"
            " people_count, languages, name_sealed, place_sealed, situation_sealed,"
            " asked_for_sealed) VALUES (?, ?, 'submitted', 1, 'en', ?, ?, 'monitoring',"
            " 'individual', 'SN', 'africa', 'planned', '2027-01-01', 1, 'fr', x'00', x'00',"
            " x'00', x'00')",
            (when, when, when, when),
        )
    runner.up()
    rows = database.execute_sql("SELECT created_at, reference FROM request ORDER BY created_at")
    assert [reference for _, reference in rows] == ["AR-2025-0001", "AR-2026-0001", "AR-2026-0002"]
    counters = dict(database.execute_sql("SELECT year, last FROM reference_counter"))
    assert counters == {2025: 1, 2026: 2}
    database.close()
