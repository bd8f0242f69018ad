"""A handle for each offer (K7QM-4XPT): what an organization's members call it, in its
address too, instead of the request's reference, whose number counts the requests.

Written like `pwmigrate generate` output; the handles of the offers made before are
drawn here, at random as `portal.handles` draws them (a frozen copy: a migration must
not change when the application's code does).
"""
import secrets

from peewee import *

ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'


def _draw(taken):
    while True:
        drawn = ''.join(secrets.choice(ALPHABET) for _ in range(8))
        handle = drawn[:4] + '-' + drawn[4:]
        if handle not in taken:
            taken.add(handle)
            return handle


def up(migrator, db):
    class Offer(Model):
        handle = CharField(max_length=9, null=True)
        class Meta:
            database = db
            legacy_table_names = False
            table_name = 'offer'

    migrator.migrate(migrator.add_column('offer', 'handle', CharField(max_length=9, null=True)))
    taken = set()
    for offer_id in list(Offer.select(Offer.id).order_by(Offer.id).tuples()):
        Offer.update(handle=_draw(taken)).where(Offer.id == offer_id[0]).execute()
    migrator.migrate(
        migrator.add_not_null('offer', 'handle'),
        migrator.add_index('offer', ('handle',), True),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index('offer', 'offer_handle'),
        migrator.drop_column('offer', 'handle'),
    )
