"""Messages between the requester and the organization that took the request on.

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

    class OrganizationMessage(Model):
        uid = CharField(unique=True, max_length=32)
        request = ForeignKeyField(Request, on_delete='CASCADE', backref='+')
        organization = ForeignKeyField(Organization, on_delete='CASCADE', backref='+')
        author = CharField(max_length=20)
        user = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
        created_at = DateTimeField()
        body_sealed = BlobField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'organization_message'

    db.create_tables([OrganizationMessage])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('organization_message'))
