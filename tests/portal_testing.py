"""Helpers the test modules share: an app on a fresh database, and a requester.

Imported by name (pytest puts tests/ on sys.path, see pyproject.toml): the
conftest.py files cannot be imported reliably, since pytest loads every one of
them as the module "conftest".
"""

import base64
import datetime
import functools
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal import create_app
from portal.db import migrate

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
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


def members_organization():
    """The organization test members belong to unless a test says otherwise.

    It offers no service and is not public, so it never appears in matches
    or in the directory. Call inside an app context.
    """
    from portal.models import Organization

    organization, _ = Organization.get_or_create(
        key="test-members", defaults={"name": "Test members' organization", "public": False}
    )
    return organization


def create_staff_account(email, role, password, organization=None):
    """A staff account; a member with no organization given joins members_organization()."""
    from portal import accounts

    if role == "org_member" and organization is None:
        organization = members_organization()
    return accounts.create_user(email, role, password, organization=organization)


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


@functools.cache
def catalogue(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def shown(lang, msgid):
    """The text a page in `lang` shows for `msgid`: the catalogue's translation (English for en)."""
    if lang == "en":
        return msgid
    message = catalogue(lang).get(msgid)
    assert message is not None, f"{msgid!r} is missing from the {lang} catalogue"
    assert message.string and not message.fuzzy, f"{msgid!r} is not translated into {lang}"
    return message.string


TEXT_INPUTS = {"text", "hidden", "date", "number", "email", "search", "tel", "url", "password"}


class PageForms(HTMLParser):
    """Read a page as a browser would: the values its forms would send, and each field's errors."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self.errors: dict[str, list[str]] = {}
        self._select = None
        self._options: list[tuple[str, bool]] = []
        self._textarea = None
        self._text: list[str] = []
        self._error_field = None
        self._in_error_span = False
        self.feed(html)
        self.close()

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in TEXT_INPUTS:
                self._add(attrs["name"], attrs.get("value") or "")
            elif kind in ("checkbox", "radio") and "checked" in attrs:
                self._add(attrs["name"], attrs.get("value") or "on")
        elif tag == "textarea":
            self._textarea, self._text = attrs.get("name"), []
        elif tag == "select":
            self._select, self._options = attrs.get("name"), []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value") or "", "selected" in attrs))
        elif tag == "p" and "error-message" in (attrs.get("class") or "").split():
            self._error_field = (attrs.get("id") or "").removesuffix("-error")
            self.errors.setdefault(self._error_field, [])
        elif tag == "span" and self._error_field:
            self._in_error_span, self._text = True, []

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # HTML drops one line break right after <textarea>.
            for newline in ("\r\n", "\n"):
                if text.startswith(newline):
                    text = text[len(newline) :]
                    break
            self._add(self._textarea, text)
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            for value in chosen:
                self._add(self._select, value)
            self._select = None
        elif tag == "span" and self._in_error_span:
            self.errors[self._error_field].append("".join(self._text).strip())
            self._in_error_span = False
        elif tag == "p" and self._error_field:
            self._error_field = None

    def handle_data(self, data):
        if self._textarea is not None or self._in_error_span:
            self._text.append(data)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(page):
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


# --- the real servers (PostgreSQL, Redis) on 127.0.0.1 -------------------------------

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}


def unavailable(reason):
    if os.environ.get("PORTAL_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (PORTAL_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def admin_connection():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        connection = psycopg2.connect(dbname="postgres", connect_timeout=3, **PG)
    except psycopg2.OperationalError as exc:
        unavailable(f"PostgreSQL is not reachable on 127.0.0.1:5432: {exc}".strip())
    connection.autocommit = True
    return connection
