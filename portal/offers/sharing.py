"""Which organizations hold which of a request's keys, as its offers stand (issue 16).

- An offered organization reads the brief (town or area, other languages) to decide: the
  reviewer who offers wraps that key to the organization's key (`offered`).
- What it reads once the request is in its hands (who asked, and as much more as the
  requester allows: portal.consent) is wrapped to its key at the same moment, but held back
  under the server's keyring. The acceptance that makes the take opens it to the
  organizations taking part (`taken`), with no reviewer online; the organizations whose
  offers closed never held it.
- Whenever an offer or a part ends, or the requester narrows what is shared, `settle`
  deletes what an organization no longer may hold: nobody holds a request's keys after
  its work has ended.

The held-back wraps open with the server's keyring and the organization's key together:
a copy of the server's files alone opens none of them (README, "Keys that people hold").
"""

from .. import request_keys
from ..consent import sharing_of
from ..models import Offer, Organization, Request
from ..request_keys import BRIEF, CONTACT, IDENTITY, WORDS, Holding
from ..vocabulary import ACCEPTED, ACTIVE, OFFER_ACCEPTED, OFFER_OPEN

IN_HAND = (ACCEPTED, ACTIVE)


def at_take(request: Request) -> frozenset:
    """What the organizations taking part read once the request is theirs: who asked, how
    to reach them and their words as written if the requester allows each."""
    sharing = sharing_of(request)
    return frozenset(
        {IDENTITY}
        | ({CONTACT} if sharing.contact else set())
        | ({WORDS} if sharing.words else set())
    )


@request_keys.holdings_from
def holdings(request_id: int) -> dict[str, Holding]:
    """What each organization may hold of the request now, by organization uid."""
    request = Request.get_by_id(request_id)
    taken = at_take(request)
    rows = (
        Offer.select(Offer.state, Offer.working, Organization.uid)
        .join(Organization)
        .where(
            (Offer.request == request_id)
            & (
                (Offer.state == OFFER_OPEN)
                | ((Offer.state == OFFER_ACCEPTED) & (Offer.working == True))  # noqa: E712
            )
        )
    )
    found = {}
    for row in rows:
        if row.state == OFFER_ACCEPTED and request.state in IN_HAND:
            found[row.organization.uid] = Holding(direct=frozenset({BRIEF}) | taken)
        else:  # deciding, or pledged while more organizations are needed
            found[row.organization.uid] = Holding(direct=frozenset({BRIEF}), held_back=taken)
    return found


def offered(request: Request, organizations: list[Organization]) -> None:
    """The reviewer offering the request wraps its keys to the organizations offered;
    request_keys.Locked if they do not hold them."""
    held_back = at_take(request)
    for organization in organizations:
        holding = Holding(direct=frozenset({BRIEF}), held_back=held_back)
        request_keys.share(request.id, organization.uid, holding)


def taken(request: Request) -> None:
    """The request is in the hands of the organizations taking part: what was held back
    for them opens to them; the others' wraps go."""
    for organization in holdings(request.id):
        request_keys.release(request.id, organization)
    settle(request)


def settle(request: Request) -> None:
    """Delete what organizations hold of the request beyond what its offers allow now."""
    request_keys.withdraw(request.id, holdings(request.id))
