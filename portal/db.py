"""The database: declared once, bound late, opened per request."""

import math
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from peewee import DatabaseProxy, Model, SqliteDatabase
from playhouse.db_url import connect

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
    """One page of a query's rows, and where it sits among the others."""

    items: list
    total: int
    number: int
    pages: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_of(query, number: int, size: int) -> Page:
    """Page `number` of `query`; a number out of range gives the nearest page."""
    total = query.count()
    pages = max(1, math.ceil(total / size))
    number = min(max(1, number), pages)
    return Page(list(query.paginate(number, size)), total, number, pages)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def open_database(url: str):
    """A peewee database for a URL such as sqlite:///path or postgresql://host/name."""
    if url.startswith("sqlite:///"):
        # BEGIN IMMEDIATE: a transaction takes the write lock when it starts, so
        # two writers queue (busy_timeout) instead of one failing with "database
        # is locked" when it reads first and then tries to write.
        return SqliteDatabase(
            url.removeprefix("sqlite:///"), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE"
        )
    return connect(url)


def init_app(app: Flask) -> None:
    # peewee connects on the first query of a request (pages without data and
    # static files never touch the database); the teardown closes it.
    db.initialize(open_database(app.config["DATABASE_URL"]))

    @app.teardown_appcontext
    def _close(exc):
        if not db.is_closed():
            db.close()


def migrate() -> list[str]:
    """Bring the bound database to the current schema; returns the migrations applied."""
    from playhouse.migrations import Runner

    with db.connection_context():
        return Runner(db.obj, str(MIGRATIONS_DIR)).up()
