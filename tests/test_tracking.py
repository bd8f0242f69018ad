"""Tracking codes: what a requester is given, what they may type back, what is stored."""

import math
import re
import sqlite3

import pytest

from portal import tracking
from portal.db import db
from portal.models import Request

from portal_testing import CODE_PAGE, code_on

LOOK_ALIKES = "0O1ILU"
CODE_SHAPE = re.compile(r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){4}$")
KEY = b"tracking-key-one"


def database_files(tmp_path):
    """The SQLite file and whatever WAL or shared-memory files sit beside it."""
    return sorted(tmp_path.glob("portal.sqlite3*"))


def database_bytes(tmp_path):
    files = database_files(tmp_path)
    assert files, "no database file was written"
    return b"".join(path.read_bytes() for path in files)


def every_stored_value(tmp_path):
    """Every value of every column of every table, read straight from the file."""
    connection = sqlite3.connect(tmp_path / "portal.sqlite3")
    try:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        values = []
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                values.extend(row)
        return values
    finally:
        connection.close()


def test_a_new_code_is_five_groups_of_four():
    for _ in range(200):
        code = tracking.new_code()
        assert CODE_SHAPE.match(code), code


def test_a_new_code_never_uses_look_alike_characters():
    assert not set(LOOK_ALIKES) & set(tracking.ALPHABET)
    seen = set()
    for _ in range(2000):
        seen.update(tracking.new_code().replace("-", ""))
    assert not seen & set(LOOK_ALIKES)
    # Every symbol of the alphabet is actually drawn, and nothing else is.
    assert seen == set(tracking.ALPHABET)


def test_a_code_carries_at_least_80_bits():
    assert len(set(tracking.ALPHABET)) == len(tracking.ALPHABET), "alphabet repeats a symbol"
    symbols = len(tracking.new_code().replace("-", ""))
    assert symbols * math.log2(len(tracking.ALPHABET)) >= 80


def test_codes_do_not_repeat_over_many_draws():
    codes = [tracking.new_code() for _ in range(20_000)]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    "typed",
    [
        "7kq4-m2xp-9rtw-hj3n-b6cd",
        "7KQ4 M2XP 9RTW HJ3N B6CD",
        "7KQ4M2XP9RTWHJ3NB6CD",
        "  7kq4m2xp - 9rtw hj3n-b6cd  ",
        "7KQ4-M2XP-\n9RTW-HJ3N-\tB6CD",
    ],
    ids=["lower case", "spaces", "no dashes", "mixed", "line breaks and tab"],
)
def test_a_code_retyped_from_paper_is_understood(typed):
    assert tracking.normalise(typed) == "7KQ4M2XP9RTWHJ3NB6CD"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "7KQ4-M2XP-9RTW-HJ3N",
        "7KQ4-M2XP-9RTW-HJ3N-B6C",
        "7KQ4-M2XP-9RTW-HJ3N-B6CD-2",
        "7KQ4-M2XP-9RTW-HJ3N-B6C0",
        "7KQ4-M2XP-9RTW-HJ3N-B6CO",
        "7KQ4-M2XP-9RTW-HJ3N-B6C1",
        "7KQ4-M2XP-9RTW-HJ3N-B6CI",
        "7KQ4-M2XP-9RTW-HJ3N-B6CL",
        "7KQ4-M2XP-9RTW-HJ3N-B6CU",
        "7KQ4-M2XP-9RTW-HJ3N-B6C!",
        "7KQ4_M2XP_9RTW_HJ3N_B6CD",
        "7KQ4-M2XP-9RTW-HJ3N-B6CＤ",
        "' OR 1=1 --",
    ],
    ids=[
        "empty",
        "four groups",
        "one short",
        "one group more",
        "zero",
        "letter O",
        "one",
        "letter I",
        "letter L",
        "letter U",
        "punctuation",
        "underscores",
        "full-width letter",
        "sql",
    ],
)
def test_something_that_cannot_be_a_code_is_refused(typed):
    assert tracking.normalise(typed) is None


def test_a_code_hash_is_stable_and_ignores_how_the_code_was_typed():
    code = tracking.new_code()
    digest = tracking.code_hash(code, KEY)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert tracking.code_hash(code, KEY) == digest
    assert tracking.code_hash(code.lower().replace("-", " "), KEY) == digest


def test_a_code_hash_depends_on_the_key():
    code = tracking.new_code()
    assert tracking.code_hash(code, KEY) != tracking.code_hash(code, b"another-key")


def test_different_codes_have_different_hashes():
    first, second = tracking.new_code(), tracking.new_code()
    assert tracking.code_hash(first, KEY) != tracking.code_hash(second, KEY)


def test_a_hash_is_never_made_of_something_that_is_not_a_code():
    with pytest.raises(ValueError):
        tracking.code_hash("not a code", KEY)


def test_the_database_keeps_only_the_keyed_hash_of_the_code(app, requester, tmp_path):
    code = requester.submit_and_get_code()
    canonical = tracking.normalise(code)
    expected_hash = tracking.code_hash(code, app.config["TRACKING_KEY"].encode())

    with app.app_context(), db.connection_context():
        stored = Request.get()
    assert stored.tracking_hash == expected_hash

    raw = database_bytes(tmp_path)
    # The reading itself finds what is stored: the hash is there in the clear.
    assert expected_hash.encode() in raw
    for form in (code, canonical, code.lower(), canonical.lower()):
        assert form.encode() not in raw
        assert form.encode("utf-16-le") not in raw

    for value in every_stored_value(tmp_path):
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        assert canonical not in text.upper().replace("-", "")


def test_the_code_is_not_kept_in_headers_or_the_session_cookie(app, requester, client):
    sent = requester.submit()
    page = client.get(CODE_PAGE)
    code = code_on(page)
    assert code
    for response in (sent, page):
        headers = str(response.headers)
        assert code not in headers
        assert tracking.normalise(code) not in headers

    cookie = client.get_cookie("session")
    assert cookie is not None
    session = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    assert session, "the session cookie could not be read"
    assert code not in repr(session)
    assert tracking.normalise(code) not in repr(session)
