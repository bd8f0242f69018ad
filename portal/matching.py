"""Ranking organizations for a request, and saying why: pure functions, no database.

The service asked for is required. Then, in this order: an organization that
works in the request's country ranks above one that works in its region,
which ranks above one that works elsewhere; among equals, a shared language
ranks higher, then one that also offers what the requester's risk picture
calls for (RISK_SERVICES: trial observation against legal harassment), then
spare capacity (more spare first), then the name.
Organizations that already declined the request, and archived ones, are left out.
"""

import dataclasses
import functools
import heapq
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

SAME_COUNTRY, SAME_REGION, ELSEWHERE = 0, 1, 2

# Where it works, against the request's place, in a few words (the page adds which
# places when it works elsewhere).
WHERE = {
    SAME_COUNTRY: _l("Same country"),
    SAME_REGION: _l("Same region"),
    ELSEWHERE: _l("Elsewhere"),
}


# What a threat in the requester's risk picture calls for besides the service asked for, and
# the reason the matches show: threat -> (service, reason).
RISK_SERVICES = {
    "legal_harassment": (
        "monitoring",
        _l("Legal harassment reported: also observes trials and hearings"),
    ),
    "stigmatisation": (
        "solidarity",
        _l("Stigmatisation reported: also makes solidarity visits"),
    ),
}


@dataclass(frozen=True)
class Need:
    """What matching reads of a request."""

    service: str
    country: str
    region: str
    languages: frozenset[str]
    threats: frozenset[str] = frozenset()  # from the risk picture

    @functools.cached_property
    def also(self) -> dict[str, object]:
        """The services the risk picture calls for besides the one asked, with their reasons."""
        return {
            service: reason
            for threat, (service, reason) in RISK_SERVICES.items()
            if threat in self.threats and service != self.service
        }


@dataclass(frozen=True)
class Candidate:
    """What matching reads of an organization."""

    id: int
    key: str
    name: str
    services: frozenset[str]
    countries: frozenset[str]
    regions: frozenset[str]
    languages: frozenset[str]
    capacity: int
    active: int = 0  # engagements it holds now
    archived: bool = False  # archived organizations are never proposed

    @property
    def spare(self) -> int:
        return max(self.capacity - self.active, 0)

    @functools.cached_property
    def sort_name(self) -> str:
        """The name as ranking compares it, its case folded."""
        return self.name.casefold()


@dataclass
class Match:
    candidate: Candidate
    where: int
    shared_languages: tuple[str, ...]
    # Why the risk picture favours it (RISK_SERVICES' reasons), if it does.
    risk_reasons: tuple = ()

    @property
    def where_words(self):
        return WHERE[self.where]

    @property
    def capacity_words(self):
        """Its capacity left, in words ("2 of 5 free", "Full: 6 taken, room for 5")."""
        c = self.candidate
        if c.spare:
            return _l("%(spare)d of %(capacity)d free", spare=c.spare, capacity=c.capacity)
        return _l(
            "Full: %(active)d taken, room for %(capacity)d", active=c.active, capacity=c.capacity
        )

    def sort_key(self):
        c = self.candidate
        return (
            self.where,
            not self.shared_languages,
            not self.risk_reasons,
            c.spare == 0,
            -c.spare,
            c.sort_name,
        )


def rank(
    need: Need,
    candidates,
    declined=frozenset(),
    limit: int | None = None,
    engaged: dict[int, int] | None = None,
) -> list[Match]:
    """The candidates that offer the service and have not declined, best first, with reasons;
    the first `limit` of them when a page shows only those.

    `engaged` gives each organization's engagements under way by id, when the candidates
    (kept from one page to the next) do not carry them.

    The order is Match.sort_key's, then the order the candidates were given in, written as
    one integer per candidate: thousands of tuples per request would wake Python's garbage
    collector, which then walks every object the process holds (tens of milliseconds), and
    only the matches returned are built.
    """
    candidates = list(candidates)
    names = {name: order for order, name in enumerate(sorted({c.sort_name for c in candidates}))}
    positions = len(candidates)
    keys = []
    # _risk_reasons' rule as one set test: this loop runs for every organization.
    also = need.also.keys() if need.threats else None
    for position, candidate in enumerate(candidates):
        if need.service not in candidate.services or candidate.id in declined:
            continue
        if candidate.archived:
            continue
        where = _where(need, candidate)
        no_language = need.languages.isdisjoint(candidate.languages)
        no_risk_fit = not also or also.isdisjoint(candidate.services)
        active = candidate.active if engaged is None else engaged.get(candidate.id, 0)
        spare = min(max(candidate.capacity - active, 0), _MOST_SPARE)
        key = (((where * 2 + no_language) * 2 + no_risk_fit) * 2 + (spare == 0)) * (_MOST_SPARE + 1)
        key = (key + _MOST_SPARE - spare) * len(names) + names[candidate.sort_name]
        keys.append(key * positions + position)
    best = sorted(keys) if limit is None else heapq.nsmallest(limit, keys)
    matches = []
    for key in best:
        candidate = candidates[key % positions]
        if engaged is not None:
            candidate = dataclasses.replace(candidate, active=engaged.get(candidate.id, 0))
        shared = need.languages & candidate.languages
        shared = tuple(sorted(shared)) if shared else ()  # (): no new object to collect
        reasons = _risk_reasons(need, candidate)
        matches.append(Match(candidate, _where(need, candidate), shared, reasons))
    return matches


def _risk_reasons(need: Need, candidate: Candidate) -> tuple:
    if not need.threats:  # most requests: no set to build
        return ()
    return tuple(reason for service, reason in need.also.items() if service in candidate.services)


# Spare capacity beyond this ranks as this (organizations hold at most 10,000).
_MOST_SPARE = 2**31


def _where(need: Need, candidate: Candidate) -> int:
    if need.country in candidate.countries:
        return SAME_COUNTRY
    if need.region in candidate.regions:
        return SAME_REGION
    return ELSEWHERE


def need_of(request) -> Need:
    """What matching reads of a request, its risk picture included."""
    return Need(
        service=request.service,
        country=request.country,
        region=request.region,
        languages=frozenset(request.language_codes),
        threats=frozenset(_threats(request)),
    )


def _threats(request) -> tuple:
    """The threats the requester reported, when whoever matches holds the key they are
    sealed to (the network's); none otherwise, so matching goes on without that tiebreak."""
    from . import request_keys  # which builds on the models

    try:
        return request.risk_picture.threats
    except request_keys.Locked:
        return ()


def candidate_of(organization, active: int = 0) -> Candidate:
    """What matching reads of an organization: a model, or a row of its columns (an
    organization without `archived_at` among them is in service)."""
    return Candidate(
        id=organization.id,
        key=organization.key,
        name=organization.name,
        services=_codes(organization.services),
        countries=_codes(organization.countries),
        regions=_codes(organization.regions),
        languages=_codes(organization.languages),
        capacity=organization.capacity,
        active=active,
        archived=getattr(organization, "archived_at", None) is not None,
    )


def _codes(text: str) -> frozenset[str]:
    """The codes of a comma-separated column."""
    return frozenset(filter(None, (text or "").split(",")))
