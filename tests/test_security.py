"""The reviewer's checklist (SECURITY.md), as far as a test can show it for the requester side.

Each test tells what a requester or an attacker does and asserts what they see.
"""

import datetime
import html
import json
import logging
import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape

from portal.db import db
from portal.extensions import client_key
from portal.models import MODELS, Request, ServerSession

from portal_testing import Requester, csrf_token, make_app, tags, valid_request_data

ROOT = Path(__file__).resolve().parent.parent

# Copied from SECURITY.md on purpose: the test fails if the application drifts from the checklist.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=31536000; includeSubDomains"
WRONG_CODE = "2222-3333-4444-5555-6666"

CSRF_TITLE = "This form has expired"
BACK_TO_FORM = "Back to the form"


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def build_app(tmp_path):
    """make_app with extra settings; the database is closed afterwards."""

    def build(**config):
        return make_app(tmp_path, **config)

    yield build
    if not db.is_closed():
        db.close()


def translated(app, text, locale, **variables):
    """`text` as the application's catalogue says it in `locale`."""
    with app.test_request_context(), force_locale(locale):
        return gettext(text, **variables)


def assert_shows(app, page, english, locale="en", **variables):
    """The page shows `english` in `locale`; in another language it must really be translated."""
    expected = translated(app, english, locale, **variables)
    if locale != "en":
        source = english % variables if variables else english
        assert expected != source, f"{english!r} has no {locale} translation in the catalogue"
        assert f'<html lang="{locale}"' in page
    assert expected in html.unescape(page), f"{expected!r} is not on the page"


def speak_french(client):
    """The person picks Français once; the lang cookie keeps it."""
    client.get("/?lang=fr")


URL_ATTRIBUTES = ("href", "action", "src", "formaction", "hx-get", "hx-post", "hx-put", "hx-patch")


def urls_in(page):
    return [
        attrs[name]
        for _, attrs in tags(page)
        for name in URL_ATTRIBUTES
        if attrs.get(name) is not None
    ]


def links_named(page, text):
    """The targets of the links whose text is `text`."""
    return [
        html.unescape(href)
        for href, label in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>([^<]*)</a>', page)
        if html.unescape(label).strip() == text
    ]


def row_counts(app):
    with app.app_context(), db.connection_context():
        return {model.__name__: model.select().count() for model in MODELS}


def stored_request(app):
    """The only stored request, decrypted, as a dict of what the requester wrote."""
    with app.app_context(), db.connection_context():
        rows = list(Request.select())
        assert len(rows) == 1
        row = rows[0]
        fields = ("name", "organization", "place", "situation", "asked_for")
        values = {name: getattr(row, name) for name in fields}
        values.update(
            other_languages=row.other_languages,
            contact_detail=row.contact_detail,
            state=row.state,
            region=row.region,
            locale=row.locale,
            version=row.version,
            uid=row.uid,
            id=row.id,
            messages=[message.body for message in row.messages()],
        )
        return values


def tracking_sessions(app):
    with app.app_context(), db.connection_context():
        return ServerSession.select().count()


def session_contents(app, client):
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def set_cookie_headers(response):
    """{cookie name: set of lower-cased attributes} from the Set-Cookie headers."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name = first.split("=", 1)[0]
        cookies[name] = {attribute.lower() for attribute in attributes}
    return cookies


# --- headers on every response -------------------------------------------------------------


def _home(client):
    return client.get("/")


def _form(client):
    return client.get("/request")


def _track(client):
    return client.get("/track")


def _status(client):
    requester = Requester(client)
    requester.open(requester.submit_and_get_code())
    return client.get("/track")


def _confirmation(client):
    return Requester(client).submit()


def _fragment(client):
    token = csrf_token(client)
    return client.post(
        "/request/validate",
        data={"people_count": "many"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "people_count", "X-CSRFToken": token},
    )


def _not_found(client):
    return client.get("/no-such-page")


def _method_not_allowed(client):
    return client.delete("/request")


def _csrf_failure(client):
    return client.post("/request", data=valid_request_data())


def _too_large(client):
    token = csrf_token(client)
    return client.post(
        "/request", data=valid_request_data(csrf_token=token, situation="a" * (1024 * 1024 + 1))
    )


def _too_many(client):
    token = csrf_token(client, "/track")
    for _ in range(100):
        response = client.post("/track", data={"code": WRONG_CODE, "csrf_token": token})
        if response.status_code == 429:
            return response
    raise AssertionError("100 wrong codes and never a 429")


def _static(client):
    return client.get("/static/js/portal.js")


def _healthz(client):
    return client.get("/healthz")


RESPONSES = {
    "home": (_home, 200),
    "request form": (_form, 200),
    "track form": (_track, 200),
    "tracking page": (_status, 200),
    "confirmation": (_confirmation, 200),
    "htmx fragment": (_fragment, 422),
    "404": (_not_found, 404),
    "405": (_method_not_allowed, 405),
    "400 csrf": (_csrf_failure, 400),
    "413": (_too_large, 413),
    "429": (_too_many, 429),
    "static file": (_static, 200),
    "healthz": (_healthz, 200),
}


@pytest.mark.parametrize("case", RESPONSES, ids=list(RESPONSES))
def test_every_response_carries_the_security_headers(client, case):
    make_response, status = RESPONSES[case]
    response = make_response(client)
    response.close()

    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert "werkzeug" not in response.headers.get("Server", "").lower()
    assert "Strict-Transport-Security" not in response.headers
    if case != "static file":
        assert response.headers["Cache-Control"] == "no-store"


def test_the_error_page_of_a_crash_carries_the_security_headers(crashing_app):
    response = crashing_app.test_client().get("/boom")

    assert response.status_code == 500
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Cache-Control"] == "no-store"


def test_over_https_cookies_are_host_prefixed_secure_and_hsts_is_sent(build_app):
    app = build_app(HTTPS=True)
    client = app.test_client()

    response = client.get("/request?lang=fr", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"] == HSTS
    cookies = set_cookie_headers(response)
    assert set(cookies) == {"__Host-session", "__Host-lang"}
    for attributes in cookies.values():
        assert {"secure", "httponly", "path=/", "samesite=lax"} <= attributes
        assert not any(attribute.startswith("domain") for attribute in attributes)


def test_over_https_a_post_needs_a_same_origin_referer(build_app):
    """Why Referrer-Policy is same-origin and not no-referrer: flask-wtf checks it over HTTPS."""
    app = build_app(HTTPS=True)
    client = app.test_client()
    page = client.get("/request", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = valid_request_data(csrf_token=token)

    without_referer = client.post("/request", data=data, base_url="https://localhost")
    from_elsewhere = client.post(
        "/request",
        data=data,
        base_url="https://localhost",
        headers={"Referer": "https://evil.example/request"},
    )
    from_the_form = client.post(
        "/request",
        data=data,
        base_url="https://localhost",
        headers={"Referer": "https://localhost/request"},
    )

    assert without_referer.status_code == 400
    assert from_elsewhere.status_code == 400
    assert from_the_form.status_code == 200
    assert 'id="tracking-code"' in from_the_form.get_data(as_text=True)


def test_an_onion_service_never_sends_hsts(build_app):
    app = build_app(HTTPS=True, ONION=True)

    response = app.test_client().get("/", base_url="https://localhost")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["Content-Security-Policy"] == CSP


def test_over_plain_http_cookies_have_their_plain_names_and_no_hsts(client):
    response = client.get("/request?lang=es")

    cookies = set_cookie_headers(response)
    assert set(cookies) == {"session", "lang"}
    assert "Strict-Transport-Security" not in response.headers


# --- the session cookie --------------------------------------------------------------------


def test_the_session_cookie_is_httponly_and_samesite_lax(client):
    response = client.get("/request")

    attributes = set_cookie_headers(response)["session"]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "path=/" in attributes


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

    code = requester.submit_and_get_code(**personal)
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

    serialized = json.dumps(contents, ensure_ascii=False)
    for secret in [code, code.replace("-", ""), *personal.values(), "They came again today."]:
        assert secret not in serialized
    assert contents["tsid"] not in (code, code.replace("-", ""))


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


# --- CSRF ----------------------------------------------------------------------------------

# route -> (form a browser would send, whether the route is also a page one can open)
POST_ROUTES = {
    "/request": (valid_request_data(), True),
    "/request/validate": ({"people_count": "12"}, False),
    "/track": ({"code": "to be filled"}, True),
    "/track/message": ({"body": "A message that must not be kept."}, False),
    "/track/withdraw": ({"confirm": "y"}, True),
    "/track/leave": ({}, False),
}


def _tracking_client(app):
    """A browser with a request open on its tracking page; returns (client, code)."""
    client = app.test_client()
    requester = Requester(client)
    code = requester.submit_and_get_code(name="CSRF Target")
    assert requester.open(code).status_code == 303
    return client, code


def _post_without_token(client, path, code):
    data, _ = POST_ROUTES[path]
    data = {**data, "code": code} if "code" in data else dict(data)
    headers = {"HX-Trigger-Name": "people_count"} if path == "/request/validate" else {}
    return client.post(path, data=data, headers=headers)


@pytest.mark.parametrize("path", POST_ROUTES)
def test_a_post_without_csrf_token_is_refused_and_changes_nothing(app, path):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    client, code = _tracking_client(app)
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
    client, code = _tracking_client(app)
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


# --- size limits ---------------------------------------------------------------------------


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
    client, _ = _tracking_client(app)
    speak_french(client)
    token = csrf_token(client, "/track")

    response = client.post(
        "/track/message", data={"body": "b" * (1024 * 1024), "csrf_token": token}
    )

    assert response.status_code == 413
    assert_shows(app, response.get_data(as_text=True), "That was too much to send", "fr")
    assert row_counts(app)["Message"] == 0


# --- hostile input -------------------------------------------------------------------------

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img-onerror": '"><img src=x onerror=alert(1)>',
    "svg-onload": "<svg onload=alert(1)>",
    "jinja-expression": "{{7*7}}",
    "jinja-statement": "{% print 1 %}",
    "htmx-attributes": '<div hx-get="/x" hx-trigger="load">',
    "javascript-url": "javascript:alert(1)",
    "sql": "'); DROP TABLE request;--",
    "rtl-override-arabic": "\u202eنحن في خطر\u202c txt.exe",
    "zero-width-emoji": "👩\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 a\u200bb\u200cc\u200dd",
}
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

    assert response.status_code in (200, 400)
    assert "Traceback" not in response.get_data(as_text=True)
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

    assert response.status_code == 200
    stored = stored_request(app)
    assert stored["state"] == "submitted"
    assert stored["region"] == "latin_america_caribbean"
    assert stored["locale"] == "en"
    assert stored["version"] == 1
    assert stored["uid"] != "f" * 32
    assert stored["id"] != 999


# --- access --------------------------------------------------------------------------------


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


def test_the_code_never_appears_in_a_url_or_after_the_confirmation(app, client):
    requester = Requester(client)
    pages, locations = [], []

    def visit(response):
        pages.append(response.get_data(as_text=True))
        if response.headers.get("Location"):
            locations.append(response.headers["Location"])
        return response

    visit(client.get("/"))
    visit(client.get("/request"))
    confirmation = visit(requester.submit())
    code = re.search(r'id="tracking-code"[^>]*>([^<]+)<', confirmation.get_data(as_text=True))
    code = code.group(1).strip()
    after_confirmation = len(pages)
    visit(client.get("/track"))
    visit(requester.open(code))
    visit(client.get("/track"))
    token = csrf_token(client, "/track")
    visit(client.post("/track/message", data={"body": "Update", "csrf_token": token}))
    visit(client.get("/track"))
    visit(client.get("/track/withdraw"))
    visit(client.post("/track/withdraw", data={"confirm": "y", "csrf_token": token}))
    visit(client.get("/track"))
    visit(client.post("/track/leave", data={"csrf_token": token}))
    visit(client.get("/"))

    assert stored_request(app)["state"] == "withdrawn"
    assert len(locations) == 4
    forms = {code, code.replace("-", ""), code.lower(), code.replace("-", "").lower()}
    urls = locations + [url for page in pages for url in urls_in(page)]
    assert urls
    for url in urls:
        assert not any(form in url for form in forms), url
    for page in pages[after_confirmation:]:
        assert not any(form in page for form in forms)


def test_the_code_never_reaches_the_logs(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    requester = Requester(client)

    code = requester.submit_and_get_code()
    requester.open("2345-6789-ABCD-EFGH-JKMN")
    requester.open(code.lower().replace("-", " "))
    token = csrf_token(client, "/track")
    client.post("/track/message", data={"body": "Logged?", "csrf_token": token})
    client.post("/track/withdraw", data={"confirm": "y", "csrf_token": token})
    client.post("/track/leave", data={"csrf_token": token})

    assert any("request submitted" in record.getMessage() for record in caplog.records)
    forms = {code, code.replace("-", ""), code.lower().replace("-", " ")}
    for record in caplog.records:
        text = " ".join([record.getMessage(), repr(record.args), str(record.exc_text or "")])
        assert not any(form in text for form in forms), text
        assert "Logged?" not in text


def test_the_logs_hold_no_client_address(build_app, caplog):
    caplog.set_level(logging.DEBUG)
    app = build_app(TRACK_RATE_LIMIT="3 per minute")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    requester = Requester(client)

    requester.open(requester.submit_and_get_code())
    for _ in range(5):
        _guess(client)
    client.get("/missing")

    assert caplog.records, "the flow should have logged something"
    for record in caplog.records:
        assert "198.51.100.23" not in record.getMessage() + repr(record.args)


def test_a_copy_of_the_database_file_holds_no_plaintext_code_or_address(tmp_path, app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    requester = Requester(client)
    secrets_written = [
        "Leticia Plaintext",
        "Vereda Plaintext",
        "Paramilitaries watch the plaintext house.",
        "Plaintext accompaniment, please.",
        "@leticia.plaintext",
        "A plaintext message.",
    ]
    code = requester.submit_and_get_code(
        name=secrets_written[0],
        place=secrets_written[1],
        situation=secrets_written[2],
        asked_for=secrets_written[3],
        contact_channel="signal",
        contact_detail=secrets_written[4],
    )
    requester.open(code)
    token = csrf_token(client, "/track")
    client.post("/track/message", data={"body": secrets_written[5], "csrf_token": token})

    files = sorted(tmp_path.glob("portal.sqlite3*"))
    assert files
    content = b"".join(path.read_bytes() for path in files)
    assert b"Plaintext" not in content and b"plaintext" not in content
    for secret in [code, code.replace("-", ""), "198.51.100.23", "127.0.0.1"]:
        assert secret.encode() not in content, secret


# --- rate limit ----------------------------------------------------------------------------


@pytest.fixture
def limited_app(build_app):
    return build_app(TRACK_RATE_LIMIT="3 per minute")


def _guess(client, code=WRONG_CODE, **headers):
    token = csrf_token(client, "/track")
    return client.post("/track", data={"code": code, "csrf_token": token}, headers=headers)


def test_wrong_codes_are_throttled_after_the_configured_limit(limited_app):
    guesser = limited_app.test_client()

    answers = [_guess(guesser).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    page = _guess(guesser).get_data(as_text=True)
    assert_shows(limited_app, page, "Too many attempts")
    assert "Traceback" not in page


def test_the_throttle_page_is_translated(limited_app):
    guesser = limited_app.test_client()
    speak_french(guesser)
    for _ in range(3):
        _guess(guesser)

    response = _guess(guesser)

    assert response.status_code == 429
    assert_shows(limited_app, response.get_data(as_text=True), "Too many attempts", "fr")


def test_rotating_x_forwarded_for_does_not_escape_the_limit(limited_app):
    assert limited_app.config["TRUSTED_PROXIES"] == 0
    guesser = limited_app.test_client()

    answers = [
        _guess(guesser, **{"X-Forwarded-For": f"203.0.113.{n}", "X-Real-IP": f"198.51.100.{n}"})
        for n in range(1, 6)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]


def test_another_client_is_not_throttled_by_someone_elses_guesses(limited_app):
    guesser = limited_app.test_client()
    for _ in range(4):
        _guess(guesser)
    neighbour = limited_app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "192.0.2.77"

    assert _guess(neighbour).status_code == 200


def test_a_correct_code_right_after_the_limit_is_refused_too(limited_app):
    """At the limit the code is not even checked: a 303 for a right guess would leak it."""
    owner_browser = limited_app.test_client()
    code = Requester(owner_browser).submit_and_get_code(name="Throttled Owner")
    for _ in range(3):
        _guess(owner_browser)

    response = _guess(owner_browser, code=code)

    assert response.status_code == 429
    assert tracking_sessions(limited_app) == 0
    page = owner_browser.get("/track").get_data(as_text=True)
    assert "Throttled Owner" not in page
    assert 'name="code"' in page


def test_right_codes_do_not_count_against_the_limit(limited_app):
    browser = limited_app.test_client()
    code = Requester(browser).submit_and_get_code()

    answers = [_guess(browser, code=code).status_code for _ in range(6)]

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


# --- error pages ---------------------------------------------------------------------------


@pytest.fixture
def crashing_app(build_app):
    app = build_app()
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret internals at /srv/portal/app.py line 42")

    app.add_url_rule("/boom", "boom", boom)
    return app


def _error_404(client):
    return client.get("/nothing-here")


def _error_405(client):
    return client.delete("/request")


def _error_429(client):
    for _ in range(3):
        _guess(client)
    return _guess(client)


def _error_500(client):
    return client.get("/boom")


def _error_csrf(client):
    return client.post("/track", data={"code": WRONG_CODE})


ERROR_PAGES = {
    404: (_error_404, "Page not found"),
    405: (_error_405, "That did not work"),
    413: (_too_large, "That was too much to send"),
    429: (_error_429, "Too many attempts"),
    500: (_error_500, "Something went wrong on our side"),
    400: (_error_csrf, CSRF_TITLE),
}


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize("status", ERROR_PAGES)
def test_error_pages_are_plain_translated_pages(build_app, status, locale):
    app = build_app(TRACK_RATE_LIMIT="3 per minute")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/boom", "boom", lambda: 1 / 0)
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
    for leak in ("Traceback", "ZeroDivisionError", "werkzeug", 'File "', ".py", "/work/"):
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


# --- templates -----------------------------------------------------------------------------

UNSAFE_IN_TEMPLATES = {
    "|safe": re.compile(r"\|\s*safe\b"),
    "Markup(": re.compile(r"\bMarkup\s*\("),
    "autoescape false": re.compile(r"autoescape\s+false", re.IGNORECASE),
}


def test_templates_never_mark_text_safe():
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            found += [
                f"{path.name}: {name}"
                for name, rx in UNSAFE_IN_TEMPLATES.items()
                if rx.search(text)
            ]
    for path in sorted((ROOT / "portal").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if UNSAFE_IN_TEMPLATES["Markup("].search(text):
            found.append(f"{path.name}: Markup(")

    assert found == []


def test_translations_carry_no_markup():
    """flask-babel's lazy strings count as safe HTML: a translated '<' would not be escaped."""
    catalogues = sorted((ROOT / "translations").rglob("*.po"))
    assert catalogues
    for catalogue in catalogues:
        text = catalogue.read_text(encoding="utf-8")
        translations = re.findall(r'^msgstr(?:\[\d+\])? "(.*)"$', text, re.MULTILINE)
        assert not [line for line in translations if "<" in line or ">" in line], catalogue
