"""Keys that people hold (portal.keychain): each account's key pair, the groups' key pairs
and their grants, and the keys a session unlocked, sealed under its id.

No key is made here: an account gets its key pair at its next sign-in (the password is
needed there), a group at first use. Written like `pwmigrate generate` output.
"""

from peewee import *


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            legacy_table_names = False
            table_name = "account"

    class GroupKey(Model):
        uid = CharField(unique=True, max_length=32)
        holder = CharField(max_length=32)
        generation = IntegerField(default=1)
        public_key = BlobField()
        escrow_wrap = BlobField(null=True)
        network_wrap = BlobField(null=True)
        network_key = CharField(max_length=32, null=True)
        server_sealed = BlobField(null=True)
        created_at = DateTimeField()
        retired_at = DateTimeField(null=True)

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "group_key"
            indexes = ((("holder", "generation"), True),)

    class KeyGrant(Model):
        group_key = ForeignKeyField(GroupKey, on_delete="CASCADE", backref="+")
        user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
        wrapped = BlobField()
        granted_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
        created_at = DateTimeField()

        class Meta:
            database = db
            legacy_table_names = False
            table_name = "key_grant"
            indexes = ((("group_key", "user"), True),)

    db.create_tables([GroupKey, KeyGrant])
    migrator.migrate(
        migrator.add_column("account", "public_key", BlobField(null=True)),
        migrator.add_column("account", "private_key_sealed", BlobField(null=True)),
        migrator.add_column("account", "key_params", CharField(max_length=120, null=True)),
        migrator.add_column("account", "key_chosen", BooleanField(default=False)),
        migrator.add_column("server_session", "keys_sealed", BlobField(null=True)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("server_session", "keys_sealed"),
        migrator.drop_column("account", "key_chosen"),
        migrator.drop_column("account", "key_params"),
        migrator.drop_column("account", "private_key_sealed"),
        migrator.drop_column("account", "public_key"),
        migrator.drop_table("key_grant"),
        migrator.drop_table("group_key"),
    )
