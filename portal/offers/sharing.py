"""Which organizations hold which of a request's keys, as its offers stand (issue 16).

- An offered organization reads the brief (town or area, other languages) to decide: the
  reviewer who offers wraps that key to the organization's key (`offered`).
- What it reads once the request is in its hands (who asked, and as much more as the
  requester allows: portal.consent) is wrapped to its key at the same moment, but held back
  under the server's keyring. The acceptance that makes the take opens it to the
  organizations taking part (`taken`), with no reviewer online; the organizations whose
  offers closed never held it.
- Each organization offered the request has two keys of its own for it: WORK (the summary
  it was offered, its decline reason, updates, check-ins, closing report), which it keeps,
  and TALK (its contact plan, verification phrase and messages with the requester), which
  it holds as it holds who asked.
- Whenever an offer or a part ends, or the requester narrows what is shared, `settle`
  deletes what an organization no longer may hold: nobody holds who asked, or the thread
  with them, after their work has ended.

The held-back wraps open with the server's keyring and the organization's key together:
a copy of the server's files alone opens none of them (README, "Keys that people hold").
"""

from .. import request_keys
from ..consent import sharing_of
from ..models import Offer, Organization, Request
from ..request_keys import BRIEF, CONTACT, IDENTITY, TALK, WORDS, WORK, Holding
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


def own(organization_id: int) -> tuple[str, str]:
    """The organization's own keys for a request: WORK, TALK."""
    return f"{WORK}-{organization_id}", f"{TALK}-{organization_id}"


@request_keys.holdings_from
def holdings(request_id: int) -> dict[str, Holding]:
    """What each organization may hold of the request now, by organization uid."""
    request = Request.get_by_id(request_id)
    taken = at_take(request)
    rows = (
        Offer.select(Offer.state, Offer.working, Organization.id, Organization.uid)
        .join(Organization)
        .where(Offer.request == request_id)
    )
    found = {}
    for row in rows:
        work, talk = own(row.organization.id)
        running = row.state == OFFER_OPEN or (row.state == OFFER_ACCEPTED and row.working)
        kept = found.get(row.organization.uid, Holding())  # an earlier round's offer
        if running and row.state == OFFER_ACCEPTED and request.state in IN_HAND:
            holding = Holding(direct=frozenset({BRIEF, work, talk}) | taken)
        elif running:  # deciding, or pledged while more organizations are needed
            holding = Holding(direct=frozenset({BRIEF, work}), held_back=taken | {talk})
        else:  # its offer ended: it keeps what it wrote and was told, and nothing else
            holding = Holding(direct=frozenset({work}))
        found[row.organization.uid] = Holding(
            direct=kept.direct | holding.direct, held_back=kept.held_back | holding.held_back
        )
    return found


def offered(request: Request, organizations: list[Organization]) -> None:
    """The reviewer offering the request wraps its keys to the organizations offered;
    request_keys.Locked if they do not hold them."""
    held_back = at_take(request)
    for organization in organizations:
        work, talk = own(organization.id)
        holding = Holding(direct=frozenset({BRIEF, work}), held_back=held_back | {talk})
        request_keys.share(request.id, organization.uid, holding)


def taken(request: Request) -> None:
    """The request is in the hands of the organizations taking part: what was held back
    for them opens to them; the others' wraps go."""
    found = holdings(request.id)  # releasing changes no offer: the same holdings settle
    for organization, holding in found.items():
        if IDENTITY in holding.direct:
            request_keys.release(request.id, organization)
    request_keys.withdraw(request.id, found)


def settle(request: Request) -> None:
    """Delete what organizations hold of the request beyond what its offers allow now."""
    request_keys.withdraw(request.id, holdings(request.id))
