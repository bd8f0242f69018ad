"""Keys that people hold: each account's key pair, the groups of readers, and who gave whom
access (issue 16; the primitives are in portal.envelopes, what is sealed to requests' keys
in portal.request_keys).

- **Accounts.** Every staff account has an X25519 key pair. The private half is sealed under
  a key derived from the password, so the server can use it only inside a request of a
  signed-in person, who unlocked it at sign-in (portal.sessions keeps it sealed under the
  session id). A password change seals it again; a **reset** makes a new pair and drops
  every grant, so that whoever reset the password gains nothing until a colleague gives
  access again.
- **Groups.** Readers are groups: the network (reviewers; administrators too only with
  PORTAL_ADMINS_HOLD_NETWORK_KEY) and each organization. A group's private key is wrapped
  to each member (KeyGrant), to the offline escrow (PORTAL_ESCROW_PUBLIC_KEY), and for an
  organization to the network, which reads all that organizations read.
- **Giving access.** A member of a group, or of the network for an organization, wraps the
  group key to a colleague: only to an account whose key is sealed under a password that
  person chose, never under one an administrator generated (`key_chosen`).
- **Leaving.** When a member leaves (deactivated, moved), the group gets a new key pair,
  wrapped at once to the remaining members from their public keys alone; the old pair is
  kept only until a holder's session wraps again what it held, then deleted.
- **Before keys existed** (a migration) or while a group has no holder at all, the group's
  private key is also sealed under the server's keyring (`server_sealed`), so that readers
  of that time take it at their next sign-in. The copy is dropped as soon as each of them
  has; `flask --app portal check` says how many groups still have one.
"""

import base64
import datetime

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError

from . import audit, envelopes, sealing
from .db import db
from .envelopes import KeyPair, PasswordParams, Unopenable
from .models import GroupKey, KeyGrant, Organization, User, utcnow
from .vocabulary import ADMIN, ORG_MEMBER, REVIEWER

NETWORK = "network"
# Argon2id for the key under the password: as the stored password hash (portal.accounts).
# Tests lower it, as they lower the hasher's.
COST = {"time_cost": 3, "memory_cost": 65_536, "parallelism": 4}


class GrantRefused(ValueError):
    """Access that cannot be given; the message is shown to the person."""


# --- groups ---------------------------------------------------------------------------------


def holder_of(user: User) -> str | None:
    """The group whose key `user` should hold: the network, their organization's uid, or
    None (an administrator outside the network, a member without an organization)."""
    if user.role == REVIEWER or (
        user.role == ADMIN and current_app.config["ADMINS_HOLD_NETWORK_KEY"]
    ):
        return NETWORK
    if user.role == ORG_MEMBER and user.organization_id is not None:
        return user.organization.uid
    return None


def members(holder: str):
    """The active accounts that belong to a group."""
    query = User.select().where(User.active)
    if holder == NETWORK:
        roles = [REVIEWER, ADMIN] if current_app.config["ADMINS_HOLD_NETWORK_KEY"] else [REVIEWER]
        return query.where(User.role.in_(roles))
    organization = Organization.get_or_none(Organization.uid == holder)
    if organization is None:
        return query.where(False)
    return query.where((User.role == ORG_MEMBER) & (User.organization == organization))


def current(holder: str) -> GroupKey | None:
    """The group's key in use (its newest generation), if it has one yet."""
    return (
        GroupKey.select()
        .where((GroupKey.holder == holder) & GroupKey.retired_at.is_null())
        .order_by(GroupKey.generation.desc())
        .first()
    )


def _server_context(key: GroupKey) -> str:
    return f"group_key|server_sealed|{key.uid}"


def _group_context(key: GroupKey, user: User) -> bytes:
    return envelopes.context("group", key.uid, user.uid)


def _network_context(key: GroupKey, network: GroupKey) -> bytes:
    return envelopes.context("group-network", key.uid, network.uid)


def _escrow_context(key: GroupKey) -> bytes:
    return envelopes.context("group-escrow", key.uid, "escrow")


def escrow_public() -> bytes | None:
    """The escrow's public key, when the deployment has one (checked at start)."""
    text = current_app.config["ESCROW_PUBLIC_KEY"]
    return decode_key(text) if text else None


def decode_key(text: str) -> bytes:
    """A 32-byte key written in url-safe base64; ValueError otherwise."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (ValueError, TypeError) as exc:
        raise ValueError("not url-safe base64") from exc
    if len(raw) != envelopes.KEY_BYTES:
        raise ValueError("not a 32-byte key")
    return raw


def encode_key(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def init_app(app) -> None:
    """Refuse to start with an escrow public key that is not one."""
    text = app.config["ESCROW_PUBLIC_KEY"]
    if text:
        try:
            decode_key(text)
        except ValueError as exc:
            raise RuntimeError(
                "PORTAL_ESCROW_PUBLIC_KEY must be the public key `flask --app portal keys "
                "escrow-new` printed (32 bytes in url-safe base64)"
            ) from exc


def _wrap_for_others(key: GroupKey, private: bytes) -> None:
    """Set the wraps of a group key that need no person: the escrow's, the network's."""
    escrow = escrow_public()
    key.escrow_wrap = envelopes.wrap(private, escrow, _escrow_context(key)) if escrow else None
    if key.holder != NETWORK:
        network = ensure(NETWORK)
        key.network_wrap = envelopes.wrap(
            private, network.public_key, _network_context(key, network)
        )
        key.network_key = network.uid


def ensure(holder: str) -> GroupKey:
    """The group's key in use, made now if the group has none yet.

    A new key is also sealed under the server's keyring when someone must be able to take
    it without a colleague: for the network, its first member; for an organization, the
    members it has already (accounts from before keys existed).
    """
    key = current(holder)
    if key is not None:
        return key
    pair = KeyPair.generate()
    key = GroupKey(holder=holder, public_key=pair.public, created_at=utcnow())
    _wrap_for_others(key, pair.private)
    if holder == NETWORK or members(holder).exists():
        key.server_sealed = sealing.keyring().seal(encode_key(pair.private), _server_context(key))
    try:
        with db.atomic():
            key.save(force_insert=True)
    except IntegrityError:  # made at the same moment by another request: theirs it is
        return current(holder)
    return key


def settle(key: GroupKey) -> None:
    """Drop the server's copy of a group key once every member from before it holds it."""
    if key.server_sealed is None:
        return
    holding = {grant.user_id for grant in KeyGrant.select().where(KeyGrant.group_key == key)}
    earlier = {user.id for user in members(key.holder).where(User.created_at <= key.created_at)}
    if holding and earlier <= holding:
        GroupKey.update(server_sealed=None).where(GroupKey.id == key.id).execute()
        key.server_sealed = None


# --- an account's own key pair --------------------------------------------------------------


def _seal_person(user: User, private: bytes, password: str, chosen: bool) -> None:
    blob, params = envelopes.seal_private(private, password, user.uid, PasswordParams.new(**COST))
    public = KeyPair.from_private(private).public
    fields = {
        User.public_key: public,
        User.private_key_sealed: blob,
        User.key_params: params.to_text(),
        User.key_chosen: chosen,
    }
    User.update(fields).where(User.id == user.id).execute()
    user.public_key, user.private_key_sealed = public, blob
    user.key_params, user.key_chosen = params.to_text(), chosen


def new_person_keys(user: User, password: str, *, chosen: bool) -> bytes:
    """A new key pair for the account, sealed under `password`; its private half. Any
    access it held is gone: what was wrapped to the old pair no longer opens."""
    KeyGrant.delete().where(KeyGrant.user == user).execute()
    private = KeyPair.generate().private
    _seal_person(user, private, password, chosen)
    return private


def change_password(user: User, private: bytes, password: str, *, chosen: bool) -> None:
    """Seal the account's private key under a new password: the old one opens nothing."""
    _seal_person(user, private, password, chosen)


def unlock(user: User, password: str) -> bytes:
    """The account's private key, opened with the password just checked.

    An account from before keys existed gets its pair now (its password was set by the
    person or the operator before this version: it counts as chosen). A key that does not
    open with the right password (a damaged row) is replaced: its access is lost, not the
    sign-in.
    """
    if user.private_key_sealed is None or user.key_params is None:
        return new_person_keys(user, password, chosen=True)
    try:
        params = PasswordParams.from_text(user.key_params)
        return envelopes.open_private(user.private_key_sealed, password, user.uid, params)
    except Unopenable:
        current_app.logger.warning("keys: the private key of account %s did not open", user.id)
        return new_person_keys(user, password, chosen=user.key_chosen)


# --- opening a group's key ------------------------------------------------------------------


def open_group(key: GroupKey, user: User, private: bytes) -> bytes | None:
    """The group's private key, if `user` (with their private key) holds it: by a grant, or,
    for an organization's key, through the network's."""
    grant = KeyGrant.get_or_none((KeyGrant.group_key == key) & (KeyGrant.user == user))
    if grant is not None:
        try:
            return envelopes.unwrap(grant.wrapped, private, _group_context(key, user))
        except Unopenable:
            return None
    if key.holder != NETWORK and key.network_wrap is not None and holder_of(user) == NETWORK:
        network = GroupKey.get_or_none(GroupKey.uid == key.network_key)
        network_private = open_group(network, user, private) if network else None
        if network_private is not None:
            return envelopes.unwrap(
                key.network_wrap, network_private, _network_context(key, network)
            )
    return None


def open_group_as_escrow(key: GroupKey, escrow_private: bytes) -> bytes | None:
    """The group's private key, opened with the escrow's (None if it was made before the
    escrow was set, and no holder has signed in since to wrap it)."""
    if key.escrow_wrap is None:
        return None
    try:
        return envelopes.unwrap(key.escrow_wrap, escrow_private, _escrow_context(key))
    except Unopenable:
        return None


def session_private() -> bytes | None:
    """The private key of the staff member signed in on this request, if unlocked."""
    if not has_request_context():
        return None
    from . import sessions  # sessions imports models, as this module does

    return sessions.staff_keys().get("person")


def lacks_key(user: User) -> bool:
    """Whether `user` belongs to a group whose key in use they hold no grant of (without
    opening anything: every staff page asks, once per request)."""
    cache = g.setdefault("_lacks_key", {})
    if user.id not in cache:
        holder = holder_of(user)
        key = current(holder) if holder else None
        cache[user.id] = holder is not None and (
            key is None
            or not KeyGrant.select()
            .where((KeyGrant.group_key == key) & (KeyGrant.user == user))
            .exists()
        )
    return cache[user.id]


# --- giving access --------------------------------------------------------------------------


def within_reach(granter: User, user: User) -> bool:
    """Whether `user` is someone `granter` could ever give access to: a colleague of the same
    group; for a network member, any reviewer or organization member too."""
    theirs, mine = holder_of(user), holder_of(granter)
    if theirs is None or mine is None or user.id == granter.id:
        return False
    return theirs == mine or mine == NETWORK


def refusal(granter: User, user: User):
    """Why `granter` may not give `user` access (a translated message), or None."""
    if not within_reach(granter, user):
        return _l("Only a member of the same group, or a reviewer, can give this access.")
    if not user.active:
        return _l("This account is deactivated.")
    if user.public_key is None or not user.key_chosen:
        return _l(
            "This person must first sign in and choose their own password: until then, "
            "whoever set their password could read through their account."
        )
    return None


def waiting(granter: User) -> list[User]:
    """The active colleagues within `granter`'s reach who do not hold their group's key
    (in three queries, however many accounts there are)."""
    if holder_of(granter) is None:
        return []
    query = (
        User.select(User, Organization)
        .join(Organization, JOIN.LEFT_OUTER, on=(User.organization == Organization.id))
        .where(User.active & (User.id != granter.id))
    )
    if holder_of(granter) != NETWORK:
        query = query.where(
            (User.role == ORG_MEMBER) & (User.organization == granter.organization_id)
        )
    in_use = {
        key.holder: key.id
        for key in GroupKey.select(GroupKey.holder, GroupKey.id).where(
            GroupKey.retired_at.is_null()
        )
    }
    held = set(
        KeyGrant.select(KeyGrant.group_key, KeyGrant.user)
        .where(KeyGrant.group_key.in_(list(in_use.values())))
        .tuples()
    )
    return [
        user
        for user in query.order_by(User.email)
        if within_reach(granter, user) and (in_use.get(holder_of(user)), user.id) not in held
    ]


def _detail(holder: str) -> str:
    if holder == NETWORK:
        return "group=network"
    organization = Organization.get_or_none(Organization.uid == holder)
    return f"organization={organization.key}" if organization else "group=organization"


def grant(granter: User, private: bytes, user: User) -> None:
    """Give `user` their group's key, opened with `granter`'s private key; audited."""
    problem = refusal(granter, user)
    if problem is not None:
        raise GrantRefused(problem)
    if private is None:  # a session opened before this version: it holds no key
        raise GrantRefused(_l("Sign out and sign in again: your session does not hold your key."))
    holder = holder_of(user)
    with db.atomic():
        key = ensure(holder)
        if KeyGrant.select().where((KeyGrant.group_key == key) & (KeyGrant.user == user)).exists():
            raise GrantRefused(_l("This person holds the key already."))
        group_private = open_group(key, granter, private)
        if group_private is None:
            raise GrantRefused(_l("You do not hold this key yourself yet."))
        _give(key, group_private, user, by=granter)
        audit.record("keys.granted", user=granter, target_user=user, detail=_detail(holder))
        settle(key)


def _give(key: GroupKey, group_private: bytes, user: User, by: User | None) -> None:
    wrapped = envelopes.wrap(group_private, user.public_key, _group_context(key, user))
    try:
        with db.atomic():
            KeyGrant.create(group_key=key, user=user, wrapped=wrapped, granted_by=by)
    except IntegrityError:  # given by two colleagues at the same moment: once is enough
        pass


def escrow_grant(user: User, escrow_private: bytes) -> None:
    """Give `user` their group's key with the escrow's private key (an emergency: every
    holder lost); audited. The escrow key is used for this call only, never stored."""
    holder = holder_of(user)
    if holder is None:
        raise GrantRefused(_l("This account belongs to no group that holds keys."))
    if user.public_key is None or not user.key_chosen or not user.active:
        raise GrantRefused(_l("This person must first sign in and choose their own password."))
    with db.atomic():
        key = ensure(holder)
        if key.escrow_wrap is None:
            raise GrantRefused(_l("This group's key was never wrapped to the escrow."))
        try:
            group_private = envelopes.unwrap(key.escrow_wrap, escrow_private, _escrow_context(key))
        except Unopenable as exc:
            raise GrantRefused(_l("This is not the escrow's private key.")) from exc
        KeyGrant.delete().where((KeyGrant.group_key == key) & (KeyGrant.user == user)).execute()
        _give(key, group_private, user, by=None)
        audit.record("keys.escrow_granted", target_user=user, detail=_detail(holder))
        settle(key)


# --- at sign-in: taking a key kept for readers of before, tidying what a holder can ---------


def signed_in(user: User, private: bytes | None) -> None:
    """What a completed sign-in (or a password change) does with the keys: take the group's
    key if it was kept for this reader, and do what only a holder can (wrap to the escrow,
    finish a rotation). A key is taken only under a password the person chose, as access
    is given (refusal): never through one an administrator generated."""
    holder = holder_of(user)
    if holder is None or private is None:
        return
    with db.atomic():
        key = ensure(holder)
        has = KeyGrant.select().where((KeyGrant.group_key == key) & (KeyGrant.user == user))
        if key.server_sealed is not None and user.key_chosen and not has.exists():
            first = not KeyGrant.select().where(KeyGrant.group_key == key).exists()
            if first or user.created_at <= key.created_at:
                opened = sealing.keyring().open(key.server_sealed, _server_context(key))
                _give(key, decode_key(opened), user, by=None)
                audit.record("keys.claimed", user=user, target_user=user, detail=_detail(holder))
                settle(key)
    tidy(user, private)


def tidy(user: User, private: bytes) -> None:
    """With a holder's key at hand: wrap to the escrow a key that was made before it was
    set, and finish the rotations of the holder's groups."""
    escrow = escrow_public()
    unwrapped = GroupKey.retired_at.is_null() & GroupKey.escrow_wrap.is_null()
    for key in GroupKey.select().where(unwrapped) if escrow is not None else ():
        group_private = open_group(key, user, private)
        if group_private is not None:
            blob = envelopes.wrap(group_private, escrow, _escrow_context(key))
            GroupKey.update(escrow_wrap=blob).where(GroupKey.id == key.id).execute()
    finish_rotations(user, private)


# --- a member leaves: a new key for the group ------------------------------------------------


def lock(holder: str) -> GroupKey | None:
    """Hold the group's current key row until the transaction ends, then read it again: two
    members leaving at once rotate one after the other (SQLite transactions already queue)."""
    key = current(holder)
    if key is not None:
        GroupKey.update(generation=GroupKey.generation).where(GroupKey.id == key.id).execute()
    return current(holder)


def member_left(user: User, holder: str | None, by: User | None = None) -> None:
    """`user` no longer belongs to `holder`'s group: their grants go, and the group gets a
    new key pair that they never held. Call inside the transaction that removes them."""
    if holder is None:
        return
    old = lock(holder)
    keys = GroupKey.select(GroupKey.id).where(GroupKey.holder == holder)
    KeyGrant.delete().where((KeyGrant.user == user) & KeyGrant.group_key.in_(keys)).execute()
    if old is not None:
        _rotate(old, by)


def _rotate(old: GroupKey, by: User | None) -> GroupKey:
    """A new key pair for the group, wrapped to each remaining holder (from their public
    keys: no one needs to be signed in), the escrow and the network. The old pair is retired
    and kept until a holder wraps again what it holds (finish_rotations)."""
    pair = KeyPair.generate()
    new = GroupKey(
        holder=old.holder,
        generation=old.generation + 1,
        public_key=pair.public,
        # Readers from before keys who have yet to sign in stay readers of the old key's time.
        created_at=old.created_at if old.server_sealed is not None else utcnow(),
    )
    _wrap_for_others(new, pair.private)
    if old.server_sealed is not None:
        new.server_sealed = sealing.keyring().seal(encode_key(pair.private), _server_context(new))
    GroupKey.update(retired_at=utcnow()).where(GroupKey.id == old.id).execute()
    new.save(force_insert=True)
    for grant in (
        KeyGrant.select(KeyGrant, User)
        .join(User, on=(KeyGrant.user == User.id))
        .where(KeyGrant.group_key == old)
    ):
        if grant.user.active and holder_of(grant.user) == old.holder:
            _give(new, pair.private, grant.user, by=grant.granted_by)
    audit.record("keys.rotated", user=by, detail=_detail(old.holder))
    return new


def finish_rotations(user: User, private: bytes) -> int:
    """Wrap again, under each group's new key, what its retired keys held, for every
    retired key `user` can open; then delete those keys. How many were finished."""
    finished = 0
    for old in GroupKey.select().where(GroupKey.retired_at.is_null(False)):
        old_private = open_group(old, user, private)
        if old_private is None:
            continue
        with db.atomic():
            if old.holder == NETWORK:
                # The organizations' keys wrapped to the old network key move to the new one.
                network = current(NETWORK)
                for key in GroupKey.select().where(GroupKey.network_key == old.uid):
                    opened = envelopes.unwrap(
                        key.network_wrap, old_private, _network_context(key, old)
                    )
                    key.network_wrap = envelopes.wrap(
                        opened, network.public_key, _network_context(key, network)
                    )
                    key.network_key = network.uid
                    key.save(only=[GroupKey.network_wrap, GroupKey.network_key])
            from . import request_keys  # which builds on this module

            request_keys.move_envelopes(old, old_private)
            old.delete_instance(recursive=True)
        finished += 1
    return finished


def retired_since(days: int) -> int:
    """Retired keys older than `days` whose rotation no holder has finished (for checks)."""
    limit = utcnow() - datetime.timedelta(days=days)
    return GroupKey.select().where(GroupKey.retired_at < limit).count()


def server_sealed_groups() -> int:
    """Groups whose key the server can still open on its own (readers from before keys
    who have not signed in yet, or a group that no one holds yet)."""
    return GroupKey.select().where(GroupKey.server_sealed.is_null(False)).count()
