"""Short public references for requests (AR-2026-0042), numbered per year."""

import datetime

from peewee import IntegrityError

from .db import db
from .models import ReferenceCounter

PREFIX = "AR"


def next_reference(now: datetime.datetime) -> str:
    """Take the next number of `now`'s year; concurrent callers each get their own."""
    year = now.year
    bump = ReferenceCounter.update(last=ReferenceCounter.last + 1).where(
        ReferenceCounter.year == year
    )
    with db.atomic():
        if not bump.execute():
            try:
                with db.atomic():
                    ReferenceCounter.create(year=year, last=1)
            except IntegrityError:  # another request opened the year first
                bump.execute()
        number = ReferenceCounter.get_by_id(year).last
    return f"{PREFIX}-{year}-{number:04d}"
