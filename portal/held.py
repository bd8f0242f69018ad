"""What a staff member's browser must not lose, held on the server for a short while.

Two things: the words of a staff form, carried across a language switch or a new
sign-in after the session ended (a *draft*, given back once, to the next page that
draws that form), and new recovery codes, shown until the person says they saved
them, whatever language they switch to meanwhile.

The browser's cookie carries a random id; the server keeps its SHA-256 and the
content sealed (AES-GCM) under a key derived from the id, so that the server's own files
never open it. A row belongs to one account
(a colleague signing in on the same browser is never given it) and a draft to one
page, which it is only given back to (so that page's access rules apply again).
Signing out, leaving, and the worker's sweep (after HELD_MINUTES) erase it.
"""

import datetime
import hashlib
import json
import secrets

from flask import g, request, session
from werkzeug.datastructures import MultiDict

from . import envelopes
from .models import Held, User, utcnow

DRAFT, RECOVERY_CODES = "draft", "recovery_codes"
HELD_MINUTES = 30
_COOKIE_KEY = "hsid"
# Never carried: a new page has its own token and version; a confirmation must be
# given again, on purpose, on the page that asks for it; and secrets (passwords,
# second-step codes) are never written anywhere, sealed or not.
NOT_CARRIED = frozenset(
    {"csrf_token", "switch_language", "confirm", "version", "password", "current", "new"}
    | {"repeat", "code"}
)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _browser_id(create: bool) -> str | None:
    sid = session.get(_COOKIE_KEY)
    if isinstance(sid, str):
        return sid
    if not create:
        return None
    sid = secrets.token_urlsafe(32)
    session[_COOKIE_KEY] = sid
    return sid


def _keep(kind: str, user: User | None, content: str, page: str | None = None) -> None:
    id_hash = _digest(_browser_id(create=True))
    Held.delete().where((Held.id_hash == id_hash) & (Held.kind == kind)).execute()
    row = Held(id_hash=id_hash, kind=kind, user=user, page=page)
    row.content_sealed = envelopes.seal_with(
        envelopes.session_key(_browser_id(create=False)), content.encode(), _context(row)
    )
    row.save(force_insert=True)


def _context(row: Held) -> bytes:
    return envelopes.context("held", row.uid, "browser")


def _find(kind: str, user: User | None) -> Held | None:
    sid = _browser_id(create=False)
    if sid is None or user is None:
        return None
    row = Held.get_or_none((Held.id_hash == _digest(sid)) & (Held.kind == kind))
    if row is None:
        return None
    too_old = utcnow() - row.created_at > datetime.timedelta(minutes=HELD_MINUTES)
    if row.user_id not in (None, user.id) or too_old:
        row.delete_instance()
        return None
    try:
        content = envelopes.open_with(envelopes.session_key(sid), row.content_sealed, _context(row))
    except envelopes.Unopenable:  # held by a version that sealed it otherwise
        row.delete_instance()
        return None
    row.content = content.decode()
    return row


def forget(kind: str | None = None) -> None:
    """Erase what is held for this browser (of `kind`, or everything)."""
    sid = _browser_id(create=False)
    if sid is None:
        return
    query = Held.delete().where(Held.id_hash == _digest(sid))
    if kind is not None:
        query = query.where(Held.kind == kind)
    query.execute()
    if kind is None:
        session.pop(_COOKIE_KEY, None)


def forget_expired(now: datetime.datetime | None = None) -> int:
    """Erase what was held longer than HELD_MINUTES (the worker does it every few minutes)."""
    held_since = (now or utcnow()) - datetime.timedelta(minutes=HELD_MINUTES)
    return Held.delete().where(Held.created_at < held_since).execute()


# --- drafts -----------------------------------------------------------------------------


def _carried(name: str) -> bool:
    """Whether a field's words are held; a prefixed field ("accept-confirm") by its own name."""
    return name.rsplit("-", 1)[-1] not in NOT_CARRIED


def keep_draft(user: User | None, fields: MultiDict, page: str) -> None:
    """Hold what was typed in a form (all but tokens and confirmations) for `page`."""
    pairs = [
        [name, value]
        for name, value in fields.items(multi=True)
        if _carried(name) and isinstance(value, str)
    ]
    if pairs:
        _keep(DRAFT, user, json.dumps(pairs), page)


def draft_page(user: User | None) -> str | None:
    """Where the held draft goes back to, if one is held for `user`."""
    row = _find(DRAFT, user)
    return row.page if row is not None else None


def current_draft() -> MultiDict | None:
    """The draft held for the signed-in account, taken once per page (the first GET that
    asks erases it, and every form drawn by that page may pick its own fields)."""
    if "held_draft" in g:
        return g.held_draft
    g.held_draft = None
    if request.method == "GET" and _browser_id(create=False) is not None:
        from .navigation import this_page
        from .sessions import staff_user

        row = _find(DRAFT, staff_user())
        if row is not None and row.page == this_page():
            g.held_draft = MultiDict(json.loads(row.content))
            row.delete_instance()
    return g.held_draft


def draft_for(form) -> MultiDict | None:
    """The held draft, if it holds words for one of `form`'s own fields."""
    draft = current_draft()
    if draft is None:
        return None
    own = {field.name for field in form if _carried(field.name)}
    # A hidden field alone (which action, which page) is not something typed.
    typed = {field.name for field in form if field.type not in ("HiddenField", "CSRFTokenField")}
    return draft if own & typed & set(draft.keys()) else None


# --- recovery codes ---------------------------------------------------------------------


def keep_recovery_codes(user: User, codes: list[str], onward: str) -> None:
    _keep(RECOVERY_CODES, user, json.dumps(codes), onward)


def recovery_codes(user: User | None) -> tuple[list[str], str] | None:
    """The new recovery codes held for `user` and the page to go on to; None once saved."""
    row = _find(RECOVERY_CODES, user)
    return (json.loads(row.content), row.page or "") if row is not None else None
