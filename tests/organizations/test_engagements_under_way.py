"""An organization's engagements under way: the requests it works on now, kept on its offers
(Offer.working) so that neither its inbox nor its spare capacity reads every offer it ever
accepted. Work that ended is in the inbox's history, on pages of their own."""

import pytest

from portal import offers, vocabulary, workflow
from portal.models import Offer

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, approved_request
from portal_testing.offers import SUMMARY, Case
from portal_testing.queries import queries_of

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


@pytest.fixture
def case(app):
    return Case(app)


def taken_and_history(page):
    """The inbox's list of requests taken on, and its history, as HTML."""
    taken, history = page.split('id="taken-heading"')[1].split('id="history-heading"')
    return taken, history


def working(case, key):
    with case.app.app_context():
        return Offer.get(Offer.handle == case.handle[key]).working


def test_work_under_way_is_listed_until_it_ends_then_it_is_history(case):
    inbox = case.members["brigadas"]
    case.accept("brigadas")
    accepted = taken_and_history(inbox.page("/org/"))
    case.move("brigadas", "start")
    under_way = taken_and_history(inbox.page("/org/"))
    with case.app.app_context():
        engaged = offers.engagements()
    case.move("brigadas", "complete")
    ended = taken_and_history(inbox.page("/org/"))
    handle = case.handle["brigadas"]

    assert handle in accepted[0] and handle not in accepted[1]
    assert handle in under_way[0] and handle not in under_way[1]
    assert engaged == {case.orgs["brigadas"].id: 1}
    assert handle not in ended[0] and handle in ended[1]
    assert not working(case, "brigadas")
    with case.app.app_context():
        assert offers.engagements() == {}


def test_a_request_withdrawn_while_under_way_is_no_longer_an_engagement(case):
    case.accept("brigadas")
    assert working(case, "brigadas")
    with case.app.app_context():
        workflow.transition(case.request(), vocabulary.WITHDRAWN, vocabulary.REQUESTER)

    assert not working(case, "brigadas")
    with case.app.app_context():
        assert offers.engagements() == {}
        assert offers.inbox(case.orgs["brigadas"])[1] == []
    history = taken_and_history(case.members["brigadas"].page("/org/"))[1]
    assert case.handle["brigadas"] in history
    # The offer itself still says it was accepted: only the engagement ended.
    with case.app.app_context():
        assert Offer.get(Offer.handle == case.handle["brigadas"]).state == "accepted"


def test_the_other_organizations_offer_never_counts_as_work(case):
    case.accept("brigadas")

    assert working(case, "brigadas")
    assert not working(case, "tejido")
    assert case.handle["tejido"] not in taken_and_history(case.members["tejido"].page("/org/"))[0]


INBOX_PAGES = ["/org/", "/org/?page=2", "/org/?page=99"]


def test_the_inbox_asks_the_database_as_often_with_many_past_offers_as_with_few(app, case):
    member = case.members["brigadas"]
    organization = case.orgs["brigadas"]

    def past_offers(count):
        with app.app_context():
            reviewer = case.reviewer.user
            for _ in range(count):
                request = approved_request(reviewer)
                (made,) = offers.offer(
                    request,
                    [organization],
                    reviewer,
                    expected_version=request.version,
                    summary=SUMMARY,
                )
                offers.decline(made, member.user, "No one free that week.")

    case.accept("brigadas")
    past_offers(2)
    few = {path: queries_of(member.client, path) for path in INBOX_PAGES}
    past_offers(45)
    many = {path: queries_of(member.client, path) for path in INBOX_PAGES}

    assert many == few
