"""Deleting what is no longer needed: closed requests after the retention period."""

import datetime

from .db import db
from .models import Request, ServerSession, utcnow
from .vocabulary import CLOSED_STATES


def purge_closed(retention_days: int, now: datetime.datetime | None = None) -> int:
    """Delete requests closed more than `retention_days` ago, with everything attached."""
    cutoff = (now or utcnow()) - datetime.timedelta(days=retention_days)
    with db.atomic():
        doomed = Request.select(Request.id).where(
            Request.state.in_(CLOSED_STATES) & (Request.updated_at < cutoff)
        )
        # Foreign keys cascade on both backends; sessions go first explicitly so
        # that nothing still opens a request being deleted.
        ServerSession.delete().where(ServerSession.request.in_(doomed)).execute()
        return Request.delete().where(Request.id.in_(doomed)).execute()
