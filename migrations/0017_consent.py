"""What the requester allows to be shared (contact details; their own words or only the
summary; counting in figures), and, for a request sent for someone else, what the sender
knows of that person's agreement.

Requests sent before keep what the portal showed then: the accepting organization saw
the contact details and the requester's words; nothing was counted.

Written like `pwmigrate generate` output.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('request', 'share_contact', BooleanField(default=True)),
        migrator.add_column('request', 'share_words', CharField(max_length=10, default='written')),
        migrator.add_column('request', 'share_figures', BooleanField(default=False)),
        migrator.add_column('request', 'on_behalf', CharField(max_length=10, null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column('request', 'on_behalf'),
        migrator.drop_column('request', 'share_figures'),
        migrator.drop_column('request', 'share_words'),
        migrator.drop_column('request', 'share_contact'),
    )
