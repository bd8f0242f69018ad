"""What the deadline tests share: a clock, an emergency offered to two organizations, and the
review queue read row by row."""

import datetime
import html
import re

import time_machine

from portal import offers
from portal.models import Offer, Request, User

from portal_testing import add_organization, approved_request, create_staff_account

# A Monday morning, UTC.
T0 = datetime.datetime(2025, 3, 3, 9, 0)
SUMMARY = "A community leader threatened; accompaniment to court hearings is asked."
ORGANIZATIONS = ("brigadas", "tejido")


def moment(hours=0.0, minutes=0.0, days=0.0):
    return T0 + datetime.timedelta(days=days, hours=hours, minutes=minutes)


def at(hours=0.0, minutes=0.0, days=0.0):
    """The clock stopped at T0 plus this long (a context manager)."""
    return time_machine.travel(moment(hours, minutes, days), tick=False)


class OfferedEmergency:
    """At T0: an emergency approved and offered to two organizations, each with one member.

    Accounts only: nobody is signed in (sign in when the clock is where the test looks).
    """

    def __init__(self, app):
        self.app = app
        with at(), app.app_context():
            self.reviewer = create_staff_account("reviewer@network.test", "reviewer")
            request = approved_request(self.reviewer, urgency="emergency")
            organizations = [add_organization(key) for key in ORGANIZATIONS]
            self.members = {
                org.key: create_staff_account(
                    f"member@{org.key}.test", "org_member", organization=org
                )
                for org in organizations
            }
            made = offers.offer(
                request,
                organizations,
                self.reviewer,
                expected_version=request.version,
                summary=SUMMARY,
            )
            self.handle = {offer.organization.key: offer.handle for offer in made}
            self.reference = request.reference

    def request(self):
        with self.app.app_context():
            return Request.get(Request.reference == self.reference)

    def offer_states(self):
        with self.app.app_context():
            return {
                key: Offer.get(Offer.handle == handle).state
                for key, handle in sorted(self.handle.items())
            }

    def member(self, key):
        with self.app.app_context():
            return User.get_by_id(self.members[key].id)


_HEADER = re.compile(r'<th scope="col">(.*?)</th>', re.S)
_ROW = re.compile(r'<tr class="([^"]*)">(.*?)</tr>', re.S)
_REFERENCE = re.compile(r'class="reference">([A-Z]{2}-\d{4}-\d{4})<')
_TIMES = re.compile(r'<time datetime="([^"]+)"')
_CELLS = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)


def _text(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


class QueueRow:
    """One request as the queue shows it: its cells by column heading."""

    def __init__(self, classes, cells, raw):
        self.classes = classes.split()
        self.cells = cells
        self.raw = raw

    @property
    def reference(self):
        return _REFERENCE.search(self.cells["Reference"]).group(1)

    @property
    def overdue(self):
        return "overdue" in self.classes

    @property
    def response_time(self):
        return _text(self.cells["Response time"])

    @property
    def last_activity(self):
        return _text(self.cells["Last activity"])

    @property
    def last_activity_at(self):
        """The moment the "Last activity" cell gives to machines (UTC, to the minute)."""
        return _TIMES.search(self.cells["Last activity"]).group(1)

    @property
    def new_answer(self):
        return "New answer from the requester" in _text(self.cells["Reference"])


def queue_rows(page):
    """The queue's rows, in the order shown."""
    table = page.split("<thead>", 1)[1]
    head, body = table.split("<tbody>", 1)
    headings = [_text(heading) for heading in _HEADER.findall(head)]
    body = body.split("</tbody>", 1)[0]
    return [
        QueueRow(classes, dict(zip(headings, _CELLS.findall(row), strict=True)), row)
        for classes, row in _ROW.findall(body)
    ]


def queue_row(page, reference):
    (row,) = [row for row in queue_rows(page) if row.reference == reference]
    return row
