"""A request's keys: what is sealed to them, and who opens them (issue 16; the groups and the
accounts' keys are in portal.keychain).

Each request has a key pair per kind of content (`purpose`), made at first need. Content is
sealed to its public half (HPKE), so that writing needs no key holder: a requester's message,
a reviewer's note, a job. Its private half is wrapped to whoever reads that content:

- the groups in READERS (their keys in use; a rotation moves the envelopes, move_envelopes);
- the escrow, whose private half is kept offline;
- the requester, for the purposes in REQUESTER_PURPOSES, under a key derived from their
  tracking code (portal.envelopes.code_key): the server never keeps that key, only the
  tracking session does, sealed under its id;
- the server's keyring ("server"), only while a requester from before keys has not typed
  their code since (a migration): their next code takes it and the copy goes.

Reading happens inside a request of someone who holds a key (a staff member's session, a
requester's tracking session), or in a `reading_as` / `reading_with_escrow` block.
portal.sealing's `Sealed(purpose=...)` fields call `seal` and `open_sealed`.

Why key pairs per request rather than the symmetric data keys of the design sketch: with a
public half, anyone may add content (GlobaLeaks' tip keys work so) and no holder needs to be
signed in to write; reading costs one X25519 per value (about 60 µs).
"""

import contextlib
import contextvars
from dataclasses import dataclass, field

from flask import g, has_request_context
from peewee import IntegrityError, fn

from . import envelopes, keychain, sealing, tracking
from .db import db
from .envelopes import KeyPair
from .keychain import NETWORK
from .models import MODELS, Envelope, GroupKey, Request, RequestKey, User, utcnow

STAFF_NOTES = "staff"  # internal notes: the network only, never the requester
THREAD = "thread"  # messages between the requester and network staff
FEEDBACK = "feedback"  # the requester's evaluation comment and complaints: for the network
# Which groups read each purpose.
READERS = {STAFF_NOTES: (NETWORK,), THREAD: (NETWORK,), FEEDBACK: (NETWORK,)}
# The purposes the requester reads too, with the key their tracking code gives.
REQUESTER_PURPOSES = (THREAD,)

ESCROW, REQUESTER, SERVER = "escrow", "requester", "server"


class Locked(Exception):
    """Sealed content read by someone who does not hold its key (or outside any request)."""


# --- who reads now ----------------------------------------------------------------------------


@dataclass
class Reader:
    kind: str  # staff | escrow | requester
    secret: bytes  # a staff member's private key, the escrow's, a requester's code key
    user: User | None = None
    request_id: int | None = None  # a requester reads their own request only
    cache: dict = field(default_factory=dict)


_ambient: contextvars.ContextVar = contextvars.ContextVar("portal_reader", default=None)


@contextlib.contextmanager
def _reading(reader: Reader):
    token = _ambient.set(reader)
    try:
        yield
    finally:
        _ambient.reset(token)


def reading_as(user: User, private: bytes):
    """A block in which sealed content opens as `user`, whose private key is `private`
    (outside a web request: the command line, tests)."""
    return _reading(Reader("staff", private, user=user))


def reading_with_escrow(escrow_private: bytes):
    """A block in which sealed content opens with the escrow's private key (an emergency
    restore from the command line; tests)."""
    return _reading(Reader(ESCROW, escrow_private))


def _reader_now() -> Reader | None:
    ambient = _ambient.get()
    if ambient is not None or not has_request_context():
        return ambient
    if "_reader" not in g:
        g._reader = _session_reader()
    return g._reader


def _session_reader() -> Reader | None:
    from . import sessions  # sessions builds on the models this module uses

    user, private = sessions.staff_user(), keychain.session_private()
    if user is not None and private is not None:
        return Reader("staff", private, user=user)
    tracked = sessions.tracked_request()
    secret = sessions.tracking_keys().get(REQUESTER) if tracked is not None else None
    if secret is not None:
        return Reader(REQUESTER, secret, request_id=tracked.id)
    return None


# --- the keys ---------------------------------------------------------------------------------


def _context(key: RequestKey, holder: str) -> bytes:
    return envelopes.context(f"request-{key.purpose}", key.uid, holder)


def requester_key(code: str, request: Request) -> bytes:
    """The requester's key for `request`, from its tracking code as given or typed."""
    return envelopes.code_key(tracking.normalise(code), request.uid)


def _envelopes_of(key: RequestKey, private: bytes, from_code: bytes | None) -> list[dict]:
    rows = []

    def add(holder, wrapped):
        rows.append({"request_key": key.id, "holder": holder, "wrapped": wrapped})

    for holder in READERS[key.purpose]:
        # Locked against a rotation of the group at the same moment: the request's key is
        # wrapped to the group's key in use once that rotation is done, never to one the
        # rotation retires after this wrap and before it moves the envelopes.
        group = keychain.lock(holder) or keychain.ensure(holder)
        add(group.uid, envelopes.wrap(private, group.public_key, _context(key, group.uid)))
    escrow = keychain.escrow_public()
    if escrow is not None:
        add(ESCROW, envelopes.wrap(private, escrow, _context(key, ESCROW)))
    if key.purpose in REQUESTER_PURPOSES:
        if from_code is not None:
            add(REQUESTER, envelopes.seal_with(from_code, private, _context(key, REQUESTER)))
        else:  # no code at hand (a migration): kept for the requester until they type it
            add(SERVER, sealing.keyring().seal(keychain.encode_key(private), _server(key)))
    return rows


def _server(key: RequestKey) -> str:
    return f"request_key|server|{key.uid}"


def _find(request_id: int, purpose: str) -> RequestKey | None:
    return RequestKey.get_or_none(
        (RequestKey.request == request_id) & (RequestKey.purpose == purpose)
    )


def request_key(request_id: int, purpose: str, from_code: bytes | None = None) -> RequestKey:
    """The request's key pair for `purpose`, made now and wrapped to its readers if it has
    none yet (to the requester with `from_code`, their code's key). Needs no key holder."""
    key = _find(request_id, purpose)
    if key is not None:
        return key
    pair = KeyPair.generate()
    key = RequestKey(
        request=request_id, purpose=purpose, public_key=pair.public, created_at=utcnow()
    )
    try:
        with db.atomic():
            key.save(force_insert=True)
            Envelope.insert_many(_envelopes_of(key, pair.private, from_code)).execute()
    except IntegrityError:  # made at the same moment for another value: theirs
        return _find(request_id, purpose)
    return key


def at_submission(request: Request, code: str) -> None:
    """Make the keys the requester holds while the code is at hand (it is never kept)."""
    from_code = requester_key(code, request)
    for purpose in REQUESTER_PURPOSES:
        request_key(request.id, purpose, from_code)


def at_code(request: Request, from_code: bytes) -> None:
    """The requester typed their code: give them any key of theirs kept for them under the
    server's keys since an upgrade (then drop that copy), or made without them."""
    for purpose in REQUESTER_PURPOSES:
        key = request_key(request.id, purpose, from_code)
        kept = Envelope.get_or_none((Envelope.request_key == key) & (Envelope.holder == SERVER))
        if kept is None:
            continue
        private = keychain.decode_key(sealing.keyring().open(kept.wrapped, _server(key)))
        with db.atomic():
            wrapped = envelopes.seal_with(from_code, private, _context(key, REQUESTER))
            Envelope.insert(request_key=key.id, holder=REQUESTER, wrapped=wrapped).on_conflict(
                conflict_target=[Envelope.request_key, Envelope.holder],
                update={Envelope.wrapped: wrapped},
            ).execute()
            Envelope.delete().where(Envelope.id == kept.id).execute()


def seal(request_id: int, purpose: str, text: str, context: str) -> bytes:
    """`text` sealed to the request's key for `purpose` (HPKE), bound to `context`."""
    key = request_key(request_id, purpose)
    return envelopes.wrap(text.encode(), key.public_key, context.encode())


def _opened(key: RequestKey, reader: Reader) -> bytes | None:
    wraps = {envelope.holder: envelope.wrapped for envelope in key.envelopes}
    if reader.kind == ESCROW:
        blob = wraps.get(ESCROW)
        return envelopes.unwrap(blob, reader.secret, _context(key, ESCROW)) if blob else None
    if reader.kind == REQUESTER:
        blob = wraps.get(REQUESTER)
        if blob is None or reader.request_id != key.request_id:
            return None
        try:
            return envelopes.open_with(reader.secret, blob, _context(key, REQUESTER))
        except envelopes.Unopenable:
            return None
    for group in GroupKey.select().where(GroupKey.uid.in_(list(wraps))):
        name = ("group", group.uid)
        if name not in reader.cache:
            reader.cache[name] = keychain.open_group(group, reader.user, reader.secret)
        if reader.cache[name] is not None:
            return envelopes.unwrap(wraps[group.uid], reader.cache[name], _context(key, group.uid))
    return None


def private(request_id: int, purpose: str) -> bytes | None:
    """The private half of the request's key for `purpose`, if whoever reads now holds it."""
    reader = _reader_now()
    if reader is None:
        return None
    name = ("request", request_id, purpose)
    if name not in reader.cache:
        key = _find(request_id, purpose)
        reader.cache[name] = _opened(key, reader) if key is not None else None
    return reader.cache[name]


def readable(request_id: int, purpose: str) -> bool:
    """Whether whoever reads now can open the request's content of `purpose` (true when
    there is none yet: nothing is hidden from them)."""
    return _find(request_id, purpose) is None or private(request_id, purpose) is not None


def open_sealed(request_id: int, purpose: str, blob: bytes, context: str) -> str:
    opened = private(request_id, purpose)
    if opened is None:
        raise Locked(f"request {request_id}: {purpose} is sealed to keys this reader lacks")
    return envelopes.unwrap(blob, opened, context.encode()).decode()


# --- a group's key replaced; an upgrade ---------------------------------------------------------


def move_envelopes(old: GroupKey, old_private: bytes) -> None:
    """Wrap again, to the group's key in use, every request key wrapped to `old`."""
    new = keychain.current(old.holder)
    query = Envelope.select(Envelope, RequestKey).join(RequestKey).where(Envelope.holder == old.uid)
    for envelope in query:
        key = envelope.request_key
        opened = envelopes.unwrap(envelope.wrapped, old_private, _context(key, old.uid))
        wrapped = envelopes.wrap(opened, new.public_key, _context(key, new.uid))
        with db.atomic():
            Envelope.delete().where(Envelope.id == envelope.id).execute()
            Envelope.insert(
                request_key=key.id, holder=new.uid, wrapped=wrapped
            ).on_conflict_ignore().execute()


def sealed_to_keys() -> list[tuple]:
    """Every (model, field name) sealed to requests' keys (a `Sealed` with a purpose)."""
    return [
        (model, name)
        for model in MODELS
        for name in sealing.sealed_fields(model)
        if getattr(model, name).purpose is not None
    ]


def _still_under_keyring(model, name: str):
    prefix = fn.SUBSTR(getattr(model, f"{name}_sealed"), 1, len(sealing.KEYRING_PREFIX))
    return model.select().where(prefix == sealing.KEYRING_PREFIX)


def keyring_sealed() -> int:
    """How many values of fields sealed to requests' keys are still under the server's
    keyring (written before an upgrade, not yet migrated)."""
    return sum(_still_under_keyring(model, name).count() for model, name in sealed_to_keys())


def kept_for_requesters() -> int:
    """Requests whose requester has not typed their code since an upgrade: their keys are
    kept for them under the server's keys until then."""
    return (
        RequestKey.select(fn.COUNT(fn.DISTINCT(RequestKey.request)))
        .join(Envelope)
        .where(Envelope.holder == SERVER)
        .scalar()
    )


def migrate_sealed() -> dict[str, int]:
    """Seal again to the requests' keys every value still under the keyring that belongs
    there; how many, by model name. Needs no key holder: values are sealed to public keys."""
    moved = {}
    for model, name in sealed_to_keys():
        moved.setdefault(model.__name__, 0)
        for row in _still_under_keyring(model, name):
            with db.atomic():
                setattr(row, name, getattr(row, name))  # opened with the keyring, sealed to keys
                row.save(only=[getattr(model, f"{name}_sealed")])
            moved[model.__name__] += 1
    return moved
