"""The requester and the organization that took the request on write to each other through
the portal; network staff read along; nobody else does, and the organization never reads
the requester's thread with staff."""

import html

import pytest

from portal.db import db
from portal.models import Notice, OrganizationMessage

from portal_testing import PASSWORD_ALONE, ROOM_FOR_MANY, csrf_token, page_text
from portal_testing.offers import offer_url

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

FROM_ORG = "We will call on Tuesday from the office line."
FROM_REQUESTER = "Tuesday works; please call after six."
TO_STAFF = "Only the network should read this: the mayor visited again."


def write_to_requester(case, key, body):
    return case.members[key].post(offer_url(case.handle[key], "message"), {"thread-body": body})


def write_to_organization(case, body):
    client = case.requester.client
    token = csrf_token(client, "/track")
    return client.post(
        "/track/organization-message", data={"organization-body": body, "csrf_token": token}
    )


@pytest.fixture
def taken(case):
    case.requester.open(case.code)
    assert case.requester.send_message(TO_STAFF).status_code == 303
    case.accept("brigadas")
    return case


def test_the_organization_and_the_requester_write_to_each_other(taken):
    assert write_to_requester(taken, "brigadas", FROM_ORG).status_code == 303
    assert FROM_ORG in taken.requester.tracking_page()

    assert write_to_organization(taken, FROM_REQUESTER).status_code == 303

    page = page_text(taken.members["brigadas"].get(offer_url(taken.handle["brigadas"])))
    assert FROM_ORG in page and FROM_REQUESTER in page
    staff = page_text(taken.reviewer.get(f"/review/{taken.reference}"))
    assert FROM_ORG in staff and FROM_REQUESTER in staff


def test_the_organization_never_reads_the_requesters_thread_with_staff(taken):
    write_to_organization(taken, FROM_REQUESTER)

    page = page_text(taken.members["brigadas"].get(offer_url(taken.handle["brigadas"])))

    assert FROM_REQUESTER in page
    assert TO_STAFF not in page


def test_another_organization_reads_nothing_of_the_thread(taken):
    write_to_requester(taken, "brigadas", FROM_ORG)
    write_to_organization(taken, FROM_REQUESTER)

    page = page_text(taken.members["tejido"].get(offer_url(taken.handle["tejido"])))
    refused = write_to_requester(taken, "tejido", "Let us help too.")

    assert FROM_ORG not in page and FROM_REQUESTER not in page
    assert refused.status_code == 409
    with taken.app.app_context(), db.connection_context():
        assert OrganizationMessage.select().count() == 2


def test_nobody_can_write_before_an_organization_takes_the_request(case):
    case.requester.open(case.code)

    response = write_to_organization(case, FROM_REQUESTER)

    assert response.status_code == 303
    assert "No organization is working on this request now." in case.requester.tracking_page()
    with case.app.app_context(), db.connection_context():
        assert OrganizationMessage.select().count() == 0


def test_the_organization_can_no_longer_write_once_the_work_has_ended(taken):
    taken.move("brigadas", "start")
    taken.move("brigadas", "complete")

    response = write_to_requester(taken, "brigadas", FROM_ORG)

    assert response.status_code == 409
    assert FROM_ORG not in taken.requester.tracking_page()


def test_members_hear_that_the_requester_wrote_and_nothing_more(taken):
    write_to_organization(taken, FROM_REQUESTER)

    with taken.app.app_context(), db.connection_context():
        kinds = [(n.user.email, n.kind) for n in Notice.select().where(Notice.user.is_null(False))]
    assert ("member@brigadas.test", "requester_message") in kinds
    # The other organization heard only of its own offer.
    assert [kind for email, kind in kinds if email == "member@tejido.test"] == ["new_offer"]


def test_an_empty_message_is_refused_and_what_was_typed_stays(taken):
    response = write_to_requester(taken, "brigadas", "   ")

    assert response.status_code == 422
    assert "Please write a message before sending." in page_text(response)


@pytest.mark.parametrize("body", ["<script>alert(1)</script>", "' OR 1=1 --", "مرحبا 👋"])
def test_hostile_text_is_kept_and_shown_as_text(taken, body):
    write_to_organization(taken, body)

    page = taken.members["brigadas"].get(offer_url(taken.handle["brigadas"])).get_data(as_text=True)

    assert body in html.unescape(page)  # kept exactly, shown as text
    assert "<script>alert(1)</script>" not in page
