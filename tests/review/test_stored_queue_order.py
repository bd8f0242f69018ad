"""The queue's order is stored with each request (queue_rank) and follows every change."""

import pytest
from playhouse.migrations import Runner

from portal import intake, offers, review, vocabulary, workflow
from portal.db import MIGRATIONS_DIR, db, migrate
from portal.models import Offer, Request

from portal_testing import add_organization, create_staff_account, request_fields
from portal_testing.offers import CLOSING, SUMMARY

pytestmark = pytest.mark.app_config(TOTP_REQUIRED_ROLES="")

MIGRATION = "0015_staff_pages_at_scale"


def stored_rank(request):
    return Request.get_by_id(request.id).queue_rank


def rank(state, urgency, rematch=False):
    return workflow.queue_rank(state, urgency, rematch)


def test_the_ranks_keep_the_queue_order(app):
    """To match again, then open by urgency, then closed: lower first."""
    ordered = [
        rank("approved", "emergency", rematch=True),
        rank("approved", "planned", rematch=True),
        rank("submitted", "emergency"),
        rank("offered", "urgent"),
        rank("approved", "planned"),
        rank("completed", "emergency"),
        rank("withdrawn", "planned"),
    ]
    assert ordered == sorted(ordered)
    assert len(set(ordered)) == len(ordered)
    # An approved request nobody declined waits as any open one does.
    assert rank("approved", "urgent") == rank("in_review", "urgent")
    # Closed is closed, whatever happened before.
    assert rank("rejected", "urgent", rematch=True) == rank("rejected", "urgent")


def test_the_stored_rank_follows_the_state_from_arrival_to_the_end(app):
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        organization = add_organization("brigadas")
        member = create_staff_account("m@brigadas.test", "org_member", organization=organization)
        request = intake.submit(request_fields(urgency="emergency"), "en").request
        seen = [stored_rank(request)]
        for state in (vocabulary.IN_REVIEW, vocabulary.APPROVED):
            workflow.transition(request, state, vocabulary.STAFF, user=reviewer)
            seen.append(stored_rank(request))
        (the_offer,) = offers.offer(
            request, [organization], reviewer, expected_version=request.version, summary=SUMMARY
        )
        seen.append(stored_rank(request))
        offers.accept(the_offer, member)
        seen.append(stored_rank(Request.get_by_id(request.id)))
        offers.start(the_offer, member, expected_version=Request.get_by_id(request.id).version)
        offers.complete(
            the_offer,
            member,
            expected_version=Request.get_by_id(request.id).version,
            report=CLOSING,
        )
        seen.append(stored_rank(request))

    open_emergency = rank("submitted", "emergency")
    assert seen == [open_emergency] * 5 + [rank("completed", "emergency")]


def test_a_request_every_organization_declined_is_stored_to_be_matched_first(app):
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        first, second, third = (add_organization(key) for key in ("first", "second", "third"))
        members = [
            create_staff_account(f"m@{org.key}.test", "org_member", organization=org)
            for org in (first, second)
        ]
        request = intake.submit(request_fields(urgency="planned"), "en").request
        for state in (vocabulary.IN_REVIEW, vocabulary.APPROVED):
            workflow.transition(request, state, vocabulary.STAFF, user=reviewer)
        made = offers.offer(
            request, [first, second], reviewer, expected_version=request.version, summary=SUMMARY
        )
        offers.decline(made[0], members[0], "No one free.")
        still_offered = stored_rank(request)
        offers.decline(made[1], members[1], "Nor here.")
        declined = stored_rank(request)
        # Offered again and taken back: nobody declined this time, but they did before.
        request = Request.get_by_id(request.id)
        offers.offer(request, [third], reviewer, expected_version=request.version, summary=SUMMARY)
        request = Request.get_by_id(request.id)
        review.act(request, reviewer, "take_back", expected_version=request.version, confirmed=True)
        taken_back = stored_rank(request)
        request = Request.get_by_id(request.id)
        review.act(
            request,
            reviewer,
            "reject",
            expected_version=request.version,
            reason="no_capacity",
            confirmed=True,
        )
        rejected = stored_rank(request)

    assert still_offered == rank("offered", "planned")
    assert declined == taken_back == rank("approved", "planned", rematch=True)
    assert rejected == rank("rejected", "planned")


def test_an_approved_request_taken_back_before_anyone_answered_waits_as_before(app):
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        organization = add_organization("brigadas")
        request = intake.submit(request_fields(urgency="urgent"), "en").request
        for state in (vocabulary.IN_REVIEW, vocabulary.APPROVED):
            workflow.transition(request, state, vocabulary.STAFF, user=reviewer)
        offers.offer(
            request, [organization], reviewer, expected_version=request.version, summary=SUMMARY
        )
        request = Request.get_by_id(request.id)
        review.act(request, reviewer, "take_back", expected_version=request.version, confirmed=True)

        assert stored_rank(request) == rank("approved", "urgent")


def _ranks_and_engagements():
    ranks = dict(Request.select(Request.reference, Request.queue_rank).tuples())
    working = dict(Offer.select(Offer.handle, Offer.working).tuples())
    return ranks, working


def test_the_migration_fills_in_what_the_portal_keeps_for_requests_already_there(backend_app):
    """Run back to before 0015 and up again: the ranks and the engagements under way that the
    migration works out for existing rows are those the portal's functions kept."""
    app = backend_app
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        orgs = [add_organization(key) for key in ("first", "second")]
        members = [
            create_staff_account(f"m@{org.key}.test", "org_member", organization=org)
            for org in orgs
        ]

        def moved(urgency, *states):
            request = intake.submit(request_fields(urgency=urgency), "en").request
            for state in states:
                workflow.transition(request, state, vocabulary.STAFF, user=reviewer)
            return Request.get_by_id(request.id)

        def offered(urgency):
            request = moved(urgency, vocabulary.IN_REVIEW, vocabulary.APPROVED)
            return offers.offer(
                request, orgs, reviewer, expected_version=request.version, summary=SUMMARY
            )

        moved("emergency")
        moved("urgent", vocabulary.IN_REVIEW)
        moved("planned", vocabulary.IN_REVIEW, vocabulary.APPROVED)
        offered("urgent")
        declined = offered("planned")
        for the_offer, member in zip(declined, members, strict=True):
            offers.decline(the_offer, member, "No one free.")
        working = offered("emergency")
        offers.accept(working[0], members[0])
        ended = offered("urgent")
        offers.accept(ended[1], members[1])
        offers.start(
            ended[1], members[1], expected_version=Request.get_by_id(ended[1].request_id).version
        )
        offers.complete(
            ended[1],
            members[1],
            expected_version=Request.get_by_id(ended[1].request_id).version,
            report=CLOSING,
        )
        rejected = moved("emergency", vocabulary.IN_REVIEW)
        review.act(
            rejected,
            reviewer,
            "reject",
            expected_version=rejected.version,
            reason="outside_mandate",
            confirmed=True,
        )
        kept = _ranks_and_engagements()

        with db.connection_context():
            undone = Runner(db.obj, str(MIGRATIONS_DIR)).down(MIGRATION)
        assert undone[-1] == MIGRATION  # with the later migrations, newest first
        assert migrate() == undone[::-1]

        assert _ranks_and_engagements() == kept
    ranks, engaged = kept
    assert len(set(ranks.values())) >= 4  # the story covers several ranks
    assert sorted(engaged.values()) == [False] * 7 + [True]
