"""What no page of the portal accepts, refused before any view runs.

Every form of the portal posts `application/x-www-form-urlencoded` or
`multipart/form-data` (with no files), in UTF-8, and no address has a NUL in it.
Anything else would reach code that never expected it (a JSON body turns into nested
values inside a form; PostgreSQL refuses a NUL in a query; invalid UTF-8 is silently
stored as replacement characters) and end as a 500 or as words that are not what was
written. One rule here, so that no view has to remember it.

Control characters in valid text (a NUL among them) are the forms' business: each
field says so by itself and keeps what was typed (portal/forms.py).
"""

from urllib.parse import unquote_to_bytes

from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l

from .security import render_error

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

UNREADABLE = (
    _l("The portal could not read what was sent"),
    _l(
        "It holds characters that no keyboard types. Please go back, check what you "
        "wrote (type it again rather than pasting it) and send it again."
    ),
)


def _has_body(asked) -> bool:
    if asked.content_length:
        return True
    return "chunked" in asked.environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _body() -> bytes:
    """The whole body, kept for the form parser; 413 when it is over the limit.

    With a Content-Length over the limit Werkzeug refuses at once. A chunked body has
    none, and Werkzeug stops reading at the limit without saying so: what is left
    unread means the body was too long, not that it ends there.
    """
    data = request.get_data(cache=True)
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    unread = request.content_length is None and len(data) >= limit
    if unread and request.environ["wsgi.input"].read(1):
        abort(413)
    return data


def refuse_what_no_page_accepts():
    asked = request._get_current_object()  # once: each look through the proxy costs
    if "\x00" in asked.path:
        abort(404)
    if not _has_body(asked):
        return None
    if request.mimetype not in FORM_TYPES:
        abort(415)
    body = _body()
    # Percent-decoded, an urlencoded body is its values (and names) as sent; a
    # multipart body carries them as they are, since the portal takes no files.
    if request.mimetype == "application/x-www-form-urlencoded":
        body = unquote_to_bytes(body)
    if not _utf8(body):
        return render_error(400, *UNREADABLE)
    return None


def init_app(app: Flask) -> None:
    # Before flask-wtf's CSRF check, which would read a JSON body for its token.
    app.before_request(refuse_what_no_page_accepts)
