"""Reviewing requests: the queue, opening one, acting on it, writing, matching, offering.

Every function that shows or changes a request writes the audit trail.
"""

import datetime
import functools
import itertools
import math
import operator
import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN, SQL, fn

from .. import audit, deadlines, directory, handles, matching, notices, offers, workflow
from ..db import Page, as_datetime, db, rows_at
from ..models import (
    InternalNote,
    Message,
    Offer,
    Organization,
    ProgressUpdate,
    ReferenceCounter,
    Request,
    RequestSeen,
    TimelineEvent,
    User,
    utcnow,
)
from ..references import PREFIX
from ..risk import RiskPicture
from ..vocabulary import (
    APPROVED,
    COMPLETED,
    EMERGENCY,
    IN_REVIEW,
    NEEDS_INFO,
    OFFERED,
    REJECTED,
    REJECTION_REASONS,
    REQUESTER,
    STAFF,
    SUBMITTED,
)

PAGE_SIZE = 25

# The "older than" choices of the queue filter, in days.
AGE_CHOICES = (1, 3, 7, 14, 30)


# Staff actions: what each one does to the state, and what it needs.
@dataclass(frozen=True)
class Action:
    key: str
    label: object
    to_state: str
    needs_message: bool = False
    needs_reason: bool = False
    # Two actions lead to "approved": approving and taking offers back.
    from_state: str | None = None
    # How its button looks: "primary" for the usual next step, "danger" for a refusal.
    emphasis: str = ""
    # For an action that cannot be undone: the tick box's words, saying what will
    # happen and who will be told. Without the tick the action is refused.
    confirm: object = None
    # Why it is taken, kept as an internal note: required.
    needs_why: bool = False


ACTIONS = {
    action.key: action
    for action in (
        Action("start_review", _l("Start the review"), IN_REVIEW, emphasis="primary"),
        Action(
            "ask_info",
            _l("Ask the requester for information"),
            NEEDS_INFO,
            needs_message=True,
        ),
        Action(
            "approve",
            _l("Approve"),
            APPROVED,
            from_state=IN_REVIEW,
            emphasis="primary",
            confirm=_l(
                "Yes, approve it. The review ends: you then offer it to organizations. "
                "The requester reads that it was approved."
            ),
        ),
        # When no organization answers: the open offers close and it can be offered again.
        Action(
            "take_back",
            _l("Take the offers back"),
            APPROVED,
            from_state=OFFERED,
            confirm=_l(
                "Yes, take the offers back. No organization can accept it any more, and "
                "their inboxes show the offer closed. You can offer it again."
            ),
        ),
        Action(
            "reject",
            _l("Reject"),
            REJECTED,
            needs_reason=True,
            emphasis="danger",
            confirm=_l(
                "Yes, reject it. The request closes for good. The requester reads the "
                "explanation of the reason, never your note."
            ),
        ),
        # A new threat after the work ended: a new round of offers, the history kept.
        Action(
            "reopen",
            _l("Reopen for a new round of offers"),
            APPROVED,
            from_state=COMPLETED,
            needs_why=True,
            confirm=_l(
                "Yes, reopen it. It goes back to be offered to organizations, with its history. "
                "The requester reads that it is being arranged again."
            ),
        ),
        Action(
            "close",
            _l("Close as completed"),
            COMPLETED,
            emphasis="primary",
            confirm=_l(
                "Yes, close it. The request ends as completed, and the requester reads that "
                "it is completed."
            ),
        ),
    )
}


class ActionRefused(Exception):
    """The action does not fit the request's state, or lacks what it needs.

    `missing` names what was lacking ("message", "reason" or "confirm"), so that the
    page can say it by the field; it is None when the action itself is refused.
    """

    def __init__(self, key: str, missing: str | None = None):
        super().__init__(f"{key}: {missing} required" if missing else key)
        self.key = key
        self.missing = missing


def actions_for(request: Request, now: datetime.datetime | None = None) -> list[Action]:
    """The actions staff may take on a request in its current state, and no others."""
    return [
        action
        for action in ACTIONS.values()
        if workflow.allowed(request.state, action.to_state, STAFF)
        and action.from_state in (None, request.state)
        and (action.key != "reopen" or reopenable_until(request, now) is not None)
    ]


def reopenable_until(request: Request, now: datetime.datetime | None = None):
    """Until when a completed request may be reopened (REOPEN_DAYS after it ended); None when
    it is not completed, or that time has passed."""
    if request.state != COMPLETED:
        return None
    ended = (
        TimelineEvent.select(fn.MAX(TimelineEvent.created_at))
        .where((TimelineEvent.request == request) & (TimelineEvent.to_state == COMPLETED))
        .scalar()
    )
    if ended is None:
        return None
    until = as_datetime(ended) + datetime.timedelta(days=current_app.config["REOPEN_DAYS"])
    return until if (now or utcnow()) < until else None


@dataclass
class QueueFilters:
    state: str = ""
    urgency: str = ""
    region: str = ""
    country: str = ""
    service: str = ""
    older_than_days: int | None = None
    overdue_only: bool = False
    reference: str = ""
    page: int = 1


# The queue's order after overdue emergencies: the stored rank (workflow.queue_rank), then the
# oldest; an index holds the requests in this order.
_ORDER = (Request.queue_rank, Request.created_at, Request.id)
_LATE_ORDER = (Request.created_at, Request.id)


def _late_emergencies(now: datetime.datetime):
    """Emergencies past their response time: the queue shows them before everything else.

    Only open emergencies that nobody has to match again can be late (submitted or in
    review), so they are all of one rank: a range of the queue's index.
    """
    return (
        (Request.queue_rank == workflow.queue_rank(SUBMITTED, EMERGENCY))
        & (Request.urgency == EMERGENCY)
        & deadlines.overdue(now)
    )


def _conditions(filters: QueueFilters, now: datetime.datetime) -> list:
    conditions = []
    for name in ("state", "urgency", "region", "country", "service"):
        value = getattr(filters, name)
        if value:
            conditions.append(getattr(Request, name) == value)
    if filters.older_than_days:
        cutoff = utcnow() - datetime.timedelta(days=filters.older_than_days)
        conditions.append(Request.created_at < cutoff)
    if filters.reference:
        conditions.append(_reference_search(filters.reference))
    if filters.overdue_only:
        conditions.append(deadlines.overdue(now))
    return conditions


# What a reference is made of (AR-2026-0042): anything else typed finds no reference.
_REFERENCE_TEXT = re.compile(r"[A-Z0-9-]+")


def _reference_search(typed: str):
    """The requests a typed reference finds: those whose reference starts with it (AR-2026-00,
    or 2026-0042 without the prefix), those with that number in any year (42, 0042), and
    the request of the offer with that handle (what an organization's members call it).

    Each is a range or a value of an index: never a scan of every reference.
    """
    typed = typed.strip().upper()
    found = []
    if _REFERENCE_TEXT.fullmatch(typed):
        found.append(_starting_with(Request.reference, typed))
        if not typed.startswith(PREFIX):
            found.append(_starting_with(Request.reference, f"{PREFIX}-{typed}"))
        if typed.isdigit():
            years = ReferenceCounter.select(ReferenceCounter.year).tuples()
            numbered = [f"{PREFIX}-{year}-{int(typed):04d}" for (year,) in years]
            found.append(Request.reference.in_(numbered))
    handle = handles.read_handle(typed)
    if handle:
        found.append(Request.id.in_(Offer.select(Offer.request).where(Offer.handle == handle)))
    if not found:
        return Request.id.in_([])  # nothing
    return functools.reduce(operator.or_, found)


def _starting_with(field, prefix: str):
    """`field` starts with `prefix`, as a range of its index: the references compare byte by
    byte (SQLite's default; a "C" collation on PostgreSQL, see migration 0015), and `prefix`
    holds only A-Z, 0-9 and hyphens, so the next character exists."""
    return (field >= prefix) & (field < prefix[:-1] + chr(ord(prefix[-1]) + 1))


def queue(filters: QueueFilters, now: datetime.datetime | None = None):
    """Requests matching the filters: overdue emergencies first, then requests to match
    again, then by urgency, then the oldest (closed requests last)."""
    now = now or utcnow()
    conditions = _conditions(filters, now)
    late = _late_emergencies(now)
    return itertools.chain(
        Request.select().where(late, *conditions).order_by(*_LATE_ORDER),
        Request.select().where(~late, *conditions).order_by(*_ORDER),
    )


def queue_page(filters: QueueFilters, counts: dict[str, int] | None = None, now=None) -> Page:
    """The page `filters.page` of the queue; a page past the end gives the last one.

    `counts` (state_counts()) give the total when no filter but the state is chosen. The
    overdue emergencies are read apart (a few rows of one index range), then the rest in the
    index's order; a page past the middle is read from the end.
    """
    now = now or utcnow()
    conditions = _conditions(filters, now)
    late = _late_emergencies(now)
    total = _total(filters, conditions, counts)
    late_total = Request.select().where(late, *conditions).count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(max(1, filters.page), pages)
    offset = (number - 1) * PAGE_SIZE
    # Both parts are always asked for (one may give nothing): a page runs the same
    # statements whatever it shows.
    late_rows = Request.select().where(late, *conditions).order_by(*_LATE_ORDER)
    items = list(late_rows.limit(PAGE_SIZE).offset(offset))
    rest = Request.select().where(~late, *conditions).order_by(*_ORDER)
    after, wanted = max(0, offset - late_total), PAGE_SIZE - len(items)
    items += rows_at(rest, after, wanted, max(0, total - late_total), ordering=_ORDER)
    return Page(items, total, number, pages)


def _total(filters: QueueFilters, conditions: list, counts: dict[str, int] | None) -> int:
    """How many requests the filters find: from the state counts when only a state is chosen."""
    only_state = not any(
        (
            filters.urgency,
            filters.region,
            filters.country,
            filters.service,
            filters.older_than_days,
            filters.reference,
            filters.overdue_only,
        )
    )
    if counts is not None and only_state:
        return counts.get(filters.state, 0) if filters.state else sum(counts.values())
    return (Request.select().where(*conditions) if conditions else Request.select()).count()


def age_in_days(request: Request, now: datetime.datetime | None = None) -> int:
    """Whole days since the request arrived."""
    return max(0, ((now or utcnow()) - request.created_at).days)


def state_counts() -> dict[str, int]:
    """How many requests are in each state (states without any are absent): COUNT(*), which
    the index on the state alone can answer."""
    rows = Request.select(Request.state, fn.COUNT(SQL("*"))).group_by(Request.state).tuples()
    return dict(rows)


def overdue_count(now: datetime.datetime | None = None) -> int:
    """How many requests are past their response time."""
    return Request.select().where(deadlines.overdue(now)).count()


def find(reference: str) -> Request | None:
    """The request with this reference, without recording a view (to act on it)."""
    return Request.get_or_none(Request.reference == reference)


def open_for_staff(reference: str, user: User) -> Request | None:
    """The request with this reference, its opening recorded; None if there is none.

    What arrived before this moment is no longer new to this reviewer.
    """
    request = find(reference)
    if request is not None:
        with db.atomic():
            audit.record("request.viewed", user=user, reference=request.reference)
            seen(request, user)
    return request


def seen(request: Request, user: User, now: datetime.datetime | None = None) -> None:
    now = now or utcnow()
    (
        RequestSeen.insert(user=user, request=request, seen_at=now)
        .on_conflict(
            conflict_target=[RequestSeen.user, RequestSeen.request],
            update={RequestSeen.seen_at: now},
        )
        .execute()
    )


@dataclass(frozen=True)
class Activity:
    """What the queue shows of a request's life: when something last happened, what is new."""

    last_at: datetime.datetime
    new_answer: bool  # the requester wrote since this reviewer last opened it
    deadline: deadlines.Deadline | None


def activity(requests: list[Request], user: User) -> dict[int, Activity]:
    """For each request on a queue page (by id): its last activity, and what is new to `user`."""
    ids = [request.id for request in requests]
    if not ids:
        return {}

    def latest(model, *condition):
        rows = (
            model.select(model.request, fn.MAX(model.created_at))
            .where(model.request.in_(ids), *condition)
            .group_by(model.request)
            .tuples()
        )
        return {request_id: as_datetime(when) for request_id, when in rows}

    events = latest(TimelineEvent)
    messages = latest(Message)
    from_requester = latest(Message, Message.author == REQUESTER)
    updates = latest(ProgressUpdate)
    seen_at = dict(
        RequestSeen.select(RequestSeen.request, RequestSeen.seen_at)
        .where(RequestSeen.request.in_(ids) & (RequestSeen.user == user))
        .tuples()
    )
    result = {}
    for request in requests:
        times = [request.created_at, request.updated_at]
        times += [found[request.id] for found in (events, messages, updates) if request.id in found]
        answer = from_requester.get(request.id)
        last_seen = seen_at.get(request.id)
        result[request.id] = Activity(
            last_at=max(times),
            new_answer=answer is not None and (last_seen is None or answer > last_seen),
            deadline=deadlines.deadline_of(request),
        )
    return result


def act(
    request: Request,
    user: User,
    key: str,
    *,
    expected_version: int | None,
    message: str = "",
    reason: str = "",
    note: str = "",
    why: str = "",
    confirmed: bool = False,
) -> None:
    """Apply a staff action. Raises ActionRefused, or workflow.ConcurrentChange when
    the request changed since the page was loaded.

    `message` (ask_info) goes to the requester; `note` (reject) stays internal;
    an action that cannot be undone needs `confirmed`.
    """
    action = ACTIONS.get(key)
    if action is None:
        raise ActionRefused(str(key)[:40])
    # Checked before the state: a page loaded before someone else moved the
    # request must say "it changed", not "this is not possible".
    if request.version != expected_version:
        raise workflow.ConcurrentChange(request.reference)
    if action not in actions_for(request):
        raise ActionRefused(key)
    if action.needs_message and not (message or "").strip():
        raise ActionRefused(key, missing="message")
    if action.needs_reason and reason not in REJECTION_REASONS:
        raise ActionRefused(key, missing="reason")
    if action.needs_why and not (why or "").strip():
        raise ActionRefused(key, missing="why")
    if action.confirm and not confirmed:
        raise ActionRefused(key, missing="confirm")
    with db.atomic():
        workflow.transition(
            request,
            action.to_state,
            STAFF,
            user=user,
            reason=reason if action.needs_reason else None,
        )
        if action.needs_message:
            _write_message(request, user, message)
        if action.needs_reason and (note or "").strip():
            add_note(request, user, note)
        if action.needs_why:
            add_note(request, user, why.strip())
        audit.record(
            "request.transition", user=user, reference=request.reference, detail=f"action={key}"
        )


def _write_message(request: Request, user: User, body: str) -> Message:
    message = Message(request=request, author=STAFF, user=user)
    message.body = body
    message.save(force_insert=True)
    return message


def send_message(request: Request, user: User, body: str) -> Message:
    """A message to the requester, read on their tracking page."""
    with db.atomic():
        message = _write_message(request, user, body)
        audit.record("request.message", user=user, reference=request.reference)
        notices.to_requester(request)
    return message


def add_note(request: Request, user: User, body: str) -> InternalNote:
    """A note for staff only."""
    with db.atomic():
        note = InternalNote(request=request, user=user)
        note.body = body
        note.save(force_insert=True)
        audit.record("request.note", user=user, reference=request.reference)
    return note


def correct_risk(request: Request, user: User, picture: RiskPicture, expected_version: int | None):
    """Complete or correct the requester's risk picture (recorded in the audit trail).
    Refused (ConcurrentChange) when the request changed since the page was drawn."""
    now = utcnow()
    kept = request.risk_sealed
    request.risk = picture.stored()  # sealed as the model seals it, bound to this row
    with db.atomic():
        changed = (
            Request.update(
                risk_sealed=request.risk_sealed,
                version=Request.version + 1,
                updated_at=now,
            )
            .where((Request.id == request.id) & (Request.version == expected_version))
            .execute()
        )
        if not changed:
            request.risk_sealed = kept  # the page shown again says what is stored
            raise workflow.ConcurrentChange
        audit.record("request.risk_corrected", user=user, reference=request.reference)
    request.version += 1


def risk_corrections(request: Request) -> list:
    """Who completed or corrected the risk picture, and when: newest first."""
    return audit.of_request(request.reference, ["request.risk_corrected"])[::-1]


# What the request page's timeline tells besides the changes of state: the casework between
# them, as the audit trail words it.
CASEWORK_ACTIONS = (
    "request.risk_corrected",
    "request.sharing_narrowed",
    "check_in.rhythm_set",
    "check_in.incident",
    "check_in.missed",
    "request.attention_handled",
)


@dataclass(frozen=True)
class TimelineItem:
    at: datetime.datetime
    event: TimelineEvent | None = None  # a change of state
    entry: audit.Entry | None = None  # casework, told as a sentence


def timeline(request: Request) -> list[TimelineItem]:
    """The request's changes of state and its casework (risk answers corrected, sharing
    narrowed, check-in alerts and their handling), oldest first."""
    items = [TimelineItem(event.created_at, event=event) for event in staff_timeline(request)]
    told = audit.entries(audit.of_request(request.reference, CASEWORK_ACTIONS))
    items += [TimelineItem(entry.event.created_at, entry=entry) for entry in told]
    return sorted(items, key=lambda item: item.at)  # stable: a change of state first


def staff_timeline(request: Request):
    """The request's timeline with the account and organization behind each step (staff only)."""
    return (
        TimelineEvent.select(TimelineEvent, User, Organization)
        .join(User, JOIN.LEFT_OUTER)
        .switch(TimelineEvent)
        .join(Organization, JOIN.LEFT_OUTER)
        .where(TimelineEvent.request == request)
        .order_by(TimelineEvent.created_at, TimelineEvent.id)
    )


def _written(model, request: Request):
    """What was written about a request (messages, notes), oldest first, with its account."""
    return (
        model.select(model, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(model.request == request)
        .order_by(model.created_at, model.id)
    )


def staff_messages(request: Request):
    """The thread with the requester, with the staff account that wrote each message."""
    return _written(Message, request)


MATCH_STATES = frozenset({IN_REVIEW, APPROVED})
SHOWN_MATCHES = 10
# What matching.candidate_of reads of an organization (in service: not archived).
_RANKED_COLUMNS = (
    Organization.id,
    Organization.key,
    Organization.name,
    Organization.services,
    Organization.countries,
    Organization.regions,
    Organization.languages,
    Organization.capacity,
)


def shows_matches(request: Request) -> bool:
    """Whether the request page ranks organizations: while it is reviewed and once approved."""
    return request.state in MATCH_STATES


def may_offer(request: Request) -> bool:
    """Whether the reviewer may offer the request now (ticking ranked organizations)."""
    return request.state == APPROVED


def matches_for(request: Request) -> list:
    """The organizations this request could go to, best first, with reasons (a few)."""
    if not shows_matches(request):
        return []
    return matching.rank(
        matching.need_of(request),
        _candidates().get(request.service, ()),
        offers.declined_by(request),
        limit=SHOWN_MATCHES,
        engaged=offers.engagements(),
    )


_CANDIDATES = "portal.review.candidates"


def _candidates() -> dict[str, list[matching.Candidate]]:
    """The organizations in service as matching reads them, by service offered.

    Read from the database again only when the organizations change (directory.version():
    at once for a change made by this process, within a second for another's): thousands of
    organizations are not read and parsed again for every request page.
    """
    now = directory.version()
    kept = current_app.extensions.get(_CANDIDATES)
    if kept is None or kept[0] != now:
        by_service: dict[str, list[matching.Candidate]] = {}
        rows = (
            Organization.in_service()
            .select(*_RANKED_COLUMNS)
            .order_by(Organization.id)
            .namedtuples()
        )
        for row in rows:
            candidate = matching.candidate_of(row)
            for service in candidate.services:
                by_service.setdefault(service, []).append(candidate)
        kept = current_app.extensions[_CANDIDATES] = (now, by_service)
    return kept[1]


def offer_to(
    request: Request,
    keys: list[str],
    user: User,
    *,
    expected_version: int,
    summary: str,
    needed: int = 1,
):
    """Offer the request to the organizations with these keys (see offers.offer)."""
    # Archived organizations are never offered a request, whatever a post says.
    chosen = list(Organization.in_service().where(Organization.key.in_(keys))) if keys else []
    return offers.offer(
        request, chosen, user, expected_version=expected_version, summary=summary, needed=needed
    )


def notes(request: Request):
    """The request's internal notes, oldest first."""
    return _written(InternalNote, request)
