"""What a staff member's browser must not lose, held sealed for a short while: a form's
words across a language switch or a new sign-in, new recovery codes until saved.

Written like `pwmigrate generate` output; uids and timestamps get their values from the models.
"""
from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'account'

    class Held(Model):
        uid = CharField(unique=True, max_length=32)
        id_hash = CharField(max_length=64)
        kind = CharField(max_length=20)
        user = ForeignKeyField(User, null=True, on_delete='CASCADE', backref='+')
        created_at = DateTimeField()
        page = CharField(max_length=2000, null=True)
        content_sealed = BlobField()
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'held'
            indexes = ((('id_hash', 'kind'), True),)

    db.create_tables([Held])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('held'))
