"""Accepting an offer: one organization gets the request, even when two press at once."""

import pytest

from portal.models import Offer, Request

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    StaffClient,
    create_staff_account,
    page_text,
)
from portal_testing.keys import give_access
from portal_testing.offers import (
    CONTACT,
    CONTACT_PLAN,
    NAME,
    ORGANIZATIONS,
    SECRETS,
    TAKEN,
    Case,
    offer_url,
    shows_no_secret,
)
from portal_testing.races import at_the_same_moment

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def test_the_member_who_accepts_sees_who_asked_and_how_to_reach_them(case):
    member, handle = case.members["brigadas"], case.handle["brigadas"]
    response = case.accept("brigadas")
    assert response.headers["Location"] == offer_url(handle)
    page = member.text(offer_url(handle))
    assert "Who asked and how to reach them" in page
    for secret in SECRETS:
        assert secret in page, secret
    assert "Signal" in page and "Safe to contact there." in page
    inbox = member.text("/org/")
    waiting, taken = inbox.split("Requests your organization took on")
    assert handle in taken and handle not in waiting
    assert case.offer("brigadas").state == "accepted"
    assert case.offer("tejido").state == "closed"
    assert case.request().state == "accepted"


def test_the_other_organization_pressing_accept_afterwards_is_told_it_was_taken(case):
    case.accept("brigadas")
    before = case.snapshot()
    late = case.members["tejido"].post(offer_url(case.handle["tejido"], "accept"), CONTACT_PLAN)
    assert late.status_code == 409
    page = page_text(late)
    assert TAKEN in page
    assert shows_no_secret(page) == []
    assert case.snapshot() == before


def test_a_colleague_pressing_accept_after_their_own_organization_is_told_so(case, app):
    with app.app_context():
        colleague = create_staff_account(
            "second@brigadas.test", "org_member", organization=case.orgs["brigadas"]
        )
    give_access(case.members["brigadas"], colleague)  # a member joining later is given the key
    colleague = StaffClient(app, colleague)
    case.accept("brigadas")
    before = case.snapshot()
    response = colleague.post(offer_url(case.handle["brigadas"], "accept"), CONTACT_PLAN)
    assert response.status_code == 303
    page = colleague.text(response.headers["Location"])
    assert "Your organization had already accepted this request." in page
    assert NAME in page and CONTACT in page  # the same organization: they work on it together
    assert case.snapshot() == before


def test_the_requester_sees_the_organization_that_accepted_and_not_the_other(case):
    before = case.tracking_page()
    assert ORGANIZATIONS["brigadas"] not in before
    assert ORGANIZATIONS["tejido"] not in before
    case.accept("brigadas")
    page = case.tracking_page()
    assert "Accepted by an organization" in page
    assert ORGANIZATIONS["brigadas"] in page
    assert ORGANIZATIONS["tejido"] not in page
    assert "member@brigadas.test" not in page


def test_two_members_pressing_accept_at_the_same_moment_exactly_one_gets_it(backend_app):
    app = backend_app
    case = Case(app)  # each thread's requests then open their own connection

    def press_accept(key):
        def move(ready):
            ready()
            return case.members[key].post(offer_url(case.handle[key], "accept"), CONTACT_PLAN)

        return move

    keys = list(case.members)
    responses = dict(zip(keys, at_the_same_moment(app, *map(press_accept, keys)), strict=True))

    assert sorted(r.status_code for r in responses.values()) == [303, 409]
    loser = next(r for r in responses.values() if r.status_code == 409)
    assert TAKEN in page_text(loser)
    assert shows_no_secret(page_text(loser)) == []
    with app.app_context():
        states = sorted(o.state for o in Offer.select())
        assert states == ["accepted", "closed"]
        winner = Offer.get(Offer.state == "accepted").organization.key
        assert responses[winner].status_code == 303
        assert Request.get(Request.reference == case.reference).state == "accepted"


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_accepting_without_a_valid_csrf_token_is_refused_and_changes_nothing(case, token):
    before = case.snapshot()
    data = {} if token is None else {"csrf_token": token}
    response = case.members["brigadas"].client.post(
        offer_url(case.handle["brigadas"], "accept"), data=data
    )
    assert response.status_code == 400
    assert case.snapshot() == before
    assert case.offer("brigadas").state == "open"
