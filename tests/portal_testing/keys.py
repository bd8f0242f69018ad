"""An escrow key pair for tests: the public half as a deployment configures it, the private
half as its holders keep it offline (portal.keychain)."""

from dataclasses import dataclass

from portal import keychain, request_keys
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
