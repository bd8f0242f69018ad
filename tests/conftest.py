import secrets

import pytest

from portal.db import db

from portal_testing import Requester, admin_connection, make_app


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


@pytest.fixture
def pg_name():
    """A fresh, empty database with a random name, dropped afterwards."""
    admin = admin_connection()
    name = f"portal_test_{secrets.token_hex(6)}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        if not db.is_closed():
            db.close()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
