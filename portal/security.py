"""Response headers for every answer, and the error pages."""

import base64
import hashlib
import re
import traceback
from pathlib import Path
from urllib.parse import quote

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .htmx import wants_partial
from .navigation import current_page_url

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: flask-wtf refuses HTTPS posts without a Referer.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}

STRICT_TRANSPORT = "max-age=31536000; includeSubDomains"

ONION_V3 = re.compile(r"[a-z2-7]{56}\.onion")

ERRORS = {
    400: (_l("Something went wrong with what was sent"), _l("Please go back and try again.")),
    403: (_l("You cannot open this page"), _l("This page is not available to you.")),
    404: (
        _l("Page not found"),
        _l("There is nothing here. The address may be mistyped, or the page is gone."),
    ),
    405: (_l("That did not work"), _l("This page cannot be used that way.")),
    413: (
        _l("That was too much to send"),
        _l("What you sent is larger than the portal accepts. Please shorten it and try again."),
    ),
    429: (
        _l("Too many attempts"),
        _l("Please wait a few minutes before trying again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you did caused this. Please try again in a few minutes."),
    ),
}

CSRF_EXPIRED = (
    _l("This form has expired"),
    _l(
        "For your safety, forms stop working after a while or when the page was "
        "opened in another session. Please go back, reload the page and send it again."
    ),
)


# Pages may show a request's contents: nothing is kept in any cache. (Static files never
# come this way: portal/assets.py serves them, with static_headers.)
NOT_KEPT = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def set_headers(response):
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    for name, value in current_app.extensions["page_headers"]:
        if name.lower() not in present:
            headers.add(name, value)
        elif name in NOT_KEPT or name == "Strict-Transport-Security":
            headers[name] = value
    config = current_app.config
    onion = config["ONION_ADDRESS"]
    clearnet = onion and not config["ONION"] and request.host.split(":")[0] != onion
    if clearnet and response.mimetype == "text/html":
        # Tor Browser offers the same page on the onion service, where nobody on the way
        # can see, or block, which site it is.
        headers["Onion-Location"] = f"http://{onion}{_path_and_query()}"
    return response


def page_headers(app: Flask) -> list[tuple[str, str]]:
    """The headers of every page: a view's own value of a security header stands; the
    caching headers are always these."""
    headers = [*HEADERS.items(), *NOT_KEPT.items()]
    if _strict_transport(app):
        headers.append(("Strict-Transport-Security", STRICT_TRANSPORT))
    return headers


def _strict_transport(app: Flask) -> bool:
    return app.config["HTTPS"] and not app.config["ONION"]


def static_headers(app: Flask) -> dict[str, str]:
    """The headers of every static file: the same as a page's, but for caching."""
    headers = dict(HEADERS)
    if _strict_transport(app):
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT
    return headers


def _path_and_query() -> str:
    path = quote(request.script_root + request.path)
    query = quote(request.query_string, safe="=&;%+/?:@,")
    return f"{path}?{query}" if query else path


def onion_address_problem(address: str) -> str | None:
    """What is wrong with a v3 onion address (56 base32 characters + ".onion"), or None."""
    if not ONION_V3.fullmatch(address):
        return 'must be 56 letters a-z and digits 2-7 then ".onion", without http:// or a path'
    key = base64.b32decode(address[:56].upper())
    public_key, checksum, version = key[:32], key[32:34], key[34:]
    expected = hashlib.sha3_256(b".onion checksum" + public_key + version).digest()[:2]
    if version != b"\x03" or checksum != expected:
        return "is not an onion address: its checksum does not match (a typo?)"
    return None


def render_error(code: int, title, message, back: str | None = None):
    """A plain translated error page; for htmx, a partial swapped into the main area."""
    context = {"code": code, "title": title, "message": message, "back": back}
    if wants_partial():
        response = current_app.response_class(
            render_template("errors/_error.html", **context), code
        )
        response.headers["HX-Retarget"] = "#main"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        response = current_app.response_class(render_template("errors/error.html", **context), code)
    response.vary.add("HX-Request")
    return response


def handle_http_error(error: HTTPException):
    if error.response is not None:  # a page made for this error already (a rate limit's)
        return error.response
    code = error.code or 500
    title, message = ERRORS.get(code) or ERRORS[400 if code < 500 else 500]
    response = render_error(code, title, message)
    if code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def handle_csrf_error(error: CSRFError):
    return render_error(400, *CSRF_EXPIRED, back=current_page_url())


def handle_unexpected(error: Exception):
    # The class and where it was raised, never the message: a database error quotes
    # the values of its query (an address, a name), and a log is read by others.
    frames = traceback.extract_tb(error.__traceback__)
    where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    current_app.logger.error(
        "unhandled %s on %s (request %s) at %s",
        type(error).__name__,
        request.endpoint,
        g.get("request_id", "-"),
        where,
    )
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    address = app.config["ONION_ADDRESS"]
    if address and (problem := onion_address_problem(address)):
        # A mistyped address would send every Tor Browser user to a site nobody controls.
        raise ValueError(f"PORTAL_ONION_ADDRESS {problem}: {address!r}")
    app.extensions["page_headers"] = page_headers(app)
    app.after_request(set_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
