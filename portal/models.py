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
    TextField,
)

from .db import BaseModel
from .handles import LENGTH as HANDLE_LENGTH
from .handles import new_handle
from .risk import RiskPicture
from .sealing import Sealed
from .vocabulary import ACCEPTED, REQUESTER


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def new_uid() -> str:
    return secrets.token_hex(16)


def _split(value: str) -> list[str]:
    return [item for item in (value or "").split(",") if item]


class Organization(BaseModel):
    """An accompanying organization: where it works, what it offers, how much it can hold."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    # The stable key that an import updates by (for example "pbi-colombia").
    key = CharField(max_length=80, unique=True)
    name = CharField(max_length=200)
    website = CharField(max_length=300, default="")
    description_en = TextField(default="")
    description_fr = TextField(default="")
    description_es = TextField(default="")
    # Comma-separated codes: region keys, ISO 3166 countries, services, ISO 639-1 languages.
    regions = CharField(max_length=300, default="")
    countries = TextField(default="")
    services = CharField(max_length=100, default="")
    languages = CharField(max_length=300, default="")
    capacity = IntegerField(default=0)  # active engagements it can hold at once
    public = BooleanField(default=True)
    demo = BooleanField(default=False)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # Set when an administrator archives it: it leaves the directory and matching, and
    # its rows (offers, timeline, audit) stay. None while it is in service.
    archived_at = DateTimeField(null=True)

    # Writes this process has started: the public directory's kept page (portal/
    # page_cache.py) is dropped at once here, and within a second in other processes,
    # which see updated_at change (portal/directory version()).
    writes = 0

    @classmethod
    def insert(cls, *args, **kwargs):
        cls.writes += 1
        return super().insert(*args, **kwargs)

    @classmethod
    def insert_many(cls, *args, **kwargs):
        cls.writes += 1
        return super().insert_many(*args, **kwargs)

    @classmethod
    def update(cls, *args, **kwargs):  # save() of a stored row comes here too
        cls.writes += 1
        return super().update(*args, **kwargs)

    @classmethod
    def delete(cls):
        cls.writes += 1
        return super().delete()

    @classmethod
    def in_service(cls):
        """The organizations that are not archived: the only ones matching may propose."""
        return cls.select().where(cls.archived_at.is_null())

    @classmethod
    def listed(cls):
        """What the public directory may show: public and in service."""
        return cls.in_service().where(cls.public == True)  # noqa: E712

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    @property
    def region_keys(self) -> list[str]:
        return _split(self.regions)

    @property
    def country_codes(self) -> list[str]:
        return _split(self.countries)

    @property
    def service_keys(self) -> list[str]:
        return _split(self.services)

    @property
    def language_codes(self) -> list[str]:
        return _split(self.languages)

    def description(self, language: str) -> str:
        """The description in `language`, else in English, else in any language given."""
        texts = [getattr(self, f"description_{language}", ""), self.description_en]
        texts += [self.description_fr, self.description_es]
        return next((text for text in texts if text), "")


class User(BaseModel):
    """A staff account: administrator, reviewer or organization member."""

    class Meta:
        table_name = "account"  # "user" is reserved in PostgreSQL

    uid = CharField(max_length=32, unique=True, default=new_uid)
    email = CharField(max_length=254, unique=True)
    role = CharField(max_length=20)  # admin | reviewer | org_member
    active = BooleanField(default=True)
    password_hash = CharField(max_length=255)
    created_at = DateTimeField(default=utcnow)
    last_sign_in_at = DateTimeField(null=True)
    # TOTP: the secret is sealed like request data; the last accepted time
    # step is kept so that a code works once.
    totp_secret_sealed = BlobField(null=True)
    totp_confirmed = BooleanField(default=False)
    totp_last_step = IntegerField(null=True)
    # Organization members belong to one organization.
    organization = ForeignKeyField(Organization, null=True, backref="members", on_delete="SET NULL")
    # The language of the account's pages and notices; None follows the browser.
    locale = CharField(max_length=10, null=True)
    # The account's own key pair (portal.keychain): the public half in clear, so that
    # colleagues can give it access; the private half sealed under a key derived from the
    # password with these Argon2id parameters. `key_chosen`: sealed under a password the
    # person chose, not one an administrator generated (only then may access be given).
    public_key = BlobField(null=True)
    private_key_sealed = BlobField(null=True)
    key_params = CharField(max_length=120, null=True)
    key_chosen = BooleanField(default=False)

    totp_secret = Sealed()

    @classmethod
    def by_email(cls, email: str):
        return cls.get_or_none(cls.email == email.strip().lower())


class RecoveryCode(BaseModel):
    """A one-time code that replaces a TOTP code; only its keyed hash is stored."""

    user = ForeignKeyField(User, backref="recovery_codes", on_delete="CASCADE")
    code_hash = CharField(max_length=64, unique=True)
    used_at = DateTimeField(null=True)


class Request(BaseModel):
    """A request for accompaniment or a visit, from the moment it is submitted."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    # What staff call it (AR-2026-0042): never the database id, which others could walk.
    reference = CharField(max_length=20, unique=True)
    tracking_hash = CharField(max_length=64, unique=True)
    # Keyed hash of the one-time token in the form, so that a resent form
    # (reload, double click) cannot create a second request.
    submission_hash = CharField(max_length=64, unique=True, null=True)
    state = CharField(max_length=20, index=True)
    version = IntegerField(default=1)
    # Its place in the review queue before its age, lowest first: kept by the functions that
    # create a request and change its state (portal.workflow.queue_rank), so that the queue's
    # order is an index's order.
    queue_rank = IntegerField()
    locale = CharField(max_length=10)
    created_at = DateTimeField(default=utcnow, index=True)
    updated_at = DateTimeField(default=utcnow)

    service = CharField(max_length=20, index=True)
    requester_kind = CharField(max_length=20)
    country = CharField(max_length=2, index=True)
    region = CharField(max_length=30, index=True)
    urgency = CharField(max_length=10)
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
    # Where the requester asked to be told that there is news (never what the news is);
    # emptied when the request closes.
    notify_email_sealed = BlobField(null=True)
    # portal.risk.RiskPicture as JSON; none when the requester gave none.
    risk_sealed = BlobField(null=True)
    # What the requester allows an accepting organization to see, and the network to count
    # (portal.consent); only ever narrowed after the form.
    share_contact = BooleanField(default=True)
    share_words = CharField(max_length=10, default="written")  # vocabulary.SHARED_WORDS
    share_figures = BooleanField(default=False)
    # Sent for someone else: what the sender knows of their agreement (vocabulary.ON_BEHALF).
    on_behalf = CharField(max_length=10, null=True)
    # The deadline (see portal.deadlines) for which the request was reported
    # overdue, and to whom: 1 reviewers, 2 administrators as well.
    overdue_for = CharField(max_length=20, null=True)
    overdue_level = IntegerField(default=0)
    # How many organizations must accept before the request is taken (each does its own part:
    # accompaniment by one, a monitoring visit by another); set when it is offered.
    needed = IntegerField(default=1)
    # Why reviewers must look again while an organization works on it (a missed check-in,
    # an incident: vocabulary.ATTENTION_LABELS), until one of them has handled it.
    attention = CharField(max_length=10, null=True)

    # Sealed to the request's keys, one per kind of reader (portal.request_keys), so that
    # the accepting organization gets what the requester allows, and only from the take.
    name = Sealed(purpose="identity")
    organization = Sealed(purpose="identity")
    place = Sealed(purpose="brief")
    situation = Sealed(purpose="words")
    asked_for = Sealed(purpose="words")
    other_languages = Sealed(purpose="brief")
    contact_detail = Sealed(purpose="contact")
    # Under the server's keyring: the news mail is sent by a job, with nobody signed in.
    notify_email = Sealed()
    risk = Sealed(purpose="risk")

    class Meta:
        indexes = (
            # The review queue, one page at a time, in the order it is shown (portal.review).
            (("queue_rank", "created_at", "id"), False),
            # Requests past their response time (portal.deadlines.overdue), a range per state
            # and urgency.
            (("state", "urgency", "created_at"), False),
            # The queue filtered by urgency, and by urgency and region (emergencies in Africa):
            # counted from the index alone.
            (("urgency", "region"), False),
        )

    @property
    def request_id(self) -> int:
        """Its own id, as the rows that belong to a request have theirs (Sealed reads it)."""
        return self.id

    @property
    def language_codes(self) -> list[str]:
        return [code for code in self.languages.split(",") if code]

    @property
    def risk_picture(self) -> RiskPicture:
        return RiskPicture.from_json(self.risk)

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


class ReferenceCounter(BaseModel):
    """The last reference number given out in a year, so that numbers never repeat."""

    year = IntegerField(primary_key=True)
    last = IntegerField()


class TimelineEvent(BaseModel):
    """One change of a request's state: who moved it, when, from and to what."""

    request = ForeignKeyField(Request, backref="events", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    actor = CharField(max_length=20)  # requester | staff | organization | system
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")  # never shown to requesters
    # The organization that made the move (accepting, starting, completing): its
    # name is shown to the requester once it has accepted.
    organization = ForeignKeyField(Organization, null=True, on_delete="SET NULL")
    from_state = CharField(max_length=20, null=True)
    to_state = CharField(max_length=20)
    reason = CharField(max_length=30, null=True)  # a key of vocabulary.REJECTION_REASONS

    @property
    def accepting_organization(self):
        """The organization this step shows the requester: the one that accepted, on that step."""
        return self.organization if self.to_state == ACCEPTED else None


class Message(BaseModel):
    """Something the requester or the network wrote about a request."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="message_set", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    author = CharField(max_length=20)  # requester | staff
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")  # never shown to requesters
    body_sealed = BlobField()
    body = Sealed(purpose="thread")

    @property
    def from_requester(self) -> bool:
        return self.author == REQUESTER


class Offer(BaseModel):
    """A request proposed to one organization, and what the organization answered."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    # What the organization's members call the offer, in its address too (portal.handles):
    # they never see the request's reference.
    handle = CharField(max_length=HANDLE_LENGTH, unique=True, default=new_handle)
    request = ForeignKeyField(Request, backref="offers", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, backref="offers", on_delete="CASCADE")
    state = CharField(max_length=20, index=True)  # open | accepted | declined | closed
    created_at = DateTimeField(default=utcnow)
    offered_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    decided_at = DateTimeField(null=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    # Why it declined, in the organization's words: for network staff only.
    reason_sealed = BlobField(null=True)
    reason = Sealed(purpose="work", per_organization=True)
    # What the reviewer wrote for the organizations to decide on: the requester's
    # own words may name people, so organizations read this instead.
    summary_sealed = BlobField(null=True)
    summary = Sealed(purpose="work", per_organization=True)
    # Written by the organization when it accepts: how and roughly when it will make
    # contact. The requester reads it on the tracking page.
    contact_plan_sealed = BlobField(null=True)
    contact_plan = Sealed(purpose="talk", per_organization=True)
    # Drawn when the organization accepts (portal.phrases): said at the first contact.
    phrase_sealed = BlobField(null=True)
    phrase = Sealed(purpose="talk", per_organization=True)
    # Past this moment an unanswered offer lapses (see offers.expire_due); None never does.
    expires_at = DateTimeField(null=True, index=True)
    # When the organization's members were told that it is about to lapse.
    warned_at = DateTimeField(null=True)
    # True while its organization works on the request (the offer accepted, the request
    # accepted or under way): kept by portal.offers, so that the engagements under way are
    # found without reading every offer ever accepted (an offer stays accepted once the
    # work has ended).
    working = BooleanField(default=False)
    # When the organization marked its own part under way (the request is under way from the
    # first part that is).
    started_at = DateTimeField(null=True)
    # While the work is under way: how often (hours) the organization checks in, and when the
    # next check-in is due (portal.checkins); emptied once a missed one has been reported.
    check_in_hours = IntegerField(null=True)
    check_in_due_at = DateTimeField(null=True, index=True)

    class Meta:
        indexes = (
            # Each organization's engagements under way (spare capacity, the inbox).
            (("working", "organization"), False),
            # An organization's offers waiting for it, and its history counted.
            (("organization", "state", "working"), False),
            # An organization's offers, newest first (the inbox's history).
            (("organization", "created_at"), False),
        )


class OrganizationMessage(BaseModel):
    """A message between the requester and the organization that took the request on.

    A table of its own, apart from the requester's thread with network staff
    (`Message`): the organization never reads that one, and no query can mix them.
    """

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="+", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, backref="+", on_delete="CASCADE")
    author = CharField(max_length=20)  # requester | organization
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)
    body_sealed = BlobField()
    body = Sealed(purpose="talk", per_organization=True)

    @property
    def from_requester(self) -> bool:
        return self.author == REQUESTER


class Evaluation(BaseModel):
    """The requester's optional word on a completed accompaniment or visit, for the network."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, unique=True, backref="+", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    useful = CharField(max_length=10, null=True)  # vocabulary.EVALUATION_ANSWERS
    safer = CharField(max_length=10, null=True)
    comment_sealed = BlobField(null=True)
    comment = Sealed(purpose="feedback")


class Complaint(BaseModel):
    """A requester's complaint to the network about the organization that took the request on;
    network staff read it, the organization never does."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="+", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, null=True, backref="+", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    body_sealed = BlobField()
    body = Sealed(purpose="feedback")


class ProgressUpdate(BaseModel):
    """What the accepting organization reports about its work, for network staff."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="progress_updates", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, on_delete="CASCADE", backref="+")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)
    body_sealed = BlobField()
    body = Sealed(purpose="work", per_organization=True)


class ClosingReport(BaseModel):
    """What the accepting organization says when its work ends: what was done, how it went,
    whether follow-up is needed. For network staff; the requester sees only that it ended."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="closing_reports", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, on_delete="CASCADE", backref="+")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)
    days = IntegerField(null=True)  # days of accompaniment
    visits = IntegerField(null=True)
    follow_up = BooleanField()
    outcome_sealed = BlobField()
    outcome = Sealed(purpose="work", per_organization=True)


class CheckIn(BaseModel):
    """The accepting organization's word, at the agreed rhythm, on how the people it accompanies
    are (portal.checkins); a missed one is written by the portal. For network staff only."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="+", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, on_delete="CASCADE", backref="+")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)
    status = CharField(max_length=10)  # vocabulary.CHECK_IN_LABELS
    note_sealed = BlobField(null=True)
    note = Sealed(purpose="work", per_organization=True)

    class Meta:
        indexes = ((("request", "created_at"), False),)


class InternalNote(BaseModel):
    """A note between staff about a request; no requester or organization ever sees it."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="notes", on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    body_sealed = BlobField()
    body = Sealed(purpose="staff")


class AuditEvent(BaseModel):
    """Who did what to which reference, and when: never contents, codes or secrets."""

    created_at = DateTimeField(default=utcnow, index=True)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = CharField(max_length=40)
    reference = CharField(max_length=20, null=True, index=True)
    target_user = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="audited")
    detail = CharField(max_length=200, default="")

    class Meta:
        # One action's events, newest first, however rare the action among a million.
        indexes = ((("action", "created_at"), False),)


class NoticeChoice(BaseModel):
    """How soon an account hears of one kind of notice, when it differs from the default."""

    user = ForeignKeyField(User, backref="notice_choices", on_delete="CASCADE")
    kind = CharField(max_length=30)
    timing = CharField(max_length=10)  # vocabulary.NOTICE_TIMINGS

    class Meta:
        indexes = ((("user", "kind"), True),)


class Notice(BaseModel):
    """A notice owed to someone, kept until it is sent so that nothing is lost while mail is down.

    Written in the same transaction as what it tells of, so a change that is
    rolled back owes nobody anything. A requester's notice carries its own
    sealed copy of the address (the request's is emptied when it closes) and is
    deleted once sent.
    """

    uid = CharField(max_length=32, unique=True, default=new_uid)
    kind = CharField(max_length=30)
    user = ForeignKeyField(User, null=True, backref="notices", on_delete="CASCADE")
    request = ForeignKeyField(Request, null=True, backref="+", on_delete="CASCADE")
    address_sealed = BlobField(null=True)
    created_at = DateTimeField(default=utcnow)
    due_at = DateTimeField(index=True)  # at once, or the next digest; pushed back on failure
    attempts = IntegerField(default=0)
    last_error = CharField(max_length=200, default="")
    sent_at = DateTimeField(null=True, index=True)
    failed_at = DateTimeField(null=True)  # gave up: shown to administrators

    address = Sealed()


class RequestSeen(BaseModel):
    """When a reviewer last opened a request: what arrived since is marked new for them."""

    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    request = ForeignKeyField(Request, on_delete="CASCADE", backref="+")
    seen_at = DateTimeField()

    class Meta:
        indexes = ((("user", "request"), True),)


class PendingCode(BaseModel):
    """A new request's tracking code, held for the browser that sent it until the person
    says they kept it (at most sessions.CODE_HELD_MINUTES), so that a refresh, Back or a
    second tab does not lose it. Only the SHA-256 of the browser's random id is stored."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    id_hash = CharField(max_length=64, unique=True)
    request = ForeignKeyField(Request, on_delete="CASCADE", backref="+")
    created_at = DateTimeField(default=utcnow)
    # Sealed under a key from the browser's id, which only its cookie carries
    # (portal.sessions.hold_code): a copy of the server's files does not open it.
    code_sealed = BlobField()


class Held(BaseModel):
    """What a staff member's browser must not lose, held sealed for a short while (see
    portal.held): the words of a form carried across a language switch or a new
    sign-in, or new recovery codes until the person says they saved them. Only the
    SHA-256 of the browser's random id is stored."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    id_hash = CharField(max_length=64)
    kind = CharField(max_length=20)  # draft | recovery_codes
    # None when a session ended before its words were kept: then only the page
    # they came from (and its own access rules) gives them back.
    user = ForeignKeyField(User, null=True, on_delete="CASCADE", backref="+")
    created_at = DateTimeField(default=utcnow)
    page = CharField(max_length=2000, null=True)  # where a draft goes back to
    # Sealed under a key from the browser's id, as PendingCode.code_sealed (portal.held).
    content_sealed = BlobField()

    class Meta:
        indexes = ((("id_hash", "kind"), True),)


class GroupKey(BaseModel):
    """The key pair of a group of readers (portal.keychain): the network, or one
    organization (`holder` is "network" or the organization's uid). A group gets a new
    generation when a member leaves; the older one is kept only until what it holds is
    wrapped again.

    The private half is wrapped to each member (KeyGrant), to the offline escrow, and for
    an organization to the network's current key. `server_sealed` is the private half
    under the server's keyring, kept only while readers from before keys existed have not
    yet signed in once (a migration), or while a new group has no holder at all.
    """

    uid = CharField(max_length=32, unique=True, default=new_uid)
    holder = CharField(max_length=32)
    generation = IntegerField(default=1)
    public_key = BlobField()
    escrow_wrap = BlobField(null=True)
    network_wrap = BlobField(null=True)
    network_key = CharField(max_length=32, null=True)  # uid of the key network_wrap is to
    server_sealed = BlobField(null=True)
    created_at = DateTimeField(default=utcnow)
    retired_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("holder", "generation"), True),)


class KeyGrant(BaseModel):
    """A group's private key wrapped to one member's key pair."""

    group_key = ForeignKeyField(GroupKey, backref="grants", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="key_grants", on_delete="CASCADE")
    wrapped = BlobField()
    granted_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("group_key", "user"), True),)


class RequestKey(BaseModel):
    """A request's key pair for one kind of its content (`purpose`, see portal.keychain):
    anyone may seal to its public half, so that writing needs no key holder; its private
    half is wrapped to the groups that read that content (Envelope) and to the escrow."""

    uid = CharField(max_length=32, unique=True, default=new_uid)
    request = ForeignKeyField(Request, backref="keys", on_delete="CASCADE")
    purpose = CharField(max_length=16)
    public_key = BlobField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("request", "purpose"), True),)


class Envelope(BaseModel):
    """A request key's private half wrapped to one holder: a group's key (its uid) or the
    escrow ("escrow")."""

    request_key = ForeignKeyField(RequestKey, backref="envelopes", on_delete="CASCADE")
    holder = CharField(max_length=32)
    wrapped = BlobField()

    class Meta:
        indexes = ((("request_key", "holder"), True), (("holder",), False))


class ServerSession(BaseModel):
    """The server's record of a signed-in session, so that it can be ended.

    Flask's cookie only carries a random id; its SHA-256 is stored here, so a
    copy of the database cannot be replayed as a cookie. The keys a staff member
    unlocked at sign-in are kept sealed under a key derived from the id itself
    (portal.envelopes.session_key), so that the row alone opens nothing.
    """

    id_hash = CharField(max_length=64, unique=True)
    kind = CharField(max_length=20)  # tracking | staff_pending | staff
    request = ForeignKeyField(Request, null=True, on_delete="CASCADE")
    user = ForeignKeyField(User, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen_at = DateTimeField(default=utcnow)
    keys_sealed = BlobField(null=True)


class JobRun(BaseModel):
    """When a periodic job last finished (one row per job): the deployment check reads it."""

    job = CharField(max_length=20, unique=True)  # sweep | purge
    finished_at = DateTimeField()

    @classmethod
    def record(cls, job: str, at: datetime.datetime | None = None) -> None:
        """Say that `job` finished `at` (now); two workers finishing at once are both fine."""
        at = at or utcnow()
        (
            cls.insert(job=job, finished_at=at)
            .on_conflict(conflict_target=[cls.job], update={cls.finished_at: at})
            .execute()
        )

    @classmethod
    def last(cls, job: str) -> datetime.datetime | None:
        row = cls.get_or_none(cls.job == job)
        return row.finished_at if row else None


MODELS = [
    Organization,
    User,
    RecoveryCode,
    Request,
    ReferenceCounter,
    TimelineEvent,
    Message,
    Offer,
    OrganizationMessage,
    Evaluation,
    Complaint,
    ProgressUpdate,
    ClosingReport,
    CheckIn,
    InternalNote,
    AuditEvent,
    NoticeChoice,
    Notice,
    RequestSeen,
    PendingCode,
    Held,
    GroupKey,
    KeyGrant,
    RequestKey,
    Envelope,
    ServerSession,
    JobRun,
]
