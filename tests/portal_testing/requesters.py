"""Requests and the people who send them: the form's data, a requester's browser, stored rows."""

import datetime
import html
import re

from portal import intake, vocabulary, workflow
from portal.db import db
from portal.models import MODELS, Request, ServerSession

from .pages import csrf_token

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_SUBMISSION = re.compile(r'name="submission_token" type="hidden" value="([^"]*)"')
WRONG_CODE = "2222-3333-4444-5555-6666"
# Where a new request's code is shown, to the browser that sent it, until it is kept.
CODE_PAGE = "/request/code"
_CODE = re.compile(r'id="tracking-code"[^>]*>([^<]+)<')


def code_on(response):
    """The tracking code a page shows (id="tracking-code"), or None."""
    match = _CODE.search(response.get_data(as_text=True))
    return match.group(1).strip() if match else None


def valid_request_data(**overrides):
    """A complete, valid request form as a browser would post it."""
    start = datetime.date.today() + datetime.timedelta(days=7)
    data = {
        "service": "accompaniment",
        "requester_kind": "community",
        "name": "Comunidad La Esperanza",
        "organization": "",
        "country": "CO",
        "place": "Cauca",
        "situation": "Threats against community leaders since March.",
        "asked_for": "Accompaniment during the land restitution hearings.",
        "urgency": "urgent",
        "start_date": start.isoformat(),
        "end_date": "",
        "people_count": "12",
        "languages": ["es"],
        "other_languages": "",
        "contact_channel": "",
        "contact_detail": "",
        "notify_email": "",
        # The optional risk questions, left as a browser sends them untouched.
        "incidents": "",
        "support_sought": "",
        "inform_authorities": "no",
        # Who it is for, and what may be shared, as the form starts.
        "on_behalf": "self",
        "share_contact": "yes",
        "share_words": "written",
        "consent": "y",
    }
    data.update(overrides)
    return data


def request_fields(**overrides):
    """The valid request as intake.submit() takes it: typed values instead of form text."""
    data = valid_request_data(**overrides)
    data["start_date"] = datetime.date.fromisoformat(data["start_date"])
    data["people_count"] = int(data["people_count"])
    data["end_date"] = None
    data["contact_safe"] = None
    return data


def approved_request(reviewer, **overrides):
    """A request stored directly, reviewed and approved by `reviewer` (inside an app context)."""
    request = intake.submit(request_fields(**overrides), "en").request
    workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
    workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
    return request


class Requester:
    """A person without an account: sends requests and follows them with the code."""

    def __init__(self, client):
        self.client = client

    def submit(self, **overrides):
        html_page = self.client.get("/request").get_data(as_text=True)
        data = valid_request_data(**overrides)
        data.setdefault("csrf_token", _TOKEN.search(html_page).group(1))
        data.setdefault("submission_token", _SUBMISSION.search(html_page).group(1))
        return self.client.post("/request", data=data)

    def submit_and_follow(self, **overrides):
        """Send the form and see the page it leads to, as a browser would (see `follow`)."""
        return self.follow(self.submit(**overrides))

    def follow(self, response):
        """The page this browser shows after sending the form with `response` as the answer.

        Received: the 303 goes to /request/code (never a URL with the code in it) and this
        is the code page. Refused: the form again with its errors, as the POST answered it.
        """
        if response.status_code != 303:
            return response
        assert response.headers["Location"] == CODE_PAGE, response.headers["Location"]
        return self.client.get(CODE_PAGE)

    def keep_code(self, typed):
        """Say the code was kept by typing `typed` (its end, or all of it) on the code page.

        Sent with this browser's CSRF token, as a code page opened earlier would send it:
        the page may no longer show the form by now.
        """
        data = {"kept": typed, "csrf_token": csrf_token(self.client, "/request")}
        return self.client.post(CODE_PAGE, data=data)

    def submit_and_get_code(self, **overrides):
        """Send the form, read the code on the page it leads to, and confirm it was kept."""
        page = self.submit_and_follow(**overrides)
        assert page.status_code == 200, page.status_code
        code = code_on(page)
        assert code, "no tracking code on the code page"
        kept = self.keep_code(code)
        assert kept.status_code == 303, "the code was not confirmed"
        return code

    def open(self, code):
        token = csrf_token(self.client, "/track")
        return self.client.post("/track", data={"code": code, "csrf_token": token})

    def tracking_page(self):
        """The tracking page of the request open in this browser, as text."""
        response = self.client.get("/track")
        assert response.status_code == 200
        return html.unescape(response.get_data(as_text=True))

    def send_message(self, body):
        token = csrf_token(self.client, "/track")
        return self.client.post("/track/message", data={"body": body, "csrf_token": token})

    def post_form(self, path, data):
        """Send a form of the tracking page, with its CSRF token."""
        token = csrf_token(self.client, "/track")
        return self.client.post(path, data={**data, "csrf_token": token})

    def withdraw(self):
        return self.post_form("/track/withdraw", {"confirm": "y"})


def guess_code(client, code=WRONG_CODE, **headers):
    """Type a tracking code (a wrong one unless given) on the tracking form and send it."""
    token = csrf_token(client, "/track")
    return client.post("/track", data={"code": code, "csrf_token": token}, headers=headers)


def row_counts(app):
    with app.app_context(), db.connection_context():
        return {model.__name__: model.select().count() for model in MODELS}


def stored_request(app):
    """The only stored request, decrypted, as a dict of what the requester wrote (opened
    with the escrow's key: the details are sealed to the request's keys)."""
    from .keys import as_escrow

    with app.app_context(), db.connection_context(), as_escrow():
        rows = list(Request.select())
        assert len(rows) == 1
        row = rows[0]
        fields = ("name", "organization", "place", "situation", "asked_for")
        values = {name: getattr(row, name) for name in fields}
        values.update(
            other_languages=row.other_languages,
            contact_detail=row.contact_detail,
            state=row.state,
            region=row.region,
            locale=row.locale,
            version=row.version,
            uid=row.uid,
            id=row.id,
            messages=[message.body for message in row.messages()],
        )
        return values


def tracking_sessions(app):
    with app.app_context(), db.connection_context():
        return ServerSession.select().count()


def tracking_browser(app, **overrides):
    """A browser with a new request open on its tracking page; returns (client, code)."""
    client = app.test_client()
    requester = Requester(client)
    code = requester.submit_and_get_code(**overrides)
    assert requester.open(code).status_code == 303
    return client, code


def send_too_much(client):
    """A request form a byte over the one-megabyte limit."""
    token = csrf_token(client)
    return client.post(
        "/request", data=valid_request_data(csrf_token=token, situation="a" * (1024 * 1024 + 1))
    )


def throttled(client, tries=100):
    """Guess wrong codes until the portal says too many: that answer."""
    for _ in range(tries):
        response = guess_code(client)
        if response.status_code == 429:
            return response
    raise AssertionError(f"{tries} wrong codes and never a 429")
