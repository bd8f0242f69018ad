"""A request's page as a reviewer sees it."""

import re

import pytest

from portal.models import AuditEvent

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, page_text
from portal_testing.review import (
    new_request,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)


def test_the_request_page_shows_every_field(app, reviewer):
    reference = new_request(
        app,
        name="Comunidad La Esperanza",
        organization="Red de Defensoras",
        place="Cauca, vereda El Palo",
        situation="Threats since March.",
        asked_for="Accompaniment at hearings.",
        other_languages="Nasa Yuwe",
        contact_channel="signal",
        contact_detail="+57 300 000 0000",
        languages=["es", "en"],
    )
    page = page_text(reviewer.get(f"/review/{reference}"))
    for value in [
        reference,
        "Comunidad La Esperanza",
        "Red de Defensoras",
        "Cauca, vereda El Palo",
        "Threats since March.",
        "Accompaniment at hearings.",
        "Nasa Yuwe",
        "+57 300 000 0000",
        "Signal",
        "Colombia",
        "Latin America and the Caribbean",
        "Protective accompaniment",
        "A community",
        "Urgent: within two weeks",
        "Spanish",
        "English",
        "12",
    ]:
        assert value in page, value


def test_what_the_requester_wrote_is_marked_as_user_text_inside_hx_disable(app, reviewer):
    reference = new_request(app, situation="Threats since March.")
    page = reviewer.page(f"/review/{reference}")
    details = page.split('id="details-heading"')[1].split("</section>")[0]
    assert "<div hx-disable>" in details
    assert '<dd class="user-text" dir="auto">Threats since March.</dd>' in details


def test_opening_a_request_is_recorded_without_its_contents(app, reviewer):
    reference = new_request(app, situation="Secret situation text", name="Secret Name")
    reviewer.page(f"/review/{reference}")
    with app.app_context():
        events = list(AuditEvent.select().where(AuditEvent.action == "request.viewed"))
    assert len(events) == 1
    assert events[0].reference == reference
    assert events[0].user_id == reviewer.user.id
    assert "Secret" not in events[0].detail


def test_an_unknown_reference_is_a_plain_404(app, reviewer):
    new_request(app)
    for reference in ["AR-1999-0001", "1", "%3Cscript%3E", "AR-2026-0001%00"]:
        response = reviewer.get(f"/review/{reference}")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "Page not found" in page
        assert "Traceback" not in page
    for path in ("act", "message", "note"):
        assert reviewer.post(f"/review/AR-1999-0001/{path}", {}).status_code == 404
    with app.app_context():
        assert not AuditEvent.select().where(AuditEvent.action == "request.viewed").exists()


def test_the_page_sets_no_inline_style_or_script(app, reviewer):
    reference = new_request(app)
    for path in ("/review/", f"/review/{reference}"):
        page = reviewer.page(path)
        assert "style=" not in page
        assert "<style" not in page
        assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
        assert " on" not in re.sub(r'"[^"]*"', "", "".join(re.findall(r"<[^>]+>", page)))
