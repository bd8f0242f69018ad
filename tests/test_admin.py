"""Administrators: staff accounts (create, deactivate, reactivate, reset) and the audit trail."""

import datetime
import html
import re
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from portal import accounts, audit
from portal.db import db
from portal.models import AuditEvent, RecoveryCode, ServerSession, User

from portal_testing import PageForms, create_staff_account, csrf_token, make_app, tags

PASSWORD = "a long and unlikely test passphrase"
HTMX = {"HX-Request": "true"}
NEW_PASSWORD = re.compile(r'id="new-password"[^>]*>([^<]+)<')


# --- the cast ------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path):
    """Password alone signs in here; one test below goes through two-step sign-in."""
    app = make_app(tmp_path, TOTP_REQUIRED_ROLES="")
    yield app
    if not db.is_closed():
        db.close()


def add_account(app, email, role, password=PASSWORD):
    with app.app_context():
        return create_staff_account(email, role, password)


def fetch(app, uid):
    with app.app_context():
        return User.get(User.uid == uid)


def sign_in(client, email, password=PASSWORD):
    token = csrf_token(client, "/staff/sign-in")
    return client.post(
        "/staff/sign-in", data={"csrf_token": token, "email": email, "password": password}
    )


class Staff:
    """A signed-in person with their own browser."""

    def __init__(self, app, email, role):
        self.app = app
        self.user = add_account(app, email, role)
        self.client = app.test_client()
        assert sign_in(self.client, email).status_code == 303

    def token(self):
        return csrf_token(self.client, "/staff/")

    def post(self, path, **data):
        return self.client.post(path, data={"csrf_token": self.token(), **data})

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)


@pytest.fixture
def admin(app):
    return Staff(app, "admin@example.org", "admin")


@pytest.fixture
def reviewer(app):
    return Staff(app, "reviewer@example.org", "reviewer")


def page_text(response):
    return html.unescape(response.get_data(as_text=True))


def shown_password(response):
    match = NEW_PASSWORD.search(response.get_data(as_text=True))
    assert match, "no password on the page"
    return match.group(1).strip()


def events(app, action=None):
    with app.app_context():
        query = AuditEvent.select().order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(query)


def send(staff, method, path, data):
    return staff.get(path) if method == "GET" else staff.post(path, **data)


def admin_urls(uid):
    """Every admin URL, with a harmless valid form for the POSTs."""
    return [
        ("GET", "/admin/accounts", {}),
        ("POST", "/admin/accounts", {"email": "someone@example.org", "role": "admin"}),
        ("POST", f"/admin/accounts/{uid}/deactivate", {}),
        ("POST", f"/admin/accounts/{uid}/reactivate", {}),
        ("GET", f"/admin/accounts/{uid}/reset", {}),
        ("POST", f"/admin/accounts/{uid}/reset", {}),
        ("GET", "/admin/audit?action=account.created", {}),
    ]


# --- who may open the admin pages ----------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_reviewers_and_members_are_refused_on_every_admin_url(app, role):
    target = add_account(app, "target@example.org", "reviewer")
    staff = Staff(app, f"{role}@example.org", role)

    for method, path, data in admin_urls(target.uid):
        response = send(staff, method, path, data)
        assert response.status_code == 403, (method, path)

    with app.app_context():
        assert User.by_email("someone@example.org") is None
        assert User.get(User.uid == target.uid).active
        assert accounts.authenticate("target@example.org", PASSWORD) is not None
        assert not AuditEvent.select().where(AuditEvent.action == "audit.viewed").exists()


def test_a_reviewer_gets_403_whether_or_not_the_account_exists(app, reviewer):
    """The same answer for any uid: refused staff learn nothing about which accounts exist."""
    for uid in (reviewer.user.uid, "0" * 32, "not-a-uid"):
        assert reviewer.post(f"/admin/accounts/{uid}/deactivate").status_code == 403
        assert reviewer.get(f"/admin/accounts/{uid}/reset").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in_on_every_admin_url(app):
    target = add_account(app, "target@example.org", "reviewer")
    client = app.test_client()
    token = csrf_token(client, "/staff/sign-in")

    for method, path, data in admin_urls(target.uid):
        if method == "GET":
            response = client.get(path)
        else:  # a valid token, so that the refusal comes from the role check
            response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 303, (method, path)
        location = urlsplit(response.location)
        assert location.path == "/staff/sign-in"
        assert parse_qs(location.query)["next"] == [path]

    with app.app_context():
        assert User.by_email("someone@example.org") is None
        assert User.get(User.uid == target.uid).active


def test_an_administrator_may_use_every_admin_url(app, admin):
    target = add_account(app, "target@example.org", "reviewer")
    expected = [200, 200, 303, 303, 200, 200, 200]

    for (method, path, data), status in zip(admin_urls(target.uid), expected, strict=True):
        response = send(admin, method, path, data)
        assert response.status_code == status, (method, path)


@pytest.mark.parametrize("uid", ["0" * 32, "f" * 31, "not-a-uid", "1", "%00", "A" * 32, "x" * 5000])
def test_an_unknown_account_gives_404(app, admin, uid):
    for path in ("deactivate", "reactivate", "reset"):
        assert admin.post(f"/admin/accounts/{uid}/{path}").status_code == 404
    assert admin.get(f"/admin/accounts/{uid}/reset").status_code == 404


def test_urls_name_accounts_by_uid_never_by_number(app, admin):
    target = add_account(app, "target@example.org", "reviewer")

    page = admin.get("/admin/accounts").get_data(as_text=True)

    assert f"/admin/accounts/{target.uid}/deactivate" in page
    assert f"/admin/accounts/{target.uid}/reset" in page
    assert admin.post(f"/admin/accounts/{target.id}/deactivate").status_code == 404


@pytest.fixture
def totp_app(tmp_path):
    """The default settings: administrators and reviewers need a second factor."""
    app = make_app(tmp_path / "totp")
    yield app
    if not db.is_closed():
        db.close()


def test_admin_pages_work_after_two_step_sign_in(totp_app):
    """An administrator enrols a second factor before any admin page opens."""
    app = totp_app
    add_account(app, "admin@example.org", "admin")
    client = app.test_client()

    response = sign_in(client, "admin@example.org")
    assert response.location == "/staff/enrol"
    assert client.get("/admin/accounts").status_code == 303  # a pending sign-in opens nothing

    enrol = client.get("/staff/enrol").get_data(as_text=True)
    secret = re.search(r'class="secret"[^>]*>([^<]+)<', enrol).group(1).replace(" ", "")
    token = csrf_token(client, "/staff/enrol")
    response = client.post(
        "/staff/enrol", data={"csrf_token": token, "code": pyotp.TOTP(secret).now()}
    )
    assert response.status_code == 201

    assert client.get("/admin/accounts").status_code == 200
    assert client.get("/admin/audit").status_code == 200

    # An account it creates must set up two-step sign-in at its first sign-in.
    token = csrf_token(client, "/admin/accounts")
    created = client.post(
        "/admin/accounts",
        data={"csrf_token": token, "email": "new@example.org", "role": "reviewer"},
    )
    assert "set up two-step sign-in" in page_text(created)
    newcomer = app.test_client()
    response = sign_in(newcomer, "new@example.org", shown_password(created))
    assert response.location == "/staff/enrol"


# --- creating an account -------------------------------------------------------------------


def test_the_accounts_page_lists_every_account_newest_first(app, admin):
    add_account(app, "older@example.org", "reviewer")
    add_account(app, "newer@example.org", "org_member")
    with app.app_context():
        User.update(active=False).where(User.email == "older@example.org").execute()

    page = page_text(admin.get("/admin/accounts"))

    assert page.index("newer@example.org") < page.index("older@example.org")
    assert page.index("older@example.org") < page.index("admin@example.org")
    for label in (
        "Administrator",
        "Reviewer",
        "Organization member",
        "Deactivated",
        "Account active",
    ):
        assert label in page
    assert "Not set up" in page and "Never" in page
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert f'<time datetime="{today}">' in page  # the administrator's own last sign-in


def test_creating_an_account_shows_a_password_once_that_signs_in(app, admin):
    response = admin.post("/admin/accounts", email="  New.Person@Example.ORG ", role="reviewer")

    assert response.status_code == 200
    password = shown_password(response)
    assert "shown only once" in page_text(response)
    assert password not in response.headers.get("Location", "")
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        created = User.by_email("new.person@example.org")
        assert created.email == "new.person@example.org"
        assert created.role == "reviewer"
        assert created.active and not created.totp_confirmed

    assert password not in admin.get("/admin/accounts").get_data(as_text=True)
    newcomer = app.test_client()
    assert sign_in(newcomer, "new.person@example.org", password).status_code == 303
    assert newcomer.get("/staff/").status_code == 200


def test_a_duplicate_email_is_refused_with_the_values_kept(app, admin):
    add_account(app, "taken@example.org", "reviewer")

    response = admin.post("/admin/accounts", email="Taken@example.org", role="org_member")

    assert response.status_code == 200
    form = PageForms(response.get_data(as_text=True))
    assert form.errors["email"] == ["An account with this email address exists already."]
    assert form.values["email"] == ["taken@example.org"]
    assert form.values["role"] == ["org_member"]
    assert 'id="new-password"' not in response.get_data(as_text=True)
    with app.app_context():
        assert User.select().where(User.email == "taken@example.org").count() == 1


@pytest.mark.parametrize(
    "email",
    [
        "",
        "not an address",
        "no-at-sign.example.org",
        "two@@example.org",
        "nodomain@",
        "@example.org",
        "dot..dot@example.org",
        "name@localhost",
        "=cmd|' /C calc'!A0@example.org",
        "x" * 250 + "@example.org",
    ],
)
def test_a_bad_email_is_refused(app, admin, email):
    response = admin.post("/admin/accounts", email=email, role="reviewer")

    assert response.status_code == 200
    assert PageForms(response.get_data(as_text=True)).errors["email"]
    with app.app_context():
        assert User.select().count() == 1


@pytest.mark.parametrize("role", ["", "superuser", "ADMIN", "admin ", "requester"])
def test_an_unknown_role_is_refused(app, admin, role):
    response = admin.post("/admin/accounts", email="new@example.org", role=role)

    assert response.status_code == 200
    assert PageForms(response.get_data(as_text=True)).errors["role"]
    with app.app_context():
        assert User.by_email("new@example.org") is None


def test_only_the_form_fields_bind(app, admin):
    forged = {
        "roles": "admin",
        "user[role]": "admin",
        "account-role": "admin",
        "is_admin": "1",
        "password": "chosen by the attacker 123",
        "password_hash": "$argon2id$forged",
        "active": "",
        "totp_confirmed": "y",
        "uid": "0" * 32,
        "id": "1",
    }

    response = admin.post("/admin/accounts", email="new@example.org", role="reviewer", **forged)

    assert response.status_code == 200
    with app.app_context():
        created = User.by_email("new@example.org")
        assert created.role == "reviewer"
        assert created.active and not created.totp_confirmed
        assert created.uid != "0" * 32
        assert accounts.authenticate("new@example.org", "chosen by the attacker 123") is None
        assert accounts.authenticate("new@example.org", shown_password(response)) is not None


def test_the_role_field_itself_sets_the_role(app, admin):
    response = admin.post("/admin/accounts", email="second@example.org", role="admin")

    assert response.status_code == 200
    with app.app_context():
        assert User.by_email("second@example.org").role == "admin"


def test_the_account_actions_never_change_the_role(app, admin):
    target = add_account(app, "target@example.org", "reviewer")

    admin.post(f"/admin/accounts/{target.uid}/deactivate", role="admin", active="1")
    admin.post(f"/admin/accounts/{target.uid}/reactivate", role="admin")
    admin.post(f"/admin/accounts/{target.uid}/reset", role="admin", password=PASSWORD)

    assert fetch(app, target.uid).role == "reviewer"


HOSTILE_EMAILS = [
    '"><img src=x onerror=alert(1)>@example.org',
    "<script>alert(1)</script>@example.org",
    "<svg onload=alert(1)>@example.org",
    "<div hx-get=/admin/audit hx-trigger=load>x</div>@example.org",
    "javascript:alert(1)@example.org",
    "{{7*7}}@example.org",
    "{% debug %}@example.org",
    "x' OR '1'='1@example.org",
    "\u202egro.elpmaxe@evil",
    "\u0645\u0631\u062d\u0628\u0627@example.org",
    "zero\u200bwidth@example.org",
    "emoji\U0001f469\u200d\U0001f4bb@example.org",
]


@pytest.mark.parametrize("email", HOSTILE_EMAILS)
def test_hostile_email_like_input_is_refused_and_shown_as_text(app, admin, email):
    response = admin.post("/admin/accounts", email=email, role="reviewer")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    form = PageForms(page)
    assert form.errors["email"] == ["Please enter an email address such as name@example.org."]
    assert form.values["email"] == [email.lower()]
    assert "49@example.org" not in page
    for tag, attrs in tags(page):
        assert tag not in ("img", "svg")
        assert "hx-get" not in attrs and "hx-trigger" not in attrs
        assert not any(name.startswith("on") for name in attrs), tag
        if tag == "script":
            assert attrs.get("src")
    with app.app_context():
        assert User.select().count() == 1


@pytest.mark.parametrize("email", ["nul\x00@example.org", "x" * 100_000 + "@example.org"])
def test_control_characters_and_huge_input_are_refused_with_a_message(app, admin, email):
    response = admin.post("/admin/accounts", email=email, role="reviewer")

    assert response.status_code == 200
    assert len(PageForms(response.get_data(as_text=True)).errors["email"]) == 1
    with app.app_context():
        assert User.select().count() == 1


def test_an_allowed_apostrophe_is_stored_exactly_and_shown_escaped(app, admin):
    response = admin.post("/admin/accounts", email="o'neil@example.org", role="reviewer")
    assert response.status_code == 200

    page = admin.get("/admin/accounts").get_data(as_text=True)

    assert "o&#39;neil@example.org" in page
    with app.app_context():
        assert User.by_email("o'neil@example.org") is not None


# --- deactivating, reactivating, resetting -------------------------------------------------


def test_deactivating_ends_the_accounts_sessions_at_once(app, admin, reviewer):
    stolen = reviewer.client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/staff/").status_code == 200

    response = admin.post(f"/admin/accounts/{reviewer.user.uid}/deactivate")

    assert response.status_code == 303
    assert response.location == "/admin/accounts"
    assert thief.get("/staff/").status_code == 303
    assert reviewer.get("/staff/").status_code == 303
    assert not fetch(app, reviewer.user.uid).active
    with app.app_context():
        assert not ServerSession.select().where(ServerSession.user == reviewer.user.id).exists()
    assert sign_in(app.test_client(), "reviewer@example.org").status_code == 200


def test_the_last_active_administrator_cannot_be_deactivated(app, admin):
    response = admin.post(f"/admin/accounts/{admin.user.uid}/deactivate")

    assert response.status_code == 409
    assert "The last active administrator cannot be deactivated." in page_text(response)
    assert fetch(app, admin.user.uid).active
    assert events(app, "account.deactivated") == []
    assert admin.get("/admin/accounts").status_code == 200


def test_an_administrator_can_be_deactivated_while_another_remains(app, admin):
    other = add_account(app, "second-admin@example.org", "admin")

    assert admin.post(f"/admin/accounts/{other.uid}/deactivate").status_code == 303
    assert not fetch(app, other.uid).active

    response = admin.post(f"/admin/accounts/{admin.user.uid}/deactivate")
    assert response.status_code == 409
    assert fetch(app, admin.user.uid).active


def test_reactivating_lets_the_account_sign_in_again(app, admin, reviewer):
    admin.post(f"/admin/accounts/{reviewer.user.uid}/deactivate")
    assert sign_in(app.test_client(), "reviewer@example.org").status_code == 200

    response = admin.post(f"/admin/accounts/{reviewer.user.uid}/reactivate")

    assert response.status_code == 303
    assert fetch(app, reviewer.user.uid).active
    assert sign_in(app.test_client(), "reviewer@example.org").status_code == 303


def test_reset_asks_for_confirmation_first(app, admin, reviewer):
    response = admin.get(f"/admin/accounts/{reviewer.user.uid}/reset")

    assert response.status_code == 200
    assert "reviewer@example.org" in page_text(response)
    assert 'id="new-password"' not in response.get_data(as_text=True)
    with app.app_context():
        assert accounts.authenticate("reviewer@example.org", PASSWORD) is not None
    assert events(app, "account.reset") == []


def test_reset_gives_a_new_password_and_clears_two_step_sign_in(app, admin, reviewer):
    with app.app_context():
        user = User.get(User.uid == reviewer.user.uid)
        secret = accounts.start_enrolment(user)
        assert accounts.confirm_enrolment(user, pyotp.TOTP(secret).now())

    response = admin.post(f"/admin/accounts/{reviewer.user.uid}/reset")

    assert response.status_code == 200
    password = shown_password(response)
    assert password != PASSWORD
    account = fetch(app, reviewer.user.uid)
    assert not account.totp_confirmed
    assert account.totp_secret_sealed is None and account.totp_last_step is None
    with app.app_context():
        assert not RecoveryCode.select().where(RecoveryCode.user == account.id).exists()
    assert reviewer.get("/staff/").status_code == 303  # signed out everywhere
    assert sign_in(app.test_client(), "reviewer@example.org").status_code == 200
    assert sign_in(app.test_client(), "reviewer@example.org", password).status_code == 303


# --- the audit trail -----------------------------------------------------------------------


def test_the_audit_trail_records_each_action_with_the_right_accounts(app, admin):
    created = admin.post("/admin/accounts", email="new@example.org", role="reviewer")
    with app.app_context():
        new = User.by_email("new@example.org")
    admin.post(f"/admin/accounts/{new.uid}/deactivate")
    admin.post(f"/admin/accounts/{new.uid}/reactivate")
    reset = admin.post(f"/admin/accounts/{new.uid}/reset")

    for action in ("account.created", "account.deactivated", "account.reactivated"):
        [event] = [e for e in events(app, action) if e.target_user_id == new.id]
        assert event.user_id == admin.user.id, action
    [event] = events(app, "account.reset")
    assert (event.user_id, event.target_user_id) == (admin.user.id, new.id)

    page = page_text(admin.get("/admin/audit"))
    for label in ("Account created", "Account deactivated", "Account reactivated"):
        assert label in page
    assert "Password and two-step sign-in reset" in page
    assert "new@example.org" in page and "admin@example.org" in page

    # No password in any column of any audit event, nor on the audit page.
    passwords = [shown_password(created), shown_password(reset), PASSWORD]
    with app.app_context():
        stored = list(AuditEvent.select().tuples())
    assert stored
    for row in stored:
        for value in row:
            for password in passwords:
                assert password not in str(value)
    for password in passwords:
        assert password not in page


def test_opening_the_audit_trail_is_recorded(app, admin):
    admin.get("/admin/audit")
    admin.get("/admin/audit?action=sign_out", headers=HTMX)

    viewed = events(app, "audit.viewed")
    assert [e.user_id for e in viewed] == [admin.user.id, admin.user.id]


@pytest.fixture
def trail(app, admin):
    """Events on four days of 2020, by and about several accounts (created today)."""
    other = add_account(app, "other@example.org", "reviewer")
    another = add_account(app, "another@example.org", "org_member")
    with app.app_context():
        admin_user = User.get(User.id == admin.user.id)
        dated = [
            ("request.viewed", admin_user, "AR-2020-0042", None, (2020, 3, 1, 9)),
            ("request.note", other, "AR-2020-0042", None, (2020, 3, 2, 23, 59)),
            ("request.viewed", other, "VS-2020-0007", None, (2020, 3, 3, 0, 0)),
            ("sign_out", other, None, other, (2020, 3, 3, 12)),
            ("sign_out", another, None, another, (2020, 2, 1, 8)),
        ]
        for action, user, reference, target, when in dated:
            event = audit.record(action, user=user, reference=reference, target_user=target)
            created_at = datetime.datetime(*when)
            AuditEvent.update(created_at=created_at).where(AuditEvent.id == event.id).execute()
    return other


def rows(response):
    """The (account, action, reference, target) of each row of the audit table."""
    page = response.get_data(as_text=True)
    body = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.DOTALL):
        cells = [html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        found.append((cells[1], cells[2], cells[3], cells[4]))
    return found


def test_filtering_by_action(app, admin, trail):
    response = admin.get("/admin/audit?action=request.viewed")

    assert response.status_code == 200
    assert rows(response) == [
        ("other@example.org", "Request opened", "VS-2020-0007", "—"),
        ("admin@example.org", "Request opened", "AR-2020-0042", "—"),
    ]


def test_filtering_by_reference(app, admin, trail):
    found = rows(admin.get("/admin/audit?reference=0042"))

    assert [r[1:3] for r in found] == [
        ("Internal note added", "AR-2020-0042"),
        ("Request opened", "AR-2020-0042"),
    ]
    assert rows(admin.get("/admin/audit?reference=ar-2020")) == found
    assert rows(admin.get("/admin/audit?reference=%25")) == []  # % is a character, not a wildcard


def test_filtering_by_email_exactly(app, admin, trail):
    found = rows(admin.get("/admin/audit?email=Other@Example.org&email_match=exact"))

    # The account that acted, or the account acted on (created by the test set-up: nobody).
    assert found == [
        ("—", "Account created", "—", "other@example.org"),
        ("other@example.org", "Signed out", "—", "other@example.org"),
        ("other@example.org", "Request opened", "VS-2020-0007", "—"),
        ("other@example.org", "Internal note added", "AR-2020-0042", "—"),
    ]
    assert rows(admin.get("/admin/audit?email=other@&email_match=exact")) == []


def test_filtering_by_part_of_an_email(app, admin, trail):
    found = rows(admin.get("/admin/audit?email=other@&email_match=contains"))

    assert len(found) == 6
    assert {r[0] for r in found} | {r[3] for r in found} == {
        "—",
        "other@example.org",
        "another@example.org",
    }
    assert rows(admin.get("/admin/audit?email=other@")) == found  # contains is the default
    assert rows(admin.get("/admin/audit?email=_ther@")) == []  # _ is a character too


def test_filtering_by_dates_includes_both_days(app, admin, trail):
    found = rows(admin.get("/admin/audit?since=2020-03-02&until=2020-03-03"))

    assert [r[1:3] for r in found] == [
        ("Signed out", "—"),
        ("Request opened", "VS-2020-0007"),
        ("Internal note added", "AR-2020-0042"),
    ]
    assert len(rows(admin.get("/admin/audit?until=2020-03-01"))) == 2
    assert len(rows(admin.get("/admin/audit?since=2020-03-03&until=2020-03-03"))) == 2
    assert len(rows(admin.get("/admin/audit?since=2020-03-04&until=2020-12-31"))) == 0


def test_filters_combine(app, admin, trail):
    found = rows(admin.get("/admin/audit?action=request.viewed&email=other&since=2020-03-03"))

    assert found == [("other@example.org", "Request opened", "VS-2020-0007", "—")]


@pytest.mark.parametrize(
    "query, field",
    [
        ("action=account.hacked", "action"),
        ("action=%00", "action"),
        ("since=2026-02-30", "since"),
        ("since=yesterday", "since"),
        ("until=99999-01-01", "until"),
        ("since=2026-03-03&until=2026-03-01", "until"),
        ("email=%00", "email"),
        ("email=" + "x" * 100_000, "email"),
        ("reference=" + "R" * 21, "reference"),
        ("reference=AR%01", "reference"),
        ("email_match=regex", "email_match"),
    ],
)
def test_bad_filters_give_a_form_error_not_a_500(app, admin, query, field):
    response = admin.get(f"/admin/audit?{query}")

    assert response.status_code == 200
    assert PageForms(response.get_data(as_text=True)).errors[field]
    assert 'id="error-summary"' in response.get_data(as_text=True)
    assert "<tbody>" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    ["since=0001-01-01&until=9999-12-31", "page=abc", "page=-3", "page=" + "9" * 40, "page=0"],
)
def test_extreme_but_valid_filters_work(app, admin, query):
    response = admin.get(f"/admin/audit?{query}")

    assert response.status_code == 200
    assert "<tbody>" in response.get_data(as_text=True)


def test_the_trail_is_paginated_fifty_a_page_newest_first(app, admin):
    with app.app_context():
        for n in range(120):
            audit.record("request.viewed", user=admin.user, reference=f"AR-2026-{n:04d}")

    first = admin.get("/admin/audit?action=request.viewed")
    third = admin.get("/admin/audit?action=request.viewed&page=3")

    assert len(rows(first)) == 50
    assert rows(first)[0][2] == "AR-2026-0119"
    assert "Page 1 of 3" in page_text(first)
    assert len(rows(third)) == 20
    assert rows(third)[-1][2] == "AR-2026-0000"
    # The links to other pages keep the filters.
    links = [a["href"] for t, a in tags(first.get_data(as_text=True)) if a.get("rel") == "next"]
    assert links == ["/admin/audit?page=2&action=request.viewed"]
    assert rows(admin.get(links[0]))[0][2] == "AR-2026-0069"


def test_the_filter_form_asks_htmx_for_the_results_only(app, admin):
    page = admin.get("/admin/audit").get_data(as_text=True)

    [form] = [a for t, a in tags(page) if t == "form" and a.get("class") == "filters"]
    assert form["method"] == "get"
    assert form["hx-get"] == form["action"] == "/admin/audit"
    assert form["hx-target"] == "#audit-results"
    assert form["hx-push-url"] == "true"
    assert any(a.get("id") == "audit-results" for t, a in tags(page))


def test_htmx_gets_only_the_results_partial(app, admin, trail):
    response = admin.get("/admin/audit?action=sign_out", headers=HTMX)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in page and 'class="filters"' not in page
    assert rows(response) == [
        ("other@example.org", "Signed out", "—", "other@example.org"),
        ("another@example.org", "Signed out", "—", "another@example.org"),
    ]

    errors = admin.get("/admin/audit?since=nope", headers=HTMX).get_data(as_text=True)
    assert "<html" not in errors and 'id="error-summary"' in errors

    boosted = admin.get("/admin/audit", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_hostile_filter_text_is_shown_as_text(app, admin):
    payload = '"><script>alert(1)</script><div hx-get=/x hx-trigger=load>'

    response = admin.get("/admin/audit", query_string={"email": payload, "reference": "<b>"})

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert PageForms(page).values["email"] == [payload.lower()]
    for tag, attrs in tags(page):
        assert tag not in ("b", "div") or "hx-get" not in attrs
        if tag == "script":
            assert attrs.get("src")


# --- CSRF ----------------------------------------------------------------------------------


def test_every_admin_post_needs_a_csrf_token(app, admin):
    target = add_account(app, "target@example.org", "reviewer")
    stranger = app.test_client()
    foreign_token = csrf_token(stranger, "/staff/sign-in")

    for method, path, data in admin_urls(target.uid):
        if method != "POST":
            continue
        assert admin.client.post(path, data=data).status_code == 400, path
        with_foreign = {**data, "csrf_token": foreign_token}
        assert admin.client.post(path, data=with_foreign).status_code == 400, path

    with app.app_context():
        assert User.by_email("someone@example.org") is None
        assert User.get(User.uid == target.uid).active
        assert accounts.authenticate("target@example.org", PASSWORD) is not None
        assert (
            not AuditEvent.select()
            .where(AuditEvent.action.startswith("account.") & (AuditEvent.user == admin.user.id))
            .exists()
        )


# --- the pages themselves ------------------------------------------------------------------


def test_admin_pages_have_no_inline_script_style_or_event_handlers(app, admin):
    target = add_account(app, "target@example.org", "reviewer")
    pages = {
        "accounts": admin.get("/admin/accounts"),
        "accounts with errors": admin.post("/admin/accounts", email="<b>", role="x"),
        "last admin": admin.post(f"/admin/accounts/{admin.user.uid}/deactivate"),
        "created": admin.post("/admin/accounts", email="new@example.org", role="reviewer"),
        "reset confirmation": admin.get(f"/admin/accounts/{target.uid}/reset"),
        "reset": admin.post(f"/admin/accounts/{target.uid}/reset"),
        "audit": admin.get("/admin/audit"),
        "audit partial": admin.get("/admin/audit", headers=HTMX),
        "audit with errors": admin.get("/admin/audit?since=never"),
    }

    for name, response in pages.items():
        assert response.status_code in (200, 409), name
        for tag, attrs in tags(response.get_data(as_text=True)):
            assert tag != "style", name
            if tag == "script":
                assert attrs.get("src"), f"inline <script> on {name}"
            assert "style" not in attrs, f"style= on <{tag}> on {name}"
            handlers = [a for a in attrs if a.startswith("on") or a.startswith("hx-on")]
            assert not handlers, f"{handlers} on <{tag}> on {name}"


def test_the_password_page_offers_no_language_links_that_would_lose_it(app, admin):
    response = admin.post("/admin/accounts", email="new@example.org", role="reviewer")

    assert 'id="lang-switcher"' not in response.get_data(as_text=True)
    assert 'id="lang-switcher"' in admin.get("/admin/accounts").get_data(as_text=True)
