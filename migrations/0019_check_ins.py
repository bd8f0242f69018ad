"""Check-ins while the work is under way: the organization's rhythm and next due time on its
offer, each check-in (its note sealed), and the request's flag for reviewers when one is
missed or tells of an incident.

Written like `pwmigrate generate` output.
"""
from peewee import *


def up(migrator, db):
    class Organization(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'organization'

    class User(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'account'

    class Request(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'request'

    class CheckIn(Model):
        uid = CharField(unique=True, max_length=32)
        request = ForeignKeyField(Request, on_delete='CASCADE', backref='+')
        organization = ForeignKeyField(Organization, on_delete='CASCADE', backref='+')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
        created_at = DateTimeField()
        status = CharField(max_length=10)
        note_sealed = BlobField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'check_in'
            indexes = ((('request', 'created_at'), False),)

    db.create_tables([CheckIn])
    migrator.migrate(
        migrator.add_column('offer', 'check_in_hours', IntegerField(null=True)),
        migrator.add_column('offer', 'check_in_due_at', DateTimeField(null=True)),
        migrator.add_index('offer', ('check_in_due_at',), False),
        migrator.add_column('request', 'attention', CharField(max_length=10, null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('request', 'attention'),
        migrator.drop_index('offer', 'offer_check_in_due_at'),
        migrator.drop_column('offer', 'check_in_due_at'),
        migrator.drop_column('offer', 'check_in_hours'),
        migrator.drop_table('check_in'),
    )
