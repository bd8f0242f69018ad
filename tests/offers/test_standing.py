"""What an offer page shows follows from offers.standing(): one rule, tested on its own."""

from types import SimpleNamespace

import pytest

from portal import offers, vocabulary

SITUATIONS = {
    # (offer state, request state): the one true flag, and the next move while working
    ("open", "offered"): ("waiting", None),
    ("declined", "offered"): ("declined", None),
    ("declined", "accepted"): ("declined", None),
    ("closed", "accepted"): ("taken_by_another", None),
    ("closed", "active"): ("taken_by_another", None),
    ("closed", "completed"): ("taken_by_another", None),
    ("closed", "approved"): ("withdrawn", None),
    ("closed", "withdrawn"): ("withdrawn", None),
    ("closed", "rejected"): ("withdrawn", None),
    ("accepted", "accepted"): ("working", "start"),
    ("accepted", "active"): ("working", "complete"),
    ("accepted", "completed"): ("accepted", None),
    ("accepted", "withdrawn"): ("accepted", None),
    # Its work ended, the request was reopened and another organization took it on.
    ("accepted-ended", "accepted"): ("accepted", None),
    ("accepted-ended", "active"): ("accepted", None),
    # Accepted while more organizations are needed: a pledge, nothing to do yet.
    ("accepted", "offered"): ("pledged", None),
    ("accepted", "approved"): ("pledged", None),
}
WORKING_STATES = ("offered", "approved", "accepted", "active")
FLAGS = ("waiting", "declined", "taken_by_another", "withdrawn", "working", "pledged")


@pytest.mark.parametrize(("offer_state", "request_state"), list(SITUATIONS))
def test_an_offer_stands_in_exactly_one_way(offer_state, request_state):
    expected, move = SITUATIONS[(offer_state, request_state)]
    ended = offer_state == "accepted-ended"
    state = "accepted" if ended else offer_state
    # portal.offers keeps `working` true from the acceptance until the work ends.
    working = state == "accepted" and not ended and request_state in WORKING_STATES
    started = "12:00" if request_state == "active" else None
    standing = offers.standing(
        SimpleNamespace(state=state, working=working, started_at=started),
        SimpleNamespace(state=request_state),
    )

    assert [flag for flag in FLAGS if getattr(standing, flag)] == (
        [] if expected == "accepted" else [expected]
    )
    assert standing.accepted is (state == vocabulary.OFFER_ACCEPTED)
    assert standing.next_move == move


def test_every_next_move_is_a_page_of_the_offers_area(app):
    with app.test_request_context():
        from flask import url_for

        for move in offers.NEXT_MOVES.values():
            assert url_for(f"offers.{move}", handle="x").startswith("/org/offers/x/")
