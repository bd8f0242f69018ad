"""Staff accounts, and a staff member signed in with a browser of their own."""

import html
import re

from portal.models import Organization, Request

from .pages import csrf_token

# The staff actions whose button needs a tick (portal.review.ACTIONS with `confirm`).
IRREVERSIBLE = {"approve", "take_back", "reject", "close"}

STAFF_PASSWORD = "a long test passphrase 7431"


def members_organization():
    """The organization test members belong to unless a test says otherwise.

    It offers no service and is not public, so it never appears in matches
    or in the directory. Call inside an app context.
    """
    organization, _ = Organization.get_or_create(
        key="test-members", defaults={"name": "Test members' organization", "public": False}
    )
    return organization


def create_staff_account(email, role, password=STAFF_PASSWORD, organization=None):
    """A staff account; a member with no organization given joins members_organization()."""
    from portal import accounts

    if role == "org_member" and organization is None:
        organization = members_organization()
    return accounts.create_user(email, role, password, organization=organization)


def sign_in(client, email, password=STAFF_PASSWORD, next_path=None, token=None, **kwargs):
    """Fill in the sign-in form and send it."""
    data = {
        "email": email,
        "password": password,
        "csrf_token": token or csrf_token(client, "/staff/sign-in"),
    }
    if next_path is not None:
        data["next"] = next_path
    return client.post("/staff/sign-in", data=data, **kwargs)


class StaffClient:
    """A staff member signed in through the real sign-in page, in a browser of their own.

    The app must let their role sign in with a password alone (PASSWORD_ALONE). Posts carry
    the CSRF token of the signed-in session, as the pages' forms do.
    """

    def __init__(self, app, account, password=STAFF_PASSWORD):
        self.app, self.user = app, account
        self.client = app.test_client()
        response = sign_in(self.client, account.email, password)
        assert response.status_code == 303, response.get_data(as_text=True)
        self.landed_on = response.headers["Location"]
        self.refresh_token()

    @classmethod
    def create(cls, app, role, email=None, organization=None):
        """A new account of `role` (named `role`@example.org unless given), signed in."""
        with app.app_context():
            account = create_staff_account(
                email or f"{role}@example.org", role, organization=organization
            )
        return cls(app, account)

    def refresh_token(self, path="/staff/"):
        """Take the CSRF token from a page, as a browser's next form would carry it."""
        self.token = csrf_token(self.client, path)

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def page(self, path, **kwargs):
        """The HTML of a page that must open."""
        response = self.get(path, **kwargs)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def text(self, path, **kwargs):
        """A page that must open, as a person reads it (HTML entities undone)."""
        return html.unescape(self.page(path, **kwargs))

    def post(self, path, data=None, /, **fields):
        """Send a form: `data` and/or fields by name, with the CSRF token."""
        return self.client.post(path, data={"csrf_token": self.token, **(data or {}), **fields})

    def ask(self, reference, question, **fields):
        """Write to the requester with "this is a question" ticked (the request then
        waits for them), at the version now stored."""
        if "message-version" not in fields:
            with self.app.app_context():
                stored = Request.get(Request.reference == reference)
                fields["message-version"] = str(stored.version)
        return self.post(
            f"/review/{reference}/message",
            {"message-body": question, "message-ask": "y", **fields},
        )

    def act(self, reference, action, *, confirmed=True, **fields):
        """Press an action's button on a request's page, opened at the version now stored,
        its tick box ticked (`confirmed`) for an action that cannot be undone."""
        if confirmed and action in IRREVERSIBLE:
            fields.setdefault("confirm", "y")
        if "version" not in fields:
            with self.app.app_context():
                fields["version"] = str(Request.get(Request.reference == reference).version)
        return self.post(f"/review/{reference}/act", action=action, **fields)


_NEW_PASSWORD = re.compile(r'id="new-password"[^>]*>([^<]+)<')


def shown_password(response):
    """The password an administrator's page shows, once, for a new or reset account."""
    match = _NEW_PASSWORD.search(response.get_data(as_text=True))
    assert match, "no password on the page"
    return match.group(1).strip()
