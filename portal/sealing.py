"""Encryption at rest for the fields that identify or endanger people.

Each value is sealed with AES-256-GCM under the current key of a keyring, with
the associated data ``table|column|row-uid`` so that a sealed value copied
into another row or column fails to open. Keys live outside the database
(environment or instance folder). This protects a leaked database file or
backup; it does not protect against someone who controls the running server.

Stored form: ``b"v1:" + key-id + b":" + nonce(12) + ciphertext``.
"""

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app

_PREFIX = KEYRING_PREFIX = b"v1:"


class SealError(Exception):
    """A sealed value could not be opened: wrong key, wrong row, or tampering."""


class Keyring:
    """Named AES keys; the first one seals, any of them opens."""

    def __init__(self, spec: str):
        self.keys: dict[str, AESGCM] = {}
        for item in spec.split(","):
            key_id, _, encoded = item.strip().partition(":")
            raw = base64.urlsafe_b64decode(encoded.encode())
            if not key_id.isalnum() or len(raw) != 32:
                raise ValueError("each data key must be 'id:' plus 32 bytes in url-safe base64")
            self.keys[key_id] = AESGCM(raw)
        self.current = next(iter(self.keys))

    def seal(self, plaintext: str, context: str) -> bytes:
        nonce = os.urandom(12)
        sealed = self.keys[self.current].encrypt(nonce, plaintext.encode(), context.encode())
        return _PREFIX + self.current.encode() + b":" + nonce + sealed

    def open(self, blob: bytes, context: str) -> str:
        blob = bytes(blob)
        if not blob.startswith(_PREFIX):
            raise SealError("unknown format")
        key_id, _, rest = blob[len(_PREFIX) :].partition(b":")
        key = self.keys.get(key_id.decode(errors="replace"))
        if key is None:
            raise SealError("sealed with a key that is not in the keyring")
        try:
            return key.decrypt(rest[:12], rest[12:], context.encode()).decode()
        except InvalidTag as exc:
            raise SealError("does not open in this context") from exc

    def needs_reseal(self, blob: bytes) -> bool:
        return not bytes(blob).startswith(_PREFIX + self.current.encode() + b":")


_EXTENSION = "portal.keyring"


def init_app(app: Flask) -> None:
    """Give the app its keyring: each app holds its own, so two apps never share keys."""
    app.extensions[_EXTENSION] = Keyring(app.config["DATA_KEYS"])


def keyring() -> Keyring:
    """The keyring of the app in use (sealed values open only inside an app context)."""
    return current_app.extensions[_EXTENSION]


class Sealed:
    """A model attribute kept sealed in the BlobField ``<name>_sealed``.

    The model must have a ``uid`` set before the attribute is assigned; it
    binds the ciphertext to its row.

    With a `purpose`, the value is sealed instead to its request's key pair for that
    purpose (portal.request_keys: the model has a ``request_id``), which only the people who
    hold it open, and only inside their own requests; `per_organization`, to the key for that
    purpose and the row's organization (``organization_id``). Reading it without the key
    raises request_keys.Locked. A value sealed under the keyring before (a database not yet
    migrated) still opens with the keyring.
    """

    def __init__(self, purpose: str | None = None, per_organization: bool = False):
        self.purpose = purpose
        self.per_organization = per_organization

    def purpose_of(self, instance) -> str:
        """The request key this row's value is sealed to."""
        if self.per_organization:
            return f"{self.purpose}-{instance.organization_id}"
        return self.purpose

    def __set_name__(self, owner, name):
        self.name = name
        self.column = f"{name}_sealed"

    def _context(self, instance) -> str:
        return f"{instance._meta.table_name}|{self.name}|{instance.uid}"

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        blob = getattr(instance, self.column)
        if blob is None:
            return None
        if self.purpose is not None and not is_keyring_sealed(blob):
            from . import request_keys  # which seals its own keys with this module

            return request_keys.open_sealed(
                instance.request_id, self.purpose_of(instance), blob, self._context(instance)
            )
        return keyring().open(blob, self._context(instance))

    def __set__(self, instance, value):
        if value is None:
            setattr(instance, self.column, None)
        elif self.purpose is not None:
            from . import request_keys

            sealed = request_keys.seal(
                instance.request_id, self.purpose_of(instance), value, self._context(instance)
            )
            setattr(instance, self.column, sealed)
        else:
            setattr(instance, self.column, keyring().seal(value, self._context(instance)))


def is_keyring_sealed(blob) -> bool:
    """Whether a stored value is sealed under the server's keyring (not to people's keys)."""
    return bytes(blob).startswith(_PREFIX)


def sealed_fields(model) -> list[str]:
    """The names of a model's sealed attributes."""
    return [name for name, value in vars(model).items() if isinstance(value, Sealed)]


def reseal(models) -> int:
    """Seal again, under the current key, every value sealed under an older one; rows changed.

    Every model with a sealed field must be passed: a value left under a key
    that is later removed can never be opened again.
    """
    count = 0
    for model in models:
        names = sealed_fields(model)
        if not names:
            continue
        for row in model.select():
            stale = [
                name
                for name in names
                if (blob := getattr(row, f"{name}_sealed")) is not None
                # Values sealed to people's keys do not depend on the keyring.
                and is_keyring_sealed(blob)
                and keyring().needs_reseal(blob)
            ]
            for name in stale:
                setattr(row, name, getattr(row, name))
            if stale:
                row.save(only=[getattr(model, f"{name}_sealed") for name in stale])
                count += 1
    return count
