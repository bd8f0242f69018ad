import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .. import accounts, audit, i18n, organizations
from ..forms import (
    BaseForm,
    WholeNumberField,
    choices,
    distinct,
    one_of,
    plain_text,
    required,
    required_input,
    strip,
)
from ..models import Organization, User
from ..regions import COUNTRY_REGION, REGIONS
from ..requests.forms import SERVICE_LABELS

# What each audit action is called on the audit page.
ACTION_LABELS = {
    "account.created": _l("Account created"),
    "account.deactivated": _l("Account deactivated"),
    "account.reactivated": _l("Account reactivated"),
    "account.reset": _l("Password and two-step sign-in reset"),
    "account.password_changed": _l("Password changed"),
    "account.totp_enrolled": _l("Two-step sign-in set up"),
    "account.recovery_code_used": _l("Recovery code used"),
    "sign_in.succeeded": _l("Signed in"),
    "sign_in.failed": _l("Sign-in failed"),
    "sign_in.second_factor_failed": _l("Wrong sign-in code"),
    "sign_out": _l("Signed out"),
    "request.viewed": _l("Request opened"),
    "request.transition": _l("Request state changed"),
    "request.message": _l("Message sent"),
    "request.note": _l("Internal note added"),
    "request.offered": _l("Request offered to organizations"),
    "offer.accepted": _l("Offer accepted by an organization"),
    "offer.declined": _l("Offer declined by an organization"),
    "offer.viewed": _l("Offer opened by an organization member"),
    "offer.progress": _l("Progress update from an organization"),
    "audit.viewed": _l("Audit trail opened"),
    "organization.created": _l("Organization added"),
    "organization.updated": _l("Organization changed"),
}

EMAIL_MATCHES = {"contains": _l("Contains"), "exact": _l("Is exactly")}
MAX_REFERENCE = 20  # AuditEvent.reference


def lower(value):
    return value.lower() if isinstance(value, str) else value


class CreateAccountForm(BaseForm):
    """The only fields an administrator sets: the password is generated, never chosen."""

    email = EmailField(
        _l("Email address"),
        description=_l("The person signs in with it. It is never shown to requesters."),
        filters=[strip, lower],
        validators=[
            required(_l("Please enter the email address of the person.")),
            plain_text(accounts.MAX_EMAIL),
        ],
    )
    role = SelectField(
        _l("Role"),
        choices=choices(
            [("", _l("Choose a role")), *((r, accounts.ROLE_LABELS[r]) for r in accounts.ROLES)]
        ),
        validate_choice=False,
        validators=[
            required(_l("Please choose a role.")),
            one_of(accounts.ROLES, _l("Please choose a role from the list.")),
        ],
    )

    organization = SelectField(
        _l("Organization"),
        description=_l("Only for organization members: the organization whose offers they answer."),
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization.choices = choices(
            [("", _l("No organization"))]
            + [(org.key, org.name) for org in organizations.all_by_name()]
        )

    def validate_organization(self, field):
        if self.role.data != "org_member":
            return
        if not field.data:
            raise ValidationError(_l("Please choose the organization this member belongs to."))
        if organizations.by_key(field.data) is None:
            raise ValidationError(_l("Please choose an organization from the list."))

    def chosen_organization(self):
        """The organization of a new member; None for the other roles, whatever was sent."""
        if self.role.data != "org_member":
            return None
        return organizations.by_key(self.organization.data)

    def validate_email(self, field):
        if field.errors:  # too long or control characters: that message is enough
            return
        problem = accounts.email_problem(field.data)
        if problem is not None:
            raise ValidationError(problem)
        if User.by_email(field.data):
            raise ValidationError(_l("An account with this email address exists already."))


class DayField(DateField):
    """A day (year-month-day) whose parse error is our own translated message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "invalid_value_message",
            _l("Please enter a date as year-month-day, for example 2027-03-01."),
        )
        super().__init__(*args, **kwargs)


class AuditFilterForm(BaseForm):
    """The audit trail's filters, read from the address (GET): nothing to protect with CSRF."""

    class Meta:
        csrf = False

    action = SelectField(
        _l("Action"),
        choices=choices([("", _l("All actions")), *ACTION_LABELS.items()]),
        validate_choice=False,
        validators=[one_of(audit.ACTIONS, _l("Please choose an action from the list."))],
    )
    email = StringField(
        _l("Account email"),
        description=_l("The account that acted or the account acted on."),
        filters=[strip, lower],
        validators=[Optional(), plain_text(accounts.MAX_EMAIL)],
    )
    email_match = SelectField(
        _l("Email match"),
        choices=choices(EMAIL_MATCHES.items()),
        default="contains",
        validate_choice=False,
        validators=[one_of(EMAIL_MATCHES)],
    )
    reference = StringField(
        _l("Reference contains"),
        filters=[strip],
        validators=[Optional(), plain_text(MAX_REFERENCE)],
    )
    since = DayField(_l("From (UTC)"), validators=[Optional()])
    until = DayField(_l("To (UTC), included"), validators=[Optional()])

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    def filters(self) -> dict:
        """The cleaned filters, keyed by the names audit.trail() takes."""
        return {
            "action": self.action.data or None,
            "email": self.email.data or None,
            "exact_email": self.email_match.data == "exact",
            "reference": self.reference.data or None,
            "since": self.since.data,
            "until": self.until.data,
        }

    def query_args(self) -> dict:
        """The filters as they were sent, for links to other pages of the results."""
        return {
            field.name: field.raw_data[0] for field in self if field.raw_data and field.raw_data[0]
        }


def checkboxes(label, **kwargs):
    """Several choices, each a checkbox (the form macros draw it as a fieldset)."""
    return SelectMultipleField(
        label,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        filters=[distinct],
        **kwargs,
    )


class CodesField(StringField):
    """Codes typed as "es, en qu;fr": a list of each once, in the order typed."""

    def process_formdata(self, valuelist):
        self.data = []
        for code in re.split(r"[\s,;]+", (valuelist[0] if valuelist else "").lower()):
            if code and code not in self.data:
                self.data.append(code)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(self.data or [])


class OrganizationForm(BaseForm):
    """An organization as administrators see it; the same rules as the CSV import."""

    key = StringField(
        _l("Key"),
        description=_l(
            "A short name for files and addresses, such as pbi-colombia: lower-case letters, "
            "digits and hyphens. Imports match organizations by it; it cannot change later."
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
        description=_l("Same country ranks first when matching, then same region."),
        validate_choice=False,
        validators=[one_of(COUNTRY_REGION, _l("Please choose countries from the list."))],
    )
    languages = CodesField(
        _l("Working languages"),
        description=_l("Two-letter codes separated by commas, such as es, en, qu."),
    )
    capacity = WholeNumberField(
        _l("Engagements it can hold at once"),
        invalid_value_message=_l("Please enter a whole number, for example 3."),
        validators=[required_input(_l("Please say how many engagements it can hold."))],
    )
    public = BooleanField(_l("Listed in the public directory"), default=True)
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
        if Organization.get_or_none(Organization.key == field.data) is not None:
            raise ValidationError(_l("An organization with this key exists already."))

    def validate_website(self, field):
        if field.data and not field.errors and organizations.check_website(field.data):
            raise ValidationError(
                _l("Please enter an address starting with https:// or http://, without spaces.")
            )

    def validate_languages(self, field):
        unknown = [code for code in field.data or [] if code not in organizations.LANGUAGE_CODES]
        if unknown:
            # gettext, not lazy_gettext: a lazy string counts as safe HTML, and
            # these codes are what was typed.
            raise ValidationError(
                _(
                    "Unknown language code: %(codes)s. Use two-letter codes such as es or sw.",
                    codes=", ".join(code[:12] for code in unknown[:5]),
                )
            )
        if len(field.data or []) > organizations.MAX_LANGUAGES:
            raise ValidationError(_l("Please give at most 100 languages."))

    def validate_capacity(self, field):
        if field.data is not None and not 0 <= field.data <= organizations.MAX_CAPACITY:
            raise ValidationError(_l("Please enter a whole number from 0 to 10,000."))

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
