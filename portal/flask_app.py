"""The Flask class the portal runs on: Flask, without two costs it pays on every request.

Flask asks of every hook and view, on every request, whether it is a coroutine, and
builds the session cookie's signer anew each time. The answers never change while the
portal runs, so each is found once. (A tenth of the time of the smallest page.)
"""

from weakref import WeakKeyDictionary

from flask import Flask
from flask.sessions import SecureCookieSessionInterface


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with one signer per set of keys."""

    def __init__(self):
        self._signers = {}

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = self._signers[keys] = super().get_signing_serializer(app)
        return signer


class Portal(Flask):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.session_interface = SessionCookies()
        # Weak: a function of one request (after_this_request) goes with it.
        self._synchronous = WeakKeyDictionary()

    def ensure_sync(self, func):
        try:
            return self._synchronous[func]
        except KeyError:
            made = self._synchronous[func] = super().ensure_sync(func)
            return made
