"""Response-time targets: when a request should have had its next step, and who hears when not.

Targets are per urgency (PORTAL_TARGETS): a first look (the review starts)
and a decision (approved or rejected), both counted from arrival. While
staff wait for the requester's answer the clock is theirs, not the
network's: a request waiting for information is never overdue.
"""

import datetime
import re
from dataclasses import dataclass

from flask import current_app
from peewee import Expression

from . import audit, notices
from .db import db
from .models import Request, utcnow
from .vocabulary import IN_REVIEW, OFFERED, SUBMITTED, URGENCIES

FIRST_LOOK, DECISION = "first_look", "decision"
# Which target a request in each state is measured against.
_MEASURED = {SUBMITTED: FIRST_LOOK, IN_REVIEW: DECISION}
_DURATION = re.compile(r"^\s*(\d{1,4})\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class BadSetting(ValueError):
    """A target or expiry setting that does not read."""


def parse_duration(text: str) -> datetime.timedelta:
    """'24h', '3d' or '90m' as a timedelta."""
    found = _DURATION.match(text)
    if not found or int(found[1]) == 0:
        raise BadSetting(f"{text!r} is not a duration such as 24h, 3d or 90m")
    return datetime.timedelta(**{_UNITS[found[2]]: int(found[1])})


def _per_urgency(text: str) -> dict[str, str]:
    values = {}
    for item in text.split(","):
        urgency, _, value = item.partition("=")
        urgency = urgency.strip()
        if urgency not in URGENCIES:
            raise BadSetting(f"{urgency!r} is not an urgency ({', '.join(URGENCIES)})")
        values[urgency] = value
    missing = set(URGENCIES) - set(values)
    if missing:
        raise BadSetting(f"no value for {', '.join(sorted(missing))}")
    return values


@dataclass(frozen=True)
class Target:
    first_look: datetime.timedelta
    decision: datetime.timedelta


def parse_targets(text: str) -> dict[str, Target]:
    """'emergency=24h/72h, urgent=3d/7d, planned=7d/21d' as a Target per urgency."""
    targets = {}
    for urgency, value in _per_urgency(text).items():
        first, slash, decision = value.partition("/")
        if not slash:
            raise BadSetting(f"{urgency}: write the first look and the decision as 24h/72h")
        target = Target(parse_duration(first), parse_duration(decision))
        if target.decision < target.first_look:
            raise BadSetting(f"{urgency}: the decision cannot come before the first look")
        targets[urgency] = target
    return targets


def parse_expiry(text: str) -> dict[str, datetime.timedelta]:
    """'emergency=12h, urgent=2d, planned=3d' as a duration per urgency."""
    return {urgency: parse_duration(value) for urgency, value in _per_urgency(text).items()}


_EXTENSION = "portal.deadlines"


def init_app(app) -> None:
    """Read the targets once, so that a mistyped setting stops the portal at start."""
    try:
        targets = parse_targets(app.config["TARGETS"])
    except BadSetting as exc:
        raise BadSetting(f"PORTAL_TARGETS: {exc}") from None
    try:
        lifetimes = parse_expiry(app.config["OFFER_EXPIRY"])
    except BadSetting as exc:
        raise BadSetting(f"PORTAL_OFFER_EXPIRY: {exc}") from None
    reopen, keep = app.config["REOPEN_DAYS"], app.config["RETENTION_DAYS"]
    if not 0 <= reopen <= keep:
        # A completed request is deleted RETENTION_DAYS after it ended: it cannot be reopened
        # after that. 0 turns reopening off.
        raise BadSetting(f"PORTAL_REOPEN_DAYS must be from 0 to PORTAL_RETENTION_DAYS ({keep})")
    app.extensions[_EXTENSION] = (targets, lifetimes)


def targets() -> dict[str, Target]:
    return current_app.extensions[_EXTENSION][0]


def offer_lifetime(urgency: str) -> datetime.timedelta:
    """How long organizations have to answer an offer of a request this urgent."""
    return current_app.extensions[_EXTENSION][1][urgency]


@dataclass(frozen=True)
class Deadline:
    key: str  # FIRST_LOOK or DECISION
    span: datetime.timedelta  # the target itself
    due_at: datetime.datetime

    def left(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        return self.due_at - (now or utcnow())

    def missed(self, now: datetime.datetime | None = None) -> bool:
        return self.left(now) < datetime.timedelta(0)


def deadline_of(request: Request) -> Deadline | None:
    """The deadline the network is measured against for this request now, if any."""
    key = _MEASURED.get(request.state)
    target = targets().get(request.urgency)
    if key is None or target is None:
        return None
    span = getattr(target, key)
    return Deadline(key, span, request.created_at + span)


def expectation(request: Request) -> tuple[str, datetime.timedelta] | None:
    """What the requester may expect next and the network's target for it, from the same
    settings that mark requests overdue: (FIRST_LOOK, DECISION or OFFERED, how long)."""
    if request.state == OFFERED:
        return OFFERED, offer_lifetime(request.urgency)
    deadline = deadline_of(request)
    return (deadline.key, deadline.span) if deadline else None


def overdue(now: datetime.datetime | None = None) -> Expression:
    """A query condition: the request is past its deadline.

    One clause per state and urgency, each a range of the index on (state, urgency,
    created_at): counting the late requests reads only them.
    """
    now = now or utcnow()
    condition = None
    for urgency, target in targets().items():
        for state, key in _MEASURED.items():
            clause = (
                (Request.state == state)
                & (Request.urgency == urgency)
                & (Request.created_at < now - getattr(target, key))
            )
            condition = clause if condition is None else condition | clause
    return condition


def report_overdue(now: datetime.datetime | None = None) -> int:
    """Tell reviewers once of each missed deadline, and administrators if it stays missed
    for half as long again. Returns how many notices went out (safe to run twice at once)."""
    now = now or utcnow()
    told = 0
    for request in Request.select().where(overdue(now)):
        deadline = deadline_of(request)
        if deadline is None:
            continue
        if request.overdue_for != deadline.key:
            told += _escalate(request, deadline, 1)
        elif request.overdue_level == 1 and now >= deadline.due_at + deadline.span / 2:
            told += _escalate(request, deadline, 2)
    return told


def _escalate(request: Request, deadline: Deadline, level: int) -> int:
    with db.atomic():
        # Conditional on what was read: of two sweeps at once, one tells.
        changed = (
            Request.update(overdue_for=deadline.key, overdue_level=level)
            .where(
                (Request.id == request.id)
                & (Request.overdue_level == request.overdue_level)
                & (
                    Request.overdue_for.is_null()
                    if request.overdue_for is None
                    else Request.overdue_for == request.overdue_for
                )
            )
            .execute()
        )
        if changed != 1:
            return 0
        detail = f"deadline={deadline.key}"
        if level == 1:
            notices.to_reviewers("overdue")
            audit.record("request.overdue", reference=request.reference, detail=detail)
        else:
            notices.to_administrators("escalated")
            audit.record("request.escalated", reference=request.reference, detail=detail)
    return 1
