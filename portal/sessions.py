"""Server-side sessions that can be ended.

Flask's session cookie is signed, not encrypted, and cannot be revoked: a
copied cookie would work until it expires. So the cookie holds only a random
session id, and the server keeps the record (`ServerSession`) that says what
the id opens and until when. Leaving or idling too long ends it on the
server, and the copied cookie then opens nothing. (Withdrawing does not: the
person should still see that the withdrawal took effect.)
"""

import datetime
import hashlib
import secrets

from flask import current_app, session

from .models import Request, ServerSession, utcnow

TRACKING = "tracking"
_COOKIE_KEY = {TRACKING: "tsid"}


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start_tracking(request: Request) -> None:
    """Open a tracking session on `request` for this browser, replacing any earlier one."""
    end(TRACKING)
    sid = secrets.token_urlsafe(32)
    ServerSession.create(id_hash=_digest(sid), kind=TRACKING, request=request)
    session[_COOKIE_KEY[TRACKING]] = sid


def tracked_request() -> Request | None:
    """The request this browser's tracking session opens, if the session is still alive."""
    sid = session.get(_COOKIE_KEY[TRACKING])
    if not isinstance(sid, str):
        return None
    record = ServerSession.get_or_none(
        (ServerSession.id_hash == _digest(sid)) & (ServerSession.kind == TRACKING)
    )
    if record is None:
        session.pop(_COOKIE_KEY[TRACKING], None)
        return None
    now = utcnow()
    idle = datetime.timedelta(minutes=current_app.config["TRACKING_IDLE_MINUTES"])
    if now - record.last_seen_at > idle:
        record.delete_instance()
        session.pop(_COOKIE_KEY[TRACKING], None)
        return None
    (ServerSession.update(last_seen_at=now).where(ServerSession.id == record.id).execute())
    return record.request


def end(kind: str) -> None:
    """End this browser's session of `kind` on the server and forget it in the cookie."""
    sid = session.pop(_COOKIE_KEY[kind], None)
    if isinstance(sid, str):
        ServerSession.delete().where(ServerSession.id_hash == _digest(sid)).execute()


def purge_expired() -> int:
    """Delete tracking sessions idle longer than allowed; returns how many."""
    limit = utcnow() - datetime.timedelta(minutes=current_app.config["TRACKING_IDLE_MINUTES"])
    return ServerSession.delete().where(ServerSession.last_seen_at < limit).execute()
