"""Guessing tracking codes is throttled, by a keyed hash of the address."""

import re

import pytest

from portal.extensions import client_key

from portal_testing import (
    Requester,
    assert_shows,
    guess_code,
    make_app,
    speak_french,
    tracking_sessions,
)

# Three wrong codes a minute, so that the limit is reached in a few steps.
pytestmark = pytest.mark.app_config(TRACK_RATE_LIMIT="3 per minute")


def test_wrong_codes_are_throttled_after_the_configured_limit(app):
    guesser = app.test_client()

    answers = [guess_code(guesser).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    page = guess_code(guesser).get_data(as_text=True)
    assert_shows(app, page, "Too many attempts")
    assert "Traceback" not in page


def test_the_throttle_page_is_translated(app):
    guesser = app.test_client()
    speak_french(guesser)
    for _ in range(3):
        guess_code(guesser)

    response = guess_code(guesser)

    assert response.status_code == 429
    assert_shows(app, response.get_data(as_text=True), "Too many attempts", "fr")


def test_rotating_x_forwarded_for_does_not_escape_the_limit(app):
    assert app.config["TRUSTED_PROXIES"] == 0
    guesser = app.test_client()

    answers = [
        guess_code(guesser, **{"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"})
        for n in range(1, 6)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]


def test_another_client_is_not_throttled_by_someone_elses_guesses(app):
    guesser = app.test_client()
    for _ in range(4):
        guess_code(guesser)
    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "192.0.2.77"

    assert guess_code(neighbour).status_code == 200


def test_a_correct_code_right_after_the_limit_is_refused_too(app):
    """At the limit the code is not even checked: a 303 for a right guess would leak it."""
    owner_browser = app.test_client()
    code = Requester(owner_browser).submit_and_get_code(name="Throttled Owner")
    for _ in range(3):
        guess_code(owner_browser)

    response = guess_code(owner_browser, code=code)

    assert response.status_code == 429
    assert tracking_sessions(app) == 0
    page = owner_browser.get("/track").get_data(as_text=True)
    assert "Throttled Owner" not in page
    assert 'name="code"' in page


def test_right_codes_do_not_count_against_the_limit(app):
    browser = app.test_client()
    code = Requester(browser).submit_and_get_code()

    answers = [guess_code(browser, code=code).status_code for _ in range(6)]

    assert answers == [303] * 6


def test_the_rate_limit_key_is_a_keyed_hash_not_the_address(app):
    def key_for(address, **headers):
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}, headers=headers):
            return client_key()

    key = key_for("127.0.0.1")

    assert key != "127.0.0.1"
    assert "127.0.0.1" not in key
    assert re.fullmatch(r"[0-9a-f]{16,64}", key)
    assert key_for("127.0.0.1") == key
    assert key_for("127.0.0.1", **{"X-Forwarded-For": "203.0.113.9"}) == key
    assert key_for("192.0.2.1") != key


@pytest.mark.parametrize("setting", ["RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION"])
def test_a_limit_for_every_page_is_refused_rather_than_silently_ignored(tmp_path, setting):
    # Limits are checked by each view's decorator; nothing would count one set for all.
    with pytest.raises(RuntimeError, match=setting):
        make_app(tmp_path, **{setting: "100 per minute"})
