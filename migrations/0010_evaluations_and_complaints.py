"""The requester's evaluation of a completed request, and complaints about an organization.

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

    class Evaluation(Model):
        uid = CharField(unique=True, max_length=32)
        request = ForeignKeyField(Request, unique=True, on_delete='CASCADE', backref='+')
        created_at = DateTimeField()
        useful = CharField(max_length=10, null=True)
        safer = CharField(max_length=10, null=True)
        comment_sealed = BlobField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'evaluation'

    class Complaint(Model):
        uid = CharField(unique=True, max_length=32)
        request = ForeignKeyField(Request, on_delete='CASCADE', backref='+')
        organization = ForeignKeyField(Organization, null=True, on_delete='SET NULL', backref='+')
        created_at = DateTimeField()
        body_sealed = BlobField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'complaint'

    db.create_tables([Evaluation, Complaint])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('complaint'), migrator.drop_table('evaluation'))
