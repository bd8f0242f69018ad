"""Backups taken while the portal works: a SQLite snapshot in the middle of writes holds
whole transactions only, and pg_dump gets its password from its environment, never from its
command line (split from test_backup.py, which restores what the commands wrote)."""

import os
import sqlite3
import threading
from contextlib import closing

import pytest

from portal import backup
from portal.models import utcnow

from portal_testing import admin_connection, make_app, pg_url, unmigrated_app

PASSPHRASE = "seven rivers cross the old bridge"


# --- SQLite: a snapshot while the portal writes ---------------------------------------------------


def pairs_in(path):
    with closing(sqlite3.connect(path)) as connection:
        return connection.execute(
            "SELECT count(*) FROM audit_event WHERE action = 'pair'"
        ).fetchone()[0]


def write_pair(connection, number, between=None):
    """Two rows in one transaction: a consistent copy holds both or neither."""
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        "INSERT INTO audit_event (created_at, action, detail) VALUES (?, 'pair', ?)",
        (utcnow(), f"{number} first"),
    )
    if between is not None:
        between()
    connection.execute(
        "INSERT INTO audit_event (created_at, action, detail) VALUES (?, 'pair', ?)",
        (utcnow(), f"{number} second"),
    )
    connection.execute("COMMIT")


def restored_copy(path, folder):
    portal = unmigrated_app(folder)
    backup.restore_backup(
        portal.config["DATABASE_URL"], path, PASSPHRASE, scratch=portal.instance_path
    )
    return folder / "portal.sqlite3"


def test_a_backup_taken_in_the_middle_of_a_transaction_holds_none_of_it(tmp_path):
    live = make_app(tmp_path / "live")
    url = live.config["DATABASE_URL"]
    path = tmp_path / "during.backup"
    writer = sqlite3.connect(tmp_path / "live" / "portal.sqlite3", isolation_level=None)
    with closing(writer):
        write_pair(writer, 1)
        write_pair(writer, 2, between=lambda: backup.write_backup(url, path, PASSPHRASE))

    assert pairs_in(restored_copy(path, tmp_path / "restored")) == 2
    assert pairs_in(tmp_path / "live" / "portal.sqlite3") == 4


def test_a_backup_taken_while_another_thread_writes_is_consistent(tmp_path):
    live = make_app(tmp_path / "live")
    started, stop = threading.Event(), threading.Event()
    written = []

    def keep_writing():
        connection = sqlite3.connect(
            tmp_path / "live" / "portal.sqlite3", isolation_level=None, timeout=30
        )
        with closing(connection):
            while not stop.is_set():
                write_pair(connection, len(written))
                written.append(1)
                started.set()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        assert started.wait(30)
        path = tmp_path / "busy.backup"
        backup.write_backup(live.config["DATABASE_URL"], path, PASSPHRASE, chunk_size=4096)
    finally:
        stop.set()
        thread.join()

    pairs = pairs_in(restored_copy(path, tmp_path / "restored"))
    assert pairs > 0
    assert pairs % 2 == 0
    assert not list((tmp_path / "live").glob(".portal-backup-*"))  # the plaintext copy is gone


# --- PostgreSQL: the password never on a command line ---------------------------------------------


def test_pg_dump_gets_the_password_from_its_environment_not_its_command_line():
    url = "postgresql://portal:s3cr%40t@db.internal:5433/portal?sslmode=require&max_connections=8"

    conninfo, environment = backup.libpq_connection(url)

    assert conninfo == (
        "host='db.internal' port='5433' user='portal' dbname='portal' sslmode='require'"
    )
    assert environment["PGPASSWORD"] == "s3cr@t"


def test_a_backup_of_a_database_out_of_reach_leaves_no_file(tmp_path, monkeypatch):
    admin_connection().close()  # PostgreSQL is there; the database named below is not
    url = pg_url("no_such_database_here")
    path = tmp_path / "none.backup"

    with pytest.raises(backup.BackupError) as unreachable:
        backup.write_backup(url, path, PASSPHRASE)
    assert str(unreachable.value).startswith("cannot read the database: ")

    # Had the database gone between reading its schema and dumping it:
    monkeypatch.setattr(backup, "_database_schema", lambda url: [])
    with pytest.raises(backup.BackupError) as failed:
        backup.write_backup(url, path, PASSPHRASE)
    assert str(failed.value).startswith("pg_dump failed, no backup written: ")
    assert "no_such_database_here" in str(failed.value)

    assert os.listdir(tmp_path) == []
