"""A request's keys: what is sealed to them, and who opens them (issue 16; the groups and the
accounts' keys are in portal.keychain).

Each request has a key pair per kind of content (`purpose`), made at first need. Content is
sealed to its public half (HPKE), so that writing needs no key holder: a requester's message,
a reviewer's note, a job. Its private half is wrapped to whoever reads that content:

- the groups in READERS (their keys in use; a rotation moves the envelopes, move_envelopes);
- organizations, as the request's offers allow (portal.offers.sharing decides; `share`,
  `release` and `withdraw` do it): some wraps are held back under the server's keyring
  until the organization takes the request;
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

import base64
import contextlib
import contextvars
from dataclasses import dataclass, field

from flask import g, has_request_context
from markupsafe import escape
from peewee import IntegrityError, fn

from . import envelopes, keychain, sealing, tracking
from .db import db
from .envelopes import KeyPair
from .keychain import NETWORK
from .models import MODELS, Envelope, GroupKey, Request, RequestKey, User, utcnow

STAFF_NOTES = "staff"  # internal notes: the network only, never the requester
THREAD = "thread"  # messages between the requester and network staff
FEEDBACK = "feedback"  # the requester's evaluation comment and complaints: for the network
# What the requester wrote in the form, split by who else may come to read it:
BRIEF = "brief"  # town or area, other languages: what an offered organization reads to decide
IDENTITY = "identity"  # name and organization: the accepting organization, from the take
CONTACT = "contact"  # how to reach them: the accepting organization, if the requester allows
WORDS = "words"  # situation and what they ask for, as written: likewise
RISK = "risk"  # the risk picture: the network only
DETAILS = (BRIEF, IDENTITY, CONTACT, WORDS, RISK)
# One of each per organization offered the request ("work-12" for organization 12):
WORK = "work"  # the summary it was offered, its decline reason, updates, check-ins, report
TALK = "talk"  # its contact plan, verification phrase and messages with the requester
# The requester's own key pair, under their code: what is written for them after the form
# (TALK) is wrapped to its public half, since their code is not at hand then.
PERSON = "person"
# Which groups read each kind of purpose, whatever the offers (organizations:
# portal.offers.sharing).
READERS = {kind: (NETWORK,) for kind in (STAFF_NOTES, THREAD, FEEDBACK, *DETAILS, WORK, TALK)}
READERS[PERSON] = ()
# The kinds the requester reads too: with the key their tracking code gives, or with their
# key pair (PERSON).
REQUESTER_PURPOSES = (THREAD, BRIEF, IDENTITY, CONTACT, WORDS, PERSON)
REQUESTER_BY_KEY = (TALK,)

ESCROW, REQUESTER, SERVER = "escrow", "requester", "server"
PERSONAL = "requester-key"  # the holder of a wrap to the requester's key pair


def kind_of(purpose: str) -> str:
    """What a purpose is for, without its organization: "work-12" is WORK."""
    return purpose.partition("-")[0]


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

    kind = kind_of(key.purpose)
    for holder in READERS[kind]:
        # Locked against a rotation of the group at the same moment: the request's key is
        # wrapped to the group's key in use once that rotation is done, never to one the
        # rotation retires after this wrap and before it moves the envelopes.
        group = keychain.lock(holder) or keychain.ensure(holder)
        add(group.uid, envelopes.wrap(private, group.public_key, _context(key, group.uid)))
    # Organizations with the request offered or in hand when the key is made (a migration).
    for organization, holding in (_holdings(key.request_id) if _holdings else {}).items():
        if key.purpose in holding.direct | holding.held_back:
            group = keychain.lock(organization) or keychain.ensure(organization)
            add(group.uid, _to_group(key, private, group, key.purpose not in holding.direct))
    escrow = keychain.escrow_public()
    if escrow is not None:
        add(ESCROW, envelopes.wrap(private, escrow, _context(key, ESCROW)))
    person = _find(key.request_id, PERSON) if kind in REQUESTER_BY_KEY else None
    if kind in REQUESTER_PURPOSES and from_code is not None:
        add(REQUESTER, envelopes.seal_with(from_code, private, _context(key, REQUESTER)))
    elif person is not None:
        add(PERSONAL, envelopes.wrap(private, person.public_key, _context(key, PERSONAL)))
    elif kind in REQUESTER_PURPOSES + REQUESTER_BY_KEY:
        # Neither code nor key pair at hand (a request from before either): kept for the
        # requester under the server's keys until they type their code (at_code).
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
        request_key(request.id, purpose, from_code)
    person = _find(request.id, PERSON)
    kept = (
        Envelope.select(Envelope, RequestKey)
        .join(RequestKey)
        .where((RequestKey.request == request.id) & (Envelope.holder == SERVER))
    )
    for envelope in kept:
        key = envelope.request_key
        private = keychain.decode_key(sealing.keyring().open(envelope.wrapped, _server(key)))
        if kind_of(key.purpose) in REQUESTER_PURPOSES:
            holder = REQUESTER
            wrapped = envelopes.seal_with(from_code, private, _context(key, REQUESTER))
        else:
            holder = PERSONAL
            wrapped = envelopes.wrap(private, person.public_key, _context(key, PERSONAL))
        with db.atomic():
            _put(key, holder, wrapped)
            Envelope.delete().where(Envelope.id == envelope.id).execute()


def seal(request_id: int, purpose: str, text: str, context: str) -> bytes:
    """`text` sealed to the request's key for `purpose` (HPKE), bound to `context`."""
    key = request_key(request_id, purpose)
    return envelopes.wrap(text.encode(), key.public_key, context.encode())


def _keys(reader: Reader, request_id: int) -> dict[str, RequestKey]:
    """The request's keys with their envelopes (`wraps`), loaded once per reader: a request
    page opens several."""
    if ("keys", request_id) not in reader.cache:
        _load(reader, [request_id])
    return reader.cache[("keys", request_id)]


def _load(reader: Reader, request_ids: list[int], purposes=None) -> None:
    loaded = {request_id: {} for request_id in request_ids}
    query = (
        Envelope.select(Envelope, RequestKey)
        .join(RequestKey)
        .where(RequestKey.request.in_(request_ids))
    )
    if purposes is not None:
        query = query.where(RequestKey.purpose.in_(purposes))
    for envelope in query:
        found = envelope.request_key
        key = loaded[found.request_id].setdefault(found.purpose, found)
        key.wraps = getattr(key, "wraps", {})
        key.wraps[envelope.holder] = envelope.wrapped
    for request_id, keys in loaded.items():
        reader.cache[("keys", request_id)] = keys


def preload(request_ids, purposes=None) -> None:
    """Load the keys (of `purposes`, or all) of many requests at once, for a list that shows
    a sealed value of each (an organization's inbox): one query, not one a row. A key left
    out is loaded when asked for."""
    reader = _reader_now()
    wanted = [rid for rid in set(request_ids) if reader and ("keys", rid) not in reader.cache]
    if wanted:
        _load(reader, wanted, purposes)


def _groups(reader: Reader, uids: list[str]) -> list[GroupKey]:
    """The group keys of these uids (those that exist), kept for the reader's next values."""
    known = reader.cache.setdefault("group keys", {})
    missing = [uid for uid in uids if uid not in known]
    if missing:
        known.update(dict.fromkeys(missing))
        for group in GroupKey.select().where(GroupKey.uid.in_(missing)):
            known[group.uid] = group
    return [known[uid] for uid in uids if known[uid] is not None]


def _opened(key: RequestKey, reader: Reader) -> bytes | None:
    wraps = key.wraps
    if reader.kind == ESCROW and ESCROW in wraps:
        return envelopes.unwrap(wraps[ESCROW], reader.secret, _context(key, ESCROW))
    # Without its own wrap (a key made before the escrow was set), the escrow opens it
    # through a group's key, which a holder wraps to the escrow at sign-in (keychain.tidy).
    if reader.kind == REQUESTER:
        if reader.request_id != key.request_id:
            return None
        if PERSONAL in wraps:
            person = private(key.request_id, PERSON)
            if person is None:
                return None
            return envelopes.unwrap(wraps[PERSONAL], person, _context(key, PERSONAL))
        blob = wraps.get(REQUESTER)
        if blob is None:
            return None
        try:
            return envelopes.open_with(reader.secret, blob, _context(key, REQUESTER))
        except envelopes.Unopenable:
            return None
    # A wrap held back for an organization until the take opens for nobody yet (release).
    usable = [
        holder
        for holder, blob in wraps.items()
        if holder not in (ESCROW, REQUESTER, SERVER, PERSONAL)
        and not sealing.is_keyring_sealed(blob)
    ]
    if "holder" not in reader.cache:
        reader.cache["holder"] = keychain.holder_of(reader.user) if reader.user else None
    mine = reader.cache["holder"]
    # An organization's member opens its own group's key only; the network's members open
    # the organizations' keys too (through the network's), their own first.
    groups = [
        group
        for group in _groups(reader, usable)
        if mine in (NETWORK, None) or group.holder == mine
    ]
    for group in sorted(groups, key=lambda group: group.holder != NETWORK):
        name = ("group", group.uid)
        if name not in reader.cache and reader.kind == ESCROW:
            reader.cache[name] = keychain.open_group_as_escrow(group, reader.secret)
        elif name not in reader.cache:
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
        key = _keys(reader, request_id).get(purpose)
        if key is None:  # none when the keys were loaded; perhaps made since
            reader.cache.pop(("keys", request_id))
            key = _keys(reader, request_id).get(purpose)
            if key is None:
                return None
        reader.cache[name] = _opened(key, reader)
    return reader.cache[name]


def readable(request_id: int, purpose: str) -> bool:
    """Whether whoever reads now can open the request's content of `purpose` (true when
    there is none yet: nothing is hidden from them)."""
    return private(request_id, purpose) is not None or _find(request_id, purpose) is None


class _Withheld:
    """What a page shows in place of a value sealed to keys its reader does not hold."""

    def __bool__(self) -> bool:
        return True  # shown, not mistaken for a value left empty

    def __html__(self) -> str:
        from flask_babel import gettext

        text = escape(gettext("Sealed: not readable with the keys you hold"))
        return f'<span class="sealed-value">{text}</span>'

    __str__ = __html__


WITHHELD = _Withheld()


def opened(row, name: str):
    """`row.name`, or WITHHELD when it is sealed to keys whoever reads now does not hold
    (pages show it as such rather than fail)."""
    try:
        return getattr(row, name)
    except Locked:
        return WITHHELD


def open_sealed(request_id: int, purpose: str, blob: bytes, context: str) -> str:
    opened = private(request_id, purpose)
    if opened is None:
        raise Locked(f"request {request_id}: {purpose} is sealed to keys this reader lacks")
    return envelopes.unwrap(blob, opened, context.encode()).decode()


# --- organizations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """What one organization holds of a request's keys, by purpose: `direct`, it opens now;
    `held_back`, wrapped to its key and sealed again under the server's keyring, so that it
    opens them only once the request is in its hands (release), and yet nobody holding the
    request's keys has to be online at that moment."""

    direct: frozenset = frozenset()
    held_back: frozenset = frozenset()


# request id -> {organization uid: Holding}, as its offers stand (set by portal.offers.sharing).
_holdings = None


def holdings_from(function):
    """Register what says which organizations hold which of a request's keys."""
    global _holdings
    _holdings = function
    return function


def _held_context(key: RequestKey, group_uid: str) -> str:
    return f"request_key|held_back|{key.uid}|{group_uid}"


def _to_group(key: RequestKey, private: bytes, group: GroupKey, held_back: bool) -> bytes:
    wrapped = envelopes.wrap(private, group.public_key, _context(key, group.uid))
    if not held_back:
        return wrapped
    text = base64.urlsafe_b64encode(wrapped).decode()
    return sealing.keyring().seal(text, _held_context(key, group.uid))


def _unheld(key: RequestKey, group_uid: str, blob: bytes) -> bytes:
    return base64.urlsafe_b64decode(sealing.keyring().open(blob, _held_context(key, group_uid)))


def _put(key: RequestKey, holder: str, wrapped: bytes) -> None:
    Envelope.insert(request_key=key.id, holder=holder, wrapped=wrapped).on_conflict(
        conflict_target=[Envelope.request_key, Envelope.holder],
        update={Envelope.wrapped: wrapped},
    ).execute()


def share(request_id: int, organization: str, holding: Holding) -> None:
    """Wrap the request's keys to the organization's key (its uid) as `holding` says, by
    someone who opens them (the reviewer who offers); Locked if they do not."""
    group = keychain.lock(organization) or keychain.ensure(organization)
    for key in RequestKey.select().where(RequestKey.request == request_id):
        if key.purpose not in holding.direct | holding.held_back:
            continue
        opened = private(request_id, key.purpose)
        if opened is None:
            raise Locked(f"request {request_id}: {key.purpose} cannot be shared by this reader")
        _put(key, group.uid, _to_group(key, opened, group, key.purpose not in holding.direct))


def _organizations_envelopes(request_id: int):
    """The envelopes of the request's keys wrapped to organizations' keys, each with its
    group key."""
    return (
        Envelope.select(Envelope, RequestKey, GroupKey)
        .join(RequestKey)
        .switch(Envelope)
        .join(GroupKey, on=(Envelope.holder == GroupKey.uid), attr="group")
        .where((RequestKey.request == request_id) & (GroupKey.holder != NETWORK))
    )


def release(request_id: int, organization: str) -> int:
    """The request is in the organization's hands: what was held back for it opens to it
    now. How many keys."""
    released = 0
    for envelope in _organizations_envelopes(request_id).where(GroupKey.holder == organization):
        if sealing.is_keyring_sealed(envelope.wrapped):
            opened = _unheld(envelope.request_key, envelope.holder, envelope.wrapped)
            Envelope.update(wrapped=opened).where(Envelope.id == envelope.id).execute()
            released += 1
    return released


def withdraw(request_id: int, holdings: dict[str, Holding]) -> int:
    """Delete what organizations hold of the request beyond `holdings` (by organization uid):
    an offer that ended, work that ended, sharing the requester narrowed. How many."""
    gone = []
    for envelope in _organizations_envelopes(request_id):
        holding = holdings.get(envelope.group.holder)
        purpose = envelope.request_key.purpose
        allowed = holding.direct if holding else frozenset()
        if holding and sealing.is_keyring_sealed(envelope.wrapped):
            allowed = allowed | holding.held_back
        if purpose not in allowed:
            gone.append(envelope.id)
    if gone:
        Envelope.delete().where(Envelope.id.in_(gone)).execute()
    return len(gone)


# --- a group's key replaced; an upgrade ---------------------------------------------------------


def move_envelopes(old: GroupKey, old_private: bytes) -> None:
    """Wrap again, to the group's key in use, every request key wrapped to `old`."""
    new = keychain.current(old.holder)
    query = Envelope.select(Envelope, RequestKey).join(RequestKey).where(Envelope.holder == old.uid)
    for envelope in query:
        key = envelope.request_key
        held_back = sealing.is_keyring_sealed(envelope.wrapped)
        blob = _unheld(key, old.uid, envelope.wrapped) if held_back else envelope.wrapped
        opened = envelopes.unwrap(blob, old_private, _context(key, old.uid))
        wrapped = _to_group(key, opened, new, held_back)
        with db.atomic():
            Envelope.delete().where(Envelope.id == envelope.id).execute()
            Envelope.insert(
                request_key=key.id, holder=new.uid, wrapped=wrapped
            ).on_conflict_ignore().execute()


def sealed_to_keys(*models) -> list[tuple]:
    """Every (model, field name) sealed to requests' keys (a `Sealed` with a purpose), of
    `models` or of all."""
    return [
        (model, name)
        for model in models or MODELS
        for name in sealing.sealed_fields(model)
        if getattr(model, name).purpose is not None
    ]


def _still_under_keyring(model, name: str):
    prefix = fn.SUBSTR(getattr(model, f"{name}_sealed"), 1, len(sealing.KEYRING_PREFIX))
    return model.select().where(prefix == sealing.KEYRING_PREFIX)


def keyring_sealed(exclude=None) -> int:
    """How many values of fields sealed to requests' keys are still under the server's
    keyring (written before an upgrade, not yet migrated), leaving out model `exclude`."""
    return sum(
        _still_under_keyring(model, name).count()
        for model, name in sealed_to_keys()
        if model is not exclude
    )


def server_sealed_requests() -> int:
    """How many requests have details still sealed under the server's keyring only."""
    names = [name for _, name in sealed_to_keys(Request)]
    found = set()
    for name in names:
        found.update(row.id for row in _still_under_keyring(Request, name).select(Request.id))
    return len(found)


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
