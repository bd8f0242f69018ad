"""Public pages: the same for everyone in a language, so rendered once and reused.

A page marked `public_page` (home, staying safe, the request form, the tracking entry,
the directory) is kept, once rendered, for the next browser that asks for the same
address in the same language: that costs a lookup instead of a template with hundreds
of options. Nothing of anyone's can be in it, because a page is kept and reused only
for a browser that holds no session here (no tracking or staff session, no sign-in
under way, no new request's code) and has no message waiting.

The values that are each answer's own are placeholders in the kept page, filled in for
each answer: the form token (CSRF), valid for this browser's session, and any
`per_answer` value such as a new form's submission token.

Only such pages are compressed, and only under the same conditions: gzip joined from
the kept page's pieces, compressed once, and each answer's own values stored between them
(portal/pieced_gzip.py; SECURITY.md, "Caching and compression").
"""

import functools
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, request, session
from flask_babel import get_locale
from werkzeug.http import parse_accept_header

from . import sessions
from .pieced_gzip import Piece, joined
from .signing import form_token

# Bounds on what is kept: an address's query string is the visitor's to choose.
MAX_PAGES = 256
MAX_BYTES = 32 * 1024 * 1024
# What picks the page or its partial (portal/htmx.py wants_partial), besides the address.
# (As the WSGI environment names them: read there, not through request.headers, which
# costs more than the rest of the key.)
HTMX_HEADERS = ("HTTP_HX_REQUEST", "HTTP_HX_BOOSTED", "HTTP_HX_HISTORY_RESTORE_REQUEST")
CSRF = "csrf"


@dataclass
class Kept:
    version: object
    # The page cut where each answer's own values go: a Piece, a name, a Piece...
    pieces: list
    headers: list
    fillers: dict[str, Callable[[], str]]

    @property
    def size(self) -> int:
        return sum(len(piece.text) + len(piece.run) for piece in self.pieces[::2])


class PageCache:
    def __init__(self):
        self._pages: OrderedDict[tuple, Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # Unguessable, and made of characters that escaping leaves alone.
        self.mark = "pagecache" + secrets.token_hex(16)
        self.placeholder = re.compile(re.escape(self.mark) + "-([a-z_]+)-")

    def placeholder_for(self, name: str) -> str:
        return f"{self.mark}-{name}-"

    def get(self, key, version) -> Kept | None:
        with self._lock:
            kept = self._pages.get(key)
            if kept is None or kept.version != version:
                return None
            self._pages.move_to_end(key)
            return kept

    def put(self, key, kept: Kept) -> None:
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._pages[key] = kept
            self._bytes += kept.size
            while len(self._pages) > MAX_PAGES or self._bytes > MAX_BYTES:
                _, dropped = self._pages.popitem(last=False)
                self._bytes -= dropped.size

    def __len__(self) -> int:
        return len(self._pages)


def init_app(app) -> None:
    app.extensions["page_cache"] = PageCache()


def _cache() -> PageCache:
    return current_app.extensions["page_cache"]


def per_answer(name: str, make: Callable[[], str]) -> str:
    """A value that must differ between answers (`make()`); in a page being kept, a
    placeholder that each answer fills with a new `make()`."""
    fillers = g.get("page_cache_fillers")
    if fillers is None:
        return make()
    fillers[name] = make
    return _cache().placeholder_for(name)


def _reusable() -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not sessions.holds_any()
        and "_flashes" not in session._get_current_object()
    )


def _key() -> tuple:
    asked = request._get_current_object()  # once: each look through the proxy costs
    environ = asked.environ
    return (
        asked.endpoint,
        str(get_locale()),
        asked.host,
        asked.full_path,
        *(environ.get(name, "") for name in HTMX_HEADERS),
    )


def public_page(view=None, *, version: Callable[[], object] | None = None):
    """Mark a view whose GET answer holds nobody's data: kept and reused, and
    compressed, for browsers that hold no session here. `version()` says when a kept
    page is out of date (the directory's organizations changed)."""
    if view is None:
        return functools.partial(public_page, version=version)

    @functools.wraps(view)
    def public_view(*args, **kwargs):
        if not _reusable():
            return view(*args, **kwargs)
        cache, key = _cache(), _key()
        current = version() if version else None
        kept = cache.get(key, current)
        if kept is None:
            kept = _render(view, args, kwargs, current)
            if not isinstance(kept, Kept):  # not a plain page: answered, and not kept
                return kept
            cache.put(key, kept)
        return _answer(kept)

    return public_view


def _render(view, args, kwargs, version):
    """The view's page, rendered with placeholders, to keep; or, if it is not a plain
    page, its answer with the placeholders filled in."""
    cache = _cache()
    g.csrf_token = cache.placeholder_for(CSRF)  # what form_token gives while it renders
    g.page_cache_fillers = {}
    try:
        response = current_app.make_response(view(*args, **kwargs))
    finally:
        fillers = g.pop("page_cache_fillers")
        g.pop("csrf_token", None)
    if response.is_streamed:
        return response
    cut = cache.placeholder.split(response.get_data(as_text=True))
    if response.status_code != 200 or response.mimetype != "text/html":
        texts = [piece.encode() if n % 2 == 0 else piece for n, piece in enumerate(cut)]
        values = _values(texts[1::2], fillers)
        response.set_data(b"".join(values.get(piece, piece) for piece in texts))
        return response
    pieces = [Piece.of(piece.encode()) if n % 2 == 0 else piece for n, piece in enumerate(cut)]
    dropped = ("Content-Length", "Set-Cookie", "Vary")
    headers = [(name, value) for name, value in response.headers if name not in dropped]
    vary = {value.strip() for value in response.headers.get("Vary", "").split(",")}
    # A kept page is what a browser without a session gets (Cookie), compressed or not.
    vary = (vary - {""}) | {"Accept-Encoding", "Cookie"}
    headers.append(("Vary", ", ".join(sorted(vary))))
    return Kept(version, pieces, headers, fillers)


def _values(names: list[str], fillers: dict) -> dict[str, bytes]:
    # Only the values the page holds: a page without a form token makes none (and so
    # sets no session cookie).
    values = {}
    for name in names:
        if name not in values:
            values[name] = (form_token() if name == CSRF else fillers[name]()).encode()
    return values


def _answer(kept: Kept):
    values = _values(kept.pieces[1::2], kept.fillers)
    gzip = _takes_gzip(request.environ.get("HTTP_ACCEPT_ENCODING", ""))
    pieces = [
        piece if n % 2 == 0 else Piece.secret(values[piece]) if gzip else Piece(values[piece], b"")
        for n, piece in enumerate(kept.pieces)
    ]
    if not gzip:
        body = b"".join(piece.text for piece in pieces)
        return current_app.response_class(body, 200, kept.headers)
    encoded = [*kept.headers, ("Content-Encoding", "gzip")]
    return current_app.response_class(joined(pieces), 200, encoded)


@functools.lru_cache(maxsize=256)
def _takes_gzip(accepted: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: browsers send a handful of different
    ones, and parsing one costs a kept page's answer more than joining its pieces."""
    return parse_accept_header(accepted).quality("gzip") > 0
