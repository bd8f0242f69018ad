"""Notices owed and how soon each account wants them, deadlines on requests and offers.

Written like `pwmigrate generate` output; uids and timestamps get their values from the models.
"""
from peewee import *


def up(migrator, db):
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

    class NoticeChoice(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        kind = CharField(max_length=30)
        timing = CharField(max_length=10)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'notice_choice'
            indexes = ((('user', 'kind'), True),)

    class Notice(Model):
        uid = CharField(unique=True, max_length=32)
        kind = CharField(max_length=30)
        user = ForeignKeyField(User, null=True, on_delete='CASCADE')
        request = ForeignKeyField(Request, null=True, on_delete='CASCADE', backref='+')
        address_sealed = BlobField(null=True)
        created_at = DateTimeField()
        due_at = DateTimeField(index=True)
        attempts = IntegerField(default=0)
        last_error = CharField(max_length=200, default='')
        sent_at = DateTimeField(null=True, index=True)
        failed_at = DateTimeField(null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'notice'

    class RequestSeen(Model):
        user = ForeignKeyField(User, on_delete='CASCADE', backref='+')
        request = ForeignKeyField(Request, on_delete='CASCADE', backref='+')
        seen_at = DateTimeField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'request_seen'
            indexes = ((('user', 'request'), True),)

    db.create_tables([NoticeChoice, Notice, RequestSeen])

    migrator.migrate(
        migrator.add_column('account', 'locale', CharField(max_length=10, null=True)),
        migrator.add_column('request', 'notify_email_sealed', BlobField(null=True)),
        migrator.add_column('request', 'overdue_for', CharField(max_length=20, null=True)),
        migrator.add_column('request', 'overdue_level', IntegerField(default=0)),
        migrator.add_column('offer', 'expires_at', DateTimeField(null=True)),
        migrator.add_column('offer', 'warned_at', DateTimeField(null=True)),
        migrator.add_index('offer', ('expires_at',), False),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('offer', 'offer_expires_at'),
        migrator.drop_column('offer', 'warned_at'),
        migrator.drop_column('offer', 'expires_at'),
        migrator.drop_column('request', 'overdue_level'),
        migrator.drop_column('request', 'overdue_for'),
        migrator.drop_column('request', 'notify_email_sealed'),
        migrator.drop_column('account', 'locale'),
        migrator.drop_table('request_seen'),
        migrator.drop_table('notice'),
        migrator.drop_table('notice_choice'),
    )
