"""When each periodic job (the sweep, the purge) last finished: `flask --app portal check`
reads it to tell whether the worker runs and whether retention does.

Written like `pwmigrate generate` output.
"""
from peewee import *


def up(migrator, db):
    class JobRun(Model):
        job = CharField(unique=True, max_length=20)
        finished_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'job_run'

    db.create_tables([JobRun])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('job_run'))
