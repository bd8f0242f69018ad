"""Pages are compressed only where no secret can be read off their length (BREACH):
public pages, asked for with GET, by a browser that holds no session here
(SECURITY.md, "Compression")."""

import gzip
import re

import pytest

from portal_testing import PASSWORD_ALONE, Requester, csrf_token, tracking_browser

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

BROWSER = {"Accept-Encoding": "gzip, deflate, br"}
PUBLIC = ("/", "/safety", "/request", "/track", "/organizations")


def compressed(response) -> bool:
    return "Content-Encoding" in response.headers


@pytest.mark.parametrize("path", PUBLIC)
def test_public_pages_come_compressed_to_a_browser_without_a_session(client, path):
    answer = client.get(path, headers=BROWSER)
    plain = client.get(path)

    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    for kept in (answer, plain):
        # Once in the header: what a cache in between must tell apart.
        assert sorted(kept.headers["Vary"].split(", ")).count("Accept-Encoding") == 1
        assert kept.headers["Vary"].split(", ").count("Cookie") == 1
    assert answer.headers["Cache-Control"] == "no-store"
    page = gzip.decompress(answer.data).decode()
    assert "</html>" in page
    assert len(answer.data) < len(plain.data) * 0.6
    assert not compressed(plain)


def test_the_tracking_page_that_shows_a_request_is_not_compressed(app):
    browser, _ = tracking_browser(app, situation="Threatened at the river crossing")

    answer = browser.get("/track", headers=BROWSER)

    assert "Threatened at the river crossing" in answer.get_data(as_text=True)
    assert not compressed(answer)
    # Nor is any public page while the browser holds the session.
    for path in PUBLIC:
        assert not compressed(browser.get(path, headers=BROWSER)), path


def test_the_code_page_and_the_form_while_a_code_is_held_are_not_compressed(client):
    requester = Requester(client)
    requester.submit()

    for path in ("/request/code", "/request", "/"):
        answer = client.get(path, headers=BROWSER)
        assert answer.status_code == 200, path
        assert not compressed(answer), path


def test_a_form_sent_back_with_what_was_typed_is_not_compressed(client):
    requester = Requester(client)

    answer = requester.client.post(
        "/request",
        data={"situation": "Written by the person, shown again", "csrf_token": csrf_token(client)},
        headers=BROWSER,
    )

    assert "Written by the person, shown again" in answer.get_data(as_text=True)
    assert not compressed(answer)


def test_staff_pages_are_never_compressed(reviewer):
    for path in ("/", "/review/", "/organizations"):
        answer = reviewer.client.get(path, headers=BROWSER)
        assert answer.status_code == 200, path
        assert not compressed(answer), path


@pytest.mark.parametrize("accepted", ["identity", "br", "gzip;q=0, br", "*;q=0"])
def test_a_browser_that_does_not_take_gzip_gets_the_page_plain(client, accepted):
    answer = client.get("/request", headers={"Accept-Encoding": accepted})

    assert answer.status_code == 200
    assert not compressed(answer)
    assert "</html>" in answer.get_data(as_text=True)


def test_the_compressed_forms_tokens_are_each_browsers_own_and_work(app):
    first, second = app.test_client(), app.test_client()

    pages = [
        gzip.decompress(c.get("/track", headers=BROWSER).data).decode() for c in (first, second)
    ]

    tokens = [re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1] for page in pages]
    assert tokens[0] != tokens[1]
    # Each works for its own browser (a wrong code, not an expired form), not the other's.
    own = first.post("/track", data={"code": "AAAA-BBBB-CCCC-DDDD", "csrf_token": tokens[0]})
    other = second.post("/track", data={"code": "AAAA-BBBB-CCCC-DDDD", "csrf_token": tokens[0]})
    assert own.status_code != 400 and "expired" not in own.get_data(as_text=True)
    assert other.status_code == 400
