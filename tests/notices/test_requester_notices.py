"""A requester may leave an address to be told "there is news on your request": the form
checks it, the portal seals it, shows it to nobody, writes to it on every move staff or an
organization make, and forgets it when the request closes."""

import datetime

import pytest

from portal import intake, notices, offers, review, vocabulary, workflow
from portal.db import db
from portal.models import Request
from portal.vocabulary import REQUESTER_NEWS

from .mailboxes import THROUGH_SMTP, Live, addressed_to, expected_notice, outbox, owed
from portal_testing import (
    HOSTILE,
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    PageForms,
    Requester,
    StaffClient,
    add_organization,
    create_staff_account,
    csrf_token,
    database_bytes,
    page_text,
    request_fields,
    row_counts,
    speak_french,
    translated,
)
from portal_testing.offers import CLOSING, CONTACT_PLAN, offer_url

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

ADDRESS = "quiet.mailbox.7431@example.net"
NOT_AN_ADDRESS = "Please enter one email address, such as name@example.org."
TYPED = {
    "name": "Comunidad Río Claro",
    "place": "Vereda El Silencio",
    "situation": "Armed men came twice to the school this month.",
}


class Person(Requester):
    """A requester who sent a request with an address for notices, and follows it."""

    def __init__(self, app, address=ADDRESS, **overrides):
        super().__init__(app.test_client())
        self.code = self.submit_and_get_code(notify_email=address, **overrides)
        with app.app_context():
            self.reference = Request.get(Request.notify_email_sealed.is_null(False)).reference
        assert self.open(self.code).status_code == 303


def mail_to_requester(app, address=ADDRESS):
    return addressed_to(outbox(app), address)


def requester_rows(app):
    return [row for row in owed(app) if row.kind == REQUESTER_NEWS]


def sealed_columns(app):
    """The raw bytes of the request's address column and of each requester notice's."""
    with app.app_context(), db.connection_context():
        request = db.execute_sql("SELECT notify_email_sealed FROM request").fetchall()
        notice = db.execute_sql(
            "SELECT address_sealed FROM notice WHERE request_id IS NOT NULL"
        ).fetchall()
    return [row[0] for row in request], [row[0] for row in notice]


BAD_ADDRESSES = {
    "a word": "marisol",
    "no dot in the domain": "marisol@localhost",
    "two addresses": "a@example.org, b@example.org",
    "a display name": "Marisol <m@example.org>",
    "a second header": "m@example.org\r\nBcc: everyone@example.org",
    "two at signs": "m@@example.org",
    **{f"hostile {name}": value for name, value in HOSTILE.items()},
}


@pytest.mark.parametrize("name", list(BAD_ADDRESSES))
def test_a_bad_address_is_refused_in_the_pages_language_and_the_form_is_kept(app, name):
    person = Requester(app.test_client())
    speak_french(person.client)
    before = row_counts(app)

    response = person.submit(notify_email=BAD_ADDRESSES[name], **TYPED)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    error = translated(app, NOT_AN_ADDRESS, "fr")
    assert error != NOT_AN_ADDRESS
    form = PageForms(page)
    assert form.errors["notify_email"] == [error]
    for field, value in TYPED.items():
        assert form.values[field] == [value], field
    assert 'id="tracking-code"' not in page
    assert row_counts(app) == before


def test_a_very_long_address_is_refused_without_a_crash(app):
    person = Requester(app.test_client())
    before = row_counts(app)

    response = person.submit(notify_email="a" * 250 + "@example.org", **TYPED)

    assert response.status_code == 200
    form = PageForms(response.get_data(as_text=True))
    assert form.errors["notify_email"] == ["Please use at most 254 characters."]
    assert form.values["name"] == [TYPED["name"]]
    assert row_counts(app) == before


def test_a_huge_address_is_refused_without_a_crash(app):
    response = Requester(app.test_client()).submit(notify_email="@".join(["x" * 50_000] * 2))

    assert response.status_code == 200
    assert PageForms(response.get_data(as_text=True)).errors["notify_email"]
    assert row_counts(app)["Request"] == 0


# Addresses the form lets through, that a mail header reads as another address.
MISREAD = {
    "group:someone.else@example.org": "a group named 'group': the mail goes to someone else",
    "=?utf-8?q?someone.else?=@example.org": "an encoded word, decoded by the header",
    "quiet@example..org": "an empty domain label: the header holds no address at all",
}


def test_an_address_is_refused_or_mailed_exactly_as_typed(app, reviewer):
    misread = {}
    for typed, why in MISREAD.items():
        person = Requester(app.test_client())
        page = person.submit_and_follow(notify_email=typed).get_data(as_text=True)
        if 'id="tracking-code"' not in page:
            continue  # refused by the form: nothing can go astray
        with app.app_context():
            reference = Request.select().order_by(Request.id.desc()).get().reference
        before = {mail.raw for mail in outbox(app)}
        reviewer.act(reference, "start_review")
        (mail,) = [mail for mail in outbox(app) if mail.raw not in before]
        mailed_to = [address.addr_spec for address in mail.message["To"].addresses]
        if mailed_to != [typed]:
            misread[typed] = (mailed_to, why)

    assert misread == {}


def test_the_address_is_stored_sealed(app, tmp_path):
    Person(app)

    (column,), _ = sealed_columns(app)
    assert column is not None
    assert ADDRESS.encode() not in bytes(column)
    assert ADDRESS.encode() not in database_bytes(tmp_path)
    with app.app_context():
        assert Request.get().notify_email == ADDRESS


def test_without_an_address_nothing_is_ever_sent_to_the_requester(app, reviewer):
    person = Requester(app.test_client())
    person.submit_and_get_code(notify_email="")
    with app.app_context():
        request = Request.get()
        assert request.notify_email_sealed is None

    reviewer.post(f"/review/{request.reference}/message", {"message-body": "Hello."})

    assert requester_rows(app) == []
    assert outbox(app) == []


def test_a_staff_message_sends_one_notice_linking_to_the_tracking_page(app, reviewer):
    person = Person(app)

    response = reviewer.post(
        f"/review/{person.reference}/message", {"message-body": "Is the hearing public?"}
    )

    assert response.status_code == 303
    (mail,) = mail_to_requester(app)
    expected = expected_notice(app, ADDRESS, "en", audience="requester")
    assert mail.body == expected.get_content()
    assert mail.subject == expected["Subject"]
    assert "http://127.0.0.1:5000/track\n" in mail.body
    # The code also without its dashes; its digits alone are too short to mean anything
    # (three digits turn up in any Message-ID).
    undashed = person.code.replace("-", "")
    for secret in (person.code, undashed, person.reference, "Is the hearing public?"):
        assert secret not in mail.everything
    assert requester_rows(app) == []  # deleted once sent


def test_a_move_with_a_question_sends_one_notice_not_two(app, reviewer):
    person = Person(app)
    assert reviewer.act(person.reference, "start_review").status_code == 303
    assert len(mail_to_requester(app)) == 1

    response = reviewer.ask(person.reference, "Which town exactly?")

    assert response.status_code == 303
    assert len(mail_to_requester(app)) == 2


def test_the_requesters_own_words_and_moves_are_no_news_to_them(app, reviewer):
    person = Person(app)
    reviewer.act(person.reference, "start_review")
    reviewer.ask(person.reference, "Which town exactly?")
    assert len(mail_to_requester(app)) == 2

    assert person.send_message("Toribío, near the river.").status_code == 303
    with app.app_context():
        assert Request.get().state == "in_review"  # the answer resumed the review
    assert len(mail_to_requester(app)) == 2


@pytest.mark.app_config(PUBLIC_URL="https://portal.example.org/network")
def test_the_link_points_to_the_public_address_of_the_portal(app, reviewer):
    person = Person(app)

    reviewer.act(person.reference, "start_review")

    (mail,) = mail_to_requester(app)
    assert "https://portal.example.org/network/track\n" in mail.body
    Requester(app.test_client()).submit(urgency="emergency")
    (staff_mail,) = addressed_to(outbox(app), reviewer.user.email)
    assert "https://portal.example.org/network/staff/sign-in\n" in staff_mail.body


def test_the_notice_is_in_the_language_the_request_was_written_in(app, reviewer):
    person = Requester(app.test_client())
    speak_french(person.client)
    person.submit_and_get_code(notify_email=ADDRESS)
    with app.app_context():
        reference = Request.get().reference

    reviewer.act(reference, "start_review")

    (mail,) = mail_to_requester(app)
    expected = expected_notice(app, ADDRESS, "fr", audience="requester")
    assert mail.body == expected.get_content()
    assert mail.subject == translated(app, "Something new for you", "fr")


def test_organizations_and_staff_never_see_the_address(app, reviewer):
    person = Person(app, contact_channel="signal", contact_detail="+57 300 555 0101")
    with app.app_context():
        org = add_organization("brigadas")
        account = create_staff_account("ana@brigadas.test", "org_member", organization=org)
    member = StaffClient(app, account)
    reviewer.act(person.reference, "start_review")
    reviewer.act(person.reference, "approve")
    version = str(_version(app, person.reference))
    offered = reviewer.post(
        f"/review/{person.reference}/offer",
        {"organizations": ["brigadas"], "summary": "Hearings in May.", "version": version},
    )
    assert offered.status_code == 303
    with app.app_context():
        handle = Request.get().offers.get().handle

    pages = [reviewer.text(f"/review/{person.reference}"), member.text(offer_url(handle))]
    assert member.post(offer_url(handle, "accept"), CONTACT_PLAN).status_code == 303
    after = member.text(offer_url(handle))
    assert "+57 300 555 0101" in after  # the contact the organization may now read
    pages += [after, member.text("/org/"), reviewer.text("/review/")]

    for page in pages:
        assert ADDRESS not in page
        assert "quiet.mailbox" not in page
    assert len(mail_to_requester(app)) == 4  # review, approval, offer, acceptance: each told


@pytest.mark.app_config(SMTP_URL=Live("down_smtp_url"))
def test_while_mail_is_down_one_notice_waits_sealed_and_administrators_see_no_address(
    app, reviewer, sign_in_as
):
    person = Person(app)

    for body in ("First question.", "Second question."):
        reviewer.post(f"/review/{person.reference}/message", {"message-body": body})

    rows = requester_rows(app)
    assert len(rows) == 1
    assert (rows[0].attempts, rows[0].sent) == (1, False)
    _, (sealed,) = sealed_columns(app)
    assert ADDRESS.encode() not in bytes(sealed)
    page = sign_in_as("admin").text("/admin/notices")
    assert translated(app, "A requester", "en") in page
    assert ADDRESS not in page
    assert "quiet.mailbox" not in page


def test_a_rejection_tells_the_requester_then_forgets_the_address(app, reviewer):
    person = Person(app)
    reviewer.act(person.reference, "start_review")

    response = reviewer.act(person.reference, "reject", reason="outside_mandate")

    assert response.status_code == 303
    assert len(mail_to_requester(app)) == 2  # the review started; the answer is there
    request_column, notice_columns = sealed_columns(app)
    assert request_column == [None]
    assert notice_columns == []  # sent, then deleted
    # Nothing more is ever sent about it.
    reviewer.post(f"/review/{person.reference}/message", {"message-body": "One more thing."})
    assert len(mail_to_requester(app)) == 2


@pytest.mark.app_config(**THROUGH_SMTP)
def test_a_rejection_while_mail_is_down_keeps_a_sealed_copy_until_it_has_gone(
    app, relay, time_machine
):
    time_machine.move_to(datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC), tick=False)
    person = Person(app)
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        workflow.transition(Request.get(), vocabulary.IN_REVIEW, "staff", user=reviewer)
        assert notices.deliver() == 1
    relay.refuse[ADDRESS] = "451 4.2.0 Mailbox busy, try later"

    with app.app_context():
        workflow.transition(
            Request.get(), vocabulary.REJECTED, "staff", user=reviewer, reason="outside_mandate"
        )
        assert notices.deliver() == 0

    assert [mail.to for mail in relay.received] == [ADDRESS]
    request_column, (notice_column,) = sealed_columns(app)
    assert request_column == [None]
    assert notice_column is not None
    assert ADDRESS.encode() not in bytes(notice_column)

    relay.refuse.clear()
    time_machine.shift(datetime.timedelta(minutes=1))
    with app.app_context():
        assert notices.deliver() == 1

    assert [mail.to for mail in relay.received] == [ADDRESS, ADDRESS]
    assert sealed_columns(app) == ([None], [])
    assert person.tracking_page()  # the request and its page are still there


def close_by_rejection(request, reviewer, org, member):
    workflow.transition(request, vocabulary.REJECTED, "staff", user=reviewer, reason="duplicate")


def close_as_completed_by_staff(request, reviewer, org, member):
    start_work(request, reviewer, org, member)
    active = Request.get_by_id(request.id)
    review.act(active, reviewer, "close", confirmed=True, expected_version=active.version)


def close_as_completed_by_the_organization(request, reviewer, org, member):
    the_offer = start_work(request, reviewer, org, member)
    offers.complete(
        the_offer, member, expected_version=Request.get_by_id(request.id).version, report=CLOSING
    )


def start_work(request, reviewer, org, member):
    workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
    (the_offer,) = offers.offer(
        request, [org], reviewer, expected_version=request.version, summary="Hearings."
    )
    offers.accept(the_offer, member)
    offers.start(the_offer, member, expected_version=Request.get_by_id(request.id).version)
    return the_offer


@pytest.mark.parametrize(
    "close",
    [close_by_rejection, close_as_completed_by_staff, close_as_completed_by_the_organization],
)
def test_every_way_a_request_closes_forgets_the_address_after_one_last_notice(app, close):
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        org = add_organization("brigadas")
        member = create_staff_account("ana@brigadas.test", "org_member", organization=org)
        request = intake.submit(request_fields(notify_email=ADDRESS), "en").request
        workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
        assert notices.deliver() == 1  # the review started

        close(request, reviewer, org, member)

        assert Request.get_by_id(request.id).state in vocabulary.CLOSED_STATES
        assert Request.get_by_id(request.id).notify_email_sealed is None
        assert notices.deliver() >= 1
    assert len(mail_to_requester(app)) == 2  # one notice at a time: the last one says it all
    assert sealed_columns(app) == ([None], [])


def test_a_withdrawal_forgets_the_address_and_tells_nobody(app):
    person = Person(app)
    token = csrf_token(person.client, "/track/withdraw")

    response = person.client.post("/track/withdraw", data={"confirm": "y", "csrf_token": token})

    assert response.status_code == 303
    with app.app_context():
        assert Request.get().state == "withdrawn"
    assert sealed_columns(app) == ([None], [])
    assert outbox(app) == []
    assert "withdrawn" in page_text(person.client.get("/track")).lower()


def _version(app, reference):
    with app.app_context():
        return Request.get(Request.reference == reference).version
