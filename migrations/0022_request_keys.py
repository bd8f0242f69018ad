"""Request keys (portal.keychain): a key pair per request and kind of content, whose private
half is wrapped to the groups that read it and to the escrow. Internal notes are the first
content sealed to them; `flask --app portal keys migrate` moves the notes written before.

Written like `pwmigrate generate` output.
"""
from peewee import *


def up(migrator, db):
    class Request(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'request'

    class RequestKey(Model):
        uid = CharField(unique=True, max_length=32)
        request = ForeignKeyField(Request, on_delete='CASCADE', backref='+')
        purpose = CharField(max_length=16)
        public_key = BlobField()
        created_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'request_key'
            indexes = ((('request', 'purpose'), True),)

    class Envelope(Model):
        request_key = ForeignKeyField(RequestKey, on_delete='CASCADE', backref='+')
        holder = CharField(max_length=32)
        wrapped = BlobField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'envelope'
            indexes = ((('request_key', 'holder'), True), (('holder',), False))

    db.create_tables([RequestKey, Envelope])


def down(migrator, db):
    migrator.migrate(
        migrator.drop_table('envelope'),
        migrator.drop_table('request_key'),
    )
