"""An organization sees and touches only its own offers."""

import pytest
from babel.dates import format_date

from portal.models import AuditEvent, User

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    StaffClient,
    create_staff_account,
    csrf_token,
    page_text,
)
from portal_testing.offers import (
    CLOSED_NOTICE,
    NO_ORGANIZATION,
    SUMMARY,
    every_post,
    offer_url,
    shows_no_secret,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def test_a_member_lands_on_the_inbox_and_sees_the_offer_waiting(case):
    member = case.members["brigadas"]
    assert member.landed_on == "/org/"
    inbox = member.text("/org/")
    waiting, taken = inbox.split("Requests your organization took on")
    assert "Waiting for your answer" in waiting
    assert case.handle["brigadas"] in waiting
    assert offer_url(case.handle["brigadas"]) in waiting
    assert case.handle["tejido"] not in inbox  # the other organization's offer
    assert case.handle["brigadas"] not in taken
    assert case.reference not in inbox


def test_a_member_gets_404_for_another_organizations_offer_on_every_route(case):
    before = case.snapshot()
    intruder, theirs = case.members["brigadas"], case.handle["tejido"]
    assert intruder.get(offer_url(theirs)).status_code == 404
    for path, data in every_post(theirs, version=str(case.request().version)):
        response = intruder.post(path, data)
        assert response.status_code == 404, path
        assert not shows_no_secret(page_text(response))
    assert case.snapshot() == before


@pytest.mark.parametrize(
    "handle",
    [
        "9c1e5b7d2a4f48e6b0d3c8a17f6e2b90",  # 32 hex, like an offer's uid
        "K7QM-4XPT",  # shaped like a handle, never given
        "0" * 32,
        "f" * 32,
        "not-an-offer",
        "1 OR 1=1",
        "' OR ''='",
        "%27%3B--",
        "<script>",
        "é" * 32,
        "a" * 500,
    ],
)
def test_a_member_gets_404_for_an_offer_never_made_to_their_organization(case, handle):
    before = case.snapshot()
    member = case.members["brigadas"]
    assert member.get(offer_url(handle)).status_code == 404
    for path, data in every_post(handle):
        assert member.post(path, data).status_code == 404, path
    assert case.snapshot() == before


def test_an_offer_handle_is_matched_exactly_not_by_case_or_prefix(case):
    member, own = case.members["brigadas"], case.handle["brigadas"]
    near_misses = (own.lower(), own.replace("-", ""), own[:-1], own + "0", f" {own}", f"{own}%00")
    for near_miss in near_misses:
        assert member.get(offer_url(near_miss)).status_code == 404, near_miss


def test_an_open_offer_shows_what_is_asked_but_not_who_asked(case):
    page = case.members["brigadas"].text(offer_url(case.handle["brigadas"]))
    start = format_date(case.request().start_date, "long", locale="en")
    for shown in (
        "Protective accompaniment",
        "Colombia",
        "Santander de Quilichao",
        "Urgent: within two weeks",
        start,
        "None given",  # no end date
        "<dd>4</dd>",
        "Spanish",
        "English",
        SUMMARY,
        "Accept: our organization takes it on",
    ):
        assert shown in page, shown
    assert shows_no_secret(page) == []
    assert "Who asked and how to reach them" not in page
    assert "Signal" not in page


def test_after_another_organization_accepted_the_other_sees_only_a_closed_notice(case):
    case.accept("tejido")
    page = case.members["brigadas"].text(offer_url(case.handle["brigadas"]))
    assert CLOSED_NOTICE in page
    assert shows_no_secret(page) == []
    assert SUMMARY not in page
    assert "Santander de Quilichao" not in page
    assert offer_url(case.handle["brigadas"], "accept") not in page
    assert offer_url(case.handle["brigadas"], "decline") not in page
    current, history = case.members["brigadas"].text("/org/").split('id="history"')
    assert case.handle["brigadas"] not in current  # nothing left for them to do
    assert case.handle["brigadas"] in history and "Another organization accepted it" in history
    assert "Santander de Quilichao" not in history


def test_a_member_cannot_act_on_the_request_another_organization_took_and_nothing_changes(case):
    case.accept("tejido")
    before = case.snapshot()
    intruder, theirs = case.members["brigadas"], case.handle["tejido"]
    version = str(case.request().version)
    response = intruder.get(offer_url(theirs))
    assert response.status_code == 404
    assert shows_no_secret(page_text(response)) == []
    for path, data in every_post(theirs, version=version):
        assert intruder.post(path, data).status_code == 404, path
    # Through its own (closed) offer, nothing either.
    own = case.handle["brigadas"]
    for path, data in every_post(own, version=version):
        response = intruder.post(path, data)
        assert response.status_code == 409, path
        assert shows_no_secret(page_text(response)) == [], path
    assert case.snapshot() == before


def test_a_member_whose_account_has_no_organization_sees_a_notice_and_no_offer(case, app):
    with app.app_context():
        loose = create_staff_account(
            "loose@nowhere.test", "org_member", organization=case.orgs["brigadas"]
        )
        # accounts.create_user refuses a member without one: detach it in the database.
        User.update(organization=None).where(User.id == loose.id).execute()
        loose = User.get_by_id(loose.id)
    before = case.snapshot()
    member = StaffClient(app, loose)
    inbox = member.text("/org/")
    assert NO_ORGANIZATION in inbox
    assert case.reference not in inbox
    for handle in case.handle.values():
        assert member.get(offer_url(handle)).status_code == 404
        for path, data in every_post(handle):
            assert member.post(path, data).status_code == 404, path
    assert case.snapshot() == before


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_admins_get_403_on_member_pages(case, app, role):
    with app.app_context():
        user = create_staff_account(f"other-{role}@network.test", role)
    staff = StaffClient(app, user)
    before = case.snapshot()
    handle = case.handle["brigadas"]
    assert staff.get("/org/").status_code == 403
    assert staff.get(offer_url(handle)).status_code == 403
    for path, data in every_post(handle, version=str(case.request().version)):
        assert staff.post(path, data).status_code == 403, path
    assert case.snapshot() == before


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(case, app):
    before = case.snapshot()
    visitor = app.test_client()
    handle = case.handle["brigadas"]
    for path in ("/org/", offer_url(handle)):
        response = visitor.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/staff/sign-in?next=")
    token = csrf_token(visitor, "/track")
    for path, data in every_post(handle, version=str(case.request().version)):
        response = visitor.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/staff/sign-in?next=")
    assert case.snapshot() == before


def test_opening_an_offer_page_is_written_to_the_audit_trail(case):
    member = case.members["brigadas"]
    member.text(offer_url(case.handle["brigadas"]))
    case.members["tejido"].get(offer_url(case.handle["brigadas"]))  # 404: not theirs
    with case.app.app_context():
        viewed = list(AuditEvent.select().where(AuditEvent.action == "offer.viewed"))
        assert [(e.user_id, e.reference) for e in viewed] == [(member.user.id, case.reference)]
