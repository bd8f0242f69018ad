"""The organization's inbox: when each offer arrived, its urgency and place, the requests it
works on now, and a history of what no longer needs an answer, in words, newest first and in
pages. Only ever the member's own organization's offers."""

import datetime
import re

import pytest
import time_machine
from markupsafe import escape

from portal import i18n, offers, vocabulary, workflow
from portal.models import Offer, Request

from portal_testing import (
    HOSTILE,
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    StaffClient,
    add_organization,
    approved_request,
    create_staff_account,
)
from portal_testing.offers import CLOSING

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

# A Monday morning, UTC; the story's offers arrive an hour apart from then on.
T0 = datetime.datetime(2025, 3, 3, 9, 0)
SUMMARY = "A community leader threatened; accompaniment to court hearings is asked."
PLAN = "By phone within two days."

WORDS = {
    "declined": "Declined by your organization on March 3, 2025",
    "taken_by_another": "Another organization accepted it",
    "expired": "Nobody answered in time",
    "withdrawn": "Closed",
    "completed": "Completed",
}


def at(hours):
    return time_machine.travel(T0 + datetime.timedelta(hours=hours), tick=False)


class Story:
    """Two organizations, Brigadas (ours) and Tejido, one member each; requests offered to
    them one an hour from T0 and answered as each test needs. References by name, and the
    handles of their offers, which are what members see."""

    def __init__(self, app):
        self.app = app
        self.references = {}
        self.handles = {}
        self.hour = 0
        with app.app_context():
            self.reviewer = create_staff_account("reviewer@network.test", "reviewer")
            self.ours = add_organization("brigadas", name="Brigadas del Macizo")
            self.theirs = add_organization("tejido", name="Tejido Solidario Andino")
            self.members = {
                org.key: create_staff_account(
                    f"member@{org.key}.test", "org_member", organization=org
                )
                for org in (self.ours, self.theirs)
            }

    def offered(self, name, to=("brigadas",), **fields):
        """A request offered to these organizations, the next hour; its offers by key."""
        self.hour += 1
        with at(self.hour), self.app.app_context():
            request = approved_request(self.reviewer, **fields)
            organizations = [self.ours if key == "brigadas" else self.theirs for key in to]
            made = offers.offer(
                request,
                organizations,
                self.reviewer,
                expected_version=request.version,
                summary=SUMMARY,
            )
            self.references[name] = request.reference
            self.handles[name] = {o.organization.key: o.handle for o in made}
            return {o.organization.key: o for o in made}

    def handle(self, name, key="brigadas"):
        """The handle of the offer of request `name` to the organization `key`."""
        return self.handles[name][key]

    def arrived(self, name):
        with self.app.app_context():
            request = Request.get(Request.reference == self.references[name])
            return Offer.get(Offer.request == request).created_at

    def member(self, key="brigadas"):
        return StaffClient(self.app, self.members[key])

    def declined(self, name, key="brigadas", to=("brigadas", "tejido")):
        made = self.offered(name, to=to)
        with at(self.hour + 0.5), self.app.app_context():
            offers.decline(made[key], self.members[key], "No one free that week.")

    def taken_by(self, name, key):
        made = self.offered(name, to=("brigadas", "tejido"))
        with at(self.hour + 0.5), self.app.app_context():
            offers.accept(made[key], self.members[key], PLAN)
        return made[key]

    def expired(self, name):
        made = self.offered(name)
        with self.app.app_context():
            assert offers.expire_due(made["brigadas"].expires_at) == 1

    def withdrawn(self, name):
        self.offered(name)
        with at(self.hour + 0.5), self.app.app_context():
            request = Request.get(Request.reference == self.references[name])
            workflow.transition(request, vocabulary.WITHDRAWN, vocabulary.REQUESTER)

    def completed(self, name):
        ours = self.taken_by(name, "brigadas")
        member = self.members["brigadas"]
        with at(self.hour + 0.6), self.app.app_context():
            version = Request.get_by_id(ours.request_id).version
            offers.start(Offer.get_by_id(ours.id), member, expected_version=version)
            version = Request.get_by_id(ours.request_id).version
            offers.complete(
                Offer.get_by_id(ours.id), member, expected_version=version, report=CLOSING
            )


@pytest.fixture
def story(app):
    return Story(app)


def sections(page):
    """The inbox's three lists: waiting, taken on, history."""
    waiting, rest = page.split('id="taken-heading"')
    taken, history = rest.split('id="history-heading"')
    return waiting, taken, history


def history_rows(page):
    """(handle, what happened) for each row of the history, in order."""
    return [
        (handle, " ".join(words.split()))
        for handle, words in re.findall(
            r'class="handle">([^<]+)</a></th>\s*<td class="inbox-outcome[^"]*"[^>]*>(.*?)</td>',
            sections(page)[2],
            re.S,
        )
    ]


def test_each_waiting_offer_shows_when_it_arrived_its_urgency_and_its_place(story, app):
    story.offered("emergency", urgency="emergency", place="Toribío, vereda El Credo")
    page = story.member().text("/org/")
    waiting, taken, history = sections(page)

    arrived = story.arrived("emergency")
    with app.test_request_context():
        in_words = i18n.moment(arrived)
    assert "Offered on (UTC)" in waiting
    assert f'<time datetime="{arrived.isoformat(timespec="minutes")}Z">{in_words}</time>' in waiting
    # On a phone each cell says what it is (the column headings are for screen readers).
    assert 'data-label="Offered on (UTC)"' in waiting
    assert 'data-label="Urgency">Emergency' in waiting
    assert (
        '<td class="inbox-place" data-label="Town or area" hx-disable>'
        '<span class="user-text" dir="auto">Toribío, vereda El Credo</span>'
    ) in waiting
    assert story.handle("emergency") in waiting
    assert story.handle("emergency") not in taken + history


def test_the_place_the_requester_typed_is_shown_inert(story):
    for name, typed in HOSTILE.items():
        story.offered(name, place=typed)
    raw = story.member().page("/org/")  # the HTML as sent, entities and all
    places = re.findall(
        r'<td class="inbox-place" data-label="Town or area" hx-disable>'
        r'<span class="user-text" dir="auto">(.*?)</span></td>',
        raw,
        re.S,
    )
    assert sorted(places) == sorted(str(escape(typed)) for typed in HOSTILE.values())
    for typed in HOSTILE.values():
        if "<" in typed:
            assert typed not in raw, typed


def test_every_offer_that_ended_is_in_the_history_in_words_newest_first(story):
    story.expired("expired")  # first: its lapse must not reach the offer still waiting
    story.offered("waiting", to=("brigadas", "tejido"))
    story.declined("declined")
    story.taken_by("taken by another", "tejido")
    story.withdrawn("withdrawn")
    story.completed("completed")
    story.taken_by("working", "brigadas")
    story.declined("theirs declined", key="tejido", to=("tejido",))

    page = story.member().text("/org/")
    waiting, taken, history = sections(page)

    refs = {name: story.handle(name) for name, made in story.handles.items() if "brigadas" in made}
    assert refs["waiting"] in waiting and refs["waiting"] not in taken + history
    assert refs["working"] in taken and refs["working"] not in waiting + history
    # Newest first (by when the offer arrived), each in words, none in the current lists.
    ended = ["completed", "withdrawn", "taken by another", "declined", "expired"]
    outcome = {
        "completed": "completed",
        "withdrawn": "withdrawn",
        "taken by another": "taken_by_another",
        "declined": "declined",
        "expired": "expired",
    }
    assert history_rows(page) == [(refs[name], WORDS[outcome[name]]) for name in ended]
    for name in ended:
        assert refs[name] not in waiting + taken, name
    assert "5 offers" in history
    # Another organization's offers, declined or not, never show.
    assert story.handle("theirs declined", "tejido") not in page
    assert story.handle("waiting", "tejido") not in page
    assert "Requests your organization took on" in page


def test_the_history_comes_in_pages_that_work_without_javascript(story):
    for number in range(offers.HISTORY_PER_PAGE + 2):
        story.declined(f"declined {number}", to=("brigadas",))
    member = story.member()
    refs = {name: story.handle(name) for name in story.handles}
    newest, oldest = refs[f"declined {offers.HISTORY_PER_PAGE + 1}"], refs["declined 0"]

    first = member.text("/org/")
    assert len(history_rows(first)) == offers.HISTORY_PER_PAGE
    assert history_rows(first)[0][0] == newest and oldest not in first
    assert "page 1 of 2" in first
    assert 'href="/org/?page=2#history"' in first  # a plain link, back to this section

    second = member.text("/org/?page=2")
    assert [ref for ref, _ in history_rows(second)] == [refs["declined 1"], oldest]
    assert "page 2 of 2" in second and 'href="/org/?page=1#history"' in second

    # A page number that is not one, or out of range, gives the nearest page: never an error.
    for asked, shown in (("abc", 1), ("-1", 1), ("0", 1), ("99999", 2), ("1e9", 1), ("", 1)):
        response = member.get(f"/org/?page={asked}")
        assert response.status_code == 200, asked
        assert f"page {shown} of 2" in response.get_data(as_text=True), asked


def test_a_member_never_sees_another_organizations_history(story):
    story.declined("theirs declined", key="tejido", to=("tejido",))
    story.expired("ours expired")
    with story.app.app_context():
        assert offers.history(story.theirs, 1).total == 1
        assert [p.offer.request.reference for p in offers.history(story.ours, 1).items] == [
            story.references["ours expired"]
        ]
    ours = story.member("brigadas").text("/org/")
    theirs = story.member("tejido").text("/org/")
    assert story.handle("theirs declined", "tejido") not in ours
    assert story.handle("ours expired") not in theirs
    assert history_rows(theirs) == [(story.handle("theirs declined", "tejido"), WORDS["declined"])]
