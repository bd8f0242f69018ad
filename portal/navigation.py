"""Links back to the page being shown, built from the routes, never from the raw address."""

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


def language_url(code: str) -> str:
    """The same page in another language, or the home page in it."""
    return current_page_url(lang=code) or url_for("pages.home", lang=code)


# The areas anyone may open: a person asking for support is there, so every page of
# them offers "Leave quickly" and says nothing in its title.
PUBLIC_AREAS = frozenset({"pages", "intake", "directory"})


def is_public_page() -> bool:
    """A page of the public areas, or an error page outside the staff areas."""
    return request.blueprint in PUBLIC_AREAS or request.blueprint is None
