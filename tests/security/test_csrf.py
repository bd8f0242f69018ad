"""Every form a requester sends needs the CSRF token of their own browser."""

import pytest

from portal_testing import (
    assert_shows,
    csrf_token,
    links_named,
    row_counts,
    speak_french,
    stored_request,
    tracking_browser,
    translated,
    valid_request_data,
)

CSRF_TITLE = "This form has expired"
BACK_TO_FORM = "Back to the form"


# route -> (form a browser would send, whether the route is also a page one can open)
POST_ROUTES = {
    "/request": (valid_request_data(), True),
    "/request/validate": ({"people_count": "12"}, False),
    "/request/code": ({"kept": "to be filled"}, True),
    "/track": ({"code": "to be filled"}, True),
    "/track/message": ({"body": "A message that must not be kept."}, False),
    "/track/withdraw": ({"confirm": "y"}, True),
    "/track/leave": ({}, False),
}


def _post_without_token(client, path, code):
    data, _ = POST_ROUTES[path]
    data = {**data, "code": code} if "code" in data else dict(data)
    if "kept" in data:
        data["kept"] = code[-4:]
    headers = {"HX-Trigger-Name": "people_count"} if path == "/request/validate" else {}
    return client.post(path, data=data, headers=headers)


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(app, path):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    client, code = tracking_browser(app, name="CSRF Target")
    before = row_counts(app)

    response = _post_without_token(client, path, code)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert_shows(app, page, CSRF_TITLE)
    if POST_ROUTES[path][1]:
        assert links_named(page, BACK_TO_FORM) == [path]
    else:
        assert links_named(page, BACK_TO_FORM) == []
    assert row_counts(app) == before
    status = client.get("/track").get_data(as_text=True)
    assert "CSRF Target" in status, "the tracking session should still be open"
    assert stored_request(app)["state"] == "submitted"


def test_a_post_without_csrf_token_gets_the_expired_page_in_french(app):
    client, code = tracking_browser(app, name="CSRF Target")
    speak_french(client)
    before = row_counts(app)

    for path, (_, openable) in POST_ROUTES.items():
        response = _post_without_token(client, path, code)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, path
        assert_shows(app, page, CSRF_TITLE, "fr")
        back = translated(app, BACK_TO_FORM, "fr")
        assert links_named(page, back) == ([path] if openable else []), path

    assert row_counts(app) == before


def test_a_csrf_token_from_another_browser_is_refused(app, client):
    other_browser = app.test_client()
    stolen = csrf_token(other_browser)
    client.get("/request")

    response = client.post("/request", data=valid_request_data(csrf_token=stolen))

    assert response.status_code == 400
    assert CSRF_TITLE in response.get_data(as_text=True)
    assert row_counts(app)["Request"] == 0
