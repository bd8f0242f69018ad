"""The states of a request and the one function that moves them.

Every change of state goes through `transition()`: it checks that the actor
may make that move from the request's current state, writes the new state and
its timeline event in one transaction, and refuses to overwrite a change made
meanwhile by someone else.
"""

from flask_babel import lazy_gettext as _l

from .db import db
from .models import Offer, Request, TimelineEvent, utcnow

SUBMITTED = "submitted"
IN_REVIEW = "in_review"
NEEDS_INFO = "needs_info"
APPROVED = "approved"
OFFERED = "offered"
ACCEPTED = "accepted"
ACTIVE = "active"
COMPLETED = "completed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"

CLOSED_STATES = frozenset({COMPLETED, REJECTED, WITHDRAWN})
OPEN_STATES = frozenset({SUBMITTED, IN_REVIEW, NEEDS_INFO, APPROVED, OFFERED, ACCEPTED, ACTIVE})

# (from, to) -> who may make that move.
TRANSITIONS = {
    (SUBMITTED, IN_REVIEW): {"staff"},
    (IN_REVIEW, NEEDS_INFO): {"staff"},
    (NEEDS_INFO, IN_REVIEW): {"staff", "requester"},
    (IN_REVIEW, APPROVED): {"staff"},
    (APPROVED, OFFERED): {"staff"},
    (OFFERED, ACCEPTED): {"organization"},
    (OFFERED, APPROVED): {"organization", "staff", "system"},
    (ACCEPTED, ACTIVE): {"organization"},
    (ACTIVE, COMPLETED): {"organization", "staff"},
    **{(state, REJECTED): {"staff"} for state in OPEN_STATES},
    **{(state, WITHDRAWN): {"requester"} for state in OPEN_STATES},
}

# What the requester reads on the tracking page: plain words, no internals.
PUBLIC_LABELS = {
    SUBMITTED: _l("Received"),
    IN_REVIEW: _l("Being reviewed"),
    NEEDS_INFO: _l("Waiting for your answer"),
    APPROVED: _l("Approved, looking for an organization"),
    OFFERED: _l("Proposed to organizations"),
    ACCEPTED: _l("Accepted by an organization"),
    ACTIVE: _l("Under way"),
    COMPLETED: _l("Completed"),
    REJECTED: _l("Not taken forward"),
    WITHDRAWN: _l("Withdrawn by you"),
}

PUBLIC_EXPLANATIONS = {
    SUBMITTED: _l("Your request has arrived safely. Network staff will read it soon."),
    IN_REVIEW: _l("Network staff are reading your request."),
    NEEDS_INFO: _l("Network staff have a question for you. Please read the messages below."),
    APPROVED: _l("Your request was approved. We are looking for an organization that can help."),
    OFFERED: _l("Your request has been proposed to organizations that work in your region."),
    ACCEPTED: _l("An organization has agreed to take on your request."),
    ACTIVE: _l("The accompaniment or visit is under way."),
    COMPLETED: _l("The accompaniment or visit has ended."),
    REJECTED: _l("The network could not take your request forward."),
    WITHDRAWN: _l("You withdrew this request. Nothing more will be done with it."),
}


# Why a request was not taken forward: the reviewer picks one, the requester
# reads its kind explanation (the reviewer's own words stay internal).
REJECTION_REASONS = {
    "outside_mandate": (
        _l("Outside what the network does"),
        _l(
            "What you asked for is not something the organizations of this network can offer. "
            "This says nothing about the importance of your situation."
        ),
    ),
    "not_enough_information": (
        _l("Not enough information"),
        _l(
            "We could not understand enough of the situation to act. "
            "You are welcome to send a new request with more details."
        ),
    ),
    "no_capacity": (
        _l("No organization can take it on"),
        _l(
            "No organization of the network can take on a request like this at the moment. "
            "We are sorry; you may ask again later."
        ),
    ),
    "duplicate": (
        _l("Duplicate of another request"),
        _l("This request repeats another one the network is already working on."),
    ),
    "other": (
        _l("Another reason"),
        _l("The network could not take this request forward. You may send a new request."),
    ),
}


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
    with db.atomic():
        changed = (
            Request.update(state=to_state, version=Request.version + 1, updated_at=now)
            .where(
                (Request.id == request.id)
                & (Request.state == from_state)
                & (Request.version == request.version)
            )
            .execute()
        )
        if changed != 1:
            raise ConcurrentChange(f"request {request.uid} changed meanwhile")
        if from_state == OFFERED and to_state != ACCEPTED:
            # Taken back, withdrawn or rejected while organizations were deciding:
            # their open offers close, so nobody can accept what is no longer offered.
            # (An acceptance closes the others itself.) The states are offers.OPEN/CLOSED.
            (
                Offer.update(state="closed", decided_at=now)
                .where((Offer.request == request.id) & (Offer.state == "open"))
                .execute()
            )
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
    request.state, request.version, request.updated_at = to_state, request.version + 1, now
    return event
