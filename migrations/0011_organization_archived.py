"""When an organization was archived (it leaves the directory and matching; its history stays).

Written like `pwmigrate generate` output.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('organization', 'archived_at', DateTimeField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column('organization', 'archived_at'))
