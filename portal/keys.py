"""Keyed hashes: every HMAC the portal computes, each labelled with its purpose.

A keyed hash lets the portal recognise a secret (a tracking code, a recovery
code, a form's one-time token) or count by something (a client address, an
account) without storing it. Each purpose puts its own label before the
value, so that a hash made for one purpose never stands for another (domain
separation), and each names the configured key it uses.

Tracking codes carry no label: their hashes have been stored without one
since the first release, and their 29-letter alphabet has no ":" that a
labelled value would need, so nothing can collide with them.
"""

import hashlib
import hmac

from flask import current_app

# purpose -> (the setting that holds its key, the label put before the value)
PURPOSES = {
    "tracking_code": ("TRACKING_KEY", b""),
    "submission": ("TRACKING_KEY", b"submission:"),
    "recovery_code": ("SECRET_KEY", b"recovery:"),
    "rate_limit_client": ("SECRET_KEY", b"rate-limit-client:"),
    "rate_limit_account": ("SECRET_KEY", b"rate-limit-account:"),
    "rate_limit_device": ("SECRET_KEY", b"rate-limit-device:"),
}


def keyed_hash(purpose: str, value: str, key: bytes | None = None) -> str:
    """HMAC-SHA256 of `value` for `purpose`, as hex, under `key` or the purpose's own setting."""
    setting, label = PURPOSES[purpose]
    if key is None:
        key = current_app.config[setting].encode()
    return hmac.new(key, label + value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Compare two hashes in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
