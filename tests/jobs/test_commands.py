"""`flask --app portal sweep` and `purge`: what the worker's clock does, run once by hand.

Each prints what it did, counted; the clock is moved with time_machine.
"""

import datetime

import time_machine

from portal import intake, offers
from portal.models import Notice, Offer, Request, ServerSession

from portal_testing import (
    Requester,
    add_organization,
    approved_request,
    create_staff_account,
    request_fields,
)

T0 = datetime.datetime(2025, 2, 3, 8, 0)
SUMMARY = "Threats against a community leader; accompaniment to hearings asked."


# Nothing held past its time in these stories: no code, no staff words.
NOTHING_HELD = "codes_erased 0, held_erased 0\n"


def at(hours=0, days=0):
    return time_machine.travel(T0 + datetime.timedelta(hours=hours, days=days), tick=False)


def an_emergency_offered_to_one_organization(app):
    """At T0: an emergency approved and offered to an organization with one member (its
    offer lapses after 12 hours); nobody has been emailed yet."""
    with at(), app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        request = approved_request(reviewer, urgency="emergency")
        organization = add_organization("brigadas")
        create_staff_account("member@brigadas.test", "org_member", organization=organization)
        offers.offer(
            request, [organization], reviewer, expected_version=request.version, summary=SUMMARY
        )
        return request.reference


def test_sweep_with_nothing_to_do_says_so(runner):
    result = runner.invoke(args=["sweep"])

    assert result.exit_code == 0, result.output
    assert (
        result.output
        == "overdue 0, expired 0, warned 0, check_ins_missed 0, sent 0, " + NOTHING_HELD
    )


def test_sweep_lets_an_unanswered_offer_lapse_and_sends_what_is_due(app, runner):
    reference = an_emergency_offered_to_one_organization(app)

    with at(hours=9):  # a quarter of the 12 hours left
        warned = runner.invoke(args=["sweep"])
    with at(hours=12):
        lapsed = runner.invoke(args=["sweep"])
        again = runner.invoke(args=["sweep"])

    # The reviewer's and the member's notices were due: one email each.
    assert (
        warned.output
        == "overdue 0, expired 0, warned 1, check_ins_missed 0, sent 2, " + NOTHING_HELD
    )
    assert (
        lapsed.output
        == "overdue 0, expired 1, warned 0, check_ins_missed 0, sent 1, " + NOTHING_HELD
    )
    assert (
        again.output
        == "overdue 0, expired 0, warned 0, check_ins_missed 0, sent 0, " + NOTHING_HELD
    )
    with app.app_context():
        assert Request.get(Request.reference == reference).state == "approved"
        assert [offer.state for offer in Offer.select()] == ["expired"]
        assert Notice.select().where(Notice.sent_at.is_null()).count() == 0


def test_sweep_reports_an_overdue_request_and_lets_offers_lapse_in_the_same_run(app, runner):
    an_emergency_offered_to_one_organization(app)
    with at(), app.app_context():
        intake.submit(request_fields(urgency="emergency"), "en")  # nobody looks at it

    with at(hours=25):
        result = runner.invoke(args=["sweep"])

    assert result.exit_code == 0, result.exception
    assert (
        result.output
        == "overdue 1, expired 1, warned 0, check_ins_missed 0, sent 2, " + NOTHING_HELD
    )


def test_purge_deletes_closed_requests_past_retention_and_ends_idle_sessions(app, runner):
    with at():
        person = Requester(app.test_client())
        code = person.submit_and_get_code()
        assert person.open(code).status_code == 303  # a tracking session, then left idle
        with app.app_context():
            withdrawn = intake.submit(request_fields(), "en").request
            intake.withdraw(withdrawn)
    with at(days=100), app.app_context():
        recently_closed = intake.submit(request_fields(), "en").request
        intake.withdraw(recently_closed)

    with at(days=181):  # RETENTION_DAYS is 180
        first = runner.invoke(args=["purge"])
        second = runner.invoke(args=["purge"])

    assert first.exit_code == 0, first.output
    assert first.output == "deleted 1 closed requests, ended 1 idle sessions\n"
    assert second.output == "deleted 0 closed requests, ended 0 idle sessions\n"
    with app.app_context():
        remaining = {request.reference for request in Request.select()}
        assert remaining == {intake.open_with_code(code).reference, recently_closed.reference}
        assert ServerSession.select().count() == 0
