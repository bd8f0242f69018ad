"""Who may open what: the staff decorator and safe redirect targets."""

import functools
from urllib.parse import unquote, urlsplit

from flask import abort, request, url_for

from . import sessions
from .htmx import navigate

STAFF_ROLES = ("admin", "reviewer", "org_member")


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site; false for anything that could leave it.

    Refuses `//evil`, `/\\evil`, `https:evil`, control characters and their
    percent-encoded forms, which browsers may read as another host.
    """
    if not target or not target.startswith("/") or len(target) > 2000:
        return False

    for candidate in (target, unquote(target)):
        if any(ord(ch) < 0x20 or ch == "\\" for ch in candidate):
            return False
        if candidate.startswith("//"):
            return False
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc:
            return False
    return True


def staff_required(*roles: str):
    """Only a signed-in staff account with one of `roles` gets through.

    Anonymous visitors are sent to sign in (and brought back); a signed-in
    account of another role gets 403.
    """
    allowed = roles or STAFF_ROLES

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = sessions.staff_user()
            if user is None:
                target = request.full_path if request.method == "GET" else request.path
                target = target.rstrip("?")
                return navigate(url_for("auth.sign_in", next=target))
            if user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
