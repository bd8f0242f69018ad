"""Public pages are rendered once per language and reused (portal/page_cache.py), and
that never shows one person's page, token or message to another."""

import html
import re

import pytest

from portal import directory, page_cache
from portal.db import db

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    add_organization,
    tracking_browser,
    valid_request_data,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SUBMISSION = re.compile(r'name="submission_token"[^>]*value="([^"]+)"')


def kept_pages(app) -> int:
    return len(app.extensions["page_cache"])


def form_tokens(client) -> tuple[str, str]:
    page = client.get("/request").get_data(as_text=True)
    assert "pagecache" not in page  # no placeholder left
    return html.unescape(TOKEN.search(page)[1]), SUBMISSION.search(page)[1]


def test_two_browsers_get_the_same_kept_form_each_with_tokens_of_its_own(app):
    first, second = app.test_client(), app.test_client()

    first_token, first_submission = form_tokens(first)
    second_token, second_submission = form_tokens(second)

    assert kept_pages(app) == 1
    assert first_token != second_token
    assert first_submission != second_submission
    # Each browser's token works for it, and only for it.
    stolen = second.post("/request", data=valid_request_data(csrf_token=first_token))
    assert stolen.status_code == 400
    for client, token, submission in (
        (first, first_token, first_submission),
        (second, second_token, second_submission),
    ):
        data = valid_request_data(csrf_token=token, submission_token=submission)
        assert client.post("/request", data=data).status_code == 303


def test_a_tracked_request_is_never_kept_nor_shown_to_another_browser(app):
    stranger = app.test_client()
    entry = stranger.get("/track").get_data(as_text=True)
    tracked, _ = tracking_browser(app, situation="Followed by a grey car since Monday")

    own = tracked.get("/track").get_data(as_text=True)
    after = app.test_client().get("/track").get_data(as_text=True)

    assert "Followed by a grey car since Monday" in own
    assert "Followed by a grey car since Monday" not in after
    assert after.count('name="code"') == entry.count('name="code"') == 1
    assert kept_pages(app) == 2  # the entry form and the request form: nothing of theirs


def test_a_staff_members_page_is_not_kept_and_the_kept_page_is_not_theirs(app, reviewer):
    anonymous = app.test_client().get("/").get_data(as_text=True)
    staff = reviewer.get("/").get_data(as_text=True)
    anonymous_again = app.test_client().get("/").get_data(as_text=True)

    assert "Sign out" in staff
    assert "Sign out" not in anonymous
    assert "Sign out" not in anonymous_again
    assert kept_pages(app) == 1


def test_each_language_has_its_own_kept_page(client):
    english = client.get("/?lang=en").get_data(as_text=True)
    french = client.get("/?lang=fr").get_data(as_text=True)
    english_again = client.get("/?lang=en").get_data(as_text=True)

    assert 'lang="en"' in english and 'lang="en"' in english_again
    assert 'lang="fr"' in french


def test_a_message_waiting_for_one_browser_is_shown_to_it_alone(app):
    client = app.test_client()
    client.get("/")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "A message for this browser alone")]

    own = client.get("/").get_data(as_text=True)
    other = app.test_client().get("/").get_data(as_text=True)
    later = client.get("/").get_data(as_text=True)

    assert "A message for this browser alone" in own
    assert "A message for this browser alone" not in other
    assert "A message for this browser alone" not in later


def test_a_partial_and_a_whole_page_are_kept_apart(client):
    partial = client.get("/organizations?region=americas", headers={"HX-Request": "true"})
    whole = client.get("/organizations?region=americas")

    assert "<html" not in partial.get_data(as_text=True)
    assert "<html" in whole.get_data(as_text=True)


def test_the_directory_shows_an_organization_added_here_at_once(app):
    client = app.test_client()
    before = client.get("/organizations").get_data(as_text=True)
    with app.app_context(), db.connection_context():
        add_organization("bright-river-watch", name="Bright River Watch")

    after = client.get("/organizations").get_data(as_text=True)

    assert "Bright River Watch" not in before
    assert "Bright River Watch" in after


def test_the_directory_shows_another_processs_change_within_a_second(app, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(directory, "clock", lambda: now[0])
    with app.app_context(), db.connection_context():
        add_organization("bright-river-watch", name="Bright River Watch")
    client = app.test_client()
    before = client.get("/organizations").get_data(as_text=True)
    with app.app_context(), db.connection_context():
        # As another process writes it: through the database alone.
        db.execute_sql(
            "UPDATE organization SET name = ?, updated_at = ? WHERE key = ?",
            ("Clear River Watch", "2099-01-01 00:00:00", "bright-river-watch"),
        )

    now[0] += directory.VERSION_SECONDS / 2
    soon = client.get("/organizations").get_data(as_text=True)
    now[0] += directory.VERSION_SECONDS
    later = client.get("/organizations").get_data(as_text=True)

    assert "Bright River Watch" in before
    assert "Bright River Watch" in soon  # the kept page, until the next check
    assert "Clear River Watch" in later


def test_what_is_kept_is_bounded_whatever_the_addresses_asked(app, monkeypatch):
    monkeypatch.setattr(page_cache, "MAX_PAGES", 5)
    client = app.test_client()

    for n in range(12):
        assert client.get(f"/?n={n}").status_code == 200

    assert kept_pages(app) == 5
