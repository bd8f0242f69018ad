import pytest

from portal.db import db

from portal_testing import Requester, make_app


@pytest.fixture
def app(tmp_path):
    """A portal on a fresh SQLite file built by the migrations."""
    app = make_app(tmp_path)
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def requester(client):
    return Requester(client)
