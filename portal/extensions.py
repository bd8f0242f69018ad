"""Flask extensions: created here, bound to the app in create_app()."""

import hashlib
import hmac

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx


def client_key() -> str:
    """The rate-limit key for this client: a keyed hash of its address, never the address.

    Behind trusted proxies, ProxyFix (set up in create_app) has already put the
    real client address in remote_addr; an X-Forwarded-For from anyone else is
    ignored, so rotating it does not escape the limit.
    """
    secret = current_app.config["SECRET_KEY"].encode()
    address = (request.remote_addr or "unknown").encode()
    return hmac.new(secret, address, hashlib.sha256).hexdigest()[:32]


babel = Babel()
csrf = CSRFProtect()
htmx = Htmx()
limiter = Limiter(key_func=client_key)
