"""What no page of the portal accepts, refused before any view runs.

Every form of the portal posts `application/x-www-form-urlencoded` or
`multipart/form-data`, and no address has a NUL in it. Anything else would reach
code that never expected it (a JSON body turns into nested values inside a form;
PostgreSQL refuses a NUL in a query) and end as a 500. One rule here, so that no
view has to remember it.
"""

from flask import Flask, abort, request

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _has_body() -> bool:
    if request.content_length:
        return True
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def refuse_what_no_page_accepts():
    if "\x00" in request.path:
        abort(404)
    if _has_body() and request.mimetype not in FORM_TYPES:
        abort(415)


def init_app(app: Flask) -> None:
    # Before flask-wtf's CSRF check, which would read a JSON body for its token.
    app.before_request(refuse_what_no_page_accepts)
