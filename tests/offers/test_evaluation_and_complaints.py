"""After an organization took a request on, the requester may tell the network how it went
and complain about the organization; network staff read both, the organization neither."""

import html

import pytest

from portal.db import db
from portal.models import Complaint, Evaluation

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, csrf_token, page_text
from portal_testing.offers import offer_url

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

COMMENT = "They came every week; the threats stopped for a while."
COMPLAINT = "The volunteer shared our location in a public group."


def post(case, path, **data):
    client = case.requester.client
    return client.post(path, data={"csrf_token": csrf_token(client, "/track"), **data})


def evaluate(case, **answers):
    return post(case, "/track/evaluation", **{f"evaluation-{k}": v for k, v in answers.items()})


def complain(case, body):
    return post(case, "/track/complaint", **{"complaint-body": body})


@pytest.fixture
def completed(case):
    case.accept("brigadas")
    case.move("brigadas", "start")
    case.move("brigadas", "complete")
    case.requester.open(case.code)
    return case


def test_after_completion_the_requester_tells_how_it_went_once(completed):
    assert "How did it go?" in completed.requester.tracking_page()

    response = evaluate(completed, useful="yes", safer="partly", comment=COMMENT)

    assert response.status_code == 303
    page = completed.requester.tracking_page()
    assert "Thank you for your answer." in page
    assert 'action="/track/evaluation"' not in page
    staff = page_text(completed.reviewer.get(f"/review/{completed.reference}"))
    assert COMMENT in staff and "Partly" in staff
    again = evaluate(completed, useful="no")
    assert again.status_code == 303
    with completed.app.app_context(), db.connection_context():
        (only,) = Evaluation.select()
        assert (only.useful, only.safer) == ("yes", "partly")


def test_an_evaluation_needs_at_least_one_answer(completed):
    response = evaluate(completed, comment="   ")

    assert response.status_code == 200
    assert "Please answer at least one question, or write something." in page_text(response)
    with completed.app.app_context(), db.connection_context():
        assert Evaluation.select().count() == 0


def test_an_answer_that_is_not_offered_is_refused(completed):
    response = evaluate(completed, useful="<script>alert(1)</script>")

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    with completed.app.app_context(), db.connection_context():
        assert Evaluation.select().count() == 0


def test_no_evaluation_before_the_work_is_completed(case):
    case.accept("brigadas")
    case.requester.open(case.code)

    assert "How did it go?" not in case.requester.tracking_page()
    evaluate(case, useful="yes")
    with case.app.app_context(), db.connection_context():
        assert Evaluation.select().count() == 0


def test_a_complaint_reaches_staff_and_never_the_organization(completed):
    response = complain(completed, COMPLAINT)

    assert response.status_code == 303
    staff = page_text(completed.reviewer.get(f"/review/{completed.reference}"))
    assert COMPLAINT in staff and "Brigadas del Macizo" in staff
    member = completed.members["brigadas"].get(offer_url(completed.handle["brigadas"]))
    assert COMPLAINT not in page_text(member)


def test_a_complaint_can_be_made_while_the_organization_still_works(case):
    case.accept("brigadas")
    case.requester.open(case.code)

    assert complain(case, COMPLAINT).status_code == 303
    with case.app.app_context(), db.connection_context():
        assert Complaint.select().count() == 1


def test_no_complaint_before_an_organization_took_the_request(case):
    case.requester.open(case.code)

    assert "A problem with the organization?" not in case.requester.tracking_page()
    complain(case, COMPLAINT)
    with case.app.app_context(), db.connection_context():
        assert Complaint.select().count() == 0


def test_an_empty_complaint_is_explained_and_hostile_text_is_kept_as_text(completed):
    empty = complain(completed, "")
    assert "Please write what went wrong." in page_text(empty)

    body = '"><img src=x onerror=alert(1)>'
    complain(completed, body)
    staff = completed.reviewer.get(f"/review/{completed.reference}").get_data(as_text=True)
    assert body in html.unescape(staff)
    assert "<img src=x" not in staff


def test_the_requesters_word_is_sealed_to_the_networks_key(completed):
    """A copy of the database and the key files opens neither; a reviewer without the
    network's key reads that it is sealed, one with it reads it."""
    from portal import request_keys

    from portal_testing import StaffClient
    from portal_testing.keys import as_escrow

    assert evaluate(completed, useful="yes", comment=COMMENT).status_code == 303
    assert complain(completed, COMPLAINT).status_code == 303
    with completed.app.app_context(), db.connection_context():
        rows = [(e, "comment") for e in Evaluation.select()] + [
            (c, "body") for c in Complaint.select()
        ]
        for row, name in rows:
            stored = bytes(getattr(row, f"{name}_sealed"))
            assert stored.startswith(b"e1:") and COMMENT.encode() not in stored
            with pytest.raises(request_keys.Locked):
                getattr(row, name)
        with as_escrow():
            assert [getattr(row, name) for row, name in rows] == [COMMENT, COMPLAINT]

    later = StaffClient.create(completed.app, "reviewer", email="later@example.org")
    page = page_text(later.get(f"/review/{completed.reference}"))
    assert COMMENT not in page and COMPLAINT not in page
    assert "What the requester wrote is sealed to the network's key" in page
    staff = page_text(completed.reviewer.get(f"/review/{completed.reference}"))
    assert COMMENT in staff and COMPLAINT in staff
