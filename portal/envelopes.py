"""Envelopes: keys wrapped to the people who may read, so that a copy of the server's disk (the
database and every key file) opens nothing on its own.

The primitives of issue 16 ("keys that only people hold"): portal.keychain holds the
accounts' and groups' keys, portal.request_keys what is sealed to requests' keys. README
("Keys that people hold") says what is sealed to them today and what is still sealed by
portal.sealing under the server's keyring. In brief:

- Content is sealed to a request's key pair with HPKE (wrap / unwrap, any bytes); a
  symmetric key (a session's, a requester's code key) seals with AES-256-GCM (seal_with /
  open_with).
- A **holder** (a person, a group of readers, the offline escrow) is an X25519 key pair. A
  key is wrapped to a holder with HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
  AES-256-GCM). The `info` of each wrap names its purpose, its row and its holder (context),
  so that a wrap copied to another row or holder does not open.
- A person's private key is sealed under a key derived from their password with Argon2id;
  the salt and the cost are kept with it (PasswordParams), so that costs can be raised for
  new seals without losing the old ones.
- A requester's key is derived from their tracking code with HKDF, salted with the
  request's uid: the code already has about 97 bits, and its lookup hash (portal.tracking)
  is a cheap oracle anyway, so a slow hash would add nothing.
- A signed-in person's unwrapped keys are sealed in the server-side session under a key
  derived from the session id (session_key), which only the browser's cookie carries.

No cryptography is written here: `cryptography` does HPKE, HKDF and AES-GCM, `argon2-cffi`
the key derivation.
"""

import base64
import os
from dataclasses import dataclass

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SUITE = Suite(KEM.X25519, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
_VERSION = b"e1:"  # the stored form of everything sealed here: version, then the bytes
KEY_BYTES = 32


class Unopenable(Exception):
    """A wrap or a seal that does not open: wrong key or password, moved, or tampered with."""


def context(purpose: str, row: str, holder: str) -> bytes:
    """What a wrap is bound to: `purpose` (identity, thread, staff, offer, group, escrow),
    the uid of its row, and its holder's uid. Each part is one word: no separator inside."""
    for part in (purpose, row, holder):
        if not part or "|" in part:
            raise ValueError(f"not a context part: {part!r}")
    return f"portal/e1|{purpose}|{row}|{holder}".encode()


# --- holders: X25519 key pairs --------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    private: bytes  # 32 raw bytes: never stored as they are
    public: bytes  # 32 raw bytes: stored in clear, so that anyone may wrap to it

    @classmethod
    def generate(cls) -> "KeyPair":
        key = x25519.X25519PrivateKey.generate()
        return cls(_raw_private(key), _raw_public(key.public_key()))

    @classmethod
    def from_private(cls, private: bytes) -> "KeyPair":
        key = x25519.X25519PrivateKey.from_private_bytes(private)
        return cls(private, _raw_public(key.public_key()))


def _raw_private(key: x25519.X25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def _raw_public(key: x25519.X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def wrap(key: bytes, public: bytes, info: bytes) -> bytes:
    """`key` wrapped to the holder of `public`; only its private key opens it, with `info`."""
    recipient = x25519.X25519PublicKey.from_public_bytes(bytes(public))
    return _VERSION + _SUITE.encrypt(key, recipient, info=info)


def unwrap(blob: bytes, private: bytes, info: bytes) -> bytes:
    blob = bytes(blob)
    if not blob.startswith(_VERSION):
        raise Unopenable("unknown format")
    holder = x25519.X25519PrivateKey.from_private_bytes(private)
    try:
        return _SUITE.decrypt(blob[len(_VERSION) :], holder, info=info)
    except (InvalidTag, ValueError) as exc:
        raise Unopenable("this wrap does not open with this key here") from exc


# --- symmetric seals under a data key -------------------------------------------------------


def seal_with(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_with(key: bytes, blob: bytes, aad: bytes) -> bytes:
    blob = bytes(blob)
    if not blob.startswith(_VERSION):
        raise Unopenable("unknown format")
    body = blob[len(_VERSION) :]
    try:
        return AESGCM(key).decrypt(body[:12], body[12:], aad)
    except (InvalidTag, ValueError) as exc:
        raise Unopenable("this seal does not open with this key here") from exc


# --- a person's private key under their password --------------------------------------------


@dataclass(frozen=True)
class PasswordParams:
    """Argon2id's salt and cost for one sealed private key, stored beside it as text."""

    salt: bytes
    time_cost: int = 3
    memory_cost: int = 65_536  # KiB: 64 MiB, as the stored password hash (portal.accounts)
    parallelism: int = 4

    @classmethod
    def new(cls, **cost) -> "PasswordParams":
        return cls(salt=os.urandom(16), **cost)

    def to_text(self) -> str:
        salt = base64.urlsafe_b64encode(self.salt).decode()
        return f"argon2id$t={self.time_cost}$m={self.memory_cost}$p={self.parallelism}${salt}"

    @classmethod
    def from_text(cls, text: str) -> "PasswordParams":
        try:
            name, t, m, p, salt = text.split("$")
            if name != "argon2id":
                raise ValueError(name)
            values = {part[0]: int(part[2:]) for part in (t, m, p)}
            return cls(
                salt=base64.urlsafe_b64decode(salt.encode()),
                time_cost=values["t"],
                memory_cost=values["m"],
                parallelism=values["p"],
            )
        except (ValueError, KeyError, IndexError) as exc:
            raise Unopenable(f"not key-derivation parameters: {text[:40]!r}") from exc

    def derive(self, password: str) -> bytes:
        return hash_secret_raw(
            password.encode(),
            self.salt,
            time_cost=self.time_cost,
            memory_cost=self.memory_cost,
            parallelism=self.parallelism,
            hash_len=KEY_BYTES,
            type=Type.ID,
        )


def _person_aad(owner: str) -> bytes:
    return f"portal/e1|person-key|{owner}".encode()


def seal_private(
    private: bytes, password: str, owner: str, params: PasswordParams | None = None
) -> tuple[bytes, PasswordParams]:
    """A person's private key sealed under their password (a new salt unless `params` is
    given), bound to their account's uid `owner`; with the parameters to keep beside it."""
    params = params or PasswordParams.new()
    return seal_with(params.derive(password), private, _person_aad(owner)), params


def open_private(blob: bytes, password: str, owner: str, params: PasswordParams) -> bytes:
    return open_with(params.derive(password), blob, _person_aad(owner))


# --- keys derived from what only the requester or the browser holds --------------------------


def _derived(secret: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=info).derive(secret)


def code_key(code: str, request_uid: str) -> bytes:
    """The requester's key for one request, from its tracking code (as typed, normalised by
    portal.tracking before it comes here)."""
    return _derived(code.encode(), request_uid.encode(), b"portal/e1|requester")


def session_key(session_id: str) -> bytes:
    """The key a session's unwrapped keys are sealed under: from the session id, which the
    database keeps only as a hash."""
    return _derived(session_id.encode(), b"", b"portal/e1|session")
