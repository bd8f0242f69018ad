"""The limits README gives are the limits a client meets with the portal served as `make
run` serves it (gunicorn, deploy/gunicorn.conf.py), over real sockets: exactly, not once per
worker process; from several client addresses at once; and with several processes sharing
Redis. Nobody can lock a colleague out by sending wrong passwords from elsewhere."""

import pytest

from portal.db import db

from portal_testing import STAFF_PASSWORD, create_staff_account, redis_connection
from portal_testing.served import answered, migrated, portal_environment, refusal, start

WRONG = {"code": "ABCD-EFGH-JKMN-PQRS"}
# One account per test, and client addresses of its own (127.0.N.x): the tests share one
# served portal, and its counters.
COUNTED, ATTACKED, SHARED = "counted@example.org", "attacked@example.org", "shared@example.org"
REDIS_DB = 7


def wrong_password(browser, email):
    return browser.post_form(
        "/staff/sign-in", {"email": email, "password": "not the password at all"}
    )


def right_password(browser, email):
    return browser.post_form("/staff/sign-in", {"email": email, "password": STAFF_PASSWORD})


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """A served portal's settings, its limits as shipped; members sign in with a password."""
    tmp_path = tmp_path_factory.mktemp("served")
    environment = portal_environment(
        tmp_path,
        RATELIMIT_STORAGE_URI="memory://",
        QUEUE_URL="",
        TOTP_REQUIRED_ROLES="admin,reviewer",
        SIGN_IN_RATE_LIMIT="10 per minute; 50 per hour",
        SIGN_IN_ACCOUNT_RATE_LIMIT="20 per hour",
        TRACK_RATE_LIMIT="10 per minute; 60 per hour",
    )
    app = migrated(environment)
    with app.app_context(), db.connection_context():
        for email in (COUNTED, ATTACKED, SHARED):
            create_staff_account(email, "org_member")
    return environment


@pytest.fixture(scope="module")
def served(environment):
    served = start(environment)
    yield served
    served.stop()


def test_ten_wrong_codes_a_minute_means_ten(served):
    browser = served.browser("127.0.1.1")

    answers = answered(browser.post_form("/track", WRONG) for _ in range(12))

    assert answers == [200] * 10 + [429] * 2
    # Another client has its own ten.
    assert served.browser("127.0.1.2").post_form("/track", WRONG).status == 200


def test_twenty_wrong_passwords_an_hour_for_an_account_means_twenty(served):
    # From ten addresses, two each: no client reaches its own limit of ten a minute.
    answers = []
    for n in range(1, 12):
        browser = served.browser(f"127.0.2.{n}")
        answers += answered(wrong_password(browser, COUNTED) for _ in range(2))

    assert answers == [200] * 20 + [429] * 2


def test_an_account_attacked_from_other_addresses_signs_in_from_its_usual_browser(served):
    usual = served.browser("127.0.3.1")
    assert right_password(usual, ATTACKED).status == 303  # yesterday, say
    usual.cookies.pop("session")  # signed out, the browser closed

    attack = []
    for n in range(2, 8):
        attacker = served.browser(f"127.0.3.{n}")
        attack += answered(wrong_password(attacker, ATTACKED) for _ in range(5))

    assert attack.count(200) == 20 and attack[-1] == 429
    never_used = served.browser("127.0.3.9")
    assert right_password(never_used, ATTACKED).status == 429
    signed_in = right_password(usual, ATTACKED)
    assert signed_in.status == 303
    assert signed_in.headers["Location"] == "/org/"


def test_the_web_server_does_not_name_itself(served):
    answer = served.browser().get("/")

    assert answer.status == 200
    assert answer.headers["Server"] is None


def test_a_chunked_body_over_the_limit_is_refused(served):
    browser = served.browser()
    token = browser.get("/track").token()
    body = f"csrf_token={token}&code=".encode() + b"x" * (1024 * 1024 + 1)
    chunks = b"".join(
        f"{len(body[i : i + 65536]):x}\r\n".encode() + body[i : i + 65536] + b"\r\n"
        for i in range(0, len(body), 65536)
    )

    answer = browser.request(
        "POST",
        "/track",
        chunks + b"0\r\n\r\n",
        {
            "Transfer-Encoding": "chunked",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )

    assert answer.status == 413


def test_several_processes_with_counters_of_their_own_refuse_to_start(environment):
    stopped = refusal(environment, workers=2)

    assert stopped.returncode != 0
    assert "would each count rate limits on their own" in stopped.stdout
    assert "PORTAL_RATELIMIT_STORAGE_URI" in stopped.stdout


def test_a_server_started_some_other_way_refuses_a_second_process_too(environment):
    """`gunicorn -w 2 wsgi:app`, without deploy/gunicorn.conf.py: the second process waits
    for the first to go (as in a graceful restart), then refuses to serve."""
    stopped = refusal({**environment, "PORTAL_LOCK_WAIT_SECONDS": "1"}, workers=2, config=None)

    assert stopped.returncode != 0
    assert "another process serves this portal" in stopped.stdout


def test_several_processes_sharing_redis_keep_every_limit_exact(environment):
    redis = redis_connection(REDIS_DB)
    redis.flushdb()
    shared = {**environment, "PORTAL_RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:6379/{REDIS_DB}"}
    served = start(shared, workers=2)
    try:
        # New connections each time: the two processes take turns answering.
        browser = served.browser("127.0.4.1")
        codes = answered(browser.post_form("/track", WRONG) for _ in range(12))
        passwords = []
        for n in range(2, 13):
            browser = served.browser(f"127.0.4.{n}")
            passwords += answered(wrong_password(browser, SHARED) for _ in range(2))
    finally:
        served.stop()
        redis.flushdb()
        redis.close()

    assert codes == [200] * 10 + [429] * 2
    assert passwords == [200] * 20 + [429] * 2
