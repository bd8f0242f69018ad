"""The moves between a request's states, who may make each, and the one function that makes them.

The states themselves, and what each is called, are vocabulary (`portal.vocabulary`).

Every change of state goes through `transition()`: it checks that the actor
may make that move from the request's current state, writes the new state and
its timeline event in one transaction, and refuses to overwrite a change made
meanwhile by someone else.
"""

from collections.abc import Callable

from . import notices
from .db import db
from .models import Request, TimelineEvent, utcnow
from .vocabulary import (
    ACCEPTED,
    ACTIVE,
    APPROVED,
    CHECK_IN_INCIDENT,
    CLOSED_STATES,
    COMPLETED,
    IN_REVIEW,
    NEEDS_INFO,
    OFFERED,
    OPEN_STATES,
    ORGANIZATION,
    REJECTED,
    REJECTION_REASONS,
    REQUESTER,
    STAFF,
    SUBMITTED,
    SYSTEM,
    URGENCIES,
    WITHDRAWN,
)

# (from, to) -> who may make that move.
TRANSITIONS = {
    (SUBMITTED, IN_REVIEW): {STAFF},
    (IN_REVIEW, NEEDS_INFO): {STAFF},
    (NEEDS_INFO, IN_REVIEW): {STAFF, REQUESTER},
    (IN_REVIEW, APPROVED): {STAFF},
    (APPROVED, OFFERED): {STAFF},
    (OFFERED, ACCEPTED): {ORGANIZATION},
    (OFFERED, APPROVED): {ORGANIZATION, STAFF, SYSTEM},
    (ACCEPTED, ACTIVE): {ORGANIZATION},
    (ACTIVE, COMPLETED): {ORGANIZATION, STAFF},
    # Reopened within PORTAL_REOPEN_DAYS (a new threat): a new round of offers.
    (COMPLETED, APPROVED): {STAFF},
    **{(state, REJECTED): {STAFF} for state in OPEN_STATES},
    **{(state, WITHDRAWN): {REQUESTER} for state in OPEN_STATES},
}

# What must happen in the same transaction when a request leaves a state:
# the module that owns the consequence registers it (offers close their open
# offers when a request stops being offered), so this module knows no tables
# but its own.
_ON_LEAVING: dict[str, list[Callable]] = {}


def on_leaving(state: str):
    """Register `hook(request, to_state, now)` to run inside every move out of `state`."""

    def register(hook):
        _ON_LEAVING.setdefault(state, []).append(hook)
        return hook

    return register


# The review queue's order before age (portal.review.queue), stored on each request as
# `queue_rank` so that an index can serve it: requests that need a reviewer again (approved
# ones that organizations declined or let lapse, to be matched again; those whose
# organization missed a check-in or reported an incident) first, then the other open
# requests, then closed ones; within each, by urgency. (Overdue emergencies come before all
# of them: that depends on the clock, and the queue reads it from the state and the time of
# arrival.)
_REMATCH, _OPEN, _CLOSED = 0, 4, 8
_URGENCY_ORDER = {urgency: position for position, urgency in enumerate(URGENCIES)}


def queue_rank(state: str, urgency: str, rematch: bool = False, attention: bool = False) -> int:
    """A request's place in the review queue before its age, lowest first."""
    if state in CLOSED_STATES:
        base = _CLOSED
    elif (state == APPROVED and rematch) or attention:
        base = _REMATCH
    else:
        base = _OPEN
    return base + _URGENCY_ORDER.get(urgency, len(URGENCIES))


# Whether a request going back to `approved` was offered and nobody took it (declined or let
# lapse): registered by the module that knows (portal.offers).
_UNANSWERED: list[Callable] = []


def unanswered_when(check):
    """Register `check(request) -> bool`: some organization declined it or let it lapse."""
    _UNANSWERED.append(check)
    return check


def _rank_in(state: str, request: Request, attention: bool) -> int:
    """The queue rank `request` takes in `state`: in `approved`, first if nobody took it."""
    rematch = state == APPROVED and any(check(request) for check in _UNANSWERED)
    return queue_rank(state, request.urgency, rematch, attention)


class TransitionRefused(Exception):
    """The move is not allowed from this state for this actor."""


class ConcurrentChange(Exception):
    """Someone else changed the request first; reload and decide again."""


def allowed(from_state: str, to_state: str, actor: str) -> bool:
    return actor in TRANSITIONS.get((from_state, to_state), ())


def transition(
    request: Request,
    to_state: str,
    actor: str,
    *,
    user=None,
    reason: str | None = None,
    organization=None,
) -> TimelineEvent:
    """Move `request` to `to_state` on behalf of `actor`, recording it on the timeline."""
    from_state = request.state
    if not allowed(from_state, to_state, actor):
        raise TransitionRefused(f"{actor} may not move {from_state} to {to_state}")
    if (to_state == REJECTED) != (reason in REJECTION_REASONS):
        raise TransitionRefused("a rejection, and only a rejection, needs a known reason")
    now = utcnow()
    changes = {"state": to_state, "version": Request.version + 1, "updated_at": now}
    if to_state in CLOSED_STATES:
        # Nothing more will be said about a closed request: its notice address goes.
        changes["notify_email_sealed"] = None
    with db.atomic():
        changes["queue_rank"] = rank = _rank_in(to_state, request, bool(request.attention))
        changed = (
            Request.update(**changes)
            .where(
                (Request.id == request.id)
                & (Request.state == from_state)
                & (Request.version == request.version)
            )
            .execute()
        )
        if changed != 1:
            raise ConcurrentChange(f"request {request.uid} changed meanwhile")
        for hook in _ON_LEAVING.get(from_state, ()):
            hook(request, to_state, now)
        event = TimelineEvent.create(
            request=request,
            created_at=now,
            actor=actor,
            user=user,
            organization=organization,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
        )
        if actor != REQUESTER:
            # The requester's own moves are no news to them.
            notices.to_requester(request)
    request.state, request.version, request.updated_at = to_state, request.version + 1, now
    request.queue_rank = rank
    if to_state in CLOSED_STATES:
        request.notify_email_sealed = None
    return event


def call_attention(request: Request, why: str) -> bool:
    """Put a request back in front of reviewers, at the top of the queue, for `why` (a missed
    check-in, an incident) until one of them has handled it. Call inside the transaction
    that writes the reason; True when the flag changed."""
    if request.attention == CHECK_IN_INCIDENT:
        why = CHECK_IN_INCIDENT  # a later missed check-in does not hide an incident
    if request.attention == why:
        return False
    rank = queue_rank(request.state, request.urgency, attention=True)
    Request.update(attention=why, queue_rank=rank).where(Request.id == request.id).execute()
    request.attention, request.queue_rank = why, rank
    return True


def attention_handled(request: Request) -> bool:
    """A reviewer has looked at what called for attention: the request takes its usual place
    in the queue again. False if there was nothing to handle, or if it changed meanwhile (a
    new incident is not cleared unseen)."""
    if request.attention is None:
        return False
    rank = _rank_in(request.state, request, attention=False)
    changed = (
        Request.update(attention=None, queue_rank=rank)
        .where((Request.id == request.id) & (Request.attention == request.attention))
        .execute()
    )
    if changed:
        request.attention, request.queue_rank = None, rank
    return bool(changed)
