"""What keys that people hold cost (portal.keychain, portal.request_keys).

Run with `make bench` (`run(workdir)` gives its section of the report), or alone:
`python benchmarks/keys.py`. Measured in process, on a SQLite portal in a temporary folder:

- a sign-in's extra work: the account's key opened with Argon2id at the shipped cost;
- a request page's extra work: its notes and messages opened with a reviewer's key (the
  request's keys unwrapped once, then each value), against the same number of values
  sealed under the server's keyring as before;
- a request page's details (name, place, situation...: five keys) opened;
- an organization's inbox: the town or area of each of its offers opened, their keys loaded
  in one query;
- writing: one note sealed to the request's key.

The reviewers' queue and the other list pages open nothing, so they gain nothing.
"""

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from report import Section  # noqa: E402
from seed import settings  # noqa: E402

from portal import (  # noqa: E402
    accounts,
    create_app,
    envelopes,
    intake,
    keychain,
    offers,
    request_keys,
    review,
    sealing,
    vocabulary,
    workflow,
)
from portal.db import db, migrate  # noqa: E402
from portal.models import InternalNote, Message, Organization, Request, User  # noqa: E402

from portal_testing import request_fields  # noqa: E402

PASSWORD = "a long benchmark passphrase 4417"  # noqa: S105 - a throwaway database's account
NOTES = MESSAGES = 10
INBOX = 20  # open offers in one organization's inbox
DETAILS = ("name", "organization", "place", "situation", "asked_for", "other_languages")
ROUNDS = 200
TEXT = "Called the desk; the leader moves on Friday. " * 11  # about 500 characters


def _median_ms(action, rounds=ROUNDS) -> float:
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def measure(folder: Path) -> list[list]:
    app = create_app(settings(folder))
    rows = []
    with app.app_context(), db.connection_context():
        migrate()
        reviewer = accounts.create_user("bench@example.org", "reviewer", PASSWORD)
        user = User.get_by_id(reviewer.id)
        private = keychain.unlock(user, PASSWORD)
        keychain.signed_in(user, private)  # takes the network's key, as a first sign-in
        request = intake.submit(request_fields(), "en").request
        for index in range(NOTES):
            review.add_note(request, user, f"{index} {TEXT}")
        for index in range(MESSAGES):
            intake.add_information(request, f"{index} {TEXT}")

        rows.append(
            [
                "sign-in: the account's key opened (Argon2id, 64 MiB)",
                _median_ms(lambda: keychain.unlock(user, PASSWORD), rounds=10),
            ]
        )

        def open_all():
            with request_keys.reading_as(user, private):
                for note in InternalNote.select():
                    assert note.body
                for message in Message.select():
                    assert message.body

        keyring = sealing.keyring()
        blobs = [
            (keyring.seal(f"{index} {TEXT}", f"bench|body|{index}"), f"bench|body|{index}")
            for index in range(NOTES + MESSAGES)
        ]

        def read_rows():  # the same rows read, their values under the keyring
            list(InternalNote.select())
            list(Message.select())
            for blob, context in blobs:
                keyring.open(blob, context)

        with_keys, with_keyring = _median_ms(open_all), _median_ms(read_rows)
        rows.append(
            [
                f"request page: {NOTES} notes and {MESSAGES} messages opened with people's keys",
                with_keys,
            ]
        )
        rows.append(
            [f"the same {NOTES + MESSAGES} values under the server's keyring", with_keyring]
        )
        rows.append(["added to a request page", with_keys - with_keyring])
        rows.append(
            [
                "one 500-character note sealed to the request's key (writing)",
                _median_ms(lambda: request_keys.seal(request.id, "staff", TEXT, "bench|body|x")),
            ]
        )
        answers = {**request_fields(), "organization": "Colectivo", "other_languages": "Nasa"}
        detailed = intake.submit(answers, "en").request

        def open_details():
            with request_keys.reading_as(user, private):
                row = Request.get_by_id(detailed.id)
                for name in DETAILS:
                    assert getattr(row, name)

        rows.append(
            [f"request page: its {len(DETAILS)} details opened (4 keys)", _median_ms(open_details)]
        )
        rows.extend(_inbox(user, private))
        pair = envelopes.KeyPair.generate()
        wrapped = envelopes.wrap(b"k" * 32, pair.public, b"bench")
        rows.append(
            [
                "one HPKE unwrap (X25519)",
                _median_ms(lambda: envelopes.unwrap(wrapped, pair.private, b"bench")),
            ]
        )
    db.close()
    return rows


def _inbox(reviewer: User, reviewer_private: bytes) -> list[list]:
    """An organization's inbox of INBOX open offers: each row's town or area opened."""
    organization = Organization.create(
        key="bench-org", name="Bench", services="accompaniment", countries="CO", capacity=99
    )
    member = accounts.create_user(
        "member@bench.org", "org_member", PASSWORD, organization=organization
    )
    member_private = keychain.unlock(member, PASSWORD)
    ids = []
    with request_keys.reading_as(reviewer, reviewer_private):
        for _ in range(INBOX):
            request = intake.submit(request_fields(), "en").request
            workflow.transition(request, vocabulary.IN_REVIEW, "staff", user=reviewer)
            workflow.transition(request, vocabulary.APPROVED, "staff", user=reviewer)
            offers.offer(
                request, [organization], reviewer, expected_version=request.version, summary="S"
            )
            ids.append(request.id)
    keychain.signed_in(member, member_private)  # takes the organization's key

    def read_inbox():
        with request_keys.reading_as(member, member_private):
            request_keys.preload(ids, [request_keys.BRIEF])
            for row in Request.select().where(Request.id.in_(ids)):
                assert row.place

    def read_rows():
        list(Request.select().where(Request.id.in_(ids)))

    with_keys, rows_alone = _median_ms(read_inbox, rounds=50), _median_ms(read_rows, rounds=50)
    return [
        [f"inbox: {INBOX} offers' town or area opened", with_keys],
        ["added to the inbox", with_keys - rows_alone],
    ]


def run(workdir: Path | None = None) -> list[Section]:
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="portal-bench-keys-") as folder:
            rows = measure(Path(folder))
    else:
        folder = workdir / "keys"
        folder.mkdir(parents=True, exist_ok=True)
        rows = measure(folder)
    notes = [
        "In process, SQLite, one reviewer holding the network's key; medians of "
        f"{ROUNDS} rounds (10 for the sign-in). Each round opens the request's keys again, "
        "as each page does.",
        "Goal: a request page gains at most a few milliseconds. The reviewers' queue and "
        "the other lists open nothing; an organization's inbox opens the town or area of "
        "each of its offers (two X25519 a row, their keys loaded in one query).",
    ]
    return [
        Section("Keys that people hold: what they cost", ["operation", "median ms"], rows, notes)
    ]


if __name__ == "__main__":
    for section in run():
        print(section.markdown())
