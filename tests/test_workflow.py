"""The life of a request: allowed moves, refused moves, races, and all-or-nothing writes."""

import pytest

from portal import intake, vocabulary, workflow
from portal.models import Request, TimelineEvent

from portal_testing import request_fields
from portal_testing.keys import as_escrow


@pytest.fixture
def submitted(app):
    with app.app_context():
        yield intake.submit(request_fields(), "en").request


def test_a_new_request_and_its_first_event_are_stored_together(submitted):
    events = list(submitted.timeline())
    assert [(e.actor, e.from_state, e.to_state) for e in events] == [
        ("requester", None, "submitted")
    ]


def test_nothing_is_stored_when_the_first_event_cannot_be_written(app, monkeypatch):
    def broken_create(*args, **kwargs):
        raise RuntimeError("disk full")

    with app.app_context():
        monkeypatch.setattr(TimelineEvent, "create", broken_create)
        with pytest.raises(RuntimeError):
            intake.submit(request_fields(), "en")
        assert Request.select().count() == 0


def test_requester_withdraws_an_open_request(submitted):
    event = workflow.transition(submitted, vocabulary.WITHDRAWN, "requester")
    stored = Request.get_by_id(submitted.id)
    assert stored.state == "withdrawn"
    assert stored.version == 2
    assert (event.from_state, event.to_state, event.actor) == (
        "submitted",
        "withdrawn",
        "requester",
    )


@pytest.mark.parametrize(
    ("start", "target", "actor"),
    [
        ("submitted", "approved", "staff"),  # review cannot be skipped
        ("submitted", "in_review", "requester"),  # only staff review
        ("in_review", "approved", "organization"),
        ("offered", "accepted", "staff"),  # only an organization accepts
        ("withdrawn", "in_review", "staff"),  # closed stays closed
        ("completed", "withdrawn", "requester"),
        ("rejected", "withdrawn", "requester"),
    ],
)
def test_forbidden_moves_are_refused_and_change_nothing(submitted, start, target, actor):
    Request.update(state=start).where(Request.id == submitted.id).execute()
    submitted.state = start
    with pytest.raises(workflow.TransitionRefused):
        workflow.transition(submitted, target, actor)
    assert Request.get_by_id(submitted.id).state == start
    assert submitted.timeline().count() == 1


def test_every_open_state_can_be_withdrawn_and_rejected():
    for state in vocabulary.OPEN_STATES:
        assert workflow.allowed(state, vocabulary.WITHDRAWN, "requester")
        assert workflow.allowed(state, vocabulary.REJECTED, "staff")
    for state in vocabulary.CLOSED_STATES:
        assert not workflow.allowed(state, vocabulary.WITHDRAWN, "requester")


def test_a_stale_copy_cannot_overwrite_a_newer_change(submitted):
    stale = Request.get_by_id(submitted.id)
    workflow.transition(submitted, vocabulary.IN_REVIEW, "staff")
    with pytest.raises(workflow.ConcurrentChange):
        workflow.transition(stale, vocabulary.WITHDRAWN, "requester")
    assert Request.get_by_id(submitted.id).state == "in_review"
    assert submitted.timeline().count() == 2


def test_an_answer_to_a_question_resumes_the_review(submitted):
    workflow.transition(submitted, vocabulary.IN_REVIEW, "staff")
    workflow.transition(submitted, vocabulary.NEEDS_INFO, "staff")
    intake.add_information(submitted, "The hearing moved to 3 May.")
    assert Request.get_by_id(submitted.id).state == "in_review"
    with as_escrow():  # sealed to the request's thread key
        assert [m.body for m in submitted.messages()] == ["The hearing moved to 3 May."]


def test_every_state_has_a_public_label_and_explanation():
    states = vocabulary.OPEN_STATES | vocabulary.CLOSED_STATES
    assert set(vocabulary.PUBLIC_LABELS) == states
    assert set(vocabulary.PUBLIC_EXPLANATIONS) == states


def test_the_same_form_arriving_twice_at_once_is_kept_once(app, monkeypatch):
    with app.app_context():
        intake.submit(request_fields(), "en", submission_token="same-token")
        # The second copy passed the "already stored?" check before the first was written.
        real_check = intake._already_stored
        answers = [False]
        monkeypatch.setattr(
            intake,
            "_already_stored",
            lambda digest: answers.pop() if answers else real_check(digest),
        )
        with pytest.raises(intake.AlreadySubmitted):
            intake.submit(request_fields(), "en", submission_token="same-token")
        assert Request.select().count() == 1
        assert TimelineEvent.select().count() == 1
