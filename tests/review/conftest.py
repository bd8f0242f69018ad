"""Fixtures the reviewer's tests share."""

import pytest

from portal import intake

from portal_testing import Requester


@pytest.fixture
def person(app):
    """A requester who sent a request through the form, and follows it with the code."""
    person = Requester(app.test_client())
    person.code = person.submit_and_get_code()
    with app.app_context():
        person.reference = intake.open_with_code(person.code).reference
    assert person.open(person.code).status_code == 303
    return person
