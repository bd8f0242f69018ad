from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SelectField, StringField
from wtforms.validators import Optional, ValidationError

from .. import accounts, audit, organizations
from ..forms import BaseForm, choices, one_of, plain_text, required, strip
from ..models import User

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
