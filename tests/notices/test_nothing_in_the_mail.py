"""The email says that there is something new, and nothing else: not who asked, not where,
not what for, not which request, not which organization.

One story drives every kind of notice there is (NOTICE_KINDS) and the requester's news to
be written and sent through a real SMTP server, with a request whose every free-text field,
and organizations whose names and keys, carry a marker of their own. Then every email the
server received is searched, headers, body and envelope, for any of it.
"""

import datetime
import re

import pytest
from babel import Locale
from flask_babel import force_locale

from portal import accounts, jobs, notices
from portal.models import Notice, Offer, Request, User
from portal.vocabulary import (
    NOTICE_KINDS,
    SERVICE_LABELS,
    URGENCY_LABELS,
)

from .mailboxes import THROUGH_SMTP, expected_notice
from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    Requester,
    StaffClient,
    add_organization,
    create_staff_account,
    csrf_token,
    speak_french,
)
from portal_testing.keys import as_escrow
from portal_testing.offers import CLOSING_REPORT, CONTACT_PLAN, offer_url

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY, **THROUGH_SMTP)

START = datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.UTC)

# Each free text the story types, with a marker no page or email could make up.
MARKED = {
    "name": "Zqname Vuhk",
    "organization": "Zqrequesterorg Vuhk",
    "place": "Zqplace Vuhk",
    "situation": "Zqsituation Vuhk: men with guns at the school.",
    "asked_for": "Zqaskedfor Vuhk: someone at the hearings.",
    "other_languages": "Zqotherlanguage Vuhk",
    "contact_detail": "+57 300 Zqcontact Vuhk",
}
NOTIFY_LOCAL_PART = "zqnotify.vuhk"
NOTIFY = f"{NOTIFY_LOCAL_PART}@example.net"
WRITTEN = {
    "question": "Zqquestion Vuhk: which town exactly?",
    "answer": "Zqanswer Vuhk: near the river.",
    "summary": "Zqsummary Vuhk: leaders threatened.",
    "decline": "Zqdecline Vuhk: no volunteers.",
    "update": "Zqupdate Vuhk: we met them.",
    "to_requester": "Zqtorequester Vuhk: we call on Tuesday.",
    "to_organization": "Zqtoorganization Vuhk: after six, please.",
    "incident": "Zqincident Vuhk: a car waited outside the office.",
}
ORGANIZATIONS = {  # key -> name
    "zqkey-taker-vuhk": "Zqorgname Taker Vuhk",
    "zqkey-first-vuhk": "Zqorgname First Vuhk",
    "zqkey-second-vuhk": "Zqorgname Second Vuhk",
}
SECOND_REQUEST = {
    "name": "Zqsecondname Vuhk",
    "place": "Zqsecondplace Vuhk",
    "situation": "Zqsecondsituation Vuhk",
    "asked_for": "Zqsecondaskedfor Vuhk",
}

ADMIN, REVIEWER, UNREACHABLE = "admin@network.test", "reviewer@network.test", "gone@network.test"
TAKER, FIRST, SECOND = "ana@taker.test", "bea@first.test", "cai@second.test"
# The language of each recipient's emails.
LANGUAGES = {ADMIN: "fr", REVIEWER: "es", TAKER: "en", FIRST: "en", SECOND: "en", NOTIFY: "fr"}


def forbidden_words(app):
    """What no email may contain, with why: (text, case-sensitive?, reason)."""
    words = [(marker, False, f"field {name}") for name, marker in MARKED.items()]
    words += [(text.split(":")[0], False, name) for name, text in WRITTEN.items()]
    words += [(text, False, name) for name, text in SECOND_REQUEST.items()]
    words += [("zq", False, "any marker"), ("vuhk", False, "any marker")]
    for key, name in ORGANIZATIONS.items():
        words += [(key, False, "organization key"), (name, False, "organization name")]
    with app.app_context(), as_escrow():
        for offer in Offer.select().where(Offer.phrase_sealed.is_null(False)):
            words.append((offer.phrase, False, "verification phrase"))
        words.append((CONTACT_PLAN["accept-contact_plan"], False, "contact plan"))
    for lang in ("en", "fr", "es"):
        words.append((Locale(lang).territories["CO"], False, f"country name ({lang})"))
        for labels in (SERVICE_LABELS, URGENCY_LABELS):
            for code, label in labels.items():
                words.append((code, False, "service or urgency code"))
                with app.test_request_context(), force_locale(lang):
                    words.append((str(label), False, f"service or urgency label ({lang})"))
    return words


def test_no_email_says_anything_of_a_request_an_organization_or_a_place(app, relay, time_machine):
    time_machine.move_to(START, tick=False)
    relay.refuse[UNREACHABLE] = "550 5.1.1 Mailbox unavailable"
    with app.app_context():
        admin = create_staff_account(ADMIN, "admin")
        reviewer = create_staff_account(REVIEWER, "reviewer")
        create_staff_account(UNREACHABLE, "reviewer")
        notices.save_settings(admin, "fr", {})
        notices.save_settings(reviewer, "es", {})
        orgs = {key: add_organization(key, name=name) for key, name in ORGANIZATIONS.items()}
        members = {
            email: create_staff_account(email, "org_member", organization=orgs[key])
            for email, key in zip((TAKER, FIRST, SECOND), ORGANIZATIONS, strict=True)
        }

    # A requester (a French browser) asks for an emergency accompaniment, with an address.
    person = Requester(app.test_client())
    speak_french(person.client)
    code = person.submit_and_get_code(
        urgency="emergency",
        requester_kind="organization",
        contact_channel="signal",
        contact_safe="yes",
        notify_email=NOTIFY,
        **MARKED,
    )
    assert person.open(code).status_code == 303
    # Someone else sends a request that nobody looks at.
    second_code = Requester(app.test_client()).submit_and_get_code(**SECOND_REQUEST)
    with app.app_context():
        first = Request.get(Request.notify_email_sealed.is_null(False))
        references = [row.reference for row in Request.select()]

    # The reviewer asks a question; the requester answers; the request is approved.
    staff = StaffClient(app, reviewer)
    assert staff.act(first.reference, "start_review").status_code == 303
    asked = staff.ask(first.reference, WRITTEN["question"])
    assert asked.status_code == 303
    assert person.send_message(WRITTEN["answer"]).status_code == 303
    assert staff.act(first.reference, "approve").status_code == 303

    # Offered to two organizations that both decline, then to a third.
    offer_to(app, staff, first.reference, ["zqkey-first-vuhk", "zqkey-second-vuhk"])
    for email in (FIRST, SECOND):
        member = StaffClient(app, members[email])
        handle = offer_handle(app, email)
        declined = member.post(offer_url(handle, "decline"), {"decline-reason": WRITTEN["decline"]})
        assert declined.status_code == 303
    offer_to(app, staff, first.reference, ["zqkey-taker-vuhk"])

    # Three quarters of the offer's 12 hours later, the worker's sweep warns the taker,
    # who accepts, starts, reports progress and completes.
    time_machine.move_to(START + datetime.timedelta(hours=9), tick=False)
    sweep(app)
    taker = StaffClient(app, members[TAKER])
    handle = offer_handle(app, TAKER)
    assert taker.post(offer_url(handle, "accept"), CONTACT_PLAN).status_code == 303
    # They write to each other through the portal.
    thread = taker.post(offer_url(handle, "message"), {"thread-body": WRITTEN["to_requester"]})
    assert thread.status_code == 303
    person.open(code)
    answer = person.client.post(
        "/track/organization-message",
        data={
            "organization-body": WRITTEN["to_organization"],
            "csrf_token": csrf_token(person.client, "/track"),
        },
    )
    assert answer.status_code == 303
    for move in ("start", "complete"):
        if move == "complete":
            update = taker.post(offer_url(handle, "update"), {"update-body": WRITTEN["update"]})
            assert update.status_code == 303
            # An incident at a check-in alerts reviewers at once, saying nothing of it.
            incident = {"check_in-status": "incident", "check_in-note": WRITTEN["incident"]}
            assert taker.post(offer_url(handle, "check-in"), incident).status_code == 303
            # Thirteen hours after the incident nobody has checked in: reviewers hear of that too.
            time_machine.move_to(START + datetime.timedelta(hours=22), tick=False)
            sweep(app)
        moved = taker.post(
            offer_url(handle, move),
            {
                "version": str(version(app, first.reference)),
                "confirm": "y",
                "rhythm": "12",
                **CLOSING_REPORT,
            },
        )
        assert moved.status_code == 303

    # Someone who has the reviewer's password keeps typing wrong codes (tests/auth/
    # test_throttling.py drives the pages): administrators hear of it at once.
    with app.app_context():
        accounts.second_step_blocked(reviewer)

    # The second request is never looked at: past its response time (3 days for an urgent
    # one), reviewers hear; half as long again, administrators. Meanwhile the notices to
    # the unreachable reviewer are given up on, and administrators hear of that too.
    time_machine.move_to(START + datetime.timedelta(days=3, minutes=1), tick=False)
    sweep(app)
    time_machine.move_to(START + datetime.timedelta(days=4, hours=12, minutes=1), tick=False)
    sweep(app)
    time_machine.shift(datetime.timedelta(minutes=5))
    sweep(app)

    with app.app_context():
        written = {row.kind for row in Notice.select()}
        unsent = {
            (row.user.email, row.kind)
            for row in Notice.select().where(Notice.sent_at.is_null() & Notice.failed_at.is_null())
        }
    assert written >= set(NOTICE_KINDS), set(NOTICE_KINDS) - written
    assert unsent == {(UNREACHABLE, "overdue")}  # still being tried: not two days old yet
    mails = relay.received
    to_requester = [mail for mail in mails if mail.to == NOTIFY]
    assert len(to_requester) >= 5
    assert {mail.to for mail in mails} == set(LANGUAGES)

    # The code also without its dashes; its digits alone are too short to mean anything
    # (three digits turn up in any Message-ID).
    secrets = [code, code.replace("-", ""), second_code, *references]
    forbidden = forbidden_words(app)
    for mail in mails:
        text = mail.everything
        if mail.to == NOTIFY:  # the requester's own address is where it goes, and only there
            assert NOTIFY_LOCAL_PART not in mail.body.lower()
            text = text.replace(NOTIFY, "<the requester's address>")
        for secret in secrets:
            assert secret not in text
        assert not re.search(r"AR-\d{4}", text), "a reference"
        assert not re.search(r"\bCO\b", text), "a country code"
        for word, case_sensitive, why in forbidden:
            found = word in text if case_sensitive else word.lower() in text.lower()
            assert not found, f"{word!r} ({why}) in an email to {mail.to}"

    # One subject and one body per language and audience, whatever the kind.
    for address, lang in LANGUAGES.items():
        received = [mail for mail in mails if mail.to == address]
        audience = "requester" if address == NOTIFY else "staff"
        expected = expected_notice(app, address, lang, audience)
        assert {mail.subject for mail in received} == {expected["Subject"]}, address
        assert {mail.body for mail in received} == {expected.get_content()}, address
    assert len({mail.subject for mail in mails}) == len(set(LANGUAGES.values()))


def offer_to(app, staff, reference, keys):
    response = staff.post(
        f"/review/{reference}/offer",
        {"organizations": keys, "summary": WRITTEN["summary"], "version": version(app, reference)},
    )
    assert response.status_code == 303


def offer_handle(app, member_email):
    with app.app_context():
        member = User.by_email(member_email)
        return member.organization.offers.get().handle


def version(app, reference):
    with app.app_context():
        return Request.get(Request.reference == reference).version


def sweep(app):
    """What the worker does every few minutes: deadlines, expiry, warnings, due notices."""
    with app.app_context():
        return jobs.sweep()
