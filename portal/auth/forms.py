from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import ValidationError

from ..accounts import MAX_PASSWORD, MIN_PASSWORD, password_problem
from ..forms import BaseForm, plain_text, required, strip


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
