"""Fixtures the security tests share."""

import pytest


@pytest.fixture
def crashing_app(app):
    """The portal with a page that crashes, answered as in production (nothing propagates)."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom():
        raise RuntimeError("secret internals at /srv/portal/app.py line 42")

    app.add_url_rule("/boom", "boom", boom)
    return app
