"""`flask --app portal check`: a portal deployed as README says passes; each mistake the
check knows makes it fail, with one line naming the problem and its fix, and no secret.

The mail relay is the notices' tests' aiosmtpd server (STARTTLS with its own certificate,
then a login), on 127.0.0.1.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import quote

import pytest
from notices.mailboxes import (
    SMTP_PASSWORD,
    SMTP_USER,
    MailServer,
    free_port,
    self_signed_certificate,
    server_tls_context,
    start_server,
    url_of,
)

from portal.db import db
from portal.models import JobRun, utcnow

from portal_testing import AS_SHIPPED, make_app, unmigrated_app
from portal_testing.keys import ESCROW

MINUTE = datetime.timedelta(minutes=1)
HOUR = datetime.timedelta(hours=1)
ONION_URL = "http://" + "a" * 56 + ".onion"


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    """The deployment's mail relay: where the portal sends, and the certificate it trusts."""
    certificate = self_signed_certificate(tmp_path_factory.mktemp("relay-tls"))
    controller = start_server(MailServer(), server_tls_context(*certificate))
    yield {"SMTP_URL": url_of(controller), "SMTP_CA_FILE": str(certificate[0])}
    controller.stop()


@pytest.fixture(autouse=True)
def one_web_process(monkeypatch):
    monkeypatch.delenv("PORTAL_WORKERS", raising=False)


def deployment(relay, **changes):
    """The settings of a portal deployed as README says (behind a TLS proxy), with `changes`."""
    settings = {
        # Generated into the instance folder, as on a real installation.
        "SECRET_KEY": AS_SHIPPED,
        "DATA_KEYS": AS_SHIPPED,
        "TRACKING_KEY": AS_SHIPPED,
        "QUEUE_URL": "",  # the SQLite queue a worker reads
        "PUBLIC_URL": "https://portal.example.org",
        "HTTPS": True,
        "TRUSTED_PROXIES": 1,
        # Generated offline: the portal has only the public half.
        "ESCROW_PUBLIC_KEY": ESCROW.public_key,
        **relay,
    }
    settings.update(changes)
    return settings


def worker_ran(app, swept=MINUTE, purged=HOUR):
    """The worker's last sweep and purge, that long ago."""
    now = utcnow()
    with app.app_context(), db.connection_context():
        JobRun.record("sweep", now - swept)
        JobRun.record("purge", now - purged)


def check(app, *options):
    """The command's exit status and the lines it printed."""
    result = app.test_cli_runner().invoke(args=["check", *options])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output.splitlines()


def instance_file(app, name):
    return Path(app.instance_path) / name


def compiled_translations(app):
    """Catalogues compiled after their sources were last changed (the checkout's may be
    changing while the tests run)."""
    folder = Path(app.instance_path) / "translations"
    for locale in ("fr", "es"):
        catalogue = folder / locale / "LC_MESSAGES"
        catalogue.mkdir(parents=True)
        (catalogue / "messages.po").write_text("")
        (catalogue / "messages.mo").write_bytes(b"")
        os.utime(catalogue / "messages.po", (1, 1))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(folder)
    return folder


def deployed(tmp_path, relay, **changes):
    """A portal deployed with these settings, its translations compiled, its worker running."""
    app = make_app(tmp_path, **deployment(relay, **changes))
    compiled_translations(app)
    worker_ran(app)
    return app


def test_a_portal_deployed_as_the_readme_says_passes(tmp_path, relay):
    app = deployed(tmp_path, relay)

    status, lines = check(app, "--strict")

    assert (status, lines) == (0, ["no problems found"])


def readable_secret(app, monkeypatch):
    os.chmod(instance_file(app, "secret_key"), 0o644)


def no_compiled_translations(app, monkeypatch):
    empty = Path(app.instance_path) / "no-translations"
    empty.mkdir()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(empty)


def two_web_processes(app, monkeypatch):
    monkeypatch.setenv("PORTAL_WORKERS", "2")


def worker_stopped(app, monkeypatch):
    worker_ran(app, swept=HOUR)


def worker_never_started(app, monkeypatch):
    with app.app_context(), db.connection_context():
        JobRun.delete().where(JobRun.job == "sweep").execute()


def purge_stopped(app, monkeypatch):
    worker_ran(app, purged=datetime.timedelta(days=2))


def nothing(app, monkeypatch):
    pass


MISTAKES = [
    pytest.param(
        {}, readable_secret, 1, "secret_key can be read by other accounts", "chmod 600",
        id="a secret file readable by others",
    ),
    pytest.param(
        {"SECRET_KEY": "short"}, nothing, 1,
        "PORTAL_SECRET_KEY is shorter", "unset PORTAL_SECRET_KEY",
        id="a secret key anyone could guess",
    ),
    pytest.param(
        {}, no_compiled_translations, 2, "translation is not compiled", "translate compile",
        id="translations not compiled",
    ),
    pytest.param(
        {}, two_web_processes, 1, "2 web processes", "PORTAL_RATELIMIT_STORAGE_URI=redis://",
        id="several web processes counting rate limits in memory",
    ),
    pytest.param(
        {"SMTP_URL": f"smtp://{SMTP_USER}:{quote(SMTP_PASSWORD, safe='')}@127.0.0.1:{free_port()}"},
        nothing, 1, "SMTP server 127.0.0.1", "correct the host and port",
        id="the SMTP server unreachable",
    ),
    pytest.param(
        {"SMTP_CA_FILE": ""}, nothing, 1, "TLS failed", "PORTAL_SMTP_CA_FILE",
        id="the SMTP server's certificate not trusted",
    ),
    pytest.param(
        {}, worker_stopped, 1, "the worker last swept 60 minutes ago", "flask --app portal worker",
        id="the worker not seen for an hour",
    ),
    pytest.param(
        {}, worker_never_started, 1, "no worker has ever swept", "flask --app portal worker",
        id="the worker never started",
    ),
    pytest.param(
        {"QUEUE_URL": "memory://"}, nothing, 1, "PORTAL_QUEUE_URL is memory://", "unset",
        id="jobs run in web requests",
    ),
    pytest.param(
        {}, purge_stopped, 1, "the daily purge last ran 2 days ago", "flask --app portal purge",
        id="the purge not run for two days",
    ),
    pytest.param(
        {"HTTPS": False}, nothing, 1, "PORTAL_HTTPS is false", "set PORTAL_HTTPS=true",
        id="an https address served as if in clear",
    ),
    pytest.param(
        {"PUBLIC_URL": "http://portal.example.org"}, nothing, 1,
        "PORTAL_HTTPS is true but PUBLIC_URL is http://", "https://",
        id="Secure cookies on an http address",
    ),
    pytest.param(
        {"PUBLIC_URL": ONION_URL, "HTTPS": False, "TRUSTED_PROXIES": 0}, nothing, 1,
        "onion address", "set PORTAL_ONION=true",
        id="an onion address without ONION",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "spoil", "count", "problem", "fix"), MISTAKES)
def test_a_mistake_fails_the_check_with_its_fix_in_one_line(
    tmp_path, relay, monkeypatch, changes, spoil, count, problem, fix
):
    app = deployed(tmp_path, relay, **changes)
    spoil(app, monkeypatch)

    status, lines = check(app)

    assert status == 1, lines
    assert len(lines) == count, lines
    for line in lines:
        assert line.startswith("ERROR: "), line
        assert problem in line.partition(" — fix: ")[0], line
        assert fix in line.partition(" — fix: ")[2], line


def test_pending_migrations_fail_the_check(tmp_path, relay):
    app = unmigrated_app(tmp_path, **deployment(relay))
    compiled_translations(app)

    status, lines = check(app)

    assert status == 1
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR: ") and "not applied: 0001_initial" in lines[0]
    assert lines[0].endswith("— fix: flask --app portal db upgrade")


def test_onion_service_without_tls_passes(tmp_path, relay):
    app = deployed(tmp_path, relay, PUBLIC_URL=ONION_URL, HTTPS=False, ONION=True)

    assert check(app) == (0, ["no problems found"])


def test_https_without_trusted_proxies_warns_and_fails_only_when_strict(tmp_path, relay):
    app = deployed(tmp_path, relay, TRUSTED_PROXIES=0)

    status, lines = check(app)
    strict_status, _ = check(app, "--strict")

    assert (status, strict_status) == (0, 1)
    assert len(lines) == 1 and lines[0].startswith("WARNING: "), lines
    assert "PORTAL_TRUSTED_PROXIES is 0" in lines[0]
    assert "— fix: set PORTAL_TRUSTED_PROXIES=1" in lines[0]


def test_the_check_never_prints_a_secret(tmp_path, relay):
    password = "relay-password-9182"
    unreachable = f"smtp://{SMTP_USER}:{password}@127.0.0.1:{free_port()}"
    app = deployed(tmp_path, relay, SMTP_URL=unreachable)
    readable_secret(app, None)

    status, lines = check(app)
    output = "\n".join(lines)

    assert status == 1
    assert "secret_key can be read" in output and "cannot be reached" in output
    secrets = [app.config[name] for name in ("SECRET_KEY", "DATA_KEYS", "TRACKING_KEY")]
    for secret in [*secrets, password]:
        assert secret not in output


def test_translations_changed_since_compiled_warn(tmp_path, relay):
    app = deployed(tmp_path, relay)
    folder = Path(app.config["BABEL_TRANSLATION_DIRECTORIES"])
    os.utime(folder / "fr" / "LC_MESSAGES" / "messages.po")  # edited after compiling

    status, lines = check(app)

    assert status == 0
    assert lines == [
        "WARNING: the Français translation changed since it was compiled "
        "— fix: flask --app portal translate compile"
    ]


def test_the_check_reads_what_the_workers_sweep_and_purge_write(tmp_path, relay):
    app = make_app(tmp_path, **deployment(relay))
    compiled_translations(app)
    tasks = app.extensions["portal.jobs"]
    assert check(app)[0] == 1  # a new installation: no worker yet

    tasks.sweep.call_local()
    tasks.purge.call_local()

    assert check(app) == (0, ["no problems found"])
