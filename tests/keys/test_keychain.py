"""Keys that people hold (portal.keychain): each account's key pair under its password, the
groups' keys given by colleagues, taken back when someone leaves, and held by a session only
under its id."""

import base64
import json

import pytest

from portal import envelopes, keychain, sealing
from portal.db import db
from portal.envelopes import PasswordParams, Unopenable
from portal.models import AuditEvent, GroupKey, KeyGrant, ServerSession, User

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    STAFF_PASSWORD,
    StaffClient,
    create_staff_account,
    keys,
    make_app,
    shown_password,
    sign_in,
)
from portal_testing.admin import add_org
from portal_testing.races import at_the_same_moment

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

NEW_PASSWORD = "another long passphrase 2290"


def account(app, email):
    with app.app_context():
        return User.by_email(email)


def holds_network(app, email, private):
    """Whether `email`, with its private key, opens the network's key in use."""
    with app.app_context():
        key = keychain.current(keychain.NETWORK)
        return (
            key is not None and keychain.open_group(key, User.by_email(email), private) is not None
        )


def private_of(app, email, password=STAFF_PASSWORD):
    with app.app_context():
        return keys.private_of(User.by_email(email), password)


def give(staff, colleague_email, tick=True):
    uid = account(staff.app, colleague_email).uid
    data = {f"grant-{uid}-confirm": "y"} if tick else {}
    return staff.post(f"/staff/keys/{uid}", data)


def change_password(staff, current, new):
    return staff.post("/staff/password", current=current, new=new, repeat=new)


@pytest.fixture
def first(app):
    """The first reviewer: signing in, they take the network's key no one held yet."""
    return StaffClient.create(app, "reviewer", email="first@example.org")


def test_an_account_key_opens_with_its_password_only(app):
    with app.app_context():
        user = create_staff_account("r@example.org", "reviewer")
        assert user.public_key and user.key_chosen
        params = PasswordParams.from_text(user.key_params)
        private = envelopes.open_private(user.private_key_sealed, STAFF_PASSWORD, user.uid, params)
        assert envelopes.KeyPair.from_private(private).public == bytes(user.public_key)
        with pytest.raises(Unopenable):
            envelopes.open_private(user.private_key_sealed, "not the password!", user.uid, params)


def test_the_first_reviewer_takes_the_network_key_and_the_server_copy_goes(app, first):
    with app.app_context():
        key = keychain.current(keychain.NETWORK)
        assert key.server_sealed is None  # every reader of before holds it: the copy is gone
        assert KeyGrant.select().where(KeyGrant.group_key == key).count() == 1
        assert AuditEvent.get(AuditEvent.action == "keys.claimed").user_id == first.user.id
    assert holds_network(app, "first@example.org", private_of(app, "first@example.org"))
    assert "colleague" not in first.text("/staff/").lower()


def test_a_reviewer_created_later_reads_nothing_until_a_colleague_gives_access(app, first):
    later = StaffClient.create(app, "reviewer", email="later@example.org")
    assert not holds_network(app, "later@example.org", private_of(app, "later@example.org"))
    assert "You do not hold your group's key yet" in later.text("/staff/")
    assert "You do not hold the network's key yet" in later.text("/staff/keys/")

    assert "1 colleague waits for access to the keys." in first.text("/staff/")
    assert "later@example.org" in first.text("/staff/keys/")
    unticked = give(first, "later@example.org", tick=False)
    assert unticked.status_code == 422
    assert "Tick this box to confirm." in unticked.get_data(as_text=True)
    assert not holds_network(app, "later@example.org", private_of(app, "later@example.org"))

    assert give(first, "later@example.org").status_code == 303
    assert holds_network(app, "later@example.org", private_of(app, "later@example.org"))
    with app.app_context():
        event = AuditEvent.get(AuditEvent.action == "keys.granted")
        assert (event.user_id, event.target_user_id) == (first.user.id, later.user.id)
    # Their next page finds the key in their session: no sign-in again.
    assert "You hold the network's key." in later.text("/staff/keys/")
    again = give(first, "later@example.org")
    assert again.status_code == 409
    assert "This person holds the key already." in again.get_data(as_text=True)


def test_access_goes_only_to_an_account_whose_password_its_owner_chose(app, first, admin):
    created = admin.post("/admin/accounts", email="new@example.org", role="reviewer")
    password = shown_password(created)
    new = StaffClient(app, account(app, "new@example.org"), password)
    assert "First choose your own password" in new.text("/staff/keys/")
    assert "must first sign in and choose their own password" in first.text("/staff/keys/")
    refused = give(first, "new@example.org")
    assert refused.status_code == 409
    assert not holds_network(app, "new@example.org", private_of(app, "new@example.org", password))

    assert change_password(new, password, NEW_PASSWORD).status_code == 303
    assert give(first, "new@example.org").status_code == 303
    assert holds_network(app, "new@example.org", private_of(app, "new@example.org", NEW_PASSWORD))


def test_a_reset_account_reads_nothing_until_given_access_again(app, first, admin):
    second = StaffClient.create(app, "reviewer", email="second@example.org")
    assert give(first, "second@example.org").status_code == 303
    old_private = private_of(app, "second@example.org")

    reset = admin.post(f"/admin/accounts/{second.user.uid}/reset")
    password = shown_password(reset)
    with app.app_context():
        assert not KeyGrant.select().where(KeyGrant.user == second.user.id).exists()
    # Neither the new key (under the password the administrator saw) nor the old one opens.
    assert not holds_network(app, "second@example.org", old_private)
    again = StaffClient(app, account(app, "second@example.org"), password)
    new_private = private_of(app, "second@example.org", password)
    assert not holds_network(app, "second@example.org", new_private)
    assert give(first, "second@example.org").status_code == 409  # not their own password yet

    assert change_password(again, password, NEW_PASSWORD).status_code == 303
    assert give(first, "second@example.org").status_code == 303
    assert holds_network(
        app, "second@example.org", private_of(app, "second@example.org", NEW_PASSWORD)
    )


def test_an_administrator_outside_the_network_holds_nothing_and_cannot_give(app, first, admin):
    StaffClient.create(app, "reviewer", email="later@example.org")
    assert "administrators do not hold the network's key" in admin.text("/staff/keys/")
    assert give(admin, "later@example.org").status_code == 404
    assert not holds_network(app, "later@example.org", private_of(app, "later@example.org"))
    assert not holds_network(app, admin.user.email, private_of(app, admin.user.email))


@pytest.mark.app_config(ADMINS_HOLD_NETWORK_KEY=True)
def test_administrators_hold_the_network_key_where_a_setting_says_so(app, first, admin):
    assert give(first, admin.user.email).status_code == 303
    assert holds_network(app, admin.user.email, private_of(app, admin.user.email))


def test_after_a_password_change_the_old_password_opens_nothing(app, first):
    assert change_password(first, STAFF_PASSWORD, NEW_PASSWORD).status_code == 303
    with pytest.raises(Unopenable):
        private_of(app, "first@example.org", STAFF_PASSWORD)
    assert holds_network(
        app, "first@example.org", private_of(app, "first@example.org", NEW_PASSWORD)
    )
    # The session this browser got holds the key still.
    assert "You hold the network's key." in first.text("/staff/keys/")


def test_an_organization_member_is_given_access_by_a_colleague_or_a_reviewer(app, first):
    andean = add_org(app, "andean-watch", name="Andean Watch")
    coastal = add_org(app, "coastal-guard", name="Coastal Guard")
    with app.app_context():  # two members from before the organization's key existed
        members = [
            create_staff_account(email, "org_member", organization=andean)
            for email in ("m1@example.org", "m2@example.org")
        ]
    member = StaffClient(app, members[0])
    StaffClient(app, members[1])
    stranger = StaffClient.create(app, "org_member", email="m3@example.org", organization=coastal)
    with app.app_context():
        andean_key = keychain.current(andean.uid)

    def holds_andean(email):
        with app.app_context():
            user = User.by_email(email)
            return keychain.open_group(andean_key, user, private_of(app, email)) is not None

    # Both existed when the key was made at the first one's sign-in: each takes it then.
    assert holds_andean("m1@example.org") and holds_andean("m2@example.org")
    StaffClient.create(app, "org_member", email="m4@example.org", organization=andean)
    assert not holds_andean("m4@example.org")
    assert give(stranger, "m4@example.org").status_code == 404  # another organization
    assert "m4@example.org" not in stranger.text("/staff/keys/")
    assert give(member, "m4@example.org").status_code == 303
    assert holds_andean("m4@example.org")
    # A reviewer reads what organizations read, through the network's key, and gives it.
    assert holds_andean("first@example.org")
    StaffClient.create(app, "org_member", email="m5@example.org", organization=andean)
    assert give(first, "m5@example.org").status_code == 303
    assert holds_andean("m5@example.org")


def test_a_member_who_leaves_takes_nothing_the_group_holds_after(app, first, admin):
    andean = add_org(app, "andean-watch", name="Andean Watch")
    StaffClient.create(app, "org_member", email="m1@example.org", organization=andean)
    leaving = StaffClient.create(app, "reviewer", email="leaving@example.org")
    assert give(first, "leaving@example.org").status_code == 303
    with app.app_context():
        old = keychain.current(keychain.NETWORK)
        kept = keychain.open_group(old, leaving.user, private_of(app, "leaving@example.org"))
    assert kept is not None  # what a member could copy while still one

    deactivated = admin.post(f"/admin/accounts/{leaving.user.uid}/deactivate", confirm="y")
    assert deactivated.status_code == 303
    with app.app_context():
        new = keychain.current(keychain.NETWORK)
        assert new.generation == old.generation + 1
        assert not KeyGrant.select().where(KeyGrant.user == leaving.user.id).exists()
        assert GroupKey.get_by_id(old.id).retired_at is not None
    assert holds_network(app, "first@example.org", private_of(app, "first@example.org"))

    # The next holder to sign in moves what the old key held, and the old key is deleted.
    sign_in(app.test_client(), "first@example.org")
    with app.app_context():
        assert GroupKey.get_or_none(GroupKey.id == old.id) is None
        andean_key = keychain.current(andean.uid)
        assert andean_key.network_key == new.uid
        # The old network key the leaver kept no longer opens the organization's key.
        with pytest.raises(Unopenable):
            envelopes.unwrap(
                andean_key.network_wrap,
                kept,
                envelopes.context("group-network", andean_key.uid, old.uid),
            )
        first_user = User.by_email("first@example.org")
        private = private_of(app, "first@example.org")
        assert keychain.open_group(andean_key, first_user, private) is not None
        assert AuditEvent.select().where(AuditEvent.action == "keys.rotated").count() == 1


def test_two_members_leaving_at_once_each_rotate_in_turn(backend_app):
    app = backend_app
    first = StaffClient.create(app, "reviewer", email="first@example.org")
    for email in ("a@example.org", "b@example.org", "stays@example.org"):
        StaffClient.create(app, "reviewer", email=email)
        assert give(first, email).status_code == 303
    with app.app_context():
        start = keychain.current(keychain.NETWORK).generation
        leavers = [User.by_email("a@example.org"), User.by_email("b@example.org")]

    def leave(user):
        from portal import accounts

        def move(ready):
            ready()
            accounts.deactivate(user)

        return move

    assert at_the_same_moment(app, leave(leavers[0]), leave(leavers[1])) == [None, None]
    with app.app_context(), db.connection_context():
        key = keychain.current(keychain.NETWORK)
        assert key.generation == start + 2
        grants = KeyGrant.select(KeyGrant, User).join(User, on=(KeyGrant.user == User.id))
        holding = {grant.user.email for grant in grants.where(KeyGrant.group_key == key)}
        assert holding == {"first@example.org", "stays@example.org"}


def _session_row(app):
    with app.app_context():
        return ServerSession.get(ServerSession.kind == "staff")


def test_the_session_keeps_the_key_sealed_under_its_id_which_only_the_cookie_holds(app, first):
    row = _session_row(app)
    private = private_of(app, "first@example.org")
    assert private not in bytes(row.keys_sealed)
    with first.client.session_transaction() as cookie:
        sid = cookie["ssid"]
    aad = f"portal/e1|session|{row.id_hash}".encode()
    opened = json.loads(envelopes.open_with(envelopes.session_key(sid), row.keys_sealed, aad))
    assert base64.b64decode(opened["person"]) == private
    # With everything the server keeps (the stored hash, its keys), the row opens nothing.
    for guess in (row.id_hash, app.config["SECRET_KEY"], app.config["DATA_KEYS"]):
        with pytest.raises(Unopenable):
            envelopes.open_with(envelopes.session_key(guess), row.keys_sealed, aad)
    with app.app_context(), pytest.raises(sealing.SealError):
        sealing.keyring().open(row.keys_sealed, "server_session|keys|x")


def test_two_app_processes_share_sessions_and_their_keys(app, first, tmp_path, app_settings):
    StaffClient.create(app, "reviewer", email="later@example.org")
    other = make_app(tmp_path, **app_settings)  # a second process on the same database
    with first.client.session_transaction() as cookie:
        sid = cookie["ssid"]
    browser = other.test_client()
    with browser.session_transaction() as cookie:
        cookie["ssid"] = sid
    page = browser.get("/staff/keys/")
    assert page.status_code == 200
    assert "You hold the network's key." in page.get_data(as_text=True)
    assert "later@example.org" in page.get_data(as_text=True)


@pytest.mark.app_config(TOTP_REQUIRED_ROLES="reviewer")
def test_the_key_unlocked_by_the_password_waits_through_the_second_step(app):
    from portal_testing.auth import at_the_second_step, send_code, totp_code

    # Enrolled, then signing in again: the password step opens the key, the code step
    # carries it into the session it opens.
    client, secret, _ = at_the_second_step(app, "first@example.org")
    with app.app_context():
        pending = ServerSession.get(ServerSession.kind == "staff_pending")
        assert pending.keys_sealed is not None
    assert send_code(client, "/staff/code", totp_code(secret, steps_ahead=1)).status_code == 303
    page = client.get("/staff/keys/").get_data(as_text=True)
    assert "You hold the network's key." in page
    with app.app_context():
        assert not ServerSession.select().where(ServerSession.kind == "staff_pending").exists()


def test_a_member_moved_to_another_organization_holds_neither_key_until_given_the_new(
    app, first, admin
):
    andean = add_org(app, "andean-watch", name="Andean Watch")
    coastal = add_org(app, "coastal-guard", name="Coastal Guard")
    with app.app_context():
        moving, staying = (
            create_staff_account(email, "org_member", organization=andean)
            for email in ("moving@example.org", "staying@example.org")
        )
    StaffClient(app, moving)
    StaffClient(app, staying)
    StaffClient.create(app, "org_member", email="coastal@example.org", organization=coastal)
    with app.app_context():
        old = keychain.current(andean.uid)
        kept = keychain.open_group(old, moving, private_of(app, "moving@example.org"))
    assert kept is not None

    moved = admin.post(
        f"/admin/accounts/{moving.uid}/move", organization="coastal-guard", confirm="y"
    )
    assert moved.status_code == 303
    with app.app_context():
        user = User.by_email("moving@example.org")
        private = private_of(app, "moving@example.org")
        new_andean, coastal_key = keychain.current(andean.uid), keychain.current(coastal.uid)
        assert new_andean.generation == old.generation + 1
        assert keychain.open_group(new_andean, user, private) is None
        assert keychain.open_group(coastal_key, user, private) is None
        staying_user = User.by_email("staying@example.org")
        assert keychain.open_group(new_andean, staying_user, private_of(app, "staying@example.org"))
    assert give(first, "moving@example.org").status_code == 303  # a reviewer gives the new one
    with app.app_context():
        assert keychain.open_group(keychain.current(coastal.uid), user, private) is not None


def test_the_first_reviewer_takes_the_key_only_under_a_password_they_chose(app, admin):
    created = admin.post("/admin/accounts", email="new@example.org", role="reviewer")
    password = shown_password(created)
    new = StaffClient(app, account(app, "new@example.org"), password)
    with app.app_context():
        key = keychain.current(keychain.NETWORK)
        assert key is not None and key.server_sealed is not None  # kept: nobody took it
        assert not KeyGrant.select().exists()
    assert "First choose your own password" in new.text("/staff/keys/")

    assert change_password(new, password, NEW_PASSWORD).status_code == 303
    assert "You hold the network's key." in new.text("/staff/keys/")
    assert holds_network(app, "new@example.org", private_of(app, "new@example.org", NEW_PASSWORD))
    with app.app_context():
        assert keychain.current(keychain.NETWORK).server_sealed is None
