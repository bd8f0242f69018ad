"""Members know an offer by its handle (K7QM-4XPT), never by the request's reference
(AR-2026-0042), whose number would tell them how many requests the network receives.

Handles are random; a member finds only their own organization's offers by one; a
reference, or anything not shaped like a handle, in a member's address is a plain 404 and
is never looked up; reviewers keep the reference and see each offer's handle beside it;
the migration gave a handle to every offer made before.
"""

import datetime
import logging
import re
from pathlib import Path

import pytest
from peewee import IntegrityError
from playhouse.migrations import Runner

from portal import handles, notices, offers
from portal.db import MIGRATIONS_DIR, db, migrate
from portal.models import Offer, utcnow

from portal_testing import (
    PASSWORD_ALONE,
    ROOM_FOR_MANY,
    add_organization,
    approved_request,
    create_staff_account,
    csrf_token,
    unmigrated_app,
)
from portal_testing.offers import CONTACT_PLAN, every_post, offer_url

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE, **ROOM_FOR_MANY)

# Any request reference, whatever its year and number.
REFERENCE = re.compile(r"AR-\d{4}-\d+")
SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
SUMMARY = "Hearings in May; accompaniment asked."


class Seen:
    """Everything the members were sent: each answer's body and where it led."""

    def __init__(self):
        self.answers = []

    def __call__(self, what, response):
        self.answers.append((what, response.status_code, response.get_data(as_text=True)))
        location = response.headers.get("Location", "")
        self.answers.append((f"{what} → Location", response.status_code, location))
        return response

    def follow(self, member, what, response):
        """The answer, and the page its redirect leads to (with its flash message)."""
        self(what, response)
        assert response.status_code == 303, (what, response.status_code)
        return self(f"{what} → page", member.get(response.headers["Location"]))

    def with_reference(self, reference):
        return [
            (what, status)
            for what, status, body in self.answers
            if "AR-" in body or reference in body or REFERENCE.search(body)
        ]


FORM_TOKEN = re.compile(r"[\w-]+\.[\w-]{6}\.[\w-]{27}")


def not_found(member, handle):
    """A 404 page as it reads whatever the address: the page echoes the address itself
    (where its language buttons lead), which is what the member typed, nothing more."""
    response = member.get(offer_url(handle))
    assert response.status_code == 404, handle
    page = response.get_data(as_text=True).replace(offer_url(handle), "/org/offers/…")
    # The form token is signed with the time to the second: two pages a second apart differ.
    return FORM_TOKEN.sub("token", page)


def outbox(app):
    """The emails the portal wrote (no SMTP server is set in these tests)."""
    folder = Path(app.instance_path) / "outbox"
    return [path.read_text("utf-8", "replace") for path in sorted(folder.glob("*.eml"))]


def test_a_member_never_sees_the_reference_through_a_whole_offer_lifecycle(case, app):
    seen = Seen()
    ours, theirs = case.members["brigadas"], case.members["tejido"]
    own, other = case.handle["brigadas"], case.handle["tejido"]
    htmx = {"HX-Request": "true"}

    for member, handle in ((ours, own), (theirs, other)):
        seen("inbox", member.get("/org/"))
        seen("inbox, htmx", member.get("/org/", headers=htmx))
        seen("offer", member.get(offer_url(handle)))
        seen("offer, htmx", member.get(offer_url(handle), headers=htmx))
        for lang in ("fr", "es"):
            seen(f"offer in {lang}", member.get(offer_url(handle) + f"?lang={lang}"))
    seen("accept without a plan", ours.post(offer_url(own, "accept"), {"accept-confirm": "y"}))
    seen("decline without a reason", ours.post(offer_url(own, "decline"), {}))
    seen.follow(ours, "accept", ours.post(offer_url(own, "accept"), CONTACT_PLAN))
    seen("accept again", ours.post(offer_url(own, "accept"), CONTACT_PLAN))

    # The other organization, too late: the notices and refusals it reads.
    seen("too late to accept", theirs.post(offer_url(other, "accept"), CONTACT_PLAN))
    seen("too late to decline", theirs.post(offer_url(other, "decline"), {"decline-reason": "No"}))
    seen("closed offer", theirs.get(offer_url(other)))
    seen("inbox after", theirs.get("/org/"))

    # The requester writes; the organization answers, reports, and moves the work on.
    client = case.requester.client
    case.requester.open(case.code)
    client.post(
        "/track/organization-message",
        data={"organization-body": "Call after six.", "csrf_token": csrf_token(client, "/track")},
    )
    seen("thread", ours.get(offer_url(own) + "#thread"))
    message = ours.post(offer_url(own, "message"), {"thread-body": "We call on Tuesday."})
    seen.follow(ours, "message", message)
    seen("empty update", ours.post(offer_url(own, "update"), {"update-body": " "}))
    update = ours.post(offer_url(own, "update"), {"update-body": "We met them."})
    seen.follow(ours, "update", update)
    seen("start unticked", ours.post(offer_url(own, "start"), {"version": "1"}))
    stale = {"version": "1", "confirm": "y", "rhythm": "none"}
    seen("start, stale", ours.post(offer_url(own, "start"), stale))
    seen.follow(ours, "start", case.move("brigadas", "start"))
    seen.follow(ours, "complete", case.move("brigadas", "complete"))
    for path, data in every_post(own, version=str(case.request().version)):
        seen(f"after the end: {path}", ours.post(path, data))
    seen("ended offer", ours.get(offer_url(own)))
    seen("history", ours.get("/org/?page=1#history"))
    seen("home", ours.get("/staff/"))
    seen("settings", ours.get("/staff/settings"))
    seen("unknown offer", ours.get(offer_url("K7QM-4XPT")))

    assert seen.with_reference(case.reference) == []
    assert len(seen.answers) > 60
    assert own in seen.answers[4][2]  # the offer page names the offer by its handle

    with app.app_context():
        notices.deliver(utcnow() + datetime.timedelta(days=2))  # digests too
    mails = outbox(app)
    to_members = [text for text in mails if "@brigadas.test" in text or "@tejido.test" in text]
    assert to_members  # told of the offer and of the requester's message
    for text in to_members:
        assert "AR-" not in text and not REFERENCE.search(text)


def test_the_offer_page_is_called_by_its_handle(case):
    member, handle = case.members["brigadas"], case.handle["brigadas"]
    page = member.text(offer_url(handle))
    assert f"<title>Offer {handle} ·" in page
    assert f">Offer {handle}</h1>" in page
    assert 'class="handle">' + handle in member.text("/org/")
    french = member.text(offer_url(handle) + "?lang=fr")
    assert f">Proposition {handle}</h1>" in french


def test_reviewers_keep_the_reference_and_see_each_offers_handle(case):
    page = case.reviewer.text(f"/review/{case.reference}")
    assert f"Request {case.reference}" in page
    for handle in case.handle.values():
        assert f"Offer {handle}" in page


@pytest.mark.parametrize(
    "typed", ["{handle}", "{handle_lower}", "{handle_bare}", "  {handle}  "], ids=str
)
def test_a_reviewer_finds_the_request_by_the_handle_a_member_reads_out(case, typed):
    handle = case.handle["tejido"]
    typed = typed.format(
        handle=handle, handle_lower=handle.lower(), handle_bare=handle.replace("-", "")
    )
    queue = case.reviewer.page("/review/", query_string={"reference": typed})
    assert f"/review/{case.reference}" in queue
    nothing = case.reviewer.page("/review/", query_string={"reference": "ZZZZ-ZZZZ"})
    assert f"/review/{case.reference}" not in nothing


def test_handles_are_random_not_counted(app):
    with app.app_context():
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        organization = add_organization("brigadas", name="Brigadas del Macizo")
        made = []
        for _ in range(12):
            request = approved_request(reviewer)
            made += offers.offer(
                request,
                [organization],
                reviewer,
                expected_version=request.version,
                summary=SUMMARY,
            )
        stored = [Offer.get_by_id(offer.id).handle for offer in made]
    assert [offer.handle for offer in made] == stored
    assert all(SHAPE.fullmatch(handle) for handle in stored), stored
    assert len(set(stored)) == len(stored)
    # One after the other, yet in no order: 12 random handles sort themselves
    # by chance once in 12! (about 480 million).
    assert stored != sorted(stored) and stored != sorted(stored, reverse=True)


def test_a_new_handle_draws_every_character_of_the_alphabet_at_every_place():
    drawn = [handles.new_handle() for _ in range(3000)]
    assert all(handles.is_handle(handle) for handle in drawn)
    assert len(set(drawn)) > 2990  # 40 random bits: repeats are the rare exception
    letters = [handle.replace("-", "") for handle in drawn]
    for place in range(2 * handles.GROUP):
        assert {handle[place] for handle in letters} == set(handles.ALPHABET), place
    assert not set("ILOU") & set(handles.ALPHABET)


def test_a_handle_of_another_organization_is_a_404_like_one_never_given(case):
    intruder, theirs = case.members["brigadas"], case.handle["tejido"]
    before = case.snapshot()
    assert not_found(intruder, theirs) == not_found(intruder, "K7QM-4XPT")
    for path, data in every_post(theirs, version=str(case.request().version)):
        assert intruder.post(path, data).status_code == 404, path
    assert case.snapshot() == before


def test_the_reference_in_a_member_address_is_a_404(case):
    member = case.members["brigadas"]
    before = case.snapshot()
    unknown = not_found(member, "K7QM-4XPT")
    for reference in (case.reference, case.reference.lower(), case.offer("brigadas").uid):
        assert not_found(member, reference) == unknown
        for path, data in every_post(reference, version=str(case.request().version)):
            assert member.post(path, data).status_code == 404, path
    assert case.snapshot() == before


BAD_SHAPES = [
    "AR-2026-0001",
    "k7qm-4xpt",  # a handle as typed, not as the portal writes it
    "K7QM4XPT",
    "K7QM-4XP",
    "K7QM-4XPTT",
    "K7QM-4XPI",  # I is not in the alphabet
    "K7QM-4XP\x00",
    "K7QM\x00-4XPT",
    "K7QM-4XPT\n",
    "K７QM-4XPT",  # a full-width digit
    "' OR 1=1 --",
    "%",
    "",
    "x" * 5000,
]


@pytest.mark.parametrize("shape", BAD_SHAPES, ids=repr)
def test_what_is_not_shaped_like_a_handle_is_never_looked_up(shape, monkeypatch):
    def no_query(*args, **kwargs):
        raise AssertionError("looked up")

    monkeypatch.setattr(Offer, "get_or_none", no_query)
    assert not handles.is_handle(shape)
    assert offers.offer_for(None, shape) is None


@pytest.mark.parametrize(
    "path",
    ["AR-2026-0001", "k7qm-4xpt", "K7QM-4XP%00", "%00", "K7QM-4XPT%0A", "x" * 500],
)
def test_a_member_address_that_is_no_handle_reaches_no_offer_query(case, caplog, path):
    member = case.members["brigadas"]
    caplog.set_level(logging.DEBUG, logger="peewee")
    assert member.get(offer_url(path)).status_code == 404
    assert member.post(offer_url(path, "accept"), CONTACT_PLAN).status_code == 404
    queries = [record.getMessage() for record in caplog.records if record.name == "peewee"]
    assert queries  # the session was read: the log does see the queries
    assert not [query for query in queries if 'FROM "offer"' in query]


def test_the_migration_gives_a_handle_to_every_offer_made_before(tmp_path):
    app = unmigrated_app(tmp_path)
    with app.app_context(), db.connection_context():
        migrate()
        reviewer = create_staff_account("reviewer@network.test", "reviewer")
        organizations = [add_organization(key) for key in ("andes", "sahel")]
        for _ in range(3):
            request = approved_request(reviewer)
            offers.offer(
                request, organizations, reviewer, expected_version=request.version, summary=SUMMARY
            )
        runner = Runner(db.obj, str(MIGRATIONS_DIR))
        assert "0014_offer_handles" in runner.down(target="0014_offer_handles")
        assert "handle" not in {column.name for column in db.get_columns("offer")}
        assert db.execute_sql("SELECT COUNT(*) FROM offer").fetchone() == (6,)

        assert "0014_offer_handles" in migrate()
        given = [row[0] for row in db.execute_sql("SELECT handle FROM offer ORDER BY id")]
        assert len(given) == 6
        assert all(SHAPE.fullmatch(handle) for handle in given), given
        assert len(set(given)) == 6
        column = {c.name: c for c in db.get_columns("offer")}["handle"]
        assert not column.null
        assert ("handle",) in {tuple(i.columns) for i in db.get_indexes("offer") if i.unique}
        first = Offer.select().order_by(Offer.id).first()
        with pytest.raises(IntegrityError), db.atomic():
            Offer.update(handle=given[1]).where(Offer.id == first.id).execute()
