"""Pages compressed on their way out, where that gives nothing away.

A compressed answer's length depends on what in it repeats. When a secret (a form
token, a tracking code, what someone wrote) shares an answer with text an attacker can
choose, an eavesdropper who makes the browser ask again and again can read the secret
off the lengths (BREACH). So only pages that hold no one's data are compressed, and
only for a browser without a session here: SECURITY.md ("Compression") gives the
reasoning. Static files are compressed ahead of time (portal/assets.py).
"""

import functools

from flask import Flask, after_this_request, request
from flask_compress import Compress

from . import sessions

compress = Compress()

SETTINGS = {
    # Compressed only where public_page says so, never by default.
    "COMPRESS_REGISTER": False,
    "COMPRESS_MIMETYPES": ["text/html"],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_STREAMS": False,
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,
}


def init_app(app: Flask) -> None:
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    compress.init_app(app)


def public_page(view):
    """Mark a view whose answer to GET holds nobody's data: compressed when the browser
    accepts it and holds no session here."""

    @functools.wraps(view)
    def compressed_when_safe(*args, **kwargs):
        if request.method in ("GET", "HEAD") and not sessions.holds_any():
            after_this_request(compress.after_request)
        return view(*args, **kwargs)

    return compressed_when_safe
