"""The audit trail: who did what to which reference, and when.

Only names of actions, references and short non-sensitive details are kept:
never the contents of a request, a message, a code, a password or a token,
and no IP addresses.

The trail page and its CSV export tell each event as a sentence in the page's
language ("reviewer@example.org approved AR-2026-0042"). Accounts, references
and organization names in a sentence come from people: the translated sentence
is escaped first and they are put in escaped (portal.audit.Said), never the
other way round.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from babel.lists import format_list
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from peewee import JOIN

from ..db import Page, counted_page_of
from ..models import AuditEvent, Organization, User
from ..vocabulary import (
    ACTIVE,
    ACTOR_LABELS,
    AUDIT_ACTIONS,
    COMPLETED,
    ROLE_IN_SENTENCE,
    STAFF_LABELS,
    SYSTEM,
)


def record(
    action: str,
    *,
    user: User | None = None,
    reference: str | None = None,
    target_user: User | None = None,
    detail: str = "",
) -> AuditEvent:
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEvent.create(
        user=user, action=action, reference=reference, target_user=target_user, detail=detail[:200]
    )


# --- categories: page views and sign-ins apart, so that actions are not drowned ---------------

ACTIONS, PAGE_VIEWS, SIGN_INS, EVERYTHING = "actions", "page_views", "sign_ins", "all"
CATEGORY_LABELS = {
    ACTIONS: _l("Actions"),
    PAGE_VIEWS: _l("Pages opened"),
    SIGN_INS: _l("Sign-ins and sign-outs"),
    EVERYTHING: _l("Everything"),
}
# Which actions are page views and sign-ins; every other action (one the code no longer
# records included) is an action.
CATEGORY_ACTIONS = {
    PAGE_VIEWS: ("request.viewed", "offer.viewed", "audit.viewed"),
    SIGN_INS: (
        "sign_in.succeeded",
        "sign_in.failed",
        "sign_in.second_factor_failed",
        "sign_in.second_factor_blocked",
        "account.recovery_code_used",
        "sign_out",
    ),
}


def category_of(action: str) -> str:
    return next((name for name, kept in CATEGORY_ACTIONS.items() if action in kept), ACTIONS)


def of_request(reference: str, actions) -> list:
    """One request's events of these actions, oldest first, with their accounts."""
    found = [AuditEvent.reference == reference, AuditEvent.action.in_(list(actions))]
    return list(_with_accounts(found).order_by(AuditEvent.created_at, AuditEvent.id))


def trail(**filters):
    """Audit events, newest first, each with `actor_email`, `actor_organization_id` and
    `target_email`, filtered as `conditions` says."""
    return _with_accounts(conditions(**filters))


def _with_accounts(found: list):
    actor, target = User.alias("actor"), User.alias("target")
    query = (
        AuditEvent.select(
            AuditEvent,
            actor.email.alias("actor_email"),
            actor.organization.alias("actor_organization_id"),
            target.email.alias("target_email"),
        )
        .join_from(AuditEvent, actor, JOIN.LEFT_OUTER, on=(AuditEvent.user == actor.id))
        .join_from(AuditEvent, target, JOIN.LEFT_OUTER, on=(AuditEvent.target_user == target.id))
        .order_by(*TRAIL_ORDER)
        .objects()
    )
    return query.where(*found) if found else query


TRAIL_ORDER = (AuditEvent.created_at.desc(), AuditEvent.id.desc())
# A page of the trail counts its events up to this many, and then only says there are more:
# counting a million events through the whole table on every page would cost more than the
# page itself.
COUNTED_UP_TO = 10_000


def trail_page(number: int, size: int, **filters) -> Page:
    """Page `number` of the trail, filtered; counted up to COUNTED_UP_TO (see db.Page.more)."""
    found = conditions(**filters)
    return counted_page_of(
        _with_accounts(found),
        number,
        size,
        # Counted on the audit table alone: the accounts are needed only for the page's rows.
        count_query=AuditEvent.select().where(*found) if found else AuditEvent.select(),
        up_to=COUNTED_UP_TO,
    )


def conditions(
    action: str | None = None,
    email: str | None = None,
    exact_email: bool = False,
    reference: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    category: str = EVERYTHING,
) -> list:
    """What the trail's filters keep, on the audit table alone (no join to count it).

    `email` matches the account that acted or the account acted on; `since`
    and `until` are days in UTC, both included. A chosen `action` is shown
    whatever the `category`.
    """
    found = []
    if action:
        found.append(AuditEvent.action == action)
    elif category == ACTIONS:
        others = [name for kept in CATEGORY_ACTIONS.values() for name in kept]
        found.append(AuditEvent.action.not_in(others))
    elif category in CATEGORY_ACTIONS:
        found.append(AuditEvent.action.in_(CATEGORY_ACTIONS[category]))
    if email:
        email = email.strip().lower()
        # The accounts first (a small table), then their events by the indexes on both columns.
        matching = User.email == email if exact_email else User.email.contains(email)
        ids = [user_id for (user_id,) in User.select(User.id).where(matching).tuples()]
        found.append(AuditEvent.user.in_(ids) | AuditEvent.target_user.in_(ids))
    if reference:  # peewee escapes % and _ in contains()
        found.append(AuditEvent.reference.contains(reference))
    if since:
        found.append(AuditEvent.created_at >= datetime.datetime.combine(since, datetime.time()))
    if until and until < datetime.date.max:  # the day after 9999-12-31 does not exist
        day_after = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time())
        found.append(AuditEvent.created_at < day_after)
    return found


# --- sentences ------------------------------------------------------------------------------


def N_(msgid: str) -> str:
    """Marks a message for extraction (pybabel knows N_); it is translated when shown."""
    return msgid


def N_plural(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with its plural for extraction (see portal.cli: N_plural:1,2)."""
    return singular, plural


@dataclass(frozen=True)
class Given:
    """Words that come from people (an address, a name, a reference): shown isolated, so that
    right-to-left text or bidi controls in them cannot reorder the sentence around them."""

    text: str
    css_class: str = ""


@dataclass(frozen=True)
class Said:
    """A sentence before it is shown: its message (one or two plural forms) and its values."""

    singular: str
    values: dict
    plural: str | None = None
    num: int | None = None

    def _message(self) -> str:
        # The catalogue's words alone: flask-babel's gettext would substitute the values
        # itself, unescaped. "%%" stays "%%" for the substitution below.
        translations = get_translations()
        if self.plural is None:
            return translations.gettext(self.singular)
        return translations.ngettext(self.singular, self.plural, self.num)

    def parts(self) -> list["Part"]:
        """The sentence in pieces: the catalogue's words and each value, in the order the
        page's language puts them. The template escapes every piece and isolates the words
        that come from people: no markup is ever built from a translation or a value."""
        found = []
        message = self._message()
        position = 0
        for placeholder in _PLACEHOLDER.finditer(message):
            found.append(Part(message[position : placeholder.start()]))
            name = placeholder.group(1)
            if name is None:  # "%%"
                found.append(Part("%"))
            elif name == "num" and self.num is not None:
                found.append(Part(str(self.num)))
            else:
                found += _parts_of(self.values[name])
            position = placeholder.end()
        found.append(Part(message[position:]))
        return [part for part in found if part.text]

    def text(self) -> str:
        """The sentence as plain text (the CSV export): values isolated by FSI … PDI."""
        return "".join(
            f"\u2068{part.text}\u2069" if part.given else part.text for part in self.parts()
        )


# A placeholder of a message ("%(who)s", "%(num)d") or a percent sign written "%%".
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%%")


@dataclass(frozen=True)
class Part:
    """A piece of a sentence; `given` when it comes from people (shown in <bdi>)."""

    text: str
    given: bool = False
    css_class: str = ""


def _parts_of(value) -> list[Part]:
    if isinstance(value, Given):
        return [Part(value.text, True, value.css_class)]
    if isinstance(value, list):  # names, as the language lists them ("A, B and C")
        return _listed(value)
    return [Part(str(value))]


def _listed(items: list) -> list[Part]:
    """Items joined as the page's language joins a list, the joining words from Babel's data."""
    tokens = [f"\x00{index}\x00" for index in range(len(items))]
    joined = format_list(tokens, locale=get_locale() or "en")
    found = []
    for piece in re.split(r"(\x00\d+\x00)", joined):
        if piece in tokens:
            found += _parts_of(items[tokens.index(piece)])
        else:
            found.append(Part(piece))
    return found


@dataclass(frozen=True)
class Entry:
    """One event of the trail as the page and the export show it."""

    event: AuditEvent
    category: str
    said: Said

    @property
    def sentence_parts(self) -> list[Part]:
        return self.said.parts()

    @property
    def sentence_text(self) -> str:
        return self.said.text()


_DETAIL = re.compile(r"([a-z_]+)=(\S*)")


def details(detail: str) -> dict[str, str]:
    """The name=value pairs of an event's detail ("action=approve" → {"action": "approve"})."""
    return dict(_DETAIL.findall(detail or ""))


def _organization_keys(event) -> list[str]:
    """The keys of the organizations an event's detail names."""
    found = details(event.detail)
    if event.action == "request.offered":
        return [key for key in found.get("organizations", "").split(",") if key]
    if event.action == "account.moved":
        return [key for key in (found.get("from"), found.get("to")) if key]
    return [key for key in (found.get("key"), found.get("organization")) if key]


class _Organizations:
    """The names of the organizations a page of events speaks of, read in one query."""

    def __init__(self, events: list):
        keys = {key for event in events for key in _organization_keys(event)}
        ids = {
            event.actor_organization_id
            for event in events
            if event.action.startswith("offer.") and getattr(event, "actor_organization_id", None)
        }
        self.by_key, self.by_id = {}, {}
        if keys or ids:
            for org in Organization.select(
                Organization.id, Organization.key, Organization.name
            ).where(Organization.key.in_(list(keys)) | Organization.id.in_(list(ids))):
                self.by_key[org.key] = self.by_id[org.id] = org.name

    def named(self, key: str) -> Given:
        """An organization by its key: its name, or the key when it is not found."""
        return Given(self.by_key.get(key, key))

    def of_actor(self, event):
        """The organization an offer's event was by: named in its detail, else the one the
        member belongs to now."""
        key = details(event.detail).get("organization")
        if key:
            return self.named(key)
        name = self.by_id.get(getattr(event, "actor_organization_id", None))
        return Given(name) if name else _l("organization unknown")


def entries(events: Iterable) -> list[Entry]:
    """The events as sentences in the page's language (one query for organization names)."""
    events = list(events)
    organizations = _Organizations(events)
    return [
        Entry(event, category_of(event.action), describe(event, organizations)) for event in events
    ]


# What each audit action says. Each function takes the event, its parsed detail, the
# sentence's common values (who, target, reference) and the organizations.

_STAFF_ACTIONS = {
    "start_review": N_("%(who)s started the review of %(reference)s"),
    "ask_info": N_("%(who)s asked the requester of %(reference)s for information"),
    "approve": N_("%(who)s approved %(reference)s"),
    "take_back": N_("%(who)s took the offers for %(reference)s back"),
    "reject": N_("%(who)s rejected %(reference)s"),
    "close": N_("%(who)s closed %(reference)s as completed"),
    "reopen": N_("%(who)s reopened %(reference)s for a new round of offers"),
}
_ORGANIZATION_MOVES = {
    ACTIVE: N_("%(who)s (%(name)s) marked %(reference)s as under way"),
    COMPLETED: N_("%(who)s (%(name)s) marked %(reference)s as completed"),
}
# Sentences whose only values are who, target and reference.
_PLAIN = {
    "account.deactivated": N_("%(who)s deactivated the account of %(target)s"),
    "account.reactivated": N_("%(who)s reactivated the account of %(target)s"),
    "account.reset": N_("%(who)s reset the password and two-step sign-in of %(target)s"),
    "account.totp_enrolled": N_("%(who)s set up two-step sign-in"),
    "account.recovery_code_used": N_("%(who)s used a recovery code to sign in"),
    "account.settings_changed": N_("%(who)s changed their language or notification settings"),
    "sign_in.succeeded": N_("%(who)s signed in"),
    "sign_in.second_factor_failed": N_("Wrong sign-in code for the account of %(target)s"),
    "sign_in.second_factor_blocked": N_(
        "Sign-in to the account of %(target)s stopped after too many wrong codes; "
        "administrators were told"
    ),
    "sign_out": N_("%(who)s signed out"),
    "request.viewed": N_("%(who)s opened the request %(reference)s"),
    "request.message": N_("%(who)s wrote to the requester of %(reference)s"),
    "request.note": N_("%(who)s added an internal note to %(reference)s"),
    "request.risk_corrected": N_("%(who)s added to or corrected the risk answers of %(reference)s"),
    "request.sharing_narrowed": N_(
        "The requester of %(reference)s took back some of what may be shared"
    ),
    "audit.viewed": N_("%(who)s opened the audit trail"),
    "audit.exported": N_("%(who)s exported the audit trail as CSV"),
    "offer.expired": N_("The offers for %(reference)s expired without an answer"),
    "request.overdue": N_("%(reference)s is past its response time: reviewers were told"),
    "request.escalated": N_(
        "%(reference)s is still past its response time: administrators were told"
    ),
    "notice.retried": N_("%(who)s sent a notification that had failed again"),
    "check_in.missed": N_("A check-in on %(reference)s was missed: reviewers were told"),
    "request.attention_handled": N_(
        "%(who)s marked the check-in alert on %(reference)s as handled"
    ),
}
# Sentences of an organization member: who, their organization (name) and the reference.
_BY_ORGANIZATION = {
    "offer.accepted": N_("%(who)s (%(name)s) accepted the offer for %(reference)s"),
    "offer.declined": N_(
        "%(who)s (%(name)s) declined the offer for %(reference)s: the reason is kept with the offer"
    ),
    "offer.viewed": N_("%(who)s (%(name)s) opened the offer for %(reference)s"),
    "offer.progress": N_("%(who)s (%(name)s) sent a progress update on %(reference)s"),
    "offer.message": N_("%(who)s (%(name)s) wrote to the requester of %(reference)s"),
    "check_in.rhythm_set": N_("%(who)s (%(name)s) set how often they check in on %(reference)s"),
    "check_in.recorded": N_("%(who)s (%(name)s) recorded a check-in on %(reference)s"),
    "check_in.incident": N_(
        "%(who)s (%(name)s) reported an incident on %(reference)s: reviewers were told"
    ),
}
# Keys (portal.keychain): the network's sentence, then an organization's.
_KEYS = {
    "keys.granted": (
        N_("%(who)s gave %(target)s access to the network's key"),
        N_("%(who)s gave %(target)s access to the key of %(name)s"),
    ),
    "keys.claimed": (
        N_("%(who)s received the network's key at sign-in"),
        N_("%(who)s received the key of %(name)s at sign-in"),
    ),
    "keys.escrow_granted": (
        N_("The escrow key gave %(target)s the network's key"),
        N_("The escrow key gave %(target)s the key of %(name)s"),
    ),
    "keys.rotated": (
        N_("The network's key was replaced after a member left"),
        N_("The key of %(name)s was replaced after a member left"),
    ),
}
_ORGANIZATION_CHANGES = {
    "organization.created": N_("%(who)s added the organization %(name)s"),
    "organization.updated": N_("%(who)s changed the organization %(name)s"),
    "organization.archived": N_("%(who)s archived the organization %(name)s"),
    "organization.restored": N_("%(who)s restored the organization %(name)s"),
}


def describe(event, organizations: _Organizations | None = None) -> Said:
    """What an event says, in words that the page's language will give.

    Every action has its sentence; an action without one (recorded by an older or newer
    version of the portal) still gets a sentence naming it.
    """
    if organizations is None:
        organizations = _Organizations([event])
    found = details(event.detail)
    actor = getattr(event, "actor_email", None)
    target = getattr(event, "target_email", None)
    common = {
        # Without an account, the portal itself acted (a job, the command line).
        "who": Given(actor) if actor else ACTOR_LABELS[SYSTEM],
        "target": Given(target) if target else _l("an account no longer known"),
        "reference": Given(event.reference, "reference")
        if event.reference
        else _l("a request no longer known"),
    }
    action = event.action

    def said(message, **values):
        wanted = {name: value for name, value in common.items() if f"%({name})s" in message}
        return Said(message, {**wanted, **values})

    if action in _PLAIN:
        return said(_PLAIN[action])
    if action in _BY_ORGANIZATION:
        return said(_BY_ORGANIZATION[action], name=organizations.of_actor(event))
    if action in _ORGANIZATION_CHANGES:
        name = organizations.named(found.get("key", ""))
        taken_back = found.get("offers_taken_back", "0")
        if action == "organization.archived" and taken_back.isdigit() and int(taken_back):
            singular, plural = N_plural(
                "%(who)s archived the organization %(name)s and took back %(num)d open offer",
                "%(who)s archived the organization %(name)s and took back %(num)d open offers",
            )
            return Said(
                singular, {"who": common["who"], "name": name}, plural=plural, num=int(taken_back)
            )
        return said(_ORGANIZATION_CHANGES[action], name=name)
    if action == "account.created":
        role = ROLE_IN_SENTENCE.get(found.get("role"), found.get("role", ""))
        if found.get("organization"):
            return said(
                N_("%(who)s created the account of %(target)s, a member of %(name)s"),
                name=organizations.named(found["organization"]),
            )
        return said(N_("%(who)s created the account of %(target)s (%(role)s)"), role=role)
    if action == "account.password_changed":
        if event.user_id is not None and event.user_id == event.target_user_id:
            return said(N_("%(who)s changed their password"))
        return said(N_("%(who)s changed the password of %(target)s"))
    if action == "account.moved":
        if found.get("from"):
            return said(
                N_("%(who)s moved %(target)s from %(old_name)s to %(name)s"),
                old_name=organizations.named(found["from"]),
                name=organizations.named(found.get("to", "")),
            )
        return said(
            N_("%(who)s moved %(target)s to %(name)s"),
            name=organizations.named(found.get("to", "")),
        )
    if action in _KEYS:
        network, organization = _KEYS[action]
        if found.get("organization"):
            return said(organization, name=organizations.named(found["organization"]))
        return said(network)
    if action == "sign_in.failed":
        if event.target_user_id is None:
            return said(N_("Failed sign-in with an address that has no account"))
        return said(N_("Failed sign-in to the account of %(target)s: wrong password"))
    if action == "request.transition":
        if "organization" in found:
            to_state = found.get("to", "")
            if to_state in _ORGANIZATION_MOVES:
                return said(_ORGANIZATION_MOVES[to_state], name=organizations.of_actor(event))
            return said(
                N_("%(who)s (%(name)s) moved %(reference)s to the state “%(state)s”"),
                name=organizations.of_actor(event),
                state=STAFF_LABELS.get(to_state, to_state),
            )
        message = _STAFF_ACTIONS.get(found.get("action"))
        if message:
            return said(message)
        return said(N_("%(who)s changed the state of %(reference)s"))
    if action == "request.offered":
        names = [organizations.named(key) for key in _organization_keys(event)]
        if names:
            return said(N_("%(who)s offered %(reference)s to %(names)s"), names=names)
        return said(N_("%(who)s offered %(reference)s to organizations"))
    if action == "notice.failed":
        if event.target_user_id is None:
            return said(N_("A notification could not be sent and was given up"))
        return said(N_("A notification to %(target)s could not be sent and was given up"))
    if action == "job.failed":
        return said(
            N_("The background job %(job)s failed (%(error)s)"),
            job=Given(found.get("job", "?")),
            error=Given(found.get("error", "?")),
        )
    # An action this version has no sentence for: name it, as the trail's filter does.
    label = AUDIT_ACTIONS.get(action)
    name = label if label is not None else Given(action)
    if event.reference:
        return said(N_("%(who)s: %(action)s, on %(reference)s"), action=name)
    return said(N_("%(who)s: %(action)s"), action=name)


# --- the CSV export -------------------------------------------------------------------------

CSV_COLUMNS = ("time_utc", "category", "action", "sentence", "actor", "target", "reference")
# Rows read per query: the export never holds the whole trail (it may hold millions).
EXPORT_CHUNK = 500


def _keyset(query) -> Iterator:
    """Every row of a trail query, newest first, read a chunk at a time by (time, id)."""
    last = None
    while True:
        chunk = query
        if last is not None:
            chunk = chunk.where(
                (AuditEvent.created_at < last.created_at)
                | ((AuditEvent.created_at == last.created_at) & (AuditEvent.id < last.id))
            )
        rows = list(chunk.limit(EXPORT_CHUNK))
        yield from rows
        if len(rows) < EXPORT_CHUNK:
            return
        last = rows[-1]


def export_lines(**filters) -> Iterator[str]:
    """The trail as CSV lines, filtered as the page is, each cell defused against formulas.

    Streams: a chunk of events is read, told and written at a time.
    """
    # portal.organizations imports this package: import its function once both are loaded.
    from ..organizations import neutralise

    out = io.StringIO()
    writer = csv.writer(out)

    def line(cells) -> str:
        writer.writerow([neutralise(cell) for cell in cells])
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    yield "\ufeff" + line(CSV_COLUMNS)
    events = _keyset(trail(**filters))
    while True:
        chunk = [event for _, event in zip(range(EXPORT_CHUNK), events, strict=False)]
        if not chunk:
            return
        for entry in entries(chunk):
            event = entry.event
            yield line(
                (
                    event.created_at.isoformat(timespec="seconds") + "Z",
                    entry.category,
                    event.action,
                    entry.sentence_text,
                    event.actor_email or "",
                    event.target_email or "",
                    event.reference or "",
                )
            )
