"""Closing reports: what the accepting organization says when its work ends (days of
accompaniment, visits, the outcome sealed, whether follow-up is needed).

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

    class ClosingReport(Model):
        uid = CharField(unique=True, max_length=32)
        request = ForeignKeyField(Request, on_delete='CASCADE', backref='+')
        organization = ForeignKeyField(Organization, on_delete='CASCADE', backref='+')
        user = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
        created_at = DateTimeField()
        days = IntegerField(null=True)
        visits = IntegerField(null=True)
        follow_up = BooleanField()
        outcome_sealed = BlobField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'closing_report'

    db.create_tables([ClosingReport])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('closing_report'))
