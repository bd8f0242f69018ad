"""How long ranking one request against 5,000 organizations takes.

Run with `make bench`. The target is well under 50 ms per request.
"""

import random
import statistics
import time

from portal.matching import Candidate, Need, rank
from portal.regions import COUNTRY_REGION, REGIONS

ORGANIZATIONS = 5_000
REQUESTS = 200
SERVICES = ("accompaniment", "solidarity", "monitoring")
LANGUAGES = ("ar", "en", "es", "fr", "pt", "ru", "sw", "fa", "tr", "zh")


def organizations(rng: random.Random) -> list[Candidate]:
    countries = list(COUNTRY_REGION)
    return [
        Candidate(
            id=i,
            key=f"organization-{i}",
            name=f"Organization {i}",
            services=frozenset(rng.sample(SERVICES, rng.randint(1, 3))),
            countries=frozenset(rng.sample(countries, rng.randint(1, 12))),
            regions=frozenset(rng.sample(list(REGIONS), rng.randint(0, 2))),
            languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 3))),
            capacity=rng.randint(0, 12),
            active=rng.randint(0, 6),
        )
        for i in range(ORGANIZATIONS)
    ]


def needs(rng: random.Random) -> list[Need]:
    countries = list(COUNTRY_REGION)
    result = []
    for _ in range(REQUESTS):
        country = rng.choice(countries)
        result.append(
            Need(
                service=rng.choice(SERVICES),
                country=country,
                region=COUNTRY_REGION[country],
                languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
            )
        )
    return result


def main() -> None:
    rng = random.Random(42)
    candidates, requests = organizations(rng), needs(rng)
    timings = []
    for need in requests:
        start = time.perf_counter()
        rank(need, candidates)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    print(
        f"ranked {REQUESTS} requests against {ORGANIZATIONS} organizations: "
        f"median {statistics.median(timings):.1f} ms, "
        f"95th percentile {timings[int(len(timings) * 0.95)]:.1f} ms, worst {timings[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
