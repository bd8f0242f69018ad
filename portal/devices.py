"""Browsers that a staff account has signed in from before: "device cookies".

Counting wrong passwords per account stops guessing, but it also lets anyone who knows a
colleague's address keep that colleague out, in an emergency, by sending wrong passwords.
So (following OWASP's "device cookies") wrong passwords are counted apart for a browser
that has completed a sign-in to the account before (both steps): an attacker without that
browser's cookie uses up only the tries of browsers the account has never used. The
cookie is signed, names no account (it holds keyed hashes of the addresses that signed
in with it) and opens nothing by itself: the password and the second step are still asked.
"""

import datetime
import secrets

from flask import after_this_request, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

from .accounts import normalise_email
from .keys import keyed_hash

LIFETIME = datetime.timedelta(days=90)
# A shared office computer may serve a few colleagues; more than this, the oldest go.
ACCOUNTS_PER_BROWSER = 5


def account_tag(email: str) -> str:
    """What stands for an account, in the cookie and in the rate-limit keys."""
    return keyed_hash("rate_limit_account", normalise_email(email))[:32]


def _cookie_name() -> str:
    return "__Host-device" if current_app.config["HTTPS"] else "device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="known-device")


def _read() -> dict | None:
    raw = request.cookies.get(_cookie_name())
    if not raw or len(raw) > 4096:
        return None
    try:
        data = _serializer().loads(raw, max_age=int(LIFETIME.total_seconds()))
    except BadData:
        return None
    if not isinstance(data, dict):
        return None
    device, accounts = data.get("d"), data.get("a")
    if not isinstance(device, str) or not isinstance(accounts, list):
        return None
    return {"d": device, "a": [tag for tag in accounts if isinstance(tag, str)]}


def known_device(tag: str) -> str | None:
    """This browser's id, if the account `tag` has completed a sign-in from it."""
    data = _read()
    return data["d"] if data and tag in data["a"] else None


def remember(email: str) -> None:
    """After a complete sign-in: this browser is one the account uses (for LIFETIME)."""
    data = _read() or {"d": secrets.token_urlsafe(16), "a": []}
    tag = account_tag(email)
    accounts = [tag, *(other for other in data["a"] if other != tag)][:ACCOUNTS_PER_BROWSER]
    value = _serializer().dumps({"d": data["d"], "a": accounts})

    @after_this_request
    def _set(response):
        response.set_cookie(
            _cookie_name(),
            value,
            max_age=int(LIFETIME.total_seconds()),
            path="/",
            secure=current_app.config["HTTPS"],
            httponly=True,
            samesite="Strict",
        )
        return response
