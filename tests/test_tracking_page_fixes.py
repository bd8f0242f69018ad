"""The tracking page, for the person asking (issue 11): whichever of its forms comes back
with errors, the summary is told first, under the heading, each line linking to its field;
and a colon after a label is the language's own (French: a no-break space before it),
while what people wrote never passes through a translation and stays escaped."""

import re

import pytest
from flask import render_template_string

from portal.models import Organization

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, approved_request, csrf_token
from portal_testing.offers import Case

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

TOO_LONG = "x" * 20_001
MARKUP = "<b>x</b>"
ESCAPED = "&lt;b&gt;x&lt;/b&gt;"


@pytest.fixture
def case(app):
    """A request offered to two organizations, open in the requester's browser."""
    case = Case(app)
    assert case.requester.open(case.code).status_code == 303
    return case


@pytest.fixture
def taken(case):
    case.accept("brigadas")
    return case


@pytest.fixture
def completed(taken):
    taken.move("brigadas", "start")
    taken.move("brigadas", "complete")
    return taken


def send(case, path, **data):
    """Post one of the tracking page's forms as a browser without JavaScript does."""
    client = case.requester.client
    return client.post(path, data={"csrf_token": csrf_token(client, "/track"), **data})


def summary_links(page):
    """The links of the page's one error summary, checked to sit between the page's heading
    and the status box (so that it is on the first screen of a phone)."""
    assert page.count('id="error-summary"') == 1
    summary = page.index('id="error-summary"')
    assert page.index("</h1>") < summary < page.index('class="status-card"')
    links = re.findall(r'href="#([^"]+)"', page[summary : page.index("</div>", summary)])
    for target in links:
        assert page.count(f'id="{target}"') == 1, f"#{target} is not one field of the page"
    return links


@pytest.mark.parametrize(
    ("path", "data", "field", "state"),
    [
        ("/track/message", {"body": "   "}, "body", "case"),
        ("/track/organization-message", {"organization-body": ""}, "organization-body", "taken"),
        ("/track/evaluation", {"evaluation-useful": "perhaps"}, "evaluation-useful-0", "completed"),
        ("/track/complaint", {"complaint-body": ""}, "complaint-body", "taken"),
    ],
    ids=["to the network", "to the organization", "evaluation", "complaint"],
)
def test_each_form_with_errors_is_summarised_under_the_heading(request, path, data, field, state):
    case = request.getfixturevalue(state)

    page = send(case, path, **data).get_data(as_text=True)

    assert summary_links(page) == [field]


def test_a_message_to_the_organization_too_long_is_summarised_and_kept(taken):
    page = send(taken, "/track/organization-message", **{"organization-body": TOO_LONG}).get_data(
        as_text=True
    )

    assert summary_links(page) == ["organization-body"]
    assert re.search(rf">\s*{TOO_LONG}</textarea>", page)  # in its box


def test_a_complaint_with_errors_opens_its_box_and_keeps_the_words(taken):
    words = "  " + "w" * 20_001

    page = send(taken, "/track/complaint", **{"complaint-body": words}).get_data(as_text=True)

    assert summary_links(page) == ["complaint-body"]
    assert re.search(r"<details open>\s*<summary>", page)
    assert "w" * 20_001 in page


def test_markup_sent_in_a_form_stays_text(completed):
    page = send(
        completed,
        "/track/evaluation",
        **{"evaluation-useful": MARKUP, "evaluation-comment": MARKUP},
    ).get_data(as_text=True)

    assert summary_links(page) == ["evaluation-useful-0"]
    assert MARKUP not in page
    assert ESCAPED in page  # the comment, kept in its box


def test_a_page_without_errors_has_no_summary(case):
    assert 'class="error-summary"' not in case.requester.client.get("/track").get_data(as_text=True)


# ---------------------------------------------------------------- colons


def test_the_colon_after_the_state_on_the_timeline_is_the_language_own(taken):
    client = taken.requester.client

    french = client.get("/track?lang=fr").get_data(as_text=True)
    english = client.get("/track?lang=en").get_data(as_text=True)

    assert "Acceptée par une organisation\u00a0: <bdi>Brigadas del Macizo</bdi>" in french
    assert re.search(r"[a-z]: <bdi>Brigadas del Macizo</bdi>", english)


def test_the_colon_after_the_contact_channel_is_the_language_own(taken):
    french = taken.reviewer.get(f"/review/{taken.reference}?lang=fr").get_data(as_text=True)
    member = taken.members["brigadas"].get(f"/org/offers/{taken.handle['brigadas']}?lang=fr")

    for page in (french, member.get_data(as_text=True)):
        assert re.search(r'Signal\u00a0:\s*<span class="user-text" dir="auto">\+57', page)


def test_an_organization_name_with_markup_stays_text_on_the_timeline(app, taken):
    with app.app_context():
        Organization.update(name=MARKUP).where(Organization.key == "brigadas").execute()

    french = taken.requester.client.get("/track?lang=fr").get_data(as_text=True)

    assert f"Acceptée par une organisation\u00a0: <bdi>{ESCAPED}</bdi>" in french
    assert MARKUP not in french


def test_a_contact_detail_with_markup_stays_text(app, taken):
    with app.app_context():
        request = approved_request(
            taken.reviewer.user, contact_channel="signal", contact_detail=MARKUP
        )
        reference = request.reference

    page = taken.reviewer.get(f"/review/{reference}?lang=fr").get_data(as_text=True)

    assert f'Signal\u00a0:\n  <span class="user-text" dir="auto">{ESCAPED}</span>' in page
    assert MARKUP not in page


def test_a_value_given_to_a_translated_message_is_escaped(app):
    with app.test_request_context("/?lang=fr"):
        shown = render_template_string('{{ _("%(label)s:", label=value) }}', value=MARKUP)

    assert shown == f"{ESCAPED}\u00a0:"
