"""What network staff do with requests: the queue, opening one, acting on it, writing.

Every function that shows or changes a request writes the audit trail.
"""

import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import Case, fn

from . import audit, workflow
from .db import db
from .models import InternalNote, Message, Request, User, utcnow

PAGE_SIZE = 25


# Staff actions: what each one does to the state, and what it needs.
@dataclass(frozen=True)
class Action:
    key: str
    label: object
    to_state: str
    needs_message: bool = False
    needs_reason: bool = False


ACTIONS = {
    action.key: action
    for action in (
        Action("start_review", _l("Start the review"), workflow.IN_REVIEW),
        Action(
            "ask_info",
            _l("Ask the requester for information"),
            workflow.NEEDS_INFO,
            needs_message=True,
        ),
        Action("approve", _l("Approve"), workflow.APPROVED),
        Action("reject", _l("Reject"), workflow.REJECTED, needs_reason=True),
        Action("close", _l("Close as completed"), workflow.COMPLETED),
    )
}


class ActionRefused(Exception):
    """The action does not fit the request's state, or lacks what it needs."""


def actions_for(request: Request) -> list[Action]:
    """The actions staff may take on a request in its current state, and no others."""
    return [
        action
        for action in ACTIONS.values()
        if workflow.allowed(request.state, action.to_state, "staff")
    ]


@dataclass
class QueueFilters:
    state: str = ""
    urgency: str = ""
    region: str = ""
    country: str = ""
    service: str = ""
    older_than_days: int | None = None
    reference: str = ""
    page: int = 1


def queue(filters: QueueFilters):
    """Requests matching the filters: emergencies first, then urgent, then oldest."""
    query = Request.select()
    for name in ("state", "urgency", "region", "country", "service"):
        value = getattr(filters, name)
        if value:
            query = query.where(getattr(Request, name) == value)
    if filters.older_than_days:
        cutoff = utcnow() - datetime.timedelta(days=filters.older_than_days)
        query = query.where(Request.created_at < cutoff)
    if filters.reference:
        query = query.where(Request.reference.contains(filters.reference.strip().upper()))
    urgency_rank = Case(Request.urgency, (("emergency", 0), ("urgent", 1), ("planned", 2)), 3)
    # Closed requests sink below open ones whatever their urgency.
    closed_rank = Case(None, ((Request.state.in_(workflow.CLOSED_STATES), 1),), 0)
    return query.order_by(closed_rank, urgency_rank, Request.created_at, Request.id)


def state_counts() -> dict[str, int]:
    rows = Request.select(Request.state, fn.COUNT(Request.id).alias("n")).group_by(Request.state)
    return {row.state: row.n for row in rows}


def open_for_staff(reference: str, user: User) -> Request | None:
    """The request with this reference, its opening recorded; None if there is none."""
    request = Request.get_or_none(Request.reference == reference)
    if request is not None:
        audit.record("request.viewed", user=user, reference=request.reference)
    return request


def act(
    request: Request,
    user: User,
    key: str,
    *,
    expected_version: int,
    message: str = "",
    reason: str = "",
) -> None:
    """Apply a staff action. Raises ActionRefused, or workflow.ConcurrentChange when
    the request changed since the page was loaded."""
    action = ACTIONS.get(key)
    if action is None or action not in actions_for(request):
        raise ActionRefused(key)
    if action.needs_message and not message.strip():
        raise ActionRefused("message required")
    if action.needs_reason and reason not in workflow.REJECTION_REASONS:
        raise ActionRefused("reason required")
    if request.version != expected_version:
        raise workflow.ConcurrentChange(request.reference)
    with db.atomic():
        workflow.transition(
            request,
            action.to_state,
            "staff",
            user=user,
            reason=reason if action.needs_reason else None,
        )
        if action.needs_message:
            _write_message(request, user, message)
        audit.record(
            "request.transition", user=user, reference=request.reference, detail=f"action={key}"
        )


def _write_message(request: Request, user: User, body: str) -> Message:
    message = Message(request=request, author="staff", user=user)
    message.body = body
    message.save(force_insert=True)
    return message


def send_message(request: Request, user: User, body: str) -> Message:
    """A message to the requester, read on their tracking page."""
    with db.atomic():
        message = _write_message(request, user, body)
        audit.record("request.message", user=user, reference=request.reference)
    return message


def add_note(request: Request, user: User, body: str) -> InternalNote:
    """A note for staff only."""
    with db.atomic():
        note = InternalNote(request=request, user=user)
        note.body = body
        note.save(force_insert=True)
        audit.record("request.note", user=user, reference=request.reference)
    return note


def notes(request: Request):
    return (
        InternalNote.select()
        .where(InternalNote.request == request)
        .order_by(InternalNote.created_at, InternalNote.id)
    )
