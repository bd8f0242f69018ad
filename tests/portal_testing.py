"""Helpers the test modules share: an app on a fresh database, and a requester.

Imported by name (pytest puts tests/ on sys.path, see pyproject.toml): the
conftest.py files cannot be imported reliably, since pytest loads every one of
them as the module "conftest".
"""

import base64
import datetime
import re

from portal import create_app
from portal.db import migrate

TEST_DATA_KEYS = "t1:" + base64.urlsafe_b64encode(b"k" * 32).decode()


def make_app(tmp_path, **overrides):
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "SECRET_KEY": "test-secret-key",
        "DATA_KEYS": TEST_DATA_KEYS,
        "TRACKING_KEY": "test-tracking-key",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        migrate()
    return app


_TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
_SUBMISSION = re.compile(r'name="submission_token" type="hidden" value="([^"]*)"')


def csrf_token(client, path="/request"):
    html = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def valid_request_data(**overrides):
    """A complete, valid request form as a browser would post it."""
    start = datetime.date.today() + datetime.timedelta(days=7)
    data = {
        "service": "accompaniment",
        "requester_kind": "community",
        "name": "Comunidad La Esperanza",
        "organization": "",
        "country": "CO",
        "place": "Cauca",
        "situation": "Threats against community leaders since March.",
        "asked_for": "Accompaniment during the land restitution hearings.",
        "urgency": "urgent",
        "start_date": start.isoformat(),
        "end_date": "",
        "people_count": "12",
        "languages": ["es"],
        "other_languages": "",
        "contact_channel": "",
        "contact_detail": "",
        "consent": "y",
    }
    data.update(overrides)
    return data


class Requester:
    """A person without an account: sends requests and follows them with the code."""

    def __init__(self, client):
        self.client = client

    def submit(self, **overrides):
        html = self.client.get("/request").get_data(as_text=True)
        data = valid_request_data(**overrides)
        data.setdefault("csrf_token", _TOKEN.search(html).group(1))
        data.setdefault("submission_token", _SUBMISSION.search(html).group(1))
        return self.client.post("/request", data=data)

    def submit_and_get_code(self, **overrides):
        response = self.submit(**overrides)
        assert response.status_code == 200
        match = re.search(r'id="tracking-code"[^>]*>([^<]+)<', response.get_data(as_text=True))
        assert match, "no tracking code on the confirmation page"
        return match.group(1).strip()

    def open(self, code):
        token = csrf_token(self.client, "/track")
        return self.client.post("/track", data={"code": code, "csrf_token": token})
