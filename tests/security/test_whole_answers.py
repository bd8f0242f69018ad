"""Whole kept pages' answers given again before Flask (portal/page_cache.py, WholeAnswers):
only to a browser that sends no cookie and asks in exactly the same way, byte for byte what
Flask gave, and never a page that holds anything of anyone's."""

import gzip
import html
import logging
import re

import pytest

from portal import page_cache

from portal_testing import PASSWORD_ALONE, session_contents

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

BROWSER = {"Accept-Encoding": "gzip, br", "Accept-Language": "en-GB,en;q=0.8"}
ONION = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINE = re.compile(r"[0-9a-f]{16} GET / 200 \d+ms")


@pytest.fixture
def through_flask(app, monkeypatch):
    """How many requests Flask itself answered."""
    answered = []
    dispatch = app.full_dispatch_request

    def counting():
        answered.append(1)
        return dispatch()

    monkeypatch.setattr(app, "full_dispatch_request", counting)
    return answered


def answer(app, path="/", headers=BROWSER, **kwargs):
    return app.test_client().get(path, headers=headers, **kwargs)


def test_the_second_browser_gets_flasks_first_answer_without_flask(app, through_flask):
    first = answer(app)
    second = answer(app)
    third = answer(app)

    assert len(through_flask) == 1
    for again in (second, third):
        assert again.status_code == 200
        assert again.data == first.data
        assert again.headers == first.headers
    headers = second.headers
    assert headers["Content-Encoding"] == "gzip"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers


def test_any_cookie_goes_to_flask_and_a_chosen_language_is_kept(app, through_flask):
    answer(app)
    french = app.test_client()
    french.set_cookie("lang", "fr")

    page = french.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert len(through_flask) == 2
    assert '<html lang="fr"' in page
    other = app.test_client()
    other.set_cookie("anything", "x")
    assert other.get("/", headers=BROWSER).status_code == 200
    assert len(through_flask) == 3


def test_each_way_of_asking_has_its_own_answer(app, through_flask):
    english = answer(app, headers={"Accept-Language": "en"})
    spanish = answer(app, headers={"Accept-Language": "es"})
    plain = answer(app, headers={"Accept-Language": "es", "Accept-Encoding": "identity"})
    partial = answer(app, headers={"Accept-Language": "es", "HX-Request": "true"})
    chosen = answer(app, "/?lang=fr", headers={"Accept-Language": "es"})
    again = [
        answer(app, headers={"Accept-Language": "en"}),
        answer(app, headers={"Accept-Language": "es"}),
        answer(app, headers={"Accept-Language": "es", "Accept-Encoding": "identity"}),
    ]

    assert len(through_flask) == 5
    assert '<html lang="en"' in english.get_data(as_text=True)
    assert "Content-Encoding" not in english.headers  # asked for no compression
    assert '<html lang="es"' in plain.get_data(as_text=True)
    assert partial.status_code == 200  # htmx's headers are part of how it asked
    assert "Set-Cookie" in chosen.headers  # the choice is remembered: given by Flask each time
    assert answer(app, "/?lang=fr").headers.get("Set-Cookie") == chosen.headers["Set-Cookie"]
    assert len(through_flask) == 6
    assert [a.data for a in again] == [english.data, spanish.data, plain.data]


@pytest.mark.parametrize("encoding", ["gzip, br", "identity"])
def test_a_page_with_a_form_token_gets_a_new_token_and_session_each_time(
    app, through_flask, encoding
):
    browsers = [app.test_client() for _ in range(3)]
    answers = [b.get("/track", headers={"Accept-Encoding": encoding}) for b in browsers]

    assert len(through_flask) == 1
    pages = [
        (gzip.decompress(a.data) if encoding != "identity" else a.data).decode() for a in answers
    ]
    tokens = [html.unescape(TOKEN.search(page)[1]) for page in pages]
    assert len(set(tokens)) == 3 and "pagecache" not in "".join(pages)
    cookies = [a.headers["Set-Cookie"] for a in answers]
    assert len(set(cookies)) == 3
    # The cookie as Flask wrote it for the first, but its value; nothing else in it.
    attributes = {cookie.partition(";")[2] for cookie in cookies}
    assert len(attributes) == 1
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    for browser in browsers:
        assert set(session_contents(app, browser)) == {"csrf_token"}
    for answer_given in answers[1:]:
        assert answer_given.headers["Content-Length"] == str(len(answer_given.data))
    # Each token works for its own browser (a wrong code, not an expired form), and not
    # for another's.
    for browser, token in zip(browsers, tokens, strict=True):
        own = browser.post("/track", data={"code": "AAAA-BBBB-CCCC-DDDD", "csrf_token": token})
        assert own.status_code != 400 and "expired" not in own.get_data(as_text=True)
    other = browsers[2].post(
        "/track", data={"code": "AAAA-BBBB-CCCC-DDDD", "csrf_token": tokens[1]}
    )
    assert other.status_code == 400


@pytest.mark.parametrize(
    "asking",
    [
        {"method": "POST"},
        {"method": "HEAD"},
        {"method": "GET", "data": "x=1", "content_type": "application/x-www-form-urlencoded"},
    ],
)
def test_anything_but_a_plain_get_goes_to_flask(app, through_flask, asking):
    answer(app)
    client = app.test_client()

    client.open("/", headers=BROWSER, **asking)

    assert len(through_flask) == 2


@pytest.mark.app_config(ONION_ADDRESS=ONION)
def test_the_onion_service_and_the_clearnet_site_each_get_their_own(app, through_flask):
    clearnet = [answer(app, base_url="http://portal.example") for _ in range(2)]
    onion = [answer(app, base_url=f"http://{ONION}") for _ in range(2)]

    assert len(through_flask) == 2
    assert all(a.headers["Onion-Location"] == f"http://{ONION}/" for a in clearnet)
    assert all("Onion-Location" not in a.headers for a in onion)


def test_an_answer_given_again_is_logged_as_any_other(app, caplog):
    caplog.set_level(logging.INFO)
    answer(app)
    answer(app)

    lines = [r.getMessage() for r in caplog.records if r.name == "portal.requests"]
    assert len(lines) == 2 and all(LINE.fullmatch(line) for line in lines), lines
    assert lines[0].split()[0] != lines[1].split()[0]  # each its own request id


def test_what_is_kept_is_bounded_whatever_the_ways_of_asking(app, monkeypatch):
    monkeypatch.setattr(page_cache, "MAX_PAGES", 5)

    for n in range(12):
        assert answer(app, f"/?n={n}").status_code == 200

    kept = app.wsgi_app
    while not isinstance(kept, page_cache.WholeAnswers):
        kept = kept.application
    assert len(kept._answers) == 5
