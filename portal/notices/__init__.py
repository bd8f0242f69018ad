"""Notices: who is told that there is something new for them, how soon, and sending it.

A notice is a row written in the same transaction as the change it tells of,
so a change that is rolled back owes nobody a notice; sending happens after
the commit, in a background job (portal.jobs), and a row stays until its
email has gone. Mail can fail for a day without any request, decision or
offer waiting on it: the row is tried again, less and less often, and after
NOTICE_GIVE_UP_HOURS it is shown to administrators.

What is sent says nothing but "something is new" (see portal.mail): the
kind of a notice decides who hears and how soon, never what they read.
"""

import datetime
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context
from peewee import JOIN

from .. import audit, mail
from ..access import ADMINISTRATORS, MEMBERS, REVIEWERS
from ..db import db
from ..i18n import LANGUAGES
from ..models import AuditEvent, Notice, NoticeChoice, Organization, Request, User, utcnow
from ..vocabulary import (
    DEFAULT_TIMING,
    IMMEDIATELY,
    NEVER,
    NOTICE_TIMINGS,
    NOTICES_BY_ROLE,
    REQUESTER_NEWS,
)

# A notice being sent is held back this long, so that two deliveries at once
# do not both send it; if the sender dies, it comes back after that.
_CLAIM = datetime.timedelta(minutes=10)
_LONGEST_WAIT = datetime.timedelta(hours=1)


class SettingsRefused(ValueError):
    """A language or a timing that does not exist, or a kind the account cannot hear of."""


def kinds_for(user: User) -> tuple[str, ...]:
    """The kinds of notice an account's role may hear of, in the settings page's order."""
    return NOTICES_BY_ROLE.get(user.role, ())


def timings(user: User) -> dict[str, str]:
    """How soon the account hears of each kind it may hear of: its choice, else the default."""
    chosen = {
        row.kind: row.timing for row in NoticeChoice.select().where(NoticeChoice.user == user)
    }
    return {kind: chosen.get(kind, DEFAULT_TIMING[kind]) for kind in kinds_for(user)}


def save_language(user: User, locale: str) -> None:
    """The account's language, chosen from the page header (its notices follow it)."""
    if locale not in LANGUAGES:
        raise SettingsRefused(f"unknown language {locale!r}")
    with db.atomic():
        User.update(locale=locale).where(User.id == user.id).execute()
        audit.record("account.settings_changed", user=user, target_user=user)
    user.locale = locale


def save_settings(user: User, locale: str | None, chosen: dict[str, str]) -> None:
    """The account's language (None: follow the browser) and a timing per kind, all or nothing."""
    if locale is not None and locale not in LANGUAGES:
        raise SettingsRefused(f"unknown language {locale!r}")
    allowed = kinds_for(user)
    for kind, timing in chosen.items():
        if kind not in allowed or timing not in NOTICE_TIMINGS:
            raise SettingsRefused(f"{kind}={timing}")
    with db.atomic():
        User.update(locale=locale).where(User.id == user.id).execute()
        NoticeChoice.delete().where(NoticeChoice.user == user).execute()
        for kind, timing in chosen.items():
            if timing != DEFAULT_TIMING[kind]:
                NoticeChoice.create(user=user, kind=kind, timing=timing)
        audit.record("account.settings_changed", user=user, target_user=user)
    user.locale = locale


def next_digest(now: datetime.datetime) -> datetime.datetime:
    """The next daily digest after `now` (DIGEST_HOUR, UTC)."""
    today = now.replace(hour=current_app.config["DIGEST_HOUR"], minute=0, second=0, microsecond=0)
    return today if today > now else today + datetime.timedelta(days=1)


def _owe(kind: str, users, now: datetime.datetime | None = None) -> int:
    """Write a notice of `kind` for each account that wants to hear of it; how many."""
    now = now or utcnow()
    owed = 0
    for user in users:
        if kind not in kinds_for(user):
            continue
        timing = timings(user)[kind]
        if timing == NEVER:
            continue
        due = now if timing == IMMEDIATELY else next_digest(now)
        Notice.create(kind=kind, user=user, created_at=now, due_at=due)
        owed += 1
    if owed:
        _wake()
    return owed


def _active(*roles):
    return User.select().where(User.active & User.role.in_(roles))


def to_reviewers(kind: str) -> int:
    """Tell everyone who reviews requests (administrators review too)."""
    return _owe(kind, _active(*REVIEWERS))


def to_administrators(kind: str) -> int:
    return _owe(kind, _active(*ADMINISTRATORS))


def to_members(kind: str, organization: Organization) -> int:
    """Tell the members of one organization, and nobody else."""
    return _owe(kind, _active(*MEMBERS).where(User.organization == organization))


def to_requester(request: Request) -> bool:
    """Tell the requester that there is news, if they gave an address; one notice at a time.

    The notice keeps its own sealed copy of the address, because the request's
    copy is emptied when it closes, which is news too.
    """
    address = request.notify_email
    if not address:
        return False
    # One is enough while it waits; one that was given up does not silence the next.
    waiting = Notice.select().where(
        (Notice.request == request)
        & (Notice.kind == REQUESTER_NEWS)
        & Notice.sent_at.is_null()
        & Notice.failed_at.is_null()
    )
    if waiting.exists():
        return False
    now = utcnow()
    notice = Notice(kind=REQUESTER_NEWS, request=request, created_at=now, due_at=now)
    notice.address = address  # sealed to this notice's uid
    notice.save(force_insert=True)
    _wake()
    return True


def forget_requester(request: Request) -> int:
    """Delete every notice still owed to the requester (they asked for no more emails)."""
    return Notice.delete().where(Notice.request == request).execute()


def _wake() -> None:
    """Ask for a delivery once this web request is over (and its transaction committed)."""
    if has_request_context():
        g.notices_waiting = True


def waiting_to_go() -> bool:
    """True (once) when this web request wrote notices: portal.jobs then enqueues a delivery."""
    return bool(has_request_context() and g.pop("notices_waiting", False))


# --- sending ----------------------------------------------------------------------------------


def deliver(now: datetime.datetime | None = None) -> int:
    """Send every notice that is due: one email per person, whatever the number of notices.

    Returns how many emails went. Safe to run in several processes at once.
    """
    now = now or utcnow()
    due = (
        Notice.select()
        .where(Notice.sent_at.is_null() & Notice.failed_at.is_null() & (Notice.due_at <= now))
        .order_by(Notice.id)
    )
    groups: dict[tuple, list[Notice]] = {}
    for notice in list(due):
        if _claim(notice, now):
            key = ("user", notice.user_id) if notice.user_id else ("notice", notice.id)
            groups.setdefault(key, []).append(notice)
    return sum(_send(group, now) for group in groups.values())


def _claim(notice: Notice, now: datetime.datetime) -> bool:
    claimed = (
        Notice.update(due_at=now + _CLAIM)
        .where(
            (Notice.id == notice.id) & (Notice.due_at == notice.due_at) & Notice.sent_at.is_null()
        )
        .execute()
    )
    return claimed == 1


def _send(group: list[Notice], now: datetime.datetime) -> int:
    first = group[0]
    ids = [notice.id for notice in group]
    if first.user_id is not None:
        user = first.user
        if not user.active:  # deactivated since: nothing to tell
            Notice.update(sent_at=now, last_error="inactive").where(Notice.id.in_(ids)).execute()
            return 0
        message = mail.notice(user.email, user.locale or "en", link("auth.sign_in"), mail.STAFF)
    else:
        request = first.request
        message = mail.notice(first.address, request.locale, link("intake.track"), mail.REQUESTER)
    try:
        mail.send(message)
    except mail.MailError as exc:
        _not_sent(group, now, str(exc))
        return 0
    if first.user_id is None:
        # Nothing of a requester's notice is kept once it has gone.
        Notice.delete().where(Notice.id.in_(ids)).execute()
    else:
        Notice.update(sent_at=now).where(Notice.id.in_(ids)).execute()
    return 1


def _not_sent(group: list[Notice], now: datetime.datetime, error: str) -> None:
    """Try again later (1, 2, 4… minutes, at most an hour apart); give up after the limit."""
    give_up = datetime.timedelta(hours=current_app.config["NOTICE_GIVE_UP_HOURS"])
    for notice in group:
        attempts = notice.attempts + 1
        wait = min(datetime.timedelta(minutes=2 ** (attempts - 1)), _LONGEST_WAIT)
        gone = now - notice.created_at >= give_up
        with db.atomic():
            Notice.update(
                attempts=attempts,
                last_error=error[:200],
                due_at=now + wait,
                failed_at=now if gone else None,
            ).where(Notice.id == notice.id).execute()
            if gone:
                audit.record(
                    "notice.failed",
                    target_user=notice.user_id,
                    detail=f"kind={notice.kind} attempts={attempts} error={error}",
                )
                # Administrators hear of it, unless what failed was telling them.
                if notice.kind != "job_failed":
                    tell_administrators_of_failure()


def purge_sent(now: datetime.datetime | None = None, days: int = 30) -> int:
    """Forget notices sent long ago: even without contents, they say when someone was busy."""
    cutoff = (now or utcnow()) - datetime.timedelta(days=days)
    return Notice.delete().where(Notice.sent_at < cutoff).execute()


def tell_administrators_of_failure() -> int:
    """Tell administrators that something keeps failing, unless they are already owed that."""
    owed = Notice.select().where(
        (Notice.kind == "job_failed") & Notice.sent_at.is_null() & Notice.failed_at.is_null()
    )
    return 0 if owed.exists() else to_administrators("job_failed")


def link(endpoint: str) -> str:
    """The full address of a page at PUBLIC_URL, for a notice (no web request needed)."""
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        public.netloc, script_name=public.path or "/", url_scheme=public.scheme or "https"
    )
    return adapter.build(endpoint, force_external=True)


# --- what administrators see ------------------------------------------------------------------


@dataclass
class Backlog:
    waiting: int  # not sent yet and still being tried: due now, later, or in a digest
    failing: list  # tried at least once and not sent: still being tried, or given up
    job_failures: list  # the latest background jobs that failed for good


def backlog(limit: int = 50) -> Backlog:
    """What is stuck: notices not sent after trying, and background jobs that failed."""
    unsent = Notice.sent_at.is_null()
    failing = (
        Notice.select(Notice, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(unsent & (Notice.attempts > 0))
        .order_by(Notice.created_at.desc())
        .limit(limit)
    )
    jobs = (
        AuditEvent.select()
        .where(AuditEvent.action == "job.failed")
        .order_by(AuditEvent.created_at.desc())
        .limit(limit)
    )
    waiting = Notice.select().where(unsent & Notice.failed_at.is_null()).count()
    return Backlog(waiting, list(failing), list(jobs))


def given_up_count() -> int:
    """How many notices were given up on and wait for an administrator."""
    return Notice.select().where(Notice.sent_at.is_null() & Notice.failed_at.is_null(False)).count()


def retry(uid: str, user: User) -> bool:
    """Try a notice that was given up on again, now; False when there is no such notice."""
    now = utcnow()
    with db.atomic():
        changed = (
            Notice.update(failed_at=None, attempts=0, due_at=now, created_at=now)
            .where((Notice.uid == uid) & Notice.sent_at.is_null() & Notice.failed_at.is_null(False))
            .execute()
        )
        if changed:
            audit.record("notice.retried", user=user)
            _wake()
    return bool(changed)
