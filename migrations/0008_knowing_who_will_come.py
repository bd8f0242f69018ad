"""What the accepting organization says about its first contact, and the verification phrase.

Written like `pwmigrate generate` output.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('offer', 'contact_plan_sealed', BlobField(null=True)),
        migrator.add_column('offer', 'phrase_sealed', BlobField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('offer', 'phrase_sealed'),
        migrator.drop_column('offer', 'contact_plan_sealed'),
    )
