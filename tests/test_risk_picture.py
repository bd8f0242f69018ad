"""The optional risk picture on the request form (portal/risk.py): every answer optional,
checked with a clear error, stored sealed, and shown to reviewers at the top of the
request page, inertly."""

import re

import pytest

from portal.audit import trail
from portal.db import db
from portal.models import Request
from portal.risk import RiskPicture

from portal_testing import HOSTILE, PASSWORD_ALONE, Requester
from portal_testing.keys import as_escrow

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

INCIDENT = "Zyxincident: two men on a motorbike photographed the house on 3 May."
SOUGHT = "Zyxsought: the regional ombudsman, no answer yet."
ANSWERS = {
    "threats": ["surveillance", "legal_harassment"],
    "threat_sources": ["company", "state"],
    "incidents": INCIDENT,
    "at_risk": ["family"],
    "support_sought": SOUGHT,
    "inform_authorities": "yes",
}


def stored(app) -> Request:
    with app.app_context(), db.connection_context():
        return Request.get()


def sent(client, **answers):
    response = Requester(client).submit(**answers)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def test_a_request_without_the_risk_questions_is_taken_as_before(app, client):
    sent(client)

    request = stored(app)
    assert request.risk_sealed is None
    with app.app_context(), as_escrow():
        assert request.risk_picture.is_empty
        assert request.risk_picture.inform_authorities is False


def test_the_answers_are_stored_sealed_as_one_picture(app, client):
    sent(client, **ANSWERS)

    request = stored(app)
    raw = bytes(request.risk_sealed)
    for word in ("Zyxincident", "Zyxsought", "surveillance", "company", "family"):
        assert word.encode() not in raw
    with app.app_context(), as_escrow():
        assert request.risk_picture == RiskPicture(
            threats=["surveillance", "legal_harassment"],
            sources=["state", "company"],  # in the vocabulary's order
            incidents=INCIDENT,
            at_risk=["family"],
            support_sought=SOUGHT,
            inform_authorities=True,
        )


def test_authorities_are_not_to_be_informed_unless_the_requester_says_yes(app, client):
    page = client.get("/request").get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="inform_authorities"[^>]*>', page)
    assert [("checked" in radio, 'value="no"' in radio) for radio in radios] == [
        (True, True),
        (False, False),
    ]

    sent(client, threats=["threats"])

    with app.app_context(), as_escrow():
        picture = stored(app).risk_picture
    assert picture.threats == ["threats"] and picture.inform_authorities is False


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("threats", "bribery", "Please choose one of the options."),
        ("threat_sources", "aliens", "Please choose one of the options."),
        ("at_risk", "neighbours", "Please choose one of the options."),
        ("inform_authorities", "maybe", "Please choose one of the options."),
        ("incidents", "x" * 2001, "Please use at most 2,000 characters."),
        ("support_sought", "bad\x07bell", "invisible control characters"),
    ],
)
def test_a_wrong_answer_gets_a_clear_error_and_keeps_what_was_typed(
    app, client, field, value, error
):
    response = Requester(client).submit(**{"incidents": INCIDENT, field: value})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert error in page
    assert "Zyxincident" in page or field == "incidents"
    # The section is open, so that the error is seen.
    assert '<details class="form-section optional-section" id="section-risk" open>' in page
    with app.app_context(), db.connection_context():
        assert Request.select().count() == 0


def test_the_form_says_why_it_asks_and_that_every_answer_is_optional(client):
    page = client.get("/request").get_data(as_text=True)

    assert "The risks you face (optional)" in page
    assert "Answer only what you want to" in page
    # Folded until the person opens it, when nothing was answered.
    assert '<details class="form-section optional-section" id="section-risk">' in page


def test_reviewers_read_the_picture_at_the_top_of_the_request(app, client, reviewer):
    sent(client, **ANSWERS)
    reference = stored(app).reference

    page = reviewer.text(f"/review/{reference}")

    risk = page.index("Risk, as the requester describes it")
    assert risk < page.index("The request</h2>")
    for shown in (
        "Surveillance: being followed, watched or listened to",
        "Legal harassment: charges, arrest, lawsuits",
        "A company or its security",
        INCIDENT,
        SOUGHT,
        "Allowed, if it could help",
    ):
        assert shown in page[risk:], shown


def test_reviewers_see_plainly_when_no_risk_question_was_answered(app, client, reviewer):
    sent(client)

    page = reviewer.text(f"/review/{stored(app).reference}")

    assert "The requester answered none of the optional questions about risk." in page


def test_hostile_answers_are_shown_as_text(app, client, reviewer):
    sent(client, incidents=" ".join(HOSTILE.values())[:1900], support_sought=HOSTILE["script"])

    page = reviewer.page(f"/review/{stored(app).reference}")  # the HTML as sent

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def correction(version, **answers):
    fields = {"risk-version": str(version)}
    fields.update({f"risk-{name}": value for name, value in answers.items()})
    return fields


def test_a_reviewer_completes_the_picture_and_it_is_recorded(app, client, reviewer):
    sent(client, threats=["threats"])
    request = stored(app)

    answer = reviewer.post(
        f"/review/{request.reference}/risk",
        correction(
            request.version,
            threats=["threats", "physical_attack"],
            threat_sources="armed_group",
            incidents="Zyxcorrected: shots fired near the school on 9 May.",
            inform_authorities="no",
        ),
    )

    assert answer.status_code == 303
    with app.app_context(), as_escrow():
        picture = stored(app).risk_picture
        events = [e.action for e in trail(reference=request.reference)]
    assert picture.threats == ["threats", "physical_attack"]
    assert picture.sources == ["armed_group"]
    assert picture.incidents.startswith("Zyxcorrected")
    assert b"Zyxcorrected" not in bytes(stored(app).risk_sealed)
    assert events.count("request.risk_corrected") == 1
    page = reviewer.text(f"/review/{request.reference}")
    assert "Added to or corrected by reviewer" in page
    assert "Physical attack" in page
    # The request's timeline tells it too, after the review started.
    timeline = page[page.index('id="timeline-heading"') :]
    assert "added to or corrected the risk answers of" in timeline


def test_a_correction_over_a_changed_request_is_refused(app, client, reviewer):
    sent(client, **ANSWERS)
    request = stored(app)

    answer = reviewer.post(
        f"/review/{request.reference}/risk", correction(request.version - 1, threats=["other"])
    )

    assert answer.status_code == 409
    with app.app_context(), as_escrow():
        assert stored(app).risk_picture.threats == ["surveillance", "legal_harassment"]
    # The page shown again summarises what is stored, not what was refused.
    page = answer.get_data(as_text=True)
    summary = page[
        page.index("Risk, as the requester describes it") : page.index("Complete or correct")
    ]
    assert "Legal harassment" in summary and "Something else" not in summary


def test_a_wrong_correction_is_explained_and_changes_nothing(app, client, reviewer):
    sent(client, **ANSWERS)
    request = stored(app)

    answer = reviewer.post(
        f"/review/{request.reference}/risk", correction(request.version, threats=["bribery"])
    )

    assert answer.status_code == 422
    assert "Please choose one of the options." in answer.get_data(as_text=True)
    assert stored(app).version == request.version


def test_only_reviewers_may_correct_the_picture(app, client, org_member):
    sent(client, **ANSWERS)
    request = stored(app)

    answer = org_member.post(
        f"/review/{request.reference}/risk", correction(request.version, threats=["other"])
    )

    assert answer.status_code in (403, 404)
    with app.app_context(), as_escrow():
        assert stored(app).risk_picture.threats == ["surveillance", "legal_harassment"]
