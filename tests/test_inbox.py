"""What organization members see and do under /org/, told through the pages themselves.

A request sent through the public form is approved and offered to two
organizations, each with a member signed in through the real sign-in page.
The tests read what each person sees (status codes, page text) and what is
stored, including what an attacker with another organization's link gets.
"""

import html
import re
import threading

import pytest
from babel.dates import format_date
from markupsafe import escape
from test_workflow import _fields

from portal import accounts, intake, offers, review, vocabulary, workflow
from portal.db import db
from portal.models import AuditEvent, Offer, Organization, ProgressUpdate, Request, User

from portal_testing import PageForms, Requester, csrf_token, make_app

PASSWORD = "a long test passphrase 7431"
SETTINGS = {
    "TOTP_REQUIRED_ROLES": "",
    "SIGN_IN_RATE_LIMIT": "1000 per minute",
    "SIGN_IN_ACCOUNT_RATE_LIMIT": "1000 per hour",
    "SUBMIT_RATE_LIMIT": "1000 per hour",
    "TRACK_RATE_LIMIT": "1000 per minute",
}
SUMMARY = "A community leader threatened; accompaniment to court hearings is asked."

# What only the accepting organization may read: the requester's own words.
NAME = "Marisol Quintero Ruiz"
REQUESTER_ORG = "Colectivo Raíz del Norte"
CONTACT = "+57 300 555 0199"
SITUATION = "Two men followed Marisol home from the Toribío crossing on 3 March."
ASKED_FOR = "Someone beside her at the hearings in Popayán on 12 May."
SECRETS = (NAME, REQUESTER_ORG, CONTACT, SITUATION, ASKED_FOR)
REQUESTER = {
    "requester_kind": "organization",
    "name": NAME,
    "organization": REQUESTER_ORG,
    "place": "Santander de Quilichao",
    "situation": SITUATION,
    "asked_for": ASKED_FOR,
    "people_count": "4",
    "languages": ["es", "en"],
    "contact_channel": "signal",
    "contact_detail": CONTACT,
    "contact_safe": "yes",
}
ORGANIZATIONS = {"brigadas": "Brigadas del Macizo", "tejido": "Tejido Solidario Andino"}

TAKEN = "Another organization accepted this request a moment before you."
CLOSED_NOTICE = "Another organization accepted this request. Nothing more is needed"
CHANGED = "This request was changed by someone else while you were looking at it."
NOT_ENGAGED = "Your organization is no longer working on this request: nothing was changed."
NO_REASON = "Please say why your organization cannot take it."
NO_UPDATE = "Please write the update before sending."
NO_ORGANIZATION = "Your account is not linked to an organization yet."
REFERENCE = re.compile(r'class="reference">(AR-\d{4}-\d{4})<')
NEW_PASSWORD = re.compile(r'id="new-password"[^>]*>([^<]+)<')


@pytest.fixture
def app(tmp_path):
    """The portal with passwords alone signing staff in, and room for many sign-ins."""
    app = make_app(tmp_path, **SETTINGS)
    yield app
    if not db.is_closed():
        db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_app(request, tmp_path):
    """As in test_offers: the race runs on both databases (PostgreSQL skips or fails
    through pg_name when the server is missing, per PORTAL_REQUIRE_SERVICES)."""
    if request.param == "sqlite":
        return request.getfixturevalue("app")
    name = request.getfixturevalue("pg_name")
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    return make_app(tmp_path, DATABASE_URL=url, **SETTINGS)


# --- the cast --------------------------------------------------------------------------------


def _org(key, name, capacity=3):
    return Organization.create(
        key=key,
        name=name,
        services="accompaniment",
        countries="CO",
        languages="es",
        capacity=capacity,
    )


def text(response):
    return html.unescape(response.get_data(as_text=True))


class Browser:
    """Someone with a staff account, signed in through the real sign-in page."""

    def __init__(self, app, user):
        self.app, self.user = app, user
        self.client = app.test_client()
        token = csrf_token(self.client, "/staff/sign-in")
        response = self.client.post(
            "/staff/sign-in",
            data={"email": user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        self.landed_on = response.headers["Location"]
        self.token = csrf_token(self.client, self.landed_on)

    def get(self, path):
        return self.client.get(path)

    def page(self, path):
        response = self.get(path)
        assert response.status_code == 200
        return text(response)

    def post(self, path, data=None):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})})


def offer_url(uid, action=""):
    return f"/org/offers/{uid}" + (f"/{action}" if action else "")


def every_post(uid, version="1"):
    """Each button of an offer page, with what its form sends."""
    return [
        (offer_url(uid, "accept"), {}),
        (offer_url(uid, "decline"), {"decline-reason": "Not this time."}),
        (offer_url(uid, "start"), {"version": version}),
        (offer_url(uid, "complete"), {"version": version}),
        (offer_url(uid, "update"), {"update-body": "We met the requester today."}),
    ]


class Case:
    """A request sent through the form, approved and offered to two organizations.

    Each organization has a member signed in; a reviewer is signed in too, and
    the requester follows the request with the tracking code.
    """

    def __init__(self, app):
        self.app = app
        self.requester = Requester(app.test_client())
        self.code = self.requester.submit_and_get_code(**REQUESTER)
        with app.app_context():
            reviewer = accounts.create_user("reviewer@network.test", "reviewer", PASSWORD)
            request = intake.open_with_code(self.code)
            workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
            workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
            self.orgs = {key: _org(key, name) for key, name in ORGANIZATIONS.items()}
            made = offers.offer(
                request,
                list(self.orgs.values()),
                reviewer,
                expected_version=request.version,
                summary=SUMMARY,
            )
            self.uid = {o.organization.key: o.uid for o in made}
            self.reference = request.reference
            users = {
                key: accounts.create_user(
                    f"member@{key}.test", "org_member", PASSWORD, organization=org
                )
                for key, org in self.orgs.items()
            }
        self.members = {key: Browser(app, user) for key, user in users.items()}
        self.reviewer = Browser(app, reviewer)

    def request(self):
        with self.app.app_context():
            return Request.get(Request.reference == self.reference)

    def offer(self, key):
        with self.app.app_context():
            return Offer.get(Offer.uid == self.uid[key])

    def snapshot(self):
        """Everything an answer could change, to show that nothing did."""
        with self.app.app_context():
            request = Request.get(Request.reference == self.reference)
            return {
                "request": (request.state, request.version, request.timeline().count()),
                "offers": sorted(
                    (o.organization.key, o.state, o.reason, o.decided_at) for o in request.offers
                ),
                "updates": ProgressUpdate.select().count(),
            }

    def accept(self, key):
        response = self.members[key].post(offer_url(self.uid[key], "accept"))
        assert response.status_code == 303
        return response

    def move(self, key, action):
        response = self.members[key].post(
            offer_url(self.uid[key], action), {"version": str(self.request().version)}
        )
        assert response.status_code == 303
        return response

    def tracking_page(self):
        assert self.requester.open(self.code).status_code == 303
        response = self.requester.client.get("/track")
        assert response.status_code == 200
        return text(response)


@pytest.fixture
def case(app):
    return Case(app)


def shows_no_secret(page):
    return [secret for secret in SECRETS if secret in page]


# --- isolation: an organization sees and touches only its own offers --------------------------


def test_a_member_lands_on_the_inbox_and_sees_the_offer_waiting(case):
    member = case.members["brigadas"]
    assert member.landed_on == "/org/"
    inbox = member.page("/org/")
    waiting, taken = inbox.split("Requests your organization took on")
    assert "Waiting for your answer" in waiting
    assert case.reference in waiting
    assert offer_url(case.uid["brigadas"]) in waiting
    assert offer_url(case.uid["tejido"]) not in inbox  # the other organization's link
    assert case.reference not in taken


def test_a_member_gets_404_for_another_organizations_offer_on_every_route(case):
    before = case.snapshot()
    intruder, theirs = case.members["brigadas"], case.uid["tejido"]
    assert intruder.get(offer_url(theirs)).status_code == 404
    for path, data in every_post(theirs, version=str(case.request().version)):
        response = intruder.post(path, data)
        assert response.status_code == 404, path
        assert not shows_no_secret(text(response))
    assert case.snapshot() == before


@pytest.mark.parametrize(
    "uid",
    [
        "9c1e5b7d2a4f48e6b0d3c8a17f6e2b90",  # 32 hex, like a real uid
        "0" * 32,
        "f" * 32,
        "not-an-offer",
        "1 OR 1=1",
        "' OR ''='",
        "%27%3B--",
        "<script>",
        "é" * 32,
        "a" * 500,
    ],
)
def test_a_member_gets_404_for_an_offer_never_made_to_their_organization(case, uid):
    before = case.snapshot()
    member = case.members["brigadas"]
    assert member.get(offer_url(uid)).status_code == 404
    for path, data in every_post(uid):
        assert member.post(path, data).status_code == 404, path
    assert case.snapshot() == before


def test_an_offer_uid_is_matched_exactly_not_by_case_or_prefix(case):
    member, own = case.members["brigadas"], case.uid["brigadas"]
    for near_miss in (own.upper(), own[:-1], own + "0", f" {own}", f"{own}%00"):
        assert member.get(offer_url(near_miss)).status_code == 404, near_miss


def test_an_open_offer_shows_what_is_asked_but_not_who_asked(case):
    page = case.members["brigadas"].page(offer_url(case.uid["brigadas"]))
    start = format_date(case.request().start_date, "long", locale="en")
    for shown in (
        "Protective accompaniment",
        "Colombia",
        "Santander de Quilichao",
        "Urgent: within two weeks",
        start,
        "None given",  # no end date
        "<dd>4</dd>",
        "Spanish",
        "English",
        SUMMARY,
        "Accept: our organization takes it on",
    ):
        assert shown in page, shown
    assert shows_no_secret(page) == []
    assert "Who asked and how to reach them" not in page
    assert "Signal" not in page


def test_after_another_organization_accepted_the_other_sees_only_a_closed_notice(case):
    case.accept("tejido")
    page = case.members["brigadas"].page(offer_url(case.uid["brigadas"]))
    assert CLOSED_NOTICE in page
    assert shows_no_secret(page) == []
    assert SUMMARY not in page
    assert "Santander de Quilichao" not in page
    assert offer_url(case.uid["brigadas"], "accept") not in page
    assert offer_url(case.uid["brigadas"], "decline") not in page
    inbox = case.members["brigadas"].page("/org/")
    assert case.reference not in inbox  # nothing left for them to do


def test_a_member_cannot_act_on_the_request_another_organization_took_and_nothing_changes(case):
    case.accept("tejido")
    before = case.snapshot()
    intruder, theirs = case.members["brigadas"], case.uid["tejido"]
    version = str(case.request().version)
    response = intruder.get(offer_url(theirs))
    assert response.status_code == 404
    assert shows_no_secret(text(response)) == []
    for path, data in every_post(theirs, version=version):
        assert intruder.post(path, data).status_code == 404, path
    # Through its own (closed) offer, nothing either.
    own = case.uid["brigadas"]
    for path, data in every_post(own, version=version):
        response = intruder.post(path, data)
        assert response.status_code == 409, path
        assert shows_no_secret(text(response)) == [], path
    assert case.snapshot() == before


def test_a_member_whose_account_has_no_organization_sees_a_notice_and_no_offer(case, app):
    with app.app_context():
        loose = accounts.create_user(
            "loose@nowhere.test", "org_member", PASSWORD, organization=case.orgs["brigadas"]
        )
        # accounts.create_user refuses a member without one: detach it in the database.
        User.update(organization=None).where(User.id == loose.id).execute()
        loose = User.get_by_id(loose.id)
    before = case.snapshot()
    member = Browser(app, loose)
    inbox = member.page("/org/")
    assert NO_ORGANIZATION in inbox
    assert case.reference not in inbox
    for uid in case.uid.values():
        assert member.get(offer_url(uid)).status_code == 404
        for path, data in every_post(uid):
            assert member.post(path, data).status_code == 404, path
    assert case.snapshot() == before


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_admins_get_403_on_member_pages(case, app, role):
    with app.app_context():
        user = accounts.create_user(f"other-{role}@network.test", role, PASSWORD)
    staff = Browser(app, user)
    before = case.snapshot()
    uid = case.uid["brigadas"]
    assert staff.get("/org/").status_code == 403
    assert staff.get(offer_url(uid)).status_code == 403
    for path, data in every_post(uid, version=str(case.request().version)):
        assert staff.post(path, data).status_code == 403, path
    assert case.snapshot() == before


def test_anonymous_visitors_are_sent_to_sign_in_and_change_nothing(case, app):
    before = case.snapshot()
    visitor = app.test_client()
    uid = case.uid["brigadas"]
    for path in ("/org/", offer_url(uid)):
        response = visitor.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/staff/sign-in?next=")
    token = csrf_token(visitor, "/track")
    for path, data in every_post(uid, version=str(case.request().version)):
        response = visitor.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/staff/sign-in?next=")
    assert case.snapshot() == before


# --- accepting ---------------------------------------------------------------------------------


def test_the_member_who_accepts_sees_who_asked_and_how_to_reach_them(case):
    member, uid = case.members["brigadas"], case.uid["brigadas"]
    response = case.accept("brigadas")
    assert response.headers["Location"] == offer_url(uid)
    page = member.page(offer_url(uid))
    assert "Who asked and how to reach them" in page
    for secret in SECRETS:
        assert secret in page, secret
    assert "Signal" in page and "Safe to contact there." in page
    inbox = member.page("/org/")
    waiting, taken = inbox.split("Requests your organization took on")
    assert case.reference in taken and case.reference not in waiting
    assert case.offer("brigadas").state == "accepted"
    assert case.offer("tejido").state == "closed"
    assert case.request().state == "accepted"


def test_the_other_organization_pressing_accept_afterwards_is_told_it_was_taken(case):
    case.accept("brigadas")
    before = case.snapshot()
    late = case.members["tejido"].post(offer_url(case.uid["tejido"], "accept"))
    assert late.status_code == 409
    page = text(late)
    assert TAKEN in page
    assert shows_no_secret(page) == []
    assert case.snapshot() == before


def test_a_colleague_pressing_accept_after_their_own_organization_is_told_so(case, app):
    with app.app_context():
        colleague = accounts.create_user(
            "second@brigadas.test", "org_member", PASSWORD, organization=case.orgs["brigadas"]
        )
    colleague = Browser(app, colleague)
    case.accept("brigadas")
    before = case.snapshot()
    response = colleague.post(offer_url(case.uid["brigadas"], "accept"))
    assert response.status_code == 303
    page = colleague.page(response.headers["Location"])
    assert "Your organization had already accepted this request." in page
    assert NAME in page and CONTACT in page  # the same organization: they work on it together
    assert case.snapshot() == before


def test_the_requester_sees_the_organization_that_accepted_and_not_the_other(case):
    before = case.tracking_page()
    assert ORGANIZATIONS["brigadas"] not in before
    assert ORGANIZATIONS["tejido"] not in before
    case.accept("brigadas")
    page = case.tracking_page()
    assert "Accepted by an organization" in page
    assert ORGANIZATIONS["brigadas"] in page
    assert ORGANIZATIONS["tejido"] not in page
    assert "member@brigadas.test" not in page


def test_two_members_pressing_accept_at_the_same_moment_exactly_one_gets_it(backend_app):
    app = backend_app
    case = Case(app)  # each thread's requests then open their own connection
    barrier = threading.Barrier(2)
    responses = {}

    def press_accept(key):
        member = case.members[key]
        barrier.wait()
        try:
            responses[key] = member.post(offer_url(case.uid[key], "accept"))
        finally:
            if not db.is_closed():
                db.close()

    threads = [threading.Thread(target=press_accept, args=(key,)) for key in case.members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    assert sorted(r.status_code for r in responses.values()) == [303, 409]
    loser = next(r for r in responses.values() if r.status_code == 409)
    assert TAKEN in text(loser)
    assert shows_no_secret(text(loser)) == []
    with app.app_context():
        states = sorted(o.state for o in Offer.select())
        assert states == ["accepted", "closed"]
        winner = Offer.get(Offer.state == "accepted").organization.key
        assert responses[winner].status_code == 303
        assert Request.get(Request.reference == case.reference).state == "accepted"


# --- declining ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n\t "])
def test_a_decline_needs_a_reason_and_the_page_stays_usable(case, reason):
    before = case.snapshot()
    uid = case.uid["brigadas"]
    response = case.members["brigadas"].post(offer_url(uid, "decline"), {"decline-reason": reason})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert PageForms(page).errors["decline-reason"] == [NO_REASON]
    assert offer_url(uid, "accept") in page and offer_url(uid, "decline") in page
    assert SUMMARY in text(response)
    assert case.snapshot() == before


def test_a_decline_over_4000_characters_is_refused_and_what_was_typed_is_kept(case):
    before = case.snapshot()
    reason = "No volunteers free. " * 200 + "Sorry."
    response = case.members["brigadas"].post(
        offer_url(case.uid["brigadas"], "decline"), {"decline-reason": reason}
    )
    assert response.status_code == 200
    form = PageForms(response.get_data(as_text=True))
    assert form.errors["decline-reason"] == ["Please use at most 4,000 characters."]
    assert form.values["decline-reason"] == [reason]
    assert case.snapshot() == before


HOSTILE_REASONS = {
    "script": "<script>alert(1)</script>",
    "template": "{{7*7}} {% raw %}",
    "rtl": "שלום, אין לנו מתנדבים",
    "emoji": "Sin cupo este mes 🙏🏽🕊️",
    "sql": "'; DROP TABLE offer; --",
    "longest": ("Sin cupo en mayo, ñandú 🕊 " * 200)[:3999] + "!",
}


@pytest.mark.parametrize("reason", HOSTILE_REASONS.values(), ids=HOSTILE_REASONS.keys())
def test_a_decline_reason_is_stored_and_shown_to_the_reviewer_as_plain_text(case, reason):
    response = case.members["brigadas"].post(
        offer_url(case.uid["brigadas"], "decline"), {"decline-reason": reason}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/org/"
    with case.app.app_context():  # sealed values open with the app's own keys
        declined = case.offer("brigadas")
        assert (declined.state, declined.reason) == ("declined", reason)
        assert Offer.select().count() == 2  # the table is still there

    raw = case.reviewer.get(f"/review/{case.reference}").get_data(as_text=True)
    assert f'Their reason: <span class="user-text" dir="auto">{escape(reason)}</span>' in raw
    if "<" in reason:
        assert reason not in raw
    assert html.unescape(raw).count(reason) == 1


def test_a_declined_offer_leaves_the_inbox_and_shows_only_a_notice(case):
    member, uid = case.members["brigadas"], case.uid["brigadas"]
    declined = member.post(offer_url(uid, "decline"), {"decline-reason": "Outside our area."})
    assert declined.status_code == 303
    assert case.reference not in member.page("/org/")
    page = member.page(offer_url(uid))
    assert "Your organization declined this offer on" in page
    assert SUMMARY not in page and shows_no_secret(page) == []
    assert offer_url(uid, "accept") not in page
    before = case.snapshot()
    again = member.post(offer_url(uid, "decline"), {"decline-reason": "Again."})
    assert again.status_code == 409
    assert "This offer is no longer open: nothing was changed." in text(again)
    late = member.post(offer_url(uid, "accept"))
    assert late.status_code == 409
    assert case.snapshot() == before


def test_when_every_organization_declined_the_request_is_first_in_the_reviewers_queue(case, app):
    with app.app_context():
        emergency = intake.submit(_fields(urgency="emergency"), "en").request.reference
    assert REFERENCE.findall(case.reviewer.page("/review/"))[0] == emergency
    for key in ORGANIZATIONS:
        response = case.members[key].post(
            offer_url(case.uid[key], "decline"), {"decline-reason": "No volunteers in May."}
        )
        assert response.status_code == 303
    assert case.request().state == "approved"
    assert REFERENCE.findall(case.reviewer.page("/review/"))[:2] == [case.reference, emergency]


# --- the work: under way, progress updates, completed -------------------------------------------


def test_starting_the_work_shows_under_way_on_the_requesters_page(case):
    case.accept("brigadas")
    uid = case.uid["brigadas"]
    page = case.members["brigadas"].get(offer_url(uid)).get_data(as_text=True)
    version = PageForms(page).values["version"]
    assert version == [str(case.request().version)]
    response = case.members["brigadas"].post(offer_url(uid, "start"), {"version": version[0]})
    assert response.status_code == 303
    assert case.request().state == "active"
    assert "Under way" in case.tracking_page()


@pytest.mark.parametrize("stale", ["older", "newer", "", "abc"])
def test_a_stale_version_is_refused_and_changes_nothing(case, stale):
    case.accept("brigadas")
    current = case.request().version
    version = {"older": current - 1, "newer": current + 1}.get(stale, stale)
    before = case.snapshot()
    for action in ("start", "complete"):
        response = case.members["brigadas"].post(
            offer_url(case.uid["brigadas"], action), {"version": str(version)}
        )
        assert response.status_code == 409, action
        assert CHANGED in text(response)
    assert case.snapshot() == before
    assert "Under way" not in case.tracking_page()


def test_completing_before_starting_is_refused(case):
    case.accept("brigadas")
    before = case.snapshot()
    response = case.members["brigadas"].post(
        offer_url(case.uid["brigadas"], "complete"), {"version": str(case.request().version)}
    )
    assert response.status_code == 409
    assert case.snapshot() == before


def test_a_progress_update_reaches_the_reviewer_and_not_the_requester(case):
    case.accept("brigadas")
    body = "Met the group <b>at the hall</b> {{7*7}}; next visit on Friday. שלום"
    response = case.members["brigadas"].post(
        offer_url(case.uid["brigadas"], "update"), {"update-body": body}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == offer_url(case.uid["brigadas"]) + "#progress"
    assert body in case.members["brigadas"].page(offer_url(case.uid["brigadas"]))
    raw = case.reviewer.get(f"/review/{case.reference}").get_data(as_text=True)
    assert "Progress updates from the organization" in raw
    assert f'<div class="user-text" dir="auto">{escape(body)}</div>' in raw
    assert "<b>at the hall</b>" not in raw
    assert body not in case.tracking_page()


def test_an_empty_progress_update_is_refused(case):
    case.accept("brigadas")
    before = case.snapshot()
    response = case.members["brigadas"].post(
        offer_url(case.uid["brigadas"], "update"), {"update-body": "  \n "}
    )
    assert response.status_code == 200
    assert PageForms(response.get_data(as_text=True)).errors["update-body"] == [NO_UPDATE]
    assert case.snapshot() == before


def test_once_completed_the_contact_details_and_the_update_form_are_gone(case):
    case.accept("brigadas")
    case.move("brigadas", "start")
    case.move("brigadas", "complete")
    assert case.request().state == "completed"
    uid = case.uid["brigadas"]
    page = case.members["brigadas"].page(offer_url(uid))
    assert shows_no_secret(page) == []
    assert "It has now ended" in page
    assert offer_url(uid, "update") not in page
    assert offer_url(uid, "complete") not in page
    assert "Completed" in case.tracking_page()


def test_an_update_after_completion_is_refused_and_nothing_is_stored(case):
    case.accept("brigadas")
    case.move("brigadas", "start")
    case.move("brigadas", "complete")
    before = case.snapshot()
    response = case.members["brigadas"].post(
        offer_url(case.uid["brigadas"], "update"), {"update-body": "One last word."}
    )
    assert response.status_code == 409
    assert NOT_ENGAGED in text(response)
    assert shows_no_secret(text(response)) == []
    assert case.snapshot() == before


def test_an_update_refused_after_completion_keeps_what_was_typed(case):
    case.accept("brigadas")
    case.move("brigadas", "start")
    case.move("brigadas", "complete")
    typed = "One last word: the hearing was postponed to June."
    response = case.members["brigadas"].post(
        offer_url(case.uid["brigadas"], "update"), {"update-body": typed}
    )
    assert response.status_code == 409
    assert PageForms(response.get_data(as_text=True)).values.get("update-body") == [typed]


def test_when_the_requester_withdraws_the_accepting_organization_no_longer_sees_them(case, app):
    case.accept("brigadas")
    with app.app_context():
        request = Request.get(Request.reference == case.reference)
        workflow.transition(request, vocabulary.WITHDRAWN, "requester")
    before = case.snapshot()
    uid = case.uid["brigadas"]
    page = case.members["brigadas"].page(offer_url(uid))
    assert shows_no_secret(page) == []
    assert offer_url(uid, "start") not in page and offer_url(uid, "update") not in page
    response = case.members["brigadas"].post(
        offer_url(uid, "start"), {"version": str(case.request().version)}
    )
    assert response.status_code == 409
    assert case.snapshot() == before


def _end_while_offered(case, how):
    with case.app.app_context():
        request = Request.get(Request.reference == case.reference)
        if how == "withdrawn":
            workflow.transition(request, vocabulary.WITHDRAWN, "requester")
        else:
            workflow.transition(request, vocabulary.REJECTED, "staff", reason="no_capacity")


@pytest.mark.parametrize("how", ["withdrawn", "rejected"])
def test_a_request_that_ended_while_offered_leaves_the_organizations_inbox(case, how):
    _end_while_offered(case, how)
    inbox = case.members["brigadas"].page("/org/")
    waiting = inbox.split("Requests your organization took on")[0]
    assert case.reference not in waiting


def test_accepting_a_withdrawn_request_does_not_claim_another_organization_took_it(case):
    _end_while_offered(case, "withdrawn")
    before = case.snapshot()
    response = case.members["brigadas"].post(offer_url(case.uid["brigadas"], "accept"))
    assert response.status_code == 409
    assert case.snapshot() == before
    assert TAKEN not in text(response)


# --- CSRF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_accepting_without_a_valid_csrf_token_is_refused_and_changes_nothing(case, token):
    before = case.snapshot()
    data = {} if token is None else {"csrf_token": token}
    response = case.members["brigadas"].client.post(
        offer_url(case.uid["brigadas"], "accept"), data=data
    )
    assert response.status_code == 400
    assert case.snapshot() == before
    assert case.offer("brigadas").state == "open"


# --- spare capacity in matching -----------------------------------------------------------------


def test_an_organization_at_capacity_ranks_below_an_equal_one_with_room(app):
    with app.app_context():
        reviewer = accounts.create_user("reviewer@network.test", "reviewer", PASSWORD)
        full = _org("alfa", "Brigada Alfa", capacity=1)  # first by name
        _org("beta", "Brigada Beta", capacity=1)
        taken = intake.submit(_fields(), "en").request
        for state in (vocabulary.IN_REVIEW, vocabulary.APPROVED):
            workflow.transition(taken, state, "staff", user=reviewer)
        (the_offer,) = offers.offer(
            taken, [full], reviewer, expected_version=taken.version, summary=SUMMARY
        )
        member = accounts.create_user("m@alfa.test", "org_member", PASSWORD, organization=full)
        offers.accept(the_offer, member)

        new = intake.submit(_fields(), "en").request
        workflow.transition(new, vocabulary.IN_REVIEW, "staff", user=reviewer)
        matches = review.matches_for(new)
        assert [m.candidate.key for m in matches] == ["beta", "alfa"]
        with app.test_request_context():
            reasons = {m.candidate.key: [str(r) for r in m.reasons] for m in matches}
        assert "No spare capacity" in reasons["alfa"]
        assert "Spare capacity: 1 of 1" in reasons["beta"]
    page = Browser(app, reviewer).page(f"/review/{new.reference}")
    assert page.index("Brigada Beta") < page.index("Brigada Alfa")
    assert "No spare capacity" in page


def test_capacity_is_free_again_once_the_work_is_completed(case):
    case.accept("brigadas")
    with case.app.app_context():
        assert offers.engagements() == {case.orgs["brigadas"].id: 1}
    case.move("brigadas", "start")
    with case.app.app_context():
        assert offers.engagements() == {case.orgs["brigadas"].id: 1}
    case.move("brigadas", "complete")
    with case.app.app_context():
        assert offers.engagements() == {}


# --- the administrator creates members ----------------------------------------------------------


@pytest.fixture
def admin(app):
    with app.app_context():
        _org("brigadas", ORGANIZATIONS["brigadas"])
        user = accounts.create_user("admin@network.test", "admin", PASSWORD)
    return Browser(app, user)


def created(app, email):
    with app.app_context():
        user = User.by_email(email)
        return (user.role, user.organization.key if user.organization else None) if user else None


def test_a_new_member_without_an_organization_is_refused(app, admin):
    response = admin.post(
        "/admin/accounts", {"email": "new@brigadas.test", "role": "org_member", "organization": ""}
    )
    assert response.status_code == 200
    form = PageForms(response.get_data(as_text=True))
    assert form.errors["organization"] == ["Please choose the organization this member belongs to."]
    assert form.values["role"] == ["org_member"]
    assert created(app, "new@brigadas.test") is None


def test_a_new_member_with_an_unknown_organization_is_refused(app, admin):
    response = admin.post(
        "/admin/accounts",
        {"email": "new@brigadas.test", "role": "org_member", "organization": "no-such-org"},
    )
    assert response.status_code == 200
    form = PageForms(response.get_data(as_text=True))
    assert form.errors["organization"] == ["Please choose an organization from the list."]
    assert created(app, "new@brigadas.test") is None


def test_the_admin_creates_a_member_linked_to_the_chosen_organization(app, admin):
    response = admin.post(
        "/admin/accounts",
        {"email": "new@brigadas.test", "role": "org_member", "organization": "brigadas"},
    )
    assert response.status_code == 200
    assert created(app, "new@brigadas.test") == ("org_member", "brigadas")
    password = NEW_PASSWORD.search(response.get_data(as_text=True)).group(1).strip()
    newcomer = app.test_client()
    token = csrf_token(newcomer, "/staff/sign-in")
    signed_in = newcomer.post(
        "/staff/sign-in",
        data={"email": "new@brigadas.test", "password": password, "csrf_token": token},
    )
    assert signed_in.headers["Location"] == "/org/"
    inbox = text(newcomer.get("/org/"))
    assert ORGANIZATIONS["brigadas"] in inbox
    assert NO_ORGANIZATION not in inbox


def test_a_reviewer_created_with_an_organization_selected_gets_none(app, admin):
    response = admin.post(
        "/admin/accounts",
        {"email": "rev@network.test", "role": "reviewer", "organization": "brigadas"},
    )
    assert response.status_code == 200
    assert created(app, "rev@network.test") == ("reviewer", None)


# --- the audit trail -----------------------------------------------------------------------------


def test_opening_an_offer_page_is_written_to_the_audit_trail(case):
    member = case.members["brigadas"]
    member.page(offer_url(case.uid["brigadas"]))
    case.members["tejido"].get(offer_url(case.uid["brigadas"]))  # 404: not theirs
    with case.app.app_context():
        viewed = list(AuditEvent.select().where(AuditEvent.action == "offer.viewed"))
        assert [(e.user_id, e.reference) for e in viewed] == [(member.user.id, case.reference)]
