"""The audit trail: who did what to which reference, and when.

Only names of actions, references and short non-sensitive details are kept:
never the contents of a request, a message, a code, a password or a token,
and no IP addresses.
"""

import datetime

from peewee import JOIN

from ..models import AuditEvent, User
from ..vocabulary import AUDIT_ACTIONS


def record(
    action: str,
    *,
    user: User | None = None,
    reference: str | None = None,
    target_user: User | None = None,
    detail: str = "",
) -> AuditEvent:
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEvent.create(
        user=user, action=action, reference=reference, target_user=target_user, detail=detail[:200]
    )


def trail(
    action: str | None = None,
    email: str | None = None,
    exact_email: bool = False,
    reference: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
):
    """Audit events, newest first, each with `actor_email` and `target_email`.

    `email` matches the account that acted or the account acted on; `since`
    and `until` are days in UTC, both included.
    """
    actor, target = User.alias("actor"), User.alias("target")
    query = (
        AuditEvent.select(
            AuditEvent,
            actor.email.alias("actor_email"),
            target.email.alias("target_email"),
        )
        .join_from(AuditEvent, actor, JOIN.LEFT_OUTER, on=(AuditEvent.user == actor.id))
        .join_from(AuditEvent, target, JOIN.LEFT_OUTER, on=(AuditEvent.target_user == target.id))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    if action:
        query = query.where(AuditEvent.action == action)
    if email:
        email = email.strip().lower()
        if exact_email:
            query = query.where((actor.email == email) | (target.email == email))
        else:  # peewee escapes % and _ in contains()
            query = query.where(actor.email.contains(email) | target.email.contains(email))
    if reference:
        query = query.where(AuditEvent.reference.contains(reference))
    if since:
        query = query.where(
            AuditEvent.created_at >= datetime.datetime.combine(since, datetime.time())
        )
    if until and until < datetime.date.max:  # the day after 9999-12-31 does not exist
        day_after = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time())
        query = query.where(AuditEvent.created_at < day_after)
    return query.objects()
