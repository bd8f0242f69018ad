from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import ValidationError

from ..accounts import MAX_PASSWORD, MIN_PASSWORD, password_problem
from ..forms import BaseForm, choices, one_of, plain_text, required, strip
from ..i18n import LANGUAGES
from ..vocabulary import NOTICE_KINDS, NOTICE_TIMING_LABELS, NOTICE_TIMINGS


class SignInForm(BaseForm):
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[required(_l("Please enter your email address.")), plain_text(254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[required(_l("Please enter your password.")), plain_text(MAX_PASSWORD)],
    )
    next = HiddenField()


class CodeForm(BaseForm):
    code = StringField(
        _l("Code from your authenticator app, or a recovery code"),
        filters=[strip],
        validators=[required(_l("Please enter the code.")), plain_text(40)],
    )


class EnrolForm(BaseForm):
    code = StringField(
        _l("The six-digit code your app shows now"),
        filters=[strip],
        validators=[required(_l("Please enter the code.")), plain_text(40)],
    )


class PasswordForm(BaseForm):
    current = PasswordField(
        _l("Current password"),
        validators=[required(_l("Please enter your current password.")), plain_text(MAX_PASSWORD)],
    )
    new = PasswordField(
        _l("New password"),
        description=_l(
            "At least %(min)d characters. A few unrelated words make a strong password.",
            min=MIN_PASSWORD,
        ),
        validators=[required(_l("Please choose a new password.")), plain_text(MAX_PASSWORD)],
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[required(_l("Please type the new password again.")), plain_text(MAX_PASSWORD)],
    )

    def validate_new(self, field):
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)

    def validate_repeat(self, field):
        if field.data != self.new.data:
            raise ValidationError(_l("The two new passwords are not the same."))


class SettingsForm(BaseForm):
    """An account's language and how soon it hears of each kind of notice (fields added per
    role by `settings_form`)."""

    language = SelectField(
        _l("Language of your pages and notifications"),
        description=_l("Notifications are written in this language too."),
        validate_choice=False,
        validators=[one_of(LANGUAGES, _l("Please choose a language from the list."))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = choices(
            [("", _l("The language of my browser")), *LANGUAGES.items()]
        )

    def notice_fields(self):
        return [field for field in self if field.name.startswith(NOTICE_PREFIX)]

    def chosen_timings(self) -> dict[str, str]:
        return {
            field.name.removeprefix(NOTICE_PREFIX): field.data for field in self.notice_fields()
        }


NOTICE_PREFIX = "notice_"


def settings_form(user, timings: dict[str, str]) -> SettingsForm:
    """The settings form for this account: one choice per kind of notice its role hears of.

    It shows what is stored; a posted form (FlaskForm reads it) replaces that.
    """

    class AccountSettings(SettingsForm):
        pass

    for kind in timings:
        setattr(
            AccountSettings,
            NOTICE_PREFIX + kind,
            RadioField(
                NOTICE_KINDS[kind],
                choices=choices(NOTICE_TIMING_LABELS.items()),
                validate_choice=False,
                validators=[
                    required(_l("Please choose when to hear of this.")),
                    one_of(NOTICE_TIMINGS),
                ],
            ),
        )
    data = {NOTICE_PREFIX + kind: timing for kind, timing in timings.items()}
    data["language"] = user.locale or ""
    return AccountSettings(data=data)
