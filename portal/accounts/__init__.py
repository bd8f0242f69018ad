"""Staff accounts: passwords, two-factor codes, recovery codes, deactivation, members moved.

Every change here ends the account's sessions where it must (a new password,
deactivation, a move to another organization) and is written to the audit trail
by the caller's action name.
"""

import base64
import datetime
import functools
import gzip
import hmac
import io
import re
import secrets
import time
from pathlib import Path

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError

from .. import audit, keychain, keys, notices, tracking, vocabulary
from ..access import belongs_to_organization
from ..db import db
from ..models import AuditEvent, Organization, RecoveryCode, ServerSession, User, utcnow

MIN_PASSWORD, MAX_PASSWORD = 12, 128
TOTP_ISSUER = "Protection portal"
RECOVERY_CODES = 10

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 defaults


class AccountError(ValueError):
    """A change to an account that is refused; the message is shown to the person."""


@functools.cache
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def password_problem(password: str):
    """Why a password cannot be used (a translated message), or None."""
    if len(password) < MIN_PASSWORD:
        return _l("Use at least %(min)d characters.", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _l("Use at most %(max)d characters.", max=MAX_PASSWORD)
    if password.lower() in _common_passwords():
        return _l("This password is too common. Choose another one.")
    return None


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    """The active account these credentials open, or None.

    An unknown address costs the same Argon2 work as a wrong password, so
    timing does not tell which accounts exist.
    """
    user = User.by_email(email or "")
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        User.update(password_hash=_hasher.hash(password)).where(User.id == user.id).execute()
    return user


def normalise_email(email: str) -> str:
    return email.strip().lower()


def role_problem(role: str, organization: Organization | None):
    """Why an account cannot have this role and organization (a translated message), or None.

    An organization member belongs to exactly one organization in service, staff to none.
    """
    if role not in vocabulary.ROLES:
        return _l("Unknown role.")
    if belongs_to_organization(role) != (organization is not None):
        return _l("An organization member must belong to an organization; other roles cannot.")
    if organization is not None and organization.archived:
        return _l("This organization is archived. Please choose another one.")
    return None


def create_user(
    email: str,
    role: str,
    password: str,
    by: User | None = None,
    *,
    organization: Organization | None = None,
    chosen: bool = True,
) -> User:
    """A new account; an organization member belongs to exactly one organization, staff to none.

    Its key pair is sealed under `password`; `chosen` says whether the person chose it (an
    operator typing their own at the command line) or not (generated for them).
    """
    problem = role_problem(role, organization) or password_problem(password)
    if problem is not None:
        raise AccountError(problem)
    email = normalise_email(email)
    if User.by_email(email):
        raise AccountError(_l("An account with this email address exists already."))
    with db.atomic():
        user = User.create(
            email=email,
            role=role,
            password_hash=_hasher.hash(password),
            organization=organization,
        )
        keychain.new_person_keys(user, password, chosen=chosen)
        detail = f"role={role}" + (f" organization={organization.key}" if organization else "")
        audit.record("account.created", user=by, target_user=user, detail=detail)
    return user


def set_password(
    user: User, password: str, by: User | None = None, *, private: bytes | None = None
) -> None:
    """Change a password and end every session of the account, everywhere.

    The account's private key (opened with the old password, `private`) is sealed again
    under the new one; without it, the account gets a new key pair and loses its access.
    """
    problem = password_problem(password)
    if problem is not None:
        raise AccountError(problem)
    chosen = by is None or by.id == user.id
    with db.atomic():
        User.update(password_hash=_hasher.hash(password)).where(User.id == user.id).execute()
        if private is None:
            keychain.new_person_keys(user, password, chosen=chosen)
        else:
            keychain.change_password(user, private, password, chosen=chosen)
        end_sessions(user)
        audit.record("account.password_changed", user=by or user, target_user=user)


def generate_password() -> str:
    """A password to read aloud or copy by hand: 24 characters without look-alikes (no 0/O,
    1/I/L), in groups of four, about 116 bits."""
    raw = "".join(secrets.choice(tracking.ALPHABET) for _ in range(24))
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def active_admins() -> int:
    return User.select().where((User.role == vocabulary.ADMIN) & User.active).count()


def deactivate(user: User, by: User | None = None) -> None:
    if user.role == vocabulary.ADMIN and user.active and active_admins() <= 1:
        raise AccountError(_l("The last active administrator cannot be deactivated."))
    with db.atomic():
        User.update(active=False).where(User.id == user.id).execute()
        end_sessions(user)
        audit.record("account.deactivated", user=by, target_user=user)
        user.active = False
        keychain.member_left(user, keychain.holder_of(user), by=by)


def move_member(user: User, organization: Organization, by: User) -> None:
    """Move an organization member to another organization, in service; their sessions end,
    so that they stop seeing the old organization's offers and requests at once."""
    if user.role != vocabulary.ORG_MEMBER:
        raise AccountError(_l("Only organization members belong to an organization."))
    if organization.archived:
        raise AccountError(_l("This organization is archived. Please choose another one."))
    if user.organization_id == organization.id:
        raise AccountError(_l("The member belongs to this organization already."))
    with db.atomic():
        old = user.organization
        User.update(organization=organization).where(User.id == user.id).execute()
        end_sessions(user)
        keychain.member_left(user, keychain.holder_of(user), by=by)
        audit.record(
            "account.moved",
            user=by,
            target_user=user,
            detail=f"from={old.key if old else ''} to={organization.key}",
        )
    user.organization = organization


def reactivate(user: User, by: User | None = None) -> None:
    with db.atomic():
        User.update(active=True).where(User.id == user.id).execute()
        audit.record("account.reactivated", user=by, target_user=user)
    user.active = True


def reset(user: User, by: User) -> str:
    """A new generated password and no second factor: the person enrols again."""
    password = generate_password()
    with db.atomic():
        User.update(
            password_hash=_hasher.hash(password),
            totp_secret_sealed=None,
            totp_confirmed=False,
            totp_last_step=None,
        ).where(User.id == user.id).execute()
        RecoveryCode.delete().where(RecoveryCode.user == user).execute()
        end_sessions(user)
        # A new key pair, under a password the administrator saw: no access until the
        # person chooses their own and a colleague gives it again.
        keychain.new_person_keys(user, password, chosen=False)
        audit.record("account.reset", user=by, target_user=user)
    return password


def signed_in(user: User) -> None:
    """Write down a completed sign-in (both steps): when, and in the audit trail."""
    with db.atomic():
        User.update(last_sign_in_at=utcnow()).where(User.id == user.id).execute()
        audit.record("sign_in.succeeded", user=user, target_user=user)


def end_sessions(user: User) -> None:
    ServerSession.delete().where(ServerSession.user == user).execute()


# --- Two-factor sign-in ---------------------------------------------------------------


def needs_second_factor(user: User) -> bool:
    required = {role.strip() for role in current_app.config["TOTP_REQUIRED_ROLES"].split(",")}
    return user.totp_confirmed or user.role in required


def start_enrolment(user: User) -> str:
    """A fresh 160-bit secret for the account, kept until confirmed by a code."""
    secret = pyotp.random_base32(32)
    user.totp_secret = secret
    User.update(
        totp_secret_sealed=user.totp_secret_sealed, totp_confirmed=False, totp_last_step=None
    ).where(User.id == user.id).execute()
    return secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def qr_data_uri(text: str) -> str:
    """The QR code drawn on the server, as an image address (no markup to trust)."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _accept_totp(user: User, code: str) -> bool:
    """Accept a current code once: a replayed one (same or older time step) is refused."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6 or user.totp_secret_sealed is None:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = int(time.time()) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            # Conditional update: of two sign-ins racing with one code, one wins.
            claimed = (
                User.update(totp_last_step=step)
                .where(
                    (User.id == user.id)
                    & (User.totp_last_step.is_null() | (User.totp_last_step < step))
                )
                .execute()
            )
            return claimed == 1
    return False


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Confirm the secret with a first code; returns new recovery codes, or None."""
    if not _accept_totp(user, code):
        return None
    with db.atomic():
        User.update(totp_confirmed=True).where(User.id == user.id).execute()
        codes = _new_recovery_codes(user)
        audit.record("account.totp_enrolled", user=user, target_user=user)
    user.totp_confirmed = True
    return codes


def second_step_blocked(user: User) -> None:
    """Too many wrong codes for `user`: write it down, and tell administrators, at most
    once an hour for one account (someone with the password may keep trying)."""
    since = utcnow() - datetime.timedelta(hours=1)
    told = (
        AuditEvent.select()
        .where(
            (AuditEvent.action == "sign_in.second_factor_blocked")
            & (AuditEvent.target_user == user)
            & (AuditEvent.created_at >= since)
        )
        .exists()
    )
    with db.atomic():
        audit.record("sign_in.second_factor_blocked", target_user=user)
        if not told:
            notices.to_administrators("sign_in_blocked")


def verify_second_factor(user: User, code: str) -> bool:
    """A TOTP code, or one of the account's unused recovery codes."""
    if _accept_totp(user, code):
        return True
    return _use_recovery_code(user, code)


def _recovery_hash(code: str) -> str:
    canonical = "".join(ch for ch in code.upper() if ch.isalnum())
    return keys.keyed_hash("recovery_code", canonical)


def _new_recovery_codes(user: User) -> list[str]:
    RecoveryCode.delete().where(RecoveryCode.user == user).execute()
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode()  # 80 bits
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
        RecoveryCode.create(user=user, code_hash=_recovery_hash(codes[-1]))
    return codes


def _use_recovery_code(user: User, code: str) -> bool:
    if not any(ch.isalpha() for ch in code):
        return False
    used = (
        RecoveryCode.update(used_at=utcnow())
        .where(
            (RecoveryCode.user == user)
            & (RecoveryCode.code_hash == _recovery_hash(code))
            & RecoveryCode.used_at.is_null()
        )
        .execute()
    )
    if used:
        audit.record("account.recovery_code_used", user=user, target_user=user)
    return used == 1


# --- Administration: creating accounts, finding them, reading the audit trail ---------

MAX_EMAIL = 254
# An allow-list narrower than the RFCs: before the @, letters, digits and _ + ' -
# in dot-separated parts that start with a letter, digit or _ (so never = + - @,
# which spreadsheets read as formulas); after it, a domain with a dot. Markup,
# quotes, spaces, braces and control characters never get in.
_EMAIL = re.compile(
    r"(?=[^@]{1,64}@)"
    r"[a-z0-9_][a-z0-9_+'-]*(?:\.[a-z0-9_][a-z0-9_+'-]*)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_UID = re.compile(r"[0-9a-f]{32}")


def email_problem(email: str):
    """Why an address cannot be an account's email (a translated message), or None."""
    if len(email) > MAX_EMAIL:
        return _l("An email address has at most %(max)d characters.", max=MAX_EMAIL)
    if not _EMAIL.fullmatch(normalise_email(email)):
        return _l("Please enter an email address such as name@example.org.")
    return None


def create_with_generated_password(
    email: str, role: str, by: User, *, organization: Organization | None = None
) -> tuple[User, str]:
    """A new account and its generated password, to be shown once and never stored."""
    problem = email_problem(email)
    if problem is not None:
        raise AccountError(problem)
    password = generate_password()
    try:
        user = create_user(email, role, password, by=by, organization=organization, chosen=False)
    except IntegrityError as exc:  # the same address created at the same moment
        raise AccountError(_l("An account with this email address exists already.")) from exc
    return user, password


def by_uid(uid: str) -> User | None:
    """The account an address names by its uid; None for anything that is not one."""
    if not isinstance(uid, str) or not _UID.fullmatch(uid):
        return None
    return User.get_or_none(User.uid == uid)


def staff_accounts():
    """Every account with its organization, newest first."""
    return (
        User.select(User, Organization)
        .join(Organization, JOIN.LEFT_OUTER)
        .order_by(User.created_at.desc(), User.id.desc())
    )
