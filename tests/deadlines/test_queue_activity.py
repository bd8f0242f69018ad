"""What the queue shows of a request's life: when something last happened, and "New answer
from the requester" until the reviewer opens the request (for that reviewer only)."""

import pytest

from portal import intake, review
from portal.models import Request

from .story import at, moment, queue_row
from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    Requester,
    StaffClient,
    create_staff_account,
    request_fields,
)

# Two reviewers stay signed in for the whole (frozen-clock) day.
pytestmark = pytest.mark.app_config(
    **PASSWORD_ALONE, **ROOM_FOR_MANY, STAFF_IDLE_MINUTES=24 * 60, STAFF_ABSOLUTE_HOURS=24
)

ANSWER = "The hearing is on 12 May, in Popayán."


class Story:
    """At T0 a requester sends a request through the form; Alice and Bob review requests."""

    def __init__(self, app):
        with at():
            self.person = Requester(app.test_client())
            self.code = self.person.submit_and_get_code()
            with app.app_context():
                self.reference = intake.open_with_code(self.code).reference
                alice = create_staff_account("alice@network.test", "reviewer")
                bob = create_staff_account("bob@network.test", "reviewer")
            self.alice, self.bob = StaffClient(app, alice), StaffClient(app, bob)

    def row_for(self, reviewer):
        return queue_row(reviewer.page("/review/"), self.reference)

    def open_request(self, reviewer):
        return reviewer.page(f"/review/{self.reference}")

    def requester_writes(self, text):
        assert self.person.open(self.code).status_code == 303
        assert self.person.send_message(text).status_code == 303


@pytest.fixture
def story(app):
    return Story(app)


def test_an_answer_is_new_to_each_reviewer_until_they_open_the_request(story):
    with at(hours=1):
        story.open_request(story.alice)
        assert story.alice.act(story.reference, "start_review").status_code == 303
    with at(hours=2):
        question = story.alice.ask(story.reference, "Which dates?")
        assert question.status_code == 303
        story.open_request(story.alice)  # the browser follows the redirect
        assert not story.row_for(story.alice).new_answer
    with at(hours=5):
        story.requester_writes(ANSWER)

    with at(hours=6):
        alices, bobs = story.row_for(story.alice), story.row_for(story.bob)
        story.open_request(story.alice)
    with at(hours=6, minutes=5):
        alices_after, bobs_after = story.row_for(story.alice), story.row_for(story.bob)
        story.open_request(story.bob)
    with at(hours=6, minutes=10):
        bobs_at_last = story.row_for(story.bob)

    assert alices.new_answer
    assert bobs.new_answer
    assert not alices_after.new_answer, "opened by Alice: no longer new to her"
    assert bobs_after.new_answer, "Bob has not opened it yet"
    assert not bobs_at_last.new_answer


def test_a_message_from_staff_is_never_a_new_answer(story):
    with at(hours=1):
        response = story.alice.post(
            f"/review/{story.reference}/message", {"message-body": "We read your request."}
        )
        assert response.status_code == 303

    with at(hours=2):
        assert not story.row_for(story.alice).new_answer
        assert not story.row_for(story.bob).new_answer


def test_the_last_activity_is_the_latest_message_or_event(story):
    with at(hours=3):
        arrived = story.row_for(story.alice)
    with at(hours=4):
        written = story.alice.post(
            f"/review/{story.reference}/message", {"message-body": "We read your request."}
        )
        assert written.status_code == 303
    with at(hours=5):
        after_staff_message = story.row_for(story.alice)
    with at(hours=6):
        story.requester_writes(ANSWER)
    with at(hours=8):
        after_answer = story.row_for(story.bob)
        assert story.alice.act(story.reference, "start_review").status_code == 303
    with at(hours=9):
        after_event = story.row_for(story.bob)

    assert (arrived.last_activity_at, arrived.last_activity) == ("2025-03-03T09:00Z", "3 hours ago")
    assert (after_staff_message.last_activity_at, after_staff_message.last_activity) == (
        "2025-03-03T13:00Z",
        "60 minutes ago",
    )
    assert (after_answer.last_activity_at, after_answer.last_activity) == (
        "2025-03-03T15:00Z",
        "2 hours ago",
    )
    assert (after_event.last_activity_at, after_event.last_activity) == (
        "2025-03-03T17:00Z",
        "60 minutes ago",
    )


def test_what_is_new_and_the_last_activity_are_the_same_on_both_databases(backend_app):
    app = backend_app
    with at(), app.app_context():
        alice = create_staff_account("alice@network.test", "reviewer")
        bob = create_staff_account("bob@network.test", "reviewer")
        request = intake.submit(request_fields(), "en").request
    with at(hours=1), app.app_context():
        review.open_for_staff(request.reference, alice)
    with at(hours=2), app.app_context():
        intake.add_information(request, ANSWER)

    with at(hours=3), app.app_context():
        before = {who.email: life_of(request, who) for who in (alice, bob)}
        review.open_for_staff(request.reference, alice)
        after = {who.email: life_of(request, who) for who in (alice, bob)}

    assert before == {
        "alice@network.test": (True, moment(hours=2)),
        "bob@network.test": (True, moment(hours=2)),
    }
    assert after == {
        "alice@network.test": (False, moment(hours=2)),
        "bob@network.test": (True, moment(hours=2)),
    }


def life_of(request, reviewer):
    """(new answer?, last activity) of `request` on `reviewer`'s queue."""
    fresh = Request.get_by_id(request.id)
    life = review.activity([fresh], reviewer)[fresh.id]
    return life.new_answer, life.last_at
