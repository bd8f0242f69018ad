"""Bodies and addresses that no page accepts get a 4xx before any view runs, on both
databases: a JSON body sent to a form (nested values would reach code that expects text),
a NUL in an address or a value (PostgreSQL refuses it in a query), invalid UTF-8 (it
would be stored as replacement characters), and a chunked body over the limit (it would
be cut at the limit without a word)."""

import io
import json
import re
from urllib.parse import urlencode

import pytest

from portal.models import AuditEvent, Message, Organization, Request

from portal_testing import PASSWORD_ALONE, StaffClient, csrf_token, page_text, valid_request_data
from portal_testing.review import new_request

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

JSON_BODIES = {
    "nested": json.dumps({"name": {"x": 1}, "situation": ["a", {"b": None}]}),
    "deep": "[" * 5000 + "]" * 5000,
    "flat": json.dumps({"code": "ABCD-EFGH"}),
    "not-json": "{{{",
}


def stored(app):
    with app.app_context():
        return (
            Request.select().count(),
            Message.select().count(),
            Organization.select().count(),
            AuditEvent.select().where(AuditEvent.action != "sign_in.succeeded").count(),
        )


CONTENT_TYPES = ("application/json", "text/plain", "application/xml", None)


def test_a_body_that_is_not_a_form_is_refused_on_public_forms(backend_app):
    client = backend_app.test_client()
    before = stored(backend_app)

    for body in JSON_BODIES.values():
        for content_type in CONTENT_TYPES:
            for path in ("/request", "/track", "/staff/sign-in"):
                response = client.post(path, data=body, content_type=content_type)
                assert response.status_code == 415, (path, content_type, body[:20])
                assert "Traceback" not in response.get_data(as_text=True)
    assert stored(backend_app) == before


def test_a_body_that_is_not_a_form_is_refused_on_staff_forms(backend_app):
    reference = new_request(backend_app, state="in_review")
    admin = StaffClient.create(backend_app, "admin")
    reviewer = StaffClient.create(backend_app, "reviewer")
    before = stored(backend_app)

    for body in JSON_BODIES.values():
        for staff, path in (
            (reviewer, f"/review/{reference}/act"),
            (reviewer, f"/review/{reference}/offer"),
            (reviewer, f"/review/{reference}/message"),
            (admin, "/admin/organizations/new"),
            (admin, "/admin/accounts"),
        ):
            response = staff.client.post(
                path,
                data=body,
                content_type="application/json",
                headers={"X-CSRFToken": staff.token},
            )
            assert response.status_code == 415, (path, body[:20])
    assert stored(backend_app) == before


def test_an_empty_post_and_the_real_forms_still_go_through(backend_app):
    client = backend_app.test_client()

    # Without a body there is nothing to refuse: the form answers (here: its token is missing).
    assert client.post("/track").status_code == 400
    assert client.post("/track", data={"code": "x"}).status_code == 400  # CSRF, not 415
    multipart = client.post("/track", data={"code": "x"}, content_type="multipart/form-data")
    assert multipart.status_code == 400


NUL_ADDRESSES = {
    "reviewer": ("/review/AR-2026-0001%00", "/review/%00"),
    "admin": ("/admin/organizations/x%00", "/admin/accounts/%00/move"),
    "org_member": ("/org/offers/x%00",),
    None: ("/track/%00", "/static/css/portal.css%00"),
}


def test_a_nul_in_an_address_is_not_found_on_both_databases(backend_app):
    for role, paths in NUL_ADDRESSES.items():
        client = StaffClient.create(backend_app, role).client if role else backend_app.test_client()
        for path in paths:
            for method in (client.get, client.post):
                response = method(path)
                assert response.status_code == 404, (role, path, method, response.status_code)


UNREADABLE = "The portal could not read what was sent"
FORM = "application/x-www-form-urlencoded"


def request_form_body(client, **raw_values):
    """The request form as a browser would post it, with some values as raw (encoded) bytes."""
    page = client.get("/request").get_data(as_text=True)
    data = valid_request_data(
        csrf_token=csrf_token(client, "/request"),
        submission_token=re.search(r'name="submission_token"[^>]*value="([^"]+)"', page).group(1),
    )
    for name in raw_values:
        data.pop(name)
    body = urlencode(data, doseq=True)
    for name, raw in raw_values.items():
        body += f"&{name}={raw}"
    return body


@pytest.mark.parametrize(
    "raw",
    ["%FF%FE", "Ana%C3", "%ED%A0%80", "Ana%C0%80"],
    ids=["not utf-8", "cut short", "surrogate", "overlong nul"],
)
def test_invalid_utf8_is_refused_with_a_message(backend_app, raw):
    client = backend_app.test_client()
    before = stored(backend_app)

    response = client.post("/request", data=request_form_body(client, name=raw), content_type=FORM)

    assert response.status_code == 400
    assert UNREADABLE in page_text(response)
    assert stored(backend_app) == before
    # The same form with the value as a browser sends it goes through.
    fine = client.post("/request", data=request_form_body(client, name="Ana"), content_type=FORM)
    assert fine.status_code == 303
    assert stored(backend_app)[0] == before[0] + 1


def test_invalid_utf8_in_a_multipart_form_is_refused_too(app):
    client = app.test_client()
    boundary = "portalboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="code"\r\n\r\n'.encode()
        + b"AB\xffCD\r\n"
        + f"--{boundary}--\r\n".encode()
    )

    response = client.post(
        "/track", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )

    assert response.status_code == 400
    assert UNREADABLE in page_text(response)


def test_a_nul_in_a_staff_form_is_an_error_by_its_field_on_both_databases(backend_app):
    """A NUL is valid UTF-8: the forms refuse it, before any lookup, and keep the rest."""
    reference = new_request(backend_app, state="approved")
    reviewer = StaffClient.create(backend_app, "reviewer")
    admin = StaffClient.create(backend_app, "admin")
    before = stored(backend_app)

    sent = (
        (reviewer, f"/review/{reference}/offer", {"organizations": "andean\x00", "version": "1"}),
        (reviewer, f"/review/{reference}/message", {"body": "hello\x00"}),
        (admin, "/admin/organizations/new", {"key": "x\x00y", "name": "Nul\x00name"}),
        (admin, "/admin/accounts", {"email": "x\x00y@example.org", "role": "reviewer"}),
    )
    for staff, path, data in sent:
        response = staff.client.post(path, data={**data, "csrf_token": staff.token})
        assert response.status_code in (200, 422), (path, response.status_code)
        assert "Traceback" not in response.get_data(as_text=True)
    assert stored(backend_app) == before


def chunked(client, path, body):
    """A body sent in chunks, without a Content-Length, as a WSGI server hands it over."""
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        content_type=FORM,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_body_over_the_limit_is_refused_not_cut(app):
    client = app.test_client()
    before = stored(app)
    body = request_form_body(client).encode()
    over = body + b"&situation=" + b"x" * (1024 * 1024)

    response = chunked(client, "/request", over)

    assert response.status_code == 413
    assert "That was too much to send" in page_text(response)
    assert stored(app) == before
    # Under the limit, a chunked form is read whole and goes through.
    assert chunked(client, "/request", request_form_body(client).encode()).status_code == 303
    assert stored(app)[0] == before[0] + 1
