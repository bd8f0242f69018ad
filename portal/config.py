"""Defaults, PORTAL_* environment variables, and secrets kept in the instance folder."""

import base64
import os
import secrets
from pathlib import Path

# Every setting a deployment may change, with its default. README documents each one.
DEFAULTS = {
    "SECRET_KEY": None,  # generated into the instance folder when unset
    "DATABASE_URL": None,  # SQLite file in the instance folder when unset
    "DATA_KEYS": None,  # "id:base64key,..." first is current; generated when unset
    "TRACKING_KEY": None,  # HMAC key for tracking codes; generated when unset
    "RATELIMIT_STORAGE_URI": "memory://",
    "HTTPS": False,  # secure __Host- cookies and HSTS
    "ONION": False,  # served as an onion service: never send HSTS
    # The onion service's address (56 characters + ".onion"): clearnet pages point to it.
    "ONION_ADDRESS": "",
    "TRUSTED_PROXIES": 0,  # how many reverse proxies set X-Forwarded-For
    "LOG_CLIENTS": False,  # add client addresses to the request log (who asked is data)
    "TRACKING_IDLE_MINUTES": 30,
    # A tracking session ends this long after the code was typed, however active.
    "TRACKING_ABSOLUTE_MINUTES": 120,
    "STAFF_IDLE_MINUTES": 30,
    "STAFF_ABSOLUTE_HOURS": 12,
    # Roles that must sign in with a second factor (comma-separated). Members of
    # organizations read requesters' names and contacts: they need one too.
    "TOTP_REQUIRED_ROLES": "admin,reviewer,org_member",
    "SIGN_IN_RATE_LIMIT": "10 per minute; 50 per hour",  # per client
    # Per account, from browsers that never completed a sign-in to it; each browser that
    # did has as many tries of its own (portal/devices.py).
    "SIGN_IN_ACCOUNT_RATE_LIMIT": "20 per hour",
    # Wrong second-step codes per account, whatever the client (besides 5 a minute per
    # sign-in): reaching either ends the sign-in and tells administrators.
    "SECOND_STEP_ACCOUNT_LIMIT": "10 per hour; 20 per day",
    "RETENTION_DAYS": 180,  # closed requests are deleted this long after closing
    # Reviewers may reopen a completed request (a new threat) this long after it ended;
    # 0 turns reopening off. At most RETENTION_DAYS.
    "REOPEN_DAYS": 30,
    "TRACK_RATE_LIMIT": "10 per minute; 60 per hour",
    # Generous: people on Tor share exit addresses.
    "SUBMIT_RATE_LIMIT": "20 per hour",
    # The name in every public page's title (tabs, history, bookmarks): keep it neutral.
    "SITE_NAME": "Portal",
    # Where "Leave quickly" goes: an ordinary site, common where the people asking live.
    "EXIT_URL": "https://www.wikipedia.org/",
    # Background jobs (Huey): empty keeps the queue in a SQLite file in the instance
    # folder; redis://host:6379/0 shares it between hosts. (memory:// runs each job at
    # once, in the process that asks for it: for unit tests only.)
    "QUEUE_URL": "",
    "QUEUE_NAME": "portal",  # several portals may share one Redis under different names
    # Email: smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465.
    # Empty writes each message to instance/outbox/ instead of sending it.
    "SMTP_URL": "",
    "SMTP_CA_FILE": "",  # certificates to trust for the SMTP server; empty: the system's
    "MAIL_FROM": "portal@localhost",
    # The address people reach the portal at: the links in notices point there.
    "PUBLIC_URL": "http://127.0.0.1:5000",
    # Response-time targets per urgency: first look, then a decision (h = hours, d = days).
    "TARGETS": "emergency=24h/72h, urgent=3d/7d, planned=7d/21d",
    # How long an organization has to answer an offer, per urgency.
    "OFFER_EXPIRY": "emergency=12h, urgent=2d, planned=3d",
    "DIGEST_HOUR": 17,  # UTC hour of the daily digest
    "SWEEP_MINUTES": 5,  # how often deadlines, expiries and unsent notices are checked
    "PURGE_HOUR": 3,  # UTC hour of the daily purge
    # A notice that cannot be sent is tried again, less and less often, for this long.
    "NOTICE_GIVE_UP_HOURS": 48,
    # Where the static files are written under their hashed names, with compressed
    # copies (portal/assets.py); empty: static/ in the instance folder.
    "STATIC_BUILD_FOLDER": "",
    # Administrators hold the network's key (read requests' contents) only when this is on:
    # off, an administrator who resets a reviewer's password gains nothing (portal/keychain.py).
    "ADMINS_HOLD_NETWORK_KEY": False,
    # The public half of the escrow key pair (`flask --app portal keys escrow-new`), whose
    # private half is kept offline: every group's key is also wrapped to it.
    "ESCROW_PUBLIC_KEY": "",
}

_BOOL = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
    "": False,
}


def from_environment(environ=os.environ) -> dict:
    """Read PORTAL_* variables, typed like their defaults."""
    config = {}
    for name, default in DEFAULTS.items():
        raw = environ.get(f"PORTAL_{name}")
        if raw is None:
            continue
        if isinstance(default, bool):
            if raw.strip().lower() not in _BOOL:
                raise ValueError(f"PORTAL_{name} must be true or false, not {raw!r}")
            config[name] = _BOOL[raw.strip().lower()]
        elif isinstance(default, int):
            config[name] = int(raw)
        else:
            config[name] = raw
    return config


def instance_secret(instance_path: str, filename: str, make) -> str:
    """Read a secret file from the instance folder, creating it (mode 0600) on first run.

    A hard-coded default would be the same on every installation; a generated
    file is unique and survives restarts.
    """
    path = Path(instance_path) / filename
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker won the race: use its value
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return value


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def new_data_keyring() -> str:
    return "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
