"""The audit trail's filters."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional, ValidationError

from .. import accounts, audit
from ..forms import BaseForm, DayField, choices, lower, one_of, plain_text, strip
from ..vocabulary import AUDIT_ACTIONS

EMAIL_MATCHES = {"contains": _l("Contains"), "exact": _l("Is exactly")}
MAX_REFERENCE = 20  # AuditEvent.reference


class AuditFilterForm(BaseForm):
    """The audit trail's filters, read from the address (GET): nothing to protect with CSRF."""

    class Meta:
        csrf = False

    category = SelectField(
        _l("Show"),
        description=_l("Pages opened and sign-ins are kept apart from actions."),
        choices=choices(audit.CATEGORY_LABELS.items()),
        default=audit.ACTIONS,
        validate_choice=False,
        validators=[one_of(audit.CATEGORY_LABELS)],
    )
    action = SelectField(
        _l("Action"),
        description=_l("One action, whatever is chosen under “Show”."),
        choices=choices([("", _l("All actions")), *AUDIT_ACTIONS.items()]),
        validate_choice=False,
        validators=[one_of(AUDIT_ACTIONS, _l("Please choose an action from the list."))],
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
            "category": self.category.data or audit.ACTIONS,
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
