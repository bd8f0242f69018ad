"""One log line per request, and nothing in it that says who asked or about what.

A line is `<request id> <method> <route> <status> <milliseconds>ms`: the route is the
template a URL matched (`/review/<reference>`), never the path itself, which may carry a
reference; no query string, no form, no cookie, no code. The client's address is added
only when LOG_CLIENTS is set: a log of who reached the portal is a list of the people who
asked for protection, for whoever obtains it. A health check that answers 200 writes no
line: monitors ask for it every few seconds, and its lines would bury the others.

Lines are kept, and a thread of their own hands them to logging a few times a second:
formatting and writing a line on the request's thread, under the interpreter's lock, cost
a served page as much as the page itself. (When testing, lines are written at once.)
"""

import atexit
import collections
import logging
import os
import secrets
import threading
import time

from flask import Flask, current_app, g, request

log = logging.getLogger("portal.requests")


class _WithoutDevServerRequests(logging.Filter):
    """`flask run`'s development server writes each address and full path on its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return " - - [" not in str(record.msg)


_WITHOUT_DEV_SERVER_REQUESTS = _WithoutDevServerRequests()


def _start() -> None:
    g.request_id = new_id()
    g.request_started = time.perf_counter()


class _Batched:
    """Lines kept in order and handed to logging in batches, by a thread of its own that
    wakes every WRITE_EVERY seconds. A queue that woke a thread for every line cost each
    served page a tenth of its time (thread switches, not writing). The thread is made in
    the process that writes: gunicorn builds the app once before it forks its workers, and
    a thread does not survive a fork."""

    def __init__(self):
        self._starting = threading.Lock()
        self._writing = threading.Lock()
        self._pid = None
        self._lines = collections.deque()

    def put(self, record: logging.LogRecord) -> None:
        if self._pid != os.getpid():
            self._start()
        self._lines.append(record)  # atomic: no lock on the request's way

    def _start(self) -> None:
        with self._starting:
            if self._pid == os.getpid():
                return
            self._lines = collections.deque()
            threading.Thread(
                target=self._write_every_while, name="request-log", daemon=True
            ).start()
            atexit.register(self.flush)  # what is kept is written before the end
            self._pid = os.getpid()

    def _write_every_while(self) -> None:
        while True:
            time.sleep(WRITE_EVERY)
            self.flush()

    def flush(self) -> None:
        """Write every line kept so far, in order (by logging's handlers of "portal" and
        above, as any line)."""
        with self._writing:
            while self._lines:
                log.handle(self._lines.popleft())


WRITE_EVERY = 0.2  # seconds
_batched = _Batched()
flush = _batched.flush


def _write(response):
    if "request_id" not in g:  # a handler that ran before ours refused the request
        _start()
    asked = request._get_current_object()  # once: each look through the proxy costs
    if asked.endpoint == "pages.healthz" and response.status_code == 200:
        return response
    route = asked.url_rule.rule if asked.url_rule is not None else "-"
    write(
        current_app._get_current_object(),
        g.request_id,
        asked.method,
        route,
        response.status_code,
        g.request_started,
        asked.remote_addr,
    )
    return response


def write(app: Flask, request_id, method, route, status, started, client) -> None:
    """One request's line (`started`: its time.perf_counter() when it came in); also for
    answers given before Flask (portal/page_cache.py, WholeAnswers)."""
    if not log.isEnabledFor(logging.INFO):
        return
    milliseconds = (time.perf_counter() - started) * 1000
    line = f"{request_id} {method} {route} {status} {milliseconds:.0f}ms"
    if app.config["LOG_CLIENTS"]:
        line += f" {client}"
    record = log.makeRecord(log.name, logging.INFO, __file__, 0, line, None, None, "_write")
    if app.testing:
        log.handle(record)
    else:
        _batched.put(record)


def new_id() -> str:
    return secrets.token_hex(8)


def init_app(app: Flask) -> None:
    # First of all the before-request functions, so that a request refused by one of them
    # (a rate limit, a CSRF failure) is timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_write)
    # Lines at INFO, written by the app's logger (standard error unless the deployment
    # configured logging): gunicorn keeps only its error log, on standard error.
    log.setLevel(logging.INFO)
    # peewee writes every query with its parameters at DEBUG: emails, references, offer
    # handles. Never, even when a deployment turns DEBUG on to look at something else.
    logging.getLogger("peewee").setLevel(logging.INFO)
    app.logger  # noqa: B018 (Flask adds its handler on first use, when none is configured)
    if not app.config["LOG_CLIENTS"]:
        logging.getLogger("werkzeug").addFilter(_WITHOUT_DEV_SERVER_REQUESTS)
