"""The forms an administrator fills to create an account, deactivate it, or move a member."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField
from wtforms.validators import ValidationError

from .. import accounts, organizations
from ..access import belongs_to_organization
from ..forms import (
    BaseForm,
    choices,
    confirmation,
    lower,
    one_of,
    plain_text,
    required,
    strip,
)
from ..models import User
from ..vocabulary import ROLE_LABELS, ROLES


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
        choices=choices([("", _l("Choose a role")), *ROLE_LABELS.items()]),
        validate_choice=False,
        validators=[
            required(_l("Please choose a role.")),
            one_of(ROLES, _l("Please choose a role from the list.")),
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
            + [(org.key, org.name) for org in organizations.in_service_by_name()]
        )

    def validate_organization(self, field):
        if not belongs_to_organization(self.role.data):
            return
        if not field.data:
            raise ValidationError(_l("Please choose the organization this member belongs to."))
        chosen = organizations.by_key(field.data)
        if chosen is None or chosen.archived:  # archived ones are not in the list
            raise ValidationError(_l("Please choose an organization from the list."))

    def chosen_organization(self):
        """The organization of a new member; None for the other roles, whatever was sent."""
        if not belongs_to_organization(self.role.data):
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


class DeactivateForm(BaseForm):
    """The tick an administrator gives before deactivating an account."""

    confirm = confirmation(
        _l(
            "Yes, deactivate it. The account is signed out everywhere at once and can no "
            "longer sign in. Nobody is told, the person included: tell them yourself if it is "
            "safe to. You can reactivate it later."
        )
    )


class MoveMemberForm(BaseForm):
    """Where an organization member goes, and the tick that confirms it."""

    organization = SelectField(
        _l("New organization"),
        description=_l("Only organizations in service are listed."),
        validate_choice=False,
    )
    confirm = confirmation(
        _l(
            "Yes, move this member. At once they stop seeing the offers, requests and "
            "messages of their present organization, and see those of the new one instead. "
            "They are signed out everywhere and sign in again. Nobody is told: tell the "
            "person yourself."
        )
    )

    def __init__(self, *args, member: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member
        self.organization.choices = choices(
            [("", _l("Choose an organization"))]
            + [
                (org.key, org.name)
                for org in organizations.in_service_by_name()
                if org.id != member.organization_id
            ]
        )

    def validate_organization(self, field):
        if not field.data:
            raise ValidationError(_l("Please choose the organization the member moves to."))
        chosen = organizations.by_key(field.data)
        if chosen is None or chosen.archived:
            raise ValidationError(_l("Please choose an organization from the list."))
        if chosen.id == self.member.organization_id:
            raise ValidationError(_l("The member belongs to this organization already."))

    def chosen_organization(self):
        return organizations.by_key(self.organization.data)
