"""Internal notes are sealed to the request's staff key, whose private half only the network's
key (and the escrow) opens: a copy of everything the server holds opens none of them."""

import datetime

import pytest

from portal import (
    envelopes,
    intake,
    keychain,
    request_keys,
    retention,
    review,
    sealing,
    vocabulary,
    workflow,
)
from portal.db import db
from portal.models import (
    Envelope,
    GroupKey,
    InternalNote,
    Request,
    RequestKey,
    ServerSession,
    User,
    utcnow,
)

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    STAFF_PASSWORD,
    StaffClient,
    request_fields,
    sign_in,
)
from portal_testing.keys import ESCROW, as_escrow, private_of, stolen_copy
from portal_testing.races import at_the_same_moment

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

NOTE = "Called the Cauca desk: the leader sleeps at her sister's from Friday."


def submitted(app):
    with app.app_context():
        return intake.submit(request_fields(), "en").request


def notes_as(app, email, password=STAFF_PASSWORD):
    with app.app_context():
        user = User.by_email(email)
        with request_keys.reading_as(user, private_of(user, password)):
            return [note.body for note in InternalNote.select()]


def staff_envelopes():
    """The envelopes of the requests' staff keys (not of their threads' keys)."""
    return (
        Envelope.select(Envelope, RequestKey)
        .join(RequestKey)
        .where(RequestKey.purpose == request_keys.STAFF_NOTES)
    )


def notes_section(page):
    return page.split('id="notes-heading"')[1].split("</section>")[0]


@pytest.fixture
def first(app):
    return StaffClient.create(app, "reviewer", email="first@example.org")


def test_a_copy_of_every_file_the_server_has_opens_no_note(app, first, tmp_path_factory):
    request = submitted(app)
    assert first.post(f"/review/{request.reference}/note", {"note-body": NOTE}).status_code == 303
    assert NOTE in first.text(f"/review/{request.reference}")  # a live session reads it

    # Copied while the reviewer is signed in: the database and the whole instance folder.
    stolen = stolen_copy(app, tmp_path_factory.mktemp("copied"), **PASSWORD_ALONE)

    with stolen.app_context():
        (note,) = InternalNote.select()
        stored = bytes(note.body_sealed)
        assert NOTE.encode() not in stored and stored.startswith(b"e1:")
        with pytest.raises(request_keys.Locked):
            note.body  # noqa: B018 - nobody reads: the server alone opens nothing
        with pytest.raises(sealing.SealError):
            sealing.keyring().open(stored, f"internal_note|body|{note.uid}")
        # No group key is kept under the server's keys once its readers took it.
        assert not GroupKey.select().where(GroupKey.server_sealed.is_null(False)).exists()
        # The session row holds the key only under the id its cookie carries.
        (session,) = ServerSession.select().where(ServerSession.kind == "staff")
        aad = f"portal/e1|session|{session.id_hash}".encode()
        with pytest.raises(envelopes.Unopenable):
            envelopes.open_with(envelopes.session_key(session.id_hash), session.keys_sealed, aad)
        # A person's password opens it; so does the escrow kept offline.
        reviewer = User.by_email("first@example.org")
        with request_keys.reading_as(reviewer, private_of(reviewer)):
            assert note.body == NOTE
        with as_escrow():
            assert InternalNote.get_by_id(note.id).body == NOTE
        with pytest.raises(envelopes.Unopenable):
            private_of(reviewer, "a guessed password 1234")


def test_a_reviewer_without_the_key_sees_that_notes_are_sealed_and_can_still_write(app, first):
    request = submitted(app)
    assert first.post(f"/review/{request.reference}/note", {"note-body": NOTE}).status_code == 303
    later = StaffClient.create(app, "reviewer", email="later@example.org")
    section = notes_section(later.text(f"/review/{request.reference}"))
    assert NOTE not in section
    assert "1 note is sealed to the network's key, which you do not hold yet." in section

    written = "Second call planned for Monday."
    assert (
        later.post(f"/review/{request.reference}/note", {"note-body": written}).status_code == 303
    )
    assert written in notes_section(first.text(f"/review/{request.reference}"))
    assert notes_as(app, "first@example.org") == [NOTE, written]


def test_the_requester_never_holds_the_staff_key(app, first):
    request = submitted(app)
    assert first.post(f"/review/{request.reference}/note", {"note-body": NOTE}).status_code == 303
    with app.app_context():
        (key,) = RequestKey.select().where(RequestKey.purpose == request_keys.STAFF_NOTES)
        holders = {envelope.holder for envelope in key.envelopes}
        assert holders == {keychain.current(keychain.NETWORK).uid, "escrow"}


def test_a_member_who_leaves_keeps_no_way_into_the_notes(app, first, admin):
    request = submitted(app)
    assert first.post(f"/review/{request.reference}/note", {"note-body": NOTE}).status_code == 303
    leaving = StaffClient.create(app, "reviewer", email="leaving@example.org")
    uid = leaving.user.uid
    assert first.post(f"/staff/keys/{uid}", {f"grant-{uid}-confirm": "y"}).status_code == 303
    with app.app_context():
        user = User.by_email("leaving@example.org")
        kept = keychain.open_group(keychain.current(keychain.NETWORK), user, private_of(user))
        old_uid = keychain.current(keychain.NETWORK).uid
    assert notes_as(app, "leaving@example.org") == [NOTE]

    deactivated = admin.post(f"/admin/accounts/{uid}/deactivate", confirm="y")
    assert deactivated.status_code == 303
    sign_in(app.test_client(), "first@example.org")  # the next holder finishes the rotation
    with app.app_context():
        (envelope,) = staff_envelopes().where(Envelope.holder != "escrow")
        assert envelope.holder == keychain.current(keychain.NETWORK).uid != old_uid
        key = envelope.request_key
        # The old network key the leaver copied opens no envelope any more.
        with pytest.raises(envelopes.Unopenable):
            envelopes.unwrap(
                envelope.wrapped, kept, envelopes.context("request-staff", key.uid, old_uid)
            )
    assert notes_as(app, "first@example.org") == [NOTE]


def test_a_rotation_racing_the_first_note_leaves_it_readable_to_those_who_stay(backend_app):
    app = backend_app
    first = StaffClient.create(app, "reviewer", email="first@example.org")
    StaffClient.create(app, "reviewer", email="leaving@example.org")
    with app.app_context():
        leaving = User.by_email("leaving@example.org")
    uid = leaving.uid
    assert first.post(f"/staff/keys/{uid}", {f"grant-{uid}-confirm": "y"}).status_code == 303
    request = submitted(app)
    with app.app_context():
        author = User.by_email("first@example.org")

    def note(ready):
        ready()
        review.add_note(Request.get_by_id(request.id), author, NOTE)

    def leave(ready):
        from portal import accounts

        ready()
        accounts.deactivate(User.get_by_id(leaving.id))

    assert at_the_same_moment(app, note, leave) == [None, None]
    sign_in(app.test_client(), "first@example.org")
    with app.app_context(), db.connection_context():
        assert GroupKey.select().where(GroupKey.retired_at.is_null(False)).count() == 0
        holders = {envelope.holder for envelope in staff_envelopes()}
        assert holders == {keychain.current(keychain.NETWORK).uid, "escrow"}
    assert notes_as(app, "first@example.org") == [NOTE]


def test_notes_sealed_the_old_way_are_moved_by_the_migrate_command(app, first):
    request = submitted(app)
    with app.app_context():
        note = InternalNote(request=request, created_at=utcnow())
        note.body_sealed = sealing.keyring().seal(NOTE, f"internal_note|body|{note.uid}")
        note.save(force_insert=True)

    def check():
        return app.test_cli_runner().invoke(args=["check"]).output

    assert (
        "1 value(s) of notes, messages, offers, updates, check-ins, reports or feedback" in check()
    )
    result = app.test_cli_runner().invoke(args=["keys", "migrate"])
    assert (
        result.exit_code == 0
        and "0 values of requests' details, 1 internal notes, 0 messages, 0 evaluations"
        in result.output
    )
    assert "still sealed under the server's keys only" not in check()
    with app.app_context():
        assert bytes(InternalNote.get().body_sealed).startswith(b"e1:")
    assert notes_as(app, "first@example.org") == [NOTE]
    assert NOTE in notes_section(first.text(f"/review/{request.reference}"))


def test_the_purge_deletes_a_requests_keys_with_it(app, first):
    request = submitted(app)
    assert first.post(f"/review/{request.reference}/note", {"note-body": NOTE}).status_code == 303
    with app.app_context():
        workflow.transition(Request.get_by_id(request.id), vocabulary.WITHDRAWN, "requester")
        past = utcnow() - datetime.timedelta(days=400)
        Request.update(updated_at=past).where(Request.id == request.id).execute()
        assert retention.purge_closed(180) == 1
        assert RequestKey.select().count() == 0
        assert Envelope.select().count() == 0


@pytest.mark.app_config(ESCROW_PUBLIC_KEY="")
def test_without_an_escrow_the_notes_are_wrapped_to_the_network_alone(app, first):
    request = submitted(app)
    assert first.post(f"/review/{request.reference}/note", {"note-body": NOTE}).status_code == 303
    with app.app_context():
        assert [envelope.holder for envelope in staff_envelopes()] == [
            keychain.current(keychain.NETWORK).uid
        ]
    assert ESCROW.public_key  # the suite's escrow exists, but this portal was not given it
