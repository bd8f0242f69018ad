"""An administrator moves an organization member to another organization: confirmed, in
the audit trail, and applied at once (the member's sessions end)."""

import pytest

from portal import offers
from portal.models import AuditEvent, Organization, ServerSession, User

from portal_testing import (
    PASSWORD_ALONE,
    PageForms,
    StaffClient,
    add_organization,
    approved_request,
    create_staff_account,
    page_text,
    sign_in,
)
from portal_testing.offers import offer_url

SUMMARY = "Threats against a community leader; accompaniment to hearings asked."
TICK = "Tick this box to confirm."

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


@pytest.fixture
def orgs(app):
    """Three organizations in service and one archived, each with an open offer but the last."""
    with app.app_context():
        made = {
            key: add_organization(key, name=name)
            for key, name in [
                ("andes", "Andes Collective"),
                ("sahel", "Sahel Visits"),
                ("lakes", "Great Lakes Presence"),
                ("gone", "Gone Watch"),
            ]
        }
        reviewer = create_staff_account("rev@example.org", "reviewer")
        request = approved_request(reviewer)
        chosen = [made["andes"], made["sahel"]]
        opened = offers.offer(
            request, chosen, reviewer, expected_version=request.version, summary=SUMMARY
        )
        Organization.update(archived_at=Organization.created_at).where(
            Organization.key == "gone"
        ).execute()
    return {"offers": {o.organization.key: o.handle for o in opened}}


@pytest.fixture
def member(app, orgs):
    with app.app_context():
        andes = Organization.get(Organization.key == "andes")
        account = create_staff_account("member@andes.test", "org_member", organization=andes)
    return StaffClient(app, account)


def move_url(account):
    return f"/admin/accounts/{account.user.uid}/move"


def organization_of(app, account):
    with app.app_context():
        return User.get(User.id == account.user.id).organization.key


def moves(app):
    with app.app_context():
        return [
            (e.user_id, e.target_user_id, e.detail)
            for e in AuditEvent.select().where(AuditEvent.action == "account.moved")
        ]


def test_the_move_page_offers_only_other_organizations_in_service(app, admin, member):
    response = admin.get(move_url(member))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    options = PageForms(page)
    assert options.values["organization"] == [""]  # nothing chosen for the administrator
    assert 'value="sahel"' in page and 'value="lakes"' in page
    assert 'value="andes"' not in page  # where the member is already
    assert 'value="gone"' not in page  # archived
    text = page_text(response)
    assert "member@andes.test" in text and "Andes Collective" in text
    assert "stops seeing the offers" in text
    assert "They are signed out everywhere" in text
    assert "confirm" not in options.values  # the box starts unticked


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"organization": "sahel"}, "confirm", TICK),
        ({"organization": "sahel", "confirm": ""}, "confirm", TICK),
        (
            {"organization": "", "confirm": "y"},
            "organization",
            "Please choose the organization the member moves to.",
        ),
        (
            {"organization": "gone", "confirm": "y"},
            "organization",
            "Please choose an organization from the list.",
        ),
        (
            {"organization": "nowhere", "confirm": "y"},
            "organization",
            "Please choose an organization from the list.",
        ),
        (
            {"organization": "andes", "confirm": "y"},
            "organization",
            "The member belongs to this organization already.",
        ),
    ],
)
def test_a_refused_move_changes_nothing_and_says_why_by_the_field(
    app, admin, member, data, field, message
):
    response = admin.post(move_url(member), data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    form = PageForms(page)
    assert form.errors[field] == [message]
    summary = page[page.index('id="error-summary"') :]
    assert message in page_text(response)
    assert f'href="#{field}"' in summary
    if data["organization"] in ("sahel", "lakes"):
        assert form.values["organization"] == [data["organization"]]  # kept as chosen
    assert organization_of(app, member) == "andes"
    assert member.get("/org/").status_code == 200  # still signed in
    assert moves(app) == []


def test_a_move_applies_at_once_and_is_in_the_audit_trail(app, admin, member, orgs):
    assert member.get(offer_url(orgs["offers"]["andes"])).status_code == 200
    stolen = member.client.get_cookie("session").value

    response = admin.post(move_url(member), organization="sahel", confirm="y")

    assert response.status_code == 303
    assert response.location == "/admin/accounts"
    assert organization_of(app, member) == "sahel"
    # Signed out everywhere: the browser and any copy of its cookie.
    assert member.get("/org/").status_code == 303
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/org/").status_code == 303
    with app.app_context():
        assert not ServerSession.select().where(ServerSession.user == member.user.id).exists()
    assert moves(app) == [(admin.user.id, member.user.id, "from=andes to=sahel")]
    assert "The member was moved and signed out everywhere." in page_text(
        admin.get("/admin/accounts")
    )

    # Signed in again: the new organization's offers, never the old one's.
    again = app.test_client()
    assert sign_in(again, "member@andes.test").status_code == 303
    assert again.get(offer_url(orgs["offers"]["andes"])).status_code == 404
    assert again.get(offer_url(orgs["offers"]["sahel"])).status_code == 200
    inbox = page_text(again.get("/org/"))
    assert "Sahel Visits" in inbox and "Andes Collective" not in inbox


def test_a_member_of_an_archived_organization_can_be_moved_out(app, admin, orgs):
    with app.app_context():
        # A member from before the archiving (nobody joins an archived organization now).
        account = create_staff_account("left@gone.test", "org_member")
        gone = Organization.get(Organization.key == "gone")
        User.update(organization=gone).where(User.id == account.id).execute()
    stranded = StaffClient(app, account)

    page = page_text(admin.get(move_url(stranded)))
    response = admin.post(move_url(stranded), organization="lakes", confirm="y")

    assert "Archived" in page
    assert response.status_code == 303
    assert organization_of(app, stranded) == "lakes"


def test_only_the_form_fields_bind(app, admin, member):
    forged = {"role": "admin", "active": "", "email": "taken@evil.test", "organization_id": "1"}

    admin.post(move_url(member), organization="sahel", confirm="y", **forged)

    with app.app_context():
        moved = User.get(User.id == member.user.id)
        assert (moved.role, moved.active, moved.email) == ("org_member", True, "member@andes.test")
        assert moved.organization.key == "sahel"


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_staff_without_an_organization_cannot_be_moved(app, admin, orgs, role):
    with app.app_context():
        other = create_staff_account(f"other-{role}@example.org", role)

    assert admin.get(f"/admin/accounts/{other.uid}/move").status_code == 404
    response = admin.post(f"/admin/accounts/{other.uid}/move", organization="sahel", confirm="y")
    assert response.status_code == 404
    with app.app_context():
        assert User.get(User.id == other.id).organization is None


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_only_administrators_move_members(app, member, sign_in_as, role):
    staff = sign_in_as(role, f"someone-{role}@example.org")

    assert staff.get(move_url(member)).status_code == 403
    assert staff.post(move_url(member), organization="sahel", confirm="y").status_code == 403
    assert organization_of(app, member) == "andes"


def test_anonymous_visitors_are_sent_to_sign_in(app, member):
    visitor = app.test_client()

    response = visitor.get(move_url(member))

    assert response.status_code == 303
    assert response.location.startswith("/staff/sign-in")


def test_the_accounts_and_organization_pages_link_to_the_move(app, admin, member):
    accounts_page = admin.get("/admin/accounts").get_data(as_text=True)
    organization_page = admin.get("/admin/organizations/andes").get_data(as_text=True)

    assert move_url(member) in accounts_page
    assert move_url(member) in organization_page
    assert f"/admin/accounts/{admin.user.uid}/move" not in accounts_page  # not a member
