"""What the requester wrote in the form is sealed to the request's keys (portal.request_keys):
the network's key and the escrow open it, the requester's code does, an offered organization
reads only the brief (town or area, other languages), the accepting one reads who asked from
the take and only while it works on it, and the server's files alone open none of it."""

import pytest

from portal import accounts, consent, intake, keychain, request_keys, sealing, vocabulary, workflow
from portal.consent import Sharing
from portal.db import db
from portal.models import (
    MODELS,
    Envelope,
    GroupKey,
    Offer,
    Organization,
    OrganizationMessage,
    Request,
    RequestKey,
    User,
)

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    Requester,
    StaffClient,
    create_staff_account,
    page_text,
    request_fields,
)
from portal_testing.keys import as_escrow, give_access, private_of, stolen_copy
from portal_testing.offers import (
    ASKED_FOR,
    CONTACT,
    NAME,
    REQUESTER,
    REQUESTER_ORG,
    SITUATION,
    Case,
    offer_url,
)
from portal_testing.races import at_the_same_moment

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

PLACE = REQUESTER["place"]
WINNER, OTHER = "member@brigadas.test", "member@tejido.test"
LOCKED = "locked"
# Each field the requester typed, with what the form sent.
DETAILS = {
    "name": NAME,
    "organization": REQUESTER_ORG,
    "place": PLACE,
    "situation": SITUATION,
    "asked_for": ASKED_FOR,
    "contact_detail": CONTACT,
}


def reads(app, email, *fields):
    """What `email`'s own key opens of the request's fields (LOCKED where it opens nothing),
    outside any page: as someone with their password and a copy of the database would."""
    with app.app_context():
        user = User.by_email(email)
        request = Request.get()
        with request_keys.reading_as(user, private_of(user)):
            return tuple(request_keys.opened(request, name) for name in fields)


def opens(app, email, *fields):
    return [value is not request_keys.WITHHELD for value in reads(app, email, *fields)]


def organizations_envelopes(app):
    """(organization key, purpose, held back?) of every wrap to an organization's key."""
    with app.app_context():
        rows = (
            Envelope.select(Envelope, RequestKey, GroupKey)
            .join(RequestKey)
            .switch(Envelope)
            .join(GroupKey, on=(Envelope.holder == GroupKey.uid), attr="group")
            .where(GroupKey.holder != keychain.NETWORK)
        )
        keys = {org.uid: org.key for org in Organization.select()}
        return sorted(
            (
                keys[row.group.holder],
                row.request_key.purpose,
                sealing.is_keyring_sealed(row.wrapped),
            )
            for row in rows
        )


def beyond_own_work(app):
    """organizations_envelopes, but each organization's own WORK key (what it wrote and was
    told about its part, which it keeps: portal.offers.sharing)."""
    own = {("brigadas", "work-1"), ("tejido", "work-2")}
    return [row for row in organizations_envelopes(app) if row[:2] not in own]


@pytest.fixture
def case(app):
    return Case(app)


def test_a_copy_of_every_file_taken_during_the_work_opens_no_detail(app, case, tmp_path_factory):
    case.accept("brigadas")
    assert NAME in case.members["brigadas"].text(offer_url(case.handle["brigadas"]))
    assert NAME in case.reviewer.text(f"/review/{case.reference}")  # live sessions read it

    stolen = stolen_copy(app, tmp_path_factory.mktemp("copied"), **PASSWORD_ALONE)
    with stolen.app_context():
        request = Request.get()
        for name, typed in DETAILS.items():
            stored = bytes(getattr(request, f"{name}_sealed"))
            assert stored.startswith(b"e1:") and typed.encode() not in stored
            with pytest.raises(request_keys.Locked):
                getattr(request, name)  # nobody reads: the server's files alone open nothing
            with pytest.raises(sealing.SealError):
                sealing.keyring().open(stored, f"request|{name}|{request.uid}")
        # Nothing kept for the organization under the server's keys once it took the request.
        assert not any(
            sealing.is_keyring_sealed(envelope.wrapped) for envelope in Envelope.select()
        )
        with as_escrow():
            assert {name: getattr(request, name) for name in DETAILS} == DETAILS
    # A reviewer's password opens it all; so does the accepting member's.
    for email in ("reviewer@network.test", WINNER):
        assert reads(stolen, email, *DETAILS) == tuple(DETAILS.values())


def test_an_offered_organization_reads_the_brief_and_not_who_asked_until_the_take(app, case):
    for email in (WINNER, OTHER):
        assert reads(app, email, "place") == (PLACE,)
        assert (
            opens(app, email, "name", "organization", "contact_detail", "situation") == [False] * 4
        )
    # What it reads at the take is wrapped to it already, but held back under the server's
    # keys: no reviewer needs to be online when it accepts.
    held = [(org, purpose) for org, purpose, back in organizations_envelopes(app) if back]
    assert sorted(held) == sorted(
        (org, purpose)
        for org in ("brigadas", "tejido")
        for purpose in ("identity", "contact", "words")
    )

    case.accept("brigadas")

    assert reads(app, WINNER, *DETAILS) == tuple(DETAILS.values())
    # The organization whose offer closed never held who asked, and no longer holds the brief.
    assert opens(app, OTHER, *DETAILS) == [False] * len(DETAILS)
    assert {org for org, _, _ in beyond_own_work(app)} == {"brigadas"}
    page = case.members["tejido"].text(offer_url(case.handle["tejido"]))
    assert NAME not in page and PLACE not in page


def test_nobody_holds_the_details_once_the_work_has_ended(app, case):
    case.accept("brigadas")
    case.move("brigadas", "start")
    assert reads(app, WINNER, "name") == (NAME,)
    case.move("brigadas", "complete")

    assert opens(app, WINNER, *DETAILS) == [False] * len(DETAILS)
    assert beyond_own_work(app) == []
    page = case.members["brigadas"].text(offer_url(case.handle["brigadas"]))
    assert NAME not in page and CONTACT not in page
    # The network still reads it all.
    assert reads(app, "reviewer@network.test", *DETAILS) == tuple(DETAILS.values())


def test_a_withdrawal_takes_the_keys_back_from_the_organization_at_work(app, case):
    case.accept("brigadas")
    case.tracking_page()
    assert case.requester.withdraw().status_code == 303
    assert case.request().state == "withdrawn"
    assert opens(app, WINNER, "name", "place") == [False, False]
    assert beyond_own_work(app) == []


@pytest.mark.parametrize(
    ("answers", "kept"),
    [
        ({"share_contact": "no"}, ("identity", "words")),
        ({"share_words": "summary"}, ("identity", "contact")),
    ],
    ids=["no contact", "summary only"],
)
def test_what_the_requester_did_not_allow_is_never_wrapped_to_the_organization(app, answers, kept):
    case = Case(app, **answers)
    case.accept("brigadas")

    held = {purpose for org, purpose, _ in organizations_envelopes(app) if org == "brigadas"}
    assert held == {"brief", "work-1", "talk-1", *kept}
    name, contact, situation = reads(app, WINNER, "name", "contact_detail", "situation")
    assert name == NAME
    assert (contact == CONTACT) == ("contact" in kept)
    assert (situation == SITUATION) == ("words" in kept)


def test_sharing_narrowed_after_the_take_is_taken_back_from_the_organization(app, case):
    case.accept("brigadas")
    assert reads(app, WINNER, "contact_detail", "situation") == (CONTACT, SITUATION)
    with app.app_context():
        assert consent.narrow(Request.get(), Sharing(contact=False, words=True, figures=False))

    assert reads(app, WINNER, "name", "situation") == (NAME, SITUATION)
    assert opens(app, WINNER, "contact_detail") == [False]


def test_a_pledge_holds_only_the_brief_until_enough_organizations_accepted(app):
    case = Case(app, needed=2)
    case.accept("brigadas")
    assert case.request().state == "offered"
    assert reads(app, WINNER, "place") == (PLACE,)
    assert opens(app, WINNER, "name") == [False]

    case.accept("tejido")

    assert case.request().state == "accepted"
    for email in (WINNER, OTHER):
        assert reads(app, email, "name", "contact_detail") == (NAME, CONTACT)


def test_a_member_who_leaves_between_offer_and_take_opens_nothing_and_the_others_do(app):
    case = Case(app)
    with app.app_context():
        leaving = create_staff_account(
            "leaving@brigadas.test", "org_member", organization=case.orgs["brigadas"]
        )
    give_access(case.members["brigadas"], leaving)
    leaving_key = private_of(leaving)
    with app.app_context():
        admin = create_staff_account("admin@network.test", "admin")
        accounts.deactivate(User.by_email("leaving@brigadas.test"), by=admin)
        old = GroupKey.get(
            (GroupKey.holder == case.orgs["brigadas"].uid) & GroupKey.retired_at.is_null(False)
        )
    # A member who stays signs in again: the rotation moves what the old key held, the
    # wraps held back for the take included.
    StaffClient(app, case.members["brigadas"].user)
    with app.app_context():
        assert not GroupKey.select().where(GroupKey.id == old.id).exists()

    case.accept("brigadas")

    assert reads(app, WINNER, "name") == (NAME,)
    with app.app_context():
        user = User.by_email("leaving@brigadas.test")
        with request_keys.reading_as(user, leaving_key):
            assert request_keys.opened(Request.get(), "name") is request_keys.WITHHELD
            assert request_keys.opened(Request.get(), "place") is request_keys.WITHHELD


def test_a_reviewer_without_the_key_sees_sealed_details_and_cannot_offer_or_correct(app, case):
    second = Requester(app.test_client()).submit_and_get_code(**REQUESTER, threats=["threats"])
    with app.app_context():
        request = intake.open_with_code(second)
        reviewer = User.by_email("reviewer@network.test")
        workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
        workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
        reference, version = request.reference, request.version
    later = StaffClient.create(app, "reviewer", email="later@example.org")

    page = later.text(f"/review/{reference}")
    assert not [secret for secret in (NAME, SITUATION, PLACE, CONTACT) if secret in page]
    assert "Sealed: not readable with the keys you hold" in page
    assert 'id="risk-locked"' in page
    offered = later.post(
        f"/review/{reference}/offer",
        {"organizations": ["brigadas"], "summary": "Leaders threatened.", "version": str(version)},
    )
    assert offered.status_code == 409
    assert "sealed to the network's key, which you do not hold" in page_text(offered)
    corrected = later.post(
        f"/review/{reference}/risk", {"risk-version": str(version), "risk-threats": "threats"}
    )
    assert corrected.status_code == 409
    with app.app_context():
        assert not Offer.select().where(Offer.request == request.id).exists()
        with as_escrow():
            assert Request.get_by_id(request.id).risk_picture.threats == ["threats"]
    # The reviewer who holds the key reads it all, and offers it.
    assert NAME in case.reviewer.text(f"/review/{reference}")
    offered = case.reviewer.post(
        f"/review/{reference}/offer",
        {"organizations": ["brigadas"], "summary": "Leaders threatened.", "version": str(version)},
    )
    assert offered.status_code == 303


def test_the_requesters_code_opens_their_details_on_the_tracking_page(app, case):
    page = case.tracking_page()
    assert NAME in page and SITUATION in page and PLACE in page
    other = Requester(app.test_client())
    other_code = other.submit_and_get_code(**{**REQUESTER, "name": "Someone Else Entirely"})
    assert other.open(other_code).status_code == 303
    assert NAME not in other.tracking_page()


def test_details_sealed_the_old_way_are_moved_and_the_organization_at_work_keeps_reading(app, case):
    case.accept("brigadas")
    with app.app_context():
        request = Request.get()
        with as_escrow():
            typed = {name: getattr(request, name) for name in DETAILS}
        # As an older version stored them: under the keyring, with no keys for them.
        for name, value in typed.items():
            context = f"request|{name}|{request.uid}"
            setattr(request, f"{name}_sealed", sealing.keyring().seal(value, context))
        request.save()
        RequestKey.delete().where(
            (RequestKey.request == request.id) & RequestKey.purpose.in_(request_keys.DETAILS)
        ).execute()

    def check():
        return app.test_cli_runner().invoke(args=["check"]).output

    assert "1 request(s) whose details are still sealed under the server's keys only" in check()
    migrated = app.test_cli_runner().invoke(args=["keys", "migrate"])
    assert "sealed 6 values of requests' details" in migrated.output, migrated.output
    assert "whose details are still sealed" not in check()
    assert "1 request(s) whose requester has not typed their code" in check()

    assert reads(app, WINNER, *DETAILS) == tuple(DETAILS.values())
    assert reads(app, "reviewer@network.test", *DETAILS) == tuple(DETAILS.values())
    assert opens(app, OTHER, *DETAILS) == [False] * len(DETAILS)
    # The requester's keys wait under the server's keys for their code, which takes them.
    page = case.tracking_page()
    assert NAME in page and SITUATION in page
    assert "whose requester has not typed their code" not in check()
    with app.app_context():
        assert not Envelope.select().where(Envelope.holder == "server").exists()


# Fields still sealed under the server's keyring, and why (README, "Keys that people hold"):
# what a job or a sign-in reads with nobody's keys at hand.
SERVER_READ = {
    ("request", "notify_email"),  # the worker sends the "there is news" mail
    ("account", "totp_secret"),  # checked before the password's key is open
    ("notice", "address"),  # the worker again
}


def every_sealed_value(app):
    """(table, field, row id) -> stored blob, for every sealed value of every table."""
    found = {}
    with app.app_context():
        for model in MODELS:
            for name in sealing.sealed_fields(model):
                for row in model.select():
                    blob = getattr(row, f"{name}_sealed")
                    if blob is not None:
                        found[(model._meta.table_name, name, row.id)] = (model, bytes(blob))
    return found


def test_after_a_whole_case_a_copy_of_the_servers_files_opens_nothing_people_wrote(
    app, tmp_path_factory
):
    case = Case(app, other_languages="Nasa Yuwe", threats=["threats"])
    member, handle = case.members["brigadas"], case.handle["brigadas"]
    tejido = case.members["tejido"]
    assert (
        tejido.post(offer_url(case.handle["tejido"], "decline"), {"decline-reason": "Too far."})
    ).status_code == 303
    case.accept("brigadas")
    case.move("brigadas", "start")
    for path, data in (
        ("update", {"update-body": "First visit done."}),
        ("check-in", {"check_in-status": "incident", "check_in-note": "A car outside."}),
        ("message", {"thread-body": "We will call on Tuesday."}),
    ):
        assert member.post(offer_url(handle, path), data).status_code == 303
    case.tracking_page()
    assert case.requester.post_form("/track/organization-message", {"organization-body": "OK"})
    assert case.requester.send_message("A question for the network.").status_code == 303
    note = {"note-body": "Called the desk."}
    assert case.reviewer.post(f"/review/{case.reference}/note", note).status_code == 303
    case.move("brigadas", "complete")
    with app.app_context():
        request = Request.get()
        intake.evaluate(request, "yes", "partly", "It helped.")
        intake.complain(request, "They were late once.")

    stolen = stolen_copy(app, tmp_path_factory.mktemp("copied"), **PASSWORD_ALONE)
    values = every_sealed_value(stolen)
    keyed = {(model._meta.table_name, name) for model, name in request_keys.sealed_to_keys()}
    # Every kind of value sealed to people's keys is in this case.
    assert {key[:2] for key in values} >= keyed
    with stolen.app_context():
        for (table, name, row_id), (model, blob) in values.items():
            if (table, name) in SERVER_READ:
                assert sealing.is_keyring_sealed(blob)
                continue
            assert (table, name) in keyed and blob.startswith(b"e1:"), (table, name)
            with pytest.raises(request_keys.Locked):
                getattr(model.get_by_id(row_id), name)
        opened = {}
        with as_escrow():
            for (table, name, row_id), (model, _) in values.items():
                opened[(table, name, row_id)] = getattr(model.get_by_id(row_id), name)
    assert opened[("request", "name", 1)] == NAME
    # A reviewer's password opens every one of them, as the escrow does.
    with stolen.app_context():
        reviewer = User.by_email("reviewer@network.test")
        with request_keys.reading_as(reviewer, private_of(reviewer)):
            for key, (model, _) in values.items():
                if key[:2] not in SERVER_READ:
                    assert getattr(model.get_by_id(key[2]), key[1]) == opened[key], key


def test_an_organizations_thread_from_before_keys_waits_for_the_requesters_code(app, case):
    case.accept("brigadas")
    member, handle = case.members["brigadas"], case.handle["brigadas"]
    said = "We will call on Tuesday from the office line."
    assert member.post(offer_url(handle, "message"), {"thread-body": said}).status_code == 303
    with app.app_context():
        with as_escrow():
            offer = Offer.get(Offer.handle == handle)
            phrase, (message,) = offer.phrase, list(OrganizationMessage.select())
            typed = {(offer, "phrase"): phrase, (message, "body"): said}
            typed[(offer, "contact_plan")] = offer.contact_plan
        # As an older version stored them: under the keyring, with no requester's key pair
        # and no key for the organization's thread.
        for (row, name), value in typed.items():
            context = f"{row._meta.table_name}|{name}|{row.uid}"
            setattr(row, f"{name}_sealed", sealing.keyring().seal(value, context))
            row.save()
        RequestKey.delete().where(RequestKey.purpose.in_(["person", "talk-1"])).execute()

    migrated = app.test_cli_runner().invoke(args=["keys", "migrate"])
    assert "and 3 values of offers and their work" in migrated.output, migrated.output
    with app.app_context():
        kept = Envelope.select().join(RequestKey).where(RequestKey.purpose == "talk-1")
        assert "server" in {envelope.holder for envelope in kept}
    assert said in member.text(offer_url(handle))  # the organization at work reads it

    page = case.tracking_page()  # the code takes the kept key, under the requester's own
    assert said in page and phrase in page
    with app.app_context():
        assert not Envelope.select().where(Envelope.holder == "server").exists()
        holders = {
            envelope.holder
            for envelope in Envelope.select().join(RequestKey).where(RequestKey.purpose == "talk-1")
        }
        assert "requester-key" in holders


def test_a_rotation_racing_a_submission_leaves_it_to_those_who_stay_and_not_the_leaver(
    backend_app,
):
    app = backend_app
    first = StaffClient.create(app, "reviewer", email="first@example.org")
    StaffClient.create(app, "reviewer", email="leaving@example.org")
    with app.app_context():
        leaving = User.by_email("leaving@example.org")
    give_access(first, leaving)
    leaving_key = private_of(leaving)

    def submit(ready):
        ready()
        intake.submit(request_fields(name="Raced Submission"), "en")

    def leave(ready):
        ready()
        accounts.deactivate(User.get_by_id(leaving.id))

    assert at_the_same_moment(app, submit, leave) == [None, None]
    StaffClient(app, first.user)  # signs in again: finishes the rotation
    with app.app_context(), db.connection_context():
        assert not GroupKey.select().where(GroupKey.retired_at.is_null(False)).exists()
        request = Request.get()
        with request_keys.reading_as(User.by_email("first@example.org"), private_of(first.user)):
            assert Request.get_by_id(request.id).name == "Raced Submission"
        with request_keys.reading_as(User.get_by_id(leaving.id), leaving_key):
            assert request_keys.opened(Request.get_by_id(request.id), "name") is (
                request_keys.WITHHELD
            )
