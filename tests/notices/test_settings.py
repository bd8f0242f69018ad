"""/staff/settings: an account's language (of its pages and of its emails) and, for each kind
of notice its role may hear of, how soon: immediately, in the daily digest, or never."""

import re

import pytest

from portal import notices
from portal.models import AuditEvent, NoticeChoice, User
from portal.vocabulary import DEFAULT_TIMING, NOTICES_BY_ROLE

from .mailboxes import addressed_to, expected_notice, outbox
from portal_testing import (
    HOSTILE,
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    PageForms,
    Requester,
    csrf_token,
    links_named,
    page_text,
    speak_french,
    translated,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

SETTINGS = "/staff/settings"
SAVED = "Your settings were saved."
NO_SUCH_LANGUAGE = "Please choose a language from the list."
NO_SUCH_TIMING = "Please choose one of the options."
NO_TIMING = "Please choose when to hear of this."
KIND_FIELD = re.compile(r'name="notice_(\w+)"')


def shown_kinds(page):
    """The kinds of notice the page offers a choice for, in its order."""
    return list(dict.fromkeys(KIND_FIELD.findall(page)))


def form_as_shown(staff):
    """What the settings form would send untouched: {field: value}."""
    values = PageForms(staff.page(SETTINGS)).values
    return {name: value[0] for name, value in values.items() if name != "csrf_token"}


def stored_settings(app, user):
    with app.app_context():
        account = User.get_by_id(user.id)
        return {
            "locale": account.locale,
            "choices": sorted(
                (row.kind, row.timing)
                for row in NoticeChoice.select().where(NoticeChoice.user == account)
            ),
            "audited": AuditEvent.select()
            .where(AuditEvent.action == "account.settings_changed")
            .count(),
        }


def html_lang(page):
    return re.search(r'<html lang="([^"]+)"', page).group(1)


@pytest.mark.parametrize("role", ["admin", "reviewer", "org_member"])
def test_each_role_is_offered_only_the_kinds_it_may_hear_of_with_their_defaults(sign_in_as, role):
    staff = sign_in_as(role)

    page = staff.page(SETTINGS)

    assert shown_kinds(page) == list(NOTICES_BY_ROLE[role])
    values = form_as_shown(staff)
    assert values == {
        "language": "",
        **{f"notice_{kind}": DEFAULT_TIMING[kind] for kind in NOTICES_BY_ROLE[role]},
    }


@pytest.mark.parametrize("role", ["admin", "reviewer", "org_member"])
def test_every_staff_start_page_links_to_the_settings(sign_in_as, role):
    staff = sign_in_as(role)

    assert SETTINGS in links_named(staff.page("/staff/"), "Language and notifications")


def test_the_page_names_the_address_notices_go_to(reviewer):
    assert reviewer.user.email in reviewer.text(SETTINGS)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(SETTINGS)

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/staff/sign-in?next=")


def test_choosing_french_makes_the_next_pages_french_whatever_the_cookie_or_link_says(
    app, reviewer
):
    reviewer.client.set_cookie(app.config["LANG_COOKIE_NAME"], "es")
    assert html_lang(reviewer.page("/review/")) == "es"

    response = reviewer.post(SETTINGS, {**form_as_shown(reviewer), "language": "fr"})

    assert response.status_code == 303
    assert response.headers["Location"] == SETTINGS
    page = reviewer.page(SETTINGS)
    assert html_lang(page) == "fr"
    for path in ("/review/", "/staff/", "/review/?lang=en", "/staff/?lang=es"):
        assert html_lang(reviewer.page(path)) == "fr", path
    # The header's language buttons post to /staff/language (which changes the setting
    # and keeps what is being typed); no plain links that the account's language would beat.
    header = reviewer.page("/staff/").split("</header>")[0]
    assert header.count('formaction="/staff/language?lang=') == 2
    assert 'aria-current="true" lang="fr"' in header
    assert "hreflang=" not in header
    assert stored_settings(app, reviewer.user) == {"locale": "fr", "choices": [], "audited": 1}


def test_the_saved_message_is_in_the_language_just_chosen(app, reviewer):
    response = reviewer.post(SETTINGS, {**form_as_shown(reviewer), "language": "fr"})

    page = page_text(reviewer.client.get(response.headers["Location"]))
    saved = translated(app, SAVED, "fr")
    assert saved != SAVED
    assert saved in page


def test_back_to_the_browsers_language_the_cookie_decides_again(app, reviewer):
    reviewer.post(SETTINGS, {**form_as_shown(reviewer), "language": "fr"})
    reviewer.client.set_cookie(app.config["LANG_COOKIE_NAME"], "es")

    response = reviewer.post(SETTINGS, {**form_as_shown(reviewer), "language": ""})

    assert response.status_code == 303
    page = reviewer.page("/staff/")
    assert html_lang(page) == "es"
    assert 'formaction="/staff/language?lang=fr' in page.split("</header>")[0]
    assert stored_settings(app, reviewer.user)["locale"] is None


def test_only_the_choices_that_differ_from_the_default_are_stored(app, reviewer):
    chosen = {"notice_new_emergency": "never", "notice_new_request": "now"}

    response = reviewer.post(SETTINGS, {**form_as_shown(reviewer), **chosen})

    assert response.status_code == 303
    assert stored_settings(app, reviewer.user)["choices"] == [
        ("new_emergency", "never"),
        ("new_request", "now"),
    ]
    values = form_as_shown(reviewer)
    assert values["notice_new_emergency"] == "never"
    assert values["notice_new_request"] == "now"
    assert values["notice_progress"] == "digest"
    # Back to the default: nothing stored for it.
    reviewer.post(SETTINGS, {**form_as_shown(reviewer), "notice_new_emergency": "now"})
    assert stored_settings(app, reviewer.user)["choices"] == [("new_request", "now")]


INVALID = {
    "a language the portal does not have": ({"language": "de"}, "language", NO_SUCH_LANGUAGE),
    "a language with a NUL": ({"language": "fr\x00"}, "language", NO_SUCH_LANGUAGE),
    "a timing that does not exist": (
        {"notice_new_emergency": "sometimes"},
        "notice_new_emergency",
        NO_SUCH_TIMING,
    ),
    "an empty timing": ({"notice_progress": ""}, "notice_progress", NO_TIMING),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_a_value_that_is_not_offered_is_refused_in_the_pages_language(app, reviewer, case):
    changes, field, english = INVALID[case]
    speak_french(reviewer.client)

    response = reviewer.post(SETTINGS, {**form_as_shown(reviewer), **changes})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert html_lang(page) == "fr"
    error = translated(app, english, "fr")
    assert error != english
    assert PageForms(page).errors[field] == [error]
    assert stored_settings(app, reviewer.user) == {"locale": None, "choices": [], "audited": 0}


def test_hostile_values_are_refused_never_stored_and_never_echoed(app, reviewer):
    for name, value in HOSTILE.items():
        for field in ("language", "notice_new_emergency"):
            response = reviewer.post(SETTINGS, {**form_as_shown(reviewer), field: value})

            assert response.status_code == 200, (name, field)
            page = response.get_data(as_text=True)
            assert PageForms(page).errors[field], (name, field)
            if "<" in value:
                assert value not in page, (name, field)
    assert stored_settings(app, reviewer.user) == {"locale": None, "choices": [], "audited": 0}


def test_a_kind_of_another_role_posted_by_hand_is_never_stored_nor_heard_of(app, reviewer):
    forged = {"notice_job_failed": "now", "notice_escalated": "now", "notice_new_offer": "now"}

    reviewer.post(SETTINGS, {**form_as_shown(reviewer), **forged})

    assert stored_settings(app, reviewer.user)["choices"] == []
    with app.app_context():
        user = User.get_by_id(reviewer.user.id)
        assert set(notices.timings(user)) == set(NOTICES_BY_ROLE["reviewer"])
        for kind in ("job_failed", "escalated"):
            assert notices.to_administrators(kind) == 0
        with pytest.raises(notices.SettingsRefused):
            notices.save_settings(user, None, {"job_failed": "now"})
        with pytest.raises(notices.SettingsRefused):
            notices.save_settings(user, "de", {})
    assert stored_settings(app, reviewer.user)["choices"] == []


@pytest.mark.parametrize("forged", ["no token", "another browser's token"])
def test_settings_need_the_csrf_token_of_the_accounts_own_browser(app, reviewer, forged):
    data = {**form_as_shown(reviewer), "language": "fr", "notice_new_emergency": "never"}
    if forged == "another browser's token":
        data["csrf_token"] = csrf_token(app.test_client(), "/staff/sign-in")

    response = reviewer.client.post(SETTINGS, data=data)

    assert response.status_code == 400
    assert stored_settings(app, reviewer.user) == {"locale": None, "choices": [], "audited": 0}
    assert html_lang(reviewer.page("/staff/")) == "en"


def test_notices_are_written_in_the_language_the_account_chose(app, reviewer, sign_in_as):
    admin = sign_in_as("admin")
    reviewer.post(SETTINGS, {**form_as_shown(reviewer), "language": "fr"})
    speak_french(admin.client)  # the administrator's pages are French, by the browser only

    Requester(app.test_client()).submit(urgency="emergency")

    (french,) = addressed_to(outbox(app), reviewer.user.email)
    expected = expected_notice(app, reviewer.user.email, "fr")
    assert french.subject == expected["Subject"] == translated(app, "Something new for you", "fr")
    assert french.body == expected.get_content()
    assert french.body != expected_notice(app, reviewer.user.email, "en").get_content()
    # An account that chose no language gets English: its browser is not there to ask.
    (english,) = addressed_to(outbox(app), admin.user.email)
    assert english.subject == "Something new for you"
    assert english.body == expected_notice(app, admin.user.email, "en").get_content()


def test_the_outbox_copy_says_its_language(app, reviewer):
    reviewer.post(SETTINGS, {**form_as_shown(reviewer), "language": "fr"})

    Requester(app.test_client()).submit(urgency="emergency")

    (mail,) = addressed_to(outbox(app), reviewer.user.email)
    assert mail.language == "fr"
