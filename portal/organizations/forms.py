"""The form an administrator fills to add or edit an organization."""

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from .. import i18n, organizations
from ..forms import (
    BaseForm,
    WholeNumberField,
    checkboxes,
    choices,
    confirmation,
    one_of,
    plain_text,
    required,
    required_input,
    strip,
)
from ..models import Organization
from ..regions import COUNTRY_REGION, REGIONS
from ..vocabulary import SERVICE_LABELS


def language_groups() -> tuple[list, list, list]:
    """The languages an organization may name, in three groups, each by name in the page's
    language: the common ones, the others a request can name, and every other language."""
    spoken = set(i18n.SPOKEN_LANGUAGES)
    groups = (
        set(i18n.COMMON_LANGUAGES),
        spoken - set(i18n.COMMON_LANGUAGES),
        organizations.LANGUAGE_CODES - spoken,
    )
    return tuple(
        sorted(
            ((code, i18n.language_name(code)) for code in group),
            key=lambda item: i18n.collation_key(item[1]),
        )
        for group in groups
    )


class OrganizationForm(BaseForm):
    """An organization as administrators see it; the same rules as the CSV import."""

    key = StringField(
        _l("Key"),
        description=_l(
            "A short name for the organization in web addresses, such as pbi-colombia: "
            "lower-case letters, digits and hyphens. It cannot be changed later."
        ),
        filters=[strip],
        validators=[required(_l("Please give the organization a key.")), plain_text(80)],
    )
    name = StringField(
        _l("Name"),
        filters=[strip],
        validators=[
            required(_l("Please give the organization's name.")),
            plain_text(organizations.MAX_NAME),
        ],
    )
    website = StringField(
        _l("Website (optional)"),
        description=_l("An address starting with https:// or http://."),
        filters=[strip],
        validators=[Optional(), plain_text(organizations.MAX_WEBSITE)],
    )
    services = checkboxes(
        _l("Services it offers"),
        choices=choices(SERVICE_LABELS.items()),
        validate_choice=False,
        validators=[
            required(_l("Please choose at least one service.")),
            one_of(SERVICE_LABELS, _l("Please choose services from the list.")),
        ],
    )
    regions = checkboxes(
        _l("Regions it works in"),
        choices=choices(REGIONS.items()),
        validate_choice=False,
        validators=[one_of(REGIONS, _l("Please choose regions from the list."))],
    )
    countries = checkboxes(
        _l("Countries it works in"),
        description=_l(
            "When a request comes in, organizations that work in its country are proposed "
            "first, then those that work in its region."
        ),
        validate_choice=False,
        validators=[one_of(COUNTRY_REGION, _l("Please choose countries from the list."))],
    )
    languages = checkboxes(
        _l("Working languages"),
        description=_l(
            "Among organizations that work in the same place, those that speak a language "
            "of the people asking are proposed first."
        ),
        validate_choice=False,
        validators=[
            one_of(organizations.LANGUAGE_CODES, _l("Please choose languages from the list."))
        ],
    )
    capacity = WholeNumberField(
        _l("Engagements it can hold at once"),
        invalid_value_message=_l("Please enter a whole number, for example 3."),
        validators=[required_input(_l("Please say how many engagements it can hold."))],
    )
    public = BooleanField(
        _l("Listed in the public directory"),
        description=_l(
            "Anyone can read the public directory. Leave this unticked for an organization "
            "that must not be named publicly."
        ),
        default=False,
    )
    description_en = TextAreaField(
        _l("Description in English (optional)"),
        filters=[strip],
        validators=[plain_text(organizations.MAX_DESCRIPTION)],
    )
    description_fr = TextAreaField(
        _l("Description in French (optional)"),
        filters=[strip],
        validators=[plain_text(organizations.MAX_DESCRIPTION)],
    )
    description_es = TextAreaField(
        _l("Description in Spanish (optional)"),
        filters=[strip],
        validators=[plain_text(organizations.MAX_DESCRIPTION)],
    )

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if not creating:
            del self.key  # never posted, never changed
        self.countries.choices = choices(i18n.countries())
        common, spoken, others = language_groups()
        self.languages.choices = choices(common + spoken + others)
        # Where the template starts each disclosure: "More languages", "All other languages".
        self.languages.more_at = len(common)
        self.languages.others_at = len(common) + len(spoken)

    def validate_key(self, field):
        if field.errors:
            return
        if not organizations.KEY.fullmatch(field.data):
            raise ValidationError(
                _l(
                    "Use 2 to 80 lower-case letters, digits and hyphens, "
                    "starting and ending with a letter or digit."
                )
            )
        if organizations.by_key(field.data) is not None:
            raise ValidationError(_l("An organization with this key exists already."))

    def validate_website(self, field):
        if field.data and not field.errors and organizations.check_website(field.data):
            raise ValidationError(
                _l("Please enter an address starting with https:// or http://, without spaces.")
            )

    def validate_languages(self, field):
        if len(field.data or []) > organizations.MAX_LANGUAGES:
            # Formatted now, in the page's language: 100, 10,000 / 10 000 / 10.000.
            raise ValidationError(
                _(
                    "Please choose at most %(max)s languages.",
                    max=format_number(organizations.MAX_LANGUAGES),
                )
            )

    def validate_capacity(self, field):
        if field.data is not None and not 0 <= field.data <= organizations.MAX_CAPACITY:
            raise ValidationError(
                _(
                    "Please enter a whole number from 0 to %(max)s.",
                    max=format_number(organizations.MAX_CAPACITY),
                )
            )

    def values(self) -> dict:
        """What organizations.save() takes."""
        names = organizations.EDITABLE + (("key",) if self.creating else ())
        # A text field left out of the post is None; the table keeps "" for "none".
        return {name: "" if self[name].data is None else self[name].data for name in names}

    @classmethod
    def of(cls, organization: Organization):
        """The form filled with an organization as stored (no post)."""
        form = cls(formdata=None, creating=False, obj=organization)
        form.services.data = organization.service_keys
        form.regions.data = organization.region_keys
        form.countries.data = organization.country_codes
        form.languages.data = organization.language_codes
        return form


class ArchiveForm(BaseForm):
    """The tick an administrator gives before archiving an organization."""

    confirm = confirmation(
        _l(
            "Yes, archive it. It leaves the public directory and is no longer proposed for "
            "requests; its open offers are taken back, and reviewers are told of each request "
            "left without one; its members can no longer answer offers. Nobody else is told. "
            "Its history stays, and it can be restored."
        )
    )
