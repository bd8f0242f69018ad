"""A fresh database full of fictional requests, for the staff pages' benchmark.

`seed(requests=100_000)` fills the bound (empty, migrated) database with requests spread
over two years and what their lives left behind: timeline events, offers, messages, audit
events, 5,000 organizations and their members, and a few reviewers. Older requests are
closed; the last weeks hold every open state, some emergencies past their response time,
requests that every organization declined, and one busy organization that is offered
about one request in twelve.

Rows go in a thousand requests at a time, in one transaction, through one INSERT per table
written from the models' fields, with their ids given here so that no insert has to be
read back. Sealed fields are sealed for real, each to its own row (a
sealed value opens only in the row it was sealed for), so any request page can be opened.

Run alone to time it: `python benchmarks/seed.py [requests]` seeds a SQLite file in a
temporary folder and a fresh PostgreSQL database (dropped afterwards).
"""

import contextlib
import datetime
import random
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from portal import create_app, sealing, workflow  # noqa: E402
from portal.db import db, migrate  # noqa: E402
from portal.handles import ALPHABET, GROUP  # noqa: E402
from portal.models import (  # noqa: E402
    AuditEvent,
    Message,
    Offer,
    Organization,
    ReferenceCounter,
    Request,
    TimelineEvent,
    User,
    new_uid,
    utcnow,
)
from portal.regions import COUNTRY_REGION, REGIONS  # noqa: E402
from portal.vocabulary import (  # noqa: E402
    ACCEPTED,
    ACTIVE,
    APPROVED,
    COMPLETED,
    IN_REVIEW,
    NEEDS_INFO,
    OFFER_ACCEPTED,
    OFFER_CLOSED,
    OFFER_DECLINED,
    OFFER_EXPIRED,
    OFFER_OPEN,
    OFFERED,
    REJECTED,
    SERVICES,
    SUBMITTED,
    URGENCIES,
    WITHDRAWN,
)

ORGANIZATIONS = 5_000
REVIEWERS = 20
DAYS = 730
BUSY_KEY = "busy-organization"
LANGUAGES = ("ar", "en", "es", "fr", "pt", "ru", "sw", "fa", "tr", "zh")
KINDS = ("individual", "community", "organization")
DATA_KEYS = "b1:" + "YmVuY2htYXJrLWJlbmNobWFyay1iZW5jaG1hcmstISE="  # 32 bytes, fictional data
# Requests whose rows (and their timeline, offers, audit events) are inserted together.
BATCH = 1_000
# The benchmark's extra staff never sign in: a hash no password gives.
NO_PASSWORD = "$argon2id$v=19$m=65536,t=3,p=4$bm9zaWduaW4$bm9zaWduaW5ub3NpZ25pbm5vc2lnbmlu"  # noqa: S105


@dataclass
class Seeded:
    """What the benchmark needs to know about the data it measures."""

    requests: int = 0
    events: int = 0
    offers: int = 0
    audit_events: int = 0
    organizations: int = 0
    busy_organization_id: int = 0
    # Requests a reviewer would open and see ranked organizations for (in review, approved).
    matchable: list[str] = field(default_factory=list)
    seconds: float = 0.0


def settings(folder: Path, database_url: str | None = None) -> dict:
    """A portal keeping its files in `folder`, as the benchmark runs it."""
    return {
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'portal.sqlite3'}",
        "SECRET_KEY": "benchmark-secret-key",
        "DATA_KEYS": DATA_KEYS,
        "TRACKING_KEY": "benchmark-tracking-key",
        "RATELIMIT_STORAGE_URI": "memory://",
        "QUEUE_URL": "memory://",
        # Sign-ins and pages opened many times a minute by the same benchmark client.
        "SIGN_IN_RATE_LIMIT": "100000 per minute",
        "SIGN_IN_ACCOUNT_RATE_LIMIT": "100000 per hour",
    }


class _Batches:
    """Rows of one table, kept until `flush` inserts them.

    The INSERT is written once from the model's fields and run by the driver for every row
    (executemany, or execute_values for psycopg2): peewee's `insert_many` builds its
    statement value by value, which for a million rows takes longer than inserting them.
    """

    def __init__(self, model, fields):
        self.model, self.rows, self.count = model, [], 0
        self.sqlite = _is_sqlite()
        # The fields left out take their default, as peewee would give it: the same for
        # every row (no unique field is left out).
        given = {f.name for f in fields}  # by name: a field's == builds an expression
        rest = [
            f for f in model._meta.sorted_fields if f.name not in given and f.default is not None
        ]
        assert not any(f.unique for f in rest), rest
        self.defaults = tuple(f.default() if callable(f.default) else f.default for f in rest)
        columns = ", ".join(f'"{f.column_name}"' for f in [*fields, *rest])
        params = ", ".join(db.obj.param for _ in [*fields, *rest])
        table = model._meta.table_name  # the models' own names, nothing typed
        self.sql = f'INSERT INTO "{table}" ({columns}) VALUES ({params})'  # noqa: S608

    def add(self, row):
        self.rows.append(row + self.defaults)

    def flush(self):
        if not self.rows:
            return
        cursor = db.cursor()
        if self.sqlite:
            # What peewee hands the sqlite3 module: datetimes and dates as ISO text.
            rows = [
                tuple(str(v) if isinstance(v, datetime.date) else v for v in row)
                for row in self.rows
            ]
            cursor.executemany(self.sql, rows)
        else:
            from psycopg2.extras import execute_values

            head, _, template = self.sql.partition(" VALUES ")
            execute_values(cursor, head + " VALUES %s", self.rows, template, page_size=1000)
        self.count += len(self.rows)
        self.rows = []


def _is_sqlite() -> bool:
    return db.obj.__class__.__name__.startswith("Sqlite")


def _handle(rng) -> str:
    """A handle shaped as portal.handles draws them, from the seeded generator (quicker)."""
    drawn = "".join(ALPHABET[rng.getrandbits(5)] for _ in range(2 * GROUP))
    return f"{drawn[:GROUP]}-{drawn[GROUP:]}"


def _seal(keyring, table: str, column: str, uid: str, text: str) -> bytes:
    # What portal.sealing.Sealed does for one attribute, without building a model instance.
    return keyring.seal(text, f"{table}|{column}|{uid}")


def _organizations(rng, now):
    countries = list(COUNTRY_REGION)
    rows, by_service = [], {service: [] for service in SERVICES}
    for i in range(1, ORGANIZATIONS + 1):
        if i == 1:
            key, services, capacity = BUSY_KEY, SERVICES, 60
            where = countries
        else:
            key = f"organization-{i:04d}"
            services = tuple(rng.sample(SERVICES, rng.randint(1, 3)))
            capacity = rng.randint(0, 12)
            where = rng.sample(countries, rng.randint(1, 12))
        rows.append(
            (
                i,
                new_uid(),
                key,
                f"Organization {i:04d}" if i > 1 else "Busy organization",
                ",".join(rng.sample(list(REGIONS), rng.randint(0, 2))),
                ",".join(where),
                ",".join(services),
                ",".join(rng.sample(LANGUAGES, rng.randint(1, 3))),
                capacity,
                "A fictional organization for the benchmark.",
                now,
                now,
            )
        )
        for service in services:
            by_service[service].append(i)
    fields = [
        Organization.id,
        Organization.uid,
        Organization.key,
        Organization.name,
        Organization.regions,
        Organization.countries,
        Organization.services,
        Organization.languages,
        Organization.capacity,
        Organization.description_en,
        Organization.created_at,
        Organization.updated_at,
    ]
    batches = _Batches(Organization, fields)
    for row in rows:
        batches.add(row)
    batches.flush()
    return by_service


def _users(now):
    """Reviewers (ids 1..REVIEWERS) and one member per organization (id REVIEWERS + org id)."""
    fields = [User.id, User.uid, User.email, User.role, User.password_hash, User.organization]
    batches = _Batches(User, fields)
    for i in range(1, REVIEWERS + 1):
        batches.add((i, new_uid(), f"reviewer{i}@bench.example", "reviewer", NO_PASSWORD, None))
    for org in range(1, ORGANIZATIONS + 1):
        email = f"member{org}@bench.example"
        batches.add((REVIEWERS + org, new_uid(), email, "org_member", NO_PASSWORD, org))
    batches.flush()
    return REVIEWERS + ORGANIZATIONS


def _path(rng) -> list[str]:
    """The states a request goes through on its way to where it ends."""
    ending = rng.random()
    path = [SUBMITTED]
    if ending < 0.08:  # withdrawn early
        if rng.random() < 0.5:
            path.append(IN_REVIEW)
        return [*path, WITHDRAWN]
    path.append(IN_REVIEW)
    if rng.random() < 0.25:
        path += [NEEDS_INFO, IN_REVIEW]
    if ending < 0.38:
        return [*path, REJECTED]
    path += [APPROVED, OFFERED]
    if rng.random() < 0.2:  # every organization declined or let it lapse: matched again
        path += [APPROVED, OFFERED]
    if ending < 0.43:  # nobody could take it
        return [*path, APPROVED, REJECTED]
    return [*path, ACCEPTED, ACTIVE, COMPLETED]


def seed(requests: int = 100_000, rng_seed: int = 14) -> Seeded:
    """Fill the bound, freshly migrated, empty database. Call inside an app context."""
    started = time.perf_counter()
    rng = random.Random(rng_seed)
    keyring = sealing.keyring()
    now = utcnow().replace(microsecond=0)
    result = Seeded(requests=requests, organizations=ORGANIZATIONS, busy_organization_id=1)
    countries = list(COUNTRY_REGION)

    with db.atomic():
        by_service = _organizations(rng, now)
        _users(now)

    request_fields = [
        Request.id,
        Request.uid,
        Request.reference,
        Request.tracking_hash,
        Request.state,
        Request.queue_rank,
        Request.version,
        Request.locale,
        Request.created_at,
        Request.updated_at,
        Request.service,
        Request.requester_kind,
        Request.country,
        Request.region,
        Request.urgency,
        Request.start_date,
        Request.people_count,
        Request.languages,
        Request.name_sealed,
        Request.place_sealed,
        Request.situation_sealed,
        Request.asked_for_sealed,
    ]
    event_fields = [
        TimelineEvent.request,
        TimelineEvent.created_at,
        TimelineEvent.actor,
        TimelineEvent.user,
        TimelineEvent.organization,
        TimelineEvent.from_state,
        TimelineEvent.to_state,
        TimelineEvent.reason,
    ]
    offer_fields = [
        Offer.id,
        Offer.uid,
        Offer.handle,
        Offer.request,
        Offer.organization,
        Offer.state,
        Offer.created_at,
        Offer.offered_by,
        Offer.decided_at,
        Offer.decided_by,
        Offer.summary_sealed,
        Offer.reason_sealed,
        Offer.expires_at,
        Offer.working,
    ]
    message_fields = [
        Message.uid,
        Message.request,
        Message.created_at,
        Message.author,
        Message.user,
        Message.body_sealed,
    ]
    audit_fields = [
        AuditEvent.created_at,
        AuditEvent.user,
        AuditEvent.action,
        AuditEvent.reference,
        AuditEvent.detail,
    ]
    requests_out = _Batches(Request, request_fields)
    events_out = _Batches(TimelineEvent, event_fields)
    offers_out = _Batches(Offer, offer_fields)
    messages_out = _Batches(Message, message_fields)
    audit_out = _Batches(AuditEvent, audit_fields)
    handles, offer_id = set(), 0
    counters: dict[int, int] = {}

    # Arrivals over two years, more of them lately; numbered per year in order.
    start = now - datetime.timedelta(days=DAYS)
    arrivals = sorted(
        start + datetime.timedelta(seconds=DAYS * 86400 * rng.random() ** 0.8)
        for _ in range(requests)
    )
    with db.atomic():
        for request_id, created in enumerate(arrivals, start=1):
            counters[created.year] = number = counters.get(created.year, 0) + 1
            reference = f"AR-{created.year}-{number:04d}"
            uid = new_uid()
            service = rng.choice(SERVICES)
            country = rng.choice(countries)
            urgency = rng.choices(URGENCIES, weights=(15, 35, 50))[0]
            age_days = (now - created).total_seconds() / 86400
            path = _path(rng)
            # One step every few days: old requests have ended, recent ones are on their way.
            pace = rng.uniform(0.5, 6.0) if urgency != URGENCIES[0] else rng.uniform(0.3, 3.0)
            steps = min(len(path), 1 + int(age_days / pace))
            lived = path[:steps]
            reviewer = rng.randint(1, REVIEWERS)
            moment = created
            accepted_by = None
            round_orgs: list[int] = []
            unanswered = False  # some organization declined it or let it lapse
            final = lived[-1]
            events = []
            audit = []
            for index, state in enumerate(lived):
                if index:
                    moment = min(now, moment + datetime.timedelta(hours=rng.uniform(1, pace * 24)))
                previous = lived[index - 1] if index else None
                actor, user, organization, reason = "staff", reviewer, None, None
                if index == 0:
                    actor, user = "requester", None
                elif state in (ACCEPTED, ACTIVE, COMPLETED) and accepted_by:
                    actor, user, organization = "organization", REVIEWERS + accepted_by, accepted_by
                elif state == WITHDRAWN or (previous == NEEDS_INFO and rng.random() < 0.7):
                    actor, user = "requester", None
                elif previous == OFFERED and state == APPROVED:
                    actor, user = "system", None
                if state == REJECTED:
                    reason = "no_capacity" if previous == APPROVED else "outside_mandate"
                events.append(
                    (request_id, moment, actor, user, organization, previous, state, reason)
                )
                if actor == "staff":
                    audit.append((moment, user, "request.viewed", reference, ""))
                    audit.append((moment, user, "request.transition", reference, "action=x"))
                if state == NEEDS_INFO:
                    message_uid = new_uid()
                    body = _seal(keyring, "message", "body", message_uid, "Could you say more?")
                    messages_out.add((message_uid, request_id, moment, "staff", reviewer, body))
                if state == OFFERED:
                    candidates = by_service[service]
                    round_orgs = rng.sample(candidates, min(len(candidates), rng.randint(1, 4)))
                    if 1 not in round_orgs and rng.random() < 0.08:
                        round_orgs[rng.randrange(len(round_orgs))] = 1  # the busy organization
                    audit.append((moment, reviewer, "request.offered", reference, ""))
                    next_state = lived[index + 1] if index + 1 < len(lived) else None
                    if next_state == ACCEPTED:
                        accepted_by = round_orgs[0]
                    summary_text = "A community leader needs accompaniment to hearings."
                    for org in round_orgs:
                        offer_id += 1
                        offer_uid = new_uid()
                        handle = _handle(rng)
                        while handle in handles:
                            handle = _handle(rng)
                        handles.add(handle)
                        decided, decided_by, sealed_reason = None, None, None
                        decided_at = moment + datetime.timedelta(hours=rng.uniform(1, 30))
                        if next_state is None:
                            offer_state = OFFER_OPEN
                        elif next_state == ACCEPTED:
                            offer_state = OFFER_ACCEPTED if org == accepted_by else OFFER_CLOSED
                        elif next_state == APPROVED:
                            offer_state = rng.choice((OFFER_DECLINED, OFFER_EXPIRED))
                            unanswered = True
                        else:  # withdrawn or rejected while offered
                            offer_state = OFFER_CLOSED
                        if offer_state != OFFER_OPEN:
                            decided = min(now, decided_at)
                        if offer_state in (OFFER_ACCEPTED, OFFER_DECLINED):
                            decided_by = REVIEWERS + org
                            audit.append((decided, decided_by, "offer.viewed", reference, ""))
                            audit.append(
                                (decided, decided_by, f"offer.{offer_state}", reference, "")
                            )
                        if offer_state == OFFER_DECLINED:
                            sealed_reason = _seal(
                                keyring, "offer", "reason", offer_uid, "No one free then."
                            )
                        offers_out.add(
                            (
                                offer_id,
                                offer_uid,
                                handle,
                                request_id,
                                org,
                                offer_state,
                                moment,
                                reviewer,
                                decided,
                                decided_by,
                                _seal(keyring, "offer", "summary", offer_uid, summary_text),
                                sealed_reason,
                                moment + datetime.timedelta(days=2),
                                offer_state == OFFER_ACCEPTED and final in (ACCEPTED, ACTIVE),
                            )
                        )
            state = lived[-1]
            # Reviewers open requests again and again, and sign in to do so.
            for _ in range(rng.randint(1, 4)):
                audit.append((moment, reviewer, "request.viewed", reference, ""))
            audit.append((created, reviewer, "sign_in.succeeded", None, ""))
            for event in events:
                events_out.add(event)
            for row in audit:
                audit_out.add(row)
            requests_out.add(
                (
                    request_id,
                    uid,
                    reference,
                    secrets.token_hex(32),
                    state,
                    workflow.queue_rank(state, urgency, unanswered),
                    len(lived),
                    rng.choice(("en", "fr", "es")),
                    created,
                    moment,
                    service,
                    rng.choice(KINDS),
                    country,
                    COUNTRY_REGION[country],
                    urgency,
                    (created + datetime.timedelta(days=rng.randint(1, 30))).date(),
                    rng.randint(1, 40),
                    ",".join(rng.sample(LANGUAGES, rng.randint(1, 2))),
                    _seal(keyring, "request", "name", uid, "Comunidad de ejemplo"),
                    _seal(keyring, "request", "place", uid, "Somewhere in the hills"),
                    _seal(keyring, "request", "situation", uid, "Threats since March."),
                    _seal(keyring, "request", "asked_for", uid, "Accompaniment to hearings."),
                )
            )
            if state in (IN_REVIEW, APPROVED) and len(result.matchable) < 500:
                result.matchable.append(reference)
            # Rows of a request go in after the request itself (foreign keys).
            if len(requests_out.rows) >= BATCH:
                _flush_all(requests_out, events_out, offers_out, messages_out, audit_out)
        _flush_all(requests_out, events_out, offers_out, messages_out, audit_out)
        ReferenceCounter.insert_many(
            sorted(counters.items()), fields=[ReferenceCounter.year, ReferenceCounter.last]
        ).execute()
    _reset_sequences()
    result.events, result.offers = events_out.count, offers_out.count
    result.audit_events = audit_out.count
    result.seconds = time.perf_counter() - started
    return result


def _flush_all(*batches):
    for batch in batches:
        batch.flush()


def _reset_sequences():
    """PostgreSQL: ids were given here, so each table's sequence must continue after them."""
    if _is_sqlite():
        return
    for model in (Organization, User, Request, TimelineEvent, Offer, Message, AuditEvent):
        table = model._meta.table_name
        db.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
        )


@contextlib.contextmanager
def postgresql_database(prefix: str = "portal_bench"):
    """A fresh PostgreSQL database on 127.0.0.1 (its URL), dropped afterwards."""
    import psycopg2

    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = psycopg2.connect(
        dbname="postgres", host="127.0.0.1", port=5432, user="postgres", connect_timeout=3
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        if db.obj is not None and not db.is_closed():
            db.close()
        _close_pool()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _close_pool():
    close_all = getattr(db.obj, "close_all", None)
    if close_all is not None:
        close_all()


def seeded_app(folder: Path, requests: int, database_url: str | None = None):
    """A portal on a new database in `folder` (or at `database_url`), migrated and seeded."""
    app = create_app(settings(folder, database_url))
    with app.app_context(), db.connection_context():
        migrate()
        seeded = seed(requests)
        fresh_statistics()
    return app, seeded


def fresh_statistics():
    """What keeps the planner's statistics fresh in service, done once after seeding.

    PostgreSQL's autovacuum would analyze (and vacuum, which index-only scans need) the new
    tables within a minute; the portal's own job does it for SQLite when it has one.
    """
    from portal import db as portal_db

    refresh = getattr(portal_db, "refresh_statistics", None)
    if _is_sqlite():
        if refresh is not None:
            refresh()
        return
    with db.obj.connection().cursor() as cursor:
        db.obj.connection().commit()
        old = db.obj.connection().autocommit
        db.obj.connection().autocommit = True
        try:
            cursor.execute("VACUUM ANALYZE")
        finally:
            db.obj.connection().autocommit = old


def _summary(seeded: Seeded) -> str:
    return (
        f"{seeded.requests} requests, {seeded.events} timeline events, {seeded.offers} offers, "
        f"{seeded.audit_events} audit events in {seeded.seconds:.1f} s"
    )


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    folder = Path(tempfile.mkdtemp(prefix="portal-seed-"))
    try:
        _, seeded = seeded_app(folder / "sqlite", requests)
        print(f"SQLite: {_summary(seeded)}")
        with postgresql_database() as url:
            _, seeded = seeded_app(folder / "postgresql", requests, url)
            print(f"PostgreSQL: {_summary(seeded)}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
