"""Messages between the requester and network staff are sealed to the request's thread key:
the network's key opens it, and the requester's tracking code does, never the server alone."""

import pytest

from portal import envelopes, request_keys, sealing, sessions
from portal.db import db
from portal.models import Envelope, Message, Request, RequestKey, User

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    Requester,
    StaffClient,
    csrf_token,
)
from portal_testing.keys import as_escrow, private_of

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

QUESTION = "Is the hearing on Friday open to observers?"
ANSWER = "Yes: the court said so on Monday, in front of the mayor."


@pytest.fixture
def first(app):
    return StaffClient.create(app, "reviewer", email="first@example.org")


def submitted(client):
    requester = Requester(client)
    code = requester.submit_and_get_code()
    with client.application.app_context():
        return requester, code, Request.select().order_by(Request.id.desc()).get()


def answer(client, text):
    token = csrf_token(client, "/track")
    return client.post("/track/message", data={"body": text, "csrf_token": token})


def test_the_requester_and_the_network_read_the_thread_and_the_server_alone_does_not(app, first):
    client = app.test_client()
    requester, code, request = submitted(client)
    assert (
        first.post(f"/review/{request.reference}/message", {"message-body": QUESTION}).status_code
        == 303
    )
    assert requester.open(code).status_code == 303
    assert QUESTION in client.get("/track").get_data(as_text=True)
    assert answer(client, ANSWER).status_code == 303
    page = first.text(f"/review/{request.reference}")
    assert QUESTION in page and ANSWER in page

    with app.app_context():
        stored = [bytes(message.body_sealed) for message in Message.select()]
        assert all(blob.startswith(b"e1:") for blob in stored)
        assert not any(ANSWER.encode() in blob or QUESTION.encode() in blob for blob in stored)
        for message in Message.select():  # nobody reading: nothing opens
            with pytest.raises(request_keys.Locked):
                message.body  # noqa: B018
            with pytest.raises(sealing.SealError):
                sealing.keyring().open(message.body_sealed, f"message|body|{message.uid}")
        reviewer = User.by_email("first@example.org")
        with request_keys.reading_as(reviewer, private_of(reviewer)):
            assert [m.body for m in Message.select().order_by(Message.id)] == [QUESTION, ANSWER]
        with as_escrow():
            assert [m.body for m in Message.select().order_by(Message.id)] == [QUESTION, ANSWER]


def test_the_code_opens_the_requesters_own_thread_and_never_the_staff_notes(app, first):
    client = app.test_client()
    _, code, request = submitted(client)
    _, other_code, other = submitted(app.test_client())
    assert (
        first.post(
            f"/review/{request.reference}/note", {"note-body": "Never for the requester."}
        ).status_code
        == 303
    )
    with app.app_context():
        own = request_keys.requester_key(code, request)
        staff = RequestKey.get(
            (RequestKey.request == request.id) & (RequestKey.purpose == request_keys.STAFF_NOTES)
        )
        # No envelope of the staff key is for the requester, and their key opens none.
        assert {e.holder for e in staff.envelopes} == {
            e.holder for e in staff.envelopes if e.holder != request_keys.REQUESTER
        }
        for envelope in staff.envelopes:
            with pytest.raises(envelopes.Unopenable):
                envelopes.open_with(own, envelope.wrapped, b"any")
        # Another request's code opens nothing of this request's thread.
        thread = RequestKey.get(
            (RequestKey.request == request.id) & (RequestKey.purpose == request_keys.THREAD)
        )
        theirs = Envelope.get(
            (Envelope.request_key == thread) & (Envelope.holder == request_keys.REQUESTER)
        )
        context = envelopes.context("request-thread", thread.uid, request_keys.REQUESTER)
        assert envelopes.open_with(own, theirs.wrapped, context)
        with pytest.raises(envelopes.Unopenable):
            envelopes.open_with(
                request_keys.requester_key(other_code, other), theirs.wrapped, context
            )
        with pytest.raises(envelopes.Unopenable):
            envelopes.open_with(request_keys.requester_key(code, other), theirs.wrapped, context)


def test_a_reviewer_without_the_key_sees_the_thread_is_sealed_and_can_still_write(app, first):
    client = app.test_client()
    requester, code, request = submitted(client)
    assert requester.open(code).status_code == 303
    assert answer(client, ANSWER).status_code == 303
    later = StaffClient.create(app, "reviewer", email="later@example.org")
    page = later.text(f"/review/{request.reference}")
    assert ANSWER not in page
    assert "1 message is sealed to the network's key, which you do not hold yet." in page
    assert (
        later.post(f"/review/{request.reference}/message", {"message-body": QUESTION}).status_code
        == 303
    )
    assert QUESTION in client.get("/track").get_data(as_text=True)
    assert QUESTION in first.text(f"/review/{request.reference}")


def test_messages_from_before_keys_wait_for_the_requesters_code(app, first):
    client = app.test_client()
    requester, code, request = submitted(client)
    with app.app_context():
        # As an older version stored them: no thread key, the message under the keyring.
        RequestKey.delete().where(
            (RequestKey.request == request.id) & (RequestKey.purpose == request_keys.THREAD)
        ).execute()
        message = Message(request=request, author="requester")
        message.body_sealed = sealing.keyring().seal(ANSWER, f"message|body|{message.uid}")
        message.save(force_insert=True)

    def check():
        return app.test_cli_runner().invoke(args=["check"]).output

    assert (
        "1 value(s) of notes, messages, offers, updates, check-ins, reports or feedback" in check()
    )
    migrated = app.test_cli_runner().invoke(args=["keys", "migrate"])
    assert (
        "sealed 0 values of requests' details, 0 internal notes, 1 messages, 0 evaluations"
        in migrated.output
    )
    assert "1 request(s) whose requester has not typed their code since" in check()
    assert ANSWER in first.text(f"/review/{request.reference}")  # reviewers read it at once

    assert requester.open(code).status_code == 303
    assert ANSWER in client.get("/track").get_data(as_text=True)
    with app.app_context(), db.connection_context():
        holders = {envelope.holder for envelope in Envelope.select()}
        assert request_keys.SERVER not in holders and request_keys.REQUESTER in holders
    assert "has not typed their code" not in check()


def test_a_tracking_session_from_before_keys_asks_for_the_code_again(app):
    _, _, request = submitted(app.test_client())
    with app.test_request_context():
        sessions.start_tracking(Request.get_by_id(request.id))  # no keys, as before
        assert sessions.tracked_request() is None
