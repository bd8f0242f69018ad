"""How long ranking one request against 5,000 organizations takes.

Run with `make bench` (`run(workdir)` gives its section of the report), or alone:
`python benchmarks/rank_organizations.py`. The target: a 95th percentile under 20 ms.
Measured twice: the whole ranking, and the ten best that a request page shows.
"""

import math
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from report import Section  # noqa: E402

from portal.matching import Candidate, Need, rank  # noqa: E402
from portal.regions import COUNTRY_REGION, REGIONS  # noqa: E402

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


TARGET_MS = 20
SHOWN = 10  # portal.review.SHOWN_MATCHES: what a request page ranks for


def measure(limit: int | None = None) -> list[float]:
    """Milliseconds to rank each of REQUESTS requests against ORGANIZATIONS, sorted."""
    rng = random.Random(42)
    candidates, requests = organizations(rng), needs(rng)
    timings = []
    for need in requests:
        start = time.perf_counter()
        rank(need, candidates, limit=limit)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return timings


def _p95(timings: list[float]) -> float:
    return timings[math.ceil(0.95 * len(timings)) - 1]


def run(workdir: Path | None = None) -> list[Section]:
    rows = []
    for label, limit in (("all, in order", None), (f"the {SHOWN} best (a request page)", SHOWN)):
        timings = measure(limit)
        rows.append([label, statistics.median(timings), _p95(timings), timings[-1]])
    notes = [
        f"{REQUESTS} requests, each against {ORGANIZATIONS:,} organizations "
        f"(pure ranking, no database); target p95 under {TARGET_MS} ms."
    ]
    headers = ["ranked", "median ms", "p95 ms", "worst ms"]
    return [Section("Ranking organizations for a request", headers, rows, notes)]


def main() -> None:
    timings = measure()
    print(
        f"ranked {REQUESTS} requests against {ORGANIZATIONS} organizations: "
        f"median {statistics.median(timings):.1f} ms, "
        f"95th percentile {_p95(timings):.1f} ms, worst {timings[-1]:.1f} ms"
    )
    for section in run():
        print()
        print(section.markdown())


if __name__ == "__main__":
    main()
