"""Check-ins: while the work is under way, the accepting organization says at an agreed rhythm
how the people it accompanies are, and the network hears at once when it does not.

An organization sets the rhythm (every day, every week…) when it marks the work under way,
and may change it. Each check-in takes a few seconds: all well, a concern, or an incident
(with a sentence, sealed). When a check-in is due and none came, the sweep writes a
"missed" row in the history, tells reviewers once and puts the request at the top of their
queue; an incident does the same at once. A reviewer then marks it handled
(`handle_alert`). Nothing of this reaches the requester, nor any other organization.
"""

import datetime

from . import audit, notices, offers, workflow
from .db import db
from .models import CheckIn, Offer, Organization, Request, User, utcnow
from .vocabulary import (
    ACTIVE,
    CHECK_IN_INCIDENT,
    CHECK_IN_MISSED,
    CHECK_IN_RECORDED,
    CHECK_IN_RHYTHMS,
)


class CheckInRefused(Exception):
    """Not under way, an unknown status or rhythm, or an incident without its sentence."""


def _under_way(the_offer: Offer) -> tuple[Request, Offer]:
    """The offer's request and the offer as they are now, if its organization works on the
    request and its part is under way."""
    request = Request.get_by_id(the_offer.request_id)
    current = Offer.get_or_none(Offer.id == the_offer.id)
    if current is None or not offers.working_on(current, request) or current.started_at is None:
        raise CheckInRefused("check-ins are kept while the work is under way")
    return request, current


def _due(hours: int | None, now: datetime.datetime) -> datetime.datetime | None:
    return now + datetime.timedelta(hours=hours) if hours else None


def set_rhythm(the_offer: Offer, user: User, hours: int | None) -> None:
    """How often the organization checks in (None: no rhythm); the next one is due that long
    from now."""
    if hours is not None and hours not in CHECK_IN_RHYTHMS:
        raise CheckInRefused(f"{hours} hours is not a rhythm the portal offers")
    request, _current = _under_way(the_offer)
    now = utcnow()
    with db.atomic():
        due = _due(hours, now)
        Offer.update(check_in_hours=hours, check_in_due_at=due).where(
            Offer.id == the_offer.id
        ).execute()
        audit.record(
            "check_in.rhythm_set",
            user=user,
            reference=request.reference,
            detail=f"organization={the_offer.organization.key} hours={hours or 'none'}",
        )
    the_offer.check_in_hours, the_offer.check_in_due_at = hours, due


def begin(the_offer: Offer, user: User, *, expected_version: int | None, hours: int | None):
    """Mark the work under way and set its check-in rhythm: both, or neither."""
    with db.atomic():
        offers.start(the_offer, user, expected_version=expected_version)
        set_rhythm(the_offer, user, hours)


def record(the_offer: Offer, user: User, status: str, note: str = "") -> CheckIn:
    """One check-in from the organization; an incident tells reviewers at once."""
    note = (note or "").strip()
    if status not in CHECK_IN_RECORDED:
        raise CheckInRefused(f"unknown check-in {status!r}")
    if status == CHECK_IN_INCIDENT and not note:
        raise CheckInRefused("an incident needs a sentence")
    with db.atomic():
        # Behind the request's row, as every move of it: a check-in and the work's end
        # at the same moment cannot both go through half.
        offers.lock(the_offer.request_id)
        request, current = _under_way(the_offer)
        now = utcnow()
        check_in = CheckIn(
            request=request,
            organization=the_offer.organization_id,
            user=user,
            created_at=now,
            status=status,
        )
        check_in.note = note or None  # sealed to this check-in's uid
        check_in.save(force_insert=True)
        due = _due(current.check_in_hours, now)
        Offer.update(check_in_due_at=due).where(Offer.id == the_offer.id).execute()
        detail = f"organization={the_offer.organization.key} status={status}"
        if status == CHECK_IN_INCIDENT:
            workflow.call_attention(request, CHECK_IN_INCIDENT)
            notices.to_reviewers("check_in_incident")
            audit.record("check_in.incident", user=user, reference=request.reference, detail=detail)
        else:
            audit.record("check_in.recorded", user=user, reference=request.reference, detail=detail)
    return check_in


def report_missed(now: datetime.datetime | None = None) -> int:
    """Tell reviewers once of each check-in that was due and did not come; how many were
    reported. Safe to run twice at once: of two sweeps, one reports."""
    now = now or utcnow()
    late = (
        Offer.select(Offer, Request)
        .join(Request)
        .where(
            Offer.check_in_due_at.is_null(False)
            & (Offer.check_in_due_at <= now)
            & (Offer.working == True)  # noqa: E712
            & (Request.state == ACTIVE)
        )
    )
    reported = 0
    for the_offer in list(late):
        request = the_offer.request
        with db.atomic():
            # The next one is due only once the organization checks in again: one alert.
            taken = (
                Offer.update(check_in_due_at=None)
                .where(
                    (Offer.id == the_offer.id)
                    & (Offer.check_in_due_at == the_offer.check_in_due_at)
                )
                .execute()
            )
            if taken != 1:
                continue
            CheckIn.create(
                request=request,
                organization=the_offer.organization_id,
                created_at=the_offer.check_in_due_at,
                status=CHECK_IN_MISSED,
            )
            workflow.call_attention(request, CHECK_IN_MISSED)
            notices.to_reviewers("check_in_missed")
            audit.record(
                "check_in.missed",
                reference=request.reference,
                detail=f"organization={the_offer.organization.key}",
            )
        reported += 1
    return reported


@workflow.on_leaving(ACTIVE)
def _no_more_due(request: Request, to_state: str, now) -> None:
    """Completed, withdrawn or rejected: no check-in is due any more (the history stays)."""
    Offer.update(check_in_due_at=None).where(
        (Offer.request == request.id) & Offer.check_in_due_at.is_null(False)
    ).execute()


def history(request: Request, organization: Organization | None = None) -> list[CheckIn]:
    """A request's check-ins, newest first, with their organizations; only one organization's
    when it is given (what its own members see)."""
    query = (
        CheckIn.select(CheckIn, Organization)
        .join(Organization)
        .where(CheckIn.request == request)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
    )
    if organization is not None:
        query = query.where(CheckIn.organization == organization)
    return list(query)


def newest_uid(request: Request) -> str:
    """The newest check-in's uid ("" when none): a reviewer handles an alert as it was shown."""
    newest = (
        CheckIn.select(CheckIn.uid)
        .where(CheckIn.request == request)
        .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())
        .first()
    )
    return newest.uid if newest else ""


def handle_alert(request: Request, user: User, seen_up_to: str) -> bool:
    """A reviewer has looked at a missed check-in or an incident, having seen the history up to
    the check-in `seen_up_to`; False if there was nothing to handle, another reviewer
    handled it first, or a check-in came since (it is not cleared unseen)."""
    with db.atomic():
        offers.lock(request.id)
        request = Request.get_by_id(request.id)
        why = request.attention
        if why is None or newest_uid(request) != seen_up_to:
            return False
        if not workflow.attention_handled(request):
            return False
        audit.record(
            "request.attention_handled",
            user=user,
            reference=request.reference,
            detail=f"attention={why}",
        )
    return True
