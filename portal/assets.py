"""Static files under names that carry their content's hash, compressed ahead of time.

A browser keeps such a file for a year and never asks for it again: a new version has a
new name. Over Tor every request costs a round trip of about a second, so a page that
reuses its stylesheet and scripts this way costs one round trip instead of four.

At start-up each file of portal/static is copied into the build folder (the instance's
`static/` unless STATIC_BUILD_FOLDER says otherwise) as name.<hash>.ext, with a gzip and
a brotli copy beside it; WhiteNoise serves them, choosing the copy by Accept-Encoding.
Files already built are kept, so a restart, or a second process, writes nothing.
"""

import gzip
import hashlib
import os
import tempfile
from pathlib import Path

import brotli
from flask import Flask, current_app
from whitenoise import WhiteNoise

SOURCE = Path(__file__).resolve().parent / "static"
URL_PREFIX = "/static/"
CACHE_FOREVER = "public, max-age=31536000, immutable"
# Below this size compression saves less than the bytes of the header that announces it.
SMALLEST_COMPRESSED = 512


def hashed_name(name: str, content: bytes) -> str:
    """css/portal.css -> css/portal.<16 hex digits>.css"""
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = Path(name)
    return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))


def manifest(source: Path = SOURCE) -> dict[str, str]:
    """Each file's name under `source` and its hashed name."""
    return {
        path.relative_to(source).as_posix(): hashed_name(
            path.relative_to(source).as_posix(), path.read_bytes()
        )
        for path in sorted(source.rglob("*"))
        if path.is_file()
    }


def build(names: dict[str, str], folder: Path, source: Path = SOURCE) -> None:
    """Write each hashed file, with .gz and .br copies, unless it is there already."""
    for name, hashed in names.items():
        target = folder / hashed
        if target.exists():
            continue
        content = (source / name).read_bytes()
        target.parent.mkdir(parents=True, exist_ok=True)
        # The plain file last: its presence says the copies beside it are complete.
        if len(content) >= SMALLEST_COMPRESSED:
            _write(target.with_name(target.name + ".gz"), gzip.compress(content, 9, mtime=0))
            _write(target.with_name(target.name + ".br"), brotli.compress(content, quality=11))
        _write(target, content)


def _write(path: Path, content: bytes) -> None:
    # Another process may be building the same file: each writes a temporary file and
    # renames it into place, so nobody ever serves half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".building-")
    with os.fdopen(handle, "wb") as file:
        file.write(content)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)


def init_app(app: Flask, headers: dict[str, str]) -> None:
    """Build the hashed files, serve them, and give templates `asset_url(name)`."""
    names = manifest()
    folder = Path(app.config.get("STATIC_BUILD_FOLDER") or Path(app.instance_path) / "static")
    build(names, folder)
    app.extensions["assets"] = names

    def add_headers(response_headers, path, url):
        for name, value in headers.items():
            response_headers[name] = value
        response_headers["Cache-Control"] = CACHE_FOREVER

    # Only the files of this version are listed: a name that is not one of them (an old
    # version, a guess) falls through to the portal's own 404 page.
    served = WhiteNoise(
        app.wsgi_app,
        max_age=31536000,
        allow_all_origins=False,
        add_headers_function=add_headers,
    )
    for hashed in names.values():
        served.add_file_to_dictionary(URL_PREFIX + hashed, str(folder / hashed), None)
    app.wsgi_app = served

    app.jinja_env.globals["asset_url"] = asset_url


def asset_url(name: str, app: Flask | None = None) -> str:
    """The address of static file `name` (css/portal.css) in this version."""
    return URL_PREFIX + (app or current_app).extensions["assets"][name]
