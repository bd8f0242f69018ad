"""Backups that restore: a consistent snapshot of the database, encrypted to a passphrase.

The snapshot is taken while the portal runs: SQLite's online backup API copies the
database as one transaction saw it; pg_dump reads PostgreSQL inside one snapshot.
It is encrypted to a passphrase that is none of the portal's own keys, so that a
backup is safe to keep off the server. Sealed fields stay sealed inside it: without
the data keys (instance/data_keys), a restored backup holds rows whose words no one
can read.

File format, version 1 (all integers big-endian):

    b"PORTAL-BACKUP\\n" 0x01      magic and format version
    u32 n, n bytes of JSON        header: backend, schema (migrations applied), created_at,
                                  kdf (scrypt n, r, p, salt), cipher, chunk_size
    32 bytes                      HMAC-SHA256 of everything above, under the check key
    frames until the final one:   u8 final (0 or 1), u32 length, AES-256-GCM ciphertext

scrypt turns the passphrase and the header's random salt into 64 bytes: an encryption
key and a check key. The check tells a wrong passphrase from a damaged file. Each
frame's nonce is its number (11 bytes) and its final flag (1 byte), and the header
is its associated data: frames cannot be reordered, dropped, moved to another backup
or cut off after one that is not flagged final without the restore noticing.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import peewee
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from playhouse.migrations import Migration

from .db import MIGRATIONS_DIR, open_database

MAGIC = b"PORTAL-BACKUP\n"
FORMAT = 1
MIN_PASSPHRASE = 12
CHUNK_SIZE = 256 * 1024
# About 0.1 s and 32 MiB for each guess on a small server.
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_CHECK_SIZE = 32
# The header is read before it can be checked: a crafted one must not make the
# restore allocate or compute without bound.
_MAX_HEADER = 64 * 1024
_MAX_CHUNK = 16 * 1024 * 1024
_MAX_SCRYPT = {"n": 2**20, "r": 16, "p": 4}
_MAX_SCRYPT_MEMORY = 256 * 1024 * 1024  # scrypt needs 128 * n * r bytes
_TAG = 16
_MIGRATION_TABLE = "schema_migration"
# Query parameters of a DATABASE_URL that libpq understands; the rest are peewee's own.
_LIBPQ_OPTIONS = {
    "application_name",
    "channel_binding",
    "connect_timeout",
    "gssencmode",
    "hostaddr",
    "keepalives",
    "keepalives_idle",
    "options",
    "passfile",
    "service",
    "sslcert",
    "sslcrl",
    "sslkey",
    "sslmode",
    "sslrootcert",
    "target_session_attrs",
}

NOTHING_RESTORED = "nothing restored"
TRUNCATED = f"the backup is cut short: {NOTHING_RESTORED}"
DAMAGED = f"the backup is damaged or was altered: {NOTHING_RESTORED}"


class BackupError(Exception):
    """A backup could not be written or restored; the message says why, in one line."""


@dataclass
class Written:
    path: Path
    backend: str
    size: int
    schema: list[str]


@dataclass
class Restored:
    backend: str
    created_at: str
    schema: list[str]
    pending: list[str]  # migrations this portal has that the backup's database had not run


# --- the passphrase ----------------------------------------------------------------------------


def portal_keys(config) -> set[str]:
    """The portal's own secrets, each in the forms an operator might copy it from."""
    found = {config.get("SECRET_KEY"), config.get("TRACKING_KEY"), config.get("DATA_KEYS")}
    for item in (config.get("DATA_KEYS") or "").split(","):
        found.update({item.strip(), item.strip().partition(":")[2]})
    return {value for value in found if value}


def passphrase_problem(passphrase: str, keys=()) -> str | None:
    """Why `passphrase` must not encrypt a backup, or None."""
    if not passphrase:
        return "the backup passphrase is empty"
    if len(passphrase) < MIN_PASSPHRASE:
        return f"the backup passphrase is shorter than {MIN_PASSPHRASE} characters"
    if passphrase in keys or passphrase.strip() in keys:
        # A backup kept with the key that opens its sealed fields protects nothing.
        return "the backup passphrase is one of the portal's own keys: choose another"
    return None


def _derive(passphrase: str, kdf: dict) -> tuple[AESGCM, bytes]:
    # NFC: the same passphrase typed on another system may arrive composed differently.
    secret = unicodedata.normalize("NFC", passphrase).encode()
    salt = base64.b64decode(kdf["salt"])
    material = Scrypt(salt=salt, length=64, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(secret)
    return AESGCM(material[:32]), material[32:]


def _nonce(number: int, final: bool) -> bytes:
    return number.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


# --- writing -----------------------------------------------------------------------------------


def backend_of(database_url: str) -> str:
    scheme = database_url.partition("://")[0].lower()
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme.startswith("postgres"):
        return "postgresql"
    raise BackupError(f"backups know SQLite and PostgreSQL databases, not {scheme!r}")


def write_backup(
    database_url: str, path, passphrase: str, *, force: bool = False, chunk_size=CHUNK_SIZE
) -> Written:
    """Write an encrypted snapshot of the database at `database_url` to `path`.

    The file appears complete or not at all, with mode 0600; an existing file is
    replaced only with `force`.
    """
    path = Path(path)
    if path.exists() and not force:
        raise BackupError(f"{path} exists already: add --force to replace it")
    if not path.parent.is_dir():
        raise BackupError(f"there is no folder {path.parent} to write the backup in")
    backend = backend_of(database_url)
    if backend == "sqlite":
        live = _sqlite_path(database_url)
        if not live.is_file():
            raise BackupError(f"there is no database at {live}")
        # The plaintext copy stays beside the database it copies, with the same
        # protection, and is deleted as soon as it is encrypted.
        with _private_folder(live.parent) as folder:
            snapshot = folder / "snapshot.sqlite3"
            _sqlite_snapshot(live, snapshot)
            schema = _sqlite_schema(snapshot)
            header = _new_header(backend, schema, chunk_size)
            with snapshot.open("rb") as source, _atomic_output(path, force) as out:
                _seal(source, out, header, passphrase, chunk_size)
    else:
        schema = _database_schema(database_url)
        header = _new_header(backend, schema, chunk_size)
        with _pg_dump(database_url) as (source, finished), _atomic_output(path, force) as out:
            _seal(source, out, header, passphrase, chunk_size)
            finished()  # before the file takes its name: a failed dump is no backup
    return Written(path, backend, path.stat().st_size, schema)


def _new_header(backend: str, schema: list[str], chunk_size: int) -> dict:
    return {
        "backend": backend,
        "schema": schema,
        "created_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "kdf": {"name": "scrypt", "salt": base64.b64encode(os.urandom(16)).decode(), **SCRYPT},
        "cipher": "AES-256-GCM",
        "chunk_size": chunk_size,
    }


def _seal(source, out, header: dict, passphrase: str, chunk_size: int) -> None:
    body = json.dumps(header, sort_keys=True).encode()
    prefix = MAGIC + bytes([FORMAT]) + struct.pack(">I", len(body)) + body
    aead, check_key = _derive(passphrase, header["kdf"])
    out.write(prefix)
    out.write(hmac.new(check_key, prefix, hashlib.sha256).digest())
    number = 0
    current = source.read(chunk_size)
    while True:
        # One chunk read ahead: the last one must be flagged final when it is written.
        following = source.read(chunk_size) if current else b""
        final = not following
        sealed = aead.encrypt(_nonce(number, final), current, prefix)
        out.write(struct.pack(">BI", final, len(sealed)) + sealed)
        if final:
            return
        current = following
        number += 1


@contextmanager
def _atomic_output(path: Path, force: bool):
    """A file written beside `path` (mode 0600) that takes its name only when complete."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if force:
            os.replace(temporary, path)
        else:
            _link_new(temporary, path)
            os.unlink(temporary)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _link_new(temporary: str, path: Path) -> None:
    # A hard link never replaces an existing file, even one made a moment ago.
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise BackupError(f"{path} exists already: add --force to replace it") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise BackupError(f"{path} exists already: add --force to replace it") from None
        os.replace(temporary, path)


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _private_folder(near: Path):
    folder = Path(tempfile.mkdtemp(prefix=".portal-backup-", dir=near))  # mode 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- reading -----------------------------------------------------------------------------------


def _open(file, passphrase: str) -> tuple[dict, Iterator[bytes]]:
    """The backup's header once the passphrase is known right, and its plaintext, chunk
    by chunk: the iterator raises BackupError on the first chunk that fails to open."""
    if file.read(len(MAGIC)) != MAGIC:
        raise BackupError("this file is not a portal backup")
    version = file.read(1)
    if version != bytes([FORMAT]):
        raise BackupError(
            "this backup was written in a format this portal does not read: "
            "restore it with the version that wrote it"
        )
    length_bytes = file.read(4)
    if len(length_bytes) < 4:
        raise BackupError(TRUNCATED)
    (length,) = struct.unpack(">I", length_bytes)
    if length > _MAX_HEADER:
        raise BackupError(DAMAGED)
    body = file.read(length)
    if len(body) < length:
        raise BackupError(TRUNCATED)
    prefix = MAGIC + version + length_bytes + body
    header = _parse_header(body)
    aead, check_key = _derive(passphrase, header["kdf"])
    expected = hmac.new(check_key, prefix, hashlib.sha256).digest()
    if not hmac.compare_digest(file.read(_CHECK_SIZE), expected):
        raise BackupError(
            f"wrong passphrase (or the backup's header was altered): {NOTHING_RESTORED}"
        )
    return header, _chunks(file, aead, prefix, header["chunk_size"])


def _parse_header(body: bytes) -> dict:
    try:
        header = json.loads(body)
        kdf = header["kdf"]
        valid = (
            header["backend"] in ("sqlite", "postgresql")
            and isinstance(header["schema"], list)
            and all(isinstance(name, str) for name in header["schema"])
            and isinstance(header["created_at"], str)
            and header["cipher"] == "AES-256-GCM"
            and isinstance(header["chunk_size"], int)
            and 0 < header["chunk_size"] <= _MAX_CHUNK
            and kdf["name"] == "scrypt"
            and all(isinstance(kdf[name], int) for name in _MAX_SCRYPT)
            and all(1 <= kdf[name] <= limit for name, limit in _MAX_SCRYPT.items())
            and kdf["n"] > 1
            and kdf["n"] & (kdf["n"] - 1) == 0
            and 128 * kdf["n"] * kdf["r"] <= _MAX_SCRYPT_MEMORY
            and 16 <= len(base64.b64decode(kdf["salt"], validate=True)) <= 64
        )
    except (ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise BackupError(DAMAGED)
    return header


def _chunks(file, aead: AESGCM, prefix: bytes, chunk_size: int) -> Iterator[bytes]:
    number = 0
    while True:
        frame = file.read(5)
        if len(frame) < 5:
            raise BackupError(TRUNCATED)
        final, length = struct.unpack(">BI", frame)
        if final not in (0, 1) or not _TAG <= length <= chunk_size + _TAG:
            raise BackupError(DAMAGED)
        sealed = file.read(length)
        if len(sealed) < length:
            raise BackupError(TRUNCATED)
        try:
            yield aead.decrypt(_nonce(number, bool(final)), sealed, prefix)
        except InvalidTag:
            raise BackupError(DAMAGED) from None
        if final:
            if file.read(1):
                raise BackupError(DAMAGED)
            return
        number += 1


def read_header(path, passphrase: str) -> dict:
    """The header of the backup at `path`, if `passphrase` opens it."""
    with _opened(path) as file:
        header, _ = _open(file, passphrase)
    return header


@contextmanager
def _opened(path):
    try:
        # Not a `with` here: an error opening the file is told apart from later ones.
        file = Path(path).open("rb")  # noqa: SIM115
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    with file:
        yield file


# --- restoring ---------------------------------------------------------------------------------


def restore_backup(
    database_url: str, path, passphrase: str, *, scratch, force: bool = False
) -> Restored:
    """Replace the database at `database_url` by the one in the backup at `path`.

    Every chunk is opened (and so authenticated) into a private folder in
    `scratch` (SQLite: beside the database) before anything is replaced; a
    database that holds rows is replaced only with `force`.
    """
    backend = backend_of(database_url)
    known = [migration.name for migration in Migration.load_directory(str(MIGRATIONS_DIR))]
    with _opened(path) as file:
        header, chunks = _open(file, passphrase)
        if header["backend"] != backend:
            raise BackupError(
                f"this is a backup of a {header['backend']} database and the portal uses "
                f"{backend}: {NOTHING_RESTORED}"
            )
        unknown = [name for name in header["schema"] if name not in known]
        if unknown:
            raise BackupError(
                f"the backup's database has a migration this portal does not know "
                f"({unknown[0]}): restore it with the version that wrote it"
            )
        if not force:
            holding = _tables_with_rows(database_url)
            if holding:
                raise BackupError(
                    f"the database holds data (in {', '.join(holding[:3])}): restore into "
                    "an empty database, or add --force to replace it"
                )
        folder = _sqlite_path(database_url).parent if backend == "sqlite" else Path(scratch)
        if not folder.is_dir():
            raise BackupError(f"there is no folder {folder} to restore into")
        with _private_folder(folder) as private:
            plaintext = private / "restored"
            with plaintext.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
            if backend == "sqlite":
                _sqlite_replace(plaintext, _sqlite_path(database_url))
            else:
                _pg_restore(database_url, plaintext)
    schema = header["schema"]
    pending = [name for name in known if name not in schema]
    return Restored(backend, header["created_at"], schema, pending)


def _tables_with_rows(database_url: str) -> list[str]:
    if backend_of(database_url) == "sqlite" and not _sqlite_path(database_url).exists():
        return []
    with _connected(database_url) as database:
        names = [name for name in database.get_tables() if name != _MIGRATION_TABLE]
        # Names from the database's own catalogue, quoted: nothing typed reaches the SQL.
        return [
            name
            for name in names
            if database.execute_sql(f"SELECT 1 FROM {_quoted(name)} LIMIT 1").fetchone()  # noqa: S608
        ]


@contextmanager
def _connected(database_url: str):
    database = open_database(database_url)
    try:
        with database.connection_context():
            yield database
    except peewee.DatabaseError as exc:
        raise BackupError(f"cannot read the database: {_last_line(str(exc))}") from None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _database_schema(database_url: str) -> list[str]:
    with _connected(database_url) as database:
        if _MIGRATION_TABLE not in database.get_tables():
            return []
        cursor = database.execute_sql(f"SELECT name FROM {_MIGRATION_TABLE} ORDER BY id")  # noqa: S608
        return [name for (name,) in cursor.fetchall()]


# --- SQLite ------------------------------------------------------------------------------------


def _sqlite_path(database_url: str) -> Path:
    name = database_url.partition(":///")[2].partition("?")[0]
    if not name or name == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(name)


def _sqlite_snapshot(live: Path, copy: Path) -> None:
    # One step of the online backup API copies the database inside one read
    # transaction: what committed writers had done, never half of a transaction,
    # and (in WAL mode) without stopping the portal from writing meanwhile.
    with (
        closing(sqlite3.connect(live, timeout=30)) as source,
        closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)


def _sqlite_schema(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        found = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_MIGRATION_TABLE,)
        ).fetchone()
        if not found:
            return []
        rows = connection.execute(f"SELECT name FROM {_MIGRATION_TABLE} ORDER BY id")  # noqa: S608
        return [name for (name,) in rows]


def _sqlite_replace(restored: Path, live: Path) -> None:
    try:
        with closing(sqlite3.connect(restored)) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError:
        verdict = "not a database"
    if verdict != "ok":
        raise BackupError(f"the database in the backup is damaged: {NOTHING_RESTORED}")
    os.chmod(restored, 0o600)
    if live.exists():
        # The old database's write-ahead log must not be replayed into the new file.
        with closing(sqlite3.connect(live, timeout=30)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    os.replace(restored, live)
    _sync_folder(live.parent)


# --- PostgreSQL --------------------------------------------------------------------------------


def libpq_connection(database_url: str) -> tuple[str, dict]:
    """A connection string without the password, and an environment that carries it.

    A password on a command line can be read by every user of the server (ps).
    """
    parts = urlsplit(database_url)
    options = {}
    if parts.hostname:
        options["host"] = parts.hostname
    if parts.port:
        options["port"] = str(parts.port)
    if parts.username:
        options["user"] = unquote(parts.username)
    if parts.path.strip("/"):
        options["dbname"] = unquote(parts.path.lstrip("/"))
    options.update((key, value) for key, value in parse_qsl(parts.query) if key in _LIBPQ_OPTIONS)
    environment = dict(os.environ)
    if parts.password:
        environment["PGPASSWORD"] = unquote(parts.password)
    conninfo = " ".join(f"{key}={_libpq_value(value)}" for key, value in options.items())
    return conninfo, environment


def _libpq_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (it comes with the PostgreSQL client)")
    return found


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


@contextmanager
def _pg_dump(database_url: str):
    """pg_dump's output as a stream, and a function that fails unless pg_dump succeeded."""
    conninfo, environment = libpq_connection(database_url)
    command = [_tool("pg_dump"), "--format=custom", "--no-password", "--dbname", conninfo]
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 (a fixed program; arguments are not a shell)
            command, stdout=subprocess.PIPE, stderr=errors, env=environment
        )

        def finished():
            if process.wait() != 0:
                errors.seek(0)
                message = _last_line(errors.read().decode(errors="replace"))
                raise BackupError(f"pg_dump failed, no backup written: {message}")

        try:
            yield process.stdout, finished
        finally:
            process.stdout.close()
            if process.poll() is None:
                process.kill()
            process.wait()


def _pg_restore(database_url: str, archive: Path) -> None:
    conninfo, environment = libpq_connection(database_url)
    command = [
        _tool("pg_restore"),
        # All of it or nothing: a failure rolls back every statement before it.
        "--single-transaction",
        "--clean",
        "--if-exists",
        # Owners and grants name roles of the server the backup came from.
        "--no-owner",
        "--no-acl",
        "--no-password",
        "--dbname",
        conninfo,
        str(archive),
    ]
    result = subprocess.run(  # noqa: S603 (a fixed program; arguments are not a shell)
        command, env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, {NOTHING_RESTORED}: {_last_line(result.stderr)}")
