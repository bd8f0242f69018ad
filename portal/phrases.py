"""Verification phrases: three words the accepting organization says when it first makes
contact, so that the requester can tell it from a stranger who claims to be it.

Drawn with `secrets` from a list of common, concrete words in the requester's language
(portal/data/phrases/), about 1.7 million phrases per language: enough to be unguessable
on a telephone call, short enough to say. A phrase is sealed with its offer, shown only
to the requester and to the organization that accepted, and never put in a notice.
"""

import functools
import secrets
from pathlib import Path

WORDS = 3
_LISTS = Path(__file__).resolve().parent / "data" / "phrases"
_DEFAULT = "en"


@functools.cache
def words(language: str) -> tuple[str, ...]:
    """The words a phrase in `language` is drawn from (English for a language without a list)."""
    path = _LISTS / f"{language}.txt"
    if not path.exists():
        path = _LISTS / f"{_DEFAULT}.txt"
    found = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return tuple(dict.fromkeys(word for word in found if word))


def draw(language: str) -> str:
    """A new phrase such as "lantern · otter · plum", in the requester's language."""
    choices = words(language)
    return " · ".join(secrets.choice(choices) for _ in range(WORDS))
