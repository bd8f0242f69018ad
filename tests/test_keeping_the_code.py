"""Keeping the code: a new request's tracking code waits on a page of its own until the person
says they kept it.

After Send, the browser goes to /request/code (a 303; for htmx, HX-Redirect). That page shows
the code to the browser that sent the request, and to no other, after a refresh or a second
look, until the person types the code's last group (or all of it) to show they kept it, or
for 30 minutes at most. Meanwhile the server holds the code sealed in `pending_code`, keyed by
a random id in the session cookie; confirming, leaving quickly or the clock erases it.
"""

import datetime
import html
import re

import pytest

from portal import envelopes, jobs, sealing, sessions, tracking
from portal.db import db
from portal.models import PendingCode

from portal_testing import (
    CODE_PAGE,
    HOSTILE,
    PageForms,
    Requester,
    assert_shows,
    code_on,
    csrf_token,
    database_bytes,
    guess_code,
    row_counts,
    session_contents,
    speak_french,
    translated,
    valid_request_data,
)

GONE = "The code is no longer shown here"
THANKS = "Thank you. Keep the code safe: you need it to follow your request."
NOT_THE_END = "This is not the end of your code. Look at the code above and type it again."
EMPTY = "Please type the end of your code."
CONTROL = "This contains invisible control characters. Please retype it."
TOO_LONG = "Please use at most %(max)s characters."
ALREADY = "This request was already received"
TRACK_HINT = "Capital or small letters, spaces and dashes do not matter."
SENT_AT = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC)
HELD = datetime.timedelta(minutes=sessions.CODE_HELD_MINUTES)
SECOND = datetime.timedelta(seconds=1)


def text(response):
    return html.unescape(response.get_data(as_text=True))


def held_codes(app):
    """How many codes the server still holds for browsers."""
    return row_counts(app)["PendingCode"]


def forms_of(code):
    """The ways the code could be written down, stored or leaked."""
    canonical = tracking.normalise(code)
    return {code, canonical, code.lower(), canonical.lower(), code.replace("-", " ")}


def not_its_end(code):
    """Four characters of the code's alphabet that are not its last group."""
    return "2345" if code[-4:] != "2345" else "6789"


def sent(requester):
    """The requester sends the form and reads the code on the page it leads to."""
    page = requester.submit_and_follow()
    assert page.status_code == 200
    code = code_on(page)
    assert code, "no code on the code page"
    return code


def assert_still_shown(requester, code):
    page = requester.client.get(CODE_PAGE)
    assert page.status_code == 200
    assert code_on(page) == code
    assert page.headers["Cache-Control"] == "no-store"


def assert_gone(response, code):
    assert response.status_code == 200
    page = text(response)
    assert GONE in page
    assert 'id="tracking-code"' not in page
    assert not any(form in page for form in forms_of(code))


# --- seen again until kept ------------------------------------------------------------------


def test_a_refresh_or_a_second_look_shows_the_same_code_until_it_is_kept(app, requester):
    code = sent(requester)

    assert_still_shown(requester, code)  # a refresh
    assert_still_shown(requester, code)  # Back, or a second tab
    assert held_codes(app) == 1

    kept = requester.keep_code(code[-4:])

    assert kept.status_code == 303
    assert kept.headers["Location"] == "/track"
    assert THANKS in text(requester.client.get("/track"))
    assert_gone(requester.client.get(CODE_PAGE), code)
    assert held_codes(app) == 0
    assert requester.open(code).status_code == 303  # the code itself still opens the request


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_another_language_chosen_on_the_code_page_shows_the_same_code(app, requester, lang):
    code = sent(requester)

    page = requester.client.get(f"{CODE_PAGE}?lang={lang}")

    assert code_on(page) == code
    assert_shows(app, page.get_data(as_text=True), "Your request has been received", lang)
    assert held_codes(app) == 1


def test_the_code_page_says_for_how_long_and_is_never_cached(app, requester):
    page = requester.submit_and_follow()

    assert page.headers["Cache-Control"] == "no-store"
    assert "for 30 minutes at most" in text(page)
    assert text(page).count(code_on(page)) == 1


def test_another_browser_never_sees_the_code_nor_confirms_it(app, requester):
    code = sent(requester)
    other = Requester(app.test_client())
    other.client.get("/request")

    assert_gone(other.client.get(CODE_PAGE), code)
    assert_gone(other.keep_code(code[-4:]), code)
    assert_gone(other.keep_code(code), code)

    assert held_codes(app) == 1
    assert_still_shown(requester, code)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(lambda code: code[-4:], id="the last group"),
        pytest.param(lambda code: f" {code[-4:].lower()} ", id="the last group in lower case"),
        pytest.param(lambda code: code, id="the whole code"),
        pytest.param(
            lambda code: code.lower().replace("-", " "), id="the whole code small, with spaces"
        ),
        pytest.param(lambda code: tracking.normalise(code), id="the whole code without dashes"),
    ],
)
def test_the_last_group_or_the_whole_code_however_written_confirms_it(app, requester, typed):
    code = sent(requester)

    kept = requester.keep_code(typed(code))

    assert kept.status_code == 303
    assert kept.headers["Location"] == "/track"
    assert held_codes(app) == 0
    assert_gone(requester.client.get(CODE_PAGE), code)


# --- wrong answers change nothing ----------------------------------------------------------


def refused_answer(app, requester, code, typed, lang):
    """Type `typed` on the code page: the page again in `lang`, the code still on it, one
    error, and nothing erased. The page's HTML and that error."""
    response = requester.keep_code(typed)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}"' in page
    assert code_on(response) == code
    assert 'id="error-summary"' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert held_codes(app) == 1
    assert_still_shown(requester, code)
    (error,) = PageForms(page).errors["kept"]
    return page, error


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(not_its_end, NOT_THE_END, id="a wrong group"),
        pytest.param(lambda code: code[:4], NOT_THE_END, id="the first group"),
        pytest.param(lambda code: code[-3:], NOT_THE_END, id="three characters"),
        pytest.param(lambda code: "", EMPTY, id="an empty field"),
        pytest.param(lambda code: "   ", EMPTY, id="only spaces"),
        pytest.param(lambda code: "x" * 10_240, TOO_LONG, id="10 KB"),
    ],
)
def test_a_wrong_answer_shows_the_code_again_with_a_translated_error(
    app, requester, lang, answer, message
):
    if lang == "fr":
        speak_french(requester.client)
    code = sent(requester)

    _, error = refused_answer(app, requester, code, answer(code), lang)

    expected = translated(app, message, lang, **({"max": "100"} if message == TOO_LONG else {}))
    if lang != "en":
        assert expected != message, f"{message!r} is not translated into {lang}"
    assert error == expected


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_is_refused_with_a_translated_error_and_never_echoed_as_markup(
    app, requester, lang, name
):
    if lang == "fr":
        speak_french(requester.client)
    code = sent(requester)
    hostile = HOSTILE[name]

    page, error = refused_answer(app, requester, code, hostile, lang)

    possible = {translated(app, message, lang) for message in (NOT_THE_END, CONTROL)}
    assert error in possible
    assert lang == "en" or error not in (NOT_THE_END, CONTROL), "the error is not translated"
    if "<" in hostile:
        assert hostile not in page


def test_without_the_csrf_token_nothing_is_confirmed_nor_erased(app, requester):
    code = sent(requester)

    no_token = requester.client.post(CODE_PAGE, data={"kept": code[-4:]})
    stolen = csrf_token(app.test_client(), "/request")
    other_token = requester.client.post(CODE_PAGE, data={"kept": code, "csrf_token": stolen})

    for response in (no_token, other_token):
        assert response.status_code == 400
        assert_shows(app, response.get_data(as_text=True), "This form has expired")
        assert code not in response.get_data(as_text=True)
    assert held_codes(app) == 1
    assert_still_shown(requester, code)


# --- thirty minutes at most, and leaving forgets it ----------------------------------------


def test_after_thirty_minutes_the_code_page_no_longer_shows_it(app, requester, time_machine):
    time_machine.move_to(SENT_AT, tick=False)
    code = sent(requester)

    time_machine.move_to(SENT_AT + HELD - SECOND, tick=False)
    assert_still_shown(requester, code)

    time_machine.move_to(SENT_AT + HELD + SECOND, tick=False)
    assert_gone(requester.client.get(CODE_PAGE), code)
    assert held_codes(app) == 0
    assert_gone(requester.keep_code(code[-4:]), code)  # too late to confirm, nothing to thank


def test_the_purge_deletes_codes_held_for_more_than_thirty_minutes(app, time_machine):
    time_machine.move_to(SENT_AT, tick=False)
    early, late = Requester(app.test_client()), Requester(app.test_client())
    early_code = sent(early)
    time_machine.move_to(SENT_AT + datetime.timedelta(minutes=10), tick=False)
    late_code = sent(late)

    time_machine.move_to(SENT_AT + HELD + SECOND, tick=False)
    with app.app_context(), db.connection_context():
        sessions.purge_expired()
        (left,) = PendingCode.select()
        assert left.created_at == SENT_AT.replace(tzinfo=None) + datetime.timedelta(minutes=10)

    assert_gone(early.client.get(CODE_PAGE), early_code)
    assert_still_shown(late, late_code)


def test_leaving_quickly_forgets_the_code_even_for_a_copied_cookie(app, requester):
    code = sent(requester)
    copied = requester.client.get_cookie("session").value

    assert requester.client.get("/leave").status_code == 303

    assert held_codes(app) == 0
    assert_gone(requester.client.get(CODE_PAGE), code)
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert_gone(thief.get(CODE_PAGE), code)


# --- what the server holds ------------------------------------------------------------------


def test_the_held_code_is_sealed_and_keyed_by_a_hash_of_the_browsers_id(app, requester, tmp_path):
    code = sent(requester)
    browser_id = session_contents(app, requester.client)["csid"]

    with app.app_context(), db.connection_context():
        (held,) = PendingCode.select()
        sealed = bytes(held.code_sealed)
        assert held.id_hash != browser_id
        # Only the browser's id, which its cookie alone carries, opens it: not the keyring.
        aad = envelopes.context("pending-code", held.uid, "browser")
        assert envelopes.open_with(envelopes.session_key(browser_id), sealed, aad) == code.encode()
        with pytest.raises(envelopes.Unopenable):
            envelopes.open_with(envelopes.session_key(held.id_hash), sealed, aad)
        with pytest.raises(sealing.SealError):
            sealing.keyring().open(sealed, f"pending_code|code|{held.uid}")
    assert not any(form.encode() in sealed for form in forms_of(code))
    raw = database_bytes(tmp_path)
    for form in forms_of(code):
        assert form.encode() not in raw
        assert form.encode("utf-16-le") not in raw
    assert browser_id.encode() not in raw
    assert not any(form in browser_id for form in forms_of(code))


# --- how one gets there --------------------------------------------------------------------


def test_sending_with_htmx_leads_to_the_code_page_by_a_full_navigation(app, client):
    token = csrf_token(client)

    response = client.post(
        "/request",
        data=valid_request_data(csrf_token=token),
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == CODE_PAGE
    assert response.get_data() == b""
    code = code_on(client.get(CODE_PAGE))
    assert code
    assert not any(form in str(response.headers) for form in forms_of(code))


def filled_in(client):
    """The form as this browser would send it, with the tokens of the page it was given."""
    blank = PageForms(client.get("/request").get_data(as_text=True)).values
    return valid_request_data(
        csrf_token=blank["csrf_token"][0], submission_token=blank["submission_token"][0]
    )


def test_the_same_form_sent_twice_from_this_browser_leads_back_to_the_code_page(app, client):
    data = filled_in(client)
    assert client.post("/request", data=data).headers["Location"] == CODE_PAGE
    code = code_on(client.get(CODE_PAGE))

    again = client.post("/request", data=data)

    assert again.status_code == 303
    assert again.headers["Location"] == CODE_PAGE
    assert code_on(client.get(CODE_PAGE)) == code
    assert row_counts(app)["Request"] == 1
    assert held_codes(app) == 1


def test_the_same_form_sent_from_another_browser_gets_already_received(app, client):
    data = filled_in(client)
    assert client.post("/request", data=data).headers["Location"] == CODE_PAGE
    code = code_on(client.get(CODE_PAGE))
    other = app.test_client()

    # The same form, as a copy of the page sent from elsewhere would send it.
    again = other.post("/request", data={**data, "csrf_token": csrf_token(other)})

    assert again.status_code == 200
    page = text(again)
    assert ALREADY in page
    assert not any(form in page for form in forms_of(code))
    assert_gone(other.get(CODE_PAGE), code)
    assert row_counts(app)["Request"] == 1
    assert held_codes(app) == 1


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_tracking_form_says_case_spaces_and_dashes_do_not_matter(app, client, lang):
    page = client.get(f"/track?lang={lang}").get_data(as_text=True)

    assert_shows(app, page, TRACK_HINT, lang)
    assert 'aria-describedby="code-hint"' in page
    wrong = guess_code(client).get_data(as_text=True)
    assert_shows(app, wrong, TRACK_HINT, lang)


def test_the_sweep_erases_a_code_nobody_came_back_for(app, client, requester, time_machine):
    time_machine.move_to(datetime.datetime(2031, 3, 1, 9, 0), tick=False)
    requester.submit()
    time_machine.move_to(datetime.datetime(2031, 3, 1, 9, 31), tick=False)

    with app.app_context(), db.connection_context():
        assert jobs.sweep()["codes_erased"] == 1
        assert PendingCode.select().count() == 0


def test_the_tracking_pages_leave_button_forgets_a_held_code_too(client, requester):
    requester.submit()
    token = csrf_token(client, "/track")

    client.post("/track/leave", data={"csrf_token": token})

    assert 'id="tracking-code"' not in client.get("/request/code").get_data(as_text=True)


def test_sending_another_form_again_never_shows_the_code_this_browser_holds(app, client, requester):
    requester.submit(name="First request")  # this browser now holds the first code
    elsewhere = Requester(app.test_client())
    form = elsewhere.client.get("/request").get_data(as_text=True)
    token = re.search(r'name="submission_token"[^>]*value="([^"]+)"', form)[1]
    assert elsewhere.submit(name="Second request", submission_token=token).status_code == 303

    again = requester.submit(name="Second request", submission_token=token)

    assert again.status_code == 200
    assert "This request was already received" in html.unescape(again.get_data(as_text=True))
    assert 'id="tracking-code"' not in again.get_data(as_text=True)


def test_the_form_warns_that_a_new_request_replaces_a_code_not_yet_confirmed(client, requester):
    assert "not yet confirmed" not in client.get("/request").get_data(as_text=True)
    requester.submit()

    page = html.unescape(client.get("/request").get_data(as_text=True))

    assert "You have not yet confirmed that you kept the code" in page
    assert 'href="/request/code"' in page
