"""The key layer of "keys that only people hold" (portal.envelopes): what opens, and with what
not, before anything is built on it."""

import os

import pytest

from portal import envelopes
from portal.envelopes import KeyPair, PasswordParams, Unopenable

# Argon2id at a test's cost: the layer reads the cost from the parameters, whatever it is.
CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
INFO = envelopes.context("identity", "request-uid-1", "network")


def test_a_wrapped_key_opens_only_with_its_holder_s_private_key_and_its_context():
    data_key = os.urandom(envelopes.KEY_BYTES)
    network, organization = KeyPair.generate(), KeyPair.generate()

    wrapped = envelopes.wrap(data_key, network.public, INFO)

    assert envelopes.unwrap(wrapped, network.private, INFO) == data_key
    assert data_key not in wrapped
    with pytest.raises(Unopenable):
        envelopes.unwrap(wrapped, organization.private, INFO)
    # Copied to another request's row, or claimed for another holder: it does not open.
    for moved in (
        envelopes.context("identity", "request-uid-2", "network"),
        envelopes.context("identity", "request-uid-1", "organization-uid"),
        envelopes.context("thread", "request-uid-1", "network"),
    ):
        with pytest.raises(Unopenable):
            envelopes.unwrap(wrapped, network.private, moved)


def test_a_tampered_wrap_or_seal_does_not_open():
    data_key, holder = os.urandom(envelopes.KEY_BYTES), KeyPair.generate()
    wrapped = bytearray(envelopes.wrap(data_key, holder.public, INFO))
    wrapped[-1] ^= 1
    with pytest.raises(Unopenable):
        envelopes.unwrap(bytes(wrapped), holder.private, INFO)

    sealed = bytearray(envelopes.seal_with(data_key, b"Marisol Quintero", b"request|name"))
    assert envelopes.open_with(data_key, bytes(sealed), b"request|name") == b"Marisol Quintero"
    with pytest.raises(Unopenable):
        envelopes.open_with(data_key, bytes(sealed), b"request|place")
    sealed[10] ^= 1
    with pytest.raises(Unopenable):
        envelopes.open_with(data_key, bytes(sealed), b"request|name")
    with pytest.raises(Unopenable):
        envelopes.open_with(data_key, b"v1:k1:not ours", b"request|name")


@pytest.mark.parametrize("part", ["", "a|b"])
def test_a_context_part_cannot_be_empty_or_hold_the_separator(part):
    with pytest.raises(ValueError):
        envelopes.context("identity", part, "network")


def test_a_private_key_opens_with_its_owner_s_password_and_nothing_else():
    person = KeyPair.generate()
    params = PasswordParams.new(**CHEAP)

    sealed, kept = envelopes.seal_private(person.private, "a long passphrase 7431", "u1", params)

    assert person.private not in sealed
    stored = PasswordParams.from_text(kept.to_text())
    assert stored == params
    opened = envelopes.open_private(sealed, "a long passphrase 7431", "u1", stored)
    assert KeyPair.from_private(opened) == person
    with pytest.raises(Unopenable):
        envelopes.open_private(sealed, "a long passphrase 7432", "u1", stored)
    with pytest.raises(Unopenable):  # sealed for another account
        envelopes.open_private(sealed, "a long passphrase 7431", "u2", stored)


def test_after_a_password_change_the_old_password_opens_nothing():
    person = KeyPair.generate()
    old, _ = envelopes.seal_private(
        person.private, "the old passphrase 1", "u1", PasswordParams.new(**CHEAP)
    )
    new_params = PasswordParams.new(**CHEAP)
    new, _ = envelopes.seal_private(person.private, "the new passphrase 2", "u1", new_params)

    assert envelopes.open_private(new, "the new passphrase 2", "u1", new_params) == person.private
    with pytest.raises(Unopenable):
        envelopes.open_private(new, "the old passphrase 1", "u1", new_params)
    assert old != new


def test_the_default_cost_is_the_password_hash_s():
    params = PasswordParams.new()
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65_536, 4)
    assert len(params.salt) == 16
    assert PasswordParams.new().salt != params.salt


@pytest.mark.parametrize(
    "text",
    ["", "argon2i$t=3$m=8$p=1$AAAA", "argon2id$t=x$m=8$p=1$AAAA", "argon2id$t=3$m=8$AAAA"],
)
def test_parameters_that_do_not_read_are_refused(text):
    with pytest.raises(Unopenable):
        PasswordParams.from_text(text)


def test_a_requester_s_key_comes_from_their_code_and_their_request_alone():
    code = "K7QM-4XPT-9HRC-2WDB-6FJN"
    key = envelopes.code_key(code, "request-uid-1")

    assert key == envelopes.code_key(code, "request-uid-1")
    assert len(key) == envelopes.KEY_BYTES
    assert key != envelopes.code_key(code, "request-uid-2")
    assert key != envelopes.code_key("K7QM-4XPT-9HRC-2WDB-6FJM", "request-uid-1")
    assert envelopes.session_key("session-a") != envelopes.session_key("session-b")
    assert envelopes.session_key("session-a") != envelopes.code_key("session-a", "")
