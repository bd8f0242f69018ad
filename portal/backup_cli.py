"""flask --app portal backup FILE | restore FILE: the commands around portal.backup."""

import os
import stat
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import backup

# Read by these two commands only, never by the portal: set it for the backup job,
# not in the environment the web server and the worker share.
PASSPHRASE_VARIABLE = "PORTAL_BACKUP_PASSPHRASE"  # noqa: S105 (a name, not a secret)

passphrase_file_option = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Read the passphrase from this file (mode 0600 or 0400) instead of "
    f"${PASSPHRASE_VARIABLE} or a prompt.",
)


def read_passphrase_file(path: Path) -> str:
    """The passphrase in `path`, refused if other users may read or change the file."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise click.ClickException(f"cannot read {path}: {exc.strerror}") from None
    with os.fdopen(fd, encoding="utf-8") as file:
        # Checked on the file opened, not on the name: it cannot be swapped in between.
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            raise click.ClickException(
                f"{path} can be read or changed by other users: chmod 600 {path}"
            )
        text = file.read()
    return text.removesuffix("\n").removesuffix("\r")


def _passphrase(passphrase_file: Path | None, confirm: bool) -> str:
    if passphrase_file is not None:
        return read_passphrase_file(passphrase_file)
    if PASSPHRASE_VARIABLE in os.environ:
        return os.environ[PASSPHRASE_VARIABLE]
    return click.prompt(
        "Backup passphrase", hide_input=True, confirmation_prompt=confirm, default=""
    )


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@passphrase_file_option
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def backup_command(file, passphrase_file, force):
    """Write an encrypted snapshot of the database to FILE, while the portal runs.

    Restoring it needs the passphrase, and reading its sealed fields needs the
    instance folder's data_keys: keep both off the server, apart from the backups.
    """
    passphrase = _passphrase(passphrase_file, confirm=True)
    problem = backup.passphrase_problem(passphrase, backup.portal_keys(current_app.config))
    if problem is not None:
        raise click.ClickException(problem)
    try:
        written = backup.write_backup(
            current_app.config["DATABASE_URL"], file, passphrase, force=force
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"backup of the {written.backend} database written to {written.path} "
        f"({_megabytes(written.size)}, {len(written.schema)} migrations)"
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@passphrase_file_option
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
@with_appcontext
def restore_command(file, passphrase_file, force):
    """Replace the database by the one in the backup FILE (stop the portal and worker first).

    Nothing is replaced unless the whole backup opens with the passphrase.
    """
    passphrase = _passphrase(passphrase_file, confirm=False)
    if not passphrase:
        raise click.ClickException("the backup passphrase is empty")
    try:
        restored = backup.restore_backup(
            current_app.config["DATABASE_URL"],
            file,
            passphrase,
            scratch=current_app.instance_path,
            force=force,
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored the {restored.backend} database as it was at {restored.created_at}")
    if restored.pending:
        click.echo(
            f"{len(restored.pending)} migrations are pending: run `flask --app portal db upgrade`"
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
