"""Gzip answers joined from pieces compressed apart.

A deflate stream (RFC 1951) may be cut into runs of blocks that each end on a byte
boundary and refer to nothing before them (zlib's full flush); runs compressed on their
own join into one valid stream. A kept page (portal/page_cache.py) is compressed once,
piece by piece, at the best level; each answer adds only its own values (form tokens),
stored as they are between the pieces. That costs microseconds where compressing the
whole page again costs a tenth of a millisecond or more, and a secret never shares a
compression window with any other text: its length in the answer is its own length
plus a constant, whatever the page around it says (BREACH, SECURITY.md).
"""

import struct
import zlib
from dataclasses import dataclass

# Raw deflate, without zlib's own header: gzip wraps it.
_RAW = -zlib.MAX_WBITS
# ID1 ID2, deflate, no flags, no modification time, best compression, unknown system.
HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
# An empty last block: what ends the stream.
END = zlib.compressobj(9, zlib.DEFLATED, _RAW).flush(zlib.Z_FINISH)


def deflated(data: bytes) -> bytes:
    """`data` as a run of deflate blocks that refers to nothing before it and ends on a
    byte boundary, to be joined with others."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, _RAW)  # the best: done once per page
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


# What one stored block holds: its length is written in two bytes.
_MOST_STORED = 0xFFFF


def stored(data: bytes) -> bytes:
    """`data` in stored (uncompressed) blocks: its length alone shows through.

    Written here (RFC 1951, 3.2.4: a header byte, the length and its complement, the
    bytes) because zlib would set up a whole compressor, a quarter of a megabyte, for
    each answer's form token.
    """
    blocks = []
    for start in range(0, len(data), _MOST_STORED) or [0]:
        chunk = data[start : start + _MOST_STORED]
        # Not the last block, type 0 (stored): three zero bits, then up to the byte's end.
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks)


@dataclass(frozen=True)
class Piece:
    """Text and its deflated run, made once."""

    text: bytes
    run: bytes

    @classmethod
    def of(cls, text: bytes) -> "Piece":
        return cls(text, deflated(text))

    @classmethod
    def secret(cls, text: bytes) -> "Piece":
        return cls(text, stored(text))


def joined(pieces: list[Piece]) -> bytes:
    """One gzip member holding the pieces' text, in order."""
    crc, size = 0, 0
    for piece in pieces:
        crc = zlib.crc32(piece.text, crc)
        size += len(piece.text)
    trailer = struct.pack("<II", crc, size & 0xFFFFFFFF)
    return b"".join((HEADER, *(piece.run for piece in pieces), END, trailer))
