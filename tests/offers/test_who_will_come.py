"""Knowing who will come: the accepting organization says how and when it will make
contact, and a verification phrase lets the requester tell it from a stranger."""

import re

import pytest

from portal import phrases
from portal.db import db
from portal.models import Offer

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, database_bytes, page_text
from portal_testing.keys import as_escrow
from portal_testing.offers import CONTACT_PLAN, offer_url

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

PLAN = CONTACT_PLAN["accept-contact_plan"]
NO_PLAN = "Please say how and roughly when you will make contact."


def phrase_of(case, key):
    with case.app.app_context(), db.connection_context(), as_escrow():
        return Offer.get(Offer.handle == case.handle[key]).phrase


@pytest.fixture
def accepted(case):
    case.accept("brigadas")
    return case


def test_accepting_needs_to_say_how_and_when_contact_will_be_made(case):
    before = case.snapshot()

    response = case.members["brigadas"].post(offer_url(case.handle["brigadas"], "accept"))

    assert response.status_code == 422
    assert NO_PLAN in page_text(response)
    assert case.snapshot() == before
    assert case.offer("brigadas").state == "open"


def test_the_requester_sees_who_will_come_how_and_the_phrase(accepted):
    phrase = phrase_of(accepted, "brigadas")
    accepted.requester.open(accepted.code)
    page = accepted.requester.tracking_page()

    card = page.split('class="status-card"')[1].split("</section>")[0]
    assert "Who will contact you" in card
    assert "Brigadas del Macizo" in card
    assert PLAN in card
    assert phrase in card
    assert "Trust no one who cannot say it" in card


def test_the_accepting_organization_sees_the_phrase_to_say(accepted):
    phrase = phrase_of(accepted, "brigadas")
    page = page_text(accepted.members["brigadas"].get(offer_url(accepted.handle["brigadas"])))

    assert phrase in page
    assert "Say this phrase when you first make contact" in page
    assert PLAN in page


def test_neither_the_other_organization_nor_network_staff_see_the_phrase(accepted):
    phrase = phrase_of(accepted, "brigadas")
    other = accepted.members["tejido"].get(offer_url(accepted.handle["tejido"]))
    staff = accepted.reviewer.get(f"/review/{accepted.reference}")

    assert other.status_code == staff.status_code == 200
    assert phrase not in page_text(other)
    assert phrase not in page_text(staff)


def test_the_phrase_and_the_plan_are_stored_sealed(app, tmp_path, accepted):
    phrase = phrase_of(accepted, "brigadas")

    stored = database_bytes(tmp_path)
    assert phrase.encode() not in stored
    assert PLAN.encode() not in stored


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_a_phrase_is_three_words_of_the_requesters_language(language):
    drawn = phrases.draw(language).split(" · ")

    assert len(drawn) == 3
    assert set(drawn) <= set(phrases.words(language))


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_each_word_list_is_long_and_plain(language):
    words = phrases.words(language)

    assert len(words) >= 100  # a million phrases and more
    assert all(re.fullmatch(r"[^\W\d_]+", word) for word in words)


def test_a_language_without_a_list_gets_english_words():
    assert phrases.words("ar") == phrases.words("en")
