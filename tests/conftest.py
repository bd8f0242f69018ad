"""Fixtures every test may ask for: the portal (`app`), browsers, staff by role, databases.

The portal's settings come from `pytest.mark.app_config(NAME=value, ...)` on a module
(pytestmark), a class or a test; the nearest marker wins for a setting it names.
"""

import pytest
from argon2 import PasswordHasher
from flask import has_request_context

from portal import accounts, keychain, offers
from portal.db import db

from portal_testing import Requester, StaffClient, fresh_pg_database, make_app, pg_url
from portal_testing.keys import as_escrow

# Argon2 as shipped costs about 0.2 s a hash on a small machine, and the suite makes
# thousands of accounts and sign-ins. Tests use the cheapest Argon2id, from the first
# fixture on, except where the hashing itself is tested (`pytest.mark.shipped_hasher`).
_SHIPPED_HASHER = accounts._hasher
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# The same for the key each account's private key is sealed under (portal.keychain).
keychain.COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


@pytest.fixture(autouse=True)
def _shipped_hasher(request, monkeypatch):
    if request.node.get_closest_marker("shipped_hasher") is None:
        yield
        return
    monkeypatch.setattr(accounts, "_hasher", _SHIPPED_HASHER)
    accounts._dummy_hash.cache_clear()
    yield
    accounts._dummy_hash.cache_clear()


@pytest.fixture(autouse=True)
def _offers_made_by_tests(monkeypatch):
    """An offer wraps the request's keys to the organizations offered, so whoever makes it
    must hold them: a reviewer in a page. Tests that call offers.offer directly, outside any
    page, make it as an operator holding the escrow key would at the command line."""
    made_in_pages = offers.offer

    def offer(*args, **kwargs):
        if has_request_context():
            return made_in_pages(*args, **kwargs)
        with as_escrow():
            return made_in_pages(*args, **kwargs)

    monkeypatch.setattr(offers, "offer", offer)


@pytest.fixture(autouse=True)
def _close_database():
    """Tests build apps on their own files; leave no connection open after them."""
    yield
    if db.obj is not None and not db.is_closed():
        db.close()


@pytest.fixture
def app_settings(request):
    """The settings the app_config markers ask for, the nearest marker last."""
    settings = {}
    for marker in reversed(list(request.node.iter_markers("app_config"))):
        settings.update(marker.kwargs)
    return settings


@pytest.fixture
def app(tmp_path, app_settings):
    """A portal on a fresh SQLite file built by the migrations."""
    return make_app(tmp_path, **app_settings)


@pytest.fixture
def pg_app(tmp_path, pg_name, app_settings):
    """The same portal on a fresh PostgreSQL database."""
    return make_app(tmp_path, **app_settings, DATABASE_URL=pg_url(pg_name))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_app(request):
    """The portal on each database in turn: races in particular behave differently.

    PostgreSQL skips (or fails, with PORTAL_REQUIRE_SERVICES=1) when the server is missing.
    """
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def requester(client):
    return Requester(client)


@pytest.fixture
def sign_in_as(app):
    """sign_in_as(role, email=None, organization=None): a new staff member, signed in."""

    def sign_in(role, email=None, organization=None):
        return StaffClient.create(app, role, email, organization)

    return sign_in


@pytest.fixture
def admin(sign_in_as):
    return sign_in_as("admin")


@pytest.fixture
def reviewer(sign_in_as):
    return sign_in_as("reviewer")


@pytest.fixture
def org_member(sign_in_as):
    return sign_in_as("org_member")


@pytest.fixture
def pg_name():
    """A fresh, empty database with a random name, dropped afterwards."""
    with fresh_pg_database() as name:
        yield name
