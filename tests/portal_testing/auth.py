"""What the sign-in tests (tests/auth/) share: accounts, codes, sessions and the audit trail."""

import contextlib
import html
import re
import time
from urllib.parse import parse_qs, urlsplit

import pyotp

from portal.db import db
from portal.models import AuditEvent, ServerSession, User, utcnow

from .pages import PageForms, csrf_token
from .staff import STAFF_PASSWORD, create_staff_account, sign_in

WRONG_PASSWORD = "a long test passphrase 7432"
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

# In tests/auth/ organization members sign in without a second step (a setting), so that
# both kinds of sign-in are at hand; by default every role needs one (tested).
ONE_STEP_MEMBERS = {"TOTP_REQUIRED_ROLES": "admin,reviewer"}

TULIP = "tulip-quay-" * 12


@contextlib.contextmanager
def database(app):
    with app.app_context(), db.connection_context():
        yield


def create_account(app, email, role="org_member", password=STAFF_PASSWORD):
    with database(app):
        create_staff_account(email, role, password)
    return email


def account(app, email):
    with database(app):
        return User.by_email(email)


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


def at_the_second_step(app, email=REVIEWER):
    """A reviewer who set up two-step sign-in, and another browser where the password was
    just given: the browser and the reviewer's secret and recovery codes."""
    _, secret, codes = signed_in_browser(app, "reviewer", email)
    client = app.test_client()
    sign_in(client, email)
    return client, secret, codes


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
