"""Email: one fixed notice, sent by SMTP or, without SMTP, written to instance/outbox/.

A notice is built from the recipient's address, their language and which
page to open, and from nothing else: it cannot carry a reference, a country,
a name or a count, because it is never given one. Whoever reads the mailbox
(or the mail server's logs) learns that the portal wrote, not why.
"""

import logging
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

log = logging.getLogger(__name__)

STAFF, REQUESTER = "staff", "requester"
TIMEOUT_SECONDS = 30


class MailError(Exception):
    """The message could not be handed to the mail server."""


def notice(to: str, locale: str, link: str, audience: str) -> EmailMessage:
    """The one notice there is, in `locale`: something is new, here is where to look."""
    with force_locale(locale):
        subject = _("Something new for you")
        if audience == REQUESTER:
            lines = [
                _("There is news on your request."),
                _("Open this page and type your code to follow it:"),
                link,
            ]
        else:
            lines = [
                _("There is something new for you on the portal."),
                _("Sign in to read it:"),
                link,
            ]
        lines += [
            "",
            _("This message says nothing more, on purpose. Please do not answer it."),
        ]
    message = EmailMessage()
    sender = current_app.config["MAIL_FROM"]
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    # Random only: make_msgid would add the sending time and the worker's process id.
    message["Message-ID"] = f"<{secrets.token_hex(16)}@{sender.rpartition('@')[2] or 'localhost'}>"
    message.set_content("\n".join(lines) + "\n")
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = locale
    return message


def send(message: EmailMessage) -> None:
    """Hand the message to the SMTP server, or write it to the outbox when none is set."""
    url = current_app.config["SMTP_URL"]
    try:
        if not url:
            _write_to_outbox(message)
            return
        with _connect(url) as smtp:
            _start(smtp, url)
            smtp.send_message(message)
    except (OSError, UnicodeError, smtplib.SMTPException) as exc:
        # The exception's class says enough for the administrators' page;
        # its text may quote the server, and with it an address.
        raise MailError(type(exc).__name__) from exc


def _connect(url: str) -> smtplib.SMTP:
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    if parts.scheme == "smtps":
        return smtplib.SMTP_SSL(
            host, parts.port or 465, timeout=TIMEOUT_SECONDS, context=_tls_context()
        )
    if parts.scheme == "smtp":
        return smtplib.SMTP(host, parts.port or 587, timeout=TIMEOUT_SECONDS)
    raise MailError(f"PORTAL_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme}")


def _start(smtp: smtplib.SMTP, url: str) -> None:
    """Inside the connection's `with`, so that a refusal here still closes it."""
    parts = urlsplit(url)
    if parts.scheme == "smtp":
        # Never in clear: a server that does not offer STARTTLS fails here.
        smtp.starttls(context=_tls_context())
    if parts.username:
        smtp.login(unquote(parts.username), unquote(parts.password or ""))


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=current_app.config.get("SMTP_CA_FILE") or None)


def outbox() -> Path:
    return Path(current_app.instance_path) / "outbox"


def _write_to_outbox(message: EmailMessage) -> None:
    folder = outbox()
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{secrets.token_hex(8)}.eml"
    path.write_bytes(bytes(message))
    # Never the address in the log: a requester's would say who asked.
    log.warning("no SMTP server set: a notice was written to %s", path)
