"""The static files a page links to, under their hashed names (portal/assets.py)."""

import re

# An address of a static file in a page's <link href> or <script src>.
STATIC = re.compile(r'(?:href|src)="(/static/[^"]+)"')
HASHED = re.compile(
    r"/static/(?P<folder>(?:[^/]+/)*)(?P<stem>[^/]+)\.[0-9a-f]{16}(?P<suffix>\.\w+)"
)


def unhashed(address: str) -> str:
    """/static/css/portal.0123456789abcdef.css -> css/portal.css"""
    match = HASHED.fullmatch(address)
    assert match, f"not a hashed static address: {address}"
    return f"{match['folder']}{match['stem']}{match['suffix']}"
