"""Who may open which staff page, and the CSRF token on every sign-in form."""

import pytest

from portal_testing import (
    STAFF_PASSWORD,
    csrf_token,
    sign_in,
)
from portal_testing.auth import (
    HOME,
    NEW_PASSWORD,
    ONE_STEP_MEMBERS,
    ORG_MEMBER,
    REVIEWER,
    account,
    at_the_second_step,
    create_account,
    enrolment_secret,
    location,
    sent_to_sign_in,
    signed_in_browser,
    totp_code,
)

pytestmark = pytest.mark.app_config(**ONE_STEP_MEMBERS)


STAFF_PAGES = [
    "/staff/",
    "/review/",
    "/admin/accounts",
    "/admin/audit",
    "/admin/figures/",
    "/staff/password",
    "/staff/keys/",
    "/org/",
]
ALLOWED = {
    "org_member": {"/staff/", "/staff/password", "/staff/keys/", "/org/"},
    "reviewer": {"/staff/", "/staff/password", "/staff/keys/", "/review/"},
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
    return app.test_client(), {"email": ORG_MEMBER, "password": STAFF_PASSWORD}


def _enrolling(app):
    create_account(app, REVIEWER, "reviewer")
    client = app.test_client()
    sign_in(client, REVIEWER)
    return client, {"code": totp_code(enrolment_secret(client))}


def _at_the_second_step(app):
    client, secret, _ = at_the_second_step(app)
    return client, {"code": totp_code(secret, 1)}


def _signed_in(app):
    client, _, _ = signed_in_browser(app, "org_member", ORG_MEMBER)
    return client, {}


def _changing_password(app):
    client, _ = _signed_in(app)
    return client, {"current": STAFF_PASSWORD, "new": NEW_PASSWORD, "repeat": NEW_PASSWORD}


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
