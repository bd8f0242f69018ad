"""Whatever a requester types is stored exactly and shown as text; too much is refused."""

import re
from urllib.parse import urlencode, urlsplit

import pytest
from markupsafe import escape

from portal_testing import (
    CODE_PAGE,
    HOSTILE,
    Requester,
    assert_shows,
    csrf_token,
    row_counts,
    speak_french,
    stored_request,
    tags,
    tracking_browser,
    urls_in,
    valid_request_data,
)


def test_a_body_over_one_megabyte_is_refused_and_nothing_is_stored(app, client):
    token = csrf_token(client)
    huge = "a" * (1024 * 1024)

    response = client.post("/request", data=valid_request_data(csrf_token=token, situation=huge))

    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert_shows(app, page, "That was too much to send")
    assert "Traceback" not in page
    assert row_counts(app)["Request"] == 0


def test_a_message_over_one_megabyte_is_refused_in_french(app):
    client, _ = tracking_browser(app, name="CSRF Target")
    speak_french(client)
    token = csrf_token(client, "/track")

    response = client.post(
        "/track/message", data={"body": "b" * (1024 * 1024), "csrf_token": token}
    )

    assert response.status_code == 413
    assert_shows(app, response.get_data(as_text=True), "That was too much to send", "fr")
    assert row_counts(app)["Message"] == 0


TEXT_FIELDS = ("name", "organization", "place", "situation", "asked_for", "other_languages")
SHOWN_FIELDS = ("name", "organization", "place", "situation", "asked_for")


def _assert_shown_as_text(page, payload):
    assert str(escape(payload)) in page
    if "<" in payload:
        assert payload not in page
    assert "<script>" not in page
    assert "onerror=" not in page.replace(str(escape(payload)), "")
    assert "javascript:" not in "".join(urls_in(page))
    assert not any(
        "hx-trigger" in attrs or attrs.get("hx-get") == "/x" for _, attrs in tags(page)
    ), "user text became a live htmx element"


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_text_is_stored_exactly_and_shown_as_text(app, client, payload):
    requester = Requester(client)
    fields = {name: payload for name in TEXT_FIELDS}
    code = requester.submit_and_get_code(**fields, contact_channel="other", contact_detail=payload)
    requester.open(code)
    token = csrf_token(client, "/track")
    sent = client.post("/track/message", data={"body": payload, "csrf_token": token})
    assert sent.status_code == 303

    stored = stored_request(app)
    for name in (*TEXT_FIELDS, "contact_detail"):
        assert stored[name] == payload, name
    assert stored["messages"] == [payload]

    page = client.get("/track").get_data(as_text=True)
    # name, organization, place, situation, what was asked for, and the message
    assert page.count(str(escape(payload))) >= len(SHOWN_FIELDS) + 1
    _assert_shown_as_text(page, payload)
    if payload == "{{7*7}}":
        assert ">49<" not in page
    if payload == "{% print 1 %}":
        assert ">1<" not in page
    if "'" in payload:
        assert "&#39;" in page


def test_ten_thousand_characters_in_the_text_areas_are_stored_exactly(app, client):
    long_text = ("<script>alert(1)</script> ñ 👩\u200d👩\u200d👧 نحن \u202e{{7*7}} " * 400)[:10_000]
    assert len(long_text) == 10_000
    requester = Requester(client)

    code = requester.submit_and_get_code(situation=long_text, asked_for=long_text[::-1])
    requester.open(code)
    token = csrf_token(client, "/track")
    client.post("/track/message", data={"body": long_text, "csrf_token": token})

    stored = stored_request(app)
    assert stored["situation"] == long_text
    assert stored["asked_for"] == long_text[::-1]
    assert stored["messages"] == [long_text]
    page = client.get("/track").get_data(as_text=True)
    assert str(escape(long_text)) in page
    assert "<script>alert(1)</script>" not in page


def test_hostile_text_sent_back_with_form_errors_is_escaped(client):
    payload = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    token = csrf_token(client)

    response = client.post(
        "/request",
        data=valid_request_data(csrf_token=token, name=payload, situation=payload, consent=""),
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="error-summary"' in page
    assert payload not in page
    assert "<img src=x" not in page
    assert "<script>alert(2)" not in page
    assert ("&#34;&gt;&lt;img" in page) or ("&quot;&gt;&lt;img" in page)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ana\x00María"),
        ("situation", "Threats\x00 since March"),
        ("place", "Cauca\x1b[31m"),
        ("asked_for", "Accompaniment\x7f"),
    ],
)
def test_control_characters_are_refused_with_a_message(app, client, field, value):
    token = csrf_token(client)

    response = client.post("/request", data=valid_request_data(csrf_token=token, **{field: value}))

    assert response.status_code == 200
    assert "This contains invisible control characters. Please retype it." in response.get_data(
        as_text=True
    )
    assert row_counts(app)["Request"] == 0


def test_undecodable_bytes_do_not_break_the_form(app, client):
    token = csrf_token(client)
    data = valid_request_data(csrf_token=token)
    body = urlencode({k: v for k, v in data.items() if k != "name"}, doseq=True)
    body += "&name=%ED%A0%80%FF%FE"

    response = client.post("/request", data=body, content_type="application/x-www-form-urlencoded")

    assert response.status_code in (200, 303, 400)  # refused, or received: the code page
    assert "Traceback" not in response.get_data(as_text=True)
    if response.status_code == 303:
        assert response.headers["Location"] == CODE_PAGE
        assert client.get(CODE_PAGE).status_code == 200
    for stored in [stored_request(app)] if row_counts(app)["Request"] else []:
        assert not re.search("[\ud800-\udfff]", stored["name"])


@pytest.mark.parametrize("field", ["name", "situation", "asked_for"])
def test_a_hundred_thousand_characters_are_refused_with_a_message(app, client, field):
    token = csrf_token(client)

    response = client.post(
        "/request", data=valid_request_data(csrf_token=token, **{field: "ñ" * 100_000})
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in page
    assert 'id="error-summary"' in page
    assert row_counts(app)["Request"] == 0


def test_a_form_with_too_many_parts_is_refused(app, client):
    token = csrf_token(client)
    data = valid_request_data(csrf_token=token)
    data.update({f"extra{n}": "x" for n in range(600)})

    response = client.post("/request", data=data, content_type="multipart/form-data")

    assert response.status_code == 413
    assert "That was too much to send" in response.get_data(as_text=True)
    assert row_counts(app)["Request"] == 0


HOSTILE_PATHS = {
    "backslash": "/%5Cevil.example",
    "two backslashes": "/%5C%5Cevil.example",
    "raw backslash": "/\\evil.example",
    "tab": "/%09/evil.example",
    "newline": "/%0A/evil.example",
    "encoded slashes": "/%2F%2Fevil.example",
}


@pytest.mark.parametrize("path", HOSTILE_PATHS.values(), ids=list(HOSTILE_PATHS))
def test_links_never_lead_off_the_portal_whatever_the_address(client, path):
    """An attacker sends a portal address; the genuine page must not link to their site.

    Browsers read a backslash as a slash and drop tabs and newlines from URLs, so
    href="/\\evil.example?lang=fr" is a link to https://evil.example.
    """
    response = client.get(path)

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    urls = [url for url in urls_in(page) if not url.startswith("data:")]
    assert any("lang=fr" in url for url in urls), "the language links should be there"
    for url in urls:
        as_a_browser_reads_it = re.sub(r"[\t\n\r]", "", url).replace("\\", "/")
        parts = urlsplit(as_a_browser_reads_it)
        assert (parts.scheme, parts.netloc) == ("", ""), f"{url!r} leads off the portal"
        assert not as_a_browser_reads_it.startswith("//"), f"{url!r} leads off the portal"


def test_fields_a_requester_may_not_set_are_ignored(app, client):
    token = csrf_token(client)
    forged = valid_request_data(
        csrf_token=token,
        state="approved",
        region="north_america",
        locale="xx",
        version="7",
        uid="f" * 32,
        id="999",
        tracking_hash="0" * 64,
    )

    response = client.post("/request", data=forged)

    assert response.status_code == 303
    assert response.headers["Location"] == CODE_PAGE
    stored = stored_request(app)
    assert stored["state"] == "submitted"
    assert stored["region"] == "latin_america_caribbean"
    assert stored["locale"] == "en"
    assert stored["version"] == 1
    assert stored["uid"] != "f" * 32
    assert stored["id"] != 999
