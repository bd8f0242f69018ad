"""Offer handles (K7QM-4XPT): what an organization's members call an offer.

Members never see a request's reference: its number counts the requests of
the year, and whoever reads a few of them learns how many requests the
network receives. A handle is drawn at random, so handles say nothing of the
number or the order of offers; it is short enough to read over the phone to
network staff, who see it beside the organization on the request's page.
"""

import re
import secrets

# Crockford's base 32: no I, L, O or U, which are read as 1, 1, 0 or V.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUP = 4  # two groups of four, joined by a hyphen: 40 random bits
LENGTH = 2 * GROUP + 1

_SHAPE = re.compile(rf"[{ALPHABET}]{{{GROUP}}}-[{ALPHABET}]{{{GROUP}}}")


def new_handle() -> str:
    """A random handle; `offers.offer` makes sure no other offer has it."""
    drawn = "".join(secrets.choice(ALPHABET) for _ in range(2 * GROUP))
    return f"{drawn[:GROUP]}-{drawn[GROUP:]}"


def is_handle(text) -> bool:
    """True only for a handle exactly as the portal writes it: nothing else is looked up."""
    return isinstance(text, str) and _SHAPE.fullmatch(text) is not None


def read_handle(text: str) -> str | None:
    """The handle someone typed (any case, spaces around it, hyphen or not); None otherwise."""
    typed = (text or "").strip().upper()
    if len(typed) == 2 * GROUP:
        typed = f"{typed[:GROUP]}-{typed[GROUP:]}"
    return typed if is_handle(typed) else None
