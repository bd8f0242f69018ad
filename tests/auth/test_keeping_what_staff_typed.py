"""Nothing a staff member typed is lost: not to a language switch, not to a session that
ended while they wrote, and new recovery codes survive a language switch until saved."""

import datetime
import re

import pytest

from portal import held, sealing
from portal.models import Held, Message, Organization, User, utcnow

from portal_testing import PASSWORD_ALONE, database_bytes, page_text
from portal_testing.auth import (
    age_sessions,
    create_account,
    location,
)
from portal_testing.review import new_request
from portal_testing.staff import sign_in

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

WORDS = "Can you say which town? ¿Desde cuándo? <b>not bold</b> مرحبا"


def switch(staff, lang, back, **fields):
    """Press a language button in the header, carrying the fields of a form."""
    return staff.client.post(
        "/staff/language",
        query_string={"lang": lang, "back": back},
        data={"csrf_token": staff.token, "switch_language": lang, **fields},
    )


def textarea(page, name):
    found = re.search(rf"<textarea[^>]*name=\"{name}\"[^>]*>(?:\r?\n)?(.*?)</textarea>", page, re.S)
    return found.group(1) if found else None


def ticked(page, box_id):
    found = re.search(rf'<input[^>]*id="{box_id}"[^>]*>', page)
    return found is not None and " checked" in found.group(0)


def test_switching_language_keeps_the_message_being_written(app, reviewer):
    reference = new_request(app, state="in_review")
    page = f"/review/{reference}"
    response = switch(reviewer, "fr", page, **{"message-body": WORDS, "message-ask": "y"})
    assert response.status_code == 303
    assert location(response) == f"{page}?lang=fr"

    shown = reviewer.client.get(location(response))
    html = shown.get_data(as_text=True)
    assert '<html lang="fr"' in html
    # Given back as text, escaped, with its tick, in the form it came from only.
    assert textarea(html, "message-body") == (
        "Can you say which town? ¿Desde cuándo? &lt;b&gt;not bold&lt;/b&gt; مرحبا"
    )
    assert ticked(html, "message-ask")
    assert textarea(html, "note-body") == ""
    # Nothing was sent, and the words are given back once.
    with app.app_context():
        assert Message.select().count() == 0
    assert textarea(reviewer.page(page), "message-body") == ""


def test_the_words_are_held_sealed_and_only_for_the_page_they_came_from(app, reviewer, tmp_path):
    reference = new_request(app, state="in_review")
    switch(reviewer, "es", f"/review/{reference}", **{"note-body": "Secret internal words"})
    assert b"Secret internal words" not in database_bytes(tmp_path)
    # Sealed under the browser's id, which only its cookie carries: the server's keyring
    # does not open it.
    with app.app_context():
        (held,) = Held.select()
        with pytest.raises(sealing.SealError):
            sealing.keyring().open(held.content_sealed, f"held|content|{held.uid}")
        assert bytes(held.content_sealed).startswith(b"e1:")
    # Another page does not take them, and they wait for their own page.
    assert "Secret internal words" not in reviewer.page("/staff/settings")
    assert "Secret internal words" in reviewer.page(f"/review/{reference}")


def test_a_confirmation_is_never_carried(app, reviewer):
    reference = new_request(app, state="in_review")
    page = f"/review/{reference}"
    switch(reviewer, "fr", page, action="reject", reason="other", note="Why", confirm="y")
    html = reviewer.page(page)
    assert textarea(html, "note") == "Why"
    assert 'id="confirm-reject"' in html and not ticked(html, "confirm-reject")


@pytest.mark.parametrize("back", ["//evil.example/x", "https://evil.example/", "/review/x/act"])
def test_a_switch_goes_back_to_pages_of_this_site_only(app, reviewer, back):
    response = switch(reviewer, "fr", back)
    assert response.status_code == 303
    assert location(response) == "/staff/?lang=fr"


def test_an_account_with_its_own_language_changes_it_from_the_header(app, reviewer):
    with app.app_context():
        User.update(locale="es").where(User.id == reviewer.user.id).execute()
    reviewer.refresh_token()
    response = switch(reviewer, "fr", "/review/")
    assert '<html lang="fr"' in reviewer.client.get(location(response)).get_data(as_text=True)
    with app.app_context():
        assert User.get_by_id(reviewer.user.id).locale == "fr"
    assert '<html lang="fr"' in reviewer.page("/review/")


def test_a_colleague_on_the_same_browser_is_not_given_the_words(app, reviewer):
    reference = new_request(app, state="in_review")
    switch(reviewer, "fr", f"/review/{reference}", **{"message-body": "Only for me"})
    colleague = create_account(app, "colleague@network.test", "reviewer")
    assert colleague
    reviewer.post("/staff/sign-out")
    sign_in(reviewer.client, "colleague@network.test")
    assert "Only for me" not in reviewer.client.get(f"/review/{reference}").get_data(as_text=True)


def test_signing_out_erases_what_was_held(app, reviewer):
    reference = new_request(app, state="in_review")
    switch(reviewer, "fr", f"/review/{reference}", **{"message-body": "Erase me"})
    reviewer.post("/staff/sign-out")
    with app.app_context():
        assert Held.select().count() == 0


def test_what_is_held_is_erased_by_the_sweep_after_half_an_hour(app, reviewer):
    reference = new_request(app, state="in_review")
    switch(reviewer, "fr", f"/review/{reference}", **{"message-body": "Old words"})
    with app.app_context():
        later = utcnow()
        assert held.forget_expired(later) == 0
        assert held.forget_expired(later + datetime.timedelta(minutes=31)) == 1


def test_words_posted_after_the_session_ended_come_back_after_signing_in(app, reviewer):
    reference = new_request(app, state="in_review")
    page = f"/review/{reference}"
    reviewer.page(page)
    age_sessions(app, last_seen_at=datetime.timedelta(hours=1))  # idle past its limit

    posted = reviewer.client.post(
        f"{page}/message",
        data={"csrf_token": reviewer.token, "message-body": WORDS},
        headers={"Referer": f"http://localhost{page}"},
    )
    assert posted.status_code == 303
    assert location(posted) == f"/staff/sign-in?next={page}"
    assert "what you wrote is kept" in page_text(reviewer.client.get(location(posted)))
    with app.app_context():
        assert Message.select().count() == 0  # nothing was sent without a session

    signed = sign_in(reviewer.client, reviewer.user.email, next_path=page)
    assert location(signed) == page
    html = reviewer.client.get(page).get_data(as_text=True)
    assert textarea(html, "message-body").startswith("Can you say which town?")


def test_passwords_and_codes_are_never_held(app, reviewer, tmp_path):
    switch(
        reviewer,
        "fr",
        "/staff/password",
        current="Old-password-1234",
        new="New-password-5678",
        repeat="New-password-5678",
        code="123456",
    )
    with app.app_context():
        assert Held.select().count() == 0
    assert b"New-password-5678" not in database_bytes(tmp_path)


def test_the_organization_form_keeps_what_the_administrator_typed(app, admin):
    response = switch(
        admin,
        "es",
        "/admin/organizations/new",
        key="brigadas-nuevas",
        name="Brigadas <Nuevas>",
        languages=["es", "qu"],
        capacity="4",
    )
    html = admin.client.get(location(response)).get_data(as_text=True)
    assert '<html lang="es"' in html
    assert 'value="Brigadas &lt;Nuevas&gt;"' in html
    assert ticked(html, "languages-" + str(_index_of(html, "qu")))
    with app.app_context():
        assert Organization.select().count() == 0  # nothing saved


def _index_of(html, code):
    found = re.search(
        rf'id="languages-(\d+)"[^>]*value="{code}"|value="{code}"[^>]*id="languages-(\d+)"', html
    )
    return found.group(1) or found.group(2)


def test_the_new_account_form_keeps_what_the_administrator_typed(app, admin):
    page = admin.page("/admin/accounts")
    assert 'form="create-account-form"' in page  # the header's buttons carry this form

    response = switch(
        admin, "fr", "/admin/accounts", email="new.reviewer@example.org", role="reviewer"
    )

    html = admin.client.get(location(response)).get_data(as_text=True)
    assert '<html lang="fr"' in html
    assert 'value="new.reviewer@example.org"' in html
    assert re.search(
        r'<option[^>]*selected[^>]*value="reviewer"|<option[^>]*value="reviewer"[^>]*selected', html
    )
    with app.app_context():
        assert not User.select().where(User.email == "new.reviewer@example.org").exists()
