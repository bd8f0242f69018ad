"""Server-side sessions that can be ended.

Flask's session cookie is signed, not encrypted, and cannot be revoked: a
copied cookie would work until it expires. So the cookie holds only a random
session id, and the server keeps the record (`ServerSession`) that says what
the id opens and until when. Leaving or idling too long ends it on the
server, and the copied cookie then opens nothing. (Withdrawing does not: the
person should still see that the withdrawal took effect.)
"""

import base64
import datetime
import hashlib
import json
import secrets

from flask import current_app, g, session

from . import envelopes, held
from .models import PendingCode, Request, ServerSession, User, utcnow

TRACKING = "tracking"
STAFF = "staff"
# Password given, second factor not yet: opens nothing but the code page.
STAFF_PENDING = "staff_pending"
PENDING_MINUTES = 5
_COOKIE_KEY = {TRACKING: "tsid", STAFF: "ssid", STAFF_PENDING: "psid"}
# A new request's code stays visible to its browser this long, unless confirmed sooner.
CODE_HELD_MINUTES = 30
_CODE_KEY = "csid"
_HELD_KEYS = (*_COOKIE_KEY.values(), _CODE_KEY)


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start_tracking(request: Request, keys: dict[str, bytes] | None = None) -> None:
    """Open a tracking session on `request` for this browser, replacing any earlier one;
    it holds `keys` (the requester's, from their code: portal.request_keys) under its id."""
    end(TRACKING)
    sid = secrets.token_urlsafe(32)
    ServerSession.create(
        id_hash=_digest(sid), kind=TRACKING, request=request, keys_sealed=_seal_keys(sid, keys)
    )
    session[_COOKIE_KEY[TRACKING]] = sid
    g.pop("tracking", None)


def tracked_request() -> Request | None:
    """The request this browser's tracking session opens, while the session is alive:
    TRACKING_IDLE_MINUTES since the last request, TRACKING_ABSOLUTE_MINUTES since the code.
    (Once per web request: the answer is kept for the rest of it.)"""
    if "tracking" not in g:
        g.tracking = _tracked_record()
    return g.tracking.request if g.tracking is not None else None


def tracking_keys() -> dict[str, bytes]:
    """The keys the requester's code gave this tracking session ({} if none)."""
    if tracked_request() is None:
        return {}
    return _open_keys(session.get(_COOKIE_KEY[TRACKING]), g.tracking)


def _tracked_record():
    record = _alive_record(TRACKING)
    if record is None:
        return None
    now = utcnow()
    config = current_app.config
    idle = datetime.timedelta(minutes=config["TRACKING_IDLE_MINUTES"])
    # However active, a session ends: a browser left open on a shared or seized
    # device must not keep the request open for ever.
    absolute = datetime.timedelta(minutes=config["TRACKING_ABSOLUTE_MINUTES"])
    # A session opened before keys (an upgrade) holds none: the code is asked again.
    stale = record.keys_sealed is None
    if stale or now - record.last_seen_at > idle or now - record.created_at > absolute:
        record.delete_instance()
        session.pop(_COOKIE_KEY[TRACKING], None)
        return None
    (ServerSession.update(last_seen_at=now).where(ServerSession.id == record.id).execute())
    return record


def _keys_aad(id_hash: str) -> bytes:
    return f"portal/e1|session|{id_hash}".encode()


def _seal_keys(sid: str, keys: dict[str, bytes]) -> bytes | None:
    """The keys a person unlocked, sealed under their session id: the database row alone,
    or a copy of it, opens nothing (portal.keychain)."""
    if not keys:
        return None
    payload = json.dumps({name: base64.b64encode(key).decode() for name, key in keys.items()})
    return envelopes.seal_with(
        envelopes.session_key(sid), payload.encode(), _keys_aad(_digest(sid))
    )


def _open_keys(sid: str, record: ServerSession) -> dict[str, bytes]:
    if record is None or record.keys_sealed is None:
        return {}
    try:
        opened = envelopes.open_with(
            envelopes.session_key(sid), record.keys_sealed, _keys_aad(record.id_hash)
        )
    except envelopes.Unopenable:
        return {}
    return {name: base64.b64decode(key) for name, key in json.loads(opened).items()}


def _carried_keys(user: User) -> dict[str, bytes]:
    """The keys this browser's pending or staff session of `user` holds, to carry into a
    new one."""
    for kind in (STAFF_PENDING, STAFF):
        record = _alive_record(kind)
        if record is not None and record.user_id == user.id:
            keys = _open_keys(session.get(_COOKIE_KEY[kind]), record)
            if keys:
                return keys
    return {}


def start_staff(user: User, kind: str = STAFF, keys: dict[str, bytes] | None = None) -> dict:
    """Open a staff session (or a pending one) with a new id; any earlier one ends.

    The session holds `keys` (sealed under its id), or else the keys the browser's earlier
    session held for the same account (the second step, a password change); which it
    holds is returned.
    """
    if keys is None:
        keys = _carried_keys(user)
    end(STAFF_PENDING)
    end(STAFF)
    sid = secrets.token_urlsafe(32)
    ServerSession.create(
        id_hash=_digest(sid), kind=kind, user=user, keys_sealed=_seal_keys(sid, keys)
    )
    session[_COOKIE_KEY[kind]] = sid
    g.pop("staff_keys", None)
    g.pop("_reader", None)
    return keys


def staff_keys() -> dict[str, bytes]:
    """The keys the signed-in staff member unlocked, for this request only ({} if none)."""
    if "staff_keys" not in g:
        keys = {}
        if staff_user() is not None:
            keys = _open_keys(session.get(_COOKIE_KEY[STAFF]), g.staff_record)
        g.staff_keys = keys
    return g.staff_keys


def has_staff_cookie() -> bool:
    """Whether this browser's session claims a staff session (not yet checked on the server)."""
    return isinstance(session.get(_COOKIE_KEY[STAFF]), str)


def holds_any() -> bool:
    """Whether this browser's session claims anything here: a tracking or staff session,
    a sign-in under way, or a new request's code (not yet checked on the server)."""
    contents = session._get_current_object()  # once: each look through the proxy costs
    return any(key in contents for key in _HELD_KEYS)


def _alive_record(kind: str):
    sid = session.get(_COOKIE_KEY[kind])
    if not isinstance(sid, str):
        return None
    record = ServerSession.get_or_none(
        (ServerSession.id_hash == _digest(sid)) & (ServerSession.kind == kind)
    )
    if record is None:
        session.pop(_COOKIE_KEY[kind], None)
    return record


def staff_user() -> User | None:
    """The signed-in staff account, while its session is alive on the server.

    Ends the session after STAFF_IDLE_MINUTES without a request or
    STAFF_ABSOLUTE_HOURS after sign-in, and as soon as the account is inactive.
    """
    if "staff_user" in g:
        return g.staff_user
    record = _alive_record(STAFF)
    user = None
    if record is not None:
        now = utcnow()
        config = current_app.config
        idle = datetime.timedelta(minutes=config["STAFF_IDLE_MINUTES"])
        absolute = datetime.timedelta(hours=config["STAFF_ABSOLUTE_HOURS"])
        candidate = record.user
        if (
            now - record.last_seen_at > idle
            or now - record.created_at > absolute
            or not candidate.active
            # Opened before keys (an upgrade): it holds no key, so it signs in again.
            or record.keys_sealed is None
        ):
            record.delete_instance()
            session.pop(_COOKIE_KEY[STAFF], None)
            # Whose words a post that arrives now carries (portal.access keeps them).
            g.staff_session_ended_for = candidate
        else:
            ServerSession.update(last_seen_at=now).where(ServerSession.id == record.id).execute()
            user = candidate
            g.staff_record = record
    g.staff_user = user
    return user


def pending_user() -> User | None:
    """The account that gave its password and owes its second factor, for a few minutes."""
    record = _alive_record(STAFF_PENDING)
    if record is None:
        return None
    if utcnow() - record.created_at > datetime.timedelta(minutes=PENDING_MINUTES):
        record.delete_instance()
        session.pop(_COOKIE_KEY[STAFF_PENDING], None)
        return None
    return record.user if record.user.active else None


def end(kind: str) -> None:
    """End this browser's session of `kind` on the server and forget it in the cookie."""
    sid = session.pop(_COOKIE_KEY[kind], None)
    if isinstance(sid, str):
        ServerSession.delete().where(ServerSession.id_hash == _digest(sid)).execute()
    g.pop("tracking" if kind == TRACKING else "staff_keys", None)
    g.pop("_reader", None)


def end_all() -> None:
    """End every session this browser holds (tracking, staff, pending), on the server too,
    and forget a code, words or recovery codes held for it."""
    for kind in _COOKIE_KEY:
        end(kind)
    forget_code()
    held.forget()


def _code_context(pending: PendingCode) -> bytes:
    return envelopes.context("pending-code", pending.uid, "browser")


def hold_code(request: Request, code: str) -> None:
    """Keep the new request's code for this browser until it is confirmed, sealed under a
    key from the browser's id: the server keeps only the id's hash, so it cannot open it
    between the browser's visits."""
    forget_code()
    sid = secrets.token_urlsafe(32)
    pending = PendingCode(id_hash=_digest(sid), request=request)
    pending.code_sealed = envelopes.seal_with(
        envelopes.session_key(sid), code.encode(), _code_context(pending)
    )
    pending.save(force_insert=True)
    session[_CODE_KEY] = sid


def held_code():
    """The code held for this browser (a PendingCode: .code, .request) while it is held;
    None after confirmation or expiry."""
    sid = session.get(_CODE_KEY)
    if not isinstance(sid, str):
        return None
    pending = PendingCode.get_or_none(PendingCode.id_hash == _digest(sid))
    if pending is None:
        session.pop(_CODE_KEY, None)
        return None
    if utcnow() - pending.created_at > datetime.timedelta(minutes=CODE_HELD_MINUTES):
        forget_code()
        return None
    try:
        code = envelopes.open_with(
            envelopes.session_key(sid), pending.code_sealed, _code_context(pending)
        )
    except envelopes.Unopenable:  # held by a version that sealed it otherwise
        forget_code()
        return None
    pending.code = code.decode()
    return pending


def forget_code() -> None:
    """Erase the code held for this browser, on the server and in the cookie."""
    sid = session.pop(_CODE_KEY, None)
    if isinstance(sid, str):
        PendingCode.delete().where(PendingCode.id_hash == _digest(sid)).execute()


def forget_expired_codes(now: datetime.datetime | None = None) -> int:
    """Erase codes held longer than CODE_HELD_MINUTES (the worker does it every few minutes)."""
    held_since = (now or utcnow()) - datetime.timedelta(minutes=CODE_HELD_MINUTES)
    return PendingCode.delete().where(PendingCode.created_at < held_since).execute()


def purge_expired() -> int:
    """Delete sessions idle or old past their limits, and codes held too long; how many."""
    config, now = current_app.config, utcnow()
    forget_expired_codes(now)
    idle_tracking = now - datetime.timedelta(minutes=config["TRACKING_IDLE_MINUTES"])
    idle_staff = now - datetime.timedelta(minutes=config["STAFF_IDLE_MINUTES"])
    too_old = now - datetime.timedelta(hours=config["STAFF_ABSOLUTE_HOURS"])
    tracking_too_old = now - datetime.timedelta(minutes=config["TRACKING_ABSOLUTE_MINUTES"])
    kind = ServerSession.kind
    return (
        ServerSession.delete()
        .where(
            ((kind == TRACKING) & (ServerSession.last_seen_at < idle_tracking))
            | ((kind == TRACKING) & (ServerSession.created_at < tracking_too_old))
            | ((kind != TRACKING) & (ServerSession.last_seen_at < idle_staff))
            | ((kind != TRACKING) & (ServerSession.created_at < too_old))
        )
        .execute()
    )
