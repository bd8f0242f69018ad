"""Links back to the page being shown, built from the routes, never from the raw address."""

from urllib.parse import parse_qsl, urlsplit

from flask import current_app, request, url_for
from werkzeug.exceptions import HTTPException


def current_page_url(**params) -> str | None:
    """The URL of the page being shown, if it is one that can be opened with GET.

    Rebuilt from the matched route so that an address like `/\\evil.example`
    (which browsers read as another site) can never be echoed into a link.
    """
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(request.path, method="GET")
    except HTTPException:
        return None
    return url_for(endpoint, **args, **params)


def page_of_post() -> str:
    """The page a form was posted from (the browser says so, same-origin only), rebuilt
    from its route; else the address posted to, if it is also a page; else the staff
    start page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        page = _page_at(referrer.path, parse_qsl(referrer.query))
        if page:
            return page
    return _page_at(request.path, []) or url_for("auth.home")


def _page_at(path: str, query) -> str | None:
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return url_for(endpoint, **args, **{k: v for k, v in query if k != "lang"})


def is_page(target: str | None) -> bool:
    """A path on this site that answers GET: a page, not the address a form posts to."""
    from .access import is_safe_next

    if not is_safe_next(target):
        return False
    try:
        current_app.url_map.bind("localhost").match(urlsplit(target).path, method="GET")
    except HTTPException:
        return False
    return True


def this_page() -> str:
    """Where a staff member comes back to after switching language or signing in again:
    this page with its filters, or for a form posted here, the page it was posted from."""
    if request.method == "GET":
        query = {k: v for k, v in request.args.items() if k != "lang"}
        here = current_page_url(**query)
        if here:
            return here
    return page_of_post()


def language_url(code: str) -> str:
    """The same page in another language, or the home page in it."""
    return current_page_url(lang=code) or url_for("pages.home", lang=code)


# The areas anyone may open: a person asking for support is there, so every page of
# them offers "Leave quickly" and says nothing in its title.
PUBLIC_AREAS = frozenset({"pages", "intake", "directory"})


def is_public_page() -> bool:
    """A page of the public areas, or an error page outside the staff areas."""
    return request.blueprint in PUBLIC_AREAS or request.blueprint is None
