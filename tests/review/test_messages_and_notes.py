"""Messages to the requester, and internal notes that never reach them."""

import pytest
from markupsafe import escape

from portal.models import InternalNote, Message

from portal_testing import HOSTILE, PASSWORD_ALONE, ROOM_FOR_MANY, page_text
from portal_testing.keys import as_escrow
from portal_testing.review import (
    new_request,
    stored,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def test_a_staff_message_reaches_the_requesters_tracking_page(app, reviewer, person):
    body = "We have received your request and will reply within two days."
    response = reviewer.post(f"/review/{person.reference}/message", {"message-body": body})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/review/{person.reference}#messages"
    tracking = person.tracking_page()
    assert body in tracking
    assert "The network" in tracking
    assert reviewer.user.email not in tracking
    page = page_text(reviewer.get(f"/review/{person.reference}"))
    assert "Your message was sent to the requester." in page
    assert reviewer.user.email in page.split('id="messages-heading"')[1]
    assert stored(app, person.reference).state == "submitted"


def test_internal_notes_never_reach_the_requester(app, reviewer, person):
    note = "Called the partner organization; they know this community."
    response = reviewer.post(f"/review/{person.reference}/note", {"note-body": note})
    assert response.status_code == 303
    page = page_text(reviewer.get(f"/review/{person.reference}"))
    notes = page.split('id="notes-heading"')[1].split("</section>")[0]
    assert note in notes
    assert "Internal" in notes
    assert "never shown to the requester or to any organization" in notes
    assert note not in person.tracking_page()
    with app.app_context():
        assert Message.select().count() == 0


@pytest.mark.parametrize(("path", "prefix"), [("message", "message"), ("note", "note")])
def test_an_empty_or_bad_text_is_refused_and_kept(app, reviewer, path, prefix):
    reference = new_request(app)
    response = reviewer.post(f"/review/{reference}/{path}", {f"{prefix}-body": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{prefix}-body-error"' in page
    summary = page.split('id="error-summary"')[1].split("</div>")[0]
    assert f'href="#{prefix}-body"' in summary

    bad = "Line one\x00 and more"
    response = reviewer.post(f"/review/{reference}/{path}", {f"{prefix}-body": bad})
    page = response.get_data(as_text=True)
    assert "invisible control characters" in page
    assert "Line one\x00 and more</textarea>" in page

    long = "x" * 20_001
    response = reviewer.post(f"/review/{reference}/{path}", {f"{prefix}-body": long})
    assert "at most 20,000 characters" in response.get_data(as_text=True)
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_text_in_messages_and_notes_is_stored_exactly_and_shown_escaped(
    app, reviewer, payload, person
):
    reference = person.reference
    assert (
        reviewer.post(f"/review/{reference}/message", {"message-body": payload}).status_code == 303
    )
    assert reviewer.post(f"/review/{reference}/note", {"note-body": payload}).status_code == 303
    # Sealed to the request's keys, which the escrow opens (portal.request_keys).
    with app.app_context(), as_escrow():
        assert [m.body for m in Message.select()] == [payload]
        assert [n.body for n in InternalNote.select()] == [payload]

    escaped = str(escape(payload))
    staff_page = reviewer.page(f"/review/{reference}")
    assert staff_page.count(f'<div class="user-text" dir="auto">{escaped}</div>') == 2
    tracking = person.client.get("/track").get_data(as_text=True)
    assert f'<div class="user-text" dir="auto">{escaped}</div>' in tracking
    if "<" in payload:
        assert payload not in staff_page
        assert payload not in tracking
    if "{{" in payload:
        assert "{{7*7}}" in staff_page and "{{7*7}}" in tracking


def test_hostile_text_in_the_request_is_shown_escaped_to_staff(app, reviewer):
    payload = '<img src=x onerror=alert(1)><div hx-get="/x" hx-trigger="load">'
    reference = new_request(app, situation=payload, name=payload[:150], place="{{7*7}}")
    page = reviewer.page(f"/review/{reference}")
    assert payload not in page
    assert str(escape(payload)) in page
    assert "{{7*7}}" in page


def test_a_hostile_reference_search_is_shown_escaped(reviewer):
    page = reviewer.page('/review/?reference="><script>x</script>')
    assert "<script>x</script>" not in page
