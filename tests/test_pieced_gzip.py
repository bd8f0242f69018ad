"""Gzip joined from pieces compressed apart (portal/pieced_gzip.py): any decoder reads
the whole text back, and a secret's piece is its bytes as they are, whatever surrounds it."""

import gzip
import os
import zlib

import pytest

from portal.pieced_gzip import END, Piece, joined, stored

PAGE = b"<!doctype html><title>Request</title>" + b"<option>Colombia</option>" * 200


def pieces_of(*parts: bytes) -> list[Piece]:
    """Text pieces and secret pieces in turn, as a kept page is cut."""
    return [Piece.of(part) if n % 2 == 0 else Piece.secret(part) for n, part in enumerate(parts)]


@pytest.mark.parametrize(
    "parts",
    [
        (PAGE,),
        (PAGE, b"token-one", PAGE[:50], b"token-two", b"</html>"),
        (b"", b"", b""),
        (b"", os.urandom(70_000), b"end"),  # more than one stored block can hold
        (PAGE * 30, b"x", PAGE),
    ],
)
def test_the_joined_stream_decompresses_to_the_pieces_in_order(parts):
    body = joined(pieces_of(*parts))

    assert gzip.decompress(body) == b"".join(parts)
    # One gzip member, ended, with nothing after it: what a browser's decoder expects.
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert decoder.decompress(body) == b"".join(parts)
    assert decoder.eof and decoder.unused_data == b""


def test_the_text_is_compressed():
    assert len(joined(pieces_of(PAGE))) < len(PAGE) / 10


def test_a_secret_is_carried_as_it_is_its_length_alone_showing():
    secret = b"IjQ2ZDU5YTQ2ZjM3ZjEyY2E3.aZ3kQw.csrf-token-like-value"
    echoing = PAGE + secret[:-3]  # text around it that repeats most of it

    body = joined(pieces_of(echoing, secret, echoing))

    assert secret in body  # not compressed against the text that repeats it
    assert len(stored(secret)) - len(secret) == len(stored(b"x" * 7)) - 7
    other = joined(pieces_of(echoing, b"z" * len(secret), echoing))
    assert len(other) == len(body)


@pytest.mark.parametrize("size", [0, 1, 0xFFFF, 0x10000, 2 * 0xFFFF + 1])
def test_a_stored_run_of_any_length_inflates_to_its_bytes(size):
    data = os.urandom(size)
    decoder = zlib.decompressobj(-zlib.MAX_WBITS)
    assert decoder.decompress(stored(data) + END) == data
    assert decoder.eof
