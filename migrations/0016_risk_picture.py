"""The risk picture a requester may give (threats, who is behind them, incidents, who else
is at risk, support sought, informing authorities): one sealed value per request,
empty for the requests sent before.

Written like `pwmigrate generate` output.
"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_column('request', 'risk_sealed', BlobField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column('request', 'risk_sealed'))
