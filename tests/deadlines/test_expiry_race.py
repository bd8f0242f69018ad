"""An acceptance and the lapse of the offers at the same moment cannot both happen: whichever
moves the request out of *offered* first wins, on SQLite and on PostgreSQL, and the other
finds it moved (AlreadyTaken for the organization, nothing to do for the sweep)."""

from collections import Counter

import pytest

from portal import offers
from portal.models import AuditEvent, Notice, Offer, Request, TimelineEvent, User

from portal_testing import add_organization, approved_request, create_staff_account
from portal_testing.races import at_the_same_moment

ROUNDS = 10
SUMMARY = "A community leader threatened; accompaniment to court hearings is asked."


def an_offer_past_its_time(reviewer, organizations):
    """An emergency offered to both organizations; returns (request id, first offer id, lapse)."""
    request = approved_request(reviewer, urgency="emergency")
    made = offers.offer(
        request, organizations, reviewer, expected_version=request.version, summary=SUMMARY
    )
    return request.id, made[0].id, made[0].expires_at


def what_happened(request_id):
    request = Request.get_by_id(request_id)
    states = sorted(o.state for o in Offer.select().where(Offer.request == request_id))
    moves = [
        e.to_state
        for e in TimelineEvent.select().where(
            (TimelineEvent.request == request_id) & (TimelineEvent.from_state == "offered")
        )
    ]
    lapsed = (
        AuditEvent.select()
        .where((AuditEvent.action == "offer.expired") & (AuditEvent.reference == request.reference))
        .count()
    )
    return request.state, states, moves, lapsed


def test_an_acceptance_and_the_lapse_at_the_same_moment_never_both_happen(backend_app):
    app = backend_app
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        first, second = add_organization("first"), add_organization("second")
        member = create_staff_account("member@first.test", "org_member", organization=first)

    winners = Counter()
    for round_number in range(ROUNDS):
        with app.app_context():
            request_id, offer_id, lapse = an_offer_past_its_time(reviewer, [first, second])
            ended_before = Notice.select().where(Notice.kind == "offers_ended").count()

        def accept(ready, offer_id=offer_id):
            the_offer, user = Offer.get_by_id(offer_id), User.get_by_id(member.id)
            ready()
            try:
                offers.accept(the_offer, user)
            except offers.AlreadyTaken:
                return "too late"
            return "accepted"

        def sweep(ready, lapse=lapse):
            ready()
            return offers.expire_due(lapse)

        accepted, expired = at_the_same_moment(app, accept, sweep)

        where = f"round {round_number}: accept -> {accepted!r}, expire_due -> {expired!r}"
        assert accepted in ("accepted", "too late"), where  # no other exception escaped
        assert expired in (0, 1), where
        with app.app_context():
            outcome = what_happened(request_id)
            ended = Notice.select().where(Notice.kind == "offers_ended").count() - ended_before
        if accepted == "accepted":
            assert expired == 0, where
            assert outcome == ("accepted", ["accepted", "closed"], ["accepted"], 0), where
            assert ended == 0, where
        else:
            assert expired == 1, where
            assert outcome == ("approved", ["expired", "expired"], ["approved"], 1), where
            assert ended == 1, where
        winners[accepted] += 1

    assert sum(winners.values()) == ROUNDS, winners


def test_whichever_comes_first_stands_when_they_come_one_after_the_other(backend_app):
    app = backend_app
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        first, second = add_organization("first"), add_organization("second")
        member = create_staff_account("member@first.test", "org_member", organization=first)

        # Accepted a moment before the sweep: the sweep finds nothing to let lapse.
        request_id, offer_id, lapse = an_offer_past_its_time(reviewer, [first, second])
        offers.accept(Offer.get_by_id(offer_id), member)
        assert offers.expire_due(lapse) == 0
        assert what_happened(request_id) == ("accepted", ["accepted", "closed"], ["accepted"], 0)

        # Lapsed a moment before the member pressed Accept on a page loaded earlier.
        request_id, offer_id, lapse = an_offer_past_its_time(reviewer, [first, second])
        loaded_earlier = Offer.get_by_id(offer_id)
        assert offers.expire_due(lapse) == 1
        with pytest.raises(offers.AlreadyTaken):
            offers.accept(loaded_earlier, member)
        assert what_happened(request_id) == ("approved", ["expired", "expired"], ["approved"], 1)
