"""Fixtures the deadline tests share."""

import pytest

from .story import OfferedEmergency


@pytest.fixture
def offered(app):
    """An emergency offered at T0 to two organizations (story.py)."""
    return OfferedEmergency(app)
