"""The Flask class the portal runs on: Flask, without two costs it pays on every request.

Flask asks of every hook and view, on every request, whether it is a coroutine, and
builds the session cookie's signer anew each time. The answers never change while the
portal runs, so each is found once. (A tenth of the time of the smallest page.) The
cookie is signed as Flask signs it, but not compressed (portal/signing.py).
"""

from weakref import WeakKeyDictionary

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from .signing import SessionContents, Uncompressed


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with one signer per set of keys, not compressed."""

    serializer = SessionContents()

    def __init__(self):
        self._signers = {}

    def get_signing_serializer(self, app):
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        signer = self._signers.get(keys)
        if signer is None:
            signer = self._signers[keys] = self._signer(app)
        return signer

    def _signer(self, app):
        # SecureCookieSessionInterface.get_signing_serializer's, with another class.
        if not app.secret_key:
            return None
        return Uncompressed(
            [*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key],
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )


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
