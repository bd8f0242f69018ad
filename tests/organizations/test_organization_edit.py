"""Editing an organization: the stored values change, never the key."""

import pytest

from portal.models import Organization

from portal_testing import (
    PASSWORD_ALONE,
    PageForms,
    page_text,
)
from portal_testing.admin import (
    CONTROL,
    LIST,
    STORED_FIELDS,
    WEBSITE_RULE,
    WHOLE_NUMBER,
    add_org,
    assert_refused_with,
    assert_typed_values_kept,
    audit_events,
    complete_form,
    edit_organization,
    org_count,
    organization_events,
    page_of,
    stored,
)

SUMMARY = "Threats against a community leader; accompaniment to hearings asked."

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def test_the_edit_page_shows_the_stored_values(app, admin, andes):
    response = admin.get(f"{LIST}/andes-collective")

    assert response.status_code == 200
    values = PageForms(page_of(response)).values
    assert "key" not in values  # the key cannot change: there is no field for it
    assert values["name"] == ["Andes Collective"]
    assert values["website"] == ["https://andes.example.org"]
    assert values["services"] == ["accompaniment", "monitoring"]
    assert values["regions"] == ["latin_america_caribbean"]
    assert sorted(values["countries"]) == ["CO", "PE"]
    assert sorted(values["languages"]) == ["es", "qu"]
    assert values["capacity"] == ["5"]
    assert "public" not in values
    assert values["description_en"] == ["Accompanies leaders."]
    assert values["description_fr"] == [""]
    assert values["description_es"] == ["Acompaña a líderes."]
    page = page_text(response)
    assert "<code>andes-collective</code>" in page
    assert 'action="/admin/organizations/andes-collective"' in page_of(response)


def test_an_edit_changes_the_stored_values_but_never_the_key(app, admin, andes):
    before = stored(app, "andes-collective")
    data = {
        "key": "other",
        "name": "Andes Collective (Peru)",
        "website": "",
        "services": ["solidarity"],
        "countries": ["PE"],
        "languages": ["qu", "es"],
        "capacity": "0",
        "public": "y",
        "description_fr": "Accompagne.",
    }

    response = admin.post(f"{LIST}/andes-collective", data)

    assert response.status_code == 303
    assert response.location == LIST
    after = stored(app, "andes-collective")
    assert {name: after[name] for name in STORED_FIELDS[:-1]} == {
        "key": "andes-collective",
        "name": "Andes Collective (Peru)",
        "website": "",
        "services": "solidarity",
        "regions": "",  # every region unticked
        "countries": "PE",
        "languages": "qu,es",
        "capacity": 0,
        "public": True,
        "demo": False,
        "description_en": "",
        "description_fr": "Accompagne.",
        "description_es": "",
    }
    assert after["updated_at"] >= before["updated_at"]
    assert stored(app, "other") is None
    assert org_count(app) == 1
    with app.app_context():
        assert Organization.get(Organization.key == "andes-collective").id == andes.id
    assert "The organization was saved." in page_text(admin.get(LIST))


def test_an_edit_is_written_to_the_audit_trail(app, admin, andes):
    edit_organization(admin, "andes-collective", name="Renamed")

    assert audit_events(app, "organization.updated") == [
        ("organization.updated", "key=andes-collective", admin.user.id)
    ]
    assert audit_events(app, "organization.created") == []


@pytest.mark.parametrize(
    "key", ["nobody", "ANDES-COLLECTIVE", "andes-collective-", "x" * 81, "%00", "1"]
)
def test_an_unknown_key_gives_404(app, admin, andes, key):
    assert admin.get(f"{LIST}/{key}").status_code == 404
    assert admin.post(f"{LIST}/{key}", complete_form()).status_code == 404
    assert org_count(app) == 1
    assert organization_events(app) == 0


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    [
        ("name", {"name": ""}, "Please give the organization's name."),
        ("capacity", {"capacity": "abc"}, WHOLE_NUMBER),
        ("website", {"website": "javascript:alert(1)"}, WEBSITE_RULE),
        ("countries", {"countries": ["ZZ"]}, "Please choose countries from the list."),
        ("services", {"services": None}, "Please choose at least one service."),
        ("name", {"name": "Andes\x00"}, CONTROL),
    ],
)
def test_an_edit_with_errors_changes_nothing_and_keeps_what_was_typed(
    app, admin, andes, field, overrides, message
):
    before = stored(app, "andes-collective")
    data = complete_form(**{"name": "Typed Name", "public": "y", **overrides})
    data.pop("key")

    response = admin.post(f"{LIST}/andes-collective", data)

    assert_refused_with(response, field, message)
    assert_typed_values_kept(response, data)
    assert stored(app, "andes-collective") == before
    assert organization_events(app) == 0
    # The heading still names the organization as stored.
    assert '<h1 id="page-heading" tabindex="-1" dir="auto">Andes Collective</h1>' in page_of(
        response
    )


def test_a_hostile_name_is_shown_as_text_on_the_edit_page(app, admin):
    add_org(app, "script-org", name="<script>alert(1)</script>{{7*7}}")

    response = admin.get(f"{LIST}/script-org")

    page = page_of(response)
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in page
    assert PageForms(page).values["name"] == ["<script>alert(1)</script>{{7*7}}"]
