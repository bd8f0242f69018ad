"""The security headers on every response, and what changes over HTTPS."""

import re

import pytest

from portal.assets import asset_url

from portal_testing import (
    CODE_PAGE,
    Requester,
    csrf_token,
    send_too_much,
    set_cookie_headers,
    throttled,
    valid_request_data,
)

# Copied from SECURITY.md at the repository root ("Headers") on purpose: the test fails if the
# application drifts from the checklist. Other tests import these from here.
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


def _sent(client):
    return Requester(client).submit()


def _code_page(client):
    return Requester(client).submit_and_follow()


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


def _static(client):
    return client.get(asset_url("js/portal.js", client.application))


def _healthz(client):
    return client.get("/healthz")


RESPONSES = {
    "home": (_home, 200),
    "request form": (_form, 200),
    "track form": (_track, 200),
    "tracking page": (_status, 200),
    "request sent": (_sent, 303),
    "code page": (_code_page, 200),
    "htmx fragment": (_fragment, 422),
    "404": (_not_found, 404),
    "405": (_method_not_allowed, 405),
    "400 csrf": (_csrf_failure, 400),
    "413": (send_too_much, 413),
    "429": (throttled, 429),
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
    if case == "static file":
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    else:
        assert response.headers["Cache-Control"] == "no-store"


def test_the_error_page_of_a_crash_carries_the_security_headers(crashing_app):
    response = crashing_app.test_client().get("/boom")

    assert response.status_code == 500
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.app_config(HTTPS=True)
def test_over_https_cookies_are_host_prefixed_secure_and_hsts_is_sent(app):
    client = app.test_client()

    response = client.get("/request?lang=fr", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"] == HSTS
    cookies = set_cookie_headers(response)
    assert set(cookies) == {"__Host-session", "__Host-lang"}
    for attributes in cookies.values():
        assert {"secure", "httponly", "path=/", "samesite=lax"} <= attributes
        assert not any(attribute.startswith("domain") for attribute in attributes)


@pytest.mark.app_config(HTTPS=True)
def test_over_https_a_post_needs_a_same_origin_referer(app):
    """Why Referrer-Policy is same-origin and not no-referrer: flask-wtf checks it over HTTPS."""
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
    assert from_the_form.status_code == 303
    assert from_the_form.headers["Location"] == CODE_PAGE
    code_page = client.get(CODE_PAGE, base_url="https://localhost")
    assert 'id="tracking-code"' in code_page.get_data(as_text=True)


@pytest.mark.app_config(HTTPS=True, ONION=True)
def test_an_onion_service_never_sends_hsts(app):

    response = app.test_client().get("/", base_url="https://localhost")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers
    assert response.headers["Content-Security-Policy"] == CSP


def test_over_plain_http_cookies_have_their_plain_names_and_no_hsts(client):
    response = client.get("/request?lang=es")

    cookies = set_cookie_headers(response)
    assert set(cookies) == {"session", "lang"}
    assert "Strict-Transport-Security" not in response.headers
