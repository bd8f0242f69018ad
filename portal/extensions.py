"""Flask extensions: created here, bound to the app in create_app()."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from .keys import keyed_hash


def client_key() -> str:
    """The rate-limit key for this client: a keyed hash of its address, never the address.

    Behind trusted proxies, ProxyFix (set up in create_app) has already put the
    real client address in remote_addr; an X-Forwarded-For from anyone else is
    ignored, so rotating it does not escape the limit.
    """
    return keyed_hash("rate_limit_client", request.remote_addr or "unknown")[:32]


babel = Babel()
csrf = CSRFProtect()
htmx = Htmx()
limiter = Limiter(key_func=client_key)
