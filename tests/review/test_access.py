"""Who may open the review pages and send their forms."""

import re

import pytest

from portal.models import AuditEvent, InternalNote, Message

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, csrf_token
from portal_testing.review import (
    listed,
    new_request,
    stored,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def review_urls(reference):
    return ["/review/", "/review/?state=submitted&urgency=urgent", f"/review/{reference}"]


def test_anonymous_visitors_are_sent_to_sign_in_and_brought_back(app, client):
    reference = new_request(app)
    for url in review_urls(reference):
        response = client.get(url)
        assert response.status_code == 303
        location = response.headers["Location"]
        assert location.startswith("/staff/sign-in?next=")
        assert "/review/" in location.replace("%2F", "/")


def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(app, client):
    reference = new_request(app)
    token = csrf_token(client, "/track")
    for path, data in [
        (f"/review/{reference}/act", {"action": "start_review", "version": "1"}),
        (f"/review/{reference}/message", {"message-body": "hello"}),
        (f"/review/{reference}/note", {"note-body": "hello"}),
    ]:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/staff/sign-in?next=")
    assert stored(app, reference).state == "submitted"
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0


def test_organization_members_get_403_on_every_review_url(app, org_member):
    reference = new_request(app)
    for url in [*review_urls(reference), "/review/AR-1999-9999"]:
        assert org_member.get(url).status_code == 403
    for path, data in [
        (f"/review/{reference}/act", {"action": "start_review", "version": "1"}),
        (f"/review/{reference}/message", {"message-body": "hello"}),
        (f"/review/{reference}/note", {"note-body": "hello"}),
    ]:
        assert org_member.post(path, data).status_code == 403
    assert stored(app, reference).state == "submitted"
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0
        assert not AuditEvent.select().where(AuditEvent.action == "request.viewed").exists()


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_administrators_see_the_queue(app, sign_in_as, role):
    reference = new_request(app)
    staff = sign_in_as(role)
    page = staff.page("/review/")
    assert "Review queue" in page
    assert listed(page) == [reference]
    assert f'href="/review/{reference}"' in page


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("act", {"action": "start_review", "version": "1"}),
        ("message", {"message-body": "hello"}),
        ("note", {"note-body": "hello"}),
    ],
)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_a_valid_csrf_token_are_refused(app, reviewer, path, data, token):
    reference = new_request(app)
    payload = dict(data) if token is None else {**data, "csrf_token": token}
    response = reviewer.client.post(f"/review/{reference}/{path}", data=payload)
    assert response.status_code == 400
    assert stored(app, reference).state == "submitted"
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0


def test_the_actions_panel_and_forms_carry_a_csrf_token(app, reviewer):
    reference = new_request(app)
    page = reviewer.page(f"/review/{reference}")
    forms = re.findall(r'<form method="post".*?</form>', page, re.S)
    assert len(forms) >= 4
    for form in forms:
        assert 'name="csrf_token"' in form
