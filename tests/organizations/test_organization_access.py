"""Who may add and edit organizations, and the CSRF token on every post."""

from urllib.parse import parse_qs, urlsplit

import pytest

from portal import accounts
from portal.models import User

from portal_testing import (
    PASSWORD_ALONE,
    csrf_token,
)
from portal_testing.admin import (
    LIST,
    NEW,
    complete_form,
    create_organization,
    org_count,
    organization_events,
    stored,
)

SUMMARY = "Threats against a community leader; accompaniment to hearings asked."

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def organization_urls():
    return [
        ("GET", LIST),
        ("GET", NEW),
        ("POST", NEW),
        ("GET", f"{LIST}/andes-collective"),
        ("POST", f"{LIST}/andes-collective"),
    ]


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_reviewers_and_members_get_403_on_every_organization_page(app, andes, role, sign_in_as):
    before = stored(app, "andes-collective")
    staff = sign_in_as(role)
    count = org_count(app)  # with an org_member comes the organization it belongs to

    for method, path in organization_urls():
        if method == "GET":
            response = staff.get(path)
        else:
            response = staff.post(path, complete_form(key="sneaky", name="Sneaky"))
        assert response.status_code == 403, (method, path)

    assert org_count(app) == count
    assert stored(app, "sneaky") is None
    assert stored(app, "andes-collective") == before
    assert organization_events(app) == 0


def test_anonymous_visitors_are_sent_to_sign_in(app, andes):
    before = stored(app, "andes-collective")
    client = app.test_client()
    token = csrf_token(client, "/staff/sign-in")

    for method, path in organization_urls():
        if method == "GET":
            response = client.get(path)
        else:  # a valid token, so that the refusal comes from the sign-in check
            data = {"csrf_token": token, **complete_form(key="sneaky", name="Sneaky")}
            response = client.post(path, data=data)
        assert response.status_code == 303, (method, path)
        location = urlsplit(response.location)
        assert location.path == "/staff/sign-in"
        assert parse_qs(location.query)["next"] == [path]

    assert org_count(app) == 1
    assert stored(app, "andes-collective") == before
    assert organization_events(app) == 0


def test_a_post_without_its_csrf_token_is_refused_and_stores_nothing(app, admin, andes):
    before = stored(app, "andes-collective")

    created = admin.client.post(NEW, data=complete_form(key="sahel-visits"))
    edited = admin.client.post(f"{LIST}/andes-collective", data=complete_form(name="Renamed"))
    forged = admin.client.post(
        NEW, data={"csrf_token": "not-a-token", **complete_form(key="sahel-visits")}
    )

    assert (created.status_code, edited.status_code, forged.status_code) == (400, 400, 400)
    assert stored(app, "sahel-visits") is None
    assert stored(app, "andes-collective") == before
    assert organization_events(app) == 0


def test_a_deactivated_administrator_can_no_longer_add_organizations(app, admin, sign_in_as):
    other = sign_in_as("admin", "other-admin@example.org")
    with app.app_context():
        accounts.deactivate(User.get_by_id(admin.user.id), by=User.get_by_id(other.user.id))

    response = create_organization(admin)

    assert response.status_code == 303
    assert response.location == "/staff/sign-in?next=/admin/organizations/new"
    assert org_count(app) == 0
    assert organization_events(app) == 0
