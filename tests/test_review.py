"""The reviewer's pages: the queue, a request's page, and what staff do with it."""

import datetime
import html
import re

import pytest
from markupsafe import escape

from portal import intake, review, vocabulary, workflow
from portal.db import db
from portal.models import AuditEvent, InternalNote, Message, Request, TimelineEvent

from portal_testing import Requester, create_staff_account, csrf_token, make_app, valid_request_data

PASSWORD = "a long test passphrase 7431"
HTMX = {"HX-Request": "true"}
REFERENCE = re.compile(r'class="reference">(AR-\d{4}-\d{4})<')
CHANGED = (
    "This request was changed by someone else while you were looking at it. "
    "Reload the page and decide again."
)
NOT_POSSIBLE = "This action is not possible in the request's current state."


@pytest.fixture
def app(tmp_path):
    """The portal with passwords alone signing staff in, and room for many requests."""
    app = make_app(
        tmp_path,
        TOTP_REQUIRED_ROLES="",
        SIGN_IN_RATE_LIMIT="1000 per minute",
        SIGN_IN_ACCOUNT_RATE_LIMIT="1000 per hour",
        SUBMIT_RATE_LIMIT="1000 per hour",
        TRACK_RATE_LIMIT="1000 per minute",
    )
    yield app
    if not db.is_closed():
        db.close()


class Staff:
    """A staff account signed in through the real sign-in page, in its own browser."""

    def __init__(self, app, role, email=None):
        self.app = app
        with app.app_context():
            self.user = create_staff_account(email or f"{role}@network.test", role, PASSWORD)
        self.client = app.test_client()
        token = csrf_token(self.client, "/staff/sign-in")
        response = self.client.post(
            "/staff/sign-in",
            data={"email": self.user.email, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        self.token = csrf_token(self.client, "/staff/")

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def page(self, path, **kwargs):
        response = self.get(path, **kwargs)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def post(self, path, data=None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)

    def version(self, reference):
        return str(stored(self.app, reference).version)

    def act(self, reference, action, **fields):
        fields.setdefault("version", self.version(reference))
        return self.post(f"/review/{reference}/act", {"action": action, **fields})


@pytest.fixture
def reviewer(app):
    return Staff(app, "reviewer")


@pytest.fixture
def admin(app):
    return Staff(app, "admin")


@pytest.fixture
def org_member(app):
    return Staff(app, "org_member")


def _fields(**overrides):
    data = valid_request_data(**overrides)
    data["start_date"] = datetime.date.fromisoformat(data["start_date"])
    data["people_count"] = int(data["people_count"])
    data["end_date"] = None
    data["contact_safe"] = None
    return data


def new_request(app, days_old=0, state=None, **overrides):
    """A request stored directly (quicker than the form), `days_old` days old."""
    with app.app_context():
        req = intake.submit(_fields(**overrides), "en").request
        changes = {}
        if days_old:
            changes["created_at"] = req.created_at - datetime.timedelta(days=days_old, hours=1)
        if state:
            changes["state"] = state
        if changes:
            Request.update(**changes).where(Request.id == req.id).execute()
        return req.reference


def stored(app, reference):
    with app.app_context():
        return Request.get(Request.reference == reference)


def timeline_count(app, reference):
    with app.app_context():
        return TimelineEvent.select().join(Request).where(Request.reference == reference).count()


def listed(page_html):
    return REFERENCE.findall(page_html)


def text(response):
    return html.unescape(response.get_data(as_text=True))


class Person:
    """A requester who sent a request through the form, and follows it with the code."""

    def __init__(self, app, **overrides):
        self.client = app.test_client()
        self.requester = Requester(self.client)
        self.code = self.requester.submit_and_get_code(**overrides)
        with app.app_context():
            self.reference = intake.open_with_code(self.code).reference
        assert self.requester.open(self.code).status_code == 303

    def tracking_page(self):
        response = self.client.get("/track")
        assert response.status_code == 200
        return text(response)

    def answer(self, body):
        token = csrf_token(self.client, "/track")
        return self.client.post("/track/message", data={"body": body, "csrf_token": token})


# --- who may open the review pages ---------------------------------------------------------


def review_urls(reference):
    return ["/review/", "/review/?state=submitted&urgency=urgent", f"/review/{reference}"]


def test_anonymous_visitors_are_sent_to_sign_in_and_brought_back(app, client):
    reference = new_request(app)
    for url in review_urls(reference):
        response = client.get(url)
        assert response.status_code == 303
        location = response.headers["Location"]
        assert location.startswith("/staff/sign-in?next=")
        assert "/review/" in location.replace("%2F", "/")


def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(app, client):
    reference = new_request(app)
    token = csrf_token(client, "/track")
    for path, data in [
        (f"/review/{reference}/act", {"action": "start_review", "version": "1"}),
        (f"/review/{reference}/message", {"message-body": "hello"}),
        (f"/review/{reference}/note", {"note-body": "hello"}),
    ]:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/staff/sign-in?next=")
    assert stored(app, reference).state == "submitted"
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0


def test_organization_members_get_403_on_every_review_url(app, org_member):
    reference = new_request(app)
    for url in [*review_urls(reference), "/review/AR-1999-9999"]:
        assert org_member.get(url).status_code == 403
    for path, data in [
        (f"/review/{reference}/act", {"action": "start_review", "version": "1"}),
        (f"/review/{reference}/message", {"message-body": "hello"}),
        (f"/review/{reference}/note", {"note-body": "hello"}),
    ]:
        assert org_member.post(path, data).status_code == 403
    assert stored(app, reference).state == "submitted"
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0
        assert not AuditEvent.select().where(AuditEvent.action == "request.viewed").exists()


@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_reviewers_and_administrators_see_the_queue(app, role):
    reference = new_request(app)
    staff = Staff(app, role)
    page = staff.page("/review/")
    assert "Review queue" in page
    assert listed(page) == [reference]
    assert f'href="/review/{reference}"' in page


# --- the queue: filters, order, pages -------------------------------------------------------


@pytest.fixture
def assorted(app):
    """Requests that differ in one thing each from a plain one."""
    return {
        "plain": new_request(app),
        "emergency": new_request(app, urgency="emergency"),
        "kenya": new_request(app, country="KE"),
        "france": new_request(app, country="FR"),
        "monitoring": new_request(app, service="monitoring"),
        "old": new_request(app, days_old=10),
        "in_review": new_request(app, state="in_review"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=in_review", {"in_review"}),
        ("urgency=emergency", {"emergency"}),
        ("region=africa", {"kenya"}),
        ("region=europe_central_asia", {"france"}),
        ("country=FR", {"france"}),
        ("service=monitoring", {"monitoring"}),
        ("age=7", {"old"}),
        ("age=14", set()),
        ("country=KE&region=africa", {"kenya"}),
        ("country=KE&region=mena", set()),
    ],
)
def test_each_filter_narrows_the_queue(app, reviewer, assorted, query, expected):
    page = reviewer.page(f"/review/?{query}")
    assert set(listed(page)) == {assorted[name] for name in expected}


def test_the_reference_search_finds_part_of_a_reference(app, reviewer, assorted):
    reference = assorted["kenya"]
    number = reference.rsplit("-", 1)[1]
    assert listed(reviewer.page(f"/review/?reference={reference.lower()}")) == [reference]
    assert listed(reviewer.page(f"/review/?reference={number}")) == [reference]
    assert listed(reviewer.page("/review/?reference=%25")) == []  # no LIKE wildcards


def test_the_filter_form_keeps_the_chosen_values(reviewer, assorted):
    page = reviewer.page("/review/?urgency=emergency&country=KE&age=7")
    assert '<option selected value="emergency">' in page
    assert '<option selected value="KE">' in page
    assert '<option selected value="7">Older than 7 days</option>' in page


def test_the_filter_form_works_without_javascript_and_with_htmx(reviewer):
    page = reviewer.page("/review/")
    form = re.search(r'<form method="get" action="/review/"[^>]*>', page)
    assert form, "no GET filter form"
    tag = form.group(0)
    assert 'hx-get="/review/"' in tag
    assert 'hx-target="#queue-results"' in tag
    assert 'hx-push-url="true"' in tag
    assert 'hx-trigger="change, submit"' in tag
    assert 'id="queue-results"' in page
    assert 'name="csrf_token"' not in page.split('class="filters"')[1].split("</form>")[0]


def test_emergencies_come_first_then_urgent_then_planned_then_the_oldest(app, reviewer):
    planned_old = new_request(app, days_old=20, urgency="planned")
    urgent_new = new_request(app, days_old=1, urgency="urgent")
    urgent_old = new_request(app, days_old=5, urgency="urgent")
    emergency_new = new_request(app, urgency="emergency")
    emergency_old = new_request(app, days_old=2, urgency="emergency")
    closed_emergency = new_request(app, days_old=30, urgency="emergency", state="rejected")
    withdrawn = new_request(app, days_old=40, urgency="emergency", state="withdrawn")

    assert listed(reviewer.page("/review/")) == [
        emergency_old,
        emergency_new,
        urgent_old,
        urgent_new,
        planned_old,
        withdrawn,
        closed_emergency,
    ]


def test_the_table_shows_what_a_reviewer_sorts_by(app, reviewer):
    reference = new_request(app, days_old=3, country="KE", urgency="emergency")
    page = text(reviewer.get("/review/"))
    row = page.split(f">{reference}<")[1].split("</tr>")[0]
    assert "Protective accompaniment" in row
    assert "Kenya" in row
    assert "Africa" in row
    assert "Emergency" in row
    assert 'class="badge badge-submitted"' in row
    assert "Submitted" in row
    assert '<td class="numeric">3</td>' in row


def test_the_state_counts_link_to_the_filtered_queue(app, reviewer):
    new_request(app)
    new_request(app)
    new_request(app, state="in_review")
    page = reviewer.page("/review/")
    counts = page.split('class="counts"')[1].split("</ul>")[0]
    assert re.search(
        r'href="/review/\?state=submitted"[^>]*>Submitted <span class="count">2<', counts
    )
    assert re.search(
        r'href="/review/\?state=in_review"[^>]*>In review <span class="count">1<', counts
    )
    assert re.search(r"Needs information <span class=\"count\">0<", counts)


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(review, "PAGE_SIZE", 2)


def test_the_queue_comes_in_pages_whose_links_keep_the_filters(app, reviewer, small_pages):
    references = [new_request(app, days_old=10 - i, service="solidarity") for i in range(5)]
    new_request(app, service="monitoring")

    first = reviewer.page("/review/?service=solidarity")
    assert listed(first) == references[:2]
    assert "5 requests" in first
    assert 'href="/review/?page=2&amp;service=solidarity"' in first
    assert 'hx-get="/review/?page=2&amp;service=solidarity"' in first

    second = reviewer.page("/review/?page=2&service=solidarity")
    assert listed(second) == references[2:4]
    assert 'aria-current="page">2<' in second
    assert listed(reviewer.page("/review/?page=3&service=solidarity")) == references[4:]


@pytest.mark.parametrize("page", ["999", "0", "-3", "abc", "1e9", "99999999999999999999"])
def test_a_page_number_out_of_range_does_not_break_the_queue(app, reviewer, small_pages, page):
    for i in range(3):
        new_request(app, days_old=5 - i)
    response = reviewer.get(f"/review/?page={page}")
    assert response.status_code == 200
    assert len(listed(response.get_data(as_text=True))) in (1, 2)


def test_an_htmx_filter_gets_only_the_results(app, reviewer):
    reference = new_request(app, urgency="emergency")
    new_request(app)
    response = reviewer.get("/review/?urgency=emergency", headers=HTMX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert 'class="filters"' not in body
    assert listed(body) == [reference]
    assert "HX-Request" in response.headers.get("Vary", "")
    assert response.headers["Cache-Control"] == "no-store"


def test_a_bookmarked_filter_shows_the_whole_page_with_the_same_results(app, reviewer):
    reference = new_request(app, urgency="emergency")
    new_request(app)
    partial = reviewer.get("/review/?urgency=emergency", headers=HTMX).get_data(as_text=True)
    full = reviewer.get("/review/?urgency=emergency")
    page = full.get_data(as_text=True)
    assert "<html" in page
    assert listed(page) == listed(partial) == [reference]
    assert "HX-Request" in full.headers.get("Vary", "")
    # A boosted navigation or a history restore needs the whole page too.
    boosted = reviewer.get("/review/", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        "state=approved_by_me",
        "state=<script>alert(1)</script>",
        "urgency=whenever",
        "region=atlantis",
        "country=ZZ",
        "country=co",
        "service=%00",
        "age=5",
        "age=abc",
        "age=-1",
        "reference=%00",
        "reference=" + "A" * 5000,
        "reference=%ED%A0%80",
        "state=submitted&state=bogus",
        "page=&state=",
        "unknown=1",
    ],
)
def test_unknown_filter_values_are_ignored_not_a_crash(app, reviewer, query):
    one = new_request(app)
    two = new_request(app, state="in_review")
    response = reviewer.get(f"/review/?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert set(listed(page)) <= {one, two}
    assert "<script>alert" not in page


def test_a_refused_filter_is_said_and_the_others_still_apply(app, reviewer):
    emergency = new_request(app, urgency="emergency")
    new_request(app)
    page = text(reviewer.get("/review/?urgency=emergency&country=ZZ"))
    assert listed(page) == [emergency]
    assert "This filter was not understood and is ignored." in page
    assert "Some filters were not understood and are ignored." in page


# --- the request page ---------------------------------------------------------------------


def test_the_request_page_shows_every_field(app, reviewer):
    reference = new_request(
        app,
        name="Comunidad La Esperanza",
        organization="Red de Defensoras",
        place="Cauca, vereda El Palo",
        situation="Threats since March.",
        asked_for="Accompaniment at hearings.",
        other_languages="Nasa Yuwe",
        contact_channel="signal",
        contact_detail="+57 300 000 0000",
        languages=["es", "en"],
    )
    page = text(reviewer.get(f"/review/{reference}"))
    for value in [
        reference,
        "Comunidad La Esperanza",
        "Red de Defensoras",
        "Cauca, vereda El Palo",
        "Threats since March.",
        "Accompaniment at hearings.",
        "Nasa Yuwe",
        "+57 300 000 0000",
        "Signal",
        "Colombia",
        "Latin America and the Caribbean",
        "Protective accompaniment",
        "A community",
        "Urgent: within two weeks",
        "Spanish",
        "English",
        "12",
    ]:
        assert value in page, value


def test_what_the_requester_wrote_is_marked_as_user_text_inside_hx_disable(app, reviewer):
    reference = new_request(app, situation="Threats since March.")
    page = reviewer.page(f"/review/{reference}")
    details = page.split('id="details-heading"')[1].split("</section>")[0]
    assert "<div hx-disable>" in details
    assert '<dd class="user-text" dir="auto">Threats since March.</dd>' in details


def test_opening_a_request_is_recorded_without_its_contents(app, reviewer):
    reference = new_request(app, situation="Secret situation text", name="Secret Name")
    reviewer.page(f"/review/{reference}")
    with app.app_context():
        events = list(AuditEvent.select().where(AuditEvent.action == "request.viewed"))
    assert len(events) == 1
    assert events[0].reference == reference
    assert events[0].user_id == reviewer.user.id
    assert "Secret" not in events[0].detail


def test_an_unknown_reference_is_a_plain_404(app, reviewer):
    new_request(app)
    for reference in ["AR-1999-0001", "1", "%3Cscript%3E", "AR-2026-0001%00"]:
        response = reviewer.get(f"/review/{reference}")
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "Page not found" in page
        assert "Traceback" not in page
    for path in ("act", "message", "note"):
        assert reviewer.post(f"/review/AR-1999-0001/{path}", {}).status_code == 404
    with app.app_context():
        assert not AuditEvent.select().where(AuditEvent.action == "request.viewed").exists()


def test_the_page_sets_no_inline_style_or_script(app, reviewer):
    reference = new_request(app)
    for path in ("/review/", f"/review/{reference}"):
        page = reviewer.page(path)
        assert "style=" not in page
        assert "<style" not in page
        assert re.search(r"<script(?![^>]*\bsrc=)", page) is None
        assert " on" not in re.sub(r'"[^"]*"', "", "".join(re.findall(r"<[^>]+>", page)))


# --- acting on a request ------------------------------------------------------------------


def actions_on(page):
    return re.findall(r'name="action" value="([a-z_]+)"', page)


def test_only_the_allowed_actions_are_offered(app, reviewer):
    reference = new_request(app)
    assert actions_on(reviewer.page(f"/review/{reference}")) == ["start_review", "reject"]
    reviewer.act(reference, "start_review")
    assert actions_on(reviewer.page(f"/review/{reference}")) == ["ask_info", "approve", "reject"]
    closed = new_request(app, state="withdrawn")
    page = reviewer.page(f"/review/{closed}")
    assert actions_on(page) == []
    assert "No action is possible in this state." in page


def test_each_action_form_carries_the_version_of_the_page(app, reviewer):
    reference = new_request(app)
    page = reviewer.page(f"/review/{reference}")
    forms = re.findall(r'<form method="post" action="/review/[^"]+/act".*?</form>', page, re.S)
    assert len(forms) == 2
    for form in forms:
        assert '<input type="hidden" name="version" value="1">' in form


def test_a_reviewer_starts_the_review(app, reviewer):
    reference = new_request(app)
    response = reviewer.act(reference, "start_review")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/review/{reference}"
    assert stored(app, reference).state == "in_review"
    page = text(reviewer.get(f"/review/{reference}"))
    assert "The review has started." in page
    timeline = page.split('id="timeline-heading"')[1]
    assert "In review" in timeline
    assert "reviewer@network.test" in timeline


def test_the_whole_story_through_the_pages(app, reviewer):
    person = Person(app)
    reference = person.reference
    assert reviewer.act(reference, "start_review").status_code == 303

    question = "Which town exactly, and since when?"
    response = reviewer.act(reference, "ask_info", message=question)
    assert response.status_code == 303
    assert stored(app, reference).state == "needs_info"
    tracking = person.tracking_page()
    assert question in tracking
    assert "Waiting for your answer" in tracking
    assert "The network" in tracking
    assert "reviewer@network.test" not in tracking

    assert person.answer("In Popayán, since March.").status_code == 303
    assert stored(app, reference).state == "in_review"
    assert "In Popayán, since March." in text(reviewer.get(f"/review/{reference}"))

    assert reviewer.act(reference, "approve").status_code == 303
    assert stored(app, reference).state == "approved"
    assert "Approved, looking for an organization" in person.tracking_page()


@pytest.mark.parametrize("reason", list(vocabulary.REJECTION_REASONS))
def test_a_rejection_shows_the_requester_the_kind_explanation_of_its_reason(app, reviewer, reason):
    person = Person(app)
    response = reviewer.act(person.reference, "reject", reason=reason)
    assert response.status_code == 303
    assert stored(app, person.reference).state == "rejected"
    label, explanation = vocabulary.REJECTION_REASONS[reason]
    tracking = person.tracking_page()
    assert "Not taken forward" in tracking
    assert str(explanation) in tracking
    staff_page = text(reviewer.get(f"/review/{person.reference}"))
    assert f"Reason: {label}" in staff_page


def test_the_note_given_with_a_rejection_stays_internal(app, reviewer):
    person = Person(app)
    note = "Looks like a test submission from the same sender."
    response = reviewer.act(person.reference, "reject", reason="duplicate", note=note)
    assert response.status_code == 303
    assert note in text(reviewer.get(f"/review/{person.reference}"))
    assert note not in person.tracking_page()


@pytest.mark.parametrize(
    ("state", "action", "fields", "shown"),
    [
        ("submitted", "approve", {}, NOT_POSSIBLE),
        ("submitted", "ask_info", {"message": "A question"}, NOT_POSSIBLE),
        ("withdrawn", "start_review", {}, NOT_POSSIBLE),
        ("in_review", "delete", {}, NOT_POSSIBLE),
        ("in_review", "", {}, NOT_POSSIBLE),
        ("in_review", "state", {"state": "approved"}, NOT_POSSIBLE),
        ("in_review", "reject", {}, "Please choose a reason."),
        ("in_review", "reject", {"reason": "because"}, "Please choose a reason."),
        ("in_review", "ask_info", {}, "Please write the question for the requester."),
        ("in_review", "ask_info", {"message": "   "}, "Please write the question"),
        ("in_review", "ask_info", {"message": "bad\x00"}, "invisible control characters"),
        ("in_review", "reject", {"reason": "other", "note": "x" * 20_001}, "at most 20,000"),
    ],
)
def test_refused_actions_answer_409_and_change_nothing(app, reviewer, state, action, fields, shown):
    reference = new_request(app, state=state)
    before = timeline_count(app, reference)
    response = reviewer.act(reference, action, **fields)
    assert response.status_code == 409
    assert shown in text(response)
    after = stored(app, reference)
    assert (after.state, after.version) == (state, 1)
    assert timeline_count(app, reference) == before
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0


def test_a_refused_action_keeps_what_was_written(app, reviewer):
    reference = new_request(app, state="in_review")
    response = reviewer.act(reference, "reject", note="My internal thoughts")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "My internal thoughts</textarea>" in page
    assert 'id="reason-error"' in page
    response = reviewer.act(reference, "ask_info", message="bad\x01question")
    assert "bad\x01question</textarea>" in response.get_data(as_text=True)


def test_a_posted_state_is_ignored(app, reviewer):
    reference = new_request(app)
    response = reviewer.act(reference, "start_review", state="approved", version="1")
    assert response.status_code == 303
    assert stored(app, reference).state == "in_review"


def test_a_stale_page_is_refused_with_a_clear_message(app, reviewer, admin):
    reference = new_request(app)
    # Both open the page at version 1; the administrator is quicker.
    assert admin.act(reference, "start_review", version="1").status_code == 303
    before = timeline_count(app, reference)

    for action, fields in [
        ("start_review", {}),
        ("reject", {"reason": "duplicate"}),
        ("approve", {}),
    ]:
        response = reviewer.act(reference, action, version="1", **fields)
        assert response.status_code == 409
        assert CHANGED in text(response)
    after = stored(app, reference)
    assert (after.state, after.version) == ("in_review", 2)
    assert timeline_count(app, reference) == before


@pytest.mark.parametrize("version", ["", "abc", "-1", "2", "99999999999999999999"])
def test_a_missing_or_forged_version_is_refused(app, reviewer, version):
    reference = new_request(app)
    response = reviewer.act(reference, "start_review", version=version)
    assert response.status_code == 409
    assert CHANGED in text(response)
    assert stored(app, reference).state == "submitted"


def test_the_409_page_shows_the_request_as_it_is_now(app, reviewer, admin):
    reference = new_request(app)
    admin.act(reference, "start_review", version="1")
    page = reviewer.act(reference, "start_review", version="1").get_data(as_text=True)
    assert actions_on(page) == ["ask_info", "approve", "reject"]
    assert '<input type="hidden" name="version" value="2">' in page


# --- messages and internal notes ----------------------------------------------------------


def test_a_staff_message_reaches_the_requesters_tracking_page(app, reviewer):
    person = Person(app)
    body = "We have received your request and will reply within two days."
    response = reviewer.post(f"/review/{person.reference}/message", {"message-body": body})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/review/{person.reference}#messages"
    tracking = person.tracking_page()
    assert body in tracking
    assert "The network" in tracking
    assert "reviewer@network.test" not in tracking
    page = text(reviewer.get(f"/review/{person.reference}"))
    assert "Your message was sent to the requester." in page
    assert "reviewer@network.test" in page.split('id="messages-heading"')[1]
    assert stored(app, person.reference).state == "submitted"


def test_internal_notes_never_reach_the_requester(app, reviewer):
    person = Person(app)
    note = "Called the partner organization; they know this community."
    response = reviewer.post(f"/review/{person.reference}/note", {"note-body": note})
    assert response.status_code == 303
    page = text(reviewer.get(f"/review/{person.reference}"))
    notes = page.split('id="notes-heading"')[1].split("</section>")[0]
    assert note in notes
    assert "Internal" in notes
    assert "never shown to the requester or to any organization" in notes
    assert note not in person.tracking_page()
    with app.app_context():
        assert Message.select().count() == 0


@pytest.mark.parametrize(("path", "prefix"), [("message", "message"), ("note", "note")])
def test_an_empty_or_bad_text_is_refused_and_kept(app, reviewer, path, prefix):
    reference = new_request(app)
    response = reviewer.post(f"/review/{reference}/{path}", {f"{prefix}-body": ""})
    assert response.status_code == 200
    assert f'id="{prefix}-body-error"' in response.get_data(as_text=True)

    bad = "Line one\x00 and more"
    response = reviewer.post(f"/review/{reference}/{path}", {f"{prefix}-body": bad})
    page = response.get_data(as_text=True)
    assert "invisible control characters" in page
    assert "Line one\x00 and more</textarea>" in page

    long = "x" * 20_001
    response = reviewer.post(f"/review/{reference}/{path}", {f"{prefix}-body": long})
    assert "at most 20,000 characters" in response.get_data(as_text=True)
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '<div hx-get="/staff/sign-out" hx-trigger="load">x</div>',
    "{{7*7}} {% if 1 %}yes{% endif %}",
    "\u202eevil\u202c مرحبا \u200d👩‍👩‍👧",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_text_in_messages_and_notes_is_stored_exactly_and_shown_escaped(
    app, reviewer, payload
):
    person = Person(app)
    reference = person.reference
    assert (
        reviewer.post(f"/review/{reference}/message", {"message-body": payload}).status_code == 303
    )
    assert reviewer.post(f"/review/{reference}/note", {"note-body": payload}).status_code == 303
    with app.app_context():
        assert [m.body for m in Message.select()] == [payload]
        assert [n.body for n in InternalNote.select()] == [payload]

    escaped = str(escape(payload))
    staff_page = reviewer.page(f"/review/{reference}")
    assert staff_page.count(f'<div class="user-text" dir="auto">{escaped}</div>') == 2
    tracking = person.client.get("/track").get_data(as_text=True)
    assert f'<div class="user-text" dir="auto">{escaped}</div>' in tracking
    if "<" in payload:
        assert payload not in staff_page
        assert payload not in tracking
    if "{{" in payload:
        assert "{{7*7}}" in staff_page and "{{7*7}}" in tracking


def test_hostile_text_in_the_request_is_shown_escaped_to_staff(app, reviewer):
    payload = '<img src=x onerror=alert(1)><div hx-get="/x" hx-trigger="load">'
    reference = new_request(app, situation=payload, name=payload[:150], place="{{7*7}}")
    page = reviewer.page(f"/review/{reference}")
    assert payload not in page
    assert str(escape(payload)) in page
    assert "{{7*7}}" in page


def test_a_hostile_reference_search_is_shown_escaped(reviewer):
    page = reviewer.page('/review/?reference="><script>x</script>')
    assert "<script>x</script>" not in page


# --- CSRF ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("act", {"action": "start_review", "version": "1"}),
        ("message", {"message-body": "hello"}),
        ("note", {"note-body": "hello"}),
    ],
)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_a_valid_csrf_token_are_refused(app, reviewer, path, data, token):
    reference = new_request(app)
    payload = dict(data) if token is None else {**data, "csrf_token": token}
    response = reviewer.client.post(f"/review/{reference}/{path}", data=payload)
    assert response.status_code == 400
    assert stored(app, reference).state == "submitted"
    with app.app_context():
        assert Message.select().count() == 0
        assert InternalNote.select().count() == 0


def test_the_actions_panel_and_forms_carry_a_csrf_token(app, reviewer):
    reference = new_request(app)
    page = reviewer.page(f"/review/{reference}")
    forms = re.findall(r'<form method="post".*?</form>', page, re.S)
    assert len(forms) >= 4
    for form in forms:
        assert 'name="csrf_token"' in form


# --- the domain functions directly ---------------------------------------------------------


def test_act_checks_the_version_before_the_state(app, reviewer):
    reference = new_request(app)
    with app.app_context():
        req = Request.get(Request.reference == reference)
        with pytest.raises(workflow.ConcurrentChange):
            review.act(req, reviewer.user, "approve", expected_version=7)
        with pytest.raises(review.ActionRefused) as refused:
            review.act(req, reviewer.user, "approve", expected_version=1)
        assert refused.value.missing is None
        with pytest.raises(review.ActionRefused) as refused:
            review.act(req, reviewer.user, "reject", expected_version=1, reason="nope")
        assert refused.value.missing == "reason"


def test_the_staff_labels_name_every_state():
    assert set(vocabulary.STAFF_LABELS) == vocabulary.OPEN_STATES | vocabulary.CLOSED_STATES
