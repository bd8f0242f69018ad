"""The network's figures: how many requests it received in a year, of which kind, and how they
ended, counted only from the requests whose requesters agreed to be counted (portal.consent).

A small number can name someone (two requests from one town, one of them rejected), so no
count from 1 to FEWEST_SHOWN - 1 is shown; and where a table hides only one count, the next
smallest is hidden too, so that the total cannot give the hidden one back.
"""

import datetime
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from peewee import SQL, fn

from ..db import as_datetime
from ..models import ClosingReport, Request, utcnow
from ..regions import REGIONS
from ..vocabulary import (
    COMPLETED,
    OPEN_STATES,
    REJECTED,
    SERVICES,
    STAFF_LABELS,
    URGENCIES,
    WITHDRAWN,
)

FEWEST_SHOWN = 5
# How requests ended, in the order the page lists them; "open" for those still going.
OUTCOMES = (COMPLETED, REJECTED, WITHDRAWN, "open")
OUTCOME_LABELS = {
    COMPLETED: STAFF_LABELS[COMPLETED],
    REJECTED: STAFF_LABELS[REJECTED],
    WITHDRAWN: STAFF_LABELS[WITHDRAWN],
    "open": _l("Still open"),
}


@dataclass(frozen=True)
class Count:
    value: int
    hidden: bool = False  # too small to show, or hidden so that another cannot be worked out


@dataclass(frozen=True)
class Figures:
    year: int
    counted: Count  # requests counted this year
    by_service: list[tuple[str, Count]]
    by_region: list[tuple[str, Count]]
    by_urgency: list[tuple[str, Count]]
    by_outcome: list[tuple[str, Count]]
    days: Count  # days of accompaniment in the closing reports of the requests counted
    visits: Count

    @property
    def too_few(self) -> bool:
        """Too few requests were counted this year to show anything."""
        return self.counted.hidden


def _counted(year: int):
    start = datetime.datetime(year, 1, 1)
    return (
        Request.share_figures
        & (Request.created_at >= start)
        & (Request.created_at < start.replace(year=year + 1))
    )


def _small(value: int) -> bool:
    return 0 < value < FEWEST_SHOWN


def _table(keys, found: dict[str, int]) -> list[tuple[str, Count]]:
    """Each key's count, small ones hidden; and where only one is hidden, the next smallest
    with it (the total and the others would give it back)."""
    values = {key: found.get(key, 0) for key in keys}
    hidden = {key for key, value in values.items() if _small(value)}
    if len(hidden) == 1:
        others = sorted((v, k) for k, v in values.items() if k not in hidden and v)
        if others:
            hidden.add(others[0][1])
    return [(key, Count(values[key], key in hidden)) for key in keys]


def _grouped(column, year: int) -> dict[str, int]:
    query = (
        Request.select(column, fn.COUNT(SQL("*"))).where(_counted(year)).group_by(column).tuples()
    )
    return dict(query)


def of_year(year: int) -> Figures:
    """The figures of the requests received in `year` (UTC) whose requesters agreed."""
    states = _grouped(Request.state, year)
    total = sum(states.values())
    outcomes = {
        COMPLETED: states.get(COMPLETED, 0),
        REJECTED: states.get(REJECTED, 0),
        WITHDRAWN: states.get(WITHDRAWN, 0),
        "open": sum(count for state, count in states.items() if state in OPEN_STATES),
    }
    reports = (
        ClosingReport.select(
            fn.COUNT(ClosingReport.id), fn.SUM(ClosingReport.days), fn.SUM(ClosingReport.visits)
        )
        .join(Request)
        .where(_counted(year))
        .tuples()
        .first()
    )
    closed, days, visits = reports or (0, 0, 0)
    few_reports = _small(closed or 0)
    return Figures(
        year=year,
        counted=Count(total, _small(total)),
        by_service=_table(SERVICES, _grouped(Request.service, year)),
        by_region=_table(tuple(REGIONS), _grouped(Request.region, year)),
        by_urgency=_table(URGENCIES, _grouped(Request.urgency, year)),
        by_outcome=_table(OUTCOMES, outcomes),
        days=Count(int(days or 0), few_reports),
        visits=Count(int(visits or 0), few_reports),
    )


def years() -> list[int]:
    """The years with requests, newest first (the page's choice of year)."""
    first = as_datetime(Request.select(fn.MIN(Request.created_at)).scalar())
    if first is None:
        return []
    return list(range(utcnow().year, first.year - 1, -1))
