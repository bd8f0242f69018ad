"""The database: declared once, bound late, opened per request."""

import datetime
import math
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from peewee import DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import connect, parse
from playhouse.pool import PooledPostgresqlDatabase

db = DatabaseProxy()

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# secure_delete overwrites deleted rows, so a purged request does not linger in
# free pages of the file; WAL lets readers work while a request is written.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "secure_delete": 1,
    "busy_timeout": 5000,
    "synchronous": "normal",
}


@dataclass
class Page:
    """One page of a query's rows, and where it sits among the others.

    With `more`, the rows were counted only up to `total` (there are more): `pages` is
    then this page's number, plus one when another page follows.
    """

    items: list
    total: int
    number: int
    pages: int
    more: bool = False

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def numbers(self) -> list[int | None]:
        """The page numbers to link to: the first two, the last two and two either side of
        this one, None where some are left out."""
        shown = {1, 2, self.pages - 1, self.pages, *range(self.number - 2, self.number + 3)}
        numbers: list[int | None] = []
        for number in sorted(n for n in shown if 1 <= n <= self.pages):
            if numbers and number - numbers[-1] > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def as_datetime(value):
    """A datetime read back from an aggregate (MAX, MIN): SQLite hands it back as text,
    PostgreSQL as a datetime."""
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value)
    return value


def page_of(query, number: int, size: int, *, count_query=None, ordering=None) -> Page:
    """Page `number` of `query`; a number out of range gives the nearest page.

    `count_query` counts the same rows more cheaply (without the joins that only the page's
    rows need). With `ordering`, the query's ORDER BY terms, ending with a unique one, a page
    past the middle is read from the end in the opposite order: the last pages cost what
    the first ones do, instead of skipping every row before them.
    """
    total = (query if count_query is None else count_query).count()
    pages = max(1, math.ceil(total / size))
    number = min(max(1, number), pages)
    return Page(rows_at(query, (number - 1) * size, size, total, ordering), total, number, pages)


def rows_at(query, offset: int, size: int, total: int, ordering=None) -> list:
    """`size` rows of `query` from `offset` of `total`; read backwards when that skips fewer
    rows, if the query's `ordering` is given."""
    if not ordering or offset <= total - offset - size:
        return list(query.limit(size).offset(offset))
    end = min(total, offset + size)
    backwards = query.order_by(*[_reversed(term) for term in ordering])
    rows = list(backwards.limit(end - offset).offset(total - end))
    rows.reverse()
    return rows


def _reversed(term):
    """An ORDER BY term in the opposite direction."""
    direction = getattr(term, "direction", None)
    if direction is None:
        return term.desc()
    node = term.node
    return node.asc() if direction.upper() == "DESC" else node.desc()


# Past this, a page number typed in an address is read as the last page.
_FARTHEST_PAGE = 10_000_000


def counted_page_of(query, number: int, size: int, *, count_query, up_to: int) -> Page:
    """Page `number` of `query`, its rows counted only up to `up_to`: a page of a table that
    grows without end (the audit trail) costs the same whatever its size.

    Up to `up_to` rows the total is exact. Beyond, the page says there are more, and whether
    another page follows; a number past the last page (typed in the address) still gives
    the last page, counted in full for that once.
    """
    counted = count_query.limit(up_to + 1).count()
    if counted <= up_to:  # all of them: an exact total
        pages = max(1, math.ceil(counted / size))
        number = min(max(1, number), pages)
        return Page(list(query.paginate(number, size)), counted, number, pages)
    number = min(max(1, number), _FARTHEST_PAGE)
    rows = list(query.limit(size + 1).offset((number - 1) * size))
    if not rows:
        return page_of(query, number, size, count_query=count_query)
    following = len(rows) > size
    return Page(rows[:size], up_to, number, number + following, more=True)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


# PostgreSQL connections kept open between pages, per process: a new one costs a few
# milliseconds on every page. More than the server's threads (deploy/gunicorn.conf.py) and
# the worker's; a connection five minutes old is closed rather than reused (so that one the
# server or a proxy has dropped does not linger), and a page waits up to ten seconds for a
# connection when all are in use. The URL may say otherwise:
# postgresql://host/name?max_connections=40&stale_timeout=60.
POOL = {"max_connections": 20, "stale_timeout": 300, "timeout": 10}


def open_database(url: str, *, pooled: bool = False):
    """A peewee database for a URL such as sqlite:///path or postgresql://host/name.

    `pooled`: PostgreSQL connections are kept for the next page (closing one returns it to
    the pool), for the web app and its worker; one-off commands connect and leave.
    """
    if url.startswith("sqlite:///"):
        # BEGIN IMMEDIATE: a transaction takes the write lock when it starts, so
        # two writers queue (busy_timeout) instead of one failing with "database
        # is locked" when it reads first and then tries to write.
        return SqliteDatabase(
            url.removeprefix("sqlite:///"), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE"
        )
    if pooled and url.startswith(("postgresql://", "postgres://")):
        return PooledPostgresqlDatabase(**{**POOL, **parse(url)})
    return connect(url)


def init_app(app: Flask) -> None:
    # peewee connects on the first query of a request (pages without data and
    # static files never touch the database); the teardown closes it, which for
    # PostgreSQL gives the connection back to the pool.
    db.initialize(open_database(app.config["DATABASE_URL"], pooled=True))

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()


def migrate() -> list[str]:
    """Bring the bound database to the current schema; returns the migrations applied.

    After migrations on a database that holds requests, the planner's statistics are read
    again: a migration that adds an index or fills a column changes what the best plan is.
    (A new, empty database has nothing to measure yet.)
    """
    from playhouse.migrations import Runner

    with db.connection_context():
        applied = Runner(db.obj, str(MIGRATIONS_DIR)).up()
        if applied and db.execute_sql("SELECT 1 FROM request LIMIT 1").fetchone():
            refresh_statistics()
        return applied


# SQLite reads about this many entries of each index to estimate it: a full ANALYZE of a
# million audit events takes seconds, this some tens of milliseconds.
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_statistics() -> None:
    """Let the query planner know how many rows each table and index holds now: after
    migrations, and every day (the worker's purge).

    SQLite never gathers statistics by itself: without them it may pick an index that
    reads a whole table. PostgreSQL's autovacuum keeps its own fresh, but a table just
    rewritten or indexed by a migration would wait for it.
    """
    if isinstance(db.obj, SqliteDatabase):
        db.execute_sql(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
    db.execute_sql("ANALYZE")
