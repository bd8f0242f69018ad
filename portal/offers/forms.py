from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.validators import Optional, ValidationError

from .. import offers
from ..forms import (
    BaseForm,
    VersionedForm,
    WholeNumberField,
    choices,
    confirmation,
    one_of,
    plain_text,
    required,
    strip,
)
from ..vocabulary import (
    CHECK_IN_INCIDENT,
    CHECK_IN_LABELS,
    CHECK_IN_RECORDED,
    CHECK_IN_RHYTHM_LABELS,
)

REASON = 4_000
UPDATE = 20_000


CONTACT_PLAN = 2_000


class AcceptForm(BaseForm):
    contact_plan = TextAreaField(
        _l("How and roughly when will you make contact?"),
        description=_l(
            "The requester reads this on their tracking page, with the name of your "
            "organization. For example: by phone within two days, from the number of our "
            "local office."
        ),
        filters=[strip],
        validators=[
            required(_l("Please say how and roughly when you will make contact.")),
            plain_text(CONTACT_PLAN),
        ],
    )
    confirm = confirmation(
        _l(
            "Yes, our organization takes this request on. The offer closes for every other "
            "organization, and the requester reads on their tracking page that your "
            "organization will contact them, and how."
        )
    )


class DeclineForm(BaseForm):
    reason = TextAreaField(
        _l("Why your organization cannot take it"),
        description=_l(
            "Network staff read it to find another organization. The requester does not see it."
        ),
        filters=[strip],
        validators=[
            required(_l("Please say why your organization cannot take it.")),
            plain_text(REASON),
        ],
    )


class UpdateForm(BaseForm):
    body = TextAreaField(
        _l("Progress update"),
        description=_l("Network staff read it. The requester does not see it."),
        filters=[strip],
        validators=[required(_l("Please write the update before sending.")), plain_text(UPDATE)],
    )


NO_RHYTHM = "none"


def rhythm_field():
    """How often the organization checks in: a choice to make, "none" included."""
    pairs = [(str(hours), label) for hours, label in CHECK_IN_RHYTHM_LABELS.items()]
    pairs.append((NO_RHYTHM, _l("No regular check-ins: we record them as they come")))
    return RadioField(
        _l("How often will your organization check in?"),
        description=_l(
            "At each check-in you say in a few seconds how the people you accompany are. "
            "If one does not come on time, network staff are alerted."
        ),
        choices=choices(pairs),
        validate_choice=False,
        validators=[
            required(_l("Please choose how often your organization will check in.")),
            one_of([value for value, _label in pairs]),
        ],
    )


class RhythmChosen:
    """The chosen rhythm in hours, None for no regular check-ins."""

    def hours(self) -> int | None:
        value = self.rhythm.data
        return None if value in (None, "", NO_RHYTHM) else int(value)


class StartForm(RhythmChosen, VersionedForm):
    """Marking the work under way, as the page showed the request, with its check-in rhythm."""

    rhythm = rhythm_field()
    confirm = confirmation(
        _l(
            "Yes, the accompaniment or visit has begun. The requester sees it as under way on "
            "their tracking page."
        )
    )


# Days and visits one engagement can count: ten years' worth.
MOST_COUNTED = 3_650


def _counted(form, field):
    if field.data is not None and not 0 <= field.data <= MOST_COUNTED:
        raise ValidationError(_l("Please enter a number from 0 to 3650."))


class CompleteForm(VersionedForm):
    """Marking the work completed, as the page showed the request, with a closing report."""

    days = WholeNumberField(
        _l("Days of accompaniment (optional)"),
        invalid_value_message=_l("Please enter a whole number, for example 12."),
        validators=[Optional(), _counted],
    )
    visits = WholeNumberField(
        _l("Visits made (optional)"),
        invalid_value_message=_l("Please enter a whole number, for example 3."),
        validators=[Optional(), _counted],
    )
    outcome = TextAreaField(
        _l("How it went, in a sentence or two"),
        description=_l("For network staff only. The requester sees only that the work ended."),
        filters=[strip],
        validators=[required(_l("Please say how it went.")), plain_text(CONTACT_PLAN)],
    )
    follow_up = RadioField(
        _l("Is follow-up needed?"),
        choices=choices([("no", _l("No")), ("yes", _l("Yes, the network should follow up"))]),
        validate_choice=False,
        validators=[required(_l("Please say whether follow-up is needed.")), one_of(("no", "yes"))],
    )
    confirm = confirmation(
        _l(
            "Yes, it has ended. The requester sees it as completed on their tracking page and "
            "network staff are told. Your organization then no longer sees the requester's "
            "name and contact details."
        )
    )

    def closing(self) -> "offers.Closing":
        return offers.Closing(
            outcome=self.outcome.data,
            follow_up=self.follow_up.data == "yes",
            days=self.days.data,
            visits=self.visits.data,
        )


# The form of each move of the work, by the route's name (standing.next_move).
MOVE_FORMS = {"start": StartForm, "complete": CompleteForm}


class ThreadForm(BaseForm):
    body = TextAreaField(
        _l("Message to the requester"),
        description=_l(
            "The requester reads it on their tracking page. Network staff can read it too."
        ),
        filters=[strip],
        validators=[required(_l("Please write a message before sending.")), plain_text(UPDATE)],
    )


class RhythmForm(RhythmChosen, BaseForm):
    rhythm = rhythm_field()


NOTE = 2_000


class CheckInForm(BaseForm):
    status = RadioField(
        _l("How are the people you accompany?"),
        choices=choices([(key, CHECK_IN_LABELS[key]) for key in CHECK_IN_RECORDED]),
        validate_choice=False,
        validators=[
            required(_l("Please choose how things are.")),
            one_of(CHECK_IN_RECORDED),
        ],
    )
    note = TextAreaField(
        _l("In a sentence (needed for an incident)"),
        description=_l(
            "For network staff only. An incident alerts them at once. Write what happened, "
            "not names."
        ),
        filters=[strip],
        validators=[plain_text(NOTE)],
    )

    def validate_note(self, field):
        if self.status.data == CHECK_IN_INCIDENT and not field.data:
            raise ValidationError(_l("Please say in a sentence what happened."))
