"""The administrators' pages themselves: no inline code, no lost passwords."""

import pytest

from portal_testing import (
    PASSWORD_ALONE,
    assert_no_inline_code,
)
from portal_testing.admin import add_account

HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def test_admin_pages_have_no_inline_script_style_or_event_handlers(app, admin):
    target = add_account(app, "target@example.org", "reviewer")
    pages = {
        "accounts": admin.get("/admin/accounts"),
        "accounts with errors": admin.post("/admin/accounts", email="<b>", role="x"),
        "deactivate confirmation": admin.get(f"/admin/accounts/{target.uid}/deactivate"),
        "deactivate without the tick": admin.post(f"/admin/accounts/{target.uid}/deactivate"),
        "last admin": admin.post(f"/admin/accounts/{admin.user.uid}/deactivate", confirm="y"),
        "created": admin.post("/admin/accounts", email="new@example.org", role="reviewer"),
        "reset confirmation": admin.get(f"/admin/accounts/{target.uid}/reset"),
        "reset": admin.post(f"/admin/accounts/{target.uid}/reset"),
        "audit": admin.get("/admin/audit"),
        "audit partial": admin.get("/admin/audit", headers=HTMX),
        "audit with errors": admin.get("/admin/audit?since=never"),
    }

    for name, response in pages.items():
        assert response.status_code in (200, 409, 422), name
        assert_no_inline_code(response.get_data(as_text=True), name)


def test_the_password_page_offers_no_language_links_that_would_lose_it(app, admin):
    response = admin.post("/admin/accounts", email="new@example.org", role="reviewer")

    assert 'id="lang-switcher"' not in response.get_data(as_text=True)
    assert 'id="lang-switcher"' in admin.get("/admin/accounts").get_data(as_text=True)
