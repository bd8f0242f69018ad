"""Error pages are plain translated pages that leak nothing."""

import re

import pytest

from portal_testing import (
    WRONG_CODE,
    assert_shows,
    send_too_much,
    speak_french,
    throttled,
)

CSRF_TITLE = "This form has expired"


def _error_404(client):
    return client.get("/nothing-here")


def _error_405(client):
    return client.delete("/request")


def _error_500(client):
    return client.get("/boom")


def _error_csrf(client):
    return client.post("/track", data={"code": WRONG_CODE})


ERROR_PAGES = {
    404: (_error_404, "Page not found"),
    405: (_error_405, "That did not work"),
    413: (send_too_much, "That was too much to send"),
    429: (throttled, "Too many attempts"),
    500: (_error_500, "Something went wrong on our side"),
    400: (_error_csrf, CSRF_TITLE),
}


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("status", ERROR_PAGES)
@pytest.mark.app_config(TRACK_RATE_LIMIT="3 per minute")
def test_error_pages_are_plain_translated_pages(crashing_app, status, locale):
    app = crashing_app
    client = app.test_client()
    if locale == "fr":
        speak_french(client)
    make_error, title = ERROR_PAGES[status]

    response = make_error(client)

    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert page.lstrip().startswith("<!doctype html>")
    assert_shows(app, page, title, locale)
    assert_shows(app, page, "Error %(code)d", locale, code=status)
    for leak in (
        "Traceback",
        "RuntimeError",
        "secret internals",
        "werkzeug",
        'File "',
        ".py",
        "/work/",
    ):
        assert leak not in page, leak


def test_a_crash_shows_the_plain_french_page_without_a_traceback(crashing_app):
    client = crashing_app.test_client()
    speak_french(client)

    response = client.get("/boom")

    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in page
    assert "secret internals" not in page
    assert_shows(crashing_app, page, "Something went wrong on our side", "fr")
    assert_shows(
        crashing_app, page, "Nothing you did caused this. Please try again in a few minutes.", "fr"
    )


def test_a_crash_is_logged_by_its_class_and_place_never_its_message(crashing_app, caplog):
    caplog.set_level("DEBUG")

    assert crashing_app.test_client().get("/boom").status_code == 500

    logged = caplog.text
    assert "secret internals" not in logged  # a database error would quote its values here
    assert "RuntimeError" in logged and "boom" in logged
    assert re.search(r"conftest\.py:\d+ boom", logged)  # where it was raised
