"""Each rule has one owner: the vocabulary, the role groups, the keyed hashes, the keyring."""

import re
from pathlib import Path

import pytest

from portal import access, keys, sealing, tracking, vocabulary
from portal.models import AuditEvent

from portal_testing import TEST_DATA_KEYS, Requester, make_app

PORTAL = Path(__file__).resolve().parent.parent / "portal"
TEMPLATES = PORTAL.parent / "templates"


def test_every_audit_action_the_code_records_is_in_the_vocabulary_and_no_other():
    source = "\n".join(path.read_text() for path in PORTAL.rglob("*.py"))
    recorded = set(re.findall(r'audit\.record\(\s*"([a-z_.]+)"', source))

    assert recorded == set(vocabulary.AUDIT_ACTIONS)


def test_every_state_has_a_label_for_staff_and_for_the_requester():
    assert set(vocabulary.STAFF_LABELS) == set(vocabulary.STATES)
    assert set(vocabulary.PUBLIC_LABELS) == set(vocabulary.STATES)
    assert set(vocabulary.PUBLIC_EXPLANATIONS) == set(vocabulary.STATES)
    assert set(vocabulary.STATES) == vocabulary.OPEN_STATES | vocabulary.CLOSED_STATES
    assert not vocabulary.OPEN_STATES & vocabulary.CLOSED_STATES


def test_no_template_compares_a_raw_state_or_role():
    words = "|".join(
        re.escape(word)
        for word in (*vocabulary.STATES, *vocabulary.ROLES, *vocabulary.OFFER_LABELS)
    )
    comparison = re.compile(rf"""(==|!=|\bin)\s*\(?\s*["']({words})["']""")
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in comparison.finditer(path.read_text())
    ]
    assert offenders == []


def test_no_view_or_domain_module_spells_a_role_name():
    offenders = [
        f"{path.relative_to(PORTAL)}: {match.group(0)}"
        for path in PORTAL.rglob("*.py")
        if path.name not in ("vocabulary.py", "cli.py")  # cli.py: the demo accounts' data
        for match in re.finditer(r"""["'](admin|reviewer|org_member)["']""", path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("role", "reviews", "administers", "answers_offers"),
    [
        ("admin", True, True, False),
        ("reviewer", True, False, False),
        ("org_member", False, False, True),
    ],
)
def test_role_groups_say_who_may_do_what(role, reviews, administers, answers_offers):
    class Account:
        pass

    account = Account()
    account.role = role
    assert access.may_review(account) is reviews
    assert access.may_administer(account) is administers
    assert access.answers_offers(account) is answers_offers
    assert access.belongs_to_organization(role) is answers_offers


def test_nobody_signed_in_may_do_anything():
    assert not access.may_review(None)
    assert not access.may_administer(None)
    assert not access.answers_offers(None)


# --- keyed hashes ------------------------------------------------------------------------------


def test_one_value_hashed_for_two_purposes_gives_two_unrelated_hashes(app):
    with app.app_context():
        hashes = {purpose: keys.keyed_hash(purpose, "same value") for purpose in keys.PURPOSES}

    assert len(set(hashes.values())) == len(keys.PURPOSES)


def test_a_keyed_hash_changes_with_its_key(tmp_path):
    first = make_app(tmp_path / "a", SECRET_KEY="one secret key")
    second = make_app(tmp_path / "b", SECRET_KEY="another secret key")
    with first.app_context():
        one = keys.keyed_hash("recovery_code", "ABCD")
    with second.app_context():
        other = keys.keyed_hash("recovery_code", "ABCD")

    assert one != other


def test_stored_tracking_hashes_keep_opening_their_requests(app):
    """Tracking codes were hashed without a label from the start: a code given out
    before keyed hashes were gathered in one place must still open its request."""
    import hashlib
    import hmac

    code = tracking.new_code()
    canonical = tracking.normalise(code)
    with app.app_context():
        stored_before = hmac.new(
            app.config["TRACKING_KEY"].encode(), canonical.encode(), hashlib.sha256
        ).hexdigest()
        assert tracking.code_hash(code) == stored_before


# --- the data keyring belongs to its app ----------------------------------------------------


def test_two_apps_in_one_process_keep_their_own_data_keys(tmp_path):
    other_keys = "t2:" + "b" * 42 + "c="
    first = make_app(tmp_path / "first", DATA_KEYS=TEST_DATA_KEYS)
    second = make_app(tmp_path / "second", DATA_KEYS=other_keys)

    with first.app_context():
        sealed_by_first = sealing.keyring().seal("Yolanda", "request|name|x")
    with second.app_context():  # created later: it must not have replaced the first's keys
        assert sealing.keyring().current == "t2"
        with pytest.raises(sealing.SealError):
            sealing.keyring().open(sealed_by_first, "request|name|x")
    with first.app_context():
        assert sealing.keyring().open(sealed_by_first, "request|name|x") == "Yolanda"


# --- the review page records what was read, not what was refused ------------------------------


def test_a_refused_action_does_not_record_a_view_of_the_request(app):
    from portal import accounts, intake

    from portal_testing import csrf_token

    code = Requester(app.test_client()).submit_and_get_code()
    with app.app_context():
        accounts.create_user("r@example.org", "reviewer", "a long test passphrase 7431")
        reference = intake.open_with_code(code).reference
    app.config["TOTP_REQUIRED_ROLES"] = ""
    client = app.test_client()
    token = csrf_token(client, "/staff/sign-in")
    client.post(
        "/staff/sign-in",
        data={
            "email": "r@example.org",
            "password": "a long test passphrase 7431",
            "csrf_token": token,
        },
    )
    token = csrf_token(client, f"/review/{reference}")
    with app.app_context():
        views_before = AuditEvent.select().where(AuditEvent.action == "request.viewed").count()

    refused = client.post(
        f"/review/{reference}/act", data={"csrf_token": token, "action": "approve", "version": "1"}
    )

    assert refused.status_code == 409
    with app.app_context():
        assert (
            AuditEvent.select().where(AuditEvent.action == "request.viewed").count() == views_before
        )
