"""A request may need more than one organization: how many the reviewer asked for when
offering it, and when each accepting organization marked its own part under way.

Offers whose work is under way today were started when the request was: their acceptance
time stands in for it. Written like `pwmigrate generate` output.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('request', 'needed', IntegerField(default=1)),
        migrator.add_column('offer', 'started_at', DateTimeField(null=True)),
    )
    db.execute_sql(
        "UPDATE offer SET started_at = decided_at WHERE working AND request_id IN "
        "(SELECT id FROM request WHERE state = 'active')"
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('offer', 'started_at'),
        migrator.drop_column('request', 'needed'),
    )
