"""Tables and their queries.

Fields that identify or endanger people are `Sealed` (encrypted at rest, see
`portal.sealing`); what staff must filter and match on (service, country,
urgency, dates, languages) is kept in the clear.
"""

import datetime
import secrets

from peewee import (
    BlobField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from .db import BaseModel
from .sealing import Sealed


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def new_uid() -> str:
    return secrets.token_hex(16)


class Request(BaseModel):
    """A request for accompaniment or a visit, from the moment it is submitted."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    tracking_hash = CharField(max_length=64, unique=True)
    # Keyed hash of the one-time token in the form, so that a resent form
    # (reload, double click) cannot create a second request.
    submission_hash = CharField(max_length=64, unique=True, null=True)
    state = CharField(max_length=20, index=True)
    version = IntegerField(default=1)
    locale = CharField(max_length=10)
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)

    service = CharField(max_length=20)
    requester_kind = CharField(max_length=20)
    country = CharField(max_length=2, index=True)
    region = CharField(max_length=30, index=True)
    urgency = CharField(max_length=10, index=True)
    start_date = DateField()
    end_date = DateField(null=True)
    people_count = IntegerField()
    languages = CharField(max_length=300, default="")
    contact_channel = CharField(max_length=20, null=True)
    contact_safe = BooleanField(null=True)

    name_sealed = BlobField()
    organization_sealed = BlobField(null=True)
    place_sealed = BlobField()
    situation_sealed = BlobField()
    asked_for_sealed = BlobField()
    other_languages_sealed = BlobField(null=True)
    contact_detail_sealed = BlobField(null=True)

    name = Sealed()
    organization = Sealed()
    place = Sealed()
    situation = Sealed()
    asked_for = Sealed()
    other_languages = Sealed()
    contact_detail = Sealed()

    @property
    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @classmethod
    def by_tracking_hash(cls, digest: str):
        return cls.get_or_none(cls.tracking_hash == digest)

    def timeline(self):
        return (
            TimelineEvent.select()
            .where(TimelineEvent.request == self)
            .order_by(TimelineEvent.created_at, TimelineEvent.id)
        )

    def messages(self):
        return (
            Message.select().where(Message.request == self).order_by(Message.created_at, Message.id)
        )


class TimelineEvent(BaseModel):
    """One change of a request's state: who moved it, when, from and to what."""

    request = ForeignKeyField(Request, backref="events", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    actor = CharField(max_length=20)  # requester | staff | organization | system
    from_state = CharField(max_length=20, null=True)
    to_state = CharField(max_length=20)


class Message(BaseModel):
    """Something the requester or the network wrote about a request."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="message_set", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    author = CharField(max_length=20)  # requester | staff
    body_sealed = BlobField()
    body = Sealed()


class ServerSession(BaseModel):
    """The server's record of a signed-in session, so that it can be ended.

    Flask's cookie only carries a random id; its SHA-256 is stored here, so a
    copy of the database cannot be replayed as a cookie.
    """

    id_hash = CharField(max_length=64, unique=True)
    kind = CharField(max_length=20)  # tracking
    request = ForeignKeyField(Request, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)


MODELS = [Request, TimelineEvent, Message, ServerSession]
