"""Who may open the administrators' pages, and the CSRF token on every post."""

from urllib.parse import parse_qs, urlsplit

import pytest

from portal import accounts
from portal.models import AuditEvent, User

from portal_testing import (
    AS_SHIPPED,
    PASSWORD_ALONE,
    STAFF_PASSWORD,
    csrf_token,
    is_page,
    page_text,
    shown_password,
    sign_in,
)
from portal_testing.admin import add_account
from portal_testing.auth import enrol

HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def send(staff, method, path, data):
    return staff.get(path) if method == "GET" else staff.post(path, **data)


def admin_urls(uid):
    """Every admin URL, with a harmless valid form for the POSTs."""
    return [
        ("GET", "/admin/accounts", {}),
        ("POST", "/admin/accounts", {"email": "someone@example.org", "role": "admin"}),
        ("GET", f"/admin/accounts/{uid}/deactivate", {}),
        ("POST", f"/admin/accounts/{uid}/deactivate", {"confirm": "y"}),
        ("POST", f"/admin/accounts/{uid}/reactivate", {}),
        ("GET", f"/admin/accounts/{uid}/reset", {}),
        ("POST", f"/admin/accounts/{uid}/reset", {}),
        ("GET", "/admin/audit?action=account.created", {}),
    ]


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_reviewers_and_members_are_refused_on_every_admin_url(app, sign_in_as, role):
    target = add_account(app, "target@example.org", "reviewer")
    staff = sign_in_as(role)

    for method, path, data in admin_urls(target.uid):
        response = send(staff, method, path, data)
        assert response.status_code == 403, (method, path)

    with app.app_context():
        assert User.by_email("someone@example.org") is None
        assert User.get(User.uid == target.uid).active
        assert accounts.authenticate("target@example.org", STAFF_PASSWORD) is not None
        assert not AuditEvent.select().where(AuditEvent.action == "audit.viewed").exists()


def test_a_reviewer_gets_403_whether_or_not_the_account_exists(app, reviewer):
    """The same answer for any uid: refused staff learn nothing about which accounts exist."""
    for uid in (reviewer.user.uid, "0" * 32, "not-a-uid"):
        assert reviewer.post(f"/admin/accounts/{uid}/deactivate").status_code == 403
        assert reviewer.get(f"/admin/accounts/{uid}/reset").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in_on_every_admin_url(app):
    target = add_account(app, "target@example.org", "reviewer")
    client = app.test_client()
    token = csrf_token(client, "/staff/sign-in")

    for method, path, data in admin_urls(target.uid):
        if method == "GET":
            response = client.get(path)
        else:  # a valid token, so that the refusal comes from the role check
            response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 303, (method, path)
        location = urlsplit(response.location)
        assert location.path == "/staff/sign-in"
        # Back to that page after signing in; a post-only address is not one: the
        # start page then (the post's words, if any, are held for the page they came from).
        assert parse_qs(location.query)["next"] == [path if is_page(app, path) else "/staff/"]

    with app.app_context():
        assert User.by_email("someone@example.org") is None
        assert User.get(User.uid == target.uid).active


def test_an_administrator_may_use_every_admin_url(app, admin):
    target = add_account(app, "target@example.org", "reviewer")
    expected = [200, 200, 200, 303, 303, 200, 200, 200]

    for (method, path, data), status in zip(admin_urls(target.uid), expected, strict=True):
        response = send(admin, method, path, data)
        assert response.status_code == status, (method, path)


@pytest.mark.parametrize("uid", ["0" * 32, "f" * 31, "not-a-uid", "1", "%00", "A" * 32, "x" * 5000])
def test_an_unknown_account_gives_404(app, admin, uid):
    for path in ("deactivate", "reactivate", "reset", "move"):
        assert admin.post(f"/admin/accounts/{uid}/{path}", confirm="y").status_code == 404
    for path in ("deactivate", "reset", "move"):
        assert admin.get(f"/admin/accounts/{uid}/{path}").status_code == 404


def test_urls_name_accounts_by_uid_never_by_number(app, admin):
    target = add_account(app, "target@example.org", "reviewer")

    page = admin.get("/admin/accounts").get_data(as_text=True)

    assert f"/admin/accounts/{target.uid}/deactivate" in page
    assert f"/admin/accounts/{target.uid}/reset" in page
    assert admin.post(f"/admin/accounts/{target.id}/deactivate").status_code == 404


@pytest.mark.app_config(TOTP_REQUIRED_ROLES=AS_SHIPPED)
def test_admin_pages_work_after_two_step_sign_in(app):
    """An administrator enrols a second factor before any admin page opens."""
    add_account(app, "admin@example.org", "admin")
    client = app.test_client()

    response = sign_in(client, "admin@example.org")
    assert response.location == "/staff/enrol"
    assert client.get("/admin/accounts").status_code == 303  # a pending sign-in opens nothing

    enrol(client)  # the key shown, and the code the app gives for it

    assert client.get("/admin/accounts").status_code == 200
    assert client.get("/admin/audit").status_code == 200

    # An account it creates must set up two-step sign-in at its first sign-in.
    token = csrf_token(client, "/admin/accounts")
    created = client.post(
        "/admin/accounts",
        data={"csrf_token": token, "email": "new@example.org", "role": "reviewer"},
    )
    assert "set up two-step sign-in" in page_text(created)
    newcomer = app.test_client()
    response = sign_in(newcomer, "new@example.org", shown_password(created))
    assert response.location == "/staff/enrol"


def test_every_admin_post_needs_a_csrf_token(app, admin):
    target = add_account(app, "target@example.org", "reviewer")
    stranger = app.test_client()
    foreign_token = csrf_token(stranger, "/staff/sign-in")

    for method, path, data in admin_urls(target.uid):
        if method != "POST":
            continue
        assert admin.client.post(path, data=data).status_code == 400, path
        with_foreign = {**data, "csrf_token": foreign_token}
        assert admin.client.post(path, data=with_foreign).status_code == 400, path

    with app.app_context():
        assert User.by_email("someone@example.org") is None
        assert User.get(User.uid == target.uid).active
        assert accounts.authenticate("target@example.org", STAFF_PASSWORD) is not None
        assert (
            not AuditEvent.select()
            .where(AuditEvent.action.startswith("account.") & (AuditEvent.user == admin.user.id))
            .exists()
        )
