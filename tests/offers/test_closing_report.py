"""Completing the work asks for a closing report (what was done, how it went, whether
follow-up is needed): required, checked with clear errors, stored sealed, read by
reviewers; the requester sees only that the work ended."""

import pytest

from portal import offers
from portal.db import db
from portal.models import ClosingReport

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, page_text
from portal_testing.offers import CLOSING_REPORT, Case, offer_url

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

OUTCOME = "Zyxoutcome: the hearing was held; no incident since."


@pytest.fixture
def under_way(app):
    case = Case(app)
    case.accept("brigadas")
    case.move("brigadas", "start")
    return case


def complete(case, **report):
    return case.members["brigadas"].post(
        offer_url(case.handle["brigadas"], "complete"),
        {"version": str(case.request().version), "confirm": "y", **report},
    )


def reports(app):
    with app.app_context(), db.connection_context():
        return list(ClosingReport.select())


@pytest.mark.parametrize(
    "report, field, error",
    [
        ({"follow_up": "no"}, "outcome", "Please say how it went."),
        ({"outcome": "   ", "follow_up": "no"}, "outcome", "Please say how it went."),
        ({"outcome": OUTCOME}, "follow_up", "Please say whether follow-up is needed."),
        ({"outcome": OUTCOME, "follow_up": "perhaps"}, "follow_up", "Please choose one of"),
        ({"outcome": OUTCOME, "follow_up": "no", "days": "-1"}, "days", "from 0 to 3650"),
        ({"outcome": OUTCOME, "follow_up": "no", "visits": "lots"}, "visits", "whole number"),
        ({"outcome": "x" * 2001, "follow_up": "no"}, "outcome", "at most 2,000 characters"),
    ],
)
def test_completing_needs_a_closing_report(app, under_way, report, field, error):
    before = under_way.snapshot()

    response = complete(under_way, **report)

    assert response.status_code == 422
    assert error in page_text(response)
    assert f'id="{field}-error"' in response.get_data(as_text=True) or field == "follow_up"
    assert under_way.snapshot() == before
    assert under_way.request().state == "active"
    assert reports(app) == []


def test_the_report_is_stored_sealed_and_read_by_reviewers(app, under_way):
    response = complete(under_way, days="21", visits="4", outcome=OUTCOME, follow_up="yes")

    assert response.status_code == 303
    assert under_way.request().state == "completed"
    (report,) = reports(app)
    assert (report.days, report.visits, report.follow_up) == (21, 4, True)
    assert b"Zyxoutcome" not in bytes(report.outcome_sealed)
    page = under_way.reviewer.text(f"/review/{under_way.reference}")
    closing = page[page.index("Closing reports") :]
    for shown in ("Brigadas del Macizo", "21", "4", OUTCOME, "Needed"):
        assert shown in closing, shown


def test_the_requester_sees_only_that_the_work_ended(app, under_way):
    complete(under_way, outcome=OUTCOME, follow_up="no")

    tracking = under_way.tracking_page()

    assert "Zyxoutcome" not in tracking
    assert "Completed" in tracking or "completed" in tracking


def test_a_closing_report_without_its_outcome_is_refused_by_the_domain_too(app, under_way):
    with app.app_context():
        the_offer = under_way.offer("brigadas")
        version = under_way.request().version
        with pytest.raises(offers.OfferRefused):
            offers.complete(
                the_offer,
                the_offer.organization,  # never reached: refused first
                expected_version=version,
                report=offers.Closing(outcome="  ", follow_up=False),
            )
    assert under_way.request().state == "active"


def test_the_form_sent_with_every_answer_completes(app, under_way):
    assert complete(under_way, **CLOSING_REPORT).status_code == 303
    assert len(reports(app)) == 1
