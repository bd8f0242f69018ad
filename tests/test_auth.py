"""Staff sign-in, as SECURITY.md ("Accounts and sessions", "Access control") asks for it.

Each test tells what a staff member, or someone attacking their account, does and
asserts what they see: status codes, where they are sent, the messages on the
page, the cookie they hold and the rows the server keeps. Time never passes by
sleeping: sessions are aged in the database and TOTP codes are computed for a
given time step.
"""

import base64
import contextlib
import datetime
import html
import json
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from portal import accounts
from portal.access import is_safe_next
from portal.db import db
from portal.models import AuditEvent, RecoveryCode, ServerSession, User, utcnow

from portal_testing import (
    PageForms,
    create_staff_account,
    csrf_token,
    make_app,
    members_organization,
    shown,
    tags,
)

PASSWORD = "lantern orchard pebble 42"
WRONG_PASSWORD = "lantern orchard pebble 43"
NEW_PASSWORD = "violet harbour kettle 97"

ORG_MEMBER = "ines.org@example.org"
REVIEWER = "rafael.review@example.org"
ADMIN = "amara.admin@example.org"

NOT_RIGHT = "The email address or the password is not right."
WRONG_ENROL_CODE = "That code is not right. Check the time on your phone and try again."
WRONG_SECOND_FACTOR = "That code is not right, or it was used already."
TOO_MANY = "Too many attempts"

HOME = {"org_member": "/org/", "reviewer": "/review/", "admin": "/admin/accounts"}
SECRET_ON_PAGE = re.compile(r'class="secret"[^>]*>([^<]+)<')
RECOVERY_CODE = re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{4}){3}\b")


# --- helpers -------------------------------------------------------------------------------


# Here organization members sign in without a second step (a setting), so that
# both kinds of sign-in are at hand; by default every role needs one (tested).
ONE_STEP_MEMBERS = {"TOTP_REQUIRED_ROLES": "admin,reviewer"}


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, **ONE_STEP_MEMBERS)
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def build_app(tmp_path):
    """make_app with extra settings; the database is closed afterwards."""

    def build(**config):
        return make_app(tmp_path, **{**ONE_STEP_MEMBERS, **config})

    yield build
    if not db.is_closed():
        db.close()


@contextlib.contextmanager
def database(app):
    with app.app_context(), db.connection_context():
        yield


def create_account(app, email, role="org_member", password=PASSWORD):
    with database(app):
        create_staff_account(email, role, password)
    return email


def account(app, email):
    with database(app):
        return User.by_email(email)


def sign_in(client, email, password=PASSWORD, next_path=None, token=None, **kwargs):
    """Fill in the sign-in form and send it."""
    data = {
        "email": email,
        "password": password,
        "csrf_token": token or csrf_token(client, "/staff/sign-in"),
    }
    if next_path is not None:
        data["next"] = next_path
    return client.post("/staff/sign-in", data=data, **kwargs)


def send_code(client, path, code, token=None):
    """Type a code on the enrolment page or the second-step page and send it."""
    return client.post(path, data={"code": code, "csrf_token": token or csrf_token(client, path)})


def location(response):
    assert response.status_code == 303, response.status_code
    return response.headers["Location"]


def sent_to_sign_in(response, path=None):
    """The person is sent to the sign-in page (and, if `path` is given, brought back there)."""
    target = urlsplit(location(response))
    if target.path != "/staff/sign-in":
        return False
    return path is None or parse_qs(target.query).get("next") == [path]


def text(response):
    return html.unescape(response.get_data(as_text=True))


def errors(response):
    return PageForms(response.get_data(as_text=True)).errors


def totp_code(secret, steps_ahead=0):
    """The code an authenticator app shows now (or `steps_ahead` periods of 30 s from now)."""
    return pyotp.TOTP(secret).at(int(time.time()), counter_offset=steps_ahead)


def wrong_code(secret):
    """Six digits that are not a code of the secret anywhere near now."""
    near = {totp_code(secret, steps) for steps in range(-3, 4)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def enrolment_secret(client):
    page = client.get("/staff/enrol").get_data(as_text=True)
    match = SECRET_ON_PAGE.search(page)
    assert match, "no key on the enrolment page"
    return html.unescape(match.group(1)).replace(" ", "")


def enrol(client):
    """Set up two-step sign-in as a person would: type the key shown, send the app's code.

    Returns the secret and the recovery codes shown.
    """
    secret = enrolment_secret(client)
    response = send_code(client, "/staff/enrol", totp_code(secret))
    assert response.status_code == 201, response.status_code
    return secret, RECOVERY_CODE.findall(response.get_data(as_text=True))


def signed_in_browser(app, role, email=None):
    """A new account of `role` and a browser that went through every step of signing in.

    Returns the browser and the account's TOTP secret and recovery codes (None without them).
    """
    email = email or f"{role}@example.org"
    create_account(app, email, role)
    client = app.test_client()
    response = sign_in(client, email)
    secret = codes = None
    if location(response) == "/staff/enrol":
        secret, codes = enrol(client)
    else:
        assert location(response) == HOME[role]
    assert client.get(HOME[role]).status_code == 200
    return client, secret, codes


def session_contents(app, client):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def copy_of_cookie(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def server_sessions(app, kind=None):
    with database(app):
        query = ServerSession.select().order_by(ServerSession.id)
        if kind:
            query = query.where(ServerSession.kind == kind)
        return list(query)


def age_sessions(app, kind="staff", **fields):
    """Move the server's record of sessions of `kind` back in time: field=timedelta."""
    with database(app):
        now = utcnow()
        values = {getattr(ServerSession, name): now - ago for name, ago in fields.items()}
        ServerSession.update(values).where(ServerSession.kind == kind).execute()


def set_cookie_names(response):
    return sorted(header.split("=", 1)[0] for header in response.headers.getlist("Set-Cookie"))


def audit_trail(app, prefix=""):
    with database(app):
        return [
            (
                event.action,
                event.user.email if event.user else None,
                event.target_user.email if event.target_user else None,
                event.detail,
            )
            for event in AuditEvent.select().order_by(AuditEvent.id)
            if event.action.startswith(prefix)
        ]


def database_bytes(tmp_path):
    """The database as someone who copied its files would have it."""
    return b"".join(path.read_bytes() for path in Path(tmp_path).glob("portal.sqlite3*"))


# --- passwords -----------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id_hashes(app):
    create_account(app, ORG_MEMBER)

    stored = account(app, ORG_MEMBER).password_hash

    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    parameters = extract_parameters(stored)
    assert parameters.type is Type.ID
    # argon2-cffi's RFC 9106 low-memory profile, or stronger.
    assert parameters.memory_cost >= 65536
    assert parameters.time_cost >= 3


TULIP = "tulip-quay-" * 12

PASSWORD_LENGTHS = {
    "11 characters": (TULIP[:11], False),
    "12 characters": (TULIP[:12], True),
    "128 characters": (TULIP[:128], True),
    "129 characters": (TULIP[:129], False),
}


@pytest.mark.parametrize("case", PASSWORD_LENGTHS, ids=list(PASSWORD_LENGTHS))
def test_a_password_has_12_to_128_characters(app, client, case):
    password, accepted = PASSWORD_LENGTHS[case]
    assert len(password) == int(case.split()[0])

    if not accepted:
        with database(app), pytest.raises(accounts.AccountError) as refusal:
            create_staff_account(ORG_MEMBER, "org_member", password)
        assert str(refusal.value) in ("Use at least 12 characters.", "Use at most 128 characters.")
        assert account(app, ORG_MEMBER) is None
        return

    create_account(app, ORG_MEMBER, password=password)
    assert location(sign_in(client, ORG_MEMBER, password)) == HOME["org_member"]


def test_a_long_password_is_checked_to_its_last_character(app, client):
    long_password = "river stone " * 8 + "lamp"
    assert len(long_password) == 100
    create_account(app, ORG_MEMBER, password=long_password)

    almost = sign_in(client, ORG_MEMBER, long_password[:-1] + "x")
    shorter = sign_in(client, ORG_MEMBER, long_password[:72])

    assert almost.status_code == 200
    assert errors(almost) == {"password": [NOT_RIGHT]}
    assert shorter.status_code == 200
    assert location(sign_in(client, ORG_MEMBER, long_password)) == HOME["org_member"]


@pytest.mark.parametrize("common", ["password1234", "qwertyuiop12", "Password1234"])
def test_a_common_password_is_refused(app, common):
    with database(app), pytest.raises(accounts.AccountError) as refusal:
        create_staff_account(ORG_MEMBER, "org_member", common)

    assert str(refusal.value) == "This password is too common. Choose another one."
    assert account(app, ORG_MEMBER) is None


@pytest.mark.parametrize(
    "weaker",
    [
        PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1),
        PasswordHasher(time_cost=2, memory_cost=65536, parallelism=4, type=Type.I),
    ],
    ids=["argon2id with weak parameters", "argon2i"],
)
def test_an_old_hash_is_upgraded_when_its_owner_signs_in(app, client, weaker):
    create_account(app, ORG_MEMBER)
    with database(app):
        User.update(password_hash=weaker.hash(PASSWORD)).where(User.email == ORG_MEMBER).execute()
    old = account(app, ORG_MEMBER).password_hash

    assert location(sign_in(client, ORG_MEMBER)) == HOME["org_member"]

    upgraded = account(app, ORG_MEMBER).password_hash
    assert upgraded != old
    assert upgraded.startswith("$argon2id$")
    assert not accounts._hasher.check_needs_rehash(upgraded)
    assert location(sign_in(app.test_client(), ORG_MEMBER)) == HOME["org_member"]


def test_a_wrong_password_does_not_upgrade_the_hash(app, client):
    create_account(app, ORG_MEMBER)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with database(app):
        User.update(password_hash=weak).where(User.email == ORG_MEMBER).execute()

    assert sign_in(client, ORG_MEMBER, WRONG_PASSWORD).status_code == 200

    assert account(app, ORG_MEMBER).password_hash == weak


# --- signing in with a password ------------------------------------------------------------


class CountingHasher:
    """The portal's hasher, noting every hash it verifies a password against."""

    def __init__(self, real):
        self.real = real
        self.verified = []

    def verify(self, hash, password):
        self.verified.append(hash)
        return self.real.verify(hash, password)

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_unknown_wrong_and_deactivated_accounts_look_the_same(app, monkeypatch):
    create_account(app, ORG_MEMBER)
    create_account(app, "gone@example.org")
    create_account(app, ADMIN, "admin")  # deactivating needs another administrator
    with database(app):
        accounts.deactivate(User.by_email("gone@example.org"))
    hasher = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", hasher)
    attempts = {
        "wrong password": (ORG_MEMBER, WRONG_PASSWORD),
        "unknown account": ("nobody@example.org", WRONG_PASSWORD),
        "deactivated account": ("gone@example.org", PASSWORD),
    }

    seen = {}
    for case, (email, password) in attempts.items():
        client = app.test_client()
        token = csrf_token(client, "/staff/sign-in")
        hasher.verified.clear()
        response = sign_in(client, email, password, token=token)
        page = response.get_data(as_text=True)
        seen[case] = {
            "status": response.status_code,
            "errors": errors(response),
            "cookies set": set_cookie_names(response),
            "cookie holds": sorted(session_contents(app, client)),
            # The same page but for the address typed and the form's token (signed anew
            # when a second has passed since the form was loaded: take the page's own).
            "page": page.replace(PageForms(page).values["csrf_token"][0], "TOKEN").replace(
                html.escape(email), "EMAIL"
            ),
            "argon2 verifications": [extract_parameters(h) for h in hasher.verified],
        }

    wrong, unknown, deactivated = seen.values()
    assert wrong["status"] == 200
    assert wrong["errors"] == {"password": [NOT_RIGHT]}
    assert len(wrong["argon2 verifications"]) == 1
    assert unknown == wrong
    assert deactivated == wrong


def test_the_email_address_is_not_case_sensitive(app, client):
    create_account(app, "Ines.Org@Example.ORG")

    response = sign_in(client, "  INES.ORG@example.org ")

    assert location(response) == HOME["org_member"]
    assert account(app, "ines.org@example.org").email == "ines.org@example.org"


def test_a_deactivated_account_cannot_sign_in(app, client):
    create_account(app, ORG_MEMBER)
    create_account(app, ADMIN, "admin")
    with database(app):
        accounts.deactivate(User.by_email(ORG_MEMBER), by=User.by_email(ADMIN))

    response = sign_in(client, ORG_MEMBER)

    assert response.status_code == 200
    assert errors(response) == {"password": [NOT_RIGHT]}
    assert sent_to_sign_in(client.get("/staff/"))


def test_sign_in_attempts_are_in_the_audit_trail_without_passwords(app, client, tmp_path):
    create_account(app, ORG_MEMBER)
    typed_into_the_wrong_box = "my secret words 77"

    sign_in(client, ORG_MEMBER, WRONG_PASSWORD)
    sign_in(client, typed_into_the_wrong_box, WRONG_PASSWORD)
    sign_in(client, ORG_MEMBER)

    trail = audit_trail(app, "sign_in.")
    assert [(action, user, target) for action, user, target, _ in trail] == [
        ("sign_in.failed", None, ORG_MEMBER),
        ("sign_in.failed", None, None),
        ("sign_in.succeeded", ORG_MEMBER, ORG_MEMBER),
    ]
    recorded = json.dumps(audit_trail(app))
    for secret in (PASSWORD, WRONG_PASSWORD, typed_into_the_wrong_box):
        assert secret not in recorded
    stored = database_bytes(tmp_path)
    for secret in (PASSWORD, WRONG_PASSWORD, typed_into_the_wrong_box):
        assert secret.encode() not in stored


# --- two-step sign-in ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/review/", "/staff/", "/staff/password", "/admin/accounts"])
def test_a_password_alone_opens_nothing_for_a_reviewer(app, client, path):
    create_account(app, REVIEWER, "reviewer")

    assert location(sign_in(client, REVIEWER)) == "/staff/enrol"

    assert sent_to_sign_in(client.get(path), path)


def test_the_enrolment_page_shows_a_qr_code_and_a_160_bit_key(app, client):
    create_account(app, REVIEWER, "reviewer")
    sign_in(client, REVIEWER)

    response = client.get("/staff/enrol")

    assert response.status_code == 200
    images = [attrs["src"] for tag, attrs in tags(response.get_data(as_text=True)) if tag == "img"]
    prefix = "data:image/svg+xml;base64,"
    qr_codes = [src for src in images if src.startswith(prefix)]
    assert len(qr_codes) == 1
    assert b"<svg" in base64.b64decode(qr_codes[0].removeprefix(prefix))
    secret = enrolment_secret(client)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) * 8 == 160
    assert enrolment_secret(client) == secret, "a reload must not change a key being scanned"
    sealed = account(app, REVIEWER).totp_secret_sealed
    assert secret.encode() not in bytes(sealed)


def test_every_account_gets_its_own_key(app):
    keys = set()
    for email in (REVIEWER, "second.reviewer@example.org"):
        create_account(app, email, "reviewer")
        client = app.test_client()
        sign_in(client, email)
        keys.add(enrolment_secret(client))

    assert len(keys) == 2


def test_a_wrong_code_does_not_finish_enrolment(app, client):
    create_account(app, REVIEWER, "reviewer")
    sign_in(client, REVIEWER)
    secret = enrolment_secret(client)

    response = send_code(client, "/staff/enrol", wrong_code(secret))

    assert response.status_code == 200
    assert errors(response) == {"code": [WRONG_ENROL_CODE]}
    assert not RECOVERY_CODE.search(response.get_data(as_text=True))
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    assert not account(app, REVIEWER).totp_confirmed


def test_the_right_code_signs_in_and_shows_ten_recovery_codes_once(app, client):
    create_account(app, REVIEWER, "reviewer")
    sign_in(client, REVIEWER)

    secret, codes = enrol(client)

    assert len(codes) == len(set(codes)) == 10
    assert client.get("/review/").status_code == 200
    assert account(app, REVIEWER).totp_confirmed
    again = client.get("/staff/enrol")
    assert sent_to_sign_in(again)
    for page in (text(again), text(client.get("/staff/"))):
        assert not RECOVERY_CODE.search(page)
    assert ("account.totp_enrolled", REVIEWER, REVIEWER, "") in audit_trail(app)


def test_later_sign_ins_ask_for_the_code(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()

    assert location(sign_in(client, REVIEWER)) == "/staff/code"
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    assert location(client.get("/staff/enrol")) == "/staff/code", "no second enrolment"

    response = send_code(client, "/staff/code", totp_code(secret, 1))

    assert location(response) == "/review/"
    assert client.get("/review/").status_code == 200


def test_a_wrong_code_at_the_second_step_is_refused_and_recorded(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()
    sign_in(client, REVIEWER)

    response = send_code(client, "/staff/code", wrong_code(secret))

    assert response.status_code == 200
    assert errors(response) == {"code": [WRONG_SECOND_FACTOR]}
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    assert ("sign_in.second_factor_failed", None, REVIEWER, "") in audit_trail(app)


def test_a_totp_code_works_once(app):
    create_account(app, REVIEWER, "reviewer")
    enrolling = app.test_client()
    sign_in(enrolling, REVIEWER)
    secret = enrolment_secret(enrolling)
    enrolment_code = totp_code(secret)
    assert send_code(enrolling, "/staff/enrol", enrolment_code).status_code == 201
    next_code = totp_code(secret, 1)

    replaying_enrolment_code = app.test_client()
    sign_in(replaying_enrolment_code, REVIEWER)
    first = app.test_client()
    sign_in(first, REVIEWER)
    second = app.test_client()
    sign_in(second, REVIEWER)

    assert send_code(replaying_enrolment_code, "/staff/code", enrolment_code).status_code == 200
    assert location(send_code(first, "/staff/code", next_code)) == "/review/"
    replay = send_code(second, "/staff/code", next_code)
    assert replay.status_code == 200
    assert errors(replay) == {"code": [WRONG_SECOND_FACTOR]}
    assert sent_to_sign_in(second.get("/review/"), "/review/")
    assert first.get("/review/").status_code == 200


def test_a_recovery_code_works_once(app):
    _, _, codes = signed_in_browser(app, "reviewer", REVIEWER)
    lost_phone = app.test_client()
    sign_in(lost_phone, REVIEWER)

    assert location(send_code(lost_phone, "/staff/code", codes[0])) == "/review/"
    assert lost_phone.get("/review/").status_code == 200

    someone_who_saw_the_code = app.test_client()
    sign_in(someone_who_saw_the_code, REVIEWER)
    replay = send_code(someone_who_saw_the_code, "/staff/code", codes[0])
    assert replay.status_code == 200
    assert errors(replay) == {"code": [WRONG_SECOND_FACTOR]}
    assert sent_to_sign_in(someone_who_saw_the_code.get("/review/"), "/review/")
    assert ("account.recovery_code_used", REVIEWER, REVIEWER, "") in audit_trail(app)


def test_a_recovery_code_may_be_typed_in_lower_case_without_dashes(app):
    _, _, codes = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()
    sign_in(client, REVIEWER)

    response = send_code(client, "/staff/code", codes[3].lower().replace("-", ""))

    assert location(response) == "/review/"


def test_recovery_codes_are_stored_only_as_hashes(app, tmp_path):
    _, _, codes = signed_in_browser(app, "reviewer", REVIEWER)

    with database(app):
        rows = [json.dumps(row, default=str) for row in RecoveryCode.select().dicts()]
        user_row = json.dumps(
            User.select().where(User.email == REVIEWER).dicts().get(), default=str
        )
    assert len(rows) == 10
    stored = database_bytes(tmp_path)
    for code in codes:
        for form in (code, code.replace("-", ""), code.lower()):
            assert not any(form in row for row in rows)
            assert form not in user_row
            assert form.encode() not in stored


def test_the_second_step_must_follow_the_password_within_five_minutes(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()
    sign_in(client, REVIEWER)
    token = csrf_token(client, "/staff/code")

    age_sessions(app, "staff_pending", created_at=datetime.timedelta(minutes=4))
    assert client.get("/staff/code").status_code == 200

    age_sessions(app, "staff_pending", created_at=datetime.timedelta(minutes=5, seconds=10))
    response = send_code(client, "/staff/code", totp_code(secret, 1), token=token)

    assert sent_to_sign_in(response)
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    assert server_sessions(app, "staff_pending") == []
    assert [record.kind for record in server_sessions(app)] == ["staff"], "the first browser's"


def test_an_organization_member_signs_in_with_the_password_alone(app, client):
    create_account(app, ORG_MEMBER)

    assert location(sign_in(client, ORG_MEMBER)) == HOME["org_member"]
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_staff_who_review_must_set_up_two_step_sign_in(app, client, role):
    create_account(app, ADMIN if role == "admin" else REVIEWER, role)

    response = sign_in(client, ADMIN if role == "admin" else REVIEWER)

    assert location(response) == "/staff/enrol"
    assert sent_to_sign_in(client.get(HOME[role]), HOME[role])


@pytest.mark.parametrize("role", ["admin", "reviewer", "org_member"])
def test_by_default_every_role_must_set_up_two_step_sign_in(tmp_path, role):
    app = make_app(tmp_path)  # the shipped settings
    create_account(app, ORG_MEMBER, role)
    client = app.test_client()

    assert location(sign_in(client, ORG_MEMBER)) == "/staff/enrol"
    assert sent_to_sign_in(client.get(HOME[role]), HOME[role])


def test_without_required_roles_a_reviewer_signs_in_with_the_password_alone(build_app):
    app = build_app(TOTP_REQUIRED_ROLES="")
    create_account(app, REVIEWER, "reviewer")
    client = app.test_client()

    assert location(sign_in(client, REVIEWER)) == "/review/"
    assert client.get("/review/").status_code == 200


# --- sessions ------------------------------------------------------------------------------


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
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()
    sign_in(client, REVIEWER)
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
        assert set(contents) <= {"csrf_token", "ssid", "psid", "sign_in_next", "_flashes"}
        serialized = json.dumps(contents).lower()
        for personal in (REVIEWER, "reviewer", PASSWORD, secret, *codes):
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


def change_password(client, current, new, repeat=None):
    return client.post(
        "/staff/password",
        data={
            "current": current,
            "new": new,
            "repeat": new if repeat is None else repeat,
            "csrf_token": csrf_token(client, "/staff/password"),
        },
    )


def test_a_new_password_signs_out_the_other_browsers_and_keeps_this_one(app, client):
    create_account(app, ORG_MEMBER)
    sign_in(client, ORG_MEMBER)
    laptop_left_at_the_office = app.test_client()
    sign_in(laptop_left_at_the_office, ORG_MEMBER)
    copy_of_this_browser = copy_of_cookie(app, client)

    response = change_password(client, PASSWORD, NEW_PASSWORD)

    assert location(response) == HOME["org_member"]
    assert client.get("/staff/").status_code == 200
    assert sent_to_sign_in(laptop_left_at_the_office.get("/staff/"), "/staff/")
    assert sent_to_sign_in(copy_of_this_browser.get("/staff/"), "/staff/")
    assert len(server_sessions(app)) == 1
    assert sign_in(app.test_client(), ORG_MEMBER, PASSWORD).status_code == 200
    assert location(sign_in(app.test_client(), ORG_MEMBER, NEW_PASSWORD)) == HOME["org_member"]
    assert ("account.password_changed", ORG_MEMBER, ORG_MEMBER, "") in audit_trail(app)


def test_a_new_password_ends_a_second_step_waiting_elsewhere(app):
    client, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    thief_with_the_old_password = app.test_client()
    sign_in(thief_with_the_old_password, REVIEWER)
    token = csrf_token(thief_with_the_old_password, "/staff/code")

    change_password(client, PASSWORD, NEW_PASSWORD)

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
    assert location(sign_in(app.test_client(), ORG_MEMBER, PASSWORD)) == HOME["org_member"]


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

    response = change_password(client, PASSWORD, new, repeat)

    assert response.status_code == 200
    assert errors(response).get(field), errors(response)
    assert sign_in(app.test_client(), ORG_MEMBER, new).status_code == 200
    assert location(sign_in(app.test_client(), ORG_MEMBER, PASSWORD)) == HOME["org_member"]
    assert client.get("/staff/").status_code == 200


# --- where a person lands after signing in (?next=) ----------------------------------------

UNSAFE_NEXT = [
    "//evil.example",
    "/\\evil.example",
    "https:evil.example",
    "https://evil.example/",
    # Unquoted it starts with "//": refused, even though a browser would stay on the site.
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "/%5Cevil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    "/\t/evil.example",
    "/%09/evil.example",
    " /path",
    "///evil.example",
    "",
    None,
]
SAFE_NEXT = ["/review/?state=submitted", "/staff/password", "/", "/review/"]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_is_safe_next_refuses_what_could_leave_the_site(target):
    assert is_safe_next(target) is False


@pytest.mark.parametrize("target", SAFE_NEXT)
def test_is_safe_next_accepts_paths_on_the_site(target):
    assert is_safe_next(target) is True


@pytest.mark.parametrize("target", [t for t in UNSAFE_NEXT if t])
def test_a_sign_in_link_to_another_site_leads_home_instead(app, client, target):
    create_account(app, ORG_MEMBER)

    form = PageForms(client.get("/staff/sign-in", query_string={"next": target}).data.decode())
    assert form.values["next"] == [""]
    response = sign_in(client, ORG_MEMBER, next_path=target)

    assert location(response) == HOME["org_member"]


def test_after_signing_in_the_person_is_back_where_they_were_going(app, client):
    create_account(app, ORG_MEMBER)
    bounced = client.get("/staff/password")
    assert sent_to_sign_in(bounced, "/staff/password")

    form = PageForms(client.get(location(bounced)).get_data(as_text=True))
    assert form.values["next"] == ["/staff/password"]
    response = sign_in(client, ORG_MEMBER, next_path=form.values["next"][0])

    assert location(response) == "/staff/password"


def test_the_way_back_survives_the_second_step(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()
    assert sent_to_sign_in(client.get("/review/?state=submitted"), "/review/?state=submitted")

    sign_in(client, REVIEWER, next_path="/review/?state=submitted")
    response = send_code(client, "/staff/code", totp_code(secret, 1))

    assert location(response) == "/review/?state=submitted"


def test_an_unsafe_way_back_given_before_the_second_step_leads_home(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()

    sign_in(client, REVIEWER, next_path="//evil.example")
    response = send_code(client, "/staff/code", totp_code(secret, 1))

    assert location(response) == "/review/"


# --- throttling ----------------------------------------------------------------------------


def test_the_fourth_failed_sign_in_from_one_browser_gets_a_translated_429(build_app):
    app = build_app(SIGN_IN_RATE_LIMIT="3 per minute")
    create_account(app, ORG_MEMBER)
    client = app.test_client()
    client.set_cookie("lang", "fr")

    answers = [sign_in(client, ORG_MEMBER, WRONG_PASSWORD).status_code for _ in range(3)]
    refused = sign_in(client, ORG_MEMBER, PASSWORD)

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert shown("fr", TOO_MANY) in text(refused)
    assert '<html lang="fr"' in refused.get_data(as_text=True)
    assert sent_to_sign_in(client.get("/staff/"), "/staff/")


def test_rotating_x_forwarded_for_does_not_escape_the_limit(build_app):
    app = build_app(SIGN_IN_RATE_LIMIT="3 per minute")
    create_account(app, ORG_MEMBER)
    client = app.test_client()

    answers = [
        sign_in(
            client, ORG_MEMBER, WRONG_PASSWORD, headers={"X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(1, 5)
    ]

    assert answers == [200, 200, 200, 429]
    assert TOO_MANY in text(
        sign_in(client, ORG_MEMBER, WRONG_PASSWORD, headers={"X-Forwarded-For": "198.51.100.9"})
    )


def test_successful_sign_ins_do_not_use_up_the_tries(build_app):
    app = build_app(SIGN_IN_RATE_LIMIT="3 per minute", SIGN_IN_ACCOUNT_RATE_LIMIT="3 per hour")
    create_account(app, ORG_MEMBER)

    answers = [location(sign_in(app.test_client(), ORG_MEMBER)) for _ in range(5)]

    assert answers == [HOME["org_member"]] * 5


def browser_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_the_fourth_failure_on_one_account_from_anywhere_gets_429(build_app):
    app = build_app(SIGN_IN_ACCOUNT_RATE_LIMIT="3 per hour")
    create_account(app, ORG_MEMBER)
    create_account(app, "someone.else@example.org")
    spellings = ["ines.org@example.org", "Ines.Org@Example.org", " INES.ORG@EXAMPLE.ORG"]

    answers = [
        sign_in(browser_at(app, f"192.0.2.{n}"), email, WRONG_PASSWORD).status_code
        for n, email in enumerate(spellings, start=1)
    ]
    new_browser = browser_at(app, "198.51.100.200")
    refused = sign_in(new_browser, ORG_MEMBER, WRONG_PASSWORD)

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert TOO_MANY in text(refused)
    other_account = sign_in(new_browser, "someone.else@example.org")
    assert location(other_account) == HOME["org_member"]


def test_the_second_step_allows_five_tries_a_minute(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()
    sign_in(client, REVIEWER)
    token = csrf_token(client, "/staff/code")

    answers = [
        send_code(client, "/staff/code", wrong_code(secret), token).status_code for _ in range(5)
    ]
    sixth = send_code(client, "/staff/code", totp_code(secret, 1), token)

    assert answers == [200] * 5
    assert sixth.status_code == 429
    assert TOO_MANY in text(sixth)
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    # Giving the password again does not give new tries.
    fresh_browser = app.test_client()
    sign_in(fresh_browser, REVIEWER)
    assert send_code(fresh_browser, "/staff/code", totp_code(secret, 1)).status_code == 429


def test_enrolment_allows_five_tries_a_minute(app, client):
    create_account(app, REVIEWER, "reviewer")
    sign_in(client, REVIEWER)
    secret = enrolment_secret(client)
    token = csrf_token(client, "/staff/enrol")

    answers = [
        send_code(client, "/staff/enrol", wrong_code(secret), token).status_code for _ in range(5)
    ]
    sixth = send_code(client, "/staff/enrol", totp_code(secret), token)

    assert answers == [200] * 5
    assert sixth.status_code == 429
    assert not account(app, REVIEWER).totp_confirmed


# --- who may open what ---------------------------------------------------------------------

STAFF_PAGES = ["/staff/", "/review/", "/admin/accounts", "/admin/audit", "/staff/password", "/org/"]
ALLOWED = {
    "org_member": {"/staff/", "/staff/password", "/org/"},
    "reviewer": {"/staff/", "/staff/password", "/review/"},
    "admin": set(STAFF_PAGES) - {"/org/"},
}


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in_and_back(client, path):
    response = client.get(path)

    assert sent_to_sign_in(response, path)


@pytest.mark.parametrize("path", STAFF_PAGES)
@pytest.mark.parametrize("role", list(ALLOWED))
def test_each_role_opens_only_its_pages(app, role, path):
    client, _, _ = signed_in_browser(app, role)

    response = client.get(path)

    assert response.status_code == (200 if path in ALLOWED[role] else 403)


def _signing_in(app):
    create_account(app, ORG_MEMBER)
    return app.test_client(), {"email": ORG_MEMBER, "password": PASSWORD}


def _enrolling(app):
    create_account(app, REVIEWER, "reviewer")
    client = app.test_client()
    sign_in(client, REVIEWER)
    return client, {"code": totp_code(enrolment_secret(client))}


def _at_the_second_step(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()
    sign_in(client, REVIEWER)
    return client, {"code": totp_code(secret, 1)}


def _signed_in(app):
    client, _, _ = signed_in_browser(app, "org_member", ORG_MEMBER)
    return client, {}


def _changing_password(app):
    client, _ = _signed_in(app)
    return client, {"current": PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}


# route -> (a browser about to send the form and what it sends, the proof nothing happened)
AUTH_POSTS = {
    "/staff/sign-in": (
        _signing_in,
        lambda app, client: sent_to_sign_in(client.get("/staff/"), "/staff/"),
    ),
    "/staff/enrol": (
        _enrolling,
        lambda app, client: not account(app, REVIEWER).totp_confirmed,
    ),
    "/staff/code": (
        _at_the_second_step,
        lambda app, client: sent_to_sign_in(client.get("/review/"), "/review/"),
    ),
    "/staff/sign-out": (
        _signed_in,
        lambda app, client: client.get("/staff/").status_code == 200,
    ),
    "/staff/password": (
        _changing_password,
        lambda app, client: location(sign_in(app.test_client(), ORG_MEMBER)) == HOME["org_member"],
    ),
}


@pytest.mark.parametrize("forged", ["no token", "another browser's token"])
@pytest.mark.parametrize("path", AUTH_POSTS)
def test_every_sign_in_form_needs_its_csrf_token(app, path, forged):
    prepare, nothing_happened = AUTH_POSTS[path]
    client, data = prepare(app)
    if forged == "another browser's token":
        data = {**data, "csrf_token": csrf_token(app.test_client(), "/staff/sign-in")}

    response = client.post(path, data=data)

    assert response.status_code == 400
    assert nothing_happened(app, client)


# --- creating accounts from the command line -----------------------------------------------


def test_create_user_generate_prints_a_password_that_signs_in(app, runner, client):
    result = runner.invoke(
        args=["create-user", "Amara.Admin@example.org", "--role", "admin", "--generate"]
    )

    assert result.exit_code == 0, result.output
    assert f"created admin {ADMIN}" in result.output
    password = re.search(r"password: (\S+)", result.output).group(1)
    assert accounts.password_problem(password) is None
    assert account(app, ADMIN).role == "admin"
    assert location(sign_in(client, ADMIN, password)) == "/staff/enrol"


def with_organization(app):
    with database(app):
        return members_organization().key


def test_create_user_asks_for_the_password_twice(app, runner, client):
    key = with_organization(app)
    result = runner.invoke(
        args=["create-user", ORG_MEMBER, "--role", "org_member", "--organization", key],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert f"created org_member {ORG_MEMBER} of {key}" in result.output
    assert PASSWORD not in result.output
    assert location(sign_in(client, ORG_MEMBER)) == HOME["org_member"]
    with database(app):
        assert User.by_email(ORG_MEMBER).organization.key == key


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (["--role", "org_member"], "An organization member must belong to an organization"),
        (["--role", "org_member", "--organization", "nobody"], "no organization has the key"),
        (
            ["--role", "reviewer", "--organization", "test-members"],
            "An organization member must belong to an organization",
        ),
    ],
    ids=["member without organization", "unknown organization", "reviewer with organization"],
)
def test_create_user_links_members_and_only_members_to_an_organization(
    app, runner, options, complaint
):
    with_organization(app)
    result = runner.invoke(
        args=["create-user", ORG_MEMBER, *options], input=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.exit_code != 0
    assert complaint in result.output
    assert account(app, ORG_MEMBER) is None


def test_create_user_refuses_two_different_passwords(app, runner):
    key = with_organization(app)
    result = runner.invoke(
        args=["create-user", ORG_MEMBER, "--role", "org_member", "--organization", key],
        input=f"{PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code != 0
    assert account(app, ORG_MEMBER) is None


def test_create_user_refuses_a_common_password(app, runner):
    result = runner.invoke(
        args=["create-user", ORG_MEMBER, "--role", "admin"],
        input="password1234\npassword1234\n",
    )

    assert result.exit_code != 0
    assert "Error: This password is too common. Choose another one." in result.output
    assert account(app, ORG_MEMBER) is None
