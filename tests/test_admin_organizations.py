"""Administrators add and edit organizations: the list, the form's rules, and who may use them."""

import datetime
import html
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from portal import accounts, intake, offers, review, vocabulary, workflow
from portal.db import db
from portal.models import AuditEvent, Organization, User
from portal.organizations.forms import OrganizationForm
from portal.regions import COUNTRY_REGION, REGIONS
from portal.vocabulary import SERVICE_LABELS

from portal_testing import (
    PageForms,
    create_staff_account,
    csrf_token,
    make_app,
    valid_request_data,
)

PASSWORD = "a long and unlikely test passphrase"
SUMMARY = "Threats against a community leader; accompaniment to hearings asked."
LIST = "/admin/organizations"
NEW = "/admin/organizations/new"

KEY_RULE = (
    "Use 2 to 80 lower-case letters, digits and hyphens, "
    "starting and ending with a letter or digit."
)
KEY_TAKEN = "An organization with this key exists already."
WEBSITE_RULE = "Please enter an address starting with https:// or http://, without spaces."
WHOLE_NUMBER = "Please enter a whole number, for example 3."
CAPACITY_RANGE = "Please enter a whole number from 0 to 10,000."
CONTROL = "This contains invisible control characters. Please retype it."
TOO_LONG_DESCRIPTION = "Please use at most 2,000 characters."

TEXT_FIELDS = (
    "key",
    "name",
    "website",
    "languages",
    "capacity",
    "description_en",
    "description_fr",
    "description_es",
)
CHECKBOXES = {"services": SERVICE_LABELS, "regions": REGIONS, "countries": COUNTRY_REGION}
STORED_FIELDS = (
    "key",
    "name",
    "website",
    "services",
    "regions",
    "countries",
    "languages",
    "capacity",
    "public",
    "demo",
    "description_en",
    "description_fr",
    "description_es",
    "updated_at",
)


# --- the cast ------------------------------------------------------------------------------


@pytest.fixture
def app(tmp_path):
    """A fresh database; password alone signs staff in (two-step sign-in is tested elsewhere)."""
    app = make_app(tmp_path, TOTP_REQUIRED_ROLES="")
    yield app
    if not db.is_closed():
        db.close()


class Staff:
    """A signed-in staff account with its own browser, posting with its CSRF token."""

    def __init__(self, app, email, role, organization=None):
        self.app = app
        with app.app_context():
            self.user = create_staff_account(email, role, PASSWORD, organization=organization)
        self.client = app.test_client()
        token = csrf_token(self.client, "/staff/sign-in")
        response = self.client.post(
            "/staff/sign-in", data={"csrf_token": token, "email": email, "password": PASSWORD}
        )
        assert response.status_code == 303
        self.token = csrf_token(self.client, "/staff/")

    def get(self, path):
        return self.client.get(path)

    def post(self, path, data):
        return self.client.post(path, data={"csrf_token": self.token, **data})


class Admin(Staff):
    """An administrator: adds and edits organizations through the pages."""

    def __init__(self, app, email="admin@example.org"):
        super().__init__(app, email, "admin")

    def create(self, **overrides):
        return self.post(NEW, complete_form(**overrides))

    def edit(self, key, **overrides):
        data = complete_form(**overrides)
        data.pop("key", None)
        return self.post(f"{LIST}/{key}", data)


@pytest.fixture
def admin(app):
    return Admin(app)


def complete_form(**overrides):
    """A complete, valid organization form as a browser posts it ("public" left unticked).

    An override of None leaves the field out of the post, as an unticked checkbox is.
    """
    data = {
        "key": "andes-collective",
        "name": "Andes Collective",
        "website": "https://andes.example.org/about",
        "services": ["accompaniment", "monitoring"],
        "regions": ["latin_america_caribbean"],
        "countries": ["CO", "PE"],
        "languages": "es, EN;qu  es",
        "capacity": "12",
        "description_en": "Accompanies community leaders.",
        "description_fr": "Accompagne des dirigeants communautaires.",
        "description_es": "Acompaña a líderes comunitarios.",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def add_org(app, key, **fields):
    """An organization written straight to the database (as the CSV import would)."""
    values = {
        "name": key.replace("-", " ").title(),
        "services": "accompaniment",
        "countries": "CO",
        "languages": "es",
        "capacity": 3,
    }
    values.update(fields)
    with app.app_context():
        return Organization.create(key=key, **values)


def stored(app, key):
    """The organization as stored, field by field; None when there is none with this key."""
    with app.app_context():
        organization = Organization.get_or_none(Organization.key == key)
        if organization is None:
            return None
        return {name: getattr(organization, name) for name in STORED_FIELDS}


def org_count(app):
    with app.app_context():
        return Organization.select().count()


def audit_events(app, action):
    with app.app_context():
        return [
            (event.action, event.detail, event.user_id)
            for event in AuditEvent.select()
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        ]


def organization_events(app):
    with app.app_context():
        return (
            AuditEvent.select()
            .where(AuditEvent.action.in_(("organization.created", "organization.updated")))
            .count()
        )


def page_of(response):
    return response.get_data(as_text=True)


def text_of(response):
    return html.unescape(page_of(response))


def error_summary(page):
    """The text of the error summary at the top of the form."""
    start = page.index('id="error-summary"')
    return html.unescape(page[start : page.index("</div>", start)])


def field_error(page, field):
    """The error shown by a field (the countries fieldset draws its own, without a span)."""
    if field == "countries":
        start = page.index('<p class="error-message" id="countries-error">')
        return html.unescape(page[page.index(">", start) + 1 : page.index("</p>", start)]).strip()
    errors = PageForms(page).errors.get(field)
    assert errors, f"no error by {field}"
    return errors[0]


def assert_refused_with(response, field, message):
    assert response.status_code == 200
    page = page_of(response)
    assert field_error(page, field) == message
    assert message in error_summary(page)
    assert 'aria-invalid="true"' in page or field == "countries"


def assert_typed_values_kept(response, data):
    """The form sent back holds what was typed, and ticks what was ticked (of the choices shown).

    Text fields come back without surrounding spaces; languages and capacity exactly as typed.
    """
    values = PageForms(page_of(response)).values
    for name in TEXT_FIELDS:
        if name in data:
            typed = data[name] if name in ("languages", "capacity") else data[name].strip()
            assert values.get(name) == [typed], name
    for name, known in CHECKBOXES.items():
        ticked = [value for value in data.get(name, []) if value in known]
        assert sorted(values.get(name, [])) == sorted(ticked), name
    assert ("public" in values) == ("public" in data)


class _Rows(HTMLParser):
    """The organizations table: each row's cells (as text) and the link of its name."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.rows: list[dict] = []
        self._in_body = False
        self._cell = None
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append({"cells": [], "link": None})
        elif self._in_body and tag in ("th", "td"):
            self._cell = []
        elif self._in_body and tag == "a" and self.rows:
            self.rows[-1]["link"] = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("th", "td") and self._cell is not None:
            self.rows[-1]["cells"].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(response):
    return _Rows(page_of(response)).rows


def approved_request(app, reviewer):
    """An approved request for accompaniment in Colombia, in Spanish."""
    fields = valid_request_data()
    fields["start_date"] = datetime.date.fromisoformat(fields["start_date"])
    fields["people_count"] = int(fields["people_count"])
    fields["end_date"] = None
    fields["contact_safe"] = None
    with app.app_context():
        request = intake.submit(fields, "en").request
        workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
        workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
        return request


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_every_organization_by_name_with_members_engagements_and_badges(app, admin):
    alpha = add_org(app, "alpha-network", name="Alpha Network", capacity=3, regions="africa")
    beta = add_org(app, "beta-collective", name="beta collective", capacity=2, public=False)
    add_org(app, "gamma", name="Gamma", services="monitoring", demo=True)
    add_org(app, "script-org", name="<script>alert(1)</script>")
    add_org(app, "template-org", name="{{7*7}}")
    with app.app_context():
        reviewer = accounts.create_user("rev@example.org", "reviewer", PASSWORD)
        first = create_staff_account("one@alpha.org", "org_member", PASSWORD, alpha)
        create_staff_account("two@alpha.org", "org_member", PASSWORD, alpha)
        create_staff_account("one@beta.org", "org_member", PASSWORD, beta)
    request = approved_request(app, reviewer)
    with app.app_context():
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
    assert "No organization yet." in text_of(response)
    assert f'href="{NEW}"' in page_of(response)


# --- adding an organization ----------------------------------------------------------------


def test_the_new_organization_form_starts_empty_and_listed(app, admin):
    response = admin.get(NEW)

    assert response.status_code == 200
    values = PageForms(page_of(response)).values
    assert values["key"] == [""] and values["name"] == [""] and values["capacity"] == [""]
    assert values["public"] == ["y"]  # listed unless the administrator unticks it
    for name in CHECKBOXES:
        assert name not in values
    assert 'id="error-summary"' not in page_of(response)


def test_a_complete_form_creates_the_organization_with_lists_stored_comma_separated(app, admin):
    response = admin.create()

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
        "languages": "es,en,qu",  # lower-cased, each once, in the order typed
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
    assert "The organization was added." in text_of(listed)
    assert [row["link"] for row in table_rows(listed)] == ["/admin/organizations/andes-collective"]


def test_adding_an_organization_is_written_to_the_audit_trail(app, admin):
    admin.create()

    assert audit_events(app, "organization.created") == [
        ("organization.created", "key=andes-collective", admin.user.id)
    ]
    assert audit_events(app, "organization.updated") == []


def test_a_new_organization_is_matched_at_once_and_listed_publicly_only_when_public(app, admin):
    with app.app_context():
        reviewer = accounts.create_user("rev@example.org", "reviewer", PASSWORD)
    request = approved_request(app, reviewer)
    visitor = app.test_client()

    assert admin.create().status_code == 303  # not public
    assert admin.create(key="sahel-visits", name="Sahel Visits", public="y").status_code == 303

    directory = text_of(visitor.get("/organizations"))
    assert "Sahel Visits" in directory
    assert "Andes Collective" not in directory
    with app.app_context():
        matches = review.matches_for(request)
    assert {match.candidate.key for match in matches} == {"andes-collective", "sahel-visits"}


def test_a_private_organization_joins_the_directory_once_an_edit_lists_it(app, admin):
    admin.create()
    visitor = app.test_client()
    assert "Andes Collective" not in text_of(visitor.get("/organizations"))

    assert admin.edit("andes-collective", public="y").status_code == 303

    assert "Andes Collective" in text_of(visitor.get("/organizations"))


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
        ({"languages": ""}, {"languages": ""}),
        ({"regions": None, "countries": None}, {"regions": "", "countries": ""}),
        ({"description_es": None}, {"description_es": ""}),
    ],
)
def test_edge_values_within_the_rules_are_accepted(app, admin, overrides, expected):
    response = admin.create(**overrides)

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
    (
        "languages",
        {"languages": "es, xx; zz"},
        "Unknown language code: xx, zz. Use two-letter codes such as es or sw.",
    ),
    (
        "languages",
        {"languages": "spanish"},
        "Unknown language code: spanish. Use two-letter codes such as es or sw.",
    ),
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


def test_unknown_language_codes_are_named_in_the_message_and_escaped(app, admin):
    data = complete_form(languages="es, <b>x</b>")

    response = admin.post(NEW, data)

    assert_refused_with(
        response,
        "languages",
        "Unknown language code: <b>x</b>. Use two-letter codes such as es or sw.",
    )
    page = page_of(response)
    assert "<b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert_typed_values_kept(response, data)
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
    response = admin.create(services=["monitoring", "monitoring"], countries=["CO", "CO"])

    assert response.status_code == 303
    organization = stored(app, "andes-collective")
    assert (organization["services"], organization["countries"]) == ("monitoring", "CO")


@pytest.mark.parametrize("capacity", ["1_000", "+5", "٣"])
def test_capacity_takes_plain_digits_only_as_in_the_csv_import(app, admin, capacity):
    response = admin.create(capacity=capacity)

    assert_refused_with(response, "capacity", WHOLE_NUMBER)
    assert org_count(app) == 0


# --- the same key twice --------------------------------------------------------------------


def test_the_same_key_added_twice_is_refused_the_second_time(app, admin):
    other = Admin(app, "other-admin@example.org")

    assert admin.create(name="First").status_code == 303
    response = other.create(name="Second")

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
    assert admin.create(key="sahel-visits").status_code == 303
    assert org_count(app) == 2


# --- editing -------------------------------------------------------------------------------


@pytest.fixture
def andes(app):
    return add_org(
        app,
        "andes-collective",
        name="Andes Collective",
        website="https://andes.example.org",
        services="accompaniment,monitoring",
        regions="latin_america_caribbean",
        countries="CO,PE",
        languages="es,qu",
        capacity=5,
        public=False,
        description_en="Accompanies leaders.",
        description_fr="",
        description_es="Acompaña a líderes.",
    )


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
    assert values["languages"] == ["es, qu"]
    assert values["capacity"] == ["5"]
    assert "public" not in values
    assert values["description_en"] == ["Accompanies leaders."]
    assert values["description_fr"] == [""]
    assert values["description_es"] == ["Acompaña a líderes."]
    page = text_of(response)
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
        "languages": "QU es",
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
    assert "The organization was saved." in text_of(admin.get(LIST))


def test_an_edit_is_written_to_the_audit_trail(app, admin, andes):
    admin.edit("andes-collective", name="Renamed")

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


# --- who may use these pages ---------------------------------------------------------------


def organization_urls():
    return [
        ("GET", LIST),
        ("GET", NEW),
        ("POST", NEW),
        ("GET", f"{LIST}/andes-collective"),
        ("POST", f"{LIST}/andes-collective"),
    ]


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_reviewers_and_members_get_403_on_every_organization_page(app, andes, role):
    before = stored(app, "andes-collective")
    staff = Staff(app, f"{role}@example.org", role)
    count = org_count(app)  # with an org_member comes the organization it belongs to

    for method, path in organization_urls():
        if method == "GET":
            response = staff.get(path)
        else:
            response = staff.post(path, complete_form(key="sneaky", name="Sneaky"))
        assert response.status_code == 403, (method, path)

    assert org_count(app) == count
    assert stored(app, "sneaky") is None
    assert stored(app, "andes-collective") == before
    assert organization_events(app) == 0


def test_anonymous_visitors_are_sent_to_sign_in(app, andes):
    before = stored(app, "andes-collective")
    client = app.test_client()
    token = csrf_token(client, "/staff/sign-in")

    for method, path in organization_urls():
        if method == "GET":
            response = client.get(path)
        else:  # a valid token, so that the refusal comes from the sign-in check
            data = {"csrf_token": token, **complete_form(key="sneaky", name="Sneaky")}
            response = client.post(path, data=data)
        assert response.status_code == 303, (method, path)
        location = urlsplit(response.location)
        assert location.path == "/staff/sign-in"
        assert parse_qs(location.query)["next"] == [path]

    assert org_count(app) == 1
    assert stored(app, "andes-collective") == before
    assert organization_events(app) == 0


def test_a_post_without_its_csrf_token_is_refused_and_stores_nothing(app, admin, andes):
    before = stored(app, "andes-collective")

    created = admin.client.post(NEW, data=complete_form(key="sahel-visits"))
    edited = admin.client.post(f"{LIST}/andes-collective", data=complete_form(name="Renamed"))
    forged = admin.client.post(
        NEW, data={"csrf_token": "not-a-token", **complete_form(key="sahel-visits")}
    )

    assert (created.status_code, edited.status_code, forged.status_code) == (400, 400, 400)
    assert stored(app, "sahel-visits") is None
    assert stored(app, "andes-collective") == before
    assert organization_events(app) == 0


def test_a_deactivated_administrator_can_no_longer_add_organizations(app, admin):
    other = Admin(app, "other-admin@example.org")
    with app.app_context():
        accounts.deactivate(User.get_by_id(admin.user.id), by=User.get_by_id(other.user.id))

    response = admin.create()

    assert response.status_code == 303
    assert response.location == "/staff/sign-in?next=/admin/organizations/new"
    assert org_count(app) == 0
    assert organization_events(app) == 0


# --- many organizations ----------------------------------------------------------------------


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
        create_staff_account("b.member@andes.test", "org_member", PASSWORD, organization=andes)
        gone = create_staff_account("a.gone@andes.test", "org_member", PASSWORD, andes)
        create_staff_account("someone@other.test", "org_member", PASSWORD, organization=other)
        accounts.deactivate(gone)

    page = text_of(admin.get(f"{LIST}/andes"))

    members = page.split('id="members-heading"')[1]
    assert members.index("a.gone@andes.test") < members.index("b.member@andes.test")
    assert members.count("Deactivated") == 1
    assert "someone@other.test" not in page
    assert "No member yet." in text_of(admin.get(f"{LIST}/empty"))
