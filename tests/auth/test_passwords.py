"""Passwords: argon2id hashes, 12 to 128 characters, no common ones."""

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from portal import accounts
from portal.models import User

from portal_testing import (
    STAFF_PASSWORD,
    create_staff_account,
    sign_in,
)
from portal_testing.auth import (
    HOME,
    NOT_RIGHT,
    ONE_STEP_MEMBERS,
    ORG_MEMBER,
    TULIP,
    WRONG_PASSWORD,
    account,
    create_account,
    database,
    errors,
    location,
)

pytestmark = [pytest.mark.app_config(**ONE_STEP_MEMBERS), pytest.mark.shipped_hasher]


def test_passwords_are_stored_as_argon2id_hashes(app):
    create_account(app, ORG_MEMBER)

    stored = account(app, ORG_MEMBER).password_hash

    assert stored.startswith("$argon2id$")
    assert STAFF_PASSWORD not in stored
    parameters = extract_parameters(stored)
    assert parameters.type is Type.ID
    # argon2-cffi's RFC 9106 low-memory profile, or stronger.
    assert parameters.memory_cost >= 65536
    assert parameters.time_cost >= 3


PASSWORD_LENGTHS = {
    "11 characters": (TULIP[:11], False),
    "12 characters": (TULIP[:12], True),
    "128 characters": (TULIP[:128], True),
    "129 characters": (TULIP[:129], False),
}


@pytest.mark.parametrize("case", PASSWORD_LENGTHS, ids=list(PASSWORD_LENGTHS))
def test_a_password_has_12_to_128_characters(app, client, case):
    password, accepted = PASSWORD_LENGTHS[case]
    assert len(password) == int(case.split()[0])

    if not accepted:
        with database(app), pytest.raises(accounts.AccountError) as refusal:
            create_staff_account(ORG_MEMBER, "org_member", password)
        assert str(refusal.value) in ("Use at least 12 characters.", "Use at most 128 characters.")
        assert account(app, ORG_MEMBER) is None
        return

    create_account(app, ORG_MEMBER, password=password)
    assert location(sign_in(client, ORG_MEMBER, password)) == HOME["org_member"]


def test_a_long_password_is_checked_to_its_last_character(app, client):
    long_password = "river stone " * 8 + "lamp"
    assert len(long_password) == 100
    create_account(app, ORG_MEMBER, password=long_password)

    almost = sign_in(client, ORG_MEMBER, long_password[:-1] + "x")
    shorter = sign_in(client, ORG_MEMBER, long_password[:72])

    assert almost.status_code == 200
    assert errors(almost) == {"password": [NOT_RIGHT]}
    assert shorter.status_code == 200
    assert location(sign_in(client, ORG_MEMBER, long_password)) == HOME["org_member"]


@pytest.mark.parametrize("common", ["password1234", "qwertyuiop12", "Password1234"])
def test_a_common_password_is_refused(app, common):
    with database(app), pytest.raises(accounts.AccountError) as refusal:
        create_staff_account(ORG_MEMBER, "org_member", common)

    assert str(refusal.value) == "This password is too common. Choose another one."
    assert account(app, ORG_MEMBER) is None


@pytest.mark.parametrize(
    "weaker",
    [
        PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1),
        PasswordHasher(time_cost=2, memory_cost=65536, parallelism=4, type=Type.I),
    ],
    ids=["argon2id with weak parameters", "argon2i"],
)
def test_an_old_hash_is_upgraded_when_its_owner_signs_in(app, client, weaker):
    create_account(app, ORG_MEMBER)
    with database(app):
        User.update(password_hash=weaker.hash(STAFF_PASSWORD)).where(
            User.email == ORG_MEMBER
        ).execute()
    old = account(app, ORG_MEMBER).password_hash

    assert location(sign_in(client, ORG_MEMBER)) == HOME["org_member"]

    upgraded = account(app, ORG_MEMBER).password_hash
    assert upgraded != old
    assert upgraded.startswith("$argon2id$")
    assert not accounts._hasher.check_needs_rehash(upgraded)
    assert location(sign_in(app.test_client(), ORG_MEMBER)) == HOME["org_member"]


def test_a_wrong_password_does_not_upgrade_the_hash(app, client):
    create_account(app, ORG_MEMBER)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STAFF_PASSWORD)
    with database(app):
        User.update(password_hash=weak).where(User.email == ORG_MEMBER).execute()

    assert sign_in(client, ORG_MEMBER, WRONG_PASSWORD).status_code == 200

    assert account(app, ORG_MEMBER).password_hash == weak
