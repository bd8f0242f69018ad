"""Only administrators open /admin/notices and try a notification again, refused to everyone
else the way every administrators' page refuses them."""

from urllib.parse import parse_qs, urlsplit

import pytest

from portal import notices
from portal.models import AuditEvent, Notice, utcnow

from .mailboxes import owed
from portal_testing import (
    HOSTILE,
    PASSWORD_ALONE,
    create_staff_account,
    csrf_token,
    is_page,
    links_named,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

PAGE = "/admin/notices"
TOLD = "told@network.test"


@pytest.fixture
def given_up(app):
    """A notice to a reviewer that was tried until the portal gave up; its uid."""
    with app.app_context():
        create_staff_account("told@network.test", "reviewer")
        notices.to_reviewers("new_emergency")
        Notice.update(
            attempts=12, failed_at=utcnow(), last_error="SMTPServerDisconnected"
        ).execute()
        return Notice.get().uid


def retry_url(uid):
    return f"{PAGE}/{uid}/retry"


def still_given_up(app):
    rows = [row for row in owed(app, "new_emergency") if row.to == TOLD]
    with app.app_context():
        retried = AuditEvent.select().where(AuditEvent.action == "notice.retried").exists()
    return [(row.failed, row.attempts) for row in rows] == [(True, 12)] and not retried


def test_anonymous_visitors_are_sent_to_sign_in_and_nothing_is_retried(app, given_up):
    client = app.test_client()
    token = csrf_token(client, "/staff/sign-in")

    for method, path in (("GET", PAGE), ("POST", retry_url(given_up))):
        if method == "GET":
            response = client.get(path)
        else:  # a valid token, so that the refusal comes from the sign-in check
            response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 303, method
        location = urlsplit(response.location)
        assert location.path == "/staff/sign-in"
        # Back to that page after signing in; a post-only address is not one: the
        # start page then (the post's words, if any, are held for the page they came from).
        assert parse_qs(location.query)["next"] == [path if is_page(app, path) else "/staff/"]
    assert still_given_up(app)


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_reviewers_and_members_are_refused_and_nothing_is_retried(app, sign_in_as, given_up, role):
    staff = sign_in_as(role)

    page = staff.get(PAGE)
    retried = staff.post(retry_url(given_up))

    assert page.status_code == 403
    assert retried.status_code == 403
    assert TOLD not in page.get_data(as_text=True)
    assert still_given_up(app)


def test_the_same_refusal_whether_or_not_the_notice_exists(app, reviewer, given_up):
    for uid in (given_up, "0" * 32, "not-a-notice"):
        assert reviewer.post(retry_url(uid)).status_code == 403


def test_administrators_open_the_page(app, admin, given_up):
    page = admin.text(PAGE)

    assert TOLD in page
    assert "Given up" in page
    assert f'action="{retry_url(given_up)}"' in admin.page(PAGE)


@pytest.mark.parametrize("role", ["admin", "reviewer", "org_member"])
def test_only_administrators_find_the_page_in_their_menu(app, sign_in_as, role):
    staff = sign_in_as(role)

    links = links_named(staff.page("/staff/"), "Notifications and jobs")

    assert links == ([PAGE, PAGE] if role == "admin" else [])


def test_trying_again_needs_the_csrf_token(app, admin, given_up):
    response = admin.client.post(retry_url(given_up))

    assert response.status_code == 400
    assert still_given_up(app)


def test_trying_again_with_a_token_from_another_browser_is_refused(app, admin, given_up):
    stolen = csrf_token(app.test_client(), "/staff/sign-in")

    response = admin.client.post(retry_url(given_up), data={"csrf_token": stolen})

    assert response.status_code == 400
    assert still_given_up(app)


UNKNOWN = ["0" * 32, "f" * 33, "1 OR 1=1", "%27%3B--", "x" * 5000, *HOSTILE.values()]


def test_an_unknown_or_hostile_notice_is_not_tried_and_nothing_breaks(app, admin, given_up):
    for uid in UNKNOWN:
        response = admin.post(retry_url(uid.replace("/", "%2F")))

        assert response.status_code in (303, 404), uid
        if response.status_code == 303:
            page = admin.text(PAGE)
            assert "This notification is not waiting to be sent again." in page, uid
    assert still_given_up(app)


def test_administrators_start_page_says_when_notifications_were_given_up(
    app, admin, reviewer, given_up
):
    warning = admin.text("/staff/")

    assert "could not be sent: see what failed." in warning
    assert f'href="{PAGE}"' in warning
    assert "could not be sent" not in reviewer.text("/staff/")


def test_nothing_is_said_on_the_start_page_while_every_notification_goes(app, admin):
    with app.app_context():
        notices.to_administrators("job_failed")  # owed, not given up

    assert "could not be sent" not in admin.text("/staff/")
