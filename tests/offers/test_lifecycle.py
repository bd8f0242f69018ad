"""Offering an approved request to organizations, and their answers (domain rules)."""

import re

import pytest

from portal import intake, offers, vocabulary, workflow
from portal.models import Offer, Request, TimelineEvent

from portal_testing import (
    PASSWORD_ALONE,
    Requester,
    add_organization,
    approved_request,
    create_staff_account,
    csrf_token,
    request_fields,
)
from portal_testing.keys import as_escrow
from portal_testing.races import at_the_same_moment

SUMMARY = "Threats against a community leader; accompaniment to hearings asked."


@pytest.fixture
def world(backend_app):
    """An approved request in Colombia, two organizations that can take it, one that cannot."""
    with backend_app.app_context():
        reviewer = create_staff_account("rev@example.org", "reviewer")
        request = approved_request(reviewer)
        first, second = add_organization("first"), add_organization("second")
        visits = add_organization("visits", services="solidarity")
        members = {
            org.key: create_staff_account(f"member@{org.key}.org", "org_member", organization=org)
            for org in (first, second, visits)
        }
        yield {
            "reviewer": reviewer,
            "request": request,
            "first": first,
            "second": second,
            "visits": visits,
            "members": members,
        }


def _offer_both(world):
    request = world["request"]
    return offers.offer(
        request,
        [world["first"], world["second"]],
        world["reviewer"],
        expected_version=request.version,
        summary=SUMMARY,
    )


def test_an_approved_request_is_offered_to_organizations_that_offer_its_service(world):
    request = world["request"]
    made = offers.offer(
        request,
        [world["first"], world["visits"]],
        world["reviewer"],
        expected_version=request.version,
        summary=SUMMARY,
    )
    assert [o.organization.key for o in made] == ["first"]
    assert Request.get_by_id(request.id).state == "offered"


def test_a_request_that_is_not_approved_cannot_be_offered(world):
    request = world["request"]
    Request.update(state="in_review").where(Request.id == request.id).execute()
    request.state = "in_review"
    with pytest.raises(offers.OfferRefused):
        offers.offer(
            request,
            [world["first"]],
            world["reviewer"],
            expected_version=request.version,
            summary=SUMMARY,
        )
    assert Offer.select().count() == 0


def test_each_organization_sees_only_its_own_offers(world):
    first_offer, second_offer = _offer_both(world)
    assert [o.id for o in offers.inbox(world["first"])[0]] == [first_offer.id]
    assert offers.offer_for(world["first"], second_offer.handle) is None
    assert offers.offer_for(world["visits"], first_offer.handle) is None
    assert offers.inbox(world["visits"]) == ([], [])


def test_the_first_to_accept_gets_it_and_the_other_offers_close(world):
    first_offer, second_offer = _offer_both(world)
    offers.accept(first_offer, world["members"]["first"])
    with pytest.raises(offers.AlreadyTaken):
        offers.accept(Offer.get_by_id(second_offer.id), world["members"]["second"])
    request = Request.get_by_id(world["request"].id)
    assert request.state == "accepted"
    assert Offer.get_by_id(first_offer.id).state == "accepted"
    assert Offer.get_by_id(second_offer.id).state == "closed"
    assert offers.may_see_contact(world["first"], request)
    assert not offers.may_see_contact(world["second"], request)
    accepted = TimelineEvent.get(TimelineEvent.to_state == "accepted")
    assert accepted.organization_id == world["first"].id


def test_a_stale_copy_of_an_offer_cannot_accept_after_another(world):
    first_offer, second_offer = _offer_both(world)
    stale_second = Offer.get_by_id(second_offer.id)  # loaded while still open
    offers.accept(first_offer, world["members"]["first"])
    with pytest.raises(offers.AlreadyTaken):
        offers.accept(stale_second, world["members"]["second"])
    assert Offer.get_by_id(second_offer.id).state == "closed"


def test_two_organizations_accepting_at_the_same_moment_exactly_one_wins(backend_app, world):
    first_offer, second_offer = _offer_both(world)

    def accept(offer_id, key):
        def move(ready):
            the_offer = Offer.get_by_id(offer_id)
            ready()
            try:
                offers.accept(the_offer, world["members"][key])
            except offers.AlreadyTaken:
                return "taken"
            return "won"

        return move

    outcomes = at_the_same_moment(
        backend_app, accept(first_offer.id, "first"), accept(second_offer.id, "second")
    )

    assert sorted(outcomes) == ["taken", "won"]
    states = sorted(o.state for o in Offer.select())
    assert states == ["accepted", "closed"]
    assert TimelineEvent.select().where(TimelineEvent.to_state == "accepted").count() == 1


def test_when_every_organization_declines_the_request_goes_back_to_be_matched(world):
    first_offer, second_offer = _offer_both(world)
    offers.decline(first_offer, world["members"]["first"], "No volunteers free in May.")
    assert Request.get_by_id(world["request"].id).state == "offered"
    offers.decline(second_offer, world["members"]["second"], "Outside our area this year.")
    request = Request.get_by_id(world["request"].id)
    assert request.state == "approved"
    assert offers.declined_by(request) == {world["first"].id, world["second"].id}
    with as_escrow():
        assert Offer.get_by_id(first_offer.id).reason == "No volunteers free in May."


def test_a_decline_needs_a_reason_and_an_open_offer(world):
    first_offer, _ = _offer_both(world)
    with pytest.raises(offers.OfferRefused):
        offers.decline(first_offer, world["members"]["first"], "  ")
    offers.decline(first_offer, world["members"]["first"], "No capacity.")
    with pytest.raises(offers.OfferRefused):
        offers.decline(Offer.get_by_id(first_offer.id), world["members"]["first"], "Again.")


def test_organizations_that_declined_are_not_offered_the_request_again(world):
    first_offer, second_offer = _offer_both(world)
    offers.decline(first_offer, world["members"]["first"], "No.")
    offers.decline(second_offer, world["members"]["second"], "No.")
    request = Request.get_by_id(world["request"].id)
    with pytest.raises(offers.OfferRefused):
        offers.offer(
            request,
            [world["first"]],
            world["reviewer"],
            expected_version=request.version,
            summary=SUMMARY,
        )


# --- through the reviewer's page -------------------------------------------------------


@pytest.mark.app_config(**PASSWORD_ALONE)
def test_the_reviewer_offers_an_approved_request_from_its_page(app, reviewer):
    with app.app_context():
        request = approved_request(reviewer.user)
        add_organization("near"), add_organization("far", countries="PE")
        add_organization("visits", services="solidarity")
    client = reviewer.client
    page = client.get(f"/review/{request.reference}").get_data(as_text=True)
    assert 'value="near"' in page and 'value="far"' in page
    assert 'value="visits"' not in page  # does not offer the service

    token = csrf_token(client, f"/review/{request.reference}")
    nothing = client.post(
        f"/review/{request.reference}/offer", data={"version": "3", "csrf_token": token}
    )
    assert nothing.status_code == 422
    assert "Please choose at least one organization." in nothing.get_data(as_text=True)

    no_summary = client.post(
        f"/review/{request.reference}/offer",
        data={"organizations": ["near"], "summary": "  ", "version": "3", "csrf_token": token},
    )
    assert no_summary.status_code == 422
    kept = no_summary.get_data(as_text=True)
    assert "Please write a summary for the organizations." in kept
    assert re.search(r'value="near" id="organizations-0"\s+checked', kept)  # ticks kept
    # The error is by the summary field, and the summary at the top links to it.
    assert 'id="summary-error"' in kept
    assert 'href="#summary"' in kept.split('id="error-summary"')[1].split("</div>")[0]

    stale = client.post(
        f"/review/{request.reference}/offer",
        data={"organizations": ["near"], "summary": SUMMARY, "version": "1", "csrf_token": token},
    )
    assert stale.status_code == 409
    assert SUMMARY in stale.get_data(as_text=True)  # what was written is not lost
    offered = client.post(
        f"/review/{request.reference}/offer",
        data={
            "organizations": ["near", "visits"],
            "summary": SUMMARY,
            "version": "3",
            "csrf_token": token,
        },
    )
    assert offered.status_code == 303
    with app.app_context():
        assert Request.get_by_id(request.id).state == "offered"
        assert sorted(o.organization.key for o in Offer.select()) == ["near"]
        with as_escrow():
            assert Offer.get().summary == SUMMARY
        assert SUMMARY.encode() not in Offer.get().summary_sealed  # sealed at rest


def test_the_requester_sees_which_organization_accepted(app):
    requester = Requester(app.test_client())
    code = requester.submit_and_get_code()
    with app.app_context():
        reviewer = create_staff_account("rev@example.org", "reviewer")
        request = Request.get()
        workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
        workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
        near = add_organization("brigadas-cauca", name="Brigadas-Cauca")
        other = add_organization("other-group", name="Other-Group")
        near_offer, _ = offers.offer(
            request, [near, other], reviewer, expected_version=3, summary=SUMMARY
        )
        member = create_staff_account("m@brigadas.org", "org_member", organization=near)
        before = requester.open(code) and requester.client.get("/track").get_data(as_text=True)
        assert "Brigadas-Cauca" not in before  # proposed, not yet accepted: no names
        offers.accept(near_offer, member)
    page = requester.client.get("/track").get_data(as_text=True)
    assert "Accepted by an organization" in page
    assert "Brigadas-Cauca" in page
    assert "Other-Group" not in page
    assert "m@brigadas.org" not in page


def test_a_request_every_organization_declined_goes_to_the_top_of_the_queue(world):
    from portal import review

    emergency = intake.submit(request_fields(urgency="emergency"), "en").request
    first_offer, second_offer = _offer_both(world)
    before = [r.reference for r in review.queue(review.QueueFilters())]
    assert before[0] == emergency.reference  # emergencies first, as always
    offers.decline(first_offer, world["members"]["first"], "No.")
    offers.decline(second_offer, world["members"]["second"], "No.")
    after = [r.reference for r in review.queue(review.QueueFilters())]
    assert after[0] == world["request"].reference
    assert after[1] == emergency.reference


# --- when the request moves on without an acceptance -------------------------------------


@pytest.mark.parametrize("ending", ["withdrawn", "rejected", "taken back"])
def test_open_offers_close_when_the_request_stops_being_offered(world, ending):
    from portal import review

    first_offer, second_offer = _offer_both(world)
    offers.decline(second_offer, world["members"]["second"], "No one free.")
    request = Request.get_by_id(world["request"].id)
    if ending == "withdrawn":
        intake.withdraw(request)
    elif ending == "rejected":
        review.act(
            request,
            world["reviewer"],
            "reject",
            confirmed=True,
            expected_version=request.version,
            reason="other",
        )
    else:
        review.act(
            request,
            world["reviewer"],
            "take_back",
            confirmed=True,
            expected_version=request.version,
        )

    assert Offer.get_by_id(first_offer.id).state == "closed"
    assert Offer.get_by_id(second_offer.id).state == "declined"  # an answer stays an answer
    assert offers.inbox(world["first"]) == ([], [])
    with pytest.raises(offers.AlreadyTaken):
        offers.accept(Offer.get_by_id(first_offer.id), world["members"]["first"])
    assert Request.get_by_id(request.id).state != "accepted"


def test_offers_taken_back_can_be_made_again_to_those_that_did_not_decline(world):
    from portal import review

    first_offer, second_offer = _offer_both(world)
    offers.decline(second_offer, world["members"]["second"], "No one free.")
    request = Request.get_by_id(world["request"].id)
    assert [a.key for a in review.actions_for(request)] == ["take_back", "reject"]

    review.act(
        request, world["reviewer"], "take_back", confirmed=True, expected_version=request.version
    )

    request = Request.get_by_id(request.id)
    assert request.state == "approved"
    assert "take_back" not in [a.key for a in review.actions_for(request)]
    assert [m.candidate.key for m in review.matches_for(request)] == ["first"]
    again = offers.offer(
        request,
        [world["first"], world["second"]],
        world["reviewer"],
        expected_version=request.version,
        summary=SUMMARY,
    )
    assert [o.organization.key for o in again] == ["first"]
    assert offers.inbox(world["first"])[0] == again


def test_the_inbox_puts_emergencies_first_then_the_offer_waiting_longest(world):
    reviewer, first = world["reviewer"], world["first"]
    made = {}
    for name, urgency in (("planned", "planned"), ("old", "urgent"), ("new", "urgent")):
        request = intake.submit(request_fields(urgency=urgency), "en").request
        workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
        workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
        [made[name]] = offers.offer(
            request, [first], reviewer, expected_version=request.version, summary=SUMMARY
        )
    emergency = intake.submit(request_fields(urgency="emergency"), "en").request
    workflow.transition(emergency, vocabulary.IN_REVIEW, "staff", user=reviewer)
    workflow.transition(emergency, vocabulary.APPROVED, "staff", user=reviewer)
    [made["emergency"]] = offers.offer(
        emergency, [first], reviewer, expected_version=emergency.version, summary=SUMMARY
    )
    [made["world"]] = offers.offer(
        world["request"], [first], reviewer, expected_version=3, summary=SUMMARY
    )

    waiting, taken = offers.inbox(first)

    order = {offer.id: name for name, offer in made.items()}
    assert [order[offer.id] for offer in waiting] == ["emergency", "old", "new", "world", "planned"]
    assert taken == []


def test_the_last_two_organizations_declining_at_the_same_moment_send_it_back(backend_app, world):
    first_offer, second_offer = _offer_both(world)

    def decline(offer_id, key):
        def move(ready):
            the_offer = Offer.get_by_id(offer_id)
            ready()
            offers.decline(the_offer, world["members"][key], f"{key} has no one free.")

        return move

    failures = at_the_same_moment(
        backend_app, decline(first_offer.id, "first"), decline(second_offer.id, "second")
    )

    assert failures == [None, None]
    assert sorted(o.state for o in Offer.select()) == ["declined", "declined"]
    assert Request.get_by_id(world["request"].id).state == "approved"


def test_one_accepting_while_the_other_declines_ends_accepted(backend_app, world):
    first_offer, second_offer = _offer_both(world)

    def answer(offer_id, key, answer_with):
        def move(ready):
            the_offer = Offer.get_by_id(offer_id)
            ready()
            try:
                answer_with(the_offer, world["members"][key])
            except offers.OfferRefused:
                return "refused"
            return "done"

        return move

    first, second = at_the_same_moment(
        backend_app,
        answer(first_offer.id, "first", offers.accept),
        answer(second_offer.id, "second", lambda o, u: offers.decline(o, u, "No.")),
    )
    outcomes = {"first": first, "second": second}

    assert outcomes["first"] == "done"
    second_state = Offer.get_by_id(second_offer.id).state
    # Declined before the acceptance, or closed by it (and then the decline is refused).
    assert (second_state, outcomes["second"]) in {("declined", "done"), ("closed", "refused")}
    assert Offer.get_by_id(first_offer.id).state == "accepted"
    assert Request.get_by_id(world["request"].id).state == "accepted"
