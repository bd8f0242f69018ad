"""Fixtures the notices' tests share: SMTP servers on 127.0.0.1, and settings naming them."""

import pytest

from .mailboxes import (
    Live,
    MailServer,
    free_port,
    self_signed_certificate,
    server_tls_context,
    start_server,
    url_of,
)


@pytest.fixture
def app_settings(app_settings, request):
    """The app_config settings, with each Live(...) value replaced by its fixture's value."""
    return {
        name: request.getfixturevalue(value.fixture) if isinstance(value, Live) else value
        for name, value in app_settings.items()
    }


@pytest.fixture(scope="session")
def relay_certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    return self_signed_certificate(tmp_path_factory.mktemp("relay-tls"))


@pytest.fixture(scope="session")
def _relay(relay_certificate):
    handler = MailServer()
    controller = start_server(handler, server_tls_context(*relay_certificate))
    yield handler, controller
    controller.stop()


@pytest.fixture
def relay(_relay):
    """The SMTP server the portal is meant to use: STARTTLS required, then a login.

    Emptied before each test; it accepts everything until the test says otherwise.
    """
    handler, _ = _relay
    handler.reset()
    yield handler
    handler.reset()


@pytest.fixture
def smtp_url(_relay):
    return url_of(_relay[1])


@pytest.fixture
def smtp_ca_file(relay_certificate):
    return str(relay_certificate[0])


@pytest.fixture(scope="session")
def _plain_relay():
    handler = MailServer()
    controller = start_server(handler)
    yield handler, controller
    controller.stop()


@pytest.fixture
def plain_relay(_plain_relay):
    """An SMTP server that does not offer STARTTLS: everything would go in clear."""
    handler, _ = _plain_relay
    handler.reset()
    yield handler
    handler.reset()


@pytest.fixture
def plain_smtp_url(_plain_relay):
    return url_of(_plain_relay[1])


@pytest.fixture
def down_smtp_url():
    """The relay's address on a port nobody listens on: a server that is down."""
    return f"smtp://127.0.0.1:{free_port()}"
