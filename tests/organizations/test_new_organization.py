"""Adding an organization: the form's rules, what is stored, and keys taken."""

import pytest

from portal import review
from portal.models import Organization
from portal.organizations.forms import OrganizationForm

from portal_testing import (
    PASSWORD_ALONE,
    PageForms,
    approved_request,
    create_staff_account,
    page_text,
)
from portal_testing.admin import (
    CAPACITY_RANGE,
    CHECKBOXES,
    CONTROL,
    KEY_RULE,
    KEY_TAKEN,
    LIST,
    NEW,
    STORED_FIELDS,
    TOO_LONG_DESCRIPTION,
    WEBSITE_RULE,
    WHOLE_NUMBER,
    add_org,
    assert_refused_with,
    assert_typed_values_kept,
    audit_events,
    complete_form,
    create_organization,
    edit_organization,
    error_summary,
    field_error,
    org_count,
    organization_events,
    page_of,
    stored,
    table_rows,
)

SUMMARY = "Threats against a community leader; accompaniment to hearings asked."

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def test_the_new_organization_form_starts_empty_and_unlisted(app, admin):
    response = admin.get(NEW)

    assert response.status_code == 200
    values = PageForms(page_of(response)).values
    assert values["key"] == [""] and values["name"] == [""] and values["capacity"] == [""]
    # Not in the public directory until an administrator says so: some must not be named.
    assert "public" not in values
    for name in CHECKBOXES:
        assert name not in values
    assert 'id="error-summary"' not in page_of(response)


def test_a_complete_form_creates_the_organization_with_lists_stored_comma_separated(app, admin):
    response = create_organization(admin)

    assert response.status_code == 303
    assert response.location == LIST
    organization = stored(app, "andes-collective")
    assert organization is not None
    assert {name: organization[name] for name in STORED_FIELDS[:-1]} == {
        "key": "andes-collective",
        "name": "Andes Collective",
        "website": "https://andes.example.org/about",
        "services": "accompaniment,monitoring",
        "regions": "latin_america_caribbean",
        "countries": "CO,PE",
        "languages": "es,en,qu",  # each once, in the order of the boxes
        "capacity": 12,
        "public": False,  # the box was left unticked
        "demo": False,
        "description_en": "Accompanies community leaders.",
        "description_fr": "Accompagne des dirigeants communautaires.",
        "description_es": "Acompaña a líderes comunitarios.",
    }
    with app.app_context():
        organization = Organization.get(Organization.key == "andes-collective")
        assert organization.service_keys == ["accompaniment", "monitoring"]
        assert organization.country_codes == ["CO", "PE"]
        assert organization.region_keys == ["latin_america_caribbean"]
        assert organization.language_codes == ["es", "en", "qu"]

    listed = admin.get(LIST)
    assert "The organization was added." in page_text(listed)
    assert [row["link"] for row in table_rows(listed)] == ["/admin/organizations/andes-collective"]


def test_adding_an_organization_is_written_to_the_audit_trail(app, admin):
    create_organization(admin)

    assert audit_events(app, "organization.created") == [
        ("organization.created", "key=andes-collective", admin.user.id)
    ]
    assert audit_events(app, "organization.updated") == []


def test_a_new_organization_is_matched_at_once_and_listed_publicly_only_when_public(app, admin):
    with app.app_context():
        reviewer = create_staff_account("rev@example.org", "reviewer")
        request = approved_request(reviewer)
    visitor = app.test_client()

    assert create_organization(admin).status_code == 303  # not public
    assert (
        create_organization(admin, key="sahel-visits", name="Sahel Visits", public="y").status_code
        == 303
    )

    directory = page_text(visitor.get("/organizations"))
    assert "Sahel Visits" in directory
    assert "Andes Collective" not in directory
    with app.app_context():
        matches = review.matches_for(request)
    assert {match.candidate.key for match in matches} == {"andes-collective", "sahel-visits"}


def test_a_private_organization_joins_the_directory_once_an_edit_lists_it(app, admin):
    create_organization(admin)
    visitor = app.test_client()
    assert "Andes Collective" not in page_text(visitor.get("/organizations"))

    assert edit_organization(admin, "andes-collective", public="y").status_code == 303

    assert "Andes Collective" in page_text(visitor.get("/organizations"))


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"key": "a1"}, {"key": "a1"}),
        ({"key": "a" * 80}, {"key": "a" * 80}),
        ({"key": "  pbi-colombia  "}, {"key": "pbi-colombia"}),
        ({"capacity": "0"}, {"capacity": 0}),
        ({"capacity": "10000"}, {"capacity": 10_000}),
        ({"description_en": "x" * 2000}, {"description_en": "x" * 2000}),
        ({"description_fr": "ligne 1\nligne\t2"}, {"description_fr": "ligne 1\nligne\t2"}),
        ({"website": "HTTP://andes.example.org"}, {"website": "HTTP://andes.example.org"}),
        ({"website": ""}, {"website": ""}),
        ({"languages": None}, {"languages": ""}),
        ({"languages": ["rw", "es", "es"]}, {"languages": "rw,es"}),
        ({"regions": None, "countries": None}, {"regions": "", "countries": ""}),
        ({"description_es": None}, {"description_es": ""}),
    ],
)
def test_edge_values_within_the_rules_are_accepted(app, admin, overrides, expected):
    response = create_organization(admin, **overrides)

    assert response.status_code == 303
    organization = stored(app, expected.get("key", "andes-collective"))
    assert {name: organization[name] for name in expected} == expected


# --- refusals ------------------------------------------------------------------------------

REFUSALS = [
    ("key", {"key": ""}, "Please give the organization a key."),
    ("key", {"key": None}, "Please give the organization a key."),
    ("name", {"name": ""}, "Please give the organization's name."),
    ("name", {"name": "   "}, "Please give the organization's name."),
    ("services", {"services": None}, "Please choose at least one service."),
    ("key", {"key": "Andes-Collective"}, KEY_RULE),
    ("key", {"key": "andes collective"}, KEY_RULE),
    ("key", {"key": "-andes"}, KEY_RULE),
    ("key", {"key": "andes-"}, KEY_RULE),
    ("key", {"key": "a"}, KEY_RULE),
    ("key", {"key": "andés"}, KEY_RULE),
    ("key", {"key": "a" * 81}, "Please use at most 80 characters."),
    ("key", {"key": "andes\x00"}, CONTROL),
    ("website", {"website": "javascript:alert(1)"}, WEBSITE_RULE),
    ("website", {"website": "https://user@evil.example"}, WEBSITE_RULE),
    ("website", {"website": "https://andes.example.org@evil.example"}, WEBSITE_RULE),
    ("website", {"website": "ftp://x"}, WEBSITE_RULE),
    ("website", {"website": "https://andes.example.org/our work"}, WEBSITE_RULE),
    ("website", {"website": "https://"}, WEBSITE_RULE),
    ("website", {"website": "andes.example.org"}, WEBSITE_RULE),
    ("website", {"website": "https://" + "a" * 300}, "Please use at most 300 characters."),
    ("countries", {"countries": ["CO", "ZZ"]}, "Please choose countries from the list."),
    ("countries", {"countries": ["co"]}, "Please choose countries from the list."),
    ("regions", {"regions": ["africa", "atlantis"]}, "Please choose regions from the list."),
    (
        "services",
        {"services": ["accompaniment", "teleportation"]},
        "Please choose services from the list.",
    ),
    ("languages", {"languages": ["es", "xx"]}, "Please choose languages from the list."),
    ("languages", {"languages": ["spanish"]}, "Please choose languages from the list."),
    ("languages", {"languages": ["es, en"]}, "Please choose languages from the list."),
    ("capacity", {"capacity": "abc"}, WHOLE_NUMBER),
    ("capacity", {"capacity": "2.5"}, WHOLE_NUMBER),
    ("capacity", {"capacity": "-1"}, CAPACITY_RANGE),
    ("capacity", {"capacity": "10001"}, CAPACITY_RANGE),
    ("capacity", {"capacity": ""}, "Please say how many engagements it can hold."),
    ("capacity", {"capacity": None}, "Please say how many engagements it can hold."),
    ("description_en", {"description_en": "x" * 2001}, TOO_LONG_DESCRIPTION),
    ("description_fr", {"description_fr": "x" * 2001}, TOO_LONG_DESCRIPTION),
    ("description_es", {"description_es": "x" * 2001}, TOO_LONG_DESCRIPTION),
    ("description_es", {"description_es": "hola\x1b[31m"}, CONTROL),
    ("name", {"name": "Andes\x00Collective"}, CONTROL),
    ("name", {"name": "Andes\x7fCollective"}, CONTROL),
    ("name", {"name": "x" * 201}, "Please use at most 200 characters."),
]


@pytest.mark.parametrize(
    ("field", "overrides", "message"),
    REFUSALS,
    ids=[f"{field}-{i}" for i, (field, _, _) in enumerate(REFUSALS)],
)
def test_a_refused_form_says_why_by_the_field_keeps_what_was_typed_and_stores_nothing(
    app, admin, field, overrides, message
):
    data = complete_form(public="y", **overrides)

    response = admin.post(NEW, data)

    assert_refused_with(response, field, message)
    assert_typed_values_kept(response, data)
    assert org_count(app) == 0
    assert organization_events(app) == 0


def test_a_key_that_exists_already_is_refused_and_the_other_organization_is_untouched(app, admin):
    add_org(app, "andes-collective", name="The First Andes", capacity=4)
    before = stored(app, "andes-collective")
    data = complete_form(public="y")

    response = admin.post(NEW, data)

    assert_refused_with(response, "key", KEY_TAKEN)
    assert_typed_values_kept(response, data)
    assert org_count(app) == 1
    assert stored(app, "andes-collective") == before
    assert organization_events(app) == 0


def test_an_unknown_language_posted_by_hand_is_refused_and_never_shown_back(app, admin):
    data = complete_form(languages=["es", "<b>x</b>"])

    response = admin.post(NEW, data)

    assert_refused_with(response, "languages", "Please choose languages from the list.")
    page = page_of(response)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" not in page  # not a choice
    assert PageForms(page).values["languages"] == ["es"]
    assert org_count(app) == 0


def test_several_problems_are_all_shown_and_summarised(app, admin):
    data = complete_form(key="Bad Key", name="", capacity="abc", website="ftp://x")

    response = admin.post(NEW, data)

    assert response.status_code == 200
    page = page_of(response)
    summary = error_summary(page)
    for field, message in [
        ("key", KEY_RULE),
        ("name", "Please give the organization's name."),
        ("website", WEBSITE_RULE),
        ("capacity", WHOLE_NUMBER),
    ]:
        assert field_error(page, field) == message
        assert message in summary
    for anchor in ("key", "name", "website", "capacity"):  # each summary line links its field
        assert f'href="#{anchor}"' in page
    assert_typed_values_kept(response, data)
    assert org_count(app) == 0


def test_an_empty_service_value_does_not_count_as_a_service(app, admin):
    response = admin.post(NEW, complete_form(services=[""]))

    assert_refused_with(response, "services", "Please choose at least one service.")
    assert org_count(app) == 0


def test_a_choice_posted_twice_is_stored_once(app, admin):
    response = create_organization(
        admin, services=["monitoring", "monitoring"], countries=["CO", "CO"]
    )

    assert response.status_code == 303
    organization = stored(app, "andes-collective")
    assert (organization["services"], organization["countries"]) == ("monitoring", "CO")


@pytest.mark.parametrize("capacity", ["1_000", "+5", "٣"])
def test_capacity_takes_plain_digits_only_as_in_the_csv_import(app, admin, capacity):
    response = create_organization(admin, capacity=capacity)

    assert_refused_with(response, "capacity", WHOLE_NUMBER)
    assert org_count(app) == 0


def test_the_same_key_added_twice_is_refused_the_second_time(app, admin, sign_in_as):
    other = sign_in_as("admin", "other-admin@example.org")

    assert create_organization(admin, name="First").status_code == 303
    response = create_organization(other, name="Second")

    assert_refused_with(response, "key", KEY_TAKEN)
    assert org_count(app) == 1
    assert stored(app, "andes-collective")["name"] == "First"
    assert len(audit_events(app, "organization.created")) == 1


def test_a_key_taken_between_the_check_and_the_insert_is_refused_not_an_error(
    app, admin, monkeypatch
):
    """Another administrator adds the key after this form checked it: the database refuses."""
    add_org(app, "andes-collective", name="Added meanwhile")
    monkeypatch.setattr(OrganizationForm, "validate_key", lambda form, field: None)
    data = complete_form(public="y")

    response = admin.post(NEW, data)

    assert_refused_with(response, "key", KEY_TAKEN)
    assert_typed_values_kept(response, data)
    assert org_count(app) == 1
    assert stored(app, "andes-collective")["name"] == "Added meanwhile"
    assert organization_events(app) == 0
    # The connection is usable afterwards: the next organization is added.
    assert create_organization(admin, key="sahel-visits").status_code == 303
    assert org_count(app) == 2
