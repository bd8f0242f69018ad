"""What a requester can do: submit a request, open it with the code, write, withdraw."""

from dataclasses import dataclass

from peewee import IntegrityError

from .. import keys, notices, offers, request_keys, tracking, vocabulary, workflow
from ..db import db
from ..models import Complaint, Evaluation, Message, Request, TimelineEvent, utcnow
from ..references import next_reference
from ..regions import region_of

# The fields a requester may set: nothing else from a posted form reaches a row.
REQUESTER_FIELDS = (
    "service",
    "requester_kind",
    "name",
    "organization",
    "country",
    "place",
    "situation",
    "asked_for",
    "urgency",
    "start_date",
    "end_date",
    "people_count",
    "languages",
    "other_languages",
    "contact_channel",
    "contact_detail",
    "contact_safe",
    "notify_email",
    "share_contact",
    "share_words",
    "share_figures",
    "on_behalf",
)
# Those a caller may leave out (the demo data, older callers): the model's default stands.
DEFAULTED_FIELDS = ("share_contact", "share_words", "share_figures")


class AlreadySubmitted(Exception):
    """The same form was sent twice (a reload or a double click)."""


@dataclass
class Submitted:
    request: Request
    code: str  # shown once to the requester, never stored


def submission_hash(token: str | None) -> str | None:
    if not token or len(token) > 64:
        return None
    return keys.keyed_hash("submission", token)


def _already_stored(digest: str | None) -> bool:
    return bool(digest) and Request.select().where(Request.submission_hash == digest).exists()


def submit(fields: dict, locale: str, submission_token: str | None = None) -> Submitted:
    """Store a new request and its first timeline event together; return it with its code."""
    values = {name: fields.get(name) for name in REQUESTER_FIELDS}
    for name in DEFAULTED_FIELDS:
        if values[name] is None:
            del values[name]
    risk = fields.get("risk")
    digest = submission_hash(submission_token)
    if _already_stored(digest):
        raise AlreadySubmitted
    code = tracking.new_code()
    languages = values.pop("languages") or []
    request = Request(
        tracking_hash=tracking.code_hash(code),
        submission_hash=digest,
        state=vocabulary.SUBMITTED,
        queue_rank=workflow.queue_rank(vocabulary.SUBMITTED, values["urgency"]),
        locale=locale,
        region=region_of(values["country"]),
        languages=",".join(languages),
    )
    # Values sealed to the request's keys are set once the row (and so its id) exists.
    keyed = {name for _, name in request_keys.sealed_to_keys(Request)}
    for name, value in values.items():
        if name not in keyed:
            setattr(request, name, value if value != "" else None)
    for name in keyed:
        setattr(request, f"{name}_sealed", b"")  # in the same transaction, never committed
    now = utcnow()
    request.created_at = request.updated_at = now
    try:
        with db.atomic():
            request.reference = next_reference(now)
            request.save(force_insert=True)
            TimelineEvent.create(
                request=request,
                created_at=now,
                actor=vocabulary.REQUESTER,
                to_state=vocabulary.SUBMITTED,
            )
            # The keys the requester will hold, while their code is at hand.
            request_keys.at_submission(request, code)
            for name in keyed:
                value = risk.stored() if name == "risk" and risk is not None else values.get(name)
                setattr(request, name, value if value != "" else None)
            request.save(only=[getattr(Request, f"{name}_sealed") for name in keyed])
            emergency = request.urgency == vocabulary.EMERGENCY
            notices.to_reviewers("new_emergency" if emergency else "new_request")
    except IntegrityError as exc:
        # Two copies of one form arriving at once: the unique submission hash
        # lets exactly one through.
        if _already_stored(digest):
            raise AlreadySubmitted from exc
        raise
    return Submitted(request, code)


def sent_with(request: Request, submission_token: str | None) -> bool:
    """Whether `request` was sent by the form that carried this one-time token."""
    digest = submission_hash(submission_token)
    return bool(digest) and keys.same(request.submission_hash or "", digest)


def open_with_code(typed: str) -> Request | None:
    """The request a typed tracking code opens, or None (for every kind of wrong code)."""
    if tracking.normalise(typed or "") is None:
        return None
    digest = tracking.code_hash(typed)
    found = Request.by_tracking_hash(digest)
    if found is None or not keys.same(found.tracking_hash, digest):
        return None
    return found


def add_information(request: Request, text: str) -> Message:
    """Keep what the requester adds as a message; an answer to a question resumes the review."""
    with db.atomic():
        message = Message(request=request, author=vocabulary.REQUESTER)
        message.body = text
        message.save(force_insert=True)
        if request.state == vocabulary.NEEDS_INFO:
            workflow.transition(request, vocabulary.IN_REVIEW, vocabulary.REQUESTER)
        notices.to_reviewers("requester_answer")
    return message


def stop_notices(request: Request) -> None:
    """Forget the requester's notice address, and every notice still owed to it."""
    with db.atomic():
        Request.update(notify_email_sealed=None).where(Request.id == request.id).execute()
        notices.forget_requester(request)
    request.notify_email_sealed = None


def can_write(request: Request) -> bool:
    return request.state in vocabulary.OPEN_STATES


def withdraw(request: Request) -> None:
    workflow.transition(request, vocabulary.WITHDRAWN, vocabulary.REQUESTER)


class NotNow(Exception):
    """Not possible for this request now (not completed, nobody took it, already answered)."""


def evaluation_of(request: Request) -> Evaluation | None:
    return Evaluation.get_or_none(Evaluation.request == request)


def may_evaluate(request: Request) -> bool:
    """Once, after an organization completed the accompaniment or visit."""
    return (
        request.state == vocabulary.COMPLETED
        and offers.accepted_offer(request) is not None
        and evaluation_of(request) is None
    )


def evaluate(request: Request, useful: str | None, safer: str | None, comment: str = "") -> None:
    """The requester's optional word on how it went; every part may be left out."""
    if not may_evaluate(request):
        raise NotNow("nothing to evaluate, or already evaluated")
    answers = vocabulary.EVALUATION_ANSWERS
    evaluation = Evaluation(
        request=request,
        useful=useful if useful in answers else None,
        safer=safer if safer in answers else None,
    )
    evaluation.comment = comment.strip() or None  # sealed to this row's uid
    try:
        with db.atomic():
            evaluation.save(force_insert=True)
            notices.to_reviewers("requester_answer")
    except IntegrityError as exc:  # sent twice at the same moment: the first one counts
        raise NotNow("already evaluated") from exc


def may_complain(request: Request) -> bool:
    """Once an organization has taken the request on, whatever happened since."""
    return offers.accepted_offer(request) is not None


def complained_of(request: Request) -> list:
    """The organizations a requester may complain about: each that took the request on."""
    found = {}
    for taken in offers.accepted_offers(request):
        found.setdefault(taken.organization.uid, taken.organization)
    return list(found.values())


def complain(request: Request, body: str, about: str = "") -> Complaint:
    """A complaint to the network about an organization that took the request on: the one
    whose uid is `about`, or the only one."""
    candidates = complained_of(request)
    chosen = [org for org in candidates if org.uid == about] if about else candidates
    if len(chosen) != 1 or not body.strip():
        raise NotNow("no organization to complain about, or nothing written")
    with db.atomic():
        complaint = Complaint(request=request, organization=chosen[0])
        complaint.body = body
        complaint.save(force_insert=True)
        notices.to_reviewers("requester_answer")
    return complaint


def complaints(request: Request) -> list[Complaint]:
    return list(
        Complaint.select().where(Complaint.request == request).order_by(Complaint.created_at)
    )
