"""The audit trail: what it records, its filters and its pages."""

import pytest

from portal import audit
from portal.models import AuditEvent, User

from . import record_at, sentences
from portal_testing import (
    PASSWORD_ALONE,
    STAFF_PASSWORD,
    PageForms,
    page_text,
    shown_password,
    tags,
)
from portal_testing.admin import add_account, events

HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def test_the_audit_trail_records_each_action_with_the_right_accounts(app, admin):
    created = admin.post("/admin/accounts", email="new@example.org", role="reviewer")
    with app.app_context():
        new = User.by_email("new@example.org")
    assert admin.post(f"/admin/accounts/{new.uid}/deactivate", confirm="y").status_code == 303
    admin.post(f"/admin/accounts/{new.uid}/reactivate")
    reset = admin.post(f"/admin/accounts/{new.uid}/reset")

    for action in ("account.created", "account.deactivated", "account.reactivated"):
        [event] = [e for e in events(app, action) if e.target_user_id == new.id]
        assert event.user_id == admin.user.id, action
    [event] = events(app, "account.reset")
    assert (event.user_id, event.target_user_id) == (admin.user.id, new.id)

    page = page_text(admin.get("/admin/audit"))
    told = sentences(admin.get("/admin/audit"))
    for sentence in (
        "admin@example.org created the account of new@example.org (reviewer)",
        "admin@example.org deactivated the account of new@example.org",
        "admin@example.org reactivated the account of new@example.org",
        "admin@example.org reset the password and two-step sign-in of new@example.org",
    ):
        assert sentence in told

    # No password in any column of any audit event, nor on the audit page.
    passwords = [shown_password(created), shown_password(reset), STAFF_PASSWORD]
    with app.app_context():
        stored = list(AuditEvent.select().tuples())
    assert stored
    for row in stored:
        for value in row:
            for password in passwords:
                assert password not in str(value)
    for password in passwords:
        assert password not in page


def test_opening_the_audit_trail_is_recorded(app, admin):
    admin.get("/admin/audit")
    admin.get("/admin/audit?action=sign_out", headers=HTMX)

    viewed = events(app, "audit.viewed")
    assert [e.user_id for e in viewed] == [admin.user.id, admin.user.id]


@pytest.fixture
def trail(app, admin):
    """Events on four days of 2020, by and about several accounts (created today)."""
    other = add_account(app, "other@example.org", "reviewer")
    another = add_account(app, "another@example.org", "org_member")
    with app.app_context():
        admin_user = User.get(User.id == admin.user.id)
    dated = [
        ("request.viewed", admin_user, "AR-2020-0042", None, (2020, 3, 1, 9)),
        ("request.note", other, "AR-2020-0042", None, (2020, 3, 2, 23, 59)),
        ("request.viewed", other, "VS-2020-0007", None, (2020, 3, 3, 0, 0)),
        ("sign_out", other, None, other, (2020, 3, 3, 12)),
        ("sign_out", another, None, another, (2020, 2, 1, 8)),
    ]
    for action, user, reference, target, when in dated:
        record_at(app, action, when, user=user, reference=reference, target_user=target)
    return other


# Every category: page views and sign-ins are left out by default (see test_categories.py).
ALL = "category=all&"


def test_filtering_by_action(app, admin, trail):
    response = admin.get("/admin/audit?action=request.viewed")

    assert response.status_code == 200
    assert sentences(response) == [
        "other@example.org opened the request VS-2020-0007",
        "admin@example.org opened the request AR-2020-0042",
    ]


def test_filtering_by_reference(app, admin, trail):
    found = sentences(admin.get(f"/admin/audit?{ALL}reference=0042"))

    assert found == [
        "other@example.org added an internal note to AR-2020-0042",
        "admin@example.org opened the request AR-2020-0042",
    ]
    assert sentences(admin.get(f"/admin/audit?{ALL}reference=ar-2020")) == found
    # % is a character, not a wildcard
    assert sentences(admin.get(f"/admin/audit?{ALL}reference=%25")) == []
    # Actions only, by default: the note, not the opening.
    assert sentences(admin.get("/admin/audit?reference=0042")) == found[:1]


def test_filtering_by_email_exactly(app, admin, trail):
    found = sentences(admin.get(f"/admin/audit?{ALL}email=Other@Example.org&email_match=exact"))

    # The account that acted, or the account acted on (created by the test set-up: nobody).
    assert found == [
        "The portal created the account of other@example.org (reviewer)",
        "other@example.org signed out",
        "other@example.org opened the request VS-2020-0007",
        "other@example.org added an internal note to AR-2020-0042",
    ]
    assert sentences(admin.get(f"/admin/audit?{ALL}email=other@&email_match=exact")) == []


def test_filtering_by_part_of_an_email(app, admin, trail):
    found = sentences(admin.get(f"/admin/audit?{ALL}email=other@&email_match=contains"))

    assert found == [
        "The portal created the account of another@example.org, "
        "a member of Test members' organization",
        "The portal created the account of other@example.org (reviewer)",
        "other@example.org signed out",
        "other@example.org opened the request VS-2020-0007",
        "other@example.org added an internal note to AR-2020-0042",
        "another@example.org signed out",
    ]
    # contains is the default
    assert sentences(admin.get(f"/admin/audit?{ALL}email=other@")) == found
    assert sentences(admin.get(f"/admin/audit?{ALL}email=_ther@")) == []  # _ is a character too


def test_filtering_by_dates_includes_both_days(app, admin, trail):
    found = sentences(admin.get(f"/admin/audit?{ALL}since=2020-03-02&until=2020-03-03"))

    assert found == [
        "other@example.org signed out",
        "other@example.org opened the request VS-2020-0007",
        "other@example.org added an internal note to AR-2020-0042",
    ]
    assert len(sentences(admin.get(f"/admin/audit?{ALL}until=2020-03-01"))) == 2
    assert len(sentences(admin.get(f"/admin/audit?{ALL}since=2020-03-03&until=2020-03-03"))) == 2
    assert len(sentences(admin.get(f"/admin/audit?{ALL}since=2020-03-04&until=2020-12-31"))) == 0


def test_filters_combine(app, admin, trail):
    found = sentences(admin.get("/admin/audit?action=request.viewed&email=other&since=2020-03-03"))

    assert found == ["other@example.org opened the request VS-2020-0007"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("action=account.hacked", "action"),
        ("action=%00", "action"),
        ("since=2026-02-30", "since"),
        ("since=yesterday", "since"),
        ("until=99999-01-01", "until"),
        ("since=2026-03-03&until=2026-03-01", "until"),
        ("email=%00", "email"),
        ("email=" + "x" * 100_000, "email"),
        ("reference=" + "R" * 21, "reference"),
        ("reference=AR%01", "reference"),
        ("email_match=regex", "email_match"),
    ],
)
def test_bad_filters_give_a_form_error_not_a_500(app, admin, query, field):
    response = admin.get(f"/admin/audit?{query}")

    assert response.status_code == 200
    assert PageForms(response.get_data(as_text=True)).errors[field]
    assert 'id="error-summary"' in response.get_data(as_text=True)
    assert "<tbody>" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    ["since=0001-01-01&until=9999-12-31", "page=abc", "page=-3", "page=" + "9" * 40, "page=0"],
)
def test_extreme_but_valid_filters_work(app, admin, query):
    response = admin.get(f"/admin/audit?{query}")

    assert response.status_code == 200
    assert "<tbody>" in response.get_data(as_text=True)


def test_the_trail_is_paginated_fifty_a_page_newest_first(app, admin):
    with app.app_context():
        for n in range(120):
            audit.record("request.viewed", user=admin.user, reference=f"AR-2026-{n:04d}")

    first = admin.get("/admin/audit?action=request.viewed")
    third = admin.get("/admin/audit?action=request.viewed&page=3")

    assert len(sentences(first)) == 50
    assert sentences(first)[0] == "admin@example.org opened the request AR-2026-0119"
    assert "Page 1 of 3" in page_text(first)
    assert len(sentences(third)) == 20
    assert sentences(third)[-1] == "admin@example.org opened the request AR-2026-0000"
    # The links to other pages keep the filters.
    links = [a["href"] for t, a in tags(first.get_data(as_text=True)) if a.get("rel") == "next"]
    assert links == ["/admin/audit?page=2&action=request.viewed"]
    assert sentences(admin.get(links[0]))[0].endswith("AR-2026-0069")


def test_the_filter_form_asks_htmx_for_the_results_only(app, admin):
    page = admin.get("/admin/audit").get_data(as_text=True)

    [form] = [a for t, a in tags(page) if t == "form" and a.get("class") == "filters"]
    assert form["method"] == "get"
    assert form["hx-get"] == form["action"] == "/admin/audit"
    assert form["hx-target"] == "#audit-results"
    assert form["hx-push-url"] == "true"
    assert any(a.get("id") == "audit-results" for t, a in tags(page))


def test_htmx_gets_only_the_results_partial(app, admin, trail):
    response = admin.get("/admin/audit?action=sign_out", headers=HTMX)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in page and 'class="filters"' not in page
    assert sentences(response) == ["other@example.org signed out", "another@example.org signed out"]

    errors = admin.get("/admin/audit?since=nope", headers=HTMX).get_data(as_text=True)
    assert "<html" not in errors and 'id="error-summary"' in errors

    boosted = admin.get("/admin/audit", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_hostile_filter_text_is_shown_as_text(app, admin):
    payload = '"><script>alert(1)</script><div hx-get=/x hx-trigger=load>'

    response = admin.get("/admin/audit", query_string={"email": payload, "reference": "<b>"})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert PageForms(page).values["email"] == [payload.lower()]
    for tag, attrs in tags(page):
        assert tag not in ("b", "div") or "hx-get" not in attrs
        if tag == "script":
            assert attrs.get("src")
