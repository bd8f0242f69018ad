"""Who may open what: the role groups, the staff decorator, uniform 404s, safe redirects.

Role names are vocabulary (`portal.vocabulary`); which role may do what is
decided here and nowhere else: the views' guards, the menus in the
templates and the command line all read these groups.
"""

import functools
from urllib.parse import unquote, urlsplit

from flask import abort, flash, g, request, url_for
from flask_babel import gettext as _

from . import held, sessions
from .htmx import navigate
from .navigation import page_of_post
from .vocabulary import ADMIN, ORG_MEMBER, REVIEWER, ROLES

# Who works the review queue and decides on requests.
REVIEWERS = (ADMIN, REVIEWER)
# Who manages accounts, organizations, and reads the audit trail.
ADMINISTRATORS = (ADMIN,)
# Who answers offers for an organization (and so belongs to exactly one).
MEMBERS = (ORG_MEMBER,)


def may_review(user) -> bool:
    return user is not None and user.role in REVIEWERS


def may_administer(user) -> bool:
    return user is not None and user.role in ADMINISTRATORS


def answers_offers(user) -> bool:
    return user is not None and user.role in MEMBERS


def belongs_to_organization(role: str) -> bool:
    """Members of organizations belong to one; every other role to none."""
    return role in MEMBERS


def home_for(user) -> str:
    """Where an account lands after signing in: the page of its daily work."""
    if may_administer(user):
        return url_for("accounts.index")
    if may_review(user):
        return url_for("review.queue")
    if answers_offers(user):
        return url_for("offers.inbox")
    return url_for("auth.home")


def found_or_404(found):
    """What a look-up found, or a plain 404: the same answer whether the thing does not
    exist, belongs to someone else, or the address is garbage."""
    if found is None:
        abort(404)
    return found


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


def _keep_words_and_sign_in():
    """A staff form posted after its session ended: keep what was typed for the page it
    came from, and bring the person back there, words in place, once signed in again.

    CSRFProtect has checked the post's token: it came from this site's own page.
    """
    page = page_of_post()
    if any(value.strip() for value in request.form.values() if isinstance(value, str)):
        held.keep_draft(g.get("staff_session_ended_for"), request.form, page)
        flash(
            _(
                "Your session ended. Sign in again: what you wrote is kept, and will be "
                "back in the form for you to send."
            ),
            "error",
        )
    return navigate(url_for("auth.sign_in", next=page))


def staff_required(*roles: str):
    """Only a signed-in staff account with one of `roles` gets through.

    Anonymous visitors are sent to sign in (and brought back); a signed-in
    account of another role gets 403.
    """
    allowed = roles or ROLES

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = sessions.staff_user()
            if user is None:
                if request.method == "GET":
                    return navigate(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
                return _keep_words_and_sign_in()
            if user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
