"""Pages compressed on their way out, where that gives nothing away.

A compressed answer's length depends on what in it repeats. When a secret (a form
token, a tracking code, what someone wrote) shares an answer with text an attacker can
choose, an eavesdropper who makes the browser ask again and again can read the secret
off the lengths (BREACH). So only pages that hold no one's data are compressed, and
only for a browser without a session here: SECURITY.md ("Compression") gives the
reasoning. Static files are compressed ahead of time (portal/assets.py).
"""

from flask import Flask, after_this_request
from flask_compress import Compress

compress = Compress()

SETTINGS = {
    # Compressed only where page_cache.public_page says so, never by default.
    "COMPRESS_REGISTER": False,
    "COMPRESS_MIMETYPES": ["text/html"],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    # Each answer is compressed anew (its form token is its own): brotli's level 3 takes
    # a fifth of a millisecond for the request form, level 5 a whole one, for 10% less.
    "COMPRESS_BR_LEVEL": 3,
    "COMPRESS_LEVEL": 6,
    "COMPRESS_STREAMS": False,
    "COMPRESS_EVALUATE_CONDITIONAL_REQUEST": False,
}


def init_app(app: Flask) -> None:
    for name, value in SETTINGS.items():
        app.config.setdefault(name, value)
    compress.init_app(app)


def compress_answer() -> None:
    """Compress this answer if the browser accepts it. Only for a page that holds nobody's
    data, asked for by a browser that holds no session (page_cache.public_page)."""
    after_this_request(compress.after_request)
