"""A defender's whole path without JavaScript: ask, keep the code, follow, write, withdraw, leave.

Everything here is what a person (or someone who got hold of their device or
cookie) would see: status codes, redirects, the text of the pages, the rows kept.
"""

import datetime
import html as htmllib
import re
from urllib.parse import urlsplit

import pytest

from portal import sessions, tracking, vocabulary, workflow
from portal.db import db
from portal.models import Message, Request, ServerSession, utcnow

from portal_testing import CODE_PAGE, PageForms, Requester, csrf_token, shown, valid_request_data
from portal_testing.keys import as_escrow

CODE = re.compile(r'id="tracking-code"[^>]*>([^<]+)<')
GENERIC_REFUSAL = "This code does not open a request. Check it and try again."
SESSION_ENDED_WHILE_WRITING = (
    "Your tracking session has ended. Enter your code to send your message."
)


def text(response):
    """The page as a person reads it: entities such as &#39; turned back into characters."""
    return htmllib.unescape(response.get_data(as_text=True))


def section(page, opening):
    """The part of a page from `opening` to the end of that list."""
    start = page.index(opening)
    return page[start : page.index("</ol>", start)]


def code_on(response):
    match = CODE.search(response.get_data(as_text=True))
    assert match, "no tracking code on the page"
    return match.group(1).strip()


def goes_to(response, path):
    assert response.status_code == 303, response.status_code
    return urlsplit(response.headers["Location"]).path == path


def post(client, path, **data):
    data.setdefault("csrf_token", csrf_token(client, "/track"))
    return client.post(path, data=data)


def is_code_entry(page):
    return 'name="code"' in page and 'id="status-heading"' not in page


def count(app, model):
    with app.app_context(), db.connection_context():
        return model.select().count()


def stored_request(app):
    with app.app_context(), db.connection_context():
        return Request.get()


def age_sessions(app, minutes):
    """Pretend every tracking session was last used `minutes` ago."""
    with app.app_context(), db.connection_context():
        then = utcnow() - datetime.timedelta(minutes=minutes)
        ServerSession.update(last_seen_at=then).execute()


@pytest.fixture
def opened(app, client, requester):
    """A requester who sent a request and opened it with the code; returns the code."""
    code = requester.submit_and_get_code(name="Comunidad La Esperanza")
    assert goes_to(requester.open(code), "/track")
    return code


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_a_defender_asks_follows_writes_and_withdraws_without_javascript(app, client, lang):
    form = client.get(f"/request?lang={lang}")
    assert form.status_code == 200
    page = text(form)
    assert f'<html lang="{lang}"' in page
    assert shown(lang, "Ask for accompaniment or a visit") in page

    requester = Requester(client)
    assert goes_to(requester.submit(name="Comunidad La Esperanza"), CODE_PAGE)
    code_page = client.get(CODE_PAGE)
    assert code_page.status_code == 200
    page = text(code_page)
    assert f'<html lang="{lang}"' in page
    assert shown(lang, "Your request has been received") in page
    code = code_on(code_page)

    assert goes_to(requester.keep_code(code[-4:]), "/track")
    page = text(client.get("/track"))
    assert shown(lang, "Thank you. Keep the code safe: you need it to follow your request.") in page
    assert is_code_entry(page)
    assert shown(lang, "The code is no longer shown here") in text(client.get(CODE_PAGE))

    assert goes_to(requester.open(code.lower().replace("-", " ")), "/track")
    page = text(client.get("/track"))
    assert f'<html lang="{lang}"' in page
    assert shown(lang, "Received") in section(page, '<ol class="timeline">')
    assert "Comunidad La Esperanza" in page

    answer = "Las audiencias empiezan el 3 de marzo en Popayán."
    assert goes_to(post(client, "/track/message", body=answer), "/track")
    page = text(client.get("/track"))
    assert shown(lang, "Your message was sent.") in page
    assert answer in section(page, '<ol class="messages"')

    confirm_page = client.get("/track/withdraw")
    assert confirm_page.status_code == 200
    assert shown(lang, "Withdraw your request") in text(confirm_page)
    assert goes_to(post(client, "/track/withdraw", confirm="y"), "/track")
    page = text(client.get("/track"))
    assert shown(lang, "Your request has been withdrawn.") in page
    assert shown(lang, "Withdrawn by you") in section(page, '<ol class="timeline">')

    stored = stored_request(app)
    assert stored.state == "withdrawn"
    assert stored.locale == lang


def test_the_code_is_shown_once_on_a_page_no_cache_may_keep(requester):
    response = requester.submit_and_follow()
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    code = code_on(response)
    assert response.get_data(as_text=True).count(code) == 1


def test_the_tracking_page_is_not_kept_in_any_cache(client, opened):
    response = client.get("/track")
    assert "no-store" in response.headers["Cache-Control"]


def test_sending_the_same_form_twice_keeps_one_request(app, client):
    blank = PageForms(client.get("/request").get_data(as_text=True)).values
    data = valid_request_data(
        csrf_token=blank["csrf_token"][0], submission_token=blank["submission_token"][0]
    )
    assert goes_to(client.post("/request", data=data), CODE_PAGE)
    code = code_on(client.get(CODE_PAGE))

    # Sent again while its code is still shown to this browser: the same code, shown again.
    assert goes_to(client.post("/request", data=data), CODE_PAGE)
    assert code_on(client.get(CODE_PAGE)) == code
    assert count(app, Request) == 1

    assert goes_to(Requester(client).keep_code(code), "/track")
    third = client.post("/request", data=data)
    assert third.status_code == 200
    page = text(third)
    assert "This request was already received" in page
    assert 'id="tracking-code"' not in page
    assert code not in page
    assert count(app, Request) == 1


def test_a_form_corrected_after_an_error_is_still_received(app, client):
    blank = PageForms(client.get("/request").get_data(as_text=True)).values
    tokens = {
        "csrf_token": blank["csrf_token"][0],
        "submission_token": blank["submission_token"][0],
    }
    refused = client.post("/request", data=valid_request_data(name="", **tokens))
    assert 'id="tracking-code"' not in refused.get_data(as_text=True)
    resent = PageForms(refused.get_data(as_text=True)).values["submission_token"]
    assert resent == [tokens["submission_token"]]

    accepted = client.post("/request", data=valid_request_data(**tokens))
    assert goes_to(accepted, CODE_PAGE)
    code_on(client.get(CODE_PAGE))
    assert count(app, Request) == 1


def test_a_wrong_code_and_garbage_get_the_same_generic_answer(app, requester):
    real = requester.submit_and_get_code()
    near_miss = real[:-1] + ("2" if real[-1] != "2" else "3")
    answers = {}
    for typed in (tracking.new_code(), near_miss, "hello, is it me?", "12345"):
        response = requester.open(typed)
        page = PageForms(response.get_data(as_text=True))
        answers[typed] = (response.status_code, page.errors)
        assert page.values["code"] == [typed]
    assert set(map(repr, answers.values())) == {repr((200, {"code": [GENERIC_REFUSAL]}))}


def test_a_wrong_code_opens_nothing(client, requester):
    requester.submit_and_get_code(name="Comunidad La Esperanza")
    requester.open(tracking.new_code())
    page = text(client.get("/track"))
    assert is_code_entry(page)
    assert "Comunidad La Esperanza" not in page


def test_a_correct_code_typed_in_lower_case_with_spaces_opens_the_request(client, requester):
    code = requester.submit_and_get_code(name="Comunidad La Esperanza")
    typed = " " + code.lower().replace("-", " ") + " "
    response = requester.open(typed)
    assert goes_to(response, "/track")
    page = text(client.get("/track"))
    assert "Comunidad La Esperanza" in page
    assert "Received" in section(page, '<ol class="timeline">')


def test_added_information_appears_in_the_thread(app, client, opened):
    assert goes_to(post(client, "/track/message", body="The hearing moved to Friday."), "/track")
    page = text(client.get("/track"))
    thread = section(page, '<ol class="messages"')
    assert "The hearing moved to Friday." in thread
    assert "You" in thread
    assert count(app, Message) == 1


@pytest.mark.parametrize("body", ["", "   \r\n  "], ids=["empty", "only spaces"])
def test_an_empty_message_is_refused(app, client, opened, body):
    response = post(client, "/track/message", body=body)
    assert response.status_code == 200
    page = PageForms(response.get_data(as_text=True))
    assert page.errors == {"body": ["Please write something before sending."]}
    assert count(app, Message) == 0


def test_withdrawing_asks_for_confirmation_first(app, client, opened):
    response = client.get("/track/withdraw")
    assert response.status_code == 200
    page = text(response)
    assert "Withdraw your request" in page
    assert re.search(r'<input[^>]* name="confirm"[^>]* type="checkbox"', page)
    assert stored_request(app).state == "submitted"


def test_withdrawing_without_ticking_the_box_is_refused(app, client, opened):
    response = post(client, "/track/withdraw")
    assert response.status_code == 200
    assert PageForms(response.get_data(as_text=True)).errors == {
        "confirm": ["Please tick the box to confirm."]
    }
    assert stored_request(app).state == "submitted"


def test_a_withdrawn_request_shows_it_and_offers_no_more_actions(app, client, opened):
    assert goes_to(post(client, "/track/withdraw", confirm="y"), "/track")
    page = text(client.get("/track"))
    assert "Withdrawn by you" in page.split('id="status-heading"')[1].split("</h2>")[0]
    timeline = section(page, '<ol class="timeline">')
    assert timeline.index("Received") < timeline.index("Withdrawn by you")
    assert 'action="/track/message"' not in page
    assert 'href="/track/withdraw"' not in page
    assert 'action="/track/leave"' in page
    assert stored_request(app).state == "withdrawn"


def test_a_message_after_withdrawal_is_refused(app, client, opened):
    post(client, "/track/withdraw", confirm="y")
    response = post(client, "/track/message", body="One more thing")
    assert goes_to(response, "/track")
    page = text(client.get("/track"))
    assert "This request is closed; messages can no longer be added." in page
    assert "One more thing" not in page
    assert count(app, Message) == 0


def test_a_withdrawn_request_cannot_be_withdrawn_again(app, client, opened):
    post(client, "/track/withdraw", confirm="y")
    assert goes_to(client.get("/track/withdraw"), "/track")
    assert goes_to(post(client, "/track/withdraw", confirm="y"), "/track")
    assert "This request is already closed." in text(client.get("/track"))
    with app.app_context(), db.connection_context():
        states = [event.to_state for event in Request.get().timeline()]
    assert states == ["submitted", "withdrawn"]


def test_leaving_ends_the_session_even_for_a_copied_cookie(app, client, opened):
    copied = client.get_cookie("session").value

    # The danger: before leaving, a copy of the cookie opens the request anywhere.
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert "Comunidad La Esperanza" in text(thief.get("/track"))

    assert goes_to(post(client, "/track/leave"), "/")
    assert "You have left the tracking page." in text(client.get("/"))
    assert is_code_entry(text(client.get("/track")))

    thief = app.test_client()
    thief.set_cookie("session", copied)
    page = text(thief.get("/track"))
    assert is_code_entry(page)
    assert "Comunidad La Esperanza" not in page
    assert count(app, ServerSession) == 0


def test_an_idle_session_expires(app, client, opened):
    age_sessions(app, app.config["TRACKING_IDLE_MINUTES"] + 1)
    page = text(client.get("/track"))
    assert is_code_entry(page)
    assert "Comunidad La Esperanza" not in page
    assert count(app, ServerSession) == 0


def test_a_session_in_use_stays_open(app, client, opened):
    age_sessions(app, app.config["TRACKING_IDLE_MINUTES"] - 1)
    assert "Comunidad La Esperanza" in text(client.get("/track"))
    # Using it counts as activity: the idle time starts again.
    with app.app_context(), db.connection_context():
        last_seen = ServerSession.get().last_seen_at
    assert utcnow() - last_seen < datetime.timedelta(minutes=1)


def opened_minutes_ago(app, minutes):
    """Pretend every tracking session was opened `minutes` ago, and used just now."""
    with app.app_context(), db.connection_context():
        now = utcnow()
        ServerSession.update(
            created_at=now - datetime.timedelta(minutes=minutes), last_seen_at=now
        ).execute()


def test_a_session_in_constant_use_still_ends_two_hours_after_the_code(app, client, opened):
    assert app.config["TRACKING_ABSOLUTE_MINUTES"] == 120
    opened_minutes_ago(app, 119)
    assert "Comunidad La Esperanza" in text(client.get("/track"))

    opened_minutes_ago(app, 121)
    page = text(client.get("/track"))

    assert is_code_entry(page)
    assert "Comunidad La Esperanza" not in page
    assert count(app, ServerSession) == 0


def test_the_purge_ends_tracking_sessions_past_their_lifetime(app, client, opened):
    opened_minutes_ago(app, 121)

    with app.app_context(), db.connection_context():
        assert sessions.purge_expired() == 1
    assert count(app, ServerSession) == 0


def test_a_message_written_as_the_session_expired_is_kept_and_sent_with_the_code(
    app, client, opened
):
    answer = "Sí, la audiencia es el viernes.\r\nGracias."
    token = csrf_token(client, "/track")  # the page they were writing on
    age_sessions(app, app.config["TRACKING_IDLE_MINUTES"] + 1)

    response = post(client, "/track/message", body=answer, csrf_token=token)
    assert response.status_code == 200
    entry = PageForms(response.get_data(as_text=True))
    assert entry.errors == {"code": [SESSION_ENDED_WHILE_WRITING]}
    assert entry.values["pending_message"] == [answer]
    assert count(app, Message) == 0

    resend = {name: values[0] for name, values in entry.values.items()}
    resend["code"] = opened
    assert goes_to(client.post("/track", data=resend), "/track")
    page = text(client.get("/track"))
    assert "Your message was sent." in page
    assert "Sí, la audiencia es el viernes." in section(page, '<ol class="messages"')
    with app.app_context(), db.connection_context(), as_escrow():
        assert Message.get().body == answer


def test_two_browsers_each_see_only_their_own_request(app):
    first, second = app.test_client(), app.test_client()
    code_a = Requester(first).submit_and_get_code(name="Alpha Collective", place="Tumaco")
    code_b = Requester(second).submit_and_get_code(name="Beta Community", place="Quibdo")
    assert goes_to(Requester(first).open(code_a), "/track")
    assert goes_to(Requester(second).open(code_b), "/track")

    page_a, page_b = text(first.get("/track")), text(second.get("/track"))
    assert "Alpha Collective" in page_a and "Tumaco" in page_a
    assert "Beta Community" not in page_a and "Quibdo" not in page_a
    assert "Beta Community" in page_b and "Quibdo" in page_b
    assert "Alpha Collective" not in page_b and "Tumaco" not in page_b

    post(first, "/track/message", body="Note from Alpha")
    assert "Note from Alpha" not in text(second.get("/track"))


def test_a_session_opens_only_the_request_of_its_code(client, requester):
    code_a = requester.submit_and_get_code(name="Alpha Collective", situation="Alpha situation")
    code_b = requester.submit_and_get_code(name="Beta Community", situation="Beta situation")

    assert goes_to(requester.open(code_a), "/track")
    page = text(client.get("/track"))
    assert "Alpha Collective" in page
    assert "Beta Community" not in page and "Beta situation" not in page

    # Opening another code in the same browser replaces the first session.
    assert goes_to(requester.open(code_b), "/track")
    page = text(client.get("/track"))
    assert "Beta Community" in page
    assert "Alpha Collective" not in page and "Alpha situation" not in page


def test_a_pending_message_sent_with_the_code_reaches_the_thread(app, client, requester):
    code = requester.submit_and_get_code()
    response = post(client, "/track", code=code, pending_message="Written before the code.")
    assert goes_to(response, "/track")
    page = text(client.get("/track"))
    assert "Your message was sent." in page
    assert "Written before the code." in section(page, '<ol class="messages"')
    assert count(app, Message) == 1


def test_withdrawing_after_the_session_expired_asks_for_the_code_again(app, client, opened):
    token = csrf_token(client, "/track/withdraw")
    age_sessions(app, app.config["TRACKING_IDLE_MINUTES"] + 1)
    assert goes_to(post(client, "/track/withdraw", confirm="y", csrf_token=token), "/track")
    page = text(client.get("/track"))
    assert "Your tracking session has ended. Enter your code again." in page
    assert is_code_entry(page)
    assert stored_request(app).state == "submitted"


# --- switching language on the form ---------------------------------------------------------


def test_switching_language_on_the_form_keeps_what_was_typed(client):
    page = client.get("/request?lang=en").get_data(as_text=True)
    assert 'formaction="/request/language?lang=fr"' in page
    typed = valid_request_data(
        csrf_token=csrf_token(client),
        situation="Nous sommes suivis depuis mars. <b>Pas de JavaScript</b>",
        start_date="not a date yet",
    )

    response = client.post("/request/language?lang=fr", data={**typed, "switch_language": "fr"})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert "Please check what you wrote" not in page and "error-message" not in page
    form = PageForms(page)
    for name in ("situation", "place", "name", "start_date", "people_count"):
        assert form.values[name] == [typed[name]], name
    assert "&lt;b&gt;Pas de JavaScript&lt;/b&gt;" in page
    assert 'formaction="/request/language?lang=en"' in page
    # Nothing was stored, and the next page stays in French.
    with client.application.app_context():
        assert Request.select().count() == 0
    assert '<html lang="fr"' in client.get("/track").get_data(as_text=True)


def test_switching_language_needs_the_forms_csrf_token(client):
    response = client.post("/request/language?lang=es", data={"place": "Cauca"})

    assert response.status_code == 400


def test_switching_language_on_the_tracking_page_keeps_the_message_being_written(app, requester):
    code = requester.submit_and_get_code()
    requester.open(code)
    client = requester.client
    page = client.get("/track?lang=en").get_data(as_text=True)
    assert 'formaction="/track/language?lang=es"' in page
    token = PageForms(page).values["csrf_token"][0]
    message = "La audiencia se aplazó al <b>martes</b>."

    response = client.post(
        "/track/language?lang=es",
        data={"csrf_token": token, "body": message, "switch_language": "es"},
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="es"' in page
    assert PageForms(page).values["body"] == [message]
    assert "error-message" not in page
    with app.app_context():
        assert Message.select().count() == 0  # nothing is sent until Send is pressed


def test_switching_language_after_the_tracking_session_ended_keeps_the_message(app, requester):
    code = requester.submit_and_get_code()
    requester.open(code)
    client = requester.client
    token = PageForms(client.get("/track").get_data(as_text=True)).values["csrf_token"][0]
    with app.app_context():
        ServerSession.delete().execute()

    response = client.post(
        "/track/language?lang=fr", data={"csrf_token": token, "body": "Encore une visite."}
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert PageForms(page).values["pending_message"] == ["Encore une visite."]
    with app.app_context():
        assert Message.select().count() == 0


def test_a_closed_request_has_plain_language_links_on_its_tracking_page(app, requester):
    code = requester.submit_and_get_code()
    requester.open(code)
    with app.app_context():
        request = Request.get()
        workflow.transition(request, vocabulary.WITHDRAWN, "requester")

    page = requester.client.get("/track?lang=en").get_data(as_text=True)

    assert "/track/language" not in page
    assert 'href="/track?lang=fr"' in page


def test_a_requester_can_stop_the_emails_and_the_address_goes_with_what_was_owed(
    app, client, requester
):
    from portal.models import Notice

    code = requester.submit_and_get_code(notify_email="someone@example.net")
    with app.app_context(), db.connection_context():
        request = Request.get()
        workflow.transition(request, vocabulary.IN_REVIEW, vocabulary.STAFF)
        assert Notice.select().where(Notice.request == request).count() == 1
    requester.open(code)
    assert "Stop the emails" in text(client.get("/track"))

    token = csrf_token(client, "/track")
    assert client.post("/track/stop-notices", data={"csrf_token": token}).status_code == 303

    page = text(client.get("/track"))
    assert "No more emails will be sent about this request." in page
    assert "Stop the emails" not in page
    with app.app_context(), db.connection_context():
        assert Request.get().notify_email_sealed is None
        assert Notice.select().count() == 0


def test_stopping_the_emails_needs_the_tracking_session(app, client, requester):
    requester.submit_and_get_code(notify_email="someone@example.net")
    client.post("/track/leave", data={"csrf_token": csrf_token(client, "/track")})

    token = csrf_token(client, "/track")
    response = client.post("/track/stop-notices", data={"csrf_token": token})

    assert response.status_code == 303
    with app.app_context(), db.connection_context():
        assert Request.get().notify_email_sealed is not None
