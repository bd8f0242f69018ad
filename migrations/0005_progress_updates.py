"""The reviewer's summary on each offer, and the accepting organization's progress updates.

Written like `pwmigrate generate` output; uids and timestamps get their values from the models.
"""
from peewee import *


def up(migrator, db):
    class Organization(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'organization'

    class Request(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'request'

    class User(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'account'

    class ProgressUpdate(Model):
        uid = CharField(unique=True, max_length=32)
        request = ForeignKeyField(Request, on_delete='CASCADE')
        organization = ForeignKeyField(Organization, on_delete='CASCADE', backref='+')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
        created_at = DateTimeField()
        body_sealed = BlobField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'progress_update'
    db.create_tables([ProgressUpdate])

    migrator.migrate(migrator.add_column('offer', 'summary_sealed', BlobField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('offer', 'summary_sealed'))
    migrator.migrate(migrator.drop_table('progress_update'))
