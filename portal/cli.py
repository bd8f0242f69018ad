"""Command-line tasks: flask --app portal db|translate|demo|worker|sweep|purge|reseal|backup|….

Each one is listed by `flask --app portal --help`.
"""

import datetime
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from . import backup_cli, checks
from . import db as database
from .db import db
from .vocabulary import ROLES

ROOT = Path(__file__).resolve().parent.parent
DEMO_ORGANIZATIONS = Path(__file__).resolve().parent / "data" / "demo-organizations.csv"
TRANSLATIONS = ROOT / "translations"
LOCALES = ("fr", "es")

db_cli = AppGroup("db", help="Database schema.")
translate_cli = AppGroup("translate", help="Translation catalogues (wraps pybabel).")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply every pending migration."""
    applied = database.migrate()
    click.echo(f"applied: {', '.join(applied)}" if applied else "database is up to date")


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", *args])


@translate_cli.command("extract")
def translate_extract():
    """Collect every translatable string into translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "-k",
        "N_plural:1,2",
        "--no-location",
        # Babel skips folders starting with "_" by default: templates/_macros holds strings.
        "--ignore-dirs",
        ".*",
        "--sort-output",
        "-o",
        str(TRANSLATIONS / "messages.pot"),
        str(ROOT / "portal"),
        str(ROOT / "templates"),
    )


@translate_cli.command("update")
def translate_update():
    """Extract, then merge new strings into every language's catalogue."""
    translate_extract.callback()
    _pybabel(
        "update",
        "-i",
        str(TRANSLATIONS / "messages.pot"),
        "-d",
        str(TRANSLATIONS),
        "--no-fuzzy-matching",
        # A message no longer in the code leaves the catalogues with it.
        "--ignore-obsolete",
    )


@translate_cli.command("compile")
def translate_compile():
    """Compile the catalogues into .mo files (never committed)."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")


@click.command("demo")
@with_appcontext
def demo():
    """Add fictional organizations, two fictional requests and staff (on an empty database)."""
    from . import accounts, intake, organizations
    from .models import Organization, Request

    today = datetime.date.today()
    samples = [
        {
            "service": "accompaniment",
            "requester_kind": "community",
            "name": "Demo community (fictional)",
            "organization": None,
            "country": "CO",
            "place": "Demo valley",
            "situation": "Demo data: a fictional community facing threats over land.",
            "asked_for": "Demo data: accompaniment during a community assembly.",
            "urgency": "urgent",
            "start_date": today + datetime.timedelta(days=10),
            "end_date": None,
            "people_count": 40,
            "languages": ["es"],
            "other_languages": "Nasa Yuwe",
            "contact_channel": None,
            "contact_detail": None,
            "contact_safe": None,
        },
        {
            "service": "monitoring",
            "requester_kind": "organization",
            "name": "Demo defender (fictional)",
            "organization": "Demo rights collective",
            "country": "SN",
            "place": "Demo town",
            "situation": "Demo data: journalists summoned repeatedly by the police.",
            "asked_for": "Demo data: a monitoring visit during the trial.",
            "urgency": "planned",
            "start_date": today + datetime.timedelta(days=60),
            "end_date": today + datetime.timedelta(days=67),
            "people_count": 3,
            "languages": ["fr"],
            "other_languages": "Wolof",
            "contact_channel": "signal",
            "contact_detail": "@demo.01",
            "contact_safe": True,
        },
    ]
    with db.connection_context():
        # Organizations are added on their own, so that a database made before
        # the directory existed gets them on the next `make run`.
        if Organization.select().exists():
            click.echo("organizations exist already: no demo organizations added")
        else:
            text = DEMO_ORGANIZATIONS.read_text(encoding="utf-8")
            result = organizations.import_csv(text, demo=True)
            click.echo(f"demo organizations: created {result.created}")
        if Request.select().exists():
            click.echo("requests exist already: no demo data added (rm -rf instance to start over)")
            return
        for fields in samples:
            result = intake.submit(fields, "en")
            click.echo(f"demo request ({fields['country']}): tracking code {result.code}")
        demo_staff = (
            ("admin@example.org", "admin", None),
            ("reviewer@example.org", "reviewer", None),
            ("andean@example.org", "org_member", "andean-watch-demo"),
            ("mesoamerica@example.org", "org_member", "mesoamerica-companions-demo"),
        )
        made, passwords = {}, {}
        for email, role, key in demo_staff:
            password = passwords[email] = accounts.generate_password()
            organization = organizations.by_key(key) if key else None
            if key and organization is None:
                continue  # the directory was not the demo one
            made[email] = accounts.create_user(email, role, password, organization=organization)
            member_of = f" of {key}" if key else ""
            click.echo(
                f"demo {role}{member_of}: {email} / {password} (sets up two-step sign-in first)"
            )
        if "andean@example.org" in made:
            reviewer = made["reviewer@example.org"]
            code = _demo_under_way(
                today, reviewer, passwords["reviewer@example.org"], made["andean@example.org"]
            )
            click.echo(f"demo request under way, with check-ins (PE): tracking code {code}")


def _demo_under_way(today, reviewer, password, member) -> str:
    """A fictional request taken on by the demo member's organization and under way, with a
    check-in rhythm and two check-ins: what the casework pages look like with some life. The
    demo reviewer offers it as if signed in (with `password`): offering passes on keys."""
    from . import checkins, intake, keychain, offers, request_keys, workflow
    from .risk import RiskPicture
    from .vocabulary import APPROVED, IN_REVIEW, STAFF

    sent = intake.submit(
        {
            "service": "accompaniment",
            "requester_kind": "myself",
            "name": "Demo leader (fictional)",
            "organization": None,
            "country": "PE",
            "place": "Demo highlands",
            "situation": "Demo data: a water defender followed after a public hearing.",
            "asked_for": "Demo data: accompaniment to three hearings this month.",
            "urgency": "urgent",
            "start_date": today + datetime.timedelta(days=2),
            "end_date": today + datetime.timedelta(days=30),
            "people_count": 1,
            "languages": ["es"],
            "other_languages": "Quechua",
            "contact_channel": "signal",
            "contact_detail": "@demo.02",
            "contact_safe": True,
            "risk": RiskPicture(
                threats=["surveillance", "legal_harassment"],
                sources=["company"],
                incidents="Demo data: followed home after the hearing of 3 March.",
            ),
        },
        "es",
    )
    request = sent.request
    workflow.transition(request, IN_REVIEW, STAFF, user=reviewer)
    workflow.transition(request, APPROVED, STAFF, user=reviewer)
    private = keychain.unlock(reviewer, password)
    keychain.signed_in(reviewer, private)  # the first reviewer takes the network's key
    with request_keys.reading_as(reviewer, private):
        (the_offer,) = offers.offer(
            request,
            [member.organization],
            reviewer,
            expected_version=request.version,
            summary="Demo data: a water defender followed after a hearing; accompaniment asked.",
        )
    offers.accept(the_offer, member, "Demo data: by Signal within a day.")
    checkins.begin(the_offer, member, expected_version=request.version + 1, hours=48)
    checkins.record(the_offer, member, "well")
    checkins.record(the_offer, member, "concern", "Demo data: the same car outside twice.")
    return sent.code


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="reviewer")
@click.option("--generate", is_flag=True, help="Generate a password and print it.")
@click.option(
    "--organization",
    "organization_key",
    metavar="KEY",
    help="The organization an org_member belongs to (its key in the directory).",
)
@with_appcontext
def create_user(email, role, generate, organization_key):
    """Create a staff account (asks for the password twice unless --generate)."""
    from . import accounts, organizations

    with db.connection_context():
        organization = None
        if organization_key is not None:
            organization = organizations.by_key(organization_key)
            if organization is None:
                raise click.ClickException(f"no organization has the key {organization_key!r}")
        # Before asking for a password that would be refused anyway.
        problem = accounts.role_problem(role, organization)
        if problem is not None:
            raise click.ClickException(
                f"{problem} (--organization KEY goes with --role org_member)"
            )
        if generate:
            password = accounts.generate_password()
        else:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        try:
            # A password typed here is the operator's own choice; a generated one is not
            # (portal.keychain gives access only to accounts with a chosen password).
            user = accounts.create_user(
                email, role, password, organization=organization, chosen=not generate
            )
        except accounts.AccountError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"created {role} {user.email}" + (f" of {organization.key}" if organization else ""))
    if generate:
        click.echo(f"password: {password}")


keys_cli = AppGroup("keys", help="Keys that people hold: the escrow key pair.")


@keys_cli.command("escrow-new")
def escrow_new():
    """Print a new escrow key pair: run it on an offline computer, keep the private half on
    paper, and give the portal only the public half (PORTAL_ESCROW_PUBLIC_KEY)."""
    from . import keychain
    from .envelopes import KeyPair

    pair = KeyPair.generate()
    click.echo(f"public (PORTAL_ESCROW_PUBLIC_KEY): {keychain.encode_key(pair.public)}")
    click.echo(f"private (keep offline, never on the server): {keychain.encode_key(pair.private)}")


@keys_cli.command("escrow-grant")
@click.argument("email")
@with_appcontext
def escrow_grant(email):
    """Give the account EMAIL its group's key with the escrow's private key, read from
    standard input (an emergency: no holder of the group can sign in). Audited."""
    from . import keychain
    from .models import User

    text = sys.stdin.readline().strip()
    try:
        escrow_private = keychain.decode_key(text)
    except ValueError as exc:
        raise click.ClickException("standard input holds no escrow private key") from exc
    with db.connection_context():
        user = User.by_email(email)
        if user is None:
            raise click.ClickException(f"no account has the address {email!r}")
        try:
            keychain.escrow_grant(user, escrow_private)
        except keychain.GrantRefused as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{user.email} holds its group's key; consider a new escrow key pair now")


@keys_cli.command("migrate")
@with_appcontext
def keys_migrate():
    """Seal to people's keys the content still sealed under the server's keyring (after an
    upgrade): requests' details, internal notes, messages, feedback, and what offers carry
    (summaries, reasons, contact plans, phrases, updates, check-ins, closing reports,
    organizations' messages). Needs no key holder."""
    from . import request_keys

    with db.connection_context():
        moved = request_keys.migrate_sealed()
    details, notes, messages = moved["Request"], moved["InternalNote"], moved["Message"]
    feedback = moved["Evaluation"] + moved["Complaint"]
    work = sum(
        moved[name]
        for name in ("Offer", "ProgressUpdate", "CheckIn", "ClosingReport", "OrganizationMessage")
    )
    click.echo(
        f"sealed {details} values of requests' details, {notes} internal notes, {messages} "
        f"messages, {feedback} evaluations' comments and complaints and {work} values of "
        "offers and their work to people's keys"
    )


@click.command("purge")
@with_appcontext
def purge():
    """Delete closed requests older than PORTAL_RETENTION_DAYS, and idle sessions."""
    from . import jobs

    with db.connection_context():
        deleted, ended = jobs.purge()
    click.echo(f"deleted {deleted} closed requests, ended {ended} idle sessions")


@click.command("sweep")
@with_appcontext
def sweep():
    """Do now what the worker does every few minutes: deadlines, offer expiry, due notices."""
    from . import jobs

    with db.connection_context():
        done = jobs.sweep()
    click.echo(", ".join(f"{what} {count}" for what, count in done.items()))


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time.")
@with_appcontext
def worker(workers):
    """Run background jobs and the periodic tasks (notices, deadlines, digest, purge)."""
    import logging

    from . import jobs

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    jobs.run_worker(workers)


@click.command("reseal")
@with_appcontext
def reseal():
    """Re-encrypt every sealed value with the current data key (after adding a new key)."""
    from . import sealing
    from .models import MODELS

    with db.connection_context(), db.atomic():
        count = sealing.reseal(MODELS)
    click.echo(f"resealed {count} rows")


@click.command("import-orgs")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def import_orgs(file):
    """Add and update organizations by key from a CSV file (see README); all rows or none."""
    from . import organizations

    data = file.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        click.echo(f"line {line}: the file is not UTF-8 text", err=True)
        raise click.ClickException(f"nothing imported from {file}") from None
    with db.connection_context():
        try:
            result = organizations.import_csv(text)
        except organizations.ImportRefused as refused:
            for error in refused.errors:
                click.echo(str(error), err=True)
            count = len(refused.errors)
            raise click.ClickException(
                f"nothing imported from {file}: {count} problem{'s' if count > 1 else ''}"
            ) from None
    summary = f"created {result.created}, updated {result.updated}"
    if result.unchanged:
        summary += f", unchanged {result.unchanged}"
    click.echo(summary)


@click.command("export-orgs")
@click.argument("file", required=False, default="-")
@with_appcontext
def export_orgs(file):
    """Write every organization as CSV to FILE, or to standard output without FILE or with -."""
    from . import organizations
    from .models import Organization

    with db.connection_context(), db.atomic():
        text = organizations.export_csv()
        count = Organization.select().count()
    if file == "-":
        click.echo(text, nl=False)
        return
    # With a byte order mark, spreadsheets read the file as UTF-8 rather than
    # a local code page (the import accepts it).
    Path(file).write_text(text, encoding="utf-8-sig", newline="")
    click.echo(f"exported {count} organizations to {file}")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(demo)
    app.cli.add_command(purge)
    app.cli.add_command(sweep)
    app.cli.add_command(worker)
    app.cli.add_command(create_user)
    app.cli.add_command(reseal)
    app.cli.add_command(import_orgs)
    app.cli.add_command(export_orgs)
    backup_cli.init_app(app)
    app.cli.add_command(checks.check)
