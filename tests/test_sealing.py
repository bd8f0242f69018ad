"""Encryption at rest: what a stolen database file or a tampered row gives away."""

import base64

import pytest
from werkzeug.datastructures import MultiDict

from portal import held, vocabulary
from portal.db import db
from portal.models import Message, Request
from portal.sealing import Keyring, SealError

from portal_testing import Requester, csrf_token, database_bytes, make_app
from portal_testing.keys import as_escrow

OLD_KEY = "old:" + base64.urlsafe_b64encode(b"o" * 32).decode()
NEW_KEY = "new:" + base64.urlsafe_b64encode(b"n" * 32).decode()

CONTEXT = "request|name|0123456789abcdef0123456789abcdef"

# Distinctive values, so that finding one in the file cannot be a coincidence.
SECRETS = {
    "name": "Yolanda Quispe Mamani",
    "organization": "Colectivo Raices Hondas",
    "place": "Vereda El Zancudo, Puerto Asis",
    "situation": "Armed men visited the house of Yolanda twice in April.",
    "asked_for": "Presence during the hearing of the Zancudo land claim.",
    "other_languages": "Quechua de Cusco",
    "contact_channel": "signal",
    "contact_detail": "@yolanda.zancudo.77",
    "notify_email": "yolanda.q@example.org",
}
MESSAGE = "The hearing moved to Mocoa, next Thursday."


def sealed_blobs(app):
    """Every value of every request sealed under the keyring: the notice address, which a
    job reads with nobody signed in (the details are sealed to people's keys: detail_blobs)."""
    with app.app_context(), db.connection_context():
        return [bytes(row.notify_email_sealed) for row in Request.select()]


def detail_blobs(app):
    """Every value of every request sealed to its keys (portal.request_keys)."""
    with app.app_context(), db.connection_context():
        return [
            bytes(getattr(row, f"{name}_sealed"))
            for row in Request.select()
            for name in SECRETS
            if name not in ("contact_channel", "notify_email")
        ]


def message_blobs(app):
    with app.app_context(), db.connection_context():
        return [bytes(message.body_sealed) for message in Message.select()]


def submit_with_message(app):
    """A requester sends a request full of secrets and adds a message; returns the code."""
    client = app.test_client()
    requester = Requester(client)
    code = requester.submit_and_get_code(**SECRETS)
    assert requester.open(code).status_code == 303
    token = csrf_token(client, "/track")
    sent = client.post("/track/message", data={"body": MESSAGE, "csrf_token": token})
    assert sent.status_code == 303
    return code


def test_a_sealed_value_opens_to_what_was_sealed():
    keyring = Keyring(NEW_KEY)
    blob = keyring.seal("Ñandú — amenazas desde marzo", CONTEXT)
    assert "Ñandú".encode() not in blob
    assert keyring.open(blob, CONTEXT) == "Ñandú — amenazas desde marzo"


def test_the_same_value_sealed_twice_looks_different():
    keyring = Keyring(NEW_KEY)
    assert keyring.seal("same words", CONTEXT) != keyring.seal("same words", CONTEXT)


@pytest.mark.parametrize(
    "other_context",
    [
        "request|name|ffffffffffffffffffffffffffffffff",
        "request|place|0123456789abcdef0123456789abcdef",
        "message|name|0123456789abcdef0123456789abcdef",
        "",
    ],
    ids=["other row", "other column", "other table", "no context"],
)
def test_a_value_moved_to_another_place_does_not_open(other_context):
    keyring = Keyring(NEW_KEY)
    blob = keyring.seal("Yolanda", CONTEXT)
    with pytest.raises(SealError):
        keyring.open(blob, other_context)


@pytest.mark.parametrize("position", [len(b"v1:new:") + 3, len(b"v1:new:") + 12, -1])
def test_a_tampered_value_does_not_open(position):
    keyring = Keyring(NEW_KEY)
    blob = bytearray(keyring.seal("Yolanda", CONTEXT))
    blob[position] ^= 0x01
    with pytest.raises(SealError):
        keyring.open(bytes(blob), CONTEXT)


def test_a_truncated_value_does_not_open():
    keyring = Keyring(NEW_KEY)
    blob = keyring.seal("Yolanda", CONTEXT)
    with pytest.raises(SealError):
        keyring.open(blob[:-1], CONTEXT)


def test_a_value_in_clear_text_does_not_open():
    with pytest.raises(SealError):
        Keyring(NEW_KEY).open(b"Yolanda", CONTEXT)


def test_a_value_sealed_with_an_unknown_key_does_not_open():
    blob = Keyring(OLD_KEY).seal("Yolanda", CONTEXT)
    with pytest.raises(SealError):
        Keyring(NEW_KEY).open(blob, CONTEXT)


def test_after_rotation_old_values_still_open_and_ask_to_be_resealed():
    blob = Keyring(OLD_KEY).seal("Yolanda", CONTEXT)
    rotated = Keyring(f"{NEW_KEY},{OLD_KEY}")
    assert rotated.open(blob, CONTEXT) == "Yolanda"
    assert rotated.needs_reseal(blob)
    fresh = rotated.seal("Yolanda", CONTEXT)
    assert not rotated.needs_reseal(fresh)
    assert Keyring(NEW_KEY).open(fresh, CONTEXT) == "Yolanda"


@pytest.mark.parametrize(
    "spec",
    ["k1:" + base64.urlsafe_b64encode(b"short").decode(), "k-1:" + NEW_KEY.partition(":")[2]],
    ids=["short key", "id with punctuation"],
)
def test_a_malformed_keyring_is_refused(spec):
    with pytest.raises(ValueError):
        Keyring(spec)


def test_reseal_moves_every_sealed_value_to_the_new_key(tmp_path):
    old_app = make_app(tmp_path, DATA_KEYS=OLD_KEY)
    code = submit_with_message(old_app)
    assert all(blob.startswith(b"v1:old:") for blob in sealed_blobs(old_app))
    details = detail_blobs(old_app)
    assert all(blob.startswith(b"e1:") for blob in details)

    rotated_app = make_app(tmp_path, DATA_KEYS=f"{NEW_KEY},{OLD_KEY}")
    result = rotated_app.test_cli_runner().invoke(args=["reseal"])
    assert result.exit_code == 0, result.output
    assert "resealed 1 rows" in result.output  # the request; its message is sealed to keys
    assert all(blob.startswith(b"v1:new:") for blob in sealed_blobs(rotated_app))
    assert all(blob.startswith(b"e1:") for blob in message_blobs(rotated_app))
    assert detail_blobs(rotated_app) == details  # sealed to keys: the keyring plays no part

    again = rotated_app.test_cli_runner().invoke(args=["reseal"])
    assert "resealed 0 rows" in again.output

    # The old key can now be dropped: everything opens with the new one alone.
    new_app = make_app(tmp_path, DATA_KEYS=NEW_KEY)
    with new_app.app_context(), db.connection_context():
        request = Request.get()
        with as_escrow():
            for name, value in SECRETS.items():
                assert getattr(request, name) == value
            assert Message.get().body == MESSAGE

    client = new_app.test_client()
    assert Requester(client).open(code).status_code == 303
    page = client.get("/track").get_data(as_text=True)
    assert SECRETS["name"] in page
    assert MESSAGE in page


def test_without_reseal_dropping_the_old_key_loses_the_data(tmp_path):
    old_app = make_app(tmp_path, DATA_KEYS=OLD_KEY)
    submit_with_message(old_app)
    new_app = make_app(tmp_path, DATA_KEYS=NEW_KEY)
    with new_app.app_context(), db.connection_context(), pytest.raises(SealError):
        _ = Request.get().notify_email


def test_a_stolen_database_file_shows_no_name_place_situation_or_contact(app, tmp_path):
    submit_with_message(app)
    raw = database_bytes(tmp_path)
    # The reading finds what is kept in the clear (the service and channel), ...
    assert b"accompaniment" in raw
    assert b"signal" in raw
    # ... and nothing of what identifies or endangers people.
    for name, value in SECRETS.items():
        if name == "contact_channel":
            continue
        assert value.encode() not in raw, f"{name} is stored in clear text"
        assert value.encode("utf-16-le") not in raw, f"{name} is stored in clear text"
    assert MESSAGE.encode() not in raw


def test_every_sealed_column_holds_a_sealed_value(app):
    submit_with_message(app)
    blobs = sealed_blobs(app)
    assert len(blobs) == 1
    assert all(blob.startswith(b"v1:t1:") for blob in blobs)
    details = detail_blobs(app)
    assert len(details) == 7 and all(blob.startswith(b"e1:") for blob in details)
    assert not any(value.encode() in blob for blob in details for value in SECRETS.values())
    # The message is sealed to the request's thread key (portal.request_keys).
    (message,) = message_blobs(app)
    assert message.startswith(b"e1:") and MESSAGE.encode() not in message


def _every_sealed_value(app) -> dict[tuple[str, str, int], bytes]:
    """Each sealed column of each row of each model: (table, field, row id) -> blob."""
    from portal.models import MODELS
    from portal.sealing import sealed_fields

    found = {}
    with app.app_context(), db.connection_context():
        for model in MODELS:
            for row in model.select():
                for name in sealed_fields(model):
                    blob = getattr(row, f"{name}_sealed")
                    if blob is not None:
                        found[(model._meta.table_name, name, row.id)] = bytes(blob)
    return found


def test_reseal_covers_every_sealed_field_of_every_table(tmp_path):
    """Accounts' TOTP secrets, offers, notes and progress updates too: a value left under
    the old key would be lost for good when that key is removed."""
    from portal import accounts, checkins, intake, offers, review, sessions, workflow
    from portal.models import MODELS, Offer, Organization
    from portal.sealing import sealed_fields

    from portal_testing import request_fields

    old_app = make_app(tmp_path, DATA_KEYS=OLD_KEY)
    with old_app.app_context():
        reviewer = accounts.create_user("rev@example.org", "reviewer", "a long passphrase 7431")
        accounts.start_enrolment(reviewer)
        # With an address for notices: the notice owed keeps its own sealed copy.
        sent = intake.submit(request_fields(notify_email="r@example.net"), "en")
        request = sent.request
        with old_app.test_request_context():
            sessions.hold_code(request, sent.code)  # its code, not yet confirmed kept
            held.keep_draft(reviewer, MultiDict({"message-body": "Typed, not sent"}), "/review/")
        review.add_note(request, reviewer, "Internal: call the Cauca desk.")
        review.send_message(request, reviewer, "Is the hearing public?")
        workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
        workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
        kept, declined = (
            Organization.create(key=key, name=key, services="accompaniment", countries="CO")
            for key in ("kept", "declined")
        )
        first, second = offers.offer(
            request, [kept, declined], reviewer, expected_version=3, summary="Leaders threatened."
        )
        member = accounts.create_user(
            "m@kept.org", "org_member", "a long passphrase 7431", organization=kept
        )
        offers.decline(second, member, "No volunteers free.")
        offers.accept(first, member)
        offers.post_update(first, member, "First visit done.")
        offers.write_to_requester(first, member, "We will call on Tuesday.")
        intake.complain(request, "They were late.")
        offers.start(first, member, expected_version=Request.get_by_id(request.id).version)
        checkins.record(Offer.get_by_id(first.id), member, "incident", "A car outside the office.")
        offers.complete(
            first,
            member,
            expected_version=Request.get_by_id(request.id).version,
            report=offers.Closing(outcome="The hearings went ahead.", follow_up=True),
        )
        intake.evaluate(Request.get_by_id(request.id), "yes", "partly", "It helped.")
    before = _every_sealed_value(old_app)
    tables = {table for table, _, _ in before}
    models_with_seals = {m._meta.table_name for m in MODELS if sealed_fields(m)}
    assert tables == models_with_seals  # every kind of sealed value is in this test
    # Values sealed to people's keys (portal.keychain) do not depend on the keyring: the
    # rotation leaves them as they are.
    to_keys = {key: blob for key, blob in before.items() if blob.startswith(b"e1:")}
    assert {key[:2] for key in to_keys} == {
        ("request", "name"),
        ("request", "place"),
        ("request", "situation"),
        ("request", "asked_for"),
        ("internal_note", "body"),
        ("message", "body"),
        ("evaluation", "comment"),
        ("complaint", "body"),
        ("offer", "summary"),
        ("offer", "reason"),
        ("offer", "phrase"),
        ("progress_update", "body"),
        ("organization_message", "body"),
        ("check_in", "note"),
        ("closing_report", "outcome"),
    }
    before = {key: blob for key, blob in before.items() if key not in to_keys}
    assert all(blob.startswith(b"v1:old:") for blob in before.values())

    rotated_app = make_app(tmp_path, DATA_KEYS=f"{NEW_KEY},{OLD_KEY}")
    with rotated_app.app_context():
        plain = {
            key: getattr(model.get_by_id(key[2]), key[1])
            for model in MODELS
            for key in before
            if key[0] == model._meta.table_name
        }
    result = rotated_app.test_cli_runner().invoke(args=["reseal"])
    assert result.exit_code == 0, result.output

    after = _every_sealed_value(rotated_app)
    assert {key: after.pop(key) for key in to_keys} == to_keys
    assert after.keys() == before.keys()
    assert [key for key, blob in after.items() if not blob.startswith(b"v1:new:")] == []
    new_app = make_app(tmp_path, DATA_KEYS=NEW_KEY)
    with new_app.app_context():
        for model in MODELS:
            for key, value in plain.items():
                if key[0] == model._meta.table_name:
                    assert getattr(model.get_by_id(key[2]), key[1]) == value, key
