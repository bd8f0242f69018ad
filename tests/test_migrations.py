"""The schema the migrations build, the upgrade command, and the health check."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from peewee import SqliteDatabase
from playhouse.schema_diff import diff_models

from portal.db import db
from portal.models import MODELS

from portal_testing import unmigrated_app

ROOT = Path(__file__).resolve().parent.parent


def describe(database):
    """Tables with their columns, indexes (by columns) and foreign keys, comparable with ==."""
    schema = {}
    for table in sorted(t for t in database.get_tables() if t != "schema_migration"):
        schema[table] = {
            "columns": sorted(
                (c.name, c.data_type.upper(), c.null, c.primary_key)
                for c in database.get_columns(table)
            ),
            "indexes": sorted(
                (tuple(i.columns), bool(i.unique)) for i in database.get_indexes(table)
            ),
            "foreign_keys": sorted(
                (fk.column, fk.dest_table, fk.dest_column)
                for fk in database.get_foreign_keys(table)
            ),
        }
    return schema


def index_names(database):
    return sorted(
        index.name
        for table in database.get_tables()
        if table != "schema_migration"
        for index in database.get_indexes(table)
    )


def database_from_models(path):
    """What create_tables() would build straight from the models."""
    database = SqliteDatabase(str(path))
    with database.bind_ctx(MODELS):
        database.create_tables(MODELS)
    return database


def test_the_migrated_database_has_every_table_column_and_index_of_the_models(app):
    with app.app_context(), db.connection_context():
        diff = diff_models(db.obj, MODELS)
    assert not diff, f"migrations and models differ:\n{diff}"


# describe: tables, columns, indexes and foreign keys. index_names: a later migration drops
# or renames an index by the name the models give it.
@pytest.mark.parametrize("look", [describe, index_names], ids=["schema", "index names"])
def test_the_migrated_database_matches_tables_created_from_the_models(app, tmp_path, look):
    from_models = database_from_models(tmp_path / "from-models.sqlite3")
    expected = look(from_models)
    from_models.close()

    with app.app_context(), db.connection_context():
        migrated = look(db.obj)
    assert migrated == expected


def test_upgrading_a_new_database_applies_the_migrations_and_records_them(tmp_path):
    app = unmigrated_app(tmp_path)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "applied: 0001_initial" in result.output
    with app.app_context(), db.connection_context():
        tables = set(db.get_tables())
        assert {"request", "timeline_event", "message", "server_session"} <= tables
        assert not diff_models(db.obj, MODELS)


def test_upgrading_twice_changes_nothing_the_second_time(tmp_path):
    app = unmigrated_app(tmp_path)
    first = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert first.exit_code == 0, first.output
    with app.app_context(), db.connection_context():
        before = describe(db.obj)

    second = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert second.exit_code == 0, second.output
    assert "database is up to date" in second.output
    with app.app_context(), db.connection_context():
        assert describe(db.obj) == before


def test_the_upgrade_command_works_from_a_shell(tmp_path):
    env = {
        **os.environ,
        "PORTAL_INSTANCE_PATH": str(tmp_path / "instance"),
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'shell.sqlite3'}",
    }
    command = [sys.executable, "-m", "flask", "--app", "portal", "db", "upgrade"]
    runs = [
        subprocess.run(  # noqa: S603 - fixed arguments, no shell
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], [run.stderr for run in runs]
    assert "applied: 0001_initial" in runs[0].stdout
    assert "database is up to date" in runs[1].stdout
    assert (tmp_path / "shell.sqlite3").exists()


def test_the_health_check_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok"}


def test_the_health_check_says_error_when_the_database_cannot_be_opened(tmp_path):
    unusable = tmp_path / "a-directory"
    unusable.mkdir()
    app = unmigrated_app(tmp_path, DATABASE_URL=f"sqlite:///{unusable}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {"status": "error"}
