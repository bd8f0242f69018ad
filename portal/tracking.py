"""Tracking codes: the requester's only key to their request.

A code carries about 98 bits from `secrets`, in an alphabet without look-alike
characters (no 0/O, 1/I/L, U/V confusion), grouped by four for copying. Only a
keyed hash is stored, so a copy of the database does not let anyone open a
request; the code never goes into a URL, a log line or an email.
"""

import hmac
import secrets

from . import keys

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"  # 29 symbols, none alike
LENGTH = 20  # 20 * log2(29) ≈ 97 bits
GROUP = 4


def new_code() -> str:
    """A fresh tracking code such as ``7KQ4-M2XP-...``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def normalise(typed: str) -> str | None:
    """The canonical form of a typed code, or None when it cannot be one.

    People retype codes from paper: case, spaces and dashes do not matter.
    """
    cleaned = _cleaned(typed)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def _cleaned(typed: str) -> str:
    return "".join(ch for ch in typed.upper() if ch not in " -\t\r\n")


def confirms(code: str, typed: str) -> bool:
    """Whether `typed` is the code's last group, or the whole code, as people retype them."""
    cleaned, canonical = _cleaned(typed or ""), _cleaned(code)
    expected = canonical[-GROUP:] if len(cleaned) == GROUP else canonical
    return hmac.compare_digest(cleaned.encode(), expected.encode())


def code_hash(code: str, key: bytes | None = None) -> str:
    """Keyed hash of a code (typed or fresh), under `key` or PORTAL_TRACKING_KEY.

    Never stores or logs the code itself.
    """
    canonical = normalise(code)
    if canonical is None:
        raise ValueError("not a tracking code")
    return keys.keyed_hash("tracking_code", canonical, key)
