from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from .. import i18n, review
from ..forms import (
    BaseForm,
    KeptOptions,
    VersionedForm,
    checkboxes,
    choices,
    one_of,
    plain_text,
    required,
    strip,
)
from ..intake.forms import RequestForm
from ..regions import COUNTRY_REGION, REGIONS
from ..vocabulary import (
    REJECTION_REASONS,
    SERVICE_LABELS,
    SERVICES,
    STAFF_LABELS,
    URGENCIES,
    URGENCY_LABELS,
)

LONG_TEXT = 20_000
SUMMARY = 4_000
# References look like AR-2026-0042; a little room for typing around them.
REFERENCE_SEARCH = 40

_NOT_UNDERSTOOD = _l("This filter was not understood and is ignored.")


class QueueForm(BaseForm):
    """The queue's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    state = SelectField(
        _l("State"),
        choices=choices([("", _l("All states")), *STAFF_LABELS.items()]),
        validate_choice=False,
        validators=[one_of(STAFF_LABELS, _NOT_UNDERSTOOD)],
    )
    urgency = SelectField(
        _l("Urgency"),
        choices=choices([("", _l("All urgencies")), *URGENCY_LABELS.items()]),
        validate_choice=False,
        validators=[one_of(URGENCIES, _NOT_UNDERSTOOD)],
    )
    region = SelectField(
        _l("Region"),
        choices=choices([("", _l("All regions")), *REGIONS.items()]),
        validate_choice=False,
        validators=[one_of(REGIONS, _NOT_UNDERSTOOD)],
    )
    country = SelectField(
        _l("Country"),
        widget=KeptOptions(),
        validate_choice=False,
        validators=[one_of(COUNTRY_REGION, _NOT_UNDERSTOOD)],
    )
    service = SelectField(
        _l("Service"),
        choices=choices([("", _l("All services")), *SERVICE_LABELS.items()]),
        validate_choice=False,
        validators=[one_of(SERVICES, _NOT_UNDERSTOOD)],
    )
    age = SelectField(
        _l("Age"),
        validate_choice=False,
        validators=[one_of([str(days) for days in review.AGE_CHOICES], _NOT_UNDERSTOOD)],
    )
    reference = StringField(
        # Members know an offer by its handle (K7QM-4XPT) and say that on the phone.
        _l("Reference or offer"),
        filters=[strip],
        validators=[Optional(), plain_text(REFERENCE_SEARCH)],
    )
    late = SelectField(
        _l("Response time"),
        choices=choices([("", _l("Any response time")), ("overdue", _l("Overdue only"))]),
        validate_choice=False,
        validators=[one_of(("overdue",), _NOT_UNDERSTOOD)],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices([("", _l("All countries")), *i18n.countries()])
        # Plural forms are chosen per language when the page is drawn.
        self.age.choices = choices(
            [("", _l("Any age"))]
            + [
                (str(days), ngettext("Older than %(num)d day", "Older than %(num)d days", days))
                for days in review.AGE_CHOICES
            ]
        )

    def valid_values(self) -> dict[str, str]:
        """The filters that passed validation and are set; a refused one counts as unset."""
        return {
            field.name: field.data
            for field in self
            if field.data and not field.errors and isinstance(field.data, str)
        }

    def filters(self, page: int) -> review.QueueFilters:
        values = self.valid_values()
        age = values.pop("age", None)
        overdue_only = values.pop("late", None) == "overdue"
        return review.QueueFilters(
            **values,
            older_than_days=int(age) if age else None,
            overdue_only=overdue_only,
            page=page,
        )


class ActionForm(VersionedForm):
    """One staff action on a request. Only these fields are read from the post."""

    action = HiddenField()
    message = TextAreaField(
        _l("Your question to the requester"),
        description=_l("Sent to the requester, who reads it on their tracking page."),
        validators=[plain_text(LONG_TEXT)],
    )
    reason = SelectField(
        _l("Reason"),
        description=_l(
            "The requester reads a kind explanation of this reason, never your internal note."
        ),
        choices=choices(
            [("", _l("Choose a reason"))]
            + [(key, labels[0]) for key, labels in REJECTION_REASONS.items()]
        ),
        # review.act() checks the reason and refuses the action without one.
        validate_choice=False,
    )
    note = TextAreaField(
        _l("Internal note (optional)"),
        description=_l("Only network staff see it."),
        validators=[plain_text(LONG_TEXT)],
    )
    why = TextAreaField(
        _l("What happened: why it is reopened"),
        description=_l("For example, a new threat. Only network staff see it."),
        validators=[plain_text(LONG_TEXT)],
    )
    # Required by the actions that cannot be undone; review.act() checks it, so that
    # the other actions need no tick. Its words come from the action.
    confirm = BooleanField()


class MessageForm(VersionedForm):
    """A message to the requester, which may also ask them for information (the one
    place to write to them). Prefixed: it shares the page with other forms."""

    body = TextAreaField(
        _l("Message to the requester"),
        description=_l("The requester reads it on their tracking page."),
        validators=[required(_l("Please write a message before sending.")), plain_text(LONG_TEXT)],
    )
    ask = BooleanField(
        _l(
            "This is a question: the request waits for their answer "
            "(its state becomes \u201cNeeds information\u201d)."
        )
    )


class NoteForm(BaseForm):
    body = TextAreaField(
        _l("Internal note"),
        description=_l("Only network staff see it: never the requester, never an organization."),
        validators=[required(_l("Please write a note before saving.")), plain_text(LONG_TEXT)],
    )


class OfferForm(VersionedForm):
    """The organizations chosen for an approved request (their keys) and the page's version."""

    organizations = checkboxes(
        _l("Offer to"),
        # The choices are the ranked matches of the page; review and offers re-check them.
        validate_choice=False,
        validators=[required(_l("Please choose at least one organization."))],
    )
    summary = TextAreaField(
        _l("Summary for the organizations"),
        description=_l(
            "What they need to decide: the situation and what is asked, in a few lines. "
            "No names, no contact details: organizations read those only once one of them accepts."
        ),
        filters=[strip],
        validators=[
            required(_l("Please write a summary for the organizations.")),
            plain_text(SUMMARY),
        ],
    )
    needed = SelectField(
        _l("How many organizations are needed?"),
        description=_l(
            "One is usual. More when the request has parts, for example accompaniment by one "
            "organization and a monitoring visit by another: it is taken once that many have "
            "accepted, and each sees only its own part."
        ),
        choices=choices([(str(n), str(n)) for n in range(1, 6)]),
        default="1",
        validate_choice=False,
        validators=[one_of([str(n) for n in range(1, 6)])],
    )

    def validate_needed(self, field):
        chosen = self.organizations.data or []
        if field.data and field.data.isdigit() and chosen and int(field.data) > len(chosen):
            raise ValidationError(_l("Please tick at least as many organizations as are needed."))

    def needed_count(self) -> int:
        return int(self.needed.data) if (self.needed.data or "").isdigit() else 1


class RiskForm(VersionedForm):
    """The request form's risk questions, for a reviewer completing or correcting the
    requester's answers: the same fields, the same checks."""

    threats = RequestForm.threats
    threat_sources = RequestForm.threat_sources
    incidents = RequestForm.incidents
    at_risk = RequestForm.at_risk
    support_sought = RequestForm.support_sought
    inform_authorities = RequestForm.inform_authorities
    risk_picture = RequestForm.risk_picture
    risk_fields = RequestForm.risk_fields

    @classmethod
    def of(cls, request, picture) -> "RiskForm":
        """A blank form showing the request's picture (`picture`, opened) as it is."""
        return cls(
            formdata=None,
            prefix="risk",
            version=str(request.version),
            threats=picture.threats,
            threat_sources=picture.sources,
            incidents=picture.incidents,
            at_risk=picture.at_risk,
            support_sought=picture.support_sought,
            inform_authorities="yes" if picture.inform_authorities else "no",
        )


class AlertForm(BaseForm):
    """A missed check-in or an incident handled, as the page showed the check-ins."""

    seen = HiddenField()
