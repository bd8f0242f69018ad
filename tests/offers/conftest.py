"""Fixtures the organization members' tests share."""

import pytest

from portal_testing.offers import Case


@pytest.fixture
def case(app):
    return Case(app)
