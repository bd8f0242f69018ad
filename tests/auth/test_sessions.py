"""Staff sessions: new ids at sign-in, idle and absolute timeouts, ending them."""

import datetime
import json

import pytest
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from portal import accounts
from portal.models import User

from portal_testing import (
    STAFF_PASSWORD,
    csrf_token,
    session_contents,
    sign_in,
)
from portal_testing.auth import (
    ADMIN,
    HOME,
    NEW_PASSWORD,
    ONE_STEP_MEMBERS,
    ORG_MEMBER,
    REVIEWER,
    TULIP,
    WRONG_PASSWORD,
    age_sessions,
    at_the_second_step,
    audit_trail,
    change_password,
    copy_of_cookie,
    create_account,
    database,
    errors,
    location,
    send_code,
    sent_to_sign_in,
    server_sessions,
    signed_in_browser,
    totp_code,
)

pytestmark = pytest.mark.app_config(**ONE_STEP_MEMBERS)


def test_every_sign_in_gets_a_new_session_id_and_ends_the_old_one(app, client):
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)
    [first] = server_sessions(app, "staff")
    first_id = session_contents(app, client)["ssid"]
    earlier_copy = copy_of_cookie(app, client)

    sign_in(client, ORG_MEMBER, token=csrf_token(client, "/staff/password"))

    [second] = server_sessions(app, "staff")
    assert second.id_hash != first.id_hash
    assert session_contents(app, client)["ssid"] != first_id
    assert client.get("/staff/").status_code == 200
    assert sent_to_sign_in(earlier_copy.get("/staff/"), "/staff/")


def test_the_id_given_after_the_password_is_replaced_after_the_second_step(app):
    client, secret, _ = at_the_second_step(app)
    [pending] = server_sessions(app, "staff_pending")
    copy_after_password = copy_of_cookie(app, client)

    send_code(client, "/staff/code", totp_code(secret, 1))

    assert server_sessions(app, "staff_pending") == []
    assert pending.id_hash not in {record.id_hash for record in server_sessions(app)}
    assert client.get("/review/").status_code == 200
    assert sent_to_sign_in(copy_after_password.get("/review/"), "/review/")


def test_a_form_token_from_before_sign_in_is_not_valid_after_it(app, client):
    create_account(app, ORG_MEMBER)
    token_before = csrf_token(client, "/staff/sign-in")

    sign_in(client, ORG_MEMBER, token=token_before)
    with_old_token = client.post("/staff/sign-out", data={"csrf_token": token_before})

    assert with_old_token.status_code == 400
    assert client.get("/staff/").status_code == 200
    token_after = csrf_token(client, "/staff/password")
    assert sent_to_sign_in(client.post("/staff/sign-out", data={"csrf_token": token_after}))


def test_the_session_cookie_carries_no_email_role_or_password(app):
    client, secret, codes = signed_in_browser(app, "reviewer", REVIEWER)
    pending = app.test_client()
    sign_in(pending, REVIEWER)

    for browser in (client, pending):
        contents = session_contents(app, browser)
        # hsid: the random id of what is held for the browser (recovery codes until saved).
        allowed = {"csrf_token", "ssid", "psid", "hsid", "sign_in_next", "_flashes"}
        assert set(contents) <= allowed
        serialized = json.dumps(contents).lower()
        for personal in (REVIEWER, "reviewer", STAFF_PASSWORD, secret, *codes):
            assert personal.lower() not in serialized
    assert "ssid" in session_contents(app, client)
    assert "psid" in session_contents(app, pending)


def test_after_signing_out_a_copy_of_the_cookie_opens_nothing(app, client):
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)
    assert copy_of_cookie(app, client).get("/staff/").status_code == 200, "a copy is a key"
    copied = copy_of_cookie(app, client)

    response = client.post("/staff/sign-out", data={"csrf_token": csrf_token(client, "/staff/")})

    assert sent_to_sign_in(response)
    assert sent_to_sign_in(client.get("/staff/"), "/staff/")
    assert sent_to_sign_in(copied.get("/staff/"), "/staff/")
    assert server_sessions(app) == []
    assert ("sign_out", ORG_MEMBER, ORG_MEMBER, "") in audit_trail(app)


def test_a_cookie_and_form_token_signed_compressed_before_still_work(app, client):
    # Flask and flask-wtf compress what they sign when it gets shorter; the portal no longer
    # does (portal/signing.py). What a browser was given before must keep working.
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)
    client.get("/staff/")  # a page with a form: the session holds the form token's half
    contents = session_contents(app, client) | {"sign_in_next": "/staff/" * 40}
    with app.app_context():
        cookie = SecureCookieSessionInterface().get_signing_serializer(app).dumps(contents)
        form_token = URLSafeTimedSerializer(app.secret_key, "wtf-csrf-token").dumps(
            contents["csrf_token"]
        )
    assert cookie.startswith(".")  # compressed
    earlier = app.test_client()
    earlier.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)

    assert earlier.get("/staff/").status_code == 200
    response = earlier.post("/staff/sign-out", data={"csrf_token": form_token})
    assert sent_to_sign_in(response)
    assert server_sessions(app) == []


@pytest.mark.parametrize(
    "contents",
    [
        {"csrf_token": "a" * 40, "ssid": "x", "n": 3, "yes": True, "none": None},
        {"é": "ü <script>", "b": "\u202e"},
        {" t": "a name that is one of Flask's tags"},
        {"_flashes": [("message", "Saved.")]},
        {"when": datetime.datetime(2026, 12, 6, tzinfo=datetime.UTC), "raw": b"\x00"},
        {},
    ],
)
def test_the_session_is_written_as_flask_writes_it(app, contents):
    with app.app_context():
        written = app.session_interface.serializer.dumps(contents)
        assert written == TaggedJSONSerializer().dumps(contents)
        assert app.session_interface.serializer.loads(written) == contents


@pytest.mark.parametrize(("minutes", "still_in"), [(29, True), (31, False)])
def test_a_session_left_idle_for_30_minutes_ends(app, client, minutes, still_in):
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)

    age_sessions(app, last_seen_at=datetime.timedelta(minutes=minutes))
    response = client.get("/staff/")

    if still_in:
        assert response.status_code == 200
        assert len(server_sessions(app)) == 1
    else:
        assert sent_to_sign_in(response, "/staff/")
        assert server_sessions(app) == []


@pytest.mark.parametrize(("since_sign_in", "still_in"), [((11, 59), True), ((12, 1), False)])
def test_a_session_ends_12_hours_after_sign_in_even_when_in_use(
    app, client, since_sign_in, still_in
):
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)
    hours, minutes = since_sign_in

    age_sessions(
        app,
        created_at=datetime.timedelta(hours=hours, minutes=minutes),
        last_seen_at=datetime.timedelta(minutes=1),
    )
    response = client.get("/staff/")

    if still_in:
        assert response.status_code == 200
    else:
        assert sent_to_sign_in(response, "/staff/")
        assert server_sessions(app) == []


def test_deactivating_an_account_ends_its_sessions_at_once(app, client):
    create_account(app, ADMIN, "admin")
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)
    other_browser = app.test_client()
    sign_in(other_browser, ORG_MEMBER)
    assert len(server_sessions(app)) == 2

    with database(app):
        accounts.deactivate(User.by_email(ORG_MEMBER), by=User.by_email(ADMIN))

    assert server_sessions(app) == []
    assert sent_to_sign_in(client.get("/staff/"), "/staff/")
    assert sent_to_sign_in(other_browser.get("/staff/"), "/staff/")


def test_a_new_password_signs_out_the_other_browsers_and_keeps_this_one(app, client):
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)
    laptop_left_at_the_office = app.test_client()
    sign_in(laptop_left_at_the_office, ORG_MEMBER)
    copy_of_this_browser = copy_of_cookie(app, client)

    response = change_password(client, STAFF_PASSWORD, NEW_PASSWORD)

    assert location(response) == HOME["org_member"]
    assert client.get("/staff/").status_code == 200
    assert sent_to_sign_in(laptop_left_at_the_office.get("/staff/"), "/staff/")
    assert sent_to_sign_in(copy_of_this_browser.get("/staff/"), "/staff/")
    assert len(server_sessions(app)) == 1
    assert sign_in(app.test_client(), ORG_MEMBER, STAFF_PASSWORD).status_code == 200
    assert location(sign_in(app.test_client(), ORG_MEMBER, NEW_PASSWORD)) == HOME["org_member"]
    assert ("account.password_changed", ORG_MEMBER, ORG_MEMBER, "") in audit_trail(app)


def test_a_new_password_ends_a_second_step_waiting_elsewhere(app):
    client, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    thief_with_the_old_password = app.test_client()
    sign_in(thief_with_the_old_password, REVIEWER)
    token = csrf_token(thief_with_the_old_password, "/staff/code")

    change_password(client, STAFF_PASSWORD, NEW_PASSWORD)

    response = send_code(thief_with_the_old_password, "/staff/code", totp_code(secret, 1), token)
    assert sent_to_sign_in(response)
    assert sent_to_sign_in(thief_with_the_old_password.get("/review/"), "/review/")


def test_the_current_password_must_be_right_to_change_it(app, client):
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)
    other_browser = app.test_client()
    sign_in(other_browser, ORG_MEMBER)

    response = change_password(client, WRONG_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 200
    assert errors(response) == {"current": ["This is not your current password."]}
    assert other_browser.get("/staff/").status_code == 200
    assert location(sign_in(app.test_client(), ORG_MEMBER, STAFF_PASSWORD)) == HOME["org_member"]


NEW_PASSWORD_PROBLEMS = {
    "not repeated the same": (NEW_PASSWORD, NEW_PASSWORD + "!", "repeat"),
    "11 characters": (TULIP[:11], None, "new"),
    "129 characters": (TULIP[:129], None, "new"),
    "common": ("password1234", None, "new"),
    "common in capitals": ("QWERTYUIOP12", None, "new"),
}


@pytest.mark.parametrize("case", NEW_PASSWORD_PROBLEMS, ids=list(NEW_PASSWORD_PROBLEMS))
def test_a_new_password_must_be_typed_twice_and_follow_the_rules(app, client, case):
    new, repeat, field = NEW_PASSWORD_PROBLEMS[case]
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)

    response = change_password(client, STAFF_PASSWORD, new, repeat)

    assert response.status_code == 200
    assert errors(response).get(field), errors(response)
    assert sign_in(app.test_client(), ORG_MEMBER, new).status_code == 200
    assert location(sign_in(app.test_client(), ORG_MEMBER, STAFF_PASSWORD)) == HOME["org_member"]
    assert client.get("/staff/").status_code == 200
