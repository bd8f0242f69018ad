"""Ranking organizations for a request, and saying why: pure functions, no database.

The service asked for is required. Then, in this order: an organization that
works in the request's country ranks above one that works in its region,
which ranks above one that works elsewhere; among equals, a shared language
ranks higher, then spare capacity (more spare first), then the name.
Organizations that already declined the request, and archived ones, are left out.
"""

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


@dataclass(frozen=True)
class Need:
    """What matching reads of a request."""

    service: str
    country: str
    region: str
    languages: frozenset[str]


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


@dataclass
class Match:
    candidate: Candidate
    where: int
    shared_languages: list[str]

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
        return (self.where, not self.shared_languages, c.spare == 0, -c.spare, c.name.casefold())


def rank(need: Need, candidates, declined=frozenset()) -> list[Match]:
    """The candidates that offer the service and have not declined, best first, with reasons."""
    matches = []
    for candidate in candidates:
        if need.service not in candidate.services or candidate.id in declined:
            continue
        if candidate.archived:
            continue
        if need.country in candidate.countries:
            where = SAME_COUNTRY
        elif need.region in candidate.regions:
            where = SAME_REGION
        else:
            where = ELSEWHERE
        shared = sorted(need.languages & candidate.languages)
        matches.append(Match(candidate, where, shared))
    matches.sort(key=Match.sort_key)
    return matches


def need_of(request) -> Need:
    return Need(
        service=request.service,
        country=request.country,
        region=request.region,
        languages=frozenset(request.language_codes),
    )


def candidate_of(organization, active: int = 0) -> Candidate:
    return Candidate(
        id=organization.id,
        key=organization.key,
        name=organization.name,
        services=frozenset(organization.service_keys),
        countries=frozenset(organization.country_codes),
        regions=frozenset(organization.region_keys),
        languages=frozenset(organization.language_codes),
        capacity=organization.capacity,
        active=active,
        archived=organization.archived_at is not None,
    )
