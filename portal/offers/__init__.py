"""Offers: an approved request proposed to organizations, and their whole life.

A request needs one organization, or more (`Request.needed`: accompaniment by
one, a monitoring visit by another), each doing its own part. Acceptances queue
behind the request's row: the one that meets the need is the state change
offered → accepted and closes the offers still open, so of organizations
accepting at the same moment exactly as many as needed get it. An acceptance
before the need is met is a pledge: the organization sees who asked only once
the request is taken. Each organization then marks its own part under way and
completed; the request is under way from the first part, completed with the last.

When every organization has declined, the request goes back to `approved` for
another match; when it stops being offered in any other way (taken back,
withdrawn, rejected), the offers still open close. Only the accepting
organizations ever see who the requester is and how to reach them.

Pages never compare state strings: they read `standing()` and the
functions below. Members know an offer by its handle (portal.handles), never by
the request's reference, whose number would tell them how many requests the
network receives.
"""

import datetime
from dataclasses import dataclass

from peewee import SQL, fn

from .. import audit, deadlines, handles, notices, phrases, request_keys, vocabulary, workflow
from ..db import Page, db, page_of
from ..models import (
    ClosingReport,
    Offer,
    Organization,
    OrganizationMessage,
    ProgressUpdate,
    Request,
    TimelineEvent,
    User,
    utcnow,
)
from ..vocabulary import (
    ACCEPTED,
    ACTIVE,
    APPROVED,
    CLOSED_STATES,
    COMPLETED,
    OFFER_ACCEPTED,
    OFFER_CLOSED,
    OFFER_DECLINED,
    OFFER_EXPIRED,
    OFFER_OPEN,
    OFFERED,
)
from . import sharing

_URGENCY_RANK = {urgency: rank for rank, urgency in enumerate(vocabulary.URGENCIES)}

# While the organization works on a request: it may write updates and, only
# then, read the requester's name and contact details.
ENGAGED_STATES = (ACCEPTED, ACTIVE)
# A request in one of these was taken by the organization whose offer was accepted.
TAKEN_STATES = (ACCEPTED, ACTIVE, COMPLETED)
# The inbox's history shows this many offers a page.
HISTORY_PER_PAGE = 20
# The organization's next move while it works on its part, by whether it has started it: mark
# it under way, then completed.
NEXT_MOVES = {False: "start", True: "complete"}
# At most this many organizations for one request.
MOST_NEEDED = 5


@workflow.on_leaving(OFFERED)
def _close_open_offers(request: Request, to_state: str, now) -> None:
    """Taken back, withdrawn or rejected while organizations were deciding: their open
    offers close, so nobody can accept what is no longer offered. (An acceptance
    closes the others itself, once its own offer is marked accepted.) Pledges of
    organizations that accepted before the need was met are kept for the next round,
    unless the request closes."""
    if to_state != ACCEPTED:
        _close_still_open(request, now)
        sharing.settle(request)
    if to_state in CLOSED_STATES:
        _end_engagements(request)


@workflow.on_leaving(ACCEPTED)
@workflow.on_leaving(ACTIVE)
def _engagement_ends(request: Request, to_state: str, now) -> None:
    """Completed, withdrawn or rejected while an organization worked on it: its offer stays
    accepted, and stops counting among the organization's engagements under way."""
    if to_state not in ENGAGED_STATES:
        _end_engagements(request)


def _end_engagements(request: Request) -> None:
    """Every organization that works on (or pledged) the request stops: its offer stays
    accepted, and no longer counts among its engagements under way."""
    (
        Offer.update(working=False)
        .where((Offer.request == request.id) & (Offer.working == True))  # noqa: E712
        .execute()
    )
    sharing.settle(request)


@workflow.unanswered_when
def _declined_or_lapsed(request: Request) -> bool:
    """Some organization declined the request or let its offer lapse: it is matched again
    first (see workflow.queue_rank)."""
    return (
        Offer.select()
        .where((Offer.request == request.id) & Offer.state.in_((OFFER_DECLINED, OFFER_EXPIRED)))
        .exists()
    )


def _close_still_open(request: Request, now) -> None:
    (
        Offer.update(state=OFFER_CLOSED, decided_at=now)
        .where((Offer.request == request.id) & (Offer.state == OFFER_OPEN))
        .execute()
    )


class OfferRefused(Exception):
    """The offer or answer does not fit the request's or the offer's state."""


class KeysMissing(OfferRefused):
    """Offered by a reviewer who does not hold the request's keys, and so cannot pass them on
    to the organizations."""


class AlreadyTaken(Exception):
    """Another organization accepted first (or the request changed meanwhile)."""


def _this_round(request: Request):
    """The offers made since the request was last reopened (all of them if it never was)."""
    condition = Offer.request == request
    reopened = (
        TimelineEvent.select(fn.MAX(TimelineEvent.created_at))
        .where(
            (TimelineEvent.request == request)
            & (TimelineEvent.from_state == COMPLETED)
            & (TimelineEvent.to_state == APPROVED)
        )
        .scalar()
    )
    return condition if reopened is None else condition & (Offer.created_at >= reopened)


def declined_by(request: Request) -> set[int]:
    """Ids of the organizations that already declined this request, since it was last reopened
    (a new threat is a new question for them)."""
    condition = _this_round(request) & (Offer.state == OFFER_DECLINED)
    return {row.organization_id for row in Offer.select(Offer.organization).where(condition)}


def pledged(request: Request) -> set[int]:
    """Ids of the organizations that accepted and still stand by it (while the request waits
    for more, or is taken)."""
    rows = Offer.select(Offer.organization).where(
        (Offer.request == request) & (Offer.working == True)  # noqa: E712
    )
    return {row.organization_id for row in rows}


def offer(
    request: Request,
    organizations: list[Organization],
    user: User,
    *,
    expected_version: int,
    summary: str,
    needed: int = 1,
) -> list[Offer]:
    """Propose an approved request to organizations that offer its service; `needed` of them
    must accept (counting those that accepted in an earlier round and stand by it).

    `summary` is what the organizations read about the situation: the
    reviewer's words, free of names and contact details.
    """
    if request.state != APPROVED:
        raise OfferRefused("only an approved request can be offered")
    if not summary.strip():
        raise OfferRefused("organizations need a summary to decide")
    refused, standing_by = declined_by(request), pledged(request)
    chosen = [
        org
        for org in organizations
        if request.service in org.service_keys and org.id not in refused | standing_by
    ]
    if not chosen:
        raise OfferRefused("no organization that can take it was chosen")
    if not len(standing_by) < needed <= min(MOST_NEEDED, len(standing_by) + len(chosen)):
        raise OfferRefused("more organizations needed than offered, or none")
    if request.version != expected_version:
        raise workflow.ConcurrentChange(request.reference)
    try:
        return _offer_to(request, chosen, user, summary=summary, needed=needed)
    except request_keys.Locked as exc:
        raise KeysMissing(request.reference) from exc


def _offer_to(
    request: Request, chosen: list[Organization], user: User, *, summary: str, needed: int
) -> list[Offer]:
    with db.atomic():
        Request.update(needed=needed).where(Request.id == request.id).execute()
        request.needed = needed
        event = workflow.transition(request, OFFERED, vocabulary.STAFF, user=user)
        expires_at = event.created_at + deadlines.offer_lifetime(request.urgency)
        made = []
        for org in chosen:
            the_offer = Offer(
                handle=_unused_handle(),
                request=request,
                organization=org,
                state=OFFER_OPEN,
                offered_by=user,
                created_at=event.created_at,
                expires_at=expires_at,
            )
            the_offer.summary = summary  # sealed to this offer's uid
            the_offer.save(force_insert=True)
            made.append(the_offer)
            notices.to_members("new_offer", org)
        sharing.offered(request, chosen)
        audit.record(
            "request.offered",
            user=user,
            reference=request.reference,
            detail="organizations="
            + ",".join(org.key for org in chosen)
            + (f" needed={needed}" if needed > 1 else ""),
        )
    return made


def _unused_handle() -> str:
    """A new handle that no offer has yet: a repeat would fail the unique index, and the whole
    offer with it (rare with 40 random bits, but not impossible over years of offers)."""
    while True:
        handle = handles.new_handle()
        if not Offer.select().where(Offer.handle == handle).exists():
            return handle


def inbox(organization: Organization) -> tuple[list[Offer], list[Offer]]:
    """What an organization's members act on: offers awaiting an answer, and the requests it
    works on now (accepted or under way), each with its request: a query each, whose rows
    an index finds however many offers the organization had before.

    Everything else (declined, lapsed, closed, taken by another, ended) is in `history`.
    """

    def offers_with_requests(condition):
        # Sorted here, not by the database: an ORDER BY could tempt it to walk every offer
        # the organization ever had, newest first, for the few that match.
        return list(
            Offer.select(Offer, Request)
            .join(Request)
            .where((Offer.organization == organization) & condition)
        )

    # Waiting: emergencies first, then the offer that has waited longest.
    waiting = sorted(
        offers_with_requests(Offer.state == OFFER_OPEN),
        key=lambda row: (_URGENCY_RANK.get(row.request.urgency, 3), row.created_at, row.id),
    )
    # Taken on: the newest first.
    taken = sorted(
        offers_with_requests(Offer.working == True),  # noqa: E712
        key=lambda row: (row.created_at, row.id),
        reverse=True,
    )
    return waiting, taken


@dataclass(frozen=True)
class PastOffer:
    """An offer in the inbox's history, and how it ended for its organization."""

    offer: Offer
    outcome: str  # declined, taken_by_another, expired, withdrawn, completed or ended

    # What the inbox says of it, asked by name (templates compare no raw states).
    declined = property(lambda self: self.outcome == "declined")
    taken_by_another = property(lambda self: self.outcome == "taken_by_another")
    expired = property(lambda self: self.outcome == "expired")
    completed = property(lambda self: self.outcome == COMPLETED)


def outcome(the_offer: Offer, request: Request) -> str | None:
    """How an offer ended for its organization, read from `standing`; None while it runs."""
    now = standing(the_offer, request)
    if now.accepted:
        if now.working or now.pledged:
            return None
        # Its own part ended while others go on: only a completion ends one part alone.
        part_done = request.state == ACTIVE and the_offer.started_at is not None
        if request.state == COMPLETED or part_done:
            return COMPLETED
        return "ended"  # withdrawn, rejected, or reopened since
    for name in ("declined", "taken_by_another", "expired", "withdrawn"):
        if getattr(now, name):
            return name
    return None  # waiting


def history(organization: Organization, number: int, size: int = HISTORY_PER_PAGE) -> Page:
    """Page `number` of the offers that no longer need the organization, the most recently
    offered first, each a PastOffer: declined, lapsed, closed, taken by another, and the
    requests it took on that have ended. One query for the page (and one to count)."""
    past = (Offer.organization == organization) & (
        Offer.state.in_((OFFER_DECLINED, OFFER_EXPIRED, OFFER_CLOSED))
        | ((Offer.state == OFFER_ACCEPTED) & (Offer.working == False))  # noqa: E712
    )
    ordering = (Offer.created_at.desc(), Offer.id.desc())
    query = Offer.select(Offer, Request).join(Request).where(past).order_by(*ordering)
    # Counted from an index alone: the requests are needed only for the page's rows.
    page = page_of(query, number, size, count_query=Offer.select().where(past), ordering=ordering)
    page.items = [PastOffer(row, outcome(row, row.request)) for row in page.items]
    return page


def offer_for(organization: Organization, handle: str) -> Offer | None:
    """The organization's own offer with this handle; None for anyone else's, and for
    anything not shaped like a handle (a reference, a uid, garbage), which is never looked up."""
    if not handles.is_handle(handle):
        return None
    return Offer.get_or_none((Offer.handle == handle) & (Offer.organization == organization))


def in_hand(request: Request) -> bool:
    """True while some organization works on the request (accepted or under way)."""
    return request.state in ENGAGED_STATES


def may_see_contact(organization: Organization, request: Request) -> bool:
    """Only the organization that accepted a request learns who asked and how to reach them,
    and only while it works on it: not before, and not once it has ended."""
    return (
        in_hand(request)
        and Offer.select()
        .where(
            (Offer.request == request)
            & (Offer.organization == organization)
            & (Offer.state == OFFER_ACCEPTED)
            & (Offer.working == True)  # noqa: E712 - not an engagement ended before a reopening
        )
        .exists()
    )


def engagements() -> dict[int, int]:
    """How many requests each organization is working on now (accepted or under way)."""
    rows = (
        Offer.select(Offer.organization, fn.COUNT(SQL("*")).alias("count"))
        .where(Offer.working == True)  # noqa: E712
        .group_by(Offer.organization)
        .tuples()
    )
    return dict(rows)


def accept(the_offer: Offer, user: User, contact_plan: str = "") -> bool:
    """Accept for the offer's organization; AlreadyTaken if the need was met first (or the
    request changed). True when this acceptance met the need and the request is taken;
    False for a pledge while more organizations are needed.

    `contact_plan` says how and roughly when the organization will make contact; a
    verification phrase is drawn for that first contact (see portal.phrases).
    """
    request = Request.get_by_id(the_offer.request_id)
    if the_offer.state != OFFER_OPEN or request.state != OFFERED:
        raise AlreadyTaken(request.reference)
    now = utcnow()
    # Sealed to this offer's uid; stored only if the acceptance goes through.
    the_offer.contact_plan = contact_plan.strip() or None
    the_offer.phrase = phrases.draw(request.locale)
    try:
        with db.atomic():
            # Acceptances of one request queue up behind its row: each counts the others.
            lock(request.id)
            request = Request.get_by_id(request.id)
            if request.state != OFFERED:
                raise AlreadyTaken(request.reference)
            taken = (
                Offer.update(
                    state=OFFER_ACCEPTED,
                    working=True,
                    decided_at=now,
                    decided_by=user,
                    contact_plan_sealed=the_offer.contact_plan_sealed,
                    phrase_sealed=the_offer.phrase_sealed,
                )
                .where((Offer.id == the_offer.id) & (Offer.state == OFFER_OPEN))
                .execute()
            )
            if taken != 1:
                raise AlreadyTaken(request.reference)
            met = len(pledged(request)) >= request.needed
            if met:
                workflow.transition(
                    request,
                    ACCEPTED,
                    vocabulary.ORGANIZATION,
                    user=user,
                    organization=the_offer.organization,
                )
                _close_still_open(request, now)
                sharing.taken(request)
            audit.record("offer.accepted", user=user, reference=request.reference)
    except (workflow.ConcurrentChange, workflow.TransitionRefused) as exc:
        raise AlreadyTaken(request.reference) from exc
    the_offer.state, the_offer.decided_at, the_offer.decided_by = OFFER_ACCEPTED, now, user
    the_offer.working = True
    return met


def lock(request_id: int) -> None:
    """Hold the request's row until the transaction ends (SQLite transactions already queue)."""
    Request.update(updated_at=Request.updated_at).where(Request.id == request_id).execute()


def decline(the_offer: Offer, user: User, reason: str) -> None:
    """Say no, with a reason; when nobody is left, the request goes back to be matched again."""
    if not reason.strip():
        raise OfferRefused("a reason is needed")
    with db.atomic():
        # Answers to one request queue up behind this row lock: two last declines
        # at the same moment must not each see the other still open and leave the
        # request offered to nobody.
        lock(the_offer.request_id)
        request = Request.get_by_id(the_offer.request_id)
        the_offer.reason = reason  # sealed to this offer's uid
        changed = (
            Offer.update(
                state=OFFER_DECLINED,
                decided_at=utcnow(),
                decided_by=user,
                reason_sealed=the_offer.reason_sealed,
            )
            .where((Offer.id == the_offer.id) & (Offer.state == OFFER_OPEN))
            .execute()
        )
        if changed != 1:
            raise OfferRefused("this offer is no longer open")
        sharing.settle(request)
        audit.record("offer.declined", user=user, reference=request.reference)
        still_open = (
            Offer.select().where((Offer.request == request) & (Offer.state == OFFER_OPEN)).exists()
        )
        if not still_open and request.state == OFFERED:
            workflow.transition(request, APPROVED, vocabulary.SYSTEM)
            notices.to_reviewers("offers_ended")
    the_offer.state = OFFER_DECLINED


def expire_due(now: datetime.datetime | None = None) -> int:
    """Let offers that nobody answered in time lapse; how many requests went back to be matched.

    The request returns to `approved` (and to the top of the queue) exactly as
    when every organization declines. An acceptance at the same moment and the
    expiry both move the request out of `offered` only if nobody moved it
    first: one of them wins, never both.
    """
    now = now or utcnow()
    lapsed = (
        Request.select()
        .join(Offer)
        .where(
            (Request.state == OFFERED)
            & (Offer.state == OFFER_OPEN)
            & Offer.expires_at.is_null(False)
            & (Offer.expires_at <= now)
        )
        .distinct()
    )
    expired = 0
    for request in list(lapsed):
        try:
            with db.atomic():
                # The request's row first, as an acceptance takes it: two transactions
                # that lock the same rows in opposite orders would deadlock.
                lock(request.id)
                request = Request.get_by_id(request.id)
                if request.state != OFFERED:
                    continue
                (
                    Offer.update(state=OFFER_EXPIRED, decided_at=now)
                    .where(
                        (Offer.request == request)
                        & (Offer.state == OFFER_OPEN)
                        & (Offer.expires_at <= now)
                    )
                    .execute()
                )
                sharing.settle(request)
                still_open = (
                    Offer.select()
                    .where((Offer.request == request) & (Offer.state == OFFER_OPEN))
                    .exists()
                )
                if still_open:  # a later offer for the same request still runs
                    continue
                workflow.transition(request, APPROVED, vocabulary.SYSTEM)
                audit.record("offer.expired", reference=request.reference)
                notices.to_reviewers("offers_ended")
        except (workflow.ConcurrentChange, workflow.TransitionRefused):
            continue  # accepted (or taken back) meanwhile: that move stands
        expired += 1
    return expired


def warn_expiring(now: datetime.datetime | None = None) -> int:
    """Remind an organization's members once when its offer has a quarter of its time left."""
    now = now or utcnow()
    candidates = Offer.select().where(
        (Offer.state == OFFER_OPEN)
        & Offer.warned_at.is_null()
        & Offer.expires_at.is_null(False)
        & (Offer.expires_at > now)
    )
    warned = 0
    for the_offer in list(candidates):
        if time_left(the_offer, now) > (the_offer.expires_at - the_offer.created_at) / 4:
            continue
        with db.atomic():
            changed = (
                Offer.update(warned_at=now)
                .where((Offer.id == the_offer.id) & Offer.warned_at.is_null())
                .execute()
            )
            if changed:
                notices.to_members("offer_expiring", the_offer.organization)
                warned += changed
    return warned


def time_left(the_offer: Offer, now: datetime.datetime | None = None):
    """How long the organization still has to answer; None when the offer never lapses."""
    if the_offer.expires_at is None:
        return None
    return the_offer.expires_at - (now or utcnow())


def working_on(the_offer: Offer, request: Request) -> bool:
    """True while the offer's organization has the request in hand (accepted or under way)."""
    return the_offer.state == OFFER_ACCEPTED and bool(the_offer.working) and in_hand(request)


def is_taken(request: Request) -> bool:
    """True once an organization has taken the request (accepted, under way or completed)."""
    return request.state in TAKEN_STATES


@dataclass(frozen=True)
class Standing:
    """Where an offer stands for its organization: what the offer page shows and allows."""

    waiting: bool  # open: the organization may accept or decline
    declined: bool  # the organization said no
    taken_by_another: bool  # closed because another organization took the request
    withdrawn: bool  # closed because the request stopped being offered
    expired: bool  # nobody answered in time
    accepted: bool  # the organization took it, whether or not the work has ended
    working: bool  # ... and works on it now: contact details, updates, the next move
    next_move: str | None  # "start" or "complete" while working; the view of that name
    pledged: bool = False  # accepted, waiting for more organizations before it is taken


def standing(the_offer: Offer, request: Request) -> Standing:
    """Where `the_offer` stands, given its request as it is now."""
    closed = the_offer.state == OFFER_CLOSED
    working = working_on(the_offer, request)
    accepted = the_offer.state == OFFER_ACCEPTED
    return Standing(
        waiting=the_offer.state == OFFER_OPEN,
        declined=the_offer.state == OFFER_DECLINED,
        taken_by_another=closed and is_taken(request),
        withdrawn=closed and not is_taken(request),
        expired=the_offer.state == OFFER_EXPIRED,
        accepted=accepted,
        working=working,
        next_move=NEXT_MOVES[the_offer.started_at is not None] if working else None,
        pledged=accepted and bool(the_offer.working) and not in_hand(request),
    )


def _engaged(the_offer: Offer) -> Request:
    """The offer's request, if its organization is working on it; OfferRefused otherwise."""
    request = Request.get_by_id(the_offer.request_id)
    if not working_on(the_offer, request):
        raise OfferRefused("this organization is not working on this request")
    return request


def start(the_offer: Offer, user: User, *, expected_version: int | None) -> None:
    """The organization's part has begun; the request is under way from the first part."""
    request = _engaged(the_offer)
    if request.version != expected_version:
        raise workflow.ConcurrentChange(request.reference)
    with db.atomic():
        started = (
            Offer.update(started_at=utcnow())
            .where((Offer.id == the_offer.id) & Offer.started_at.is_null())
            .execute()
        )
        if started != 1:
            raise OfferRefused("this part is under way already")
        if request.state == ACCEPTED:
            workflow.transition(
                request,
                ACTIVE,
                vocabulary.ORGANIZATION,
                user=user,
                organization=the_offer.organization,
            )
        _moved(the_offer, user, request, ACTIVE)


@dataclass(frozen=True)
class Closing:
    """An organization's closing report: what was done, the outcome in a sentence or two,
    whether follow-up is needed."""

    outcome: str
    follow_up: bool
    days: int | None = None
    visits: int | None = None


def complete(
    the_offer: Offer, user: User, *, expected_version: int | None, report: Closing
) -> None:
    """The organization's part has ended, with its closing report; the request is completed
    with the last part."""
    if not (report.outcome or "").strip():
        raise OfferRefused("a closing report needs its outcome")
    request = _engaged(the_offer)
    if request.version != expected_version:
        raise workflow.ConcurrentChange(request.reference)
    with db.atomic():
        lock(request.id)  # two last parts ending at once: one of them completes the request
        ended = (
            Offer.update(working=False, check_in_due_at=None)
            .where(
                (Offer.id == the_offer.id)
                & (Offer.working == True)  # noqa: E712
                & Offer.started_at.is_null(False)
            )
            .execute()
        )
        if ended != 1:
            raise OfferRefused("this part is not under way")
        closing = ClosingReport(
            request=request,
            organization=the_offer.organization,
            user=user,
            days=report.days,
            visits=report.visits,
            follow_up=report.follow_up,
        )
        closing.outcome = report.outcome.strip()
        closing.save(force_insert=True)
        request = Request.get_by_id(request.id)
        sharing.settle(request)  # this organization's part has ended: its keys go
        if not pledged(request):
            workflow.transition(
                request,
                COMPLETED,
                vocabulary.ORGANIZATION,
                user=user,
                organization=the_offer.organization,
            )
        _moved(the_offer, user, request, COMPLETED)
        notices.to_reviewers("progress")
    the_offer.working = False


def closing_reports(request: Request) -> list[ClosingReport]:
    """The closing reports of a request, oldest first, with their organizations."""
    return list(
        ClosingReport.select(ClosingReport, Organization)
        .join(Organization)
        .where(ClosingReport.request == request)
        .order_by(ClosingReport.created_at, ClosingReport.id)
    )


def _moved(the_offer: Offer, user: User, request: Request, to_state: str) -> None:
    audit.record(
        "request.transition",
        user=user,
        reference=request.reference,
        detail=f"organization={the_offer.organization.key} to={to_state}",
    )


def opened(the_offer: Offer, user: User) -> None:
    """Write down that a member opened an offer: who read a request is part of its record."""
    audit.record("offer.viewed", user=user, reference=the_offer.request.reference)


def post_update(the_offer: Offer, user: User, body: str) -> ProgressUpdate:
    """A progress report from the organization working on the request, for network staff."""
    if not body.strip():
        raise OfferRefused("an update needs some text")
    request = _engaged(the_offer)
    with db.atomic():
        update = ProgressUpdate(request=request, organization=the_offer.organization, user=user)
        update.body = body  # sealed to this update's uid
        update.save(force_insert=True)
        audit.record("offer.progress", user=user, reference=request.reference)
        notices.to_reviewers("progress")
    return update


def write_to_requester(the_offer: Offer, user: User, body: str) -> OrganizationMessage:
    """A message from the organization working on the request, read on the tracking page."""
    if not body.strip():
        raise OfferRefused("a message needs some text")
    request = _engaged(the_offer)
    with db.atomic():
        message = OrganizationMessage(
            request=request,
            organization=the_offer.organization,
            author=vocabulary.ORGANIZATION,
            user=user,
        )
        message.body = body  # sealed to this message's uid
        message.save(force_insert=True)
        audit.record("offer.message", user=user, reference=request.reference)
        notices.to_requester(request)
    return message


def working_parts(request: Request) -> list[Offer]:
    """The offers of the organizations working on the request now, in the order they accepted
    (none while it waits for enough of them)."""
    return [part for part in parts(request) if part.working] if in_hand(request) else []


def write_to_organization(request: Request, body: str, to: str = "") -> OrganizationMessage:
    """A message from the requester to an organization working on their request: the one
    whose uid is `to`, or the only one."""
    working = working_parts(request)
    chosen = [part for part in working if part.organization.uid == to] if to else working
    if len(chosen) != 1:
        raise OfferRefused("no organization, or not one of those working on this request")
    taken = chosen[0]
    if not body.strip():
        raise OfferRefused("a message needs some text")
    with db.atomic():
        message = OrganizationMessage(
            request=request, organization=taken.organization, author=vocabulary.REQUESTER
        )
        message.body = body
        message.save(force_insert=True)
        notices.to_members("requester_message", taken.organization)
    return message


def thread(request: Request, organization: Organization):
    """The messages between the requester and the organization, oldest first."""
    return list(
        OrganizationMessage.select()
        .where(
            (OrganizationMessage.request == request)
            & (OrganizationMessage.organization == organization)
        )
        .order_by(OrganizationMessage.created_at, OrganizationMessage.id)
    )


def _accepted(condition):
    """The accepted offers that `condition` keeps, with their organizations, in the order they
    were accepted."""
    return (
        Offer.select(Offer, Organization)
        .join(Organization)
        .where(condition & (Offer.state == OFFER_ACCEPTED))
        .order_by(Offer.decided_at, Offer.id)
    )


def accepted_offers(request: Request) -> list[Offer]:
    """Every offer an organization accepted for this request, in every round, in the order
    they were accepted, with their organizations."""
    return list(_accepted(Offer.request == request))


def accepted_offer(request: Request) -> Offer | None:
    """The offer an organization accepted for this request, while working on it or after: the
    latest one, when the request was reopened and taken again."""
    return (
        _accepted(Offer.request == request)
        .order_by(Offer.decided_at.desc(), Offer.id.desc())
        .first()
    )


def progress_updates(request: Request, organization: Organization | None = None):
    """The organizations' reports on a request, oldest first; only one organization's when it
    is given (each sees only its own part)."""
    query = (
        ProgressUpdate.select(ProgressUpdate, Organization)
        .join(Organization)
        .where(ProgressUpdate.request == request)
        .order_by(ProgressUpdate.created_at, ProgressUpdate.id)
    )
    if organization is not None:
        query = query.where(ProgressUpdate.organization == organization)
    return query


def parts(request: Request) -> list[Offer]:
    """The organizations that accepted the request in this round (since it was last reopened),
    each with its organization, in the order they accepted: those working on their part, and
    those whose part has ended."""
    return list(_accepted(_this_round(request)))


def offers_of(request: Request):
    """Every offer made for a request with its organization, for network staff."""
    return (
        Offer.select(Offer, Organization)
        .join(Organization)
        .where(Offer.request == request)
        .order_by(Offer.created_at, Organization.name)
    )
