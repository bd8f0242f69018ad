"""Throttled sign-in: per browser, per account, at the second step and at enrolment."""

import datetime
import re

import pytest

from portal.models import Notice

from portal_testing import (
    STAFF_PASSWORD,
    csrf_token,
    page_text,
    shown,
    sign_in,
)
from portal_testing.auth import (
    ADMIN,
    HOME,
    ONE_STEP_MEMBERS,
    ORG_MEMBER,
    REVIEWER,
    TOO_MANY,
    WRONG_PASSWORD,
    account,
    at_the_second_step,
    audit_trail,
    create_account,
    database,
    enrolment_secret,
    location,
    send_code,
    sent_to_sign_in,
    signed_in_browser,
    totp_code,
    wrong_code,
)

pytestmark = pytest.mark.app_config(**ONE_STEP_MEMBERS)


@pytest.mark.app_config(SIGN_IN_RATE_LIMIT="3 per minute")
def test_the_fourth_failed_sign_in_from_one_browser_gets_a_translated_429(app):
    create_account(app, ORG_MEMBER)
    client = app.test_client()
    client.set_cookie("lang", "fr")

    answers = [sign_in(client, ORG_MEMBER, WRONG_PASSWORD).status_code for _ in range(3)]
    refused = sign_in(client, ORG_MEMBER, STAFF_PASSWORD)

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert shown("fr", TOO_MANY) in page_text(refused)
    assert '<html lang="fr"' in refused.get_data(as_text=True)
    assert sent_to_sign_in(client.get("/staff/"), "/staff/")


@pytest.mark.app_config(SIGN_IN_RATE_LIMIT="3 per minute")
def test_rotating_x_forwarded_for_does_not_escape_the_limit(app):
    create_account(app, ORG_MEMBER)
    client = app.test_client()

    answers = [
        sign_in(
            client, ORG_MEMBER, WRONG_PASSWORD, headers={"X-Forwarded-For": f"203.0.113.{n}"}
        ).status_code
        for n in range(1, 5)
    ]

    assert answers == [200, 200, 200, 429]
    assert TOO_MANY in page_text(
        sign_in(client, ORG_MEMBER, WRONG_PASSWORD, headers={"X-Forwarded-For": "198.51.100.9"})
    )


@pytest.mark.app_config(SIGN_IN_RATE_LIMIT="3 per minute", SIGN_IN_ACCOUNT_RATE_LIMIT="3 per hour")
def test_successful_sign_ins_do_not_use_up_the_tries(app):
    create_account(app, ORG_MEMBER)

    answers = [location(sign_in(app.test_client(), ORG_MEMBER)) for _ in range(5)]

    assert answers == [HOME["org_member"]] * 5


def browser_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.mark.app_config(SIGN_IN_ACCOUNT_RATE_LIMIT="3 per hour")
def test_the_fourth_failure_on_one_account_from_anywhere_gets_429(app):
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
    assert TOO_MANY in page_text(refused)
    other_account = sign_in(new_browser, "someone.else@example.org")
    assert location(other_account) == HOME["org_member"]


def test_the_second_step_allows_five_tries_a_minute(app):
    client, secret, _ = at_the_second_step(app)
    token = csrf_token(client, "/staff/code")

    answers = [
        send_code(client, "/staff/code", wrong_code(secret), token).status_code for _ in range(5)
    ]
    sixth = send_code(client, "/staff/code", totp_code(secret, 1), token)

    assert answers == [200] * 5
    assert sixth.status_code == 429
    assert TOO_MANY in page_text(sixth)
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


def sign_out(client):
    assert client.post("/staff/sign-out", data={"csrf_token": csrf_token(client, "/staff/")})


@pytest.mark.app_config(SIGN_IN_ACCOUNT_RATE_LIMIT="3 per hour")
def test_wrong_passwords_from_elsewhere_do_not_lock_anyone_out_of_their_usual_browser(app):
    create_account(app, ORG_MEMBER)
    usual = browser_at(app, "127.0.0.1")
    assert location(sign_in(usual, ORG_MEMBER)) == HOME["org_member"]
    sign_out(usual)

    attacks = [
        sign_in(browser_at(app, f"127.0.0.{n}"), ORG_MEMBER, WRONG_PASSWORD).status_code
        for n in range(2, 7)
    ]

    assert attacks == [200, 200, 200, 429, 429]
    # A browser the account never used stays refused, even with the right password...
    assert sign_in(browser_at(app, "127.0.0.9"), ORG_MEMBER).status_code == 429
    # ...but the usual one signs in, from its usual address or another.
    assert location(sign_in(usual, ORG_MEMBER)) == HOME["org_member"]
    sign_out(usual)
    usual.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert location(sign_in(usual, ORG_MEMBER)) == HOME["org_member"]


@pytest.mark.app_config(SIGN_IN_ACCOUNT_RATE_LIMIT="3 per hour")
def test_a_usual_browser_has_its_own_tries_not_unlimited_ones(app):
    create_account(app, ORG_MEMBER)
    usual = app.test_client()
    assert location(sign_in(usual, ORG_MEMBER)) == HOME["org_member"]
    sign_out(usual)

    answers = [sign_in(usual, ORG_MEMBER, WRONG_PASSWORD).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    # A stranger's tries are still their own.
    assert location(sign_in(app.test_client(), ORG_MEMBER)) == HOME["org_member"]


@pytest.mark.app_config(SIGN_IN_ACCOUNT_RATE_LIMIT="3 per hour")
def test_a_forged_or_copied_device_cookie_of_another_account_gives_no_tries(app):
    create_account(app, ORG_MEMBER)
    create_account(app, "someone.else@example.org")
    other = app.test_client()
    assert location(sign_in(other, "someone.else@example.org")) == HOME["org_member"]
    cookie = other.get_cookie("device").value
    attacker = app.test_client()
    attacker.set_cookie("device", cookie)

    answers = [sign_in(attacker, ORG_MEMBER, WRONG_PASSWORD).status_code for _ in range(3)]
    forged = app.test_client()
    forged.set_cookie("device", cookie[:-4] + "AAAA")
    answers.append(sign_in(forged, ORG_MEMBER, WRONG_PASSWORD).status_code)

    assert answers == [200, 200, 200, 429]
    assert ORG_MEMBER not in cookie and "ines" not in cookie


def test_the_device_cookie_comes_only_with_a_complete_sign_in(app):
    client, secret, _ = at_the_second_step(app)
    assert client.get_cookie("device") is None  # the password alone is not enough

    response = send_code(client, "/staff/code", totp_code(secret, 1))

    assert location(response) == HOME["reviewer"]
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("device="))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "Max-Age=7776000" in header  # 90 days


@pytest.mark.app_config(HTTPS=True)
def test_over_https_the_device_cookie_is_host_only_and_secure(app):
    create_account(app, ORG_MEMBER)
    client = app.test_client()
    over_https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}
    page = client.get("/staff/sign-in", **over_https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    response = sign_in(client, ORG_MEMBER, token=token, **over_https)

    header = next(h for h in response.headers.getlist("Set-Cookie") if "device=" in h)
    assert header.startswith("__Host-device=")
    assert "Secure" in header


BLOCKED = "Too many wrong sign-in codes"


def blocked_notices(app):
    with database(app):
        return Notice.select().where(Notice.kind == "sign_in_blocked").count()


@pytest.mark.app_config(SECOND_STEP_ACCOUNT_LIMIT="3 per hour; 5 per day")
def test_too_many_wrong_codes_in_an_hour_end_the_sign_in_and_tell_administrators(app, time_machine):
    time_machine.move_to("2030-05-06 08:00:00+00:00", tick=False)
    create_account(app, ADMIN, "admin")
    with database(app):
        Notice.delete().execute()
    client, secret, _ = at_the_second_step(app)
    token = csrf_token(client, "/staff/code")

    answers = [send_code(client, "/staff/code", wrong_code(secret), token) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert BLOCKED in page_text(answers[-1])
    assert "administrators have been told" in page_text(answers[-1])
    assert sent_to_sign_in(client.get("/staff/code"))  # the pending sign-in is over
    assert ("sign_in.second_factor_blocked", None, REVIEWER, "") in audit_trail(app, "sign_in.")
    assert blocked_notices(app) == 1
    # Password again, and even the right code: refused for the rest of the hour, and
    # administrators are told once an hour at most.
    again = app.test_client()
    sign_in(again, REVIEWER)
    assert send_code(again, "/staff/code", totp_code(secret)).status_code == 429
    assert blocked_notices(app) == 1

    # An hour later two more wrong codes are allowed, then the day's cap is reached.
    time_machine.shift(datetime.timedelta(minutes=61))
    later = app.test_client()
    sign_in(later, REVIEWER)
    token = csrf_token(later, "/staff/code")
    answers = [send_code(later, "/staff/code", wrong_code(secret), token) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    time_machine.shift(datetime.timedelta(minutes=30))
    refused = app.test_client()
    sign_in(refused, REVIEWER)
    assert send_code(refused, "/staff/code", totp_code(secret)).status_code == 429
    assert blocked_notices(app) == 2

    # The next day the account signs in with the right code.
    time_machine.shift(datetime.timedelta(days=1))
    fresh = app.test_client()
    sign_in(fresh, REVIEWER)
    assert location(send_code(fresh, "/staff/code", totp_code(secret))) == HOME["reviewer"]


@pytest.mark.app_config(SECOND_STEP_ACCOUNT_LIMIT="3 per hour")
def test_the_cap_counts_the_account_not_the_browser(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)

    answers = []
    for n in range(4):
        client = browser_at(app, f"127.0.0.{n + 2}")
        sign_in(client, REVIEWER)
        answers.append(send_code(client, "/staff/code", wrong_code(secret)).status_code)

    assert answers == [200, 200, 200, 429]
