"""A new request's tracking code, held sealed for its browser until the person says they kept it.

Written like `pwmigrate generate` output; uids and timestamps get their values from the models.
"""
from peewee import *


def up(migrator, db):
    class Request(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'request'

    class PendingCode(Model):
        uid = CharField(unique=True, max_length=32)
        id_hash = CharField(unique=True, max_length=64)
        request = ForeignKeyField(Request, on_delete='CASCADE', backref='+')
        created_at = DateTimeField()
        code_sealed = BlobField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'pending_code'

    db.create_tables([PendingCode])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('pending_code'))
