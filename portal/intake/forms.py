import datetime
import re

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional, ValidationError

from .. import i18n, intake
from ..forms import (
    BaseForm,
    DayField,
    KeptOptions,
    WholeNumberField,
    checkboxes,
    choices,
    one_of,
    plain_text,
    required,
    required_input,
    strip,
)
from ..regions import COUNTRY_REGION
from ..risk import TEXT_LENGTH as RISK_TEXT
from ..risk import RiskPicture
from ..vocabulary import (
    AT_RISK,
    AT_RISK_LABELS,
    CHANNEL_LABELS,
    CONTACT_CHANNELS,
    EVALUATION_ANSWERS,
    ON_BEHALF,
    REQUESTER_KIND_LABELS,
    REQUESTER_KINDS,
    SERVICE_LABELS,
    SERVICES,
    SHARED_WORDS,
    THREAT_LABELS,
    THREAT_SOURCE_LABELS,
    THREAT_SOURCES,
    THREATS,
    URGENCIES,
    URGENCY_LABELS,
    WORDS_LABELS,
)

SHORT_TEXT = 200
MAX_PEOPLE = 100_000
LONG_TEXT = 20_000


def email_address(form, field):
    """One address, name@domain, with nothing that a mail header could misread."""
    if field.data and not _EMAIL.fullmatch(field.data):
        raise ValidationError(_l("Please enter one email address, such as name@example.org."))


# Plainer than the RFC allows, on purpose: no quoting, groups, encoded words or
# comments that a mail header would read as something else than what was typed.
_EMAIL = re.compile(
    r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def earliest_start() -> datetime.date:
    # Requesters may be up to a day behind UTC: "today" where they are must pass.
    return datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=1)


class RequestForm(BaseForm):
    service = RadioField(
        _l("What are you asking for?"),
        choices=choices(SERVICE_LABELS.items()),
        validate_choice=False,
        validators=[required(_l("Please choose a service.")), one_of(SERVICES)],
    )
    urgency = RadioField(
        _l("How urgent is it?"),
        choices=choices(URGENCY_LABELS.items()),
        validate_choice=False,
        validators=[required(_l("Please say how urgent it is.")), one_of(URGENCIES)],
    )
    start_date = DayField(
        _l("Preferred start date"),
        validators=[required_input(_l("Please give a start date."))],
    )
    end_date = DayField(
        _l("End date (optional)"),
        description=_l("Leave empty if there is no end date yet."),
        validators=[Optional()],
    )
    people_count = WholeNumberField(
        _l("How many people need support?"),
        invalid_value_message=_l("Please enter a whole number, for example 3."),
        validators=[required_input(_l("Please say how many people."))],
    )
    requester_kind = RadioField(
        _l("Who is asking?"),
        choices=choices(REQUESTER_KIND_LABELS.items()),
        validate_choice=False,
        validators=[required(_l("Please say who is asking.")), one_of(REQUESTER_KINDS)],
    )
    on_behalf = RadioField(
        _l("Are you asking for yourself or for someone else?"),
        choices=choices(
            [
                ("self", _l("For myself, my community or my organization")),
                ("asked", _l("For someone else, who asked me to send it")),
                ("agreed", _l("For someone else, who agreed that I send it")),
                ("unaware", _l("For someone else, who does not know yet")),
            ]
        ),
        default="self",
        validate_choice=False,
        validators=[Optional(), one_of(("self", *ON_BEHALF))],
    )
    name = StringField(
        _l("Name or pseudonym"),
        description=_l("A name we can use with you. It does not need to be your real name."),
        filters=[strip],
        validators=[required(_l("Please give a name or pseudonym.")), plain_text(SHORT_TEXT)],
    )
    organization = StringField(
        _l("Organization (optional)"),
        filters=[strip],
        validators=[Optional(), plain_text(SHORT_TEXT)],
    )
    languages = checkboxes(
        _l("Languages the people speak"),
        validate_choice=False,
        validators=[one_of(i18n.SPOKEN_LANGUAGES)],
    )
    other_languages = StringField(
        _l("Other languages"),
        filters=[strip],
        validators=[Optional(), plain_text(SHORT_TEXT)],
    )
    country = SelectField(
        _l("Country"),
        widget=KeptOptions(),
        validate_choice=False,
        validators=[
            required(_l("Please choose a country.")),
            one_of(COUNTRY_REGION, _l("Please choose a country from the list.")),
        ],
    )
    place = StringField(
        _l("Town or area"),
        description=_l("Only as precise as needed to plan a visit."),
        filters=[strip],
        validators=[required(_l("Please say where.")), plain_text(SHORT_TEXT)],
    )
    situation = TextAreaField(
        _l("Your situation and the threats you face"),
        description=_l("What is happening, since when, and who is at risk."),
        validators=[required(_l("Please describe the situation.")), plain_text(LONG_TEXT)],
    )
    asked_for = TextAreaField(
        _l("What exactly are you asking for, and why?"),
        validators=[required(_l("Please say what you are asking for.")), plain_text(LONG_TEXT)],
    )
    # The risk picture (portal/risk.py): every answer optional.
    threats = checkboxes(
        _l("What are you facing?"),
        choices=choices(THREAT_LABELS.items()),
        validate_choice=False,
        validators=[one_of(THREATS)],
    )
    threat_sources = checkboxes(
        _l("Who is behind it, as far as you know?"),
        choices=choices(THREAT_SOURCE_LABELS.items()),
        validate_choice=False,
        validators=[one_of(THREAT_SOURCES)],
    )
    incidents = TextAreaField(
        _l("Recent incidents"),
        description=_l("When, and what happened, in a sentence or two."),
        validators=[Optional(), plain_text(RISK_TEXT)],
    )
    at_risk = checkboxes(
        _l("Who else is at risk?"),
        choices=choices(AT_RISK_LABELS.items()),
        validate_choice=False,
        validators=[one_of(AT_RISK)],
    )
    support_sought = TextAreaField(
        _l("Support you have already asked for elsewhere"),
        description=_l("Other organizations, lawyers, embassies, protection programmes."),
        validators=[Optional(), plain_text(RISK_TEXT)],
    )
    inform_authorities = RadioField(
        _l("May the network tell authorities about your situation?"),
        description=_l(
            "For example a ministry, an embassy or the UN. We never do unless you say yes."
        ),
        choices=choices([("no", _l("No")), ("yes", _l("Yes, if it could help"))]),
        default="no",
        validate_choice=False,
        validators=[Optional(), one_of(("no", "yes"))],
    )
    contact_channel = SelectField(
        _l("How can we reach you safely? (optional)"),
        choices=choices([("", _l("Only through the tracking code")), *CHANNEL_LABELS.items()]),
        validate_choice=False,
        validators=[one_of(CONTACT_CHANNELS)],
    )
    contact_detail = StringField(
        _l("Number, username or address"),
        filters=[strip],
        validators=[plain_text(SHORT_TEXT)],
    )
    contact_safe = RadioField(
        _l("Is it safe to contact you there?"),
        choices=choices([("yes", _l("Yes")), ("no", _l("No, only if I write first"))]),
        validate_choice=False,
        validators=[Optional(), one_of(("yes", "no"))],
    )
    notify_email = EmailField(
        _l("Email address for a notice when there is news (optional)"),
        description=_l(
            "The email will only say that there is news on your request, never what it is: "
            "you read it here with your code. Anyone who can read this mailbox will learn "
            "that you asked for support. Leave it empty if that could put you at risk."
        ),
        filters=[strip],
        validators=[Optional(), plain_text(254), email_address],
    )
    share_contact = RadioField(
        _l("May the organization that takes on your request see how to reach you?"),
        choices=choices(
            [
                ("yes", _l("Yes")),
                ("no", _l("No: network staff put us in touch through this site")),
            ]
        ),
        default="yes",
        validate_choice=False,
        validators=[Optional(), one_of(("yes", "no"))],
    )
    share_words = RadioField(
        _l("What may that organization read of what you wrote about your situation?"),
        description=_l("Network staff always read it. Other organizations never do."),
        choices=choices(WORDS_LABELS.items()),
        default="written",
        validate_choice=False,
        validators=[Optional(), one_of(SHARED_WORDS)],
    )
    share_figures = BooleanField(
        _l(
            "The network may count this request in its figures, with nothing that could "
            "identify anyone."
        ),
    )
    consent = BooleanField(
        _l(
            "I agree that network staff and the organizations matched to this request "
            "may read it to arrange support, as explained above."
        ),
        validators=[required(_l("We can only act on your request with your agreement."))],
    )
    submission_token = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = choices([("", _l("Choose a country")), *i18n.countries()])
        self.languages.choices = choices(i18n.spoken_languages())

    def validate(self, extra_validators=None):
        if not self.contact_channel.data:
            # "Only through the tracking code": the channel's fields are hidden and
            # ignored, so nothing left in them can be wrong.
            self.contact_detail.data = ""
            self.contact_safe.data = None
        return super().validate(extra_validators)

    def validate_start_date(self, field):
        if field.data and field.data < earliest_start():
            raise ValidationError(_l("The start date cannot be in the past."))
        if field.data and field.data > earliest_start() + datetime.timedelta(days=3 * 366):
            raise ValidationError(_l("Please choose a start date within the next three years."))

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    def validate_people_count(self, field):
        if field.data is not None and not 1 <= field.data <= MAX_PEOPLE:
            # Formatted here, not in the catalogue: 100,000 in English, 100 000 in French.
            raise ValidationError(
                _("Please enter a number from 1 to %(max)s.", max=format_number(MAX_PEOPLE))
            )

    def validate_languages(self, field):
        if not field.data and not (self.other_languages.data or "").strip():
            raise ValidationError(_l("Please choose at least one language, or write it below."))

    def validate_contact_detail(self, field):
        if self.contact_channel.data and not field.data:
            raise ValidationError(_l("Please give the number, username or address to use."))

    def request_fields(self) -> dict:
        """The cleaned values, keyed by the names intake.submit() binds."""
        data = {name: self[name].data for name in intake.REQUESTER_FIELDS}
        data["risk"] = self.risk_picture()
        # A field a hand-made post left out stays at what the form would have sent.
        data["share_contact"] = self.share_contact.data != "no"
        data["share_words"] = "summary" if self.share_words.data == "summary" else "written"
        data["share_figures"] = bool(self.share_figures.data)
        data["on_behalf"] = self.on_behalf.data if self.on_behalf.data in ON_BEHALF else None
        safe = data["contact_safe"]
        data["contact_safe"] = {"yes": True, "no": False}.get(safe)
        if not data["contact_channel"]:
            # "Only through the tracking code": the fields about a channel do not apply
            # (the page hides them); whatever was left in them is not kept.
            data["contact_detail"] = data["contact_safe"] = None
        return data

    def risk_picture(self) -> RiskPicture:
        return RiskPicture.from_answers(
            threats=self.threats.data,
            sources=self.threat_sources.data,
            incidents=self.incidents.data,
            at_risk=self.at_risk.data,
            support_sought=self.support_sought.data,
            inform_authorities=self.inform_authorities.data,
        )

    @property
    def risk_fields(self) -> list:
        return [
            self.threats,
            self.threat_sources,
            self.incidents,
            self.at_risk,
            self.support_sought,
            self.inform_authorities,
        ]


# The fields checked while the person fills the form, each sent alone (the end date with
# the start date it is compared to). Nothing that identifies people is among them: names,
# places, the situation, contacts and other free text leave the browser only with Send.
CHECKED_WHILE_TYPING = frozenset(
    {
        "service",
        "urgency",
        "start_date",
        "end_date",
        "people_count",
        "requester_kind",
        "country",
        "contact_channel",
    }
)


class TrackForm(BaseForm):
    code = StringField(
        _l("Tracking code"),
        description=_l("Capital or small letters, spaces and dashes do not matter."),
        filters=[strip],
        validators=[required(_l("Please enter your tracking code.")), plain_text(100)],
    )
    # Carries a message written in a session that ended, so it is not lost.
    pending_message = TextAreaField(
        _l("Your message, not sent yet"),
        validators=[Optional(), plain_text(LONG_TEXT)],
    )


class KeptForm(BaseForm):
    kept = StringField(
        _l("To show that you kept it, type the last four characters of your code"),
        description=_l(
            "Or the whole code. Capital or small letters, spaces and dashes do not matter."
        ),
        filters=[strip],
        validators=[required(_l("Please type the end of your code.")), plain_text(100)],
    )


class InformationForm(BaseForm):
    body = TextAreaField(
        _l("Add information or answer a question"),
        validators=[required(_l("Please write something before sending.")), plain_text(LONG_TEXT)],
    )


class OrganizationMessageForm(BaseForm):
    # Which organization it goes to, when several work on the request (their uids; the view
    # sets the choices, and offers.write_to_organization checks the one sent).
    to = SelectField(_l("To"), choices=[], validate_choice=False)
    body = TextAreaField(
        _l("Your message to the organization"),
        description=_l("Only this organization and network staff read it."),
        validators=[required(_l("Please write something before sending.")), plain_text(LONG_TEXT)],
    )


class EvaluationForm(BaseForm):
    useful = RadioField(
        _l("Was the accompaniment or visit useful?"),
        choices=choices(EVALUATION_ANSWERS.items()),
        validate_choice=False,
        validators=[Optional(), one_of(EVALUATION_ANSWERS)],
    )
    safer = RadioField(
        _l("Did you feel safer?"),
        choices=choices(EVALUATION_ANSWERS.items()),
        validate_choice=False,
        validators=[Optional(), one_of(EVALUATION_ANSWERS)],
    )
    comment = TextAreaField(
        _l("Anything you want to tell the network (optional)"),
        validators=[Optional(), plain_text(LONG_TEXT)],
    )

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if not (self.useful.data or self.safer.data or (self.comment.data or "").strip()):
            self.comment.errors = [_l("Please answer at least one question, or write something.")]
            return False
        return True


class ComplaintForm(BaseForm):
    # Which organization it is about, when several took the request on (their uids; the view
    # sets the choices, intake.complain checks the one sent).
    about = SelectField(_l("About which organization?"), choices=[], validate_choice=False)
    body = TextAreaField(
        _l("What went wrong with the organization?"),
        description=_l("Network staff read it. The organization does not."),
        validators=[required(_l("Please write what went wrong.")), plain_text(LONG_TEXT)],
    )


class SharingForm(BaseForm):
    """The tracking page's choices of what may be shared; an unticked box takes it back."""

    contact = BooleanField()
    words = BooleanField()
    figures = BooleanField()


class WithdrawForm(BaseForm):
    confirm = BooleanField(
        _l("Yes, withdraw my request. I understand that nothing more will be done with it."),
        validators=[required(_l("Please tick the box to confirm."))],
    )
