"""Leaving quickly and leaving little behind: the exit route, neutral titles, and what the
form sends before Send."""

import re

import pytest

from portal.db import db
from portal.intake.forms import CHECKED_WHILE_TYPING
from portal.models import ServerSession

from portal_testing import PASSWORD_ALONE, csrf_token, valid_request_data

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

PUBLIC_PAGES = [
    "/",
    "/request",
    "/request/code",
    "/track",
    "/organizations",
    "/safety",
    "/no-such-page",
]
STAFF_PAGES = ["/staff/", "/review/", "/admin/accounts"]
LEAVE = '<a class="leave-quickly" href="/leave"'
IDENTIFYING = [
    "name",
    "organization",
    "place",
    "situation",
    "asked_for",
    "other_languages",
    "contact_detail",
    "notify_email",
]


def htmx_post(client, path, data, **headers):
    return client.post(path, data=data, headers={"HX-Request": "true", **headers})


def title(page: str) -> str:
    return re.search(r"<title>([^<]*)</title>", page)[1]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_offers_to_leave_quickly_first(client, path):
    page = client.get(path).get_data(as_text=True)

    body = page.split("<body", 1)[1]
    assert LEAVE in body
    assert body.index(LEAVE) < body.index('class="skip-link"')  # first to Tab to


@pytest.mark.parametrize("path", PUBLIC_PAGES)
@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_a_public_page_is_titled_with_the_site_name_alone(client, path, lang):
    page = client.get(f"{path}?lang={lang}").get_data(as_text=True)

    assert title(page) == "Portal"


@pytest.mark.app_config(SITE_NAME="Recetas de la abuela")
def test_the_site_name_is_a_setting(client):
    assert title(client.get("/request").get_data(as_text=True)) == "Recetas de la abuela"


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_keep_a_descriptive_title_and_no_leave_button(admin, path):
    page = admin.get(path).get_data(as_text=True)

    assert title(page).endswith(" · Portal")
    assert title(page) != "Portal"
    assert LEAVE not in page


def test_leaving_ends_the_tracking_session_and_clears_the_site(app, client, requester):
    code = requester.submit_and_get_code()
    requester.open(code)
    with app.app_context(), db.connection_context():
        assert ServerSession.select().count() == 1

    response = client.get("/leave")

    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.wikipedia.org/"
    assert response.headers["Clear-Site-Data"] == '"cache", "cookies", "storage"'
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context(), db.connection_context():
        assert ServerSession.select().count() == 0
    assert "Your request" not in client.get("/track").get_data(as_text=True)


@pytest.mark.app_config(EXIT_URL="https://weather.example/today")
def test_the_exit_is_a_setting(client):
    assert client.get("/leave").headers["Location"] == "https://weather.example/today"


def test_leaving_ends_a_staff_session_too(app, admin):
    admin.get("/leave")

    assert admin.get("/staff/").status_code in (302, 303)
    with app.app_context(), db.connection_context():
        assert ServerSession.select().count() == 0


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_safety_page_says_what_leaving_cannot_erase(client, lang):
    response = client.get(f"/safety?lang={lang}")

    assert response.status_code == 200
    assert 'id="page-heading"' in response.get_data(as_text=True)


def test_the_form_and_the_code_page_link_to_the_safety_page(client, requester):
    assert 'href="/safety"' in client.get("/request").get_data(as_text=True)
    assert 'href="/safety"' in requester.submit_and_follow().get_data(as_text=True)


def test_the_form_checks_only_non_identifying_fields_while_typing_each_alone(client):
    page = client.get("/request").get_data(as_text=True)

    checked = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if "hx-post=" in tag:
            name = re.search(r'name="([^"]+)"', tag)[1]
            checked[name] = re.search(r'hx-params="([^"]+)"', tag)[1].split(",")
    assert set(checked) == CHECKED_WHILE_TYPING
    for name, sent in checked.items():
        assert set(sent) <= CHECKED_WHILE_TYPING
        assert name in sent
    assert "Nothing you type leaves this device until you press Send" in page


@pytest.mark.parametrize("field", IDENTIFYING + ["languages", "consent", "contact_safe"])
def test_the_check_while_typing_refuses_fields_that_wait_for_send(client, field):
    form = valid_request_data(csrf_token=csrf_token(client))

    response = htmx_post(client, "/request/validate", form, **{"HX-Trigger-Name": field})

    assert response.status_code == 400
    assert 'id="field-' not in response.get_data(as_text=True)


def test_the_end_date_is_checked_against_the_start_date_sent_with_it(client):
    token = csrf_token(client)
    data = {"csrf_token": token, "start_date": "2031-05-10", "end_date": "2031-05-01"}

    response = htmx_post(client, "/request/validate", data, **{"HX-Trigger-Name": "end_date"})

    assert response.status_code == 422
    assert "The end date cannot be before the start date." in response.get_data(as_text=True)
