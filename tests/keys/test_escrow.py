"""The escrow: every group's key is also wrapped to a key pair whose private half is kept
offline; in an emergency, an operator gives an account access with it, from standard input."""

import pytest

from portal import envelopes, intake, keychain, request_keys
from portal.db import db
from portal.models import AuditEvent, Envelope, Request, User

from portal_testing import (
    PASSWORD_ALONE,
    STAFF_PASSWORD,
    StaffClient,
    create_staff_account,
    request_fields,
)
from portal_testing.admin import add_org
from portal_testing.keys import ESCROW, as_escrow

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, ESCROW_PUBLIC_KEY=ESCROW.public_key)


def holds(app, email, holder=keychain.NETWORK):
    with app.app_context():
        user = User.by_email(email)
        params = envelopes.PasswordParams.from_text(user.key_params)
        private = envelopes.open_private(user.private_key_sealed, STAFF_PASSWORD, user.uid, params)
        return keychain.open_group(keychain.current(holder), user, private) is not None


def escrow_grant(app, email, private_text):
    result = app.test_cli_runner().invoke(
        args=["keys", "escrow-grant", email], input=private_text + "\n"
    )
    return result.exit_code, result.output + repr(result.exception)


def test_the_escrow_key_gives_access_when_no_holder_can(app):
    StaffClient.create(app, "reviewer", email="first@example.org")
    StaffClient.create(app, "reviewer", email="later@example.org")
    assert not holds(app, "later@example.org")

    status, output = escrow_grant(app, "later@example.org", ESCROW.private_key)
    assert status == 0, output
    assert holds(app, "later@example.org")
    with app.app_context(), db.connection_context():
        event = AuditEvent.get(AuditEvent.action == "keys.escrow_granted")
        assert event.user_id is None and event.target_user.email == "later@example.org"


def test_a_key_that_is_not_the_escrow_opens_nothing(app):
    StaffClient.create(app, "reviewer", email="first@example.org")
    StaffClient.create(app, "reviewer", email="later@example.org")
    wrong = keychain.encode_key(envelopes.KeyPair.generate().private)
    status, output = escrow_grant(app, "later@example.org", wrong)
    assert status != 0 and "This is not the escrow's private key." in output
    status, output = escrow_grant(app, "later@example.org", "not a key at all")
    assert status != 0 and "standard input holds no escrow private key" in output
    status, output = escrow_grant(app, "nobody@example.org", ESCROW.private_key)
    assert status != 0 and "no account" in output
    assert not holds(app, "later@example.org")


def test_organizations_keys_are_wrapped_to_the_escrow_too(app):
    andean = add_org(app, "andean-watch", name="Andean Watch")
    StaffClient.create(app, "org_member", email="m1@example.org", organization=andean)
    StaffClient.create(app, "org_member", email="m2@example.org", organization=andean)
    assert not holds(app, "m2@example.org", andean.uid)
    assert escrow_grant(app, "m2@example.org", ESCROW.private_key)[0] == 0
    assert holds(app, "m2@example.org", andean.uid)


@pytest.mark.app_config(ESCROW_PUBLIC_KEY="")
def test_a_key_made_before_the_escrow_was_set_is_wrapped_to_it_at_a_holders_sign_in(app):
    StaffClient.create(app, "reviewer", email="first@example.org")
    with app.app_context():
        assert keychain.current(keychain.NETWORK).escrow_wrap is None
    app.config["ESCROW_PUBLIC_KEY"] = ESCROW.public_key
    StaffClient(app, _user(app))
    with app.app_context():
        key = keychain.current(keychain.NETWORK)
        opened = envelopes.unwrap(
            key.escrow_wrap,
            ESCROW.pair.private,
            envelopes.context("group-escrow", key.uid, "escrow"),
        )
        assert envelopes.KeyPair.from_private(opened).public == bytes(key.public_key)


def _user(app):
    with app.app_context():
        return User.by_email("first@example.org")


def test_escrow_new_prints_a_key_pair_whose_halves_match(app):
    result = app.test_cli_runner().invoke(args=["keys", "escrow-new"])
    lines = dict(line.split(": ", 1) for line in result.output.splitlines())
    public = keychain.decode_key(lines["public (PORTAL_ESCROW_PUBLIC_KEY)"])
    private = keychain.decode_key(lines["private (keep offline, never on the server)"])
    assert envelopes.KeyPair.from_private(private).public == public


def test_a_portal_with_a_malformed_escrow_key_does_not_start(tmp_path):
    from portal_testing import make_app

    with pytest.raises(RuntimeError, match="PORTAL_ESCROW_PUBLIC_KEY"):
        make_app(tmp_path, ESCROW_PUBLIC_KEY="abc")


def test_check_says_what_the_server_alone_still_opens(app):
    with app.app_context():
        for email in ("first@example.org", "second@example.org"):
            create_staff_account(email, "reviewer")
    StaffClient(app, _user(app))

    def lines():
        return app.test_cli_runner().invoke(args=["check"]).output

    # The second reviewer existed before the key: it is kept for them, under the server's keys.
    assert "1 group key(s) still open with the server's key files alone" in lines()
    with app.app_context():
        second = User.by_email("second@example.org")
    StaffClient(app, second)
    assert "still open with the server's key files alone" not in lines()
    app.config["ESCROW_PUBLIC_KEY"] = ""
    assert "no escrow key" in lines()


@pytest.mark.app_config(ESCROW_PUBLIC_KEY="")
def test_a_request_from_before_the_escrow_opens_with_it_once_a_holder_signed_in(app):
    first = StaffClient.create(app, "reviewer", email="first@example.org")
    with app.app_context():
        request = intake.submit(request_fields(name="Before The Escrow"), "en").request
        with as_escrow():  # no wrap to the escrow anywhere yet
            assert request_keys.opened(request, "name") is request_keys.WITHHELD
    app.config["ESCROW_PUBLIC_KEY"] = ESCROW.public_key
    StaffClient(app, first.user)  # a holder signs in: the network's key is wrapped to it
    with app.app_context():
        assert not Envelope.select().where(Envelope.holder == "escrow").exists()
        with as_escrow():
            assert Request.get_by_id(request.id).name == "Before The Escrow"
