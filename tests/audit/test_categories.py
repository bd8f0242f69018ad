"""Page views and sign-ins are recorded as before, but shown in their own categories."""

import pytest

from portal import audit
from portal.models import AuditEvent

from . import record_at, sentences
from portal_testing import PASSWORD_ALONE, PageForms, tags

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def busy(app, admin):
    """One action drowned among page views and sign-ins, on a day of 2020."""
    with app.app_context():
        AuditEvent.delete().execute()  # the set-up's own account creation and sign-in
    user = admin.user
    record_at(app, "request.viewed", (2020, 3, 1, 9), user=user, reference="AR-2020-0001")
    record_at(app, "request.note", (2020, 3, 1, 10), user=user, reference="AR-2020-0001")
    record_at(app, "sign_in.succeeded", (2020, 3, 1, 11), user=user, target_user=user)
    record_at(app, "offer.viewed", (2020, 3, 1, 12), user=user, reference="AR-2020-0001")
    record_at(app, "sign_out", (2020, 3, 1, 13), user=user, target_user=user)
    # An action an older version recorded: still an action.
    with app.app_context():
        event = AuditEvent.create(action="request.archived", user=user, reference="AR-2020-0002")
        AuditEvent.update(created_at="2020-03-01 14:00:00").where(
            AuditEvent.id == event.id
        ).execute()


# Only the day of the fixture: the page's own "opened the audit trail" events are left out.
DAY = "since=2020-03-01&until=2020-03-01"


def test_actions_are_shown_by_default_without_page_views_or_sign_ins(app, admin, busy):
    response = admin.get(f"/admin/audit?{DAY}")

    assert sentences(response) == [
        "admin@example.org: request.archived, on AR-2020-0002",
        "admin@example.org added an internal note to AR-2020-0001",
    ]
    assert PageForms(response.get_data(as_text=True)).values["category"] == ["actions"]
    assert sentences(admin.get(f"/admin/audit?category=actions&{DAY}")) == sentences(response)


def test_page_views_have_their_own_category(app, admin, busy):
    response = admin.get(f"/admin/audit?category=page_views&{DAY}")

    assert sentences(response) == [
        # An administrator belongs to no organization (only members open offers).
        "admin@example.org (organization unknown) opened the offer for AR-2020-0001",
        "admin@example.org opened the request AR-2020-0001",
    ]
    assert PageForms(response.get_data(as_text=True)).values["category"] == ["page_views"]


def test_page_views_are_still_recorded(app, admin, busy):
    admin.get("/admin/audit")

    assert sentences(admin.get("/admin/audit?category=page_views"))[0] == (
        "admin@example.org opened the audit trail"
    )


def test_sign_ins_have_their_own_category(app, admin, busy):
    response = admin.get(f"/admin/audit?category=sign_ins&{DAY}")

    assert sentences(response) == ["admin@example.org signed out", "admin@example.org signed in"]


def test_everything_shows_every_event(app, admin, busy):
    assert len(sentences(admin.get(f"/admin/audit?category=all&{DAY}"))) == 6


def test_a_chosen_action_is_shown_whatever_the_category(app, admin, busy):
    response = admin.get(f"/admin/audit?action=sign_out&{DAY}")

    assert sentences(response) == ["admin@example.org signed out"]
    assert sentences(admin.get(f"/admin/audit?category=page_views&action=sign_out&{DAY}")) == [
        "admin@example.org signed out"
    ]


@pytest.mark.parametrize("category", ["bogus", "%00", "x" * 10_000])
def test_an_unknown_category_is_a_form_error_not_a_500(app, admin, category):
    response = admin.get("/admin/audit", query_string={"category": category})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert PageForms(page).errors["category"] == ["Please choose one of the options."]
    assert 'id="error-summary"' in page and "<tbody>" not in page


def test_the_category_is_a_field_of_the_get_form(app, admin):
    page = admin.page("/admin/audit")

    [form] = [a for t, a in tags(page) if t == "form" and a.get("class") == "filters"]
    assert form["method"] == "get"
    options = [a["value"] for t, a in tags(page.split('name="category"')[1].split("</select>")[0])]
    assert options == ["actions", "page_views", "sign_ins", "all"]


def test_htmx_gets_the_category_in_the_results_partial(app, admin, busy):
    response = admin.get(f"/admin/audit?category=sign_ins&{DAY}", headers=HTMX)

    page = response.get_data(as_text=True)
    assert "<html" not in page
    assert sentences(response) == ["admin@example.org signed out", "admin@example.org signed in"]
    # The download link keeps the filters, the category included.
    [link] = [a["href"] for t, a in tags(page) if t == "a" and "download" in a]
    assert link == f"/admin/audit.csv?category=sign_ins&{DAY}"


def test_the_pages_of_a_category_keep_it(app, admin):
    with app.app_context():
        for _ in range(60):
            audit.record("sign_in.succeeded", user=admin.user, target_user=admin.user)

    first = admin.get("/admin/audit?category=sign_ins")

    [link] = [a["href"] for t, a in tags(first.get_data(as_text=True)) if a.get("rel") == "next"]
    assert link == "/admin/audit?page=2&category=sign_ins"
    assert sentences(admin.get(link)) == ["admin@example.org signed in"] * 11
