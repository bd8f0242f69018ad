"""Requesters read what to expect from the same targets that mark requests overdue: on the
page with their code, then on the tracking page, in their own language.

A translation may lag behind: the expected sentence is what the catalogue renders
(`translated`), and the duration itself ("24 heures", "24 horas") comes from Babel.
"""

import datetime
import html

import pytest
from flask_babel import force_locale, format_timedelta

from portal import intake, offers, workflow
from portal.models import User

from portal_testing import (
    Requester,
    add_organization,
    create_staff_account,
    translated,
)

FIRST_LOOK = "Network staff aim to read requests like yours within %(time)s of their arrival."
DECISION = "Network staff aim to decide on requests like yours within %(time)s of their arrival."
OFFERED = "The organizations are asked to answer within %(time)s."
REVIEWER = "reviewer@network.test"
SUMMARY = "A community leader threatened; accompaniment to court hearings is asked."

# (language, an emergency's first look, its decision, its offers' lifetime) as Babel says them
# (French puts a no-break space inside: compared here with a plain one).
LANGUAGES = [
    ("en", "24 hours", "3 days", "12 hours"),
    ("fr", "24 heures", "3 jours", "12 heures"),
    ("es", "24 horas", "3 días", "12 horas"),
]


def requester_speaking(app, lang):
    person = Requester(app.test_client())
    person.client.get(f"/?lang={lang}")  # picked once; the cookie keeps it
    return person


def babel_duration(app, lang, words):
    """How Babel writes the duration `words` ("24 heures") in `lang`, spaces and all."""
    amount, unit = words.split()
    span = {"hours": "hours", "heures": "hours", "horas": "hours"}.get(unit, "days")
    with app.test_request_context(), force_locale(lang):
        written = format_timedelta(datetime.timedelta(**{span: int(amount)}), threshold=1.5)
    assert written.replace("\N{NO-BREAK SPACE}", " ") == words
    return written


def expected_sentence(app, page, english, lang, words):
    """The page says `english` as the catalogue renders it in `lang`, with Babel's duration."""
    duration = babel_duration(app, lang, words)
    sentence = translated(app, english, lang, time=duration)
    assert f'<html lang="{lang}"' in page
    text = html.unescape(page)
    assert duration in text
    assert sentence in text, f"{sentence!r} is not on the page"


def move(app, code, *states):
    """Staff move the request on (and offer it, for "offered")."""
    with app.app_context():
        reviewer = User.by_email(REVIEWER) or create_staff_account(REVIEWER, "reviewer")
        request = intake.open_with_code(code)
        for state in states:
            if state == "offered":
                organization = add_organization("brigadas")
                offers.offer(
                    request,
                    [organization],
                    reviewer,
                    expected_version=request.version,
                    summary=SUMMARY,
                )
            else:
                workflow.transition(request, state, "staff", user=reviewer)


def tracking_page(person, code):
    assert person.open(code).status_code == 303
    response = person.client.get("/track")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(("lang", "first_look", "decision", "lifetime"), LANGUAGES)
def test_the_code_page_says_when_an_emergency_will_be_read(
    app, lang, first_look, decision, lifetime
):
    response = requester_speaking(app, lang).submit_and_follow(urgency="emergency")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="tracking-code"' in page
    expected_sentence(app, page, FIRST_LOOK, lang, first_look)


def pages_of_an_emergency(app, person):
    """The tracking page of a new emergency as sent, once in review, and once offered."""
    code = person.submit_and_get_code(urgency="emergency")
    submitted = tracking_page(person, code)
    move(app, code, "in_review")
    in_review = tracking_page(person, code)
    move(app, code, "approved", "offered")
    return submitted, in_review, tracking_page(person, code)


@pytest.mark.parametrize(("lang", "first_look", "decision", "lifetime"), LANGUAGES)
def test_the_tracking_page_follows_the_request_with_the_same_targets(
    app, lang, first_look, decision, lifetime
):
    person = requester_speaking(app, lang)
    submitted, in_review, offered = pages_of_an_emergency(app, person)

    expected_sentence(app, submitted, FIRST_LOOK, lang, first_look)
    expected_sentence(app, in_review, DECISION, lang, decision)
    expected_sentence(app, offered, OFFERED, lang, lifetime)


def test_no_time_is_promised_while_staff_wait_for_the_requester_or_once_approved(app):
    person = Requester(app.test_client())
    code = person.submit_and_get_code(urgency="emergency")

    move(app, code, "in_review", "needs_info")
    waiting = tracking_page(person, code)
    move(app, code, "in_review", "approved")
    approved = tracking_page(person, code)

    assert 'id="expected-time"' not in waiting
    assert 'id="expected-time"' not in approved


@pytest.mark.app_config(
    TARGETS="emergency=6h/2d, urgent=3d/7d, planned=7d/21d",
    OFFER_EXPIRY="emergency=5h, urgent=2d, planned=3d",
)
def test_the_promise_changes_with_the_settings(app):
    person = Requester(app.test_client())
    submitted, in_review, offered = pages_of_an_emergency(app, person)

    expected_sentence(app, submitted, FIRST_LOOK, "en", "6 hours")
    expected_sentence(app, in_review, DECISION, "en", "2 days")
    expected_sentence(app, offered, OFFERED, "en", "5 hours")


@pytest.mark.app_config(
    TARGETS="emergency=36h/72h, urgent=3d/7d, planned=7d/21d",
    OFFER_EXPIRY="emergency=90m, urgent=2d, planned=3d",
)
def test_a_target_is_never_promised_as_longer_than_it_is(app):
    person = Requester(app.test_client())
    code = person.submit_and_get_code(urgency="emergency")
    submitted = html.unescape(tracking_page(person, code))
    move(app, code, "in_review", "approved", "offered")
    offered = html.unescape(tracking_page(person, code))

    assert "within 2 days" not in submitted
    assert "within 36 hours of their arrival" in submitted
    assert "within 2 hours" not in offered
    assert "within 90 minutes" in offered
