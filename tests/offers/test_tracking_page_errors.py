"""Whichever form of the tracking page comes back with errors, the error summary comes first,
under the heading, linking to the field, and what was typed stays (issue 11). Colons that
follow a label are the language's own (French puts a no-break space before them)."""

import re

import pytest

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, csrf_token

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

TOO_LONG = "x" * 20_001


def post(case, path, lang=None, **data):
    client = case.requester.client
    query = f"?lang={lang}" if lang else ""
    return client.post(path + query, data={"csrf_token": csrf_token(client, "/track"), **data})


def summary_first(html):
    """The summary's links, checked to come right after the page's heading."""
    heading = html.index('id="page-heading"')
    summary = html.index('id="error-summary"')
    assert html.count('id="error-summary"') == 1
    assert heading < summary < html.index('class="status-card"')
    block = html[summary : html.index("</div>", summary)]
    return re.findall(r'href="#([^"]+)"', block)


@pytest.fixture
def taken(case):
    case.accept("brigadas")
    case.requester.open(case.code)
    return case


@pytest.fixture
def completed(taken):
    taken.move("brigadas", "start")
    taken.move("brigadas", "complete")
    return taken


def test_an_empty_message_to_the_network_is_summarised_first(case):
    case.requester.open(case.code)

    html = post(case, "/track/message", body="   ").get_data(as_text=True)

    assert summary_first(html) == ["body"]


def test_a_message_to_the_organization_too_long_is_summarised_first_and_kept(taken):
    html = post(taken, "/track/organization-message", **{"organization-body": TOO_LONG}).get_data(
        as_text=True
    )

    assert summary_first(html) == ["organization-body"]
    assert TOO_LONG in html  # kept in its box


def test_a_complaint_without_words_is_summarised_first(taken):
    html = post(taken, "/track/complaint", **{"complaint-body": ""}).get_data(as_text=True)

    assert summary_first(html) == ["complaint-body"]


def test_an_evaluation_with_a_forged_answer_is_summarised_first(completed):
    html = post(completed, "/track/evaluation", **{"evaluation-useful": "<b>x</b>"}).get_data(
        as_text=True
    )

    assert summary_first(html) == ["evaluation-useful-0"]
    assert "<b>x</b>" not in html


def test_a_page_without_errors_has_no_summary(case):
    case.requester.open(case.code)

    assert 'id="error-summary"' not in case.requester.client.get("/track").get_data(as_text=True)


def test_the_colon_after_the_state_is_the_language_own(taken):
    french = taken.requester.client.get("/track?lang=fr").get_data(as_text=True)
    spanish = taken.requester.client.get("/track?lang=es").get_data(as_text=True)

    assert "Acceptée par une organisation\u00a0: <bdi>Brigadas del Macizo</bdi>" in french
    assert re.search(r"[a-z]: <bdi>Brigadas del Macizo</bdi>", spanish)
