"""What every form shares: its base class and the validators for hostile text."""

import functools
import re

from flask import has_request_context, request
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectMultipleField
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import DataRequired, InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget, Select

from . import held
from .signing import FormTokens

# NUL breaks PostgreSQL and C libraries; other C0 controls (but tab and line
# breaks), DEL and lone surrogates have no place in anything a person types.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class BaseForm(FlaskForm):
    """A form whose errors are shown by each field and summarised at the top.

    Drawn on a page (a GET), it takes back the words held for it across a language
    switch or a new sign-in (portal.held), so that nothing typed is lost.
    """

    class Meta:
        csrf_class = FormTokens

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if has_request_context() and request.method == "GET":
            draft = held.draft_for(self)
            if draft is not None:
                self.process(draft, obj=kwargs.get("obj"), data=kwargs.get("data"))

    def first_error_field(self):
        return next((field for field in self if field.errors), None)


class VersionedForm(BaseForm):
    """A form that acts on a request as the page showed it (its version)."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        """The version the page showed; None when the field is missing or forged."""
        raw = (self.version.data or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 10 else None


def required(message=None):
    return DataRequired(message=message or _l("This field is required."))


def required_input(message=None):
    """Required, for fields that parse their input (dates, numbers).

    DataRequired would replace the parse error ("not a date") with "required".
    """
    return InputRequired(message=message or _l("This field is required."))


def plain_text(max_length: int):
    """Text of at most `max_length` characters, free of control characters."""

    def check(form, field):
        if not field.data:
            return
        if CONTROL_CHARACTERS.search(field.data):
            raise ValidationError(
                _l("This contains invisible control characters. Please retype it.")
            )
        if len(field.data) > max_length:
            # Formatted now, in the page's language: 20,000 / 20 000.
            raise ValidationError(
                _("Please use at most %(max)s characters.", max=format_number(max_length))
            )

    return check


def one_of(values, message=None):
    allowed = frozenset(values)

    def check(form, field):
        data = field.data if isinstance(field.data, list | tuple) else [field.data]
        if any(value not in allowed for value in data if value not in (None, "")):
            raise ValidationError(message or _l("Please choose one of the options."))

    return check


def choices(pairs):
    """Options for a select, radio or checkbox list from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class KeptOptions(Select):
    """A select whose options are each drawn once (per value, label and whether chosen)
    and reused: drawing a language's 250 countries through WTForms, attribute by
    attribute, took a filtered queue page 2.5 ms."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw:
            return super().render_option(choice, **kwargs)
        label = choice.value if choice.label is None else str(choice.label)
        return _drawn_option(choice.value, label, bool(choice.selected))


# Three languages' countries, chosen or not, and the other few options, with room.
@functools.lru_cache(maxsize=4096)
def _drawn_option(value, label: str, selected: bool):
    return Select.render_option(Choice(value, label, selected, None))


def confirmation(label=""):
    """A tick box that an action which cannot be undone requires.

    Its label says what will happen and who will be told (the view may set it, since
    that depends on the request). A post without it changes nothing: the page comes
    back with this error by the box. The same box works with and without JavaScript.
    """
    return BooleanField(label, validators=[DataRequired(message=_l("Tick this box to confirm."))])


def strip(value):
    return value.strip() if isinstance(value, str) else value


def lower(value):
    return value.lower() if isinstance(value, str) else value


def distinct(values):
    """Ticked values each once, in order, without empty ones (a hand-made post may repeat)."""
    if not isinstance(values, list):
        return values
    kept = []
    for value in values:
        if value not in ("", None) and value not in kept:
            kept.append(value)
    return kept


def checkboxes(label, **kwargs):
    """Several choices, each a checkbox (the form macros draw it as a fieldset).

    A hand-made post may tick a choice twice or send an empty one: each is kept once.
    """
    return SelectMultipleField(
        label,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        filters=[distinct],
        **kwargs,
    )


class DayField(DateField):
    """A day (year-month-day) whose parse error is our own translated message."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "invalid_value_message",
            _l("Please enter a date as year-month-day, for example 2027-03-01."),
        )
        super().__init__(*args, **kwargs)


class WholeNumberField(IntegerField):
    """A whole number written with the digits 0 to 9 (and maybe a minus) only.

    int() also reads "1_000", "+5" and "٣" (Arabic-Indic three); the CSV
    import refuses those, and so do the forms.
    """

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip() and not _DIGITS.fullmatch(valuelist[0].strip()):
            self.data = None
            raise ValueError(
                self.invalid_value_message or _("Please enter a whole number, for example 3.")
            )
        super().process_formdata([value.strip() for value in valuelist])


_DIGITS = re.compile(r"-?[0-9]+")  # a minus is read, so that the range check can say why
