"""What the notices' tests share: the mail the portal sent, read from its outbox folder or
from a real SMTP server on 127.0.0.1 (STARTTLS, a login), and the notices it still owes.

The servers are aiosmtpd's, each in a thread of its own. A test decides what a server
refuses (`MailServer.refuse`) and reads what it accepted (`MailServer.received`).
"""

import datetime
import ssl
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from portal import mail
from portal.models import Notice, User

from portal_testing.served import free_port
from portal_testing.tls import self_signed_certificate  # noqa: F401 (the relay's, for its users)

# The relay's account; the password has characters that must be percent-encoded in the URL.
SMTP_USER = "portal-relay"
SMTP_PASSWORD = "p@ss:word/7431 %"

# pytest.mark.app_config values that only exist once the servers run (see conftest.py).


@dataclass(frozen=True)
class Live:
    """A setting whose value a fixture gives: pytest.mark.app_config(SMTP_URL=Live("smtp_url"))."""

    fixture: str


# Mail through the test server, over STARTTLS, trusting its own certificate.
THROUGH_SMTP = {"SMTP_URL": Live("smtp_url"), "SMTP_CA_FILE": Live("smtp_ca_file")}


@dataclass
class Mail:
    """One email as its reader gets it: the envelope (when it went by SMTP) and the message."""

    raw: bytes
    envelope_from: str = ""
    envelope_to: tuple[str, ...] = ()
    over_tls: bool | None = None  # None: it never went through a server (outbox)
    login: str | None = None

    @property
    def message(self) -> EmailMessage:
        # SMTP carries lines ending in CRLF; the outbox file has them as Python wrote them.
        return message_from_bytes(self.raw.replace(b"\r\n", b"\n"), policy=default)

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def language(self) -> str:
        return str(self.message["Content-Language"])

    @property
    def body(self) -> str:
        return self.message.get_content()

    @property
    def everything(self) -> str:
        """Every header and the body, decoded, plus the envelope: all a mail server sees."""
        message = self.message
        headers = "\n".join(f"{name}: {value}" for name, value in message.items())
        envelope = " ".join((self.envelope_from, *self.envelope_to))
        return "\n".join(
            (headers, message.get_content(), self.raw.decode("utf-8", "replace"), envelope)
        )


def outbox(app) -> list[Mail]:
    """What the portal wrote to instance/outbox/ (no SMTP server set), oldest first."""
    folder = Path(app.instance_path) / "outbox"
    files = sorted(folder.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    return [Mail(path.read_bytes()) for path in files]


def addressed_to(mails, address) -> list[Mail]:
    return [item for item in mails if item.to == address]


def expected_notice(app, to, locale, audience=mail.STAFF) -> EmailMessage:
    """The notice as portal.mail writes it for `to` in `locale` (for comparing bodies)."""
    from portal import notices

    with app.test_request_context():
        endpoint = "auth.sign_in" if audience == mail.STAFF else "intake.track"
        return mail.notice(to, locale, notices.link(endpoint), audience)


# --- the notices the portal owes ---------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    kind: str
    to: str | None  # the account's email; None for a requester
    due_at: datetime.datetime
    sent: bool
    attempts: int
    failed: bool
    uid: str


def owed(app, kind=None) -> list[Owed]:
    """Every notice row (sent or not), in the order written."""
    with app.app_context():
        query = Notice.select().order_by(Notice.id)
        if kind is not None:
            query = query.where(Notice.kind == kind)
        return [
            Owed(
                kind=row.kind,
                to=User.get_by_id(row.user_id).email if row.user_id else None,
                due_at=row.due_at,
                sent=row.sent_at is not None,
                attempts=row.attempts,
                failed=row.failed_at is not None,
                uid=row.uid,
            )
            for row in query
        ]


def told(app, kind) -> set[str]:
    """The accounts owed (or already sent) a notice of `kind`."""
    return {row.to for row in owed(app, kind)}


# --- a mail server --------------------------------------------------------------------------


class MailServer:
    """The handler of an aiosmtpd server: keeps what it accepts, refuses what a test says.

    `refuse` maps an address (or "*" for every address) to the reply its RCPT TO gets;
    `refuse_data` is the reply to DATA instead of accepting the message.
    """

    def __init__(self):
        self.received: list[Mail] = []
        self.refuse: dict[str, str] = {}
        self.refuse_data: str | None = None
        self.connections = 0

    def reset(self):
        self.received.clear()
        self.refuse.clear()
        self.refuse_data = None
        self.connections = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address) or self.refuse.get("*")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(
            Mail(
                raw=envelope.original_content or envelope.content,
                envelope_from=envelope.mail_from,
                envelope_to=tuple(envelope.rcpt_tos),
                over_tls=session.ssl is not None,
                login=login,
            )
        )
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data):
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=good, auth_data=auth_data if good else None)


def start_server(handler: MailServer, tls_context: ssl.SSLContext | None = None) -> Controller:
    """An SMTP server on a free port of 127.0.0.1: with `tls_context` it requires STARTTLS
    and then a login; without, it speaks only in clear (and takes anyone)."""
    kwargs = {}
    if tls_context is not None:
        kwargs = {
            "tls_context": tls_context,
            "require_starttls": True,
            "authenticator": _authenticate,
            "auth_required": True,
        }
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


def url_of(controller: Controller) -> str:
    return f"smtp://{SMTP_USER}:{quote(SMTP_PASSWORD, safe='')}@127.0.0.1:{controller.port}"


def server_tls_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context
