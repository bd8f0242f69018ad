"""The request log: one line per request (an id, the method, the route's template, the status,
the time), and nothing that says who asked or about what.

A requester and the staff go through a whole request, every word they type carrying a
marker; every logger is captured at DEBUG, and no marker, code, reference, offer handle,
email address, password or client address may appear in what was logged.
"""

import logging
import re

import pytest
from flask import request_started

from portal import request_log
from portal.db import db
from portal.models import Offer, Request
from portal.pages import views as pages_views

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    STAFF_PASSWORD,
    Requester,
    StaffClient,
    add_organization,
    create_staff_account,
    sign_in,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

LINE = re.compile(r"[0-9a-f]{16} (GET|POST) (/\S*|-) \d{3} \d+ms")
REFERENCE = re.compile(r"AR-\d{4}-\d+")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")

REQUESTER_WORDS = {
    "requester_kind": "organization",
    "name": "Zyxname Marker Quintero",
    "organization": "Zyxorg Marker Collective",
    "place": "Zyxplace Marker Valley",
    "situation": "Zyxsituation marker: followed home twice.",
    "asked_for": "Zyxasked marker: someone at the hearing.",
    "other_languages": "Zyxlanguage",
    "contact_channel": "signal",
    "contact_detail": "+57 300 555 7319",
    "contact_safe": "yes",
    "notify_email": "zyx.requester@example.net",
}
REQUESTER_MESSAGE = "Zyxmessage marker from the requester"
REVIEWER_EMAIL = "zyx.reviewer@example.net"
MEMBER_EMAIL = "zyx.member@example.net"
WRONG_PASSWORD = "zyx wrong passphrase 5501"
SUMMARY = "Zyxsummary marker for the organizations."
CONTACT_PLAN = "Zyxplan marker: by phone within two days."
# Every word typed above begins with "zyx" (its case aside), or is one of these.
MARKERS = [
    "zyx",
    "Zyx",
    REQUESTER_WORDS["contact_detail"],
    STAFF_PASSWORD,
    "127.0.0.1",
]


@pytest.fixture
def requests_made(app):
    """Every request the app starts handling, counted."""
    made = []

    def count(sender, **extra):
        made.append(1)

    request_started.connect(count, app)
    yield made
    request_started.disconnect(count, app)


def request_lines(caplog):
    return [r.getMessage() for r in caplog.records if r.name == "portal.requests"]


def everything_logged(caplog):
    """Every record's message, arguments and traceback, as text."""
    parts = [caplog.text]
    for record in caplog.records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or ""]
    return "\n".join(parts)


def a_whole_request(app):
    """A request from the form to an accepted offer, through the pages; what it leaves."""
    requester = Requester(app.test_client())
    code = requester.submit_and_get_code(**REQUESTER_WORDS)
    assert requester.open(code).status_code == 303
    requester.tracking_page()
    assert requester.send_message(REQUESTER_MESSAGE).status_code == 303

    with app.app_context(), db.connection_context():
        organization = add_organization("zyx-watch", name="Zyxwatch Marker Brigades")
        reviewer = create_staff_account(REVIEWER_EMAIL, "reviewer")
        member = create_staff_account(MEMBER_EMAIL, "org_member", organization=organization)
        reference = Request.get().reference

    # Someone types the reviewer's address with a wrong password first.
    assert sign_in(app.test_client(), REVIEWER_EMAIL, WRONG_PASSWORD).status_code == 200
    staff = StaffClient(app, reviewer)
    staff.page("/review/")
    staff.page(f"/review/{reference}")
    assert staff.act(reference, "start_review").status_code == 303
    assert staff.act(reference, "approve").status_code == 303
    with app.app_context():
        version = str(Request.get().version)
    offered = staff.post(
        f"/review/{reference}/offer",
        organizations=["zyx-watch"],
        summary=SUMMARY,
        version=version,
    )
    assert offered.status_code == 303, offered.get_data(as_text=True)

    with app.app_context():
        handle = Offer.get().handle
    organization_member = StaffClient(app, member)
    organization_member.page(f"/org/offers/{handle}")
    accepted = organization_member.post(
        f"/org/offers/{handle}/accept",
        {"accept-contact_plan": CONTACT_PLAN, "accept-confirm": "y"},
    )
    assert accepted.status_code == 303, accepted.get_data(as_text=True)
    organization_member.page(f"/org/offers/{handle}")
    # Addresses that match no route, one with a reference in it.
    assert staff.get(f"/review/{reference}/nowhere").status_code == 404
    assert requester.client.get(f"/zyx/{code}").status_code == 404
    return code, reference, handle


def test_a_whole_request_logs_one_line_per_request_and_nothing_personal(app, caplog, requests_made):
    caplog.set_level(logging.DEBUG)

    code, reference, handle = a_whole_request(app)

    lines = request_lines(caplog)
    assert len(lines) == len(requests_made) > 20
    for line in lines:
        assert LINE.fullmatch(line), line
    assert len({line.split()[0] for line in lines}) == len(lines), "request ids repeat"
    routes = {tuple(line.split()[1:4]) for line in lines}
    assert ("GET", "/review/<reference>", "200") in routes
    assert ("POST", "/track/message", "303") in routes
    assert ("GET", "-", "404") in routes

    logged = everything_logged(caplog)
    forbidden = [*MARKERS, code, code.replace("-", ""), reference, handle]
    assert [word for word in forbidden if word in logged] == []
    assert REFERENCE.findall(logged) == []
    assert EMAIL.findall(logged) == []


@pytest.mark.app_config(LOG_CLIENTS=True)
def test_client_addresses_are_logged_only_when_asked_for(app, caplog):
    caplog.set_level(logging.DEBUG)

    app.test_client().get("/")

    [line] = request_lines(caplog)
    assert line.endswith(" GET / 200 " + line.split()[4] + " 127.0.0.1"), line


def test_client_addresses_are_not_logged_by_default(app, caplog):
    caplog.set_level(logging.DEBUG)

    app.test_client().get("/", environ_base={"REMOTE_ADDR": "203.0.113.9"})

    [line] = request_lines(caplog)
    assert "203.0.113.9" not in caplog.text and LINE.fullmatch(line), line


@pytest.mark.app_config(TESTING=False)
def test_outside_tests_lines_are_written_by_a_thread_of_their_own(app, caplog):
    caplog.set_level(logging.DEBUG)

    app.test_client().get("/")
    app.test_client().get("/nowhere")
    request_log.flush()

    lines = request_lines(caplog)
    assert [line.split()[1:4] for line in lines] == [["GET", "/", "200"], ["GET", "-", "404"]]
    assert all(LINE.fullmatch(line) for line in lines), lines


def test_a_health_check_is_logged_only_when_it_fails(app, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)

    assert app.test_client().get("/healthz").status_code == 200
    assert request_lines(caplog) == []

    monkeypatch.setattr(pages_views, "HEALTH_SECONDS", 0)
    monkeypatch.setattr(pages_views, "_database_answers", lambda: False)
    assert app.test_client().get("/healthz").status_code == 503
    [line] = request_lines(caplog)
    assert line.split()[1:4] == ["GET", "/healthz", "503"]
