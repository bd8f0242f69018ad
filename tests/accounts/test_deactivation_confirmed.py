"""Deactivating an account needs a tick that says what happens: without it nothing changes."""

import pytest

from portal.models import AuditEvent, ServerSession, User

from portal_testing import PASSWORD_ALONE, PageForms, page_text, sign_in
from portal_testing.admin import add_account

TICK = "Tick this box to confirm."

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def deactivate_url(account):
    return f"/admin/accounts/{account.uid}/deactivate"


def is_active(app, account):
    with app.app_context():
        return User.get(User.id == account.id).active


def deactivations(app):
    with app.app_context():
        return AuditEvent.select().where(AuditEvent.action == "account.deactivated").count()


def test_the_accounts_page_leads_to_a_confirmation_not_straight_to_deactivation(
    app, admin, reviewer
):
    page = admin.get("/admin/accounts").get_data(as_text=True)

    assert f'href="{deactivate_url(reviewer.user)}"' in page
    assert f'action="{deactivate_url(reviewer.user)}"' not in page  # no one-click form


def test_the_confirmation_says_what_happens_and_who_is_told(app, admin, reviewer):
    response = admin.get(deactivate_url(reviewer.user))

    assert response.status_code == 200
    text = page_text(response)
    assert "reviewer@example.org" in text
    label = (
        "Yes, deactivate it. The account is signed out everywhere at once and can no longer "
        "sign in. Nobody is told, the person included: tell them yourself if it is safe to. "
        "You can reactivate it later."
    )
    assert label in text
    assert "confirm" not in PageForms(response.get_data(as_text=True)).values  # unticked
    assert is_active(app, reviewer.user)


@pytest.mark.parametrize("data", [{}, {"confirm": ""}, {"confirm": "false"}])
def test_without_the_tick_nothing_changes(app, admin, reviewer, data):
    response = admin.post(deactivate_url(reviewer.user), data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert PageForms(page).errors["confirm"] == [TICK]
    assert 'href="#confirm"' in page[page.index('id="error-summary"') :]
    assert page.index('id="error-summary"') < page.index('id="confirm"')
    assert 'aria-invalid="true"' in page
    assert is_active(app, reviewer.user)
    assert reviewer.get("/staff/").status_code == 200  # still signed in
    assert deactivations(app) == 0


def test_with_the_tick_the_account_is_signed_out_everywhere_and_cannot_sign_in(
    app, admin, reviewer
):
    response = admin.post(deactivate_url(reviewer.user), confirm="y")

    assert response.status_code == 303
    assert not is_active(app, reviewer.user)
    assert reviewer.get("/staff/").status_code == 303
    with app.app_context():
        assert not ServerSession.select().where(ServerSession.user == reviewer.user.id).exists()
    assert sign_in(app.test_client(), "reviewer@example.org").status_code == 200  # refused
    assert deactivations(app) == 1
    assert "The account is deactivated and signed out everywhere." in page_text(
        admin.get("/admin/accounts")
    )


def test_the_last_administrator_is_refused_even_with_the_tick(app, admin):
    response = admin.post(deactivate_url(admin.user), confirm="y")

    assert response.status_code == 409
    assert "The last active administrator cannot be deactivated." in page_text(response)
    assert is_active(app, admin.user)
    assert deactivations(app) == 0


def test_an_account_already_deactivated_goes_back_to_the_list(app, admin):
    gone = add_account(app, "gone@example.org", "reviewer")
    admin.post(deactivate_url(gone), confirm="y")

    assert admin.get(deactivate_url(gone)).location == "/admin/accounts"
    assert admin.post(deactivate_url(gone), confirm="y").status_code == 303
    assert deactivations(app) == 1


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_only_administrators_deactivate(app, admin, sign_in_as, role):
    staff = sign_in_as(role, f"someone-{role}@example.org")

    assert staff.get(deactivate_url(admin.user)).status_code == 403
    assert staff.post(deactivate_url(admin.user), confirm="y").status_code == 403
    assert is_active(app, admin.user)


def test_a_hostile_address_is_shown_as_text_on_the_confirmation(app, admin):
    with app.app_context():
        # Stored straight (the form refuses such an address): an old or imported account.
        target = add_account(app, "plain@example.org", "reviewer")
        User.update(email='"><img src=x onerror=alert(1)>@example.org').where(
            User.id == target.id
        ).execute()

    page = admin.get(deactivate_url(target)).get_data(as_text=True)

    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;@example.org" in page
