"""The request form, posted as a browser without JavaScript would post it.

A refused form comes back with status 200, the reason next to the field that
needs fixing, and everything else the person wrote still in place.
"""

import datetime
import re

import pytest
from babel.numbers import format_decimal

from portal import tracking
from portal.db import db
from portal.models import Request

from portal_testing import PageForms, Requester, database_bytes, shown, valid_request_data
from portal_testing.keys import as_escrow


def as_posted(data):
    """The form values as the page would send them again, for comparison."""
    return {
        name: list(value) if isinstance(value, list) else [value]
        for name, value in data.items()
        if name != "csrf_token"
    }


def send(client, **overrides):
    """Open the form, fill it in (None leaves a field out, like an unticked box), send it;
    the page it leads to (the code page once received) and the data sent."""
    blank = PageForms(client.get("/request").get_data(as_text=True)).values
    data = valid_request_data(**overrides)
    data = {name: value for name, value in data.items() if value is not None}
    data.setdefault("csrf_token", blank["csrf_token"][0])
    data.setdefault("submission_token", blank["submission_token"][0])
    response = client.post("/request", data=data)
    return Requester(client).follow(response), data


def refused(response):
    """The page a refused form gives back; fails if the request went through."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="tracking-code"' not in html, "the form was accepted"
    return PageForms(html)


def accepted(response):
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="tracking-code"' in html, f"the form was refused: {PageForms(html).errors}"
    return html


def stored_requests(app):
    with app.app_context(), db.connection_context():
        return list(Request.select())


def utc_today():
    return datetime.datetime.now(datetime.UTC).date()


# field, how it is left empty (None: not sent at all), the message shown by it
REQUIRED = [
    ("service", None, "Please choose a service."),
    ("requester_kind", None, "Please say who is asking."),
    ("name", "", "Please give a name or pseudonym."),
    ("country", "", "Please choose a country."),
    ("place", "", "Please say where."),
    ("situation", "", "Please describe the situation."),
    ("asked_for", "", "Please say what you are asking for."),
    ("urgency", None, "Please say how urgent it is."),
    ("start_date", "", "Please give a start date."),
    ("people_count", "", "Please say how many people."),
    ("languages", None, "Please choose at least one language, or write it below."),
    ("consent", None, "We can only act on your request with your agreement."),
]


@pytest.mark.parametrize("field, empty, message", REQUIRED, ids=[r[0] for r in REQUIRED])
def test_a_missing_answer_is_explained_by_its_field_and_the_rest_is_kept(
    app, client, field, empty, message
):
    response, posted = send(client, **{field: empty})
    page = refused(response)
    assert page.errors == {field: [message]}
    assert {k: v for k, v in page.values.items() if k != "csrf_token"} == as_posted(posted)
    assert stored_requests(app) == []


def test_the_error_summary_links_to_each_field_left_empty(client):
    response, _ = send(client, name="", service=None, consent=None)
    html = response.get_data(as_text=True)
    assert 'href="#name"' in html
    assert 'href="#service-0"' in html
    assert 'href="#consent"' in html


@pytest.mark.parametrize("field", ["name", "place", "situation", "asked_for"])
def test_only_spaces_and_line_breaks_count_as_missing(app, client, field):
    response, _ = send(client, **{field: "  \r\n\t  "})
    page = refused(response)
    assert list(page.errors) == [field]
    assert stored_requests(app) == []


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_missing_answers_are_explained_in_the_page_language(client, lang):
    client.get(f"/request?lang={lang}")
    response, _ = send(client, **{field: empty for field, empty, _ in REQUIRED})
    page = refused(response)
    for field, _, message in REQUIRED:
        assert page.errors.get(field) == [shown(lang, message)], field


def test_a_start_date_in_the_past_is_refused(app, client):
    two_days_ago = utc_today() - datetime.timedelta(days=2)
    response, _ = send(client, start_date=two_days_ago.isoformat())
    page = refused(response)
    assert page.errors == {"start_date": ["The start date cannot be in the past."]}
    assert page.values["start_date"] == [two_days_ago.isoformat()]
    assert stored_requests(app) == []


def test_yesterday_in_utc_is_accepted_for_people_behind_utc(app, client):
    yesterday = utc_today() - datetime.timedelta(days=1)
    accepted(send(client, start_date=yesterday.isoformat(), end_date="")[0])
    (stored,) = stored_requests(app)
    assert stored.start_date == yesterday


def test_a_start_date_more_than_three_years_ahead_is_refused(client):
    far = utc_today() + datetime.timedelta(days=4 * 366)
    page = refused(send(client, start_date=far.isoformat())[0])
    assert page.errors == {
        "start_date": ["Please choose a start date within the next three years."]
    }


def test_an_end_date_before_the_start_is_refused(client):
    start = utc_today() + datetime.timedelta(days=10)
    end = start - datetime.timedelta(days=1)
    page = refused(send(client, start_date=start.isoformat(), end_date=end.isoformat())[0])
    assert page.errors == {"end_date": ["The end date cannot be before the start date."]}
    assert page.values["end_date"] == [end.isoformat()]


def test_an_end_date_on_the_start_date_is_accepted(app, client):
    start = utc_today() + datetime.timedelta(days=10)
    accepted(send(client, start_date=start.isoformat(), end_date=start.isoformat())[0])
    (stored,) = stored_requests(app)
    assert stored.end_date == start


@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize("typed", ["next tuesday", "31/12/2027", "2027-02-30"])
def test_a_date_that_is_not_a_date_keeps_the_typed_text_and_says_how_to_write_it(
    client, field, typed
):
    page = refused(send(client, **{field: typed})[0])
    assert page.errors == {
        field: ["Please enter a date as year-month-day, for example 2027-03-01."]
    }
    assert page.values[field] == [typed]


@pytest.mark.parametrize(
    "typed, message",
    [
        ("0", "Please enter a number from 1 to 100,000."),
        ("-1", "Please enter a number from 1 to 100,000."),
        ("100001", "Please enter a number from 1 to 100,000."),
        ("abc", "Please enter a whole number, for example 3."),
        ("2.5", "Please enter a whole number, for example 3."),
        # int() reads these; a person typing them meant something else, or nothing.
        ("1_000", "Please enter a whole number, for example 3."),
        ("+5", "Please enter a whole number, for example 3."),
        ("\u0663", "Please enter a whole number, for example 3."),
    ],
)
def test_an_impossible_number_of_people_is_refused(app, client, typed, message):
    page = refused(send(client, people_count=typed)[0])
    assert list(page.errors) == ["people_count"]
    assert page.errors["people_count"][0] == message
    assert page.values["people_count"] == [typed]
    assert stored_requests(app) == []


def test_the_largest_number_of_people_is_written_the_french_way_in_french(client):
    client.get("/request?lang=fr")
    page = refused(send(client, people_count="100001")[0])
    expected = shown("fr", "Please enter a number from 1 to %(max)s.") % {
        "max": format_decimal(100_000, locale="fr")
    }
    assert page.errors == {"people_count": [expected]}
    assert "100,000" not in expected


@pytest.mark.parametrize("count", [1, 100_000])
def test_the_number_of_people_may_be_anything_from_1_to_100000(app, client, count):
    accepted(send(client, people_count=str(count))[0])
    (stored,) = stored_requests(app)
    assert stored.people_count == count


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("service", "teleportation", "Please choose one of the options."),
        ("requester_kind", "government", "Please choose one of the options."),
        ("urgency", "yesterday", "Please choose one of the options."),
        ("country", "ZZ", "Please choose a country from the list."),
        ("country", "co", "Please choose a country from the list."),
        ("languages", ["es", "xx"], "Please choose one of the options."),
        ("contact_channel", "pigeon", "Please choose one of the options."),
    ],
)
def test_a_value_that_is_not_one_of_the_options_is_refused(app, client, field, value, message):
    overrides = {field: value}
    if field == "contact_channel":
        overrides["contact_detail"] = "+57 300 000 0000"
    page = refused(send(client, **overrides)[0])
    assert page.errors.get(field) == [message]
    assert stored_requests(app) == []


def test_a_contact_detail_without_a_channel_is_ignored_and_not_stored(app, client, tmp_path):
    """ "Only through the tracking code": the page hides the channel's fields; whatever was
    left in them is not an error, and is not kept."""
    accepted(send(client, contact_channel="", contact_detail="+57 300 000 0000")[0])

    (stored,) = stored_requests(app)
    assert stored.contact_channel is None
    assert stored.contact_detail_sealed is None
    assert stored.contact_safe is None
    raw = database_bytes(tmp_path)
    for form in ("+57 300 000 0000", "573000000000", "300 000 0000"):
        assert form.encode() not in raw


def test_a_channel_without_a_contact_detail_is_refused(client):
    page = refused(send(client, contact_channel="signal", contact_detail="")[0])
    assert page.errors == {
        "contact_detail": ["Please give the number, username or address to use."]
    }
    assert page.values["contact_channel"] == ["signal"]


@pytest.mark.parametrize("safe", ["yes", "no"])
def test_saying_whether_it_is_safe_to_contact_without_a_channel_is_ignored(app, client, safe):
    accepted(send(client, contact_channel="", contact_detail="@someone", contact_safe=safe)[0])

    (stored,) = stored_requests(app)
    assert stored.contact_safe is None
    assert stored.contact_detail_sealed is None


def test_a_channel_with_its_detail_is_accepted_and_stored_sealed(app, client):
    accepted(
        send(client, contact_channel="signal", contact_detail="@defender.01", contact_safe="no")[0]
    )
    (stored,) = stored_requests(app)
    assert stored.contact_channel == "signal"
    assert stored.contact_safe is False
    assert b"@defender.01" not in bytes(stored.contact_detail_sealed)
    with app.app_context(), as_escrow():
        assert stored.contact_detail == "@defender.01"


CONTROL_CHARACTERS = {
    "NUL": "\x00",
    "backspace": "\x08",
    "vertical tab": "\x0b",
    "form feed": "\x0c",
    "escape": "\x1b",
    "DEL": "\x7f",
}


@pytest.mark.parametrize(
    "field",
    ["name", "organization", "place", "situation", "asked_for", "other_languages"],
)
@pytest.mark.parametrize("character", CONTROL_CHARACTERS.values(), ids=CONTROL_CHARACTERS.keys())
def test_invisible_control_characters_are_refused_never_a_server_error(
    app, client, field, character
):
    page = refused(send(client, **{field: f"La Esperanza{character} community"})[0])
    assert page.errors == {field: ["This contains invisible control characters. Please retype it."]}
    assert stored_requests(app) == []


def test_a_control_character_in_the_contact_detail_is_refused(client):
    page = refused(send(client, contact_channel="phone", contact_detail="+57\x00300")[0])
    assert page.errors == {
        "contact_detail": ["This contains invisible control characters. Please retype it."]
    }


def test_a_name_of_200_characters_is_accepted(app, client):
    accepted(send(client, name="N" * 200)[0])
    (stored,) = stored_requests(app)
    with app.app_context(), as_escrow():
        assert stored.name == "N" * 200


def test_a_name_of_201_characters_is_refused(app, client):
    page = refused(send(client, name="N" * 201)[0])
    assert page.errors == {"name": ["Please use at most 200 characters."]}
    assert page.values["name"] == ["N" * 201]
    assert stored_requests(app) == []


def test_a_situation_of_20000_characters_is_accepted(app, client):
    situation = ("Threats continue. " * 1200)[:20_000]
    accepted(send(client, situation=situation)[0])
    (stored,) = stored_requests(app)
    with app.app_context(), as_escrow():
        assert stored.situation == situation


def test_a_situation_of_20001_characters_is_refused(app, client):
    page = refused(send(client, situation="s" * 20_001)[0])
    assert page.errors == {"situation": ["Please use at most 20,000 characters."]}
    assert stored_requests(app) == []


def test_tabs_and_line_breaks_in_long_answers_are_kept_exactly(app, client):
    situation = "Since March:\r\n\t- threats by phone\r\n\t- a car outside at night\n\nSigned,\r\n"
    asked_for = "\tPresence at the hearing.\r\n\r\nAnd calls every week."
    accepted(send(client, situation=situation, asked_for=asked_for)[0])
    (stored,) = stored_requests(app)
    with app.app_context(), as_escrow():
        assert stored.situation == situation
        assert stored.asked_for == asked_for


def test_fields_a_requester_must_not_set_are_ignored(app, client):
    forged = {
        "state": "approved",
        "region": "mena",
        "tracking_hash": "0" * 64,
        "submission_hash": "1" * 64,
        "id": "5",
        "uid": "f" * 32,
        "version": "9",
        "locale": "xx",
        "created_at": "2000-01-01 00:00:00",
    }
    html = accepted(send(client, country="CO", **forged)[0])
    (stored,) = stored_requests(app)
    assert stored.state == "submitted"
    assert stored.region == "latin_america_caribbean"
    assert stored.tracking_hash != forged["tracking_hash"]
    assert stored.submission_hash != forged["submission_hash"]
    assert stored.id != 5
    assert stored.uid != forged["uid"]
    assert stored.version == 1
    assert stored.locale == "en"
    assert stored.created_at.year != 2000
    code = re.search(r'id="tracking-code"[^>]*>([^<]+)<', html).group(1).strip()
    assert stored.tracking_hash == tracking.code_hash(code, app.config["TRACKING_KEY"].encode())


def test_a_language_ticked_twice_in_a_hand_made_post_is_kept_once(app, client):
    response, _ = send(client, languages=["es", "", "es", "fr"])

    accepted(response)
    [stored] = stored_requests(app)
    assert stored.language_codes == ["es", "fr"]


def languages_offered(page):
    """The language checkboxes, as (listed first, behind "More languages") value lists."""
    fieldset = page[page.index('id="field-languages"') :]
    fieldset = fieldset[: fieldset.index("</fieldset>")]
    first, _, more = fieldset.partition('<details class="more-choices"')
    values = re.compile(r'name="languages" type="checkbox" value="([^"]+)"')
    return values.findall(first), values.findall(more), more[: more.index(">")]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_common_languages_come_first_and_the_others_wait_behind_more_languages(client, lang):
    page = client.get(f"/request?lang={lang}").get_data(as_text=True)

    first, more, details = languages_offered(page)

    assert set(first) == {"ar", "en", "es", "fr", "pt", "ru"}
    assert more and not set(more) & set(first)
    assert "open" not in details
    assert f"<summary>{shown(lang, 'More languages')}</summary>" in page


def test_a_language_ticked_behind_more_languages_is_in_sight_when_the_form_comes_back(client):
    response, _ = send(client, languages=["es", "qu"], name="")

    assert refused(response).values["languages"] == ["es", "qu"]
    _, more, details = languages_offered(response.get_data(as_text=True))
    assert "qu" in more
    assert "open" in details


def test_the_error_summary_comes_right_after_the_heading_before_the_intro_and_the_form(client):
    page = send(client, name="")[0].get_data(as_text=True)

    heading = page.index('id="page-heading"')
    summary = page.index('id="error-summary"')
    assert heading < summary < page.index("Tell us what is happening")
    assert summary < page.index('<form method="post" action="/request"')
