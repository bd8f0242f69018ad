"""An administrator creates organization members linked to their organization."""

import pytest

from portal.models import User

from portal_testing import (
    PASSWORD_ALONE,
    PageForms,
    add_organization,
    page_text,
    shown_password,
    sign_in,
)
from portal_testing.offers import (
    NO_ORGANIZATION,
    ORGANIZATIONS,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


@pytest.fixture
def brigadas(app):
    """The organization new members may be linked to."""
    with app.app_context():
        return add_organization("brigadas", name=ORGANIZATIONS["brigadas"])


def created(app, email):
    with app.app_context():
        user = User.by_email(email)
        return (user.role, user.organization.key if user.organization else None) if user else None


def test_a_new_member_without_an_organization_is_refused(app, admin, brigadas):
    response = admin.post(
        "/admin/accounts", {"email": "new@brigadas.test", "role": "org_member", "organization": ""}
    )
    assert response.status_code == 200
    form = PageForms(response.get_data(as_text=True))
    assert form.errors["organization"] == ["Please choose the organization this member belongs to."]
    assert form.values["role"] == ["org_member"]
    assert created(app, "new@brigadas.test") is None


def test_a_new_member_with_an_unknown_organization_is_refused(app, admin, brigadas):
    response = admin.post(
        "/admin/accounts",
        {"email": "new@brigadas.test", "role": "org_member", "organization": "no-such-org"},
    )
    assert response.status_code == 200
    form = PageForms(response.get_data(as_text=True))
    assert form.errors["organization"] == ["Please choose an organization from the list."]
    assert created(app, "new@brigadas.test") is None


def test_the_admin_creates_a_member_linked_to_the_chosen_organization(app, admin, brigadas):
    response = admin.post(
        "/admin/accounts",
        {"email": "new@brigadas.test", "role": "org_member", "organization": "brigadas"},
    )
    assert response.status_code == 200
    assert created(app, "new@brigadas.test") == ("org_member", "brigadas")
    newcomer = app.test_client()
    signed_in = sign_in(newcomer, "new@brigadas.test", shown_password(response))
    assert signed_in.headers["Location"] == "/org/"
    inbox = page_text(newcomer.get("/org/"))
    assert ORGANIZATIONS["brigadas"] in inbox
    assert NO_ORGANIZATION not in inbox


def test_a_reviewer_created_with_an_organization_selected_gets_none(app, admin, brigadas):
    response = admin.post(
        "/admin/accounts",
        {"email": "rev@network.test", "role": "reviewer", "organization": "brigadas"},
    )
    assert response.status_code == 200
    assert created(app, "rev@network.test") == ("reviewer", None)
