"""Bodies and addresses that no page accepts get a 4xx before any view runs, on both
databases: a JSON body sent to a form (nested values would reach code that expects text),
and a NUL in an address (PostgreSQL refuses it in a query)."""

import json

import pytest

from portal.models import AuditEvent, Message, Organization, Request

from portal_testing import PASSWORD_ALONE, StaffClient
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
