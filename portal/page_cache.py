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

A kept page that nothing can change while the portal runs, and that holds no value of its
own in any answer but a form token (home, the help pages, the tracking entry), is the same
answer for every browser that asks for it the same way without a session: to the byte, or
but for the form token and the new session that holds its random half. WholeAnswers keeps
that answer as Flask gave it, every header included, and gives it again, before Flask, to
the next browser that asks in exactly the same way and sends no cookie at all, with a new
token and session if the page has a form. Flask's work for a request cost such a page
four fifths of its time or more.
"""

import functools
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, request, session
from flask_babel import get_locale
from werkzeug.http import parse_accept_header

from . import request_log, sessions, signing
from .pieced_gzip import Piece, joined

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
    """Before any other WSGI middleware is put around the app (ProxyFix, WhiteNoise): whole
    answers are given as the app would give them, to the request as the app would see it."""
    app.extensions["page_cache"] = PageCache()
    app.wsgi_app = WholeAnswers(app, app.wsgi_app)


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
        if version is None and set(kept.pieces[1::2]) <= {CSRF}:
            _whole(kept)
        return _answer(kept)

    return public_view


def _render(view, args, kwargs, version):
    """The view's page, rendered with placeholders, to keep; or, if it is not a plain
    page, its answer with the placeholders filled in."""
    cache = _cache()
    g.csrf_token = cache.placeholder_for(CSRF)  # what signing.form_token gives while it renders
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
            values[name] = (signing.form_token() if name == CSRF else fillers[name]()).encode()
    return values


def _answer(kept: Kept):
    values = _values(kept.pieces[1::2], kept.fillers)
    gzip = _takes_gzip(request.environ.get("HTTP_ACCEPT_ENCODING", ""))
    headers = [*kept.headers, ("Content-Encoding", "gzip")] if gzip else kept.headers
    return current_app.response_class(_body(kept, values, gzip), 200, headers)


def _body(kept: Kept, values: dict[str, bytes], gzip: bool) -> bytes:
    """The kept page with this answer's values, compressed in pieces or not."""
    if not gzip:
        return b"".join(
            piece.text if n % 2 == 0 else values[piece] for n, piece in enumerate(kept.pieces)
        )
    return joined(
        [
            piece if n % 2 == 0 else Piece.secret(values[piece])
            for n, piece in enumerate(kept.pieces)
        ]
    )


@functools.lru_cache(maxsize=256)
def _takes_gzip(accepted: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: browsers send a handful of different
    ones, and parsing one costs a kept page's answer more than joining its pieces."""
    return parse_accept_header(accepted).quality("gzip") > 0


# --- Whole answers, before Flask ------------------------------------------------------

# What a whole kept page's answer leaves in the WSGI environment: its route, for the log.
WHOLE = "portal.page_cache.whole"
# Everything of a request that a kept page's answer can depend on, for a browser without a
# cookie: the address (scheme, host, path, query: the page, its language if chosen, the
# onion address or not), the browser's languages, the encodings it takes, and htmx's
# headers (a partial or the page). A public page that reads anything else of the request
# must add it here, or browsers that differ in it would get the first one's answer.
ASKED = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING",
    *HTMX_HEADERS,
)


def _whole(kept: Kept) -> None:
    from . import limits_checked  # which builds on this module

    asked = request._get_current_object()
    if not limits_checked():  # a page with a rate limit is always answered by Flask
        asked.environ[WHOLE] = (asked.url_rule.rule, kept)


@dataclass(frozen=True)
class Answer:
    route: str
    headers: tuple
    body: bytes
    # A page with a form token: the kept page, whose token is made anew for each answer,
    # and where in `headers` the session cookie goes, with the attributes Flask wrote.
    kept: Kept | None = None
    gzip: bool = False
    cookie: int = -1
    cookie_attributes: str = ""


class WholeAnswers:
    """Whole kept pages' answers, given again before Flask (see the module's docstring).

    Only to a GET without a body and without any cookie: without a cookie there is no
    session, no sign-in, no chosen language, nothing that is anyone's; a request with one
    goes to Flask, as does anything not seen and kept before. Only answers Flask gave with
    200, marked whole by public_page, and setting no cookie but a new session's holding
    nothing but a form token's random half, are kept. A page with a form token gets a new
    one in each answer, with the new session that goes with it, signed as Flask and
    flask-wtf sign them. Each answer is written to the request log as any other.
    """

    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        self._answers: OrderedDict[tuple, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        key = _asked(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
        if answer is not None:
            return self._again(answer, environ, start_response)
        given = {}

        def keeping(status, headers, exc_info=None):
            given.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, keeping)
        marked = environ.get(WHOLE)
        if marked is None or given.get("status") != "200 OK":
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        answer = self._kept_answer(*marked, given["headers"], data)
        if answer is not None:
            with self._lock:
                self._answers[key] = answer
                while len(self._answers) > MAX_PAGES:
                    self._answers.popitem(last=False)
        return [data]

    def _kept_answer(self, route, kept, headers, data) -> Answer | None:
        cookies = [n for n, (name, _) in enumerate(headers) if name.lower() == "set-cookie"]
        if len(kept.pieces) == 1:  # nothing of its own in any answer
            return None if cookies else Answer(route, tuple(headers), data)
        if len(cookies) != 1:
            return None
        # Flask's new session for the form token: kept only if it holds nothing else, and
        # ends with the browser (no date in it to go stale).
        name = self.app.config["SESSION_COOKIE_NAME"]
        written = headers[cookies[0]][1]
        value, semicolon, attributes = written.removeprefix(f"{name}=").partition(";")
        if not written.startswith(f"{name}=") or re.search("expires|max-age", attributes, re.I):
            return None
        signer = self.app.session_interface.get_signing_serializer(self.app)
        if set(signer.loads(value)) != {signing.FIELD}:
            return None
        gzip = any(name.lower() == "content-encoding" for name, _ in headers)
        return Answer(route, tuple(headers), b"", kept, gzip, cookies[0], semicolon + attributes)

    def _again(self, answer: Answer, environ, start_response):
        started = time.perf_counter()
        headers, body = list(answer.headers), answer.body
        if answer.kept is not None:
            raw = signing.new_form_secret()
            token = signing.signed_form_token(self.app, raw).encode()
            body = _body(answer.kept, {CSRF: token}, answer.gzip)
            signer = self.app.session_interface.get_signing_serializer(self.app)
            value = signer.dumps({signing.FIELD: raw})
            cookie = f"{self.app.config['SESSION_COOKIE_NAME']}={value}{answer.cookie_attributes}"
            headers[answer.cookie] = ("Set-Cookie", cookie)
            headers = [
                (name, str(len(body)) if name.lower() == "content-length" else text)
                for name, text in headers
            ]
        start_response("200 OK", headers)
        client = environ.get("REMOTE_ADDR")
        request_log.write(self.app, request_log.new_id(), "GET", answer.route, 200, started, client)
        return [body]


def _asked(environ) -> tuple | None:
    """How a request asks, when a whole answer could be given to it; else None."""
    if environ.get("REQUEST_METHOD") != "GET" or "HTTP_COOKIE" in environ:
        return None
    if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
        return None
    if "HTTP_TRANSFER_ENCODING" in environ:
        return None
    return tuple(environ.get(name, "") for name in ASKED)
