"""Proposing an approved request to organizations, and their answers.

The first organization to accept gets the request: its acceptance is the
state change offered → accepted, which `workflow.transition` makes only if
nobody changed the request meanwhile, so of two organizations accepting at
the same moment exactly one wins. When every organization has declined, the
request goes back to `approved` for another match. Only the accepting
organization ever sees who the requester is and how to reach them.
"""

from . import audit, workflow
from .db import db
from .models import Offer, Organization, Request, User, utcnow

OPEN, ACCEPTED, DECLINED, CLOSED = "open", "accepted", "declined", "closed"


class OfferRefused(Exception):
    """The offer or answer does not fit the request's or the offer's state."""


class AlreadyTaken(Exception):
    """Another organization accepted first (or the request changed meanwhile)."""


def declined_by(request: Request) -> set[int]:
    """Ids of the organizations that already declined this request."""
    rows = Offer.select(Offer.organization).where(
        (Offer.request == request) & (Offer.state == DECLINED)
    )
    return {row.organization_id for row in rows}


def offer(
    request: Request, organizations: list[Organization], user: User, *, expected_version: int
) -> list[Offer]:
    """Propose an approved request to organizations that offer its service."""
    if request.state != workflow.APPROVED:
        raise OfferRefused("only an approved request can be offered")
    refused = declined_by(request)
    chosen = [
        org
        for org in organizations
        if request.service in org.service_keys and org.id not in refused
    ]
    if not chosen:
        raise OfferRefused("no organization that can take it was chosen")
    if request.version != expected_version:
        raise workflow.ConcurrentChange(request.reference)
    with db.atomic():
        workflow.transition(request, workflow.OFFERED, "staff", user=user)
        made = [
            Offer.create(request=request, organization=org, state=OPEN, offered_by=user)
            for org in chosen
        ]
        audit.record(
            "request.offered",
            user=user,
            reference=request.reference,
            detail="organizations=" + ",".join(org.key for org in chosen),
        )
    return made


def inbox(organization: Organization):
    """The offers an organization can see: open ones and those it accepted."""
    return (
        Offer.select(Offer, Request)
        .join(Request)
        .where((Offer.organization == organization) & Offer.state.in_((OPEN, ACCEPTED)))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
    )


def offer_for(organization: Organization, uid: str) -> Offer | None:
    """The organization's own offer with this uid; None for anyone else's, whatever the uid."""
    return Offer.get_or_none((Offer.uid == uid) & (Offer.organization == organization))


def may_see_contact(organization: Organization, request: Request) -> bool:
    """Only the organization that accepted a request learns who asked and how to reach them."""
    return (
        Offer.select()
        .where(
            (Offer.request == request)
            & (Offer.organization == organization)
            & (Offer.state == ACCEPTED)
        )
        .exists()
    )


def accept(the_offer: Offer, user: User) -> None:
    """Take the request for the offer's organization; AlreadyTaken if another was first."""
    request = Request.get_by_id(the_offer.request_id)
    if the_offer.state != OPEN or request.state != workflow.OFFERED:
        raise AlreadyTaken(request.reference)
    now = utcnow()
    try:
        with db.atomic():
            workflow.transition(
                request,
                workflow.ACCEPTED,
                "organization",
                user=user,
                organization=the_offer.organization,
            )
            taken = (
                Offer.update(state=ACCEPTED, decided_at=now, decided_by=user)
                .where((Offer.id == the_offer.id) & (Offer.state == OPEN))
                .execute()
            )
            if taken != 1:
                raise AlreadyTaken(request.reference)
            (
                Offer.update(state=CLOSED, decided_at=now)
                .where((Offer.request == request) & (Offer.state == OPEN))
                .execute()
            )
            audit.record("offer.accepted", user=user, reference=request.reference)
    except (workflow.ConcurrentChange, workflow.TransitionRefused) as exc:
        raise AlreadyTaken(request.reference) from exc


def decline(the_offer: Offer, user: User, reason: str) -> None:
    """Say no, with a reason; when nobody is left, the request goes back to be matched again."""
    if not reason.strip():
        raise OfferRefused("a reason is needed")
    request = Request.get_by_id(the_offer.request_id)
    with db.atomic():
        the_offer.reason = reason  # sealed to this offer's uid
        changed = (
            Offer.update(
                state=DECLINED,
                decided_at=utcnow(),
                decided_by=user,
                reason_sealed=the_offer.reason_sealed,
            )
            .where((Offer.id == the_offer.id) & (Offer.state == OPEN))
            .execute()
        )
        if changed != 1:
            raise OfferRefused("this offer is no longer open")
        audit.record("offer.declined", user=user, reference=request.reference)
        still_open = (
            Offer.select().where((Offer.request == request) & (Offer.state == OPEN)).exists()
        )
        if not still_open and request.state == workflow.OFFERED:
            workflow.transition(request, workflow.APPROVED, "system")
