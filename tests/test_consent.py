"""What the requester allows to be shared (portal/consent.py): said on the form, followed
exactly by what the accepting organization sees, shown to reviewers who cannot change it,
and narrowed (never widened) by the requester on the tracking page."""

import pytest

from portal.audit import trail
from portal.db import db
from portal.models import Request

from portal_testing import PASSWORD_ALONE, Requester, csrf_token
from portal_testing.offers import (
    ASKED_FOR,
    CONTACT,
    NAME,
    SITUATION,
    SUMMARY,
    Case,
    offer_url,
    shows_no_secret,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def stored(app) -> Request:
    with app.app_context(), db.connection_context():
        return Request.get()


def accepted_page(case, key="brigadas"):
    return case.members[key].text(offer_url(case.handle[key]))


def test_the_form_starts_with_sharing_as_before_and_counting_off(app, client):
    assert Requester(client).submit().status_code == 303

    request = stored(app)
    assert (request.share_contact, request.share_words, request.share_figures) == (
        True,
        "written",
        False,
    )
    assert request.on_behalf is None


@pytest.mark.parametrize("contact", ["yes", "no"])
@pytest.mark.parametrize("words", ["written", "summary"])
def test_the_accepting_organization_sees_exactly_what_was_allowed(app, contact, words):
    case = Case(app, share_contact=contact, share_words=words)
    case.accept("brigadas")

    page = accepted_page(case)

    assert NAME in page and SUMMARY in page
    assert (CONTACT in page) == (contact == "yes")
    assert (SITUATION in page) == (words == "written")
    assert (ASKED_FOR in page) == (words == "written")
    if contact == "no":
        assert "asked to be reached through network staff only" in page
    if words == "summary":
        assert "only the network's summary of their words be shared" in page
    # The organization that did not accept sees none of it, whatever was allowed.
    assert shows_no_secret(accepted_page(case, "tejido")) == []


@pytest.mark.parametrize(
    "field, value",
    [("share_contact", "maybe"), ("share_words", "everything"), ("on_behalf", "boss")],
)
def test_a_wrong_choice_gets_a_clear_error_and_nothing_is_stored(app, client, field, value):
    response = Requester(client).submit(**{field: value})

    assert response.status_code == 200
    assert "Please choose one of the options." in response.get_data(as_text=True)
    with app.app_context(), db.connection_context():
        assert Request.select().count() == 0


def test_a_request_for_someone_else_is_marked_for_reviewers(app, client, reviewer):
    assert Requester(client).submit(on_behalf="unaware").status_code == 303

    page = reviewer.text(f"/review/{stored(app).reference}")

    assert "Sent for someone else." in page
    assert "They do not know yet" in page


def test_reviewers_see_the_choices_and_have_nothing_to_change_them_with(app, reviewer):
    case = Case(app, share_contact="no", share_words="summary", share_figures="y")

    page = reviewer.text(f"/review/{case.reference}")

    assert "Not how to reach them" in page
    assert "Only your summary of their words" in page
    assert "May be counted in the network's figures" in page
    # No route lets staff widen them: the tracking page's form is the requester's.
    refused = reviewer.post("/track/sharing", contact="y", words="y", figures="y")
    assert refused.status_code == 303
    request = case.request()
    assert (request.share_contact, request.share_words) == (False, "summary")


def test_the_requester_takes_back_contact_details_after_acceptance(app):
    case = Case(app)
    case.accept("brigadas")
    assert CONTACT in accepted_page(case)
    tracking = case.tracking_page()
    assert "What the organization that takes on your request may see" in tracking

    answer = case.requester.client.post(
        "/track/sharing",
        data={
            "csrf_token": csrf_token(case.requester.client, "/track"),
            "words": "y",
            "figures": "y",
        },
    )

    assert answer.status_code == 303
    page = accepted_page(case)
    assert CONTACT not in page and SITUATION in page
    request = case.request()
    assert (request.share_contact, request.share_words, request.share_figures) == (
        False,
        "written",
        False,  # it was never allowed: ticking it here does not allow it
    )
    with app.app_context():
        assert [e.action for e in trail(reference=case.reference)].count(
            "request.sharing_narrowed"
        ) == 1


def test_what_was_taken_back_cannot_be_given_again_from_the_tracking_page(app):
    case = Case(app, share_words="summary")
    case.tracking_page()

    for _ in range(2):
        case.requester.client.post(
            "/track/sharing",
            data={
                "csrf_token": csrf_token(case.requester.client, "/track"),
                "contact": "y",
                "words": "y",
            },
        )

    request = case.request()
    assert (request.share_contact, request.share_words) == (True, "summary")


def test_the_sharing_form_needs_its_token_and_a_tracking_session(app, client):
    case = Case(app)
    case.tracking_page()

    forged = case.requester.client.post("/track/sharing", data={"words": "y"})
    assert forged.status_code == 400
    assert case.request().share_contact is True

    stranger = client.post("/track/sharing", data={"csrf_token": "x"})
    assert stranger.status_code in (303, 400)
    assert case.request().share_contact is True
