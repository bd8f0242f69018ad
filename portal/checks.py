"""`flask --app portal check`: what a deployment gets wrong, each with a fix in one line.

Each check is a small function returning a list of `Problem`s. An error is something that
endangers people or stops the portal doing its work (secrets others can read, a worker that
no longer runs, mail that cannot leave); a warning deserves a look. Messages name files,
hosts and settings, never a secret's value: the output may be pasted into a ticket.
"""

import datetime
import ipaddress
import os
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from peewee import PeeweeException
from playhouse.migrations import Runner

from . import keychain, request_keys
from .db import MIGRATIONS_DIR, db
from .i18n import DEFAULT_LOCALE, LANGUAGES
from .models import JobRun, Request, utcnow
from .serving import counts_per_process, workers_problem

ERROR, WARNING = "error", "warning"
# Files of the instance folder only the portal's account may read; config.toml may
# hold any setting, the SMTP password and the keys included.
SECRET_FILES = ("secret_key", "data_keys", "tracking_key", "config.toml")
SHORTEST_KEY = 32
SMTP_TIMEOUT_SECONDS = 3
# The purge runs once a day: a day, the half-hour past PURGE_HOUR, and some slack.
PURGE_LATE = datetime.timedelta(hours=26)


@dataclass(frozen=True)
class Problem:
    level: str  # ERROR or WARNING
    message: str
    fix: str

    def line(self) -> str:
        return f"{self.level.upper()}: {self.message} — fix: {self.fix}"


def error(message: str, fix: str) -> Problem:
    return Problem(ERROR, message, fix)


def warning(message: str, fix: str) -> Problem:
    return Problem(WARNING, message, fix)


def debug_mode(app: Flask) -> list[Problem]:
    if app.debug:
        return [
            error(
                "debug mode is on: an error page would let anyone run code on the server",
                "unset FLASK_DEBUG",
            )
        ]
    return []


def secrets_kept(app: Flask) -> list[Problem]:
    """The secret files readable by the portal's account alone, the keys long enough."""
    problems = []
    folder = Path(app.instance_path)
    for name in SECRET_FILES:
        path = folder / name
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            continue  # the secret is set in the environment, or config.toml is not used
        if mode & 0o077:
            problems.append(
                error(
                    f"{path} can be read by other accounts on this server (mode {mode:o})",
                    f"chmod 600 {path}",
                )
            )
    mode = folder.stat().st_mode & 0o777
    if mode & 0o077:
        problems.append(
            warning(
                f"the instance folder {folder} is open to other accounts (mode {mode:o}): "
                "the database and the job queue may be in it",
                f"chmod 700 {folder}",
            )
        )
    for name in ("SECRET_KEY", "TRACKING_KEY"):
        if len(app.config[name]) < SHORTEST_KEY:
            problems.append(
                error(
                    f"PORTAL_{name} is shorter than {SHORTEST_KEY} characters: it can be guessed",
                    f"unset PORTAL_{name} (a random one is generated in the instance folder), "
                    "or set 48 random characters",
                )
            )
    return problems


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_address(config) -> list[Problem]:
    """PUBLIC_URL, HTTPS, ONION and TRUSTED_PROXIES telling the same story."""
    public = urlsplit(config["PUBLIC_URL"])
    host = public.hostname or ""
    if public.scheme not in ("http", "https") or not host:
        return [
            error(
                "PORTAL_PUBLIC_URL is not an address a browser can open",
                "set PORTAL_PUBLIC_URL=https://portal.example.org (the .onion address on an "
                "onion service)",
            )
        ]
    onion = host.endswith(".onion")
    problems = []
    if public.scheme == "https" and not config["HTTPS"]:
        problems.append(
            error(
                f"PUBLIC_URL is https://{host} but PORTAL_HTTPS is false: cookies are sent "
                "without Secure and no HSTS is sent",
                "set PORTAL_HTTPS=true",
            )
        )
    # An onion service is encrypted end to end without TLS: http:// is normal there.
    if config["HTTPS"] and public.scheme == "http" and not onion:
        problems.append(
            error(
                f"PORTAL_HTTPS is true but PUBLIC_URL is http://{host}: browsers keep Secure "
                "cookies from http pages, and links in notices would go in clear",
                "set PORTAL_PUBLIC_URL to the https:// address, or PORTAL_HTTPS=false",
            )
        )
    if onion and not config["ONION"]:
        problems.append(
            error(
                f"PUBLIC_URL is an onion address ({host}) but PORTAL_ONION is false",
                "set PORTAL_ONION=true (an onion service must never send HSTS)",
            )
        )
    if config["ONION"] and not onion:
        problems.append(
            warning(
                f"PORTAL_ONION is true but PUBLIC_URL is {host}: links in notices lead "
                "there, and that address gets no HSTS",
                "set PORTAL_PUBLIC_URL to the .onion address",
            )
        )
    # The web server speaks no TLS itself: https means a proxy in front. Unless the proxy
    # is trusted, every person is seen at its address and shares its rate limits.
    secure = public.scheme == "https" or config["HTTPS"]
    if secure and not config["TRUSTED_PROXIES"] and not onion and not _is_loopback(host):
        problems.append(
            warning(
                f"PUBLIC_URL is https://{host} but PORTAL_TRUSTED_PROXIES is 0: everyone "
                "would be seen at the proxy's address and share its rate limits",
                "set PORTAL_TRUSTED_PROXIES=1 (the number of proxies in front that set "
                "X-Forwarded-For)",
            )
        )
    if config["SMTP_URL"] and _is_loopback(host):
        problems.append(
            warning(
                f"PUBLIC_URL is {public.scheme}://{host}: the links in notices lead nowhere",
                "set PORTAL_PUBLIC_URL to the address people reach the portal at",
            )
        )
    return problems


def rate_limit_storage(config, environ=os.environ) -> list[Problem]:
    """The rate-limit counters shared by every web process, and reachable."""
    raw = environ.get("PORTAL_WORKERS", "1")
    try:
        workers = int(raw)
    except ValueError:
        return [error("PORTAL_WORKERS is not a number", "set PORTAL_WORKERS=1 (or unset it)")]
    problem = workers_problem(workers, config)
    if problem:
        return [
            error(
                f"{workers} web processes (PORTAL_WORKERS) would each count rate limits on "
                "their own, multiplying every limit",
                "set PORTAL_WORKERS=1 (threads serve many at once), or "
                "PORTAL_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/1",
            )
        ]
    storage_uri = config["RATELIMIT_STORAGE_URI"]
    if counts_per_process(storage_uri):
        return []
    from limits.storage import storage_from_string

    try:
        reachable = storage_from_string(storage_uri).check()
    except Exception:  # a missing driver, a malformed address: the same fix
        reachable = False
    if not reachable:
        where = urlsplit(storage_uri)
        return [
            error(
                f"the rate-limit store {where.scheme}://{where.hostname}:{where.port or ''} "
                "cannot be reached: every page would fail",
                "start it, or correct PORTAL_RATELIMIT_STORAGE_URI",
            )
        ]
    return []


def mail_server(config) -> list[Problem]:
    """The SMTP server answering, taking STARTTLS and the login (nothing is sent)."""
    url = config["SMTP_URL"]
    if not url:
        return [
            warning(
                "no SMTP server is set: notices are written to instance/outbox/ and nobody "
                "receives them",
                "set PORTAL_SMTP_URL=smtp://user:password@host:587",
            )
        ]
    # Never the URL itself in a message: it holds the password.
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        return [
            error(
                "PORTAL_SMTP_URL must start with smtp:// (STARTTLS) or smtps://",
                "set PORTAL_SMTP_URL=smtp://user:password@host:587",
            )
        ]
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError:  # a password with an unencoded "/" or ":" reads as the port
        return [
            error(
                "PORTAL_SMTP_URL cannot be read",
                "percent-encode special characters in the user and password (/ is %2F)",
            )
        ]
    host = parts.hostname or "localhost"
    where = f"the SMTP server {host}:{port}"
    tls = ssl.create_default_context(cafile=config.get("SMTP_CA_FILE") or None)
    try:
        if parts.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=tls)
        else:
            smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    except ssl.SSLError as exc:
        return [_untrusted(where, exc)]
    except OSError as exc:
        return [
            error(
                f"{where} cannot be reached ({type(exc).__name__})",
                "start it, or correct the host and port in PORTAL_SMTP_URL",
            )
        ]
    with smtp:
        try:
            smtp.ehlo()
            if parts.scheme == "smtp":
                smtp.starttls(context=tls)
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
        except smtplib.SMTPNotSupportedError:
            return [
                error(
                    f"{where} does not offer STARTTLS: the portal never sends in clear",
                    "turn on STARTTLS on the server, or use smtps://host:465",
                )
            ]
        except ssl.SSLError as exc:
            return [_untrusted(where, exc)]
        except smtplib.SMTPAuthenticationError:
            return [
                error(
                    f"{where} refuses the login",
                    "correct the user and password in PORTAL_SMTP_URL (percent-encoded)",
                )
            ]
        except (OSError, smtplib.SMTPException) as exc:
            return [
                error(
                    f"{where} answered but failed ({type(exc).__name__})",
                    "read the mail server's log",
                )
            ]
    return []


def _untrusted(where: str, exc: ssl.SSLError) -> Problem:
    return error(
        f"{where}: TLS failed ({type(exc).__name__})",
        "set PORTAL_SMTP_CA_FILE to the server's certificate (a private relay), or fix "
        "the server's certificate",
    )


def translations(config) -> list[Problem]:
    """Every language's catalogue compiled, and no older than its .po file."""
    folders = [Path(f) for f in config["BABEL_TRANSLATION_DIRECTORIES"].split(";") if f]
    problems = []
    for locale in LANGUAGES:
        if locale == DEFAULT_LOCALE:
            continue
        catalogues = [folder / locale / "LC_MESSAGES" for folder in folders]
        compiled = [c / "messages.mo" for c in catalogues if (c / "messages.mo").exists()]
        fix = "flask --app portal translate compile"
        if not compiled:
            problems.append(
                error(
                    f"the {LANGUAGES[locale]} translation is not compiled: pages stay in English",
                    fix,
                )
            )
            continue
        source = compiled[0].with_suffix(".po")
        if source.exists() and source.stat().st_mtime > compiled[0].stat().st_mtime:
            problems.append(
                warning(f"the {LANGUAGES[locale]} translation changed since it was compiled", fix)
            )
    return problems


def migrations() -> list[Problem]:
    """Every migration applied, and none the code does not know (inside a connection)."""
    status = Runner(db.obj, str(MIGRATIONS_DIR)).status()
    pending = [m.name for m in status if m.path is not None and not m.applied]
    unknown = [m.name for m in status if m.path is None]
    problems = []
    if pending:
        problems.append(
            error(
                f"{len(pending)} migration(s) not applied: {', '.join(pending)}",
                "flask --app portal db upgrade",
            )
        )
    if unknown:
        problems.append(
            error(
                f"the database has migrations this code does not have: {', '.join(unknown)}",
                "deploy the code the database was upgraded with",
            )
        )
    return problems


def worker(config, now: datetime.datetime | None = None) -> list[Problem]:
    """The worker sweeping every few minutes and purging daily (inside a connection)."""
    if config["QUEUE_URL"] == "memory://":
        return [
            error(
                "PORTAL_QUEUE_URL is memory://: jobs run inside web requests and the "
                "periodic ones never run",
                "unset PORTAL_QUEUE_URL (or point it at Redis) and run the worker",
            )
        ]
    now = now or utcnow()
    run_worker = "start `flask --app portal worker` beside the web server, same environment"
    problems = []
    swept = JobRun.last("sweep")
    late = datetime.timedelta(minutes=2 * config["SWEEP_MINUTES"])
    if swept is None:
        problems.append(error("no worker has ever swept deadlines and notices", run_worker))
    elif now - swept > late:
        problems.append(
            error(
                f"the worker last swept {_ago(now - swept)} ago (it sweeps every "
                f"{config['SWEEP_MINUTES']} minutes): notices and deadlines wait",
                run_worker + "; its errors are in its log",
            )
        )
    purged = JobRun.last("purge")
    if purged is None:
        # A new installation: the first purge comes at the next PURGE_HOUR.
        problems.append(
            warning(
                f"the daily purge has not run yet (at {config['PURGE_HOUR']:02}:30 UTC)",
                run_worker,
            )
        )
    elif now - purged > PURGE_LATE:
        problems.append(
            error(
                f"the daily purge last ran {_ago(now - purged)} ago: closed requests are "
                f"kept past {config['RETENTION_DAYS']} days",
                run_worker + "; `flask --app portal purge` purges now",
            )
        )
    return problems


def keys(config) -> list[Problem]:
    """Keys that people hold (portal.keychain): the escrow, and what the server alone can
    still open (inside a connection)."""
    problems = []
    if not config["ESCROW_PUBLIC_KEY"]:
        problems.append(
            warning(
                "no escrow key: if every holder of a group's key loses their password, what "
                "the group holds cannot be opened again",
                "run `flask --app portal keys escrow-new` on an offline computer, keep the "
                "private half on paper, set PORTAL_ESCROW_PUBLIC_KEY to the public half",
            )
        )
    kept = keychain.server_sealed_groups()
    if kept:
        problems.append(
            warning(
                f"{kept} group key(s) still open with the server's key files alone: readers "
                "from before keys who have not signed in since, or a group no one holds yet",
                "ask every reviewer and organization member to sign in once",
            )
        )
    stale = keychain.retired_since(days=2)
    if stale:
        problems.append(
            warning(
                f"{stale} replaced group key(s) still kept: a member left and no holder of "
                "the group has signed in since to finish replacing the key",
                "ask a member of the group to sign in",
            )
        )
    details = request_keys.server_sealed_requests()
    if details:
        problems.append(
            warning(
                f"{details} request(s) whose details are still sealed under the server's keys only",
                "flask --app portal keys migrate",
            )
        )
    unmoved = request_keys.keyring_sealed(exclude=Request)
    if unmoved:
        problems.append(
            warning(
                f"{unmoved} value(s) of notes, messages, offers, updates, check-ins, reports "
                "or feedback still sealed under the server's keys only",
                "flask --app portal keys migrate",
            )
        )
    waiting = request_keys.kept_for_requesters()
    if waiting:
        problems.append(
            warning(
                f"{waiting} request(s) whose requester has not typed their code since the "
                "upgrade: what they read (their details and messages) opens with the server's "
                "keys until they do",
                "nothing to do: each requester's next visit ends it",
            )
        )
    return problems


def _ago(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minutes"
    if minutes < 48 * 60:
        return f"{minutes // 60} hours"
    return f"{minutes // (24 * 60)} days"


def run_checks(app: Flask, environ=os.environ) -> list[Problem]:
    """Every check, in the order an administrator would fix things (inside the app)."""
    config = app.config
    problems = [
        *debug_mode(app),
        *secrets_kept(app),
        *public_address(config),
        *rate_limit_storage(config, environ),
        *mail_server(config),
        *translations(config),
    ]
    try:
        with db.connection_context():
            found = migrations()
            problems += found
            if not found:  # the worker's table may not exist yet
                problems += worker(config)
                problems += keys(config)
    except PeeweeException as exc:
        problems.append(
            error(
                f"the database cannot be read ({type(exc).__name__})",
                "check PORTAL_DATABASE_URL and that the database server runs",
            )
        )
    return problems


@click.command("check")
@click.option("--strict", is_flag=True, help="Exit with status 1 on warnings too.")
@click.pass_context
@with_appcontext
def check(ctx, strict):
    """Check this deployment: secrets, HTTPS, rate limits, mail, translations, migrations,
    the worker. Exits with status 1 on any error."""
    problems = run_checks(current_app)
    for problem in problems:
        click.echo(problem.line())
    if not problems:
        click.echo("no problems found")
    failing = {ERROR, WARNING} if strict else {ERROR}
    if any(problem.level in failing for problem in problems):
        ctx.exit(1)
