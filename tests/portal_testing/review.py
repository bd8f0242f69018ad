"""What the reviewer's tests (tests/review/) share: requests stored directly, and the queue."""

import datetime
import re

from portal import intake, workflow
from portal.models import Request, TimelineEvent

from .requesters import request_fields

HTMX = {"HX-Request": "true"}
REFERENCE = re.compile(r'class="reference">(AR-\d{4}-\d{4})<')
CHANGED = (
    "This request was changed by someone else while you were looking at it. "
    "Reload the page and decide again."
)
NOT_POSSIBLE = "This action is not possible in the request's current state."


def new_request(app, days_old=0, state=None, **overrides):
    """A request stored directly (quicker than the form), `days_old` days old; its reference."""
    with app.app_context():
        req = intake.submit(request_fields(**overrides), "en").request
        changes = {}
        if days_old:
            changes["created_at"] = req.created_at - datetime.timedelta(days=days_old, hours=1)
        if state:
            # As workflow.transition would leave it: the queue's order is stored with it.
            changes["state"] = state
            changes["queue_rank"] = workflow.queue_rank(state, req.urgency)
        if changes:
            Request.update(**changes).where(Request.id == req.id).execute()
        return req.reference


def stored(app, reference):
    with app.app_context():
        return Request.get(Request.reference == reference)


def timeline_count(app, reference):
    with app.app_context():
        return TimelineEvent.select().join(Request).where(Request.reference == reference).count()


def listed(page_html):
    """The references of the requests a page lists, in its order."""
    return REFERENCE.findall(page_html)
