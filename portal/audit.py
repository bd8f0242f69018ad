"""The audit trail: who did what to which reference, and when.

Only names of actions, references and short non-sensitive details are kept:
never the contents of a request, a message, a code, a password or a token,
and no IP addresses.
"""

from .models import AuditEvent, User

ACTIONS = (
    "account.created",
    "account.deactivated",
    "account.reactivated",
    "account.reset",
    "account.password_changed",
    "account.totp_enrolled",
    "account.recovery_code_used",
    "sign_in.succeeded",
    "sign_in.failed",
    "sign_in.second_factor_failed",
    "sign_out",
    "request.viewed",
    "request.transition",
    "request.message",
    "request.note",
    "audit.viewed",
)


def record(
    action: str,
    *,
    user: User | None = None,
    reference: str | None = None,
    target_user: User | None = None,
    detail: str = "",
) -> AuditEvent:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    return AuditEvent.create(
        user=user, action=action, reference=reference, target_user=target_user, detail=detail[:200]
    )
