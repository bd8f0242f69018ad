"""Two-step sign-in: enrolment, TOTP codes, recovery codes, the roles that need it."""

import base64
import datetime
import json
import re

import pytest

from portal.models import RecoveryCode, User

from portal_testing import (
    AS_SHIPPED,
    csrf_token,
    database_bytes,
    page_text,
    sign_in,
    tags,
)
from portal_testing.auth import (
    ADMIN,
    HOME,
    ONE_STEP_MEMBERS,
    ORG_MEMBER,
    RECOVERY_CODE,
    REVIEWER,
    WRONG_ENROL_CODE,
    WRONG_SECOND_FACTOR,
    account,
    age_sessions,
    at_the_second_step,
    audit_trail,
    create_account,
    database,
    enrol,
    enrolment_secret,
    errors,
    location,
    send_code,
    sent_to_sign_in,
    server_sessions,
    signed_in_browser,
    totp_code,
    wrong_code,
)

pytestmark = pytest.mark.app_config(**ONE_STEP_MEMBERS)


@pytest.mark.parametrize("path", ["/review/", "/staff/", "/staff/password", "/admin/accounts"])
def test_a_password_alone_opens_nothing_for_a_reviewer(app, client, path):
    create_account(app, REVIEWER, "reviewer")

    assert location(sign_in(client, REVIEWER)) == "/staff/enrol"

    assert sent_to_sign_in(client.get(path), path)


def test_the_enrolment_page_shows_a_qr_code_and_a_160_bit_key(app, client):
    create_account(app, REVIEWER, "reviewer")
    sign_in(client, REVIEWER)

    response = client.get("/staff/enrol")

    assert response.status_code == 200
    images = [attrs["src"] for tag, attrs in tags(response.get_data(as_text=True)) if tag == "img"]
    prefix = "data:image/svg+xml;base64,"
    qr_codes = [src for src in images if src.startswith(prefix)]
    assert len(qr_codes) == 1
    assert b"<svg" in base64.b64decode(qr_codes[0].removeprefix(prefix))
    secret = enrolment_secret(client)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) * 8 == 160
    assert enrolment_secret(client) == secret, "a reload must not change a key being scanned"
    sealed = account(app, REVIEWER).totp_secret_sealed
    assert secret.encode() not in bytes(sealed)


def test_every_account_gets_its_own_key(app):
    keys = set()
    for email in (REVIEWER, "second.reviewer@example.org"):
        create_account(app, email, "reviewer")
        client = app.test_client()
        sign_in(client, email)
        keys.add(enrolment_secret(client))

    assert len(keys) == 2


def test_a_wrong_code_does_not_finish_enrolment(app, client):
    create_account(app, REVIEWER, "reviewer")
    sign_in(client, REVIEWER)
    secret = enrolment_secret(client)

    response = send_code(client, "/staff/enrol", wrong_code(secret))

    assert response.status_code == 200
    assert errors(response) == {"code": [WRONG_ENROL_CODE]}
    assert not RECOVERY_CODE.search(response.get_data(as_text=True))
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    assert not account(app, REVIEWER).totp_confirmed


def test_the_right_code_signs_in_and_shows_ten_recovery_codes_until_saved(app, client):
    create_account(app, REVIEWER, "reviewer")
    sign_in(client, REVIEWER, next_path="/review/")

    secret, codes = enrol(client)

    assert len(codes) == len(set(codes)) == 10
    assert client.get("/review/").status_code == 200
    assert account(app, REVIEWER).totp_confirmed
    # Signed in: the sign-in steps send them on, with no false "sign in again".
    again = client.get("/staff/enrol", follow_redirects=True)
    assert "took too long" not in page_text(again)
    assert RECOVERY_CODE.findall(page_text(again)) == codes  # not saved yet: shown again

    token = csrf_token(client, "/staff/recovery-codes")
    saved = client.post("/staff/recovery-codes", data={"csrf_token": token})
    assert location(saved) == "/review/"  # the page asked for before signing in
    for path in ("/staff/recovery-codes", "/staff/enrol", "/staff/"):
        assert not RECOVERY_CODE.search(page_text(client.get(path, follow_redirects=True)))
    assert ("account.totp_enrolled", REVIEWER, REVIEWER, "") in audit_trail(app)


def test_later_sign_ins_ask_for_the_code(app):
    _, secret, _ = signed_in_browser(app, "reviewer", REVIEWER)
    client = app.test_client()

    assert location(sign_in(client, REVIEWER)) == "/staff/code"
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    assert location(client.get("/staff/enrol")) == "/staff/code", "no second enrolment"

    response = send_code(client, "/staff/code", totp_code(secret, 1))

    assert location(response) == "/review/"
    assert client.get("/review/").status_code == 200


def test_a_wrong_code_at_the_second_step_is_refused_and_recorded(app):
    client, secret, _ = at_the_second_step(app)

    response = send_code(client, "/staff/code", wrong_code(secret))

    assert response.status_code == 200
    assert errors(response) == {"code": [WRONG_SECOND_FACTOR]}
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    assert ("sign_in.second_factor_failed", None, REVIEWER, "") in audit_trail(app)


def test_a_totp_code_works_once(app):
    create_account(app, REVIEWER, "reviewer")
    enrolling = app.test_client()
    sign_in(enrolling, REVIEWER)
    secret = enrolment_secret(enrolling)
    enrolment_code = totp_code(secret)
    assert send_code(enrolling, "/staff/enrol", enrolment_code).status_code == 201
    next_code = totp_code(secret, 1)

    replaying_enrolment_code = app.test_client()
    sign_in(replaying_enrolment_code, REVIEWER)
    first = app.test_client()
    sign_in(first, REVIEWER)
    second = app.test_client()
    sign_in(second, REVIEWER)

    assert send_code(replaying_enrolment_code, "/staff/code", enrolment_code).status_code == 200
    assert location(send_code(first, "/staff/code", next_code)) == "/review/"
    replay = send_code(second, "/staff/code", next_code)
    assert replay.status_code == 200
    assert errors(replay) == {"code": [WRONG_SECOND_FACTOR]}
    assert sent_to_sign_in(second.get("/review/"), "/review/")
    assert first.get("/review/").status_code == 200


def test_a_recovery_code_works_once(app):
    lost_phone, _, codes = at_the_second_step(app)

    assert location(send_code(lost_phone, "/staff/code", codes[0])) == "/review/"
    assert lost_phone.get("/review/").status_code == 200

    someone_who_saw_the_code = app.test_client()
    sign_in(someone_who_saw_the_code, REVIEWER)
    replay = send_code(someone_who_saw_the_code, "/staff/code", codes[0])
    assert replay.status_code == 200
    assert errors(replay) == {"code": [WRONG_SECOND_FACTOR]}
    assert sent_to_sign_in(someone_who_saw_the_code.get("/review/"), "/review/")
    assert ("account.recovery_code_used", REVIEWER, REVIEWER, "") in audit_trail(app)


def test_a_recovery_code_may_be_typed_in_lower_case_without_dashes(app):
    client, _, codes = at_the_second_step(app)

    response = send_code(client, "/staff/code", codes[3].lower().replace("-", ""))

    assert location(response) == "/review/"


def test_recovery_codes_are_stored_only_as_hashes(app, tmp_path):
    _, _, codes = signed_in_browser(app, "reviewer", REVIEWER)

    with database(app):
        rows = [json.dumps(row, default=str) for row in RecoveryCode.select().dicts()]
        user_row = json.dumps(
            User.select().where(User.email == REVIEWER).dicts().get(), default=str
        )
    assert len(rows) == 10
    stored = database_bytes(tmp_path)
    for code in codes:
        for form in (code, code.replace("-", ""), code.lower()):
            assert not any(form in row for row in rows)
            assert form not in user_row
            assert form.encode() not in stored


def test_the_second_step_must_follow_the_password_within_five_minutes(app):
    client, secret, _ = at_the_second_step(app)
    token = csrf_token(client, "/staff/code")

    age_sessions(app, "staff_pending", created_at=datetime.timedelta(minutes=4))
    assert client.get("/staff/code").status_code == 200

    age_sessions(app, "staff_pending", created_at=datetime.timedelta(minutes=5, seconds=10))
    response = send_code(client, "/staff/code", totp_code(secret, 1), token=token)

    assert sent_to_sign_in(response)
    assert sent_to_sign_in(client.get("/review/"), "/review/")
    assert server_sessions(app, "staff_pending") == []
    assert [record.kind for record in server_sessions(app)] == ["staff"], "the first browser's"


def test_an_organization_member_signs_in_with_the_password_alone(app, client):
    create_account(app, ORG_MEMBER)

    assert location(sign_in(client, ORG_MEMBER)) == HOME["org_member"]
    assert client.get("/staff/").status_code == 200


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_staff_who_review_must_set_up_two_step_sign_in(app, client, role):
    create_account(app, ADMIN if role == "admin" else REVIEWER, role)

    response = sign_in(client, ADMIN if role == "admin" else REVIEWER)

    assert location(response) == "/staff/enrol"
    assert sent_to_sign_in(client.get(HOME[role]), HOME[role])


@pytest.mark.parametrize("role", ["admin", "reviewer", "org_member"])
@pytest.mark.app_config(TOTP_REQUIRED_ROLES=AS_SHIPPED)
def test_by_default_every_role_must_set_up_two_step_sign_in(app, role):
    create_account(app, ORG_MEMBER, role)
    client = app.test_client()

    assert location(sign_in(client, ORG_MEMBER)) == "/staff/enrol"
    assert sent_to_sign_in(client.get(HOME[role]), HOME[role])


@pytest.mark.app_config(TOTP_REQUIRED_ROLES="")
def test_without_required_roles_a_reviewer_signs_in_with_the_password_alone(app):
    create_account(app, REVIEWER, "reviewer")
    client = app.test_client()

    assert location(sign_in(client, REVIEWER)) == "/review/"
    assert client.get("/review/").status_code == 200
