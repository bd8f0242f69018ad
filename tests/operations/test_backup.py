"""Backups that restore: `flask --app portal backup FILE` and `restore FILE`, on SQLite and
PostgreSQL.

One portal per database is filled once for the module, every sealed field holding words of
its own, and backed up with the command; each test restores that backup (or a copy it
spoils) into a fresh portal.
"""

import base64
import os
import sqlite3
import struct
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from portal import backup, intake, request_keys, sealing
from portal.db import db
from portal.models import (
    MODELS,
    CheckIn,
    ClosingReport,
    Complaint,
    Evaluation,
    Held,
    InternalNote,
    Message,
    Notice,
    Offer,
    OrganizationMessage,
    PendingCode,
    ProgressUpdate,
    utcnow,
)

from portal_testing import (
    add_organization,
    create_staff_account,
    fresh_pg_database,
    make_app,
    pg_url,
    request_fields,
    unmigrated_app,
)
from portal_testing.keys import as_escrow

PASSPHRASE = "seven rivers cross the old bridge"
WRONG_PASSPHRASE = "seven rivers cross the new bridge"
OTHER_DATA_KEYS = "o1:" + base64.urlsafe_b64encode(b"o" * 32).decode()
SEALED_MODELS = [model for model in MODELS if sealing.sealed_fields(model)]


def words_of(model, name):
    """What a sealed field holds in these tests: easy to find in a file, if it were there."""
    return f"{model.__name__}.{name}: Marisol Quintero Ruiz, vereda El Palmar"


def fill_every_sealed_field():
    """One row in each table with sealed fields, every sealed field filled (in an app context)."""
    organization = add_organization("brigadas-del-macizo")
    member = create_staff_account("member@network.test", "org_member", organization=organization)
    request = intake.submit(request_fields(), "en").request
    rows = [
        member,
        request,
        Message(request=request, author="requester"),
        Offer(request=request, organization=organization, state="accepted"),
        OrganizationMessage(request=request, organization=organization, author="organization"),
        Evaluation(request=request),
        Complaint(request=request, organization=organization),
        ProgressUpdate(request=request, organization=organization),
        ClosingReport(request=request, organization=organization, follow_up=False),
        CheckIn(request=request, organization=organization, status="incident"),
        InternalNote(request=request),
        Notice(kind="request_news", request=request, due_at=utcnow()),
        # Sealed under the browser's id, not by a `Sealed` field: any bytes stand in.
        PendingCode(id_hash="a" * 64, request=request, code_sealed=b"under a browser's id"),
        Held(id_hash="b" * 64, kind="draft", user=member, content_sealed=b"under its id"),
    ]
    for row in rows:
        for name in sealing.sealed_fields(type(row)):
            setattr(row, name, words_of(type(row), name))
        row.save()


def opened_fields(app):
    """Every sealed value, opened (those sealed to people's keys with the escrow's key):
    {(table, field, row uid): words}."""
    with app.app_context(), db.connection_context(), as_escrow():
        return {
            (model.__name__, name, row.uid): getattr(row, name)
            for model in SEALED_MODELS
            for row in model.select()
            for name in sealing.sealed_fields(model)
        }


def contents(app):
    """Every row of every table, as stored: sealed fields as their ciphertext."""

    def stored(value):
        return bytes(value) if isinstance(value, memoryview) else value

    with app.app_context(), db.connection_context():
        return {
            model.__name__: sorted(
                (tuple(stored(value) for value in row) for row in model.select().tuples()),
                key=repr,
            )
            for model in MODELS
        }


def sealed_bytes(stored_contents):
    return [
        value
        for rows in stored_contents.values()
        for row in rows
        for value in row
        # Under the keyring, or to people's keys (portal.keychain).
        if isinstance(value, bytes) and value.startswith((b"v1:", b"e1:"))
    ]


def stored_texts(stored_contents):
    return {
        value
        for rows in stored_contents.values()
        for row in rows
        for value in row
        if isinstance(value, str) and len(value) >= 12
    }


@dataclass
class Made:
    """A portal filled once, what it held, and the backup the command wrote of it."""

    backend: str
    app: object
    path: Path
    contents: dict
    opened: dict


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def made(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"made-{request.param}")
    if request.param == "sqlite":
        yield _made(request.param, folder, {})
        return
    with fresh_pg_database("portal_test_backup") as name:
        yield _made(request.param, folder, {"DATABASE_URL": pg_url(name)})


def _made(backend, folder, settings):
    app = make_app(folder, **settings)
    with app.app_context(), db.connection_context():
        fill_every_sealed_field()
    stored, opened = contents(app), opened_fields(app)
    path = folder / "portal.backup"
    result = app.test_cli_runner().invoke(
        args=["backup", str(path)], env={"PORTAL_BACKUP_PASSPHRASE": PASSPHRASE}
    )
    assert result.exit_code == 0, result.output
    assert f"backup of the {backend} database written to {path}" in result.output
    return Made(backend, app, path, stored, opened)


@pytest.fixture
def fresh(made, request, tmp_path):
    """fresh(**settings): a new portal on an empty database of the same kind, migrated."""

    def new_portal(**settings):
        if made.backend == "postgresql":
            settings.setdefault("DATABASE_URL", pg_url(request.getfixturevalue("pg_name")))
        return make_app(tmp_path / "fresh", **settings)

    return new_portal


def restore(app, path, *options, passphrase=PASSPHRASE):
    return app.test_cli_runner().invoke(
        args=["restore", str(path), *options], env={"PORTAL_BACKUP_PASSPHRASE": passphrase}
    )


def refusal(app, path, passphrase=PASSPHRASE):
    """The one-line reason the restore of `path` into `app` is refused."""
    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(
            app.config["DATABASE_URL"], path, passphrase, scratch=app.instance_path
        )
    return str(refused.value)


# --- a backup restores ---------------------------------------------------------------------------


def test_the_portal_filled_every_sealed_field_of_every_table(made):
    filled = {(table, name) for table, name, _ in made.opened}
    every = {
        (model.__name__, name) for model in SEALED_MODELS for name in sealing.sealed_fields(model)
    }

    assert filled == every
    by_name = {model.__name__: model for model in SEALED_MODELS}
    for (table, name, _uid), words in made.opened.items():
        assert words == words_of(by_name[table], name)


def test_a_restored_backup_gives_back_every_row_and_opens_every_sealed_field(made, fresh):
    portal = fresh()

    result = restore(portal, made.path)

    assert result.exit_code == 0, result.output
    assert f"restored the {made.backend} database as it was at " in result.output
    assert "pending" not in result.output
    assert contents(portal) == made.contents
    assert opened_fields(portal) == made.opened


def test_the_backup_file_holds_no_words_no_ciphertext_and_no_hashes_in_the_clear(made):
    data = made.path.read_bytes()

    assert data.startswith(backup.MAGIC)
    assert os.stat(made.path).st_mode & 0o777 == 0o600
    for words in set(made.opened.values()):
        assert words.encode() not in data
        assert words.encode("utf-16-le") not in data
    for sealed in sealed_bytes(made.contents):
        assert sealed[20:] not in data  # the nonce and ciphertext after the key id
    # Emails, uids, tracking hashes, references: nothing stored is readable after the header.
    encrypted = data[header_end(data) :]
    for text in stored_texts(made.contents):
        assert text.encode() not in encrypted, text
    assert b"SQLite format 3" not in data


def test_with_other_data_keys_the_rows_come_back_but_no_sealed_field_opens(made, fresh):
    """The backup and its passphrase alone do not reveal what people wrote."""
    portal = fresh(DATA_KEYS=OTHER_DATA_KEYS)

    assert restore(portal, made.path).exit_code == 0

    assert contents(portal) == made.contents
    with portal.app_context(), db.connection_context():
        for model in SEALED_MODELS:
            for row in model.select():
                for name in sealing.sealed_fields(model):
                    # Sealed to people's keys, it opens with none of the server's: only with
                    # a holder's password or the escrow, as on the portal it came from.
                    locked = (
                        request_keys.Locked if sealed_to_keys(model, name) else sealing.SealError
                    )
                    with pytest.raises(locked):
                        getattr(row, name)
    with portal.app_context(), db.connection_context(), as_escrow():
        for model in SEALED_MODELS:
            for name in sealing.sealed_fields(model):
                if sealed_to_keys(model, name):
                    for row in model.select():
                        assert getattr(row, name) == made.opened[(model.__name__, name, row.uid)]


def sealed_to_keys(model, name):
    """Whether a sealed field is sealed to people's keys (portal.request_keys), not the keyring."""
    return (model, name) in request_keys.sealed_to_keys()


# --- nothing is restored from a backup that does not open whole --------------------------------


def test_a_wrong_passphrase_restores_nothing_even_over_data_with_force(made, fresh):
    portal = fresh()
    with portal.app_context(), db.connection_context():
        add_organization("tejido-solidario")
    before = contents(portal)

    result = restore(portal, made.path, "--force", passphrase=WRONG_PASSPHRASE)

    assert result.exit_code == 1
    assert "Error: wrong passphrase (or the backup's header was altered)" in result.output
    assert contents(portal) == before


def header_end(data):
    """Where a backup's frames begin (see the format in portal/backup.py)."""
    at = len(backup.MAGIC) + 1
    (length,) = struct.unpack(">I", data[at : at + 4])
    return at + 4 + length + 32


def frame_ends(data):
    """Where each frame of a backup ends."""
    at = header_end(data)
    ends = []
    while at < len(data):
        _final, length = struct.unpack(">BI", data[at : at + 5])
        at += 5 + length
        ends.append(at)
    return ends


@pytest.fixture
def framed(made, tmp_path):
    """The bytes of a backup of the same portal in 8 KiB frames: many of them to spoil."""
    path = tmp_path / "framed.backup"
    backup.write_backup(made.app.config["DATABASE_URL"], path, PASSPHRASE, chunk_size=8192)
    data = path.read_bytes()
    assert len(frame_ends(data)) > 3
    return data


def test_a_backup_cut_short_anywhere_restores_nothing(fresh, framed, tmp_path):
    portal = fresh()
    before = contents(portal)
    data = framed
    ends = frame_ends(data)
    cut = tmp_path / "cut.backup"

    for length in (ends[-2], ends[-2] + 1, ends[0] - 100, len(data) - 1):
        cut.write_bytes(data[:length])
        assert refusal(portal, cut) == "the backup is cut short: nothing restored", length

    cut.write_bytes(data[: ends[0] - 100])
    result = restore(portal, cut, "--force")
    assert result.exit_code == 1
    assert "Error: the backup is cut short: nothing restored" in result.output
    assert contents(portal) == before


def test_a_changed_byte_or_anything_added_restores_nothing(fresh, framed, tmp_path):
    portal = fresh()
    before = contents(portal)
    data = framed
    ends = frame_ends(data)
    spoiled = tmp_path / "spoiled.backup"

    changed = bytearray(data)
    changed[ends[0] + 100] ^= 1
    spoiled.write_bytes(bytes(changed))
    assert refusal(portal, spoiled) == "the backup is damaged or was altered: nothing restored"

    spoiled.write_bytes(data + b"\0")
    assert refusal(portal, spoiled) == "the backup is damaged or was altered: nothing restored"

    # Each frame opens only in its own place.
    second, third = data[ends[0] : ends[1]], data[ends[1] : ends[2]]
    spoiled.write_bytes(data[: ends[0]] + third + second + data[ends[2] :])
    assert refusal(portal, spoiled) == "the backup is damaged or was altered: nothing restored"

    # The last frame flagged final, dropped with the one before it flagged final instead.
    spoiled.write_bytes(data[: ends[-3]] + b"\x01" + data[ends[-3] + 1 : ends[-2]])
    assert refusal(portal, spoiled) == "the backup is damaged or was altered: nothing restored"

    header = bytearray(data)
    header[data.index(b'"created_at": "') + 16] ^= 1
    spoiled.write_bytes(bytes(header))
    assert refusal(portal, spoiled).startswith("wrong passphrase (or the backup's header")

    spoiled.write_bytes(b"not a backup at all")
    assert refusal(portal, spoiled) == "this file is not a portal backup"
    assert contents(portal) == before


def test_a_backup_restores_only_into_the_same_kind_of_database(made, tmp_path):
    other = "sqlite:///" + str(tmp_path / "x.sqlite3")
    if made.backend == "sqlite":
        other = "postgresql://postgres@127.0.0.1:5432/nothing_is_restored_here"

    with pytest.raises(backup.BackupError) as refused:
        backup.restore_backup(other, made.path, PASSPHRASE, scratch=tmp_path)

    assert str(refused.value).startswith(f"this is a backup of a {made.backend} database")
    assert not (tmp_path / "x.sqlite3").exists()


# --- what the commands refuse ---------------------------------------------------------------------


def test_a_database_that_holds_data_is_replaced_only_with_force(made, fresh):
    portal = fresh()
    with portal.app_context(), db.connection_context():
        add_organization("tejido-solidario")
    before = contents(portal)

    refused = restore(portal, made.path)
    assert refused.exit_code == 1
    assert "Error: the database holds data (in organization)" in refused.output
    assert "add --force to replace it" in refused.output
    assert contents(portal) == before

    forced = restore(portal, made.path, "--force")
    assert forced.exit_code == 0, forced.output
    assert contents(portal) == made.contents
    assert opened_fields(portal) == made.opened


def test_a_backup_never_replaces_a_file_without_force(made, tmp_path):
    path = tmp_path / "kept.backup"
    path.write_bytes(b"yesterday's backup")
    runner = made.app.test_cli_runner()
    env = {"PORTAL_BACKUP_PASSPHRASE": PASSPHRASE}

    refused = runner.invoke(args=["backup", str(path)], env=env)
    assert refused.exit_code == 1
    assert f"Error: {path} exists already: add --force to replace it" in refused.output
    assert path.read_bytes() == b"yesterday's backup"

    forced = runner.invoke(args=["backup", str(path), "--force"], env=env)
    assert forced.exit_code == 0, forced.output
    assert backup.read_header(path, PASSPHRASE)["backend"] == made.backend
    assert sorted(os.listdir(tmp_path)) == ["kept.backup"]  # no temporary file left


@pytest.mark.parametrize(
    ("passphrase", "problem"),
    [
        ("", "the backup passphrase is empty"),
        ("eleven char", "the backup passphrase is shorter than 12 characters"),
        ("test-secret-key", "the backup passphrase is one of the portal's own keys"),
        (base64.urlsafe_b64encode(b"k" * 32).decode(), "the backup passphrase is one of the"),
    ],
)
def test_a_backup_refuses_a_weak_passphrase_or_one_of_the_portals_keys(
    app, tmp_path, passphrase, problem
):
    path = tmp_path / "weak.backup"

    result = app.test_cli_runner().invoke(
        args=["backup", str(path)], env={"PORTAL_BACKUP_PASSPHRASE": passphrase}
    )

    assert result.exit_code == 1
    assert f"Error: {problem}" in result.output
    assert not path.exists()


def test_the_passphrase_file_must_be_private_to_its_owner(app, tmp_path):
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    path = tmp_path / "from-file.backup"
    runner = app.test_cli_runner()

    secret.chmod(0o640)
    refused = runner.invoke(args=["backup", str(path), "--passphrase-file", str(secret)])
    assert refused.exit_code == 1
    assert f"can be read or changed by other users: chmod 600 {secret}" in refused.output
    assert not path.exists()

    secret.chmod(0o600)
    written = runner.invoke(args=["backup", str(path), "--passphrase-file", str(secret)])
    assert written.exit_code == 0, written.output
    assert backup.read_header(path, PASSPHRASE)["backend"] == "sqlite"

    portal = make_app(tmp_path / "fresh")
    restored = portal.test_cli_runner().invoke(
        args=["restore", str(path), "--passphrase-file", str(secret)]
    )
    assert restored.exit_code == 0, restored.output


def test_a_backup_from_a_newer_portal_is_refused(tmp_path):
    newer = make_app(tmp_path / "newer")
    database = tmp_path / "newer" / "portal.sqlite3"
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute(
            "INSERT INTO schema_migration (name, applied) VALUES ('0999_later', '2030-01-01')"
        )
    path = tmp_path / "newer.backup"
    backup.write_backup(newer.config["DATABASE_URL"], path, PASSPHRASE)
    portal = make_app(tmp_path / "fresh")

    assert refusal(portal, path) == (
        "the backup's database has a migration this portal does not know (0999_later): "
        "restore it with the version that wrote it"
    )


def test_an_older_backup_restores_and_says_which_migrations_are_pending(tmp_path):
    older = make_app(tmp_path / "older")
    database = tmp_path / "older" / "portal.sqlite3"
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("DELETE FROM schema_migration WHERE name = '0012_held'")
    path = tmp_path / "older.backup"
    backup.write_backup(older.config["DATABASE_URL"], path, PASSPHRASE)
    portal = unmigrated_app(tmp_path / "fresh")  # no database file yet

    result = restore(portal, path)

    assert result.exit_code == 0, result.output
    assert "1 migrations are pending: run `flask --app portal db upgrade`" in result.output
