"""The staff pages with 100,000 requests in the database, on SQLite and on PostgreSQL.

Each database is seeded afresh (benchmarks/seed.py: 100,000 requests over two years, about
600,000 timeline events, 180,000 offers and 1.1 million audit events), then each page is
opened in-process with Flask's test client, signed in through the real sign-in pages
(password and second step) as a reviewer, an administrator or a member of the busiest
organization: a few times to warm up, then SAMPLES times, timed. Reported per page: the
median and the 95th percentile in milliseconds, and how many SQL statements one page load
runs (the same on every load: a count that grew with the data would show an N+1).

`run(workdir)` returns the report's sections (benchmarks/report.py); run alone, this file
prints them: `python benchmarks/staff_pages.py [--small]` (--small adds 1,000 requests).
"""

import logging
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from report import Section  # noqa: E402
from seed import postgresql_database, seeded_app  # noqa: E402

from portal.db import db  # noqa: E402
from portal.models import Organization, Request  # noqa: E402

from portal_testing.auth import enrol, location  # noqa: E402
from portal_testing.staff import create_staff_account, sign_in  # noqa: E402

SAMPLES = 50
WARM_UP = 3
TARGET_MS = 50


@dataclass
class Measured:
    median: float
    p95: float
    queries: int


class _QueryCounter(logging.Handler):
    """Counts the statements peewee runs (it logs each one, at DEBUG, to "peewee")."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record):
        if record.name == "peewee":  # not peewee.pool, which says when it lends a connection
            self.count += 1


def _signed_in(app, role, organization_id=None):
    """A browser signed in through the sign-in page and the second step, as `role`."""
    email = f"bench-{role}@bench.example"
    with app.app_context(), db.connection_context():
        organization = Organization.get_by_id(organization_id) if organization_id else None
        create_staff_account(email, role, organization=organization)
    client = app.test_client()
    response = sign_in(client, email)
    if location(response) == "/staff/enrol":
        enrol(client)
    return client


def _pages(app, seeded):
    """(what is measured, the browser, the addresses it opens in turn)."""
    reviewer = _signed_in(app, "reviewer")
    admin = _signed_in(app, "admin")
    member = _signed_in(app, "org_member", seeded.busy_organization_id)
    with app.app_context(), db.connection_context():
        total = Request.select().count()
        # References typed in the search box: spread over the two years.
        step = max(1, total // SAMPLES)
        ids = list(range(step, total + 1, step))[:SAMPLES]
        references = [
            reference
            for (reference,) in Request.select(Request.reference)
            .where(Request.id.in_(ids))
            .tuples()
        ]
    last_page = math.ceil(total / 25)
    matchable = seeded.matchable[: SAMPLES + WARM_UP] or references
    return [
        ("review queue, default", reviewer, ["/review/"]),
        ("review queue, state filter", reviewer, ["/review/?state=in_review"]),
        (
            "review queue, urgency + region filters",
            reviewer,
            ["/review/?urgency=emergency&region=africa"],
        ),
        ("review queue, older than 30 days", reviewer, ["/review/?age=30"]),
        ("review queue, page 50", reviewer, ["/review/?page=50"]),
        ("review queue, last page", reviewer, [f"/review/?page={last_page}"]),
        (
            "review queue, reference search",
            reviewer,
            [f"/review/?reference={reference}" for reference in references],
        ),
        (
            "request page (matches shown)",
            reviewer,
            [f"/review/{reference}" for reference in matchable],
        ),
        ("audit trail", admin, ["/admin/audit"]),
        ("audit trail, page 50", admin, ["/admin/audit?page=50"]),
        ("organization inbox (busiest)", member, ["/org/"]),
        ("organization inbox, history page 5", member, ["/org/?page=5"]),
    ]


def _measure(client, paths) -> Measured:
    counter = _QueryCounter()
    peewee_log = logging.getLogger("peewee")
    level = peewee_log.level
    timings, counts = [], []
    for i in range(WARM_UP + SAMPLES):
        path = paths[i % len(paths)]
        counter.count = 0
        peewee_log.addHandler(counter)
        peewee_log.setLevel(logging.DEBUG)
        try:
            start = time.perf_counter()
            response = client.get(path)
            elapsed = (time.perf_counter() - start) * 1000
        finally:
            peewee_log.removeHandler(counter)
            peewee_log.setLevel(level)
        assert response.status_code == 200, (path, response.status_code)
        if i >= WARM_UP:
            timings.append(elapsed)
            counts.append(counter.count)
    timings.sort()
    p95 = timings[math.ceil(0.95 * len(timings)) - 1]
    return Measured(statistics.median(timings), p95, max(counts))


def measure(app, seeded) -> dict[str, Measured]:
    # One log line per page would be thousands of lines on standard error.
    request_log = logging.getLogger("portal.requests")
    level = request_log.level
    request_log.setLevel(logging.WARNING)
    try:
        return {name: _measure(client, paths) for name, client, paths in _pages(app, seeded)}
    finally:
        request_log.setLevel(level)


def _databases(workdir: Path, sizes):
    """(label, size, app factory) for each database and size measured."""
    for size in sizes:
        label = f"{size // 1000}k"
        yield f"SQLite {label}", size, None
        yield f"PostgreSQL {label}", size, "postgresql"


def run(workdir: Path, sizes=(100_000,)) -> list[Section]:
    results: dict[str, dict[str, Measured]] = {}
    seeding = []
    for label, size, backend in _databases(workdir, sizes):
        folder = workdir / label.replace(" ", "-").lower()
        if backend is None:
            app, seeded = seeded_app(folder, size)
            results[label] = measure(app, seeded)
        else:
            with postgresql_database() as url:
                app, seeded = seeded_app(folder, size, url)
                results[label] = measure(app, seeded)
        seeding.append(
            f"{label}: {seeded.requests:,} requests, {seeded.events:,} timeline events, "
            f"{seeded.offers:,} offers, {seeded.audit_events:,} audit events, "
            f"{seeded.organizations:,} organizations, seeded in {seeded.seconds:.0f} s"
        )
    labels = list(results)
    pages = list(next(iter(results.values())))
    headers = ["page"]
    for label in labels:
        headers += [f"{label} median ms", "p95 ms", "queries"]
    rows = []
    for page in pages:
        row = [page]
        for label in labels:
            found = results[label][page]
            row += [found.median, found.p95, found.queries]
        rows.append(row)
    missed = [
        f"{page} on {label}: p95 {results[label][page].p95:.0f} ms"
        for page in pages
        for label in labels
        if results[label][page].p95 >= TARGET_MS
    ]
    notes = [
        f"In-process (Flask test client), signed in with password and second step; "
        f"{SAMPLES} loads per page after {WARM_UP} to warm up; target p95 under {TARGET_MS} ms.",
        *seeding,
        "Over the target: " + ("; ".join(missed) if missed else "none."),
    ]
    return [Section("Staff pages with many requests", headers, rows, notes)]


def main() -> None:
    import shutil
    import tempfile

    sizes = (1_000, 100_000) if "--small" in sys.argv else (100_000,)
    workdir = Path(tempfile.mkdtemp(prefix="portal-staff-bench-"))
    try:
        for section in run(workdir, sizes):
            print(section.markdown())
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
