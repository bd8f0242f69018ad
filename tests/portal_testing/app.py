"""A portal on a fresh database, and the real servers (PostgreSQL, Redis) on 127.0.0.1."""

import atexit
import base64
import contextlib
import functools
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from portal import create_app
from portal.db import db, migrate

from .keys import ESCROW

TEST_DATA_KEYS = "t1:" + base64.urlsafe_b64encode(b"k" * 32).decode()

# A value for pytest.mark.app_config: leave this setting as the portal ships it.
AS_SHIPPED = object()

# Staff sign in with a password alone (two-step sign-in has its own tests, in tests/auth/).
PASSWORD_ALONE = {"TOTP_REQUIRED_ROLES": ""}
# Room for the many sign-ins, requests and code checks of a long story.
ROOM_FOR_MANY = {
    "SIGN_IN_RATE_LIMIT": "1000 per minute",
    "SIGN_IN_ACCOUNT_RATE_LIMIT": "1000 per hour",
    "SUBMIT_RATE_LIMIT": "1000 per hour",
    "TRACK_RATE_LIMIT": "1000 per minute",
}


@functools.cache
def _static_build_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="portal-static-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def portal_settings(tmp_path, **overrides):
    """The settings of a test portal keeping its files in `tmp_path`, with `overrides`.

    An override of AS_SHIPPED leaves that setting to the portal's own default.
    """
    settings = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "SECRET_KEY": "test-secret-key",
        "DATA_KEYS": TEST_DATA_KEYS,
        "TRACKING_KEY": "test-tracking-key",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Jobs run at once, in the test's own thread (tests/jobs/ runs a real worker).
        "QUEUE_URL": "memory://",
        # Static files are built once for the test session, not once per portal.
        "STATIC_BUILD_FOLDER": str(_static_build_folder()),
        # Its private half (portal_testing.keys) lets a test read what people's keys seal.
        "ESCROW_PUBLIC_KEY": ESCROW.public_key,
    }
    settings.update(overrides)
    return {name: value for name, value in settings.items() if value is not AS_SHIPPED}


def unmigrated_app(tmp_path, **overrides):
    """A portal on a database file nothing has been done to yet."""
    return create_app(portal_settings(tmp_path, **overrides))


@functools.cache
def _migrated_sqlite() -> Path:
    """A SQLite file the migrations built, once for the test session."""
    folder = Path(tempfile.mkdtemp(prefix="portal-migrated-"))
    atexit.register(shutil.rmtree, folder, True)
    app = unmigrated_app(folder)
    with app.app_context(), db.connection_context():
        migrate()
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    return folder / "portal.sqlite3"


def make_app(tmp_path, **overrides):
    """A portal on a fresh database built by the migrations.

    On SQLite, a new database is a copy of a file the migrations built once: the same
    schema and rows, without running every migration again for each of the suite's tests.
    A database already in `tmp_path` (a portal started again) is only brought up to date.
    """
    target = Path(tmp_path) / "portal.sqlite3"
    if "DATABASE_URL" not in overrides and not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_migrated_sqlite(), target)
        return unmigrated_app(tmp_path, **overrides)
    app = unmigrated_app(tmp_path, **overrides)
    with app.app_context():
        migrate()
    return app


PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def pg_url(name):
    return f"postgresql://postgres@127.0.0.1:5432/{name}"


def unavailable(reason):
    if os.environ.get("PORTAL_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (PORTAL_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def redis_connection(number):
    """A client of Redis database `number` on 127.0.0.1, or a skip (a failure when required)."""
    redis = pytest.importorskip("redis")
    connection = redis.Redis(host="127.0.0.1", port=6379, db=number, socket_timeout=3)
    try:
        connection.ping()
    except redis.exceptions.RedisError as exc:
        connection.close()
        unavailable(f"Redis is not reachable on 127.0.0.1:6379: {exc}")
    return connection


def admin_connection():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        connection = psycopg2.connect(dbname="postgres", connect_timeout=3, **PG)
    except psycopg2.OperationalError as exc:
        unavailable(f"PostgreSQL is not reachable on 127.0.0.1:5432: {exc}".strip())
    connection.autocommit = True
    return connection


@contextlib.contextmanager
def fresh_pg_database(prefix="portal_test"):
    """A fresh, empty PostgreSQL database with a random name (yielded), dropped afterwards."""
    admin = admin_connection()
    name = f"{prefix}_{secrets.token_hex(6)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        if not db.is_closed():
            db.close()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def database_bytes(tmp_path):
    """The database as someone who copied its files would have it."""
    files = sorted(Path(tmp_path).glob("portal.sqlite3*"))
    assert files, "no database file was written"
    return b"".join(path.read_bytes() for path in files)
