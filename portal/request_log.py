"""One log line per request, and nothing in it that says who asked or about what.

A line is `<request id> <method> <route> <status> <milliseconds>ms`: the route is the
template a URL matched (`/review/<reference>`), never the path itself, which may carry a
reference; no query string, no form, no cookie, no code. The client's address is added
only when LOG_CLIENTS is set: a log of who reached the portal is a list of the people who
asked for protection, for whoever obtains it.
"""

import logging
import secrets
import time

from flask import Flask, current_app, g, request

log = logging.getLogger("portal.requests")


class _WithoutDevServerRequests(logging.Filter):
    """`flask run`'s development server writes each address and full path on its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return " - - [" not in str(record.msg)


_WITHOUT_DEV_SERVER_REQUESTS = _WithoutDevServerRequests()


def _start() -> None:
    g.request_id = secrets.token_hex(8)
    g.request_started = time.perf_counter()


def _write(response):
    if "request_id" not in g:  # a handler that ran before ours refused the request
        _start()
    milliseconds = (time.perf_counter() - g.request_started) * 1000
    route = request.url_rule.rule if request.url_rule is not None else "-"
    line = f"{g.request_id} {request.method} {route} {response.status_code} {milliseconds:.0f}ms"
    if current_app.config["LOG_CLIENTS"]:
        line += f" {request.remote_addr}"
    log.info(line)
    return response


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
