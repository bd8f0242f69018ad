"""Staff accounts: creating, deactivating, reactivating and resetting them."""

import datetime

import pyotp
import pytest

from portal import accounts
from portal.models import RecoveryCode, ServerSession, User

from portal_testing import (
    PASSWORD_ALONE,
    STAFF_PASSWORD,
    PageForms,
    page_text,
    shown_password,
    sign_in,
    tags,
)
from portal_testing.admin import add_account, events, fetch

HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


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

    admin.post(f"/admin/accounts/{target.uid}/deactivate", role="admin", active="1", confirm="y")
    admin.post(f"/admin/accounts/{target.uid}/reactivate", role="admin")
    admin.post(f"/admin/accounts/{target.uid}/reset", role="admin", password=STAFF_PASSWORD)

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


def test_deactivating_ends_the_accounts_sessions_at_once(app, admin, reviewer):
    stolen = reviewer.client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/staff/").status_code == 200

    response = admin.post(f"/admin/accounts/{reviewer.user.uid}/deactivate", confirm="y")

    assert response.status_code == 303
    assert response.location == "/admin/accounts"
    assert thief.get("/staff/").status_code == 303
    assert reviewer.get("/staff/").status_code == 303
    assert not fetch(app, reviewer.user.uid).active
    with app.app_context():
        assert not ServerSession.select().where(ServerSession.user == reviewer.user.id).exists()
    assert sign_in(app.test_client(), "reviewer@example.org").status_code == 200


def test_the_last_active_administrator_cannot_be_deactivated(app, admin):
    response = admin.post(f"/admin/accounts/{admin.user.uid}/deactivate", confirm="y")

    assert response.status_code == 409
    assert "The last active administrator cannot be deactivated." in page_text(response)
    assert fetch(app, admin.user.uid).active
    assert events(app, "account.deactivated") == []
    assert admin.get("/admin/accounts").status_code == 200


def test_an_administrator_can_be_deactivated_while_another_remains(app, admin):
    other = add_account(app, "second-admin@example.org", "admin")

    assert admin.post(f"/admin/accounts/{other.uid}/deactivate", confirm="y").status_code == 303
    assert not fetch(app, other.uid).active

    response = admin.post(f"/admin/accounts/{admin.user.uid}/deactivate", confirm="y")
    assert response.status_code == 409
    assert fetch(app, admin.user.uid).active


def test_reactivating_lets_the_account_sign_in_again(app, admin, reviewer):
    admin.post(f"/admin/accounts/{reviewer.user.uid}/deactivate", confirm="y")
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
        assert accounts.authenticate("reviewer@example.org", STAFF_PASSWORD) is not None
    assert events(app, "account.reset") == []


def test_reset_gives_a_new_password_and_clears_two_step_sign_in(app, admin, reviewer):
    with app.app_context():
        user = User.get(User.uid == reviewer.user.uid)
        secret = accounts.start_enrolment(user)
        assert accounts.confirm_enrolment(user, pyotp.TOTP(secret).now())

    response = admin.post(f"/admin/accounts/{reviewer.user.uid}/reset")

    assert response.status_code == 200
    password = shown_password(response)
    assert password != STAFF_PASSWORD
    account = fetch(app, reviewer.user.uid)
    assert not account.totp_confirmed
    assert account.totp_secret_sealed is None and account.totp_last_step is None
    with app.app_context():
        assert not RecoveryCode.select().where(RecoveryCode.user == account.id).exists()
    assert reviewer.get("/staff/").status_code == 303  # signed out everywhere
    assert sign_in(app.test_client(), "reviewer@example.org").status_code == 200
    assert sign_in(app.test_client(), "reviewer@example.org", password).status_code == 303


def test_a_generated_password_reads_aloud_without_look_alikes():
    drawn = {accounts.generate_password() for _ in range(200)}

    assert len(drawn) == 200
    for password in drawn:
        groups = password.split("-")
        assert [len(group) for group in groups] == [4] * 6
        assert set("".join(groups)) <= set("23456789ABCDEFGHJKMNPQRSTWXYZ")
        assert accounts.password_problem(password) is None
