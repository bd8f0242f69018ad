"""Administrators read the audit trail.

What the audit tests share: the trail page's entries as a person reads them, and events
written at a given time.
"""

import datetime
import re
from html.parser import HTMLParser

from portal import audit
from portal.models import AuditEvent


class _Entries(HTMLParser):
    """The rows of the audit table: each cell's text, whitespace as a reader sees it."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif self._in_body and tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            # Collapsed as HTML collapses spaces: no-break spaces (French before ":") stay.
            self.rows[-1].append(re.sub(r"[ \t\r\n]+", " ", "".join(self._cell)).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def entries(response):
    """(time, sentence) of each row of the audit table, as a person reads them."""
    return [tuple(row) for row in _Entries(response.get_data(as_text=True)).rows]


def sentences(response):
    """The sentence of each row of the audit table, newest first."""
    return [sentence for _, sentence in entries(response)]


def record_at(app, action, when, **fields):
    """An audit event written as the code writes it, dated `when` (a tuple, UTC)."""
    with app.app_context():
        event = audit.record(action, **fields)
        created_at = datetime.datetime(*when)
        AuditEvent.update(created_at=created_at).where(AuditEvent.id == event.id).execute()
        return event
