"""Throttled sign-in: per browser, per account, at the second step and at enrolment."""

import pytest

from portal_testing import (
    STAFF_PASSWORD,
    csrf_token,
    page_text,
    shown,
    sign_in,
)
from portal_testing.auth import (
    HOME,
    ONE_STEP_MEMBERS,
    ORG_MEMBER,
    REVIEWER,
    TOO_MANY,
    WRONG_PASSWORD,
    account,
    at_the_second_step,
    create_account,
    enrolment_secret,
    location,
    send_code,
    sent_to_sign_in,
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
