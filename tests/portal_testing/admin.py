"""What the administrators' tests (tests/admin/) share: accounts, audit events, organizations."""

import html
from html.parser import HTMLParser

from portal.models import AuditEvent, Organization, User
from portal.organizations import LANGUAGE_CODES
from portal.regions import COUNTRY_REGION, REGIONS
from portal.vocabulary import SERVICE_LABELS

from .organizations import add_organization
from .pages import PageForms
from .staff import create_staff_account


def add_account(app, email, role):
    with app.app_context():
        return create_staff_account(email, role)


def fetch(app, uid):
    with app.app_context():
        return User.get(User.uid == uid)


def events(app, action=None):
    with app.app_context():
        query = AuditEvent.select().order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(query)


# --- organizations ---------------------------------------------------------------------

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
    "capacity",
    "description_en",
    "description_fr",
    "description_es",
)
CHECKBOXES = {
    "services": SERVICE_LABELS,
    "regions": REGIONS,
    "countries": COUNTRY_REGION,
    "languages": LANGUAGE_CODES,
}
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
        "languages": ["es", "en", "qu"],
        "capacity": "12",
        "description_en": "Accompanies community leaders.",
        "description_fr": "Accompagne des dirigeants communautaires.",
        "description_es": "Acompaña a líderes comunitarios.",
    }
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def add_org(app, key, **fields):
    """An organization written straight to the database (as the CSV import would)."""
    with app.app_context():
        return add_organization(key, **fields)


def create_organization(admin, **overrides):
    """`admin` sends the new organization form, complete but for `overrides`."""
    return admin.post(NEW, complete_form(**overrides))


def edit_organization(admin, key, **overrides):
    """`admin` sends the edit form of `key`, complete but for `overrides` (the key has no field)."""
    data = complete_form(**overrides)
    data.pop("key", None)
    return admin.post(f"{LIST}/{key}", data)


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

    Text fields come back without surrounding spaces; capacity exactly as typed.
    """
    values = PageForms(page_of(response)).values
    for name in TEXT_FIELDS:
        if name in data:
            typed = data[name] if name == "capacity" else data[name].strip()
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
