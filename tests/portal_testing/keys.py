"""An escrow key pair for tests: the public half as a deployment configures it, the private
half as its holders keep it offline (portal.keychain)."""

import shutil
from dataclasses import dataclass

from portal import envelopes, keychain, request_keys
from portal.db import db
from portal.envelopes import KeyPair


@dataclass(frozen=True)
class Escrow:
    pair: KeyPair

    @property
    def public_key(self) -> str:
        return keychain.encode_key(self.pair.public)

    @property
    def private_key(self) -> str:
        return keychain.encode_key(self.pair.private)


ESCROW = Escrow(KeyPair.generate())


def as_escrow():
    """A block in which sealed content opens with the escrow's private key, as an operator's
    emergency restore would (outside a web request)."""
    return request_keys.reading_with_escrow(ESCROW.pair.private)


def give_access(staff, colleague):
    """`staff` (a StaffClient holding their group's key) gives it to `colleague` on the
    access page, ticking that they checked who it is."""
    response = staff.post(f"/staff/keys/{colleague.uid}", {f"grant-{colleague.uid}-confirm": "y"})
    assert response.status_code == 303, response.status_code
    return response


def private_of(user, password=None):
    """`user`'s private key, opened with their password (the tests' shared one unless given)."""
    from .staff import STAFF_PASSWORD

    params = envelopes.PasswordParams.from_text(user.key_params)
    return envelopes.open_private(
        user.private_key_sealed, password or STAFF_PASSWORD, user.uid, params
    )


def stolen_copy(app, directory, **settings):
    """A fresh portal on a copy of every file the server has, taken while people are signed
    in: the database (its log written back first) and the whole instance folder, with the
    same settings (its secret key, keyring and tracking key)."""
    from .app import make_app

    with app.app_context():
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    shutil.copyfile(
        app.config["DATABASE_URL"].removeprefix("sqlite:///"), directory / "portal.sqlite3"
    )
    shutil.copytree(app.instance_path, directory / "instance")
    same = {
        name: app.config[name]
        for name in ("SECRET_KEY", "DATA_KEYS", "TRACKING_KEY", "ESCROW_PUBLIC_KEY")
    }
    return make_app(directory, **same, **settings)
