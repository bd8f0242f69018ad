"""What a requester can do: submit a request, open it with the code, write, withdraw."""

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from peewee import IntegrityError

from . import tracking, workflow
from .db import db
from .models import Message, Request, TimelineEvent, utcnow
from .references import next_reference
from .regions import region_of

SERVICES = ("accompaniment", "solidarity", "monitoring")
REQUESTER_KINDS = ("individual", "community", "organization")
URGENCIES = ("emergency", "urgent", "planned")
CONTACT_CHANNELS = ("signal", "whatsapp", "telegram", "email", "phone", "other")

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
)


class AlreadySubmitted(Exception):
    """The same form was sent twice (a reload or a double click)."""


@dataclass
class Submitted:
    request: Request
    code: str  # shown once to the requester, never stored


def _tracking_key() -> bytes:
    return current_app.config["TRACKING_KEY"].encode()


def _keyed(value: str) -> str:
    return hmac.new(_tracking_key(), value.encode(), hashlib.sha256).hexdigest()


def submission_hash(token: str | None) -> str | None:
    if not token or len(token) > 64:
        return None
    return _keyed("submission:" + token)


def _already_stored(digest: str | None) -> bool:
    return bool(digest) and Request.select().where(Request.submission_hash == digest).exists()


def submit(fields: dict, locale: str, submission_token: str | None = None) -> Submitted:
    """Store a new request and its first timeline event together; return it with its code."""
    values = {name: fields.get(name) for name in REQUESTER_FIELDS}
    digest = submission_hash(submission_token)
    if _already_stored(digest):
        raise AlreadySubmitted
    code = tracking.new_code()
    languages = values.pop("languages") or []
    request = Request(
        tracking_hash=tracking.code_hash(code, _tracking_key()),
        submission_hash=digest,
        state=workflow.SUBMITTED,
        locale=locale,
        region=region_of(values["country"]),
        languages=",".join(languages),
    )
    for name, value in values.items():
        setattr(request, name, value if value != "" else None)
    now = utcnow()
    request.created_at = request.updated_at = now
    try:
        with db.atomic():
            request.reference = next_reference(now)
            request.save(force_insert=True)
            TimelineEvent.create(
                request=request, created_at=now, actor="requester", to_state=workflow.SUBMITTED
            )
    except IntegrityError as exc:
        # Two copies of one form arriving at once: the unique submission hash
        # lets exactly one through.
        if _already_stored(digest):
            raise AlreadySubmitted from exc
        raise
    return Submitted(request, code)


def open_with_code(typed: str) -> Request | None:
    """The request a typed tracking code opens, or None (for every kind of wrong code)."""
    if tracking.normalise(typed or "") is None:
        return None
    digest = tracking.code_hash(typed, _tracking_key())
    found = Request.by_tracking_hash(digest)
    if found is None or not tracking.hashes_match(found.tracking_hash, digest):
        return None
    return found


def add_information(request: Request, text: str) -> Message:
    """Keep what the requester adds as a message; an answer to a question resumes the review."""
    with db.atomic():
        message = Message(request=request, author="requester")
        message.body = text
        message.save(force_insert=True)
        if request.state == workflow.NEEDS_INFO:
            workflow.transition(request, workflow.IN_REVIEW, "requester")
    return message


def can_write(request: Request) -> bool:
    return request.state in workflow.OPEN_STATES


def withdraw(request: Request) -> None:
    workflow.transition(request, workflow.WITHDRAWN, "requester")
