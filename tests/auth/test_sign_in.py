"""Signing in with a password, and where a person lands afterwards."""

import html
import json

import pytest
from argon2 import extract_parameters

from portal import accounts
from portal.access import is_safe_next
from portal.models import User

from portal_testing import (
    STAFF_PASSWORD,
    PageForms,
    csrf_token,
    database_bytes,
    session_contents,
    sign_in,
)
from portal_testing.auth import (
    ADMIN,
    HOME,
    NOT_RIGHT,
    ONE_STEP_MEMBERS,
    ORG_MEMBER,
    REVIEWER,
    WRONG_PASSWORD,
    account,
    audit_trail,
    create_account,
    database,
    errors,
    location,
    send_code,
    sent_to_sign_in,
    set_cookie_names,
    signed_in_browser,
    totp_code,
)

pytestmark = pytest.mark.app_config(**ONE_STEP_MEMBERS)


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
        "deactivated account": ("gone@example.org", STAFF_PASSWORD),
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
    for secret in (STAFF_PASSWORD, WRONG_PASSWORD, typed_into_the_wrong_box):
        assert secret not in recorded
    stored = database_bytes(tmp_path)
    for secret in (STAFF_PASSWORD, WRONG_PASSWORD, typed_into_the_wrong_box):
        assert secret.encode() not in stored


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
