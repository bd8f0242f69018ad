"""What a reviewer does with a request, and the actions refused."""

import re

import pytest

from portal import offers, review, vocabulary, workflow
from portal.models import InternalNote, Message, Offer, Organization, Request, utcnow

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    add_organization,
    approved_request,
    page_text,
)
from portal_testing.review import (
    CHANGED,
    NOT_POSSIBLE,
    new_request,
    stored,
    timeline_count,
)
from portal_testing.staff import IRREVERSIBLE

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def actions_on(page):
    return re.findall(r'name="action" value="([a-z_]+)"', page)


def test_only_the_allowed_actions_are_offered(app, reviewer):
    reference = new_request(app)
    assert actions_on(reviewer.page(f"/review/{reference}")) == ["start_review", "reject"]
    reviewer.act(reference, "start_review")
    page = reviewer.page(f"/review/{reference}")
    # Asking is a tick in the message form, not a button of its own.
    assert actions_on(page) == ["approve", "reject"]
    assert 'name="message-ask"' in page
    closed = new_request(app, state="withdrawn")
    page = reviewer.page(f"/review/{closed}")
    assert actions_on(page) == []
    assert "No action is possible in this state." in page


def test_each_action_form_carries_the_version_of_the_page(app, reviewer):
    reference = new_request(app)
    page = reviewer.page(f"/review/{reference}")
    forms = re.findall(r'<form method="post" action="/review/[^"]+/act".*?</form>', page, re.S)
    assert len(forms) == 2
    for form in forms:
        assert '<input type="hidden" name="version" value="1">' in form


def test_a_reviewer_starts_the_review(app, reviewer):
    reference = new_request(app)
    response = reviewer.act(reference, "start_review")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/review/{reference}"
    assert stored(app, reference).state == "in_review"
    page = page_text(reviewer.get(f"/review/{reference}"))
    assert "The review has started." in page
    timeline = page.split('id="timeline-heading"')[1]
    assert "In review" in timeline
    assert reviewer.user.email in timeline


def test_the_whole_story_through_the_pages(app, reviewer, person):
    reference = person.reference
    assert reviewer.act(reference, "start_review").status_code == 303

    question = "Which town exactly, and since when?"
    response = reviewer.ask(reference, question)
    assert response.status_code == 303
    assert stored(app, reference).state == "needs_info"
    tracking = person.tracking_page()
    assert question in tracking
    assert "Waiting for your answer" in tracking
    assert "The network" in tracking
    assert reviewer.user.email not in tracking

    assert person.send_message("In Popayán, since March.").status_code == 303
    assert stored(app, reference).state == "in_review"
    assert "In Popayán, since March." in page_text(reviewer.get(f"/review/{reference}"))

    assert reviewer.act(reference, "approve").status_code == 303
    assert stored(app, reference).state == "approved"
    assert "Approved, looking for an organization" in person.tracking_page()


@pytest.mark.parametrize("reason", list(vocabulary.REJECTION_REASONS))
def test_a_rejection_shows_the_requester_the_kind_explanation_of_its_reason(
    app, reviewer, reason, person
):
    response = reviewer.act(person.reference, "reject", reason=reason)
    assert response.status_code == 303
    assert stored(app, person.reference).state == "rejected"
    label, explanation = vocabulary.REJECTION_REASONS[reason]
    tracking = person.tracking_page()
    assert "Not taken forward" in tracking
    assert str(explanation) in tracking
    staff_page = page_text(reviewer.get(f"/review/{person.reference}"))
    assert f"Reason: {label}" in staff_page


def test_the_note_given_with_a_rejection_stays_internal(app, reviewer, person):
    note = "Looks like a test submission from the same sender."
    response = reviewer.act(person.reference, "reject", reason="duplicate", note=note)
    assert response.status_code == 303
    assert note in page_text(reviewer.get(f"/review/{person.reference}"))
    assert note not in person.tracking_page()


@pytest.mark.parametrize(
    ("state", "action", "fields", "shown"),
    [
        ("submitted", "approve", {"confirm": "y"}, NOT_POSSIBLE),
        ("in_review", "ask_info", {"message": "A question"}, NOT_POSSIBLE),  # the message form
        ("withdrawn", "start_review", {}, NOT_POSSIBLE),
        ("in_review", "delete", {}, NOT_POSSIBLE),
        ("in_review", "", {}, NOT_POSSIBLE),
        ("in_review", "state", {"state": "approved"}, NOT_POSSIBLE),
    ],
)
def test_refused_actions_answer_409_and_change_nothing(app, reviewer, state, action, fields, shown):
    reference = new_request(app, state=state)
    before = timeline_count(app, reference)
    response = reviewer.act(reference, action, **fields)
    assert response.status_code == 409
    assert shown in page_text(response)
    _nothing_changed(app, reference, state, before)


def _nothing_changed(app, reference, state, timeline_before):
    after = stored(app, reference)
    assert (after.state, after.version) == (state, 1)
    assert timeline_count(app, reference) == timeline_before
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0


@pytest.mark.parametrize(
    ("action", "fields", "shown", "by"),
    [
        ("reject", {"confirm": "y"}, "Please choose a reason.", "reason"),
        ("reject", {"reason": "because", "confirm": "y"}, "Please choose a reason.", "reason"),
        ("reject", {"reason": "other", "note": "x" * 20_001}, "at most 20,000", "note"),
        (
            "reject",
            {"reason": "other", "note": "Why"},
            "Tick this box to confirm.",
            "confirm-reject",
        ),
        ("approve", {}, "Tick this box to confirm.", "confirm-approve"),
        ("approve", {"confirm": ""}, "Tick this box to confirm.", "confirm-approve"),
    ],
)
def test_a_missing_or_wrong_field_answers_422_by_the_field_and_changes_nothing(
    app, reviewer, action, fields, shown, by
):
    reference = new_request(app, state="in_review")
    before = timeline_count(app, reference)
    response = reviewer.act(reference, action, confirmed=False, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # By the field, and in a summary that links to it.
    assert f'id="{by}-error"' in page
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert f'href="#{by}"' in summary and shown in page_text(response)
    _nothing_changed(app, reference, "in_review", before)


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({}, "Please write a message before sending."),
        ({"message-body": "   "}, "Please write a message before sending."),
        ({"message-body": "bad\x00"}, "invisible control characters"),
    ],
)
def test_a_question_without_words_is_refused_by_its_field(app, reviewer, fields, shown):
    reference = new_request(app, state="in_review")
    before = timeline_count(app, reference)
    response = reviewer.post(
        f"/review/{reference}/message", {"message-ask": "y", "message-version": "1", **fields}
    )
    assert response.status_code == 422
    assert shown in page_text(response)
    assert 'href="#message-body"' in response.get_data(as_text=True)
    _nothing_changed(app, reference, "in_review", before)


def test_a_question_in_a_state_that_cannot_wait_is_refused(app, reviewer):
    reference = new_request(app)  # submitted: the review has not started
    response = reviewer.ask(reference, "Which town?")
    assert response.status_code == 409
    assert NOT_POSSIBLE in page_text(response)
    assert "Which town?</textarea>" in response.get_data(as_text=True)
    _nothing_changed(app, reference, "submitted", timeline_count(app, reference))


@pytest.mark.parametrize("action", sorted(IRREVERSIBLE))
def test_every_action_that_cannot_be_undone_needs_its_tick(app, reviewer, action):
    state = {"take_back": "offered", "close": "active"}.get(action, "in_review")
    reference = new_request(app, state=state)
    before = timeline_count(app, reference)
    response = reviewer.act(reference, action, confirmed=False, reason="other")
    assert response.status_code == 422, action
    assert "Tick this box to confirm." in page_text(response)
    assert stored(app, reference).state == state
    assert timeline_count(app, reference) == before
    # The page offers the tick, with words that say what will happen.
    page = reviewer.page(f"/review/{reference}")
    assert f'id="confirm-{action}"' in page


def test_a_refused_action_keeps_what_was_written(app, reviewer):
    reference = new_request(app, state="in_review")
    response = reviewer.act(reference, "reject", note="My internal thoughts")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "My internal thoughts</textarea>" in page
    assert 'id="reason-error"' in page
    response = reviewer.ask(reference, "bad\x01question")
    assert "bad\x01question</textarea>" in response.get_data(as_text=True)


def test_a_posted_state_is_ignored(app, reviewer):
    reference = new_request(app)
    response = reviewer.act(reference, "start_review", state="approved", version="1")
    assert response.status_code == 303
    assert stored(app, reference).state == "in_review"


def test_a_stale_page_is_refused_with_a_clear_message(app, reviewer, admin):
    reference = new_request(app)
    # Both open the page at version 1; the administrator is quicker.
    assert admin.act(reference, "start_review", version="1").status_code == 303
    before = timeline_count(app, reference)

    for action, fields in [
        ("start_review", {}),
        ("reject", {"reason": "duplicate"}),
        ("approve", {}),
    ]:
        response = reviewer.act(reference, action, version="1", **fields)
        assert response.status_code == 409
        assert CHANGED in page_text(response)
    after = stored(app, reference)
    assert (after.state, after.version) == ("in_review", 2)
    assert timeline_count(app, reference) == before


@pytest.mark.parametrize("version", ["", "abc", "-1", "2", "99999999999999999999"])
def test_a_missing_or_forged_version_is_refused(app, reviewer, version):
    reference = new_request(app)
    response = reviewer.act(reference, "start_review", version=version)
    assert response.status_code == 409
    assert CHANGED in page_text(response)
    assert stored(app, reference).state == "submitted"


def test_the_409_page_shows_the_request_as_it_is_now(app, reviewer, admin):
    reference = new_request(app)
    admin.act(reference, "start_review", version="1")
    page = reviewer.act(reference, "start_review", version="1").get_data(as_text=True)
    assert actions_on(page) == ["approve", "reject"]
    assert '<input type="hidden" name="version" value="2">' in page


def test_act_checks_the_version_before_the_state(app, reviewer):
    reference = new_request(app)
    with app.app_context():
        req = Request.get(Request.reference == reference)
        with pytest.raises(workflow.ConcurrentChange):
            review.act(req, reviewer.user, "approve", expected_version=7)
        with pytest.raises(review.ActionRefused) as refused:
            review.act(req, reviewer.user, "approve", expected_version=1)
        assert refused.value.missing is None
        with pytest.raises(review.ActionRefused) as refused:
            review.act(req, reviewer.user, "reject", expected_version=1, reason="nope")
        assert refused.value.missing == "reason"


def test_the_staff_labels_name_every_state():
    assert set(vocabulary.STAFF_LABELS) == vocabulary.OPEN_STATES | vocabulary.CLOSED_STATES


def test_an_archived_organization_is_neither_ranked_nor_offered_a_request(app, reviewer):
    with app.app_context():
        request = approved_request(reviewer.user)
        add_organization("andes")
        Organization.update(archived_at=utcnow()).where(Organization.key == "andes").execute()
        assert review.matches_for(request) == []
        # Not even by a hand-made post naming it.
        with pytest.raises(offers.OfferRefused):
            review.offer_to(
                request, ["andes"], reviewer.user, expected_version=request.version, summary="S"
            )
        assert Offer.select().count() == 0
