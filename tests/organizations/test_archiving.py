"""Archiving an organization: it leaves the directory and matching, its offers are taken
back, its members have nothing to answer, its history stays; and restoring it."""

import itertools

import pytest

from portal import offers, review
from portal.models import (
    AuditEvent,
    Notice,
    Offer,
    Organization,
    Request,
    TimelineEvent,
    User,
)

from portal_testing import (
    PASSWORD_ALONE,
    PageForms,
    StaffClient,
    approved_request,
    create_staff_account,
    page_text,
)
from portal_testing.admin import LIST, add_org, page_of, table_rows
from portal_testing.offers import CONTACT_PLAN, offer_url

SUMMARY = "Threats against a community leader; accompaniment to hearings asked."
TICK = "Tick this box to confirm."

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def archive_url(key):
    return f"{LIST}/{key}/archive"


def archived_at(app, key):
    with app.app_context():
        return Organization.get(Organization.key == key).archived_at


def audit(app, action):
    with app.app_context():
        return [
            (event.user_id, event.detail)
            for event in AuditEvent.select().where(AuditEvent.action == action)
        ]


def offer_state(app, handle):
    with app.app_context():
        return Offer.get(Offer.handle == handle).state


def request_state(app, reference):
    with app.app_context():
        return Request.get(Request.reference == reference).state


_numbers = itertools.count(1)


def offered(app, keys, **request_fields):
    """A request approved and offered to the organizations with `keys`: (reference, handles)."""
    with app.app_context():
        reviewer = create_staff_account(f"rev-{next(_numbers)}@example.org", "reviewer")
        request = approved_request(reviewer, **request_fields)
        chosen = list(Organization.select().where(Organization.key.in_(keys)))
        made = offers.offer(
            request, chosen, reviewer, expected_version=request.version, summary=SUMMARY
        )
        return request.reference, {o.organization.key: o.handle for o in made}


@pytest.fixture
def andes(app):
    return add_org(app, "andes", name="Andes Collective", public=True)


@pytest.fixture
def sahel(app):
    return add_org(app, "sahel", name="Sahel Visits", public=True)


@pytest.fixture
def andes_member(app, andes):
    with app.app_context():
        account = create_staff_account("member@andes.test", "org_member", organization=andes)
    return StaffClient(app, account)


# --- the confirmation ---------------------------------------------------------------------


def test_the_archive_page_says_what_will_happen_before_anything_does(app, admin, andes):
    offered(app, ["andes"])

    response = admin.get(archive_url("andes"))

    assert response.status_code == 200
    page = page_text(response)
    assert "Archive Andes Collective?" in page
    assert "It leaves the public directory, and it is no longer proposed for requests." in page
    assert "Its 1 offer still waiting for an answer is taken back." in page
    assert "Its history stays" in page
    values = PageForms(page_of(response)).values
    assert "confirm" not in values  # the box starts unticked
    assert archived_at(app, "andes") is None


@pytest.mark.parametrize("tick", [None, ""])
def test_archiving_without_the_tick_changes_nothing(app, admin, andes, tick):
    reference, handles = offered(app, ["andes"])

    response = admin.post(archive_url("andes"), {} if tick is None else {"confirm": tick})

    assert response.status_code == 422
    assert PageForms(page_of(response)).errors["confirm"] == [TICK]
    page = page_of(response)
    assert 'href="#confirm"' in page[page.index('id="error-summary"') :]
    assert archived_at(app, "andes") is None
    assert offer_state(app, handles["andes"]) == "open"
    assert request_state(app, reference) == "offered"
    assert audit(app, "organization.archived") == []
    assert "Andes Collective" in page_text(app.test_client().get("/organizations"))


# --- what archiving does ------------------------------------------------------------------


def test_an_archived_organization_leaves_the_directory_and_matching(app, admin, andes, sahel):
    with app.app_context():
        reviewer = create_staff_account("rev@example.org", "reviewer")
        request = approved_request(reviewer)
    assert "Andes Collective" in page_text(app.test_client().get("/organizations"))

    response = admin.post(archive_url("andes"), confirm="y")

    assert response.status_code == 303
    assert response.location == LIST
    assert archived_at(app, "andes") is not None
    directory = page_text(app.test_client().get("/organizations"))
    assert "Andes Collective" not in directory
    assert "Sahel Visits" in directory
    with app.app_context():
        keys = {match.candidate.key for match in review.matches_for(request)}
    assert keys == {"sahel"}
    assert audit(app, "organization.archived") == [(admin.user.id, "key=andes offers_taken_back=0")]
    assert "The organization was archived." in page_text(admin.get(LIST))


def test_the_list_shows_archived_organizations_apart_and_marked(app, admin, andes, sahel):
    admin.post(archive_url("andes"), confirm="y")

    in_service = admin.get(LIST)
    archived = admin.get(f"{LIST}?archived=1")

    assert [row["link"] for row in table_rows(in_service)] == [f"{LIST}/sahel"]
    rows = table_rows(archived)
    assert [row["link"] for row in rows] == [f"{LIST}/andes"]
    assert rows[0]["cells"][-1].startswith("Archived ")
    page = page_text(archived)
    assert "Archived organizations" in page
    assert 'aria-current="true">Archived' in page_of(archived)
    edit = page_text(admin.get(f"{LIST}/andes"))
    assert "Archived on " in edit and "Restore the organization" in edit
    assert archive_url("andes") not in page_of(admin.get(f"{LIST}/andes"))


def test_its_open_offers_are_taken_back_and_a_request_left_with_none_goes_back(
    app, admin, andes, sahel
):
    alone, alone_handles = offered(app, ["andes"])
    shared, shared_handles = offered(app, ["andes", "sahel"])
    with app.app_context():
        create_staff_account("other-reviewer@example.org", "reviewer")
        before = Notice.select().where(Notice.kind == "offers_ended").count()

    response = admin.post(archive_url("andes"), confirm="y")

    assert response.status_code == 303
    assert offer_state(app, alone_handles["andes"]) == "closed"
    assert offer_state(app, shared_handles["andes"]) == "closed"
    assert (
        offer_state(app, shared_handles["sahel"]) == "open"
    )  # another organization may still say yes
    assert request_state(app, alone) == "approved"  # back to be offered again
    assert request_state(app, shared) == "offered"
    with app.app_context():
        told = Notice.select().where(Notice.kind == "offers_ended").count() - before
        moved_back = TimelineEvent.select().where(
            (TimelineEvent.request == Request.get(Request.reference == alone).id)
            & (TimelineEvent.to_state == "approved")
            & (TimelineEvent.actor == "system")
        )
        assert moved_back.count() == 1
    # Every reviewer (administrators review too) hears once that a request has no offer left.
    with app.app_context():
        reviewers = User.select().where(User.role.in_(("admin", "reviewer"))).count()
    assert told == reviewers
    assert audit(app, "organization.archived") == [(admin.user.id, "key=andes offers_taken_back=2")]
    assert "its 2 open offers were taken back" in page_text(admin.get(LIST))


def test_its_members_can_no_longer_answer_an_offer(app, admin, andes, andes_member):
    reference, handles = offered(app, ["andes"])

    admin.post(archive_url("andes"), confirm="y")

    response = andes_member.post(offer_url(handles["andes"], "accept"), CONTACT_PLAN)
    assert response.status_code == 409
    assert offer_state(app, handles["andes"]) == "closed"
    assert request_state(app, reference) == "approved"
    declined = andes_member.post(offer_url(handles["andes"], "decline"), {"decline-reason": "No."})
    assert declined.status_code == 409
    # They can still sign in and open their inbox: nothing is waiting there.
    inbox = andes_member.get("/org/")
    assert inbox.status_code == 200
    waiting = page_of(inbox).split('id="taken-heading"')[0]
    assert offer_url(handles["andes"]) not in waiting
    assert "No offer is waiting for an answer." in waiting


def test_an_organization_working_on_a_request_cannot_be_archived_and_nothing_changes(
    app, admin, andes, andes_member, sahel
):
    taken, taken_handles = offered(app, ["andes"])
    waiting, waiting_handles = offered(app, ["andes", "sahel"])
    assert (
        andes_member.post(offer_url(taken_handles["andes"], "accept"), CONTACT_PLAN).status_code
        == 303
    )

    page = admin.get(archive_url("andes"))
    response = admin.post(archive_url("andes"), confirm="y")

    assert "It cannot be archived now: it is working on 1 request" in page_text(page)
    assert 'name="confirm"' not in page_of(page)  # no form to send
    assert response.status_code == 409
    assert "It cannot be archived now" in page_text(response)
    assert archived_at(app, "andes") is None
    # The offer that would have been taken back is still open (all or nothing).
    assert offer_state(app, waiting_handles["andes"]) == "open"
    assert request_state(app, taken) == "accepted"
    assert audit(app, "organization.archived") == []


def test_the_history_stays(app, admin, andes, andes_member):
    reference, handles = offered(app, ["andes"])
    with app.app_context():
        events_before = TimelineEvent.select().count()

    admin.post(archive_url("andes"), confirm="y")

    with app.app_context():
        assert Offer.select().where(Offer.handle == handles["andes"]).exists()
        assert TimelineEvent.select().count() == events_before + 1  # the move back, added
        assert Organization.select().where(Organization.key == "andes").exists()
    members = page_text(admin.get(f"{LIST}/andes")).split("Members")[1]
    assert "member@andes.test" in members


# --- restoring ----------------------------------------------------------------------------


def test_restoring_brings_it_back_to_the_directory_and_matching(app, admin, andes):
    with app.app_context():
        reviewer = create_staff_account("rev@example.org", "reviewer")
        request = approved_request(reviewer)
    admin.post(archive_url("andes"), confirm="y")

    response = admin.post(f"{LIST}/andes/restore")

    assert response.status_code == 303
    assert archived_at(app, "andes") is None
    assert "Andes Collective" in page_text(app.test_client().get("/organizations"))
    with app.app_context():
        assert [m.candidate.key for m in review.matches_for(request)] == ["andes"]
    assert audit(app, "organization.restored") == [(admin.user.id, "key=andes")]
    assert "The organization is in service again." in page_text(admin.get(f"{LIST}/andes"))


def test_a_private_organization_restored_stays_out_of_the_directory(app, admin):
    add_org(app, "quiet", name="Quiet Watch", public=False)
    admin.post(archive_url("quiet"), confirm="y")
    admin.post(f"{LIST}/quiet/restore")

    assert "Quiet Watch" not in page_text(app.test_client().get("/organizations"))


# --- accounts: nobody joins an archived organization ---------------------------------------


def test_new_members_cannot_join_an_archived_organization(app, admin, andes, sahel):
    admin.post(archive_url("andes"), confirm="y")

    form = PageForms(page_of(admin.get("/admin/accounts")))
    response = admin.post(
        "/admin/accounts", email="new@andes.test", role="org_member", organization="andes"
    )

    assert 'value="andes"' not in page_of(admin.get("/admin/accounts"))
    assert form.values["organization"] == [""]
    assert PageForms(page_of(response)).errors["organization"] == [
        "Please choose an organization from the list."
    ]
    with app.app_context():
        assert not Organization.get(Organization.key == "andes").members.exists()


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_only_administrators_archive_or_restore(app, andes, sign_in_as, role):
    staff = sign_in_as(role)

    assert staff.get(archive_url("andes")).status_code == 403
    assert staff.post(archive_url("andes"), confirm="y").status_code == 403
    assert staff.post(f"{LIST}/andes/restore").status_code == 403
    assert archived_at(app, "andes") is None


@pytest.mark.parametrize("key", ["nobody", "ANDES", "x" * 81, "%00"])
def test_an_unknown_key_gives_404(app, admin, andes, key):
    assert admin.get(archive_url(key)).status_code == 404
    assert admin.post(archive_url(key), confirm="y").status_code == 404
    assert admin.post(f"{LIST}/{key}/restore").status_code == 404


def test_a_hostile_name_is_shown_as_text_on_the_archive_page(app, admin):
    add_org(app, "script-org", name='<script>alert(1)</script><div hx-get="/x">{{7*7}}')

    page = page_of(admin.get(archive_url("script-org")))

    assert "<script>alert(1)" not in page and '<div hx-get="/x">' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<script>alert(1)</script><div hx-get="/x">{{7*7}}' in page_text(
        admin.get(archive_url("script-org"))
    )  # shown as text, never evaluated


def test_archiving_twice_does_nothing_more(app, admin, andes):
    admin.post(archive_url("andes"), confirm="y")
    first = archived_at(app, "andes")

    again = admin.post(archive_url("andes"), confirm="y")

    assert again.status_code == 303 and again.location == f"{LIST}/andes"
    assert archived_at(app, "andes") == first
    assert len(audit(app, "organization.archived")) == 1
