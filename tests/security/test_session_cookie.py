"""The requester's session cookie: its attributes, what it holds, and when it stops working."""

import datetime
import json

import pytest

from portal.db import db
from portal.models import ServerSession

from portal_testing import (
    PASSWORD_ALONE,
    Requester,
    code_on,
    csrf_token,
    session_contents,
    set_cookie_headers,
    tracking_sessions,
)


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/request")

    attributes = set_cookie_headers(response)["session"]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes


@pytest.mark.parametrize("path", ["/", "/safety", "/organizations", "/organizations?region=africa"])
def test_a_page_that_posts_nothing_leaves_no_cookie_and_carries_no_form_token(app, path):
    first, again = app.test_client().get(path), app.test_client().get(path)

    for response in (first, again):  # rendered, then kept (portal/page_cache.py)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "X-CSRFToken" not in response.get_data(as_text=True)
    # A page with a form does set the session cookie that its form token needs.
    assert "session" in set_cookie_headers(app.test_client().get("/track"))


@pytest.mark.app_config(**PASSWORD_ALONE)
def test_a_signed_in_staff_member_still_gets_the_form_token_on_those_pages(app, reviewer):
    page = reviewer.get("/").get_data(as_text=True)

    assert "X-CSRFToken" in page


def test_the_session_cookie_carries_no_personal_data(app, client):
    requester = Requester(client)
    personal = {
        "name": "Marisol Quintero",
        "place": "Vereda El Porvenir",
        "situation": "Men on motorbikes watch the school every morning.",
        "asked_for": "Someone beside us at the hearing on the 14th.",
        "contact_channel": "signal",
        "contact_detail": "@marisol.q",
    }

    client.get("/request")
    assert set(session_contents(app, client)) == {"csrf_token"}

    code = code_on(requester.submit_and_follow(**personal))
    while_shown = session_contents(app, client)
    assert set(while_shown) == {"csrf_token", "csid"}  # a random id for the code held
    assert requester.keep_code(code).status_code == 303
    client.get("/track")  # the thanks for keeping it is shown there
    assert set(session_contents(app, client)) == {"csrf_token"}

    requester.open(code)
    page = client.get("/track").get_data(as_text=True)
    assert "Marisol Quintero" in page
    contents = session_contents(app, client)
    assert set(contents) == {"csrf_token", "tsid"}

    token = csrf_token(client, "/track")
    client.post("/track/message", data={"body": "They came again today.", "csrf_token": token})
    client.get("/track")
    contents = session_contents(app, client)
    assert set(contents) == {"csrf_token", "tsid"}

    serialized = json.dumps([while_shown, contents], ensure_ascii=False)
    for secret in [code, code.replace("-", ""), *personal.values(), "They came again today."]:
        assert secret not in serialized
    assert contents["tsid"] not in (code, code.replace("-", ""))
    assert while_shown["csid"] not in (code, code.replace("-", ""))


def test_a_copied_session_cookie_opens_nothing_after_leaving(app, client):
    requester = Requester(client)
    requester.open(requester.submit_and_get_code(name="Copied Cookie Person"))
    copied = client.get_cookie("session").value

    token = csrf_token(client, "/track")
    assert client.post("/track/leave", data={"csrf_token": token}).status_code == 303

    thief = app.test_client()
    thief.set_cookie("session", copied)
    page = thief.get("/track").get_data(as_text=True)
    assert "Copied Cookie Person" not in page
    assert 'name="code"' in page
    assert tracking_sessions(app) == 0


def test_an_idle_tracking_session_ends_on_the_server(app, client):
    requester = Requester(client)
    requester.open(requester.submit_and_get_code(name="Idle Person"))
    assert "Idle Person" in client.get("/track").get_data(as_text=True)

    with app.app_context(), db.connection_context():
        an_hour_ago = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(
            hours=1
        )
        ServerSession.update(last_seen_at=an_hour_ago).execute()

    page = client.get("/track").get_data(as_text=True)
    assert "Idle Person" not in page
    assert 'name="code"' in page
    assert tracking_sessions(app) == 0
