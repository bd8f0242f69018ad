"""The portal on the real servers: PostgreSQL for the data, Redis for the rate-limit counts.

Both run on 127.0.0.1 (PostgreSQL 5432 with trust auth for user postgres; Redis 6379).
When they are unreachable the tests are skipped, unless PORTAL_REQUIRE_SERVICES=1 (CI),
where a missing server is a failure.
"""

import re

import pytest
from markupsafe import escape

from portal.db import db
from portal.models import MODELS, Request

from portal_testing import (
    HOSTILE,
    PG,
    Requester,
    admin_connection,
    csrf_token,
    guess_code,
    make_app,
    redis_connection,
    row_counts,
    valid_request_data,
)
from portal_testing.keys import as_escrow

REDIS_DB = 15
REDIS_URI = f"redis://127.0.0.1:6379/{REDIS_DB}"
CONTROL_MESSAGE = "This contains invisible control characters. Please retype it."

# Room for the requests of every test on one database.
pytestmark = pytest.mark.app_config(SUBMIT_RATE_LIMIT="1000 per hour")


@pytest.fixture
def raw(pg_name):
    """A psycopg2 connection to the test database, to look at what is really stored."""
    import psycopg2

    connection = psycopg2.connect(dbname=pg_name, **PG)
    connection.autocommit = True
    yield connection
    connection.close()


def stored(app):
    with app.app_context(), db.connection_context(), as_escrow():
        return [
            {
                "name": row.name,
                "organization": row.organization,
                "place": row.place,
                "situation": row.situation,
                "asked_for": row.asked_for,
                "other_languages": row.other_languages,
                "contact_detail": row.contact_detail,
                "state": row.state,
                "messages": [message.body for message in row.messages()],
            }
            for row in Request.select().order_by(Request.id)
        ]


# --- PostgreSQL ----------------------------------------------------------------------------


def test_the_migrations_build_the_schema_the_models_describe(pg_app):
    from playhouse.schema_diff import diff_models

    with pg_app.app_context(), db.connection_context():
        difference = diff_models(db.obj, MODELS)
        tables = set(db.obj.get_tables())

    assert not difference, str(difference)
    assert {model._meta.table_name for model in MODELS} <= tables


def test_the_foreign_keys_cascade_on_postgresql(pg_app, raw):
    with raw.cursor() as cursor:
        cursor.execute(
            """
            SELECT cl.relname, a.attname, c.confdeltype FROM pg_constraint c
            JOIN pg_class cl ON cl.oid = c.conrelid
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f'
            """
        )
        rules = {(table, column): rule for table, column, rule in cursor.fetchall()}

    # c: deleting a request deletes what hangs on it; n: deleting a user keeps
    # the records, without the name.
    assert rules == {
        ("message", "request_id"): "c",
        ("message", "user_id"): "n",
        ("held", "user_id"): "c",
        ("server_session", "request_id"): "c",
        ("server_session", "user_id"): "c",
        ("timeline_event", "request_id"): "c",
        ("timeline_event", "user_id"): "n",
        ("internal_note", "request_id"): "c",
        ("internal_note", "user_id"): "n",
        ("audit_event", "user_id"): "n",
        ("audit_event", "target_user_id"): "n",
        ("recovery_code", "user_id"): "c",
        ("account", "organization_id"): "n",
        ("offer", "request_id"): "c",
        ("offer", "organization_id"): "c",
        ("offer", "offered_by_id"): "n",
        ("offer", "decided_by_id"): "n",
        ("timeline_event", "organization_id"): "n",
        ("progress_update", "request_id"): "c",
        ("progress_update", "organization_id"): "c",
        ("progress_update", "user_id"): "n",
        ("closing_report", "request_id"): "c",
        ("closing_report", "organization_id"): "c",
        ("closing_report", "user_id"): "n",
        ("check_in", "request_id"): "c",
        ("check_in", "organization_id"): "c",
        ("check_in", "user_id"): "n",
        ("organization_message", "request_id"): "c",
        ("organization_message", "organization_id"): "c",
        ("organization_message", "user_id"): "n",
        ("evaluation", "request_id"): "c",
        ("complaint", "request_id"): "c",
        ("complaint", "organization_id"): "n",
        ("notice_choice", "user_id"): "c",
        ("notice", "user_id"): "c",
        ("notice", "request_id"): "c",
        ("request_seen", "user_id"): "c",
        ("request_seen", "request_id"): "c",
        ("pending_code", "request_id"): "c",
        # A group's key goes with its grants; an account with the access it was given.
        ("key_grant", "group_key_id"): "c",
        ("key_grant", "user_id"): "c",
        ("key_grant", "granted_by_id"): "n",
        # A request's keys and their envelopes go with the request.
        ("request_key", "request_id"): "c",
        ("envelope", "request_key_id"): "c",
    }


def test_a_requester_goes_the_whole_way_on_postgresql(pg_app):
    client = pg_app.test_client()
    requester = Requester(client)

    code = requester.submit_and_get_code(name="Comunidad Nasa", situation="Amenazas desde marzo")
    assert requester.open(code).status_code == 303
    page = client.get("/track").get_data(as_text=True)
    assert "Comunidad Nasa" in page
    assert "Received" in page

    token = csrf_token(client, "/track")
    sent = client.post("/track/message", data={"body": "Hubo otra visita.", "csrf_token": token})
    assert sent.status_code == 303
    assert "Hubo otra visita." in client.get("/track").get_data(as_text=True)

    assert client.get("/track/withdraw").status_code == 200
    gone = client.post("/track/withdraw", data={"confirm": "y", "csrf_token": token})
    assert gone.status_code == 303
    page = client.get("/track").get_data(as_text=True)
    assert "Withdrawn by you" in page

    assert client.post("/track/leave", data={"csrf_token": token}).status_code == 303
    assert "Comunidad Nasa" not in client.get("/track").get_data(as_text=True)

    (request,) = stored(pg_app)
    assert request["state"] == "withdrawn"
    assert request["messages"] == ["Hubo otra visita."]
    assert row_counts(pg_app) == {
        "Organization": 0,
        "User": 0,
        "RecoveryCode": 0,
        "Request": 1,
        "ReferenceCounter": 1,
        "TimelineEvent": 2,
        "Message": 1,
        "Offer": 0,
        "OrganizationMessage": 0,
        "Evaluation": 0,
        "Complaint": 0,
        "ProgressUpdate": 0,
        "ClosingReport": 0,
        "CheckIn": 0,
        "InternalNote": 0,
        "AuditEvent": 0,
        "NoticeChoice": 0,
        "Notice": 0,
        "RequestSeen": 0,
        "PendingCode": 0,  # erased once the requester said they kept the code
        "Held": 0,
        # The network's key, made for the request's keys (its thread and its details:
        # brief, identity, contact, words), each wrapped to it, to the escrow and to the
        # requester; and the requester's own key pair, under their code and the escrow's.
        "GroupKey": 1,
        "KeyGrant": 0,
        "RequestKey": 6,
        "Envelope": 17,
        "ServerSession": 0,
        "JobRun": 0,
    }


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "organization",
        "place",
        "situation",
        "asked_for",
        "other_languages",
        "contact_detail",
    ],
)
def test_a_nul_byte_in_a_text_field_gets_the_form_message_not_a_500(pg_app, field):
    client = pg_app.test_client()
    token = csrf_token(client)
    extra = {"contact_channel": "signal"} if field == "contact_detail" else {}

    response = client.post(
        "/request", data=valid_request_data(csrf_token=token, **extra, **{field: "abc\x00def"})
    )

    assert response.status_code == 200
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    assert row_counts(pg_app)["Request"] == 0


@pytest.mark.parametrize(
    "field",
    [
        "service",
        "requester_kind",
        "country",
        "urgency",
        "start_date",
        "end_date",
        "people_count",
        "languages",
        "contact_channel",
        "contact_safe",
        "consent",
        "submission_token",
    ],
)
def test_a_nul_byte_in_any_other_field_never_gives_a_500(pg_app, field):
    requester = Requester(pg_app.test_client())

    response = requester.submit_and_follow(**{field: "x\x00"})  # refused, or the code page

    assert response.status_code == 200
    assert "Something went wrong" not in response.get_data(as_text=True)


def test_a_nul_byte_in_a_code_or_a_message_gets_the_form_message(pg_app):
    client = pg_app.test_client()
    requester = Requester(client)
    code = requester.submit_and_get_code()

    wrong = requester.open(code + "\x00")
    assert wrong.status_code == 200
    assert CONTROL_MESSAGE in wrong.get_data(as_text=True)

    requester.open(code)
    token = csrf_token(client, "/track")
    response = client.post("/track/message", data={"body": "hi\x00there", "csrf_token": token})

    assert response.status_code == 200
    assert CONTROL_MESSAGE in response.get_data(as_text=True)
    assert row_counts(pg_app)["Message"] == 0


def test_the_sealed_columns_hold_no_plaintext(pg_app, raw):
    client = pg_app.test_client()
    requester = Requester(client)
    secret_words = {
        "name": "Yolanda Perez Sealed",
        "organization": "Colectivo Sealed",
        "place": "Vereda Sealed",
        "situation": "Paramilitaries threatened the sealed assembly.",
        "asked_for": "Sealed accompaniment to the hearing.",
        "other_languages": "Nasa Yuwe Sealed",
        "contact_channel": "signal",
        "contact_detail": "@yolanda.sealed",
    }
    code = requester.submit_and_get_code(**secret_words)
    requester.open(code)
    token = csrf_token(client, "/track")
    client.post("/track/message", data={"body": "A sealed message body.", "csrf_token": token})

    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT name_sealed, organization_sealed, place_sealed, situation_sealed,"
            " asked_for_sealed, other_languages_sealed, contact_detail_sealed FROM request"
        )
        blobs = [bytes(blob) for blob in cursor.fetchone()]
        cursor.execute("SELECT body_sealed FROM message")
        blobs.append(bytes(cursor.fetchone()[0]))
        dumps = []
        for table in ("request", "message", "timeline_event", "server_session"):
            cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t")
            dumps += [row[0] for row in cursor.fetchall()]

    plaintexts = [value for key, value in secret_words.items() if key != "contact_channel"]
    plaintexts.append("A sealed message body.")
    assert len(blobs) == len(plaintexts)
    for blob, plaintext in zip(blobs, plaintexts, strict=True):
        assert plaintext.encode() not in blob
        assert b"Sealed" not in blob and b"sealed" not in blob
    everything = "\n".join(dumps)
    for plaintext in plaintexts:
        assert plaintext not in everything
    for form in (code, code.replace("-", "")):
        assert form not in everything


@pytest.mark.parametrize("payload", HOSTILE.values(), ids=list(HOSTILE))
def test_hostile_text_round_trips_exactly_on_postgresql(pg_app, payload):
    client = pg_app.test_client()
    requester = Requester(client)
    fields = ("name", "organization", "place", "situation", "asked_for", "other_languages")

    code = requester.submit_and_get_code(
        **dict.fromkeys(fields, payload), contact_channel="other", contact_detail=payload
    )
    requester.open(code)
    token = csrf_token(client, "/track")
    client.post("/track/message", data={"body": payload, "csrf_token": token})

    (request,) = stored(pg_app)
    for field in (*fields, "contact_detail"):
        assert request[field] == payload, field
    assert request["messages"] == [payload]
    page = client.get("/track").get_data(as_text=True)
    assert str(escape(payload)) in page
    if "<" in payload:
        assert payload not in page
    assert row_counts(pg_app)["Request"] == 1


def test_healthz_is_ok_on_postgresql(pg_app):
    response = pg_app.test_client().get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_reports_a_lost_database_as_503_not_an_error_page(pg_app, pg_name):
    """pages.healthz promises "not healthy", never a 500 page, for any database failure."""
    pg_app.config["PROPAGATE_EXCEPTIONS"] = False
    admin = admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE "{pg_name}" WITH (FORCE)')
    admin.close()

    response = pg_app.test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "error"}


def test_healthz_asks_the_database_at_most_once_a_second(pg_app, pg_name, monkeypatch):
    from portal.pages import views

    now = [100.0]
    monkeypatch.setattr(views.time, "monotonic", lambda: now[0])
    pg_app.config["PROPAGATE_EXCEPTIONS"] = False
    client = pg_app.test_client()
    assert client.get("/healthz").status_code == 200
    admin = admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE "{pg_name}" WITH (FORCE)')
    admin.close()

    within = client.get("/healthz").status_code
    now[0] += views.HEALTH_SECONDS
    after = client.get("/healthz").status_code

    assert (within, after) == (200, 503)


# --- Redis ---------------------------------------------------------------------------------


@pytest.fixture
def redis_db():
    connection = redis_connection(REDIS_DB)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def redis_app_factory(tmp_path, redis_db):
    def build():
        return make_app(tmp_path, RATELIMIT_STORAGE_URI=REDIS_URI, TRACK_RATE_LIMIT="3 per minute")

    yield build
    if not db.is_closed():
        db.close()


def all_keys(connection):
    return [key.decode() for key in connection.keys("*")]


def test_the_fourth_wrong_code_is_throttled_with_redis(redis_app_factory, redis_db):
    app = redis_app_factory()
    client = app.test_client()

    answers = [guess_code(client).status_code for _ in range(4)]

    assert answers == [200, 200, 200, 429]
    assert "Too many attempts" in guess_code(client).get_data(as_text=True)
    assert all_keys(redis_db), "the count should live in Redis"


def test_two_workers_share_the_count_in_redis(redis_app_factory, redis_db):
    first_worker = redis_app_factory()
    second_worker = redis_app_factory()
    browser_on_first, browser_on_second = first_worker.test_client(), second_worker.test_client()

    assert guess_code(browser_on_first).status_code == 200
    assert guess_code(browser_on_second).status_code == 200
    assert guess_code(browser_on_first).status_code == 200
    assert guess_code(browser_on_second).status_code == 429
    assert guess_code(browser_on_first).status_code == 429

    counters = [key for key in all_keys(redis_db) if "open_tracking" in key]
    assert counters, all_keys(redis_db)
    # One counter for both workers, holding all five attempts (refused ones count too).
    assert [int(redis_db.get(key)) for key in counters] == [5]

    redis_db.flushdb()
    assert guess_code(browser_on_second).status_code == 200, "the count lives in Redis only"


def test_redis_keys_do_not_hold_the_client_address(redis_app_factory, redis_db):
    app = redis_app_factory()
    client = app.test_client()
    for _ in range(4):
        guess_code(client)
    neighbour = app.test_client()
    neighbour.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    guess_code(neighbour)

    keys = all_keys(redis_db)

    assert len(keys) == 2, keys
    for key in keys:
        assert "127.0.0.1" not in key
        assert "192.0.2.77" not in key
        assert not re.search(r"\d+\.\d+\.\d+\.\d+", key), key
