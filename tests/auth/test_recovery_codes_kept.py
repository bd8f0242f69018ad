"""New recovery codes stay on their page, in any language, until the person saves them."""

from portal_testing import csrf_token, page_text
from portal_testing.auth import RECOVERY_CODE, REVIEWER, create_account, enrol, location
from portal_testing.staff import sign_in


def test_recovery_codes_survive_a_language_switch_until_saved(app, client):
    create_account(app, REVIEWER, "reviewer")
    sign_in(client, REVIEWER)
    _, codes = enrol(client)

    token = csrf_token(client, "/staff/recovery-codes")
    switched = client.post(
        "/staff/language",
        query_string={"lang": "es", "back": "/staff/recovery-codes"},
        data={"csrf_token": token, "switch_language": "es"},
    )
    shown = client.get(location(switched))
    assert shown.status_code == 200
    assert '<html lang="es"' in shown.get_data(as_text=True)
    assert "took too long" not in page_text(shown)
    assert RECOVERY_CODE.findall(page_text(shown)) == codes

    client.post("/staff/recovery-codes", data={"csrf_token": token})
    gone = client.get("/staff/recovery-codes", follow_redirects=True)
    assert not RECOVERY_CODE.search(page_text(gone))
