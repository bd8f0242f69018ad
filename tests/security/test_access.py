"""A requester sees only their own request, and only after typing its code."""

import html

from portal_testing import (
    Requester,
    assert_shows,
    speak_french,
    stored_request,
    tracking_sessions,
)


def test_each_requester_sees_only_their_own_request(app):
    alice_browser, bruno_browser = app.test_client(), app.test_client()
    alice, bruno = Requester(alice_browser), Requester(bruno_browser)
    alice_code = alice.submit_and_get_code(name="Alice Aguilar", situation="Alice's situation")
    bruno_code = bruno.submit_and_get_code(name="Bruno Barros", situation="Bruno's situation")

    alice.open(alice_code)
    bruno.open(bruno_code)

    alice_page = html.unescape(alice_browser.get("/track").get_data(as_text=True))
    bruno_page = html.unescape(bruno_browser.get("/track").get_data(as_text=True))
    assert "Alice Aguilar" in alice_page and "Alice's situation" in alice_page
    assert "Bruno Barros" not in alice_page and "Bruno's situation" not in alice_page
    assert "Bruno Barros" in bruno_page and "Bruno's situation" in bruno_page
    assert "Alice Aguilar" not in bruno_page and "Alice's situation" not in bruno_page

    stranger_page = app.test_client().get("/track").get_data(as_text=True)
    assert "Alice Aguilar" not in stranger_page and "Bruno Barros" not in stranger_page
    assert 'name="code"' in stranger_page


def test_a_code_in_the_query_string_opens_nothing(app, client):
    code = Requester(app.test_client()).submit_and_get_code(name="Query String Person")

    response = client.get(f"/track?code={code}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Query String Person" not in page
    assert code not in page
    assert 'name="code"' in page
    assert tracking_sessions(app) == 0


def _walk_paths(uid):
    return [
        "/track/1",
        "/request/1",
        "/requests/1",
        "/track/2",
        "/status/1",
        "/message/1",
        f"/track/{uid}",
        f"/request/{uid}",
        f"/requests/{uid}",
    ]


def test_walking_ids_finds_nothing(app):
    owner = app.test_client()
    requester = Requester(owner)
    requester.open(requester.submit_and_get_code(name="Walked Person"))
    uid = stored_request(app)["uid"]

    for browser in (owner, app.test_client()):
        for path in _walk_paths(uid):
            response = browser.get(path)
            page = response.get_data(as_text=True)
            assert response.status_code == 404, path
            assert_shows(app, page, "Page not found")
            assert "Walked Person" not in page


def test_walking_ids_gives_the_plain_page_in_french(app, client):
    Requester(app.test_client()).submit_and_get_code()
    speak_french(client)

    response = client.get("/track/1")

    assert response.status_code == 404
    assert_shows(app, response.get_data(as_text=True), "Page not found", "fr")
