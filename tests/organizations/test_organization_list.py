"""The administrators' list of organizations, fifty to a page."""

import pytest

from portal import accounts, offers
from portal.vocabulary import SERVICE_LABELS

from portal_testing import (
    PASSWORD_ALONE,
    approved_request,
    create_staff_account,
    page_text,
)
from portal_testing.admin import (
    LIST,
    NEW,
    add_org,
    page_of,
    table_rows,
)

SUMMARY = "Threats against a community leader; accompaniment to hearings asked."

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def test_the_list_shows_every_organization_by_name_with_members_engagements_and_badges(app, admin):
    alpha = add_org(app, "alpha-network", name="Alpha Network", capacity=3, regions="africa")
    beta = add_org(app, "beta-collective", name="beta collective", capacity=2, public=False)
    add_org(app, "gamma", name="Gamma", services="monitoring", demo=True)
    add_org(app, "script-org", name="<script>alert(1)</script>")
    add_org(app, "template-org", name="{{7*7}}")
    with app.app_context():
        reviewer = create_staff_account("rev@example.org", "reviewer")
        first = create_staff_account("one@alpha.org", "org_member", organization=alpha)
        create_staff_account("two@alpha.org", "org_member", organization=alpha)
        create_staff_account("one@beta.org", "org_member", organization=beta)
        request = approved_request(reviewer)
        made = offers.offer(
            request, [alpha, beta], reviewer, expected_version=request.version, summary=SUMMARY
        )
        offers.accept(made[0], first)  # alpha takes it; beta's offer closes

    response = admin.get(LIST)

    assert response.status_code == 200
    rows = table_rows(response)
    names = [row["link"] for row in rows]
    assert names == [
        "/admin/organizations/script-org",  # "<" sorts before letters
        "/admin/organizations/alpha-network",
        "/admin/organizations/beta-collective",  # lower case sorts among the others
        "/admin/organizations/gamma",
        "/admin/organizations/template-org",
    ]
    by_key = {row["link"].rsplit("/", 1)[1]: row["cells"] for row in rows}
    assert by_key["alpha-network"] == [
        "Alpha Network alpha-network",
        "Protective accompaniment",
        "Africa",
        "1 / 3",
        "2",
        "Listed",
    ]
    assert by_key["beta-collective"][3:] == ["0 / 2", "1", "Not listed"]
    assert by_key["gamma"][0] == "Gamma demo gamma"
    assert by_key["gamma"][1] == "Monitoring visit"
    assert by_key["gamma"][3:] == ["0 / 3", "0", "Listed"]
    assert not any("demo" in cells[0] for key, cells in by_key.items() if key != "gamma")

    page = page_of(response)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert by_key["script-org"][0] == "<script>alert(1)</script> script-org"
    assert by_key["template-org"][0] == "{{7*7}} template-org"  # shown, never evaluated
    assert "49" not in by_key["template-org"][0]


def test_the_list_service_labels_match_the_form_choices(app, admin):
    add_org(app, "all-services", services=",".join(SERVICE_LABELS))

    cells = table_rows(admin.get(LIST))[0]["cells"]

    assert cells[1] == ", ".join(str(label) for label in SERVICE_LABELS.values())


def test_an_empty_list_says_so_and_offers_to_add_one(app, admin):
    response = admin.get(LIST)

    assert response.status_code == 200
    assert "No organization yet." in page_text(response)
    assert f'href="{NEW}"' in page_of(response)


def test_the_list_comes_in_pages_of_fifty(app, admin):
    for number in range(1, 121):
        add_org(app, f"org-{number:03d}", name=f"Org {number:03d}")

    first, second, beyond, garbage = (
        admin.get(f"{LIST}{query}") for query in ("", "?page=2", "?page=999", "?page=abc")
    )

    assert [row["cells"][0].split()[0:2] for row in table_rows(first)][:2] == [
        ["Org", "001"],
        ["Org", "002"],
    ]
    assert len(table_rows(first)) == 50
    assert [row["cells"][0] for row in table_rows(second)][0].startswith("Org 051")
    assert len(table_rows(beyond)) == 20  # the nearest page: the last one
    assert [row["cells"][0] for row in table_rows(beyond)][-1].startswith("Org 120")
    assert table_rows(garbage) == table_rows(first)
    assert 'href="/admin/organizations?page=2"' in page_of(first)
    assert 'rel="next"' in page_of(first) and 'rel="prev"' not in page_of(first)
    assert "hx-get" not in page_of(first)  # plain links: the whole page changes


def test_the_edit_page_lists_the_organizations_members_and_only_them(app, admin):
    andes, other = add_org(app, "andes"), add_org(app, "other")
    add_org(app, "empty")
    with app.app_context():
        create_staff_account("b.member@andes.test", "org_member", organization=andes)
        gone = create_staff_account("a.gone@andes.test", "org_member", organization=andes)
        create_staff_account("someone@other.test", "org_member", organization=other)
        accounts.deactivate(gone)

    page = page_text(admin.get(f"{LIST}/andes"))

    members = page.split('id="members-heading"')[1]
    assert members.index("a.gone@andes.test") < members.index("b.member@andes.test")
    assert members.count("Deactivated") == 1
    assert "someone@other.test" not in page
    assert "No member yet." in page_text(admin.get(f"{LIST}/empty"))
