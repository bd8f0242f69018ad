"""The tracking code and the client's address stay out of URLs, logs and the database file."""

import logging

import pytest

from portal_testing import (
    CODE_PAGE,
    Requester,
    code_on,
    csrf_token,
    guess_code,
    stored_request,
    urls_in,
)


def test_the_code_never_appears_in_a_url_or_after_the_confirmation(app, client):
    requester = Requester(client)
    pages, locations = [], []

    def visit(response):
        pages.append(response.get_data(as_text=True))
        if response.headers.get("Location"):
            locations.append(response.headers["Location"])
        return response

    visit(client.get("/"))
    visit(client.get("/request"))
    visit(requester.submit())  # 303 to the code page
    code = code_on(visit(client.get(CODE_PAGE)))
    assert code
    visit(client.get(CODE_PAGE))  # a refresh shows it again
    visit(requester.keep_code(code[-4:]))  # 303 to /track
    after_confirmation = len(pages)
    visit(client.get(CODE_PAGE))
    visit(client.get("/track"))
    visit(requester.open(code))
    visit(client.get("/track"))
    token = csrf_token(client, "/track")
    visit(client.post("/track/message", data={"body": "Update", "csrf_token": token}))
    visit(client.get("/track"))
    visit(client.get("/track/withdraw"))
    visit(client.post("/track/withdraw", data={"confirm": "y", "csrf_token": token}))
    visit(client.get("/track"))
    visit(client.post("/track/leave", data={"csrf_token": token}))
    visit(client.get("/"))

    assert stored_request(app)["state"] == "withdrawn"
    assert len(locations) == 6
    forms = {code, code.replace("-", ""), code.lower(), code.replace("-", "").lower()}
    urls = locations + [url for page in pages for url in urls_in(page)]
    assert urls
    for url in urls:
        assert not any(form in url for form in forms), url
    for page in pages[after_confirmation:]:
        assert not any(form in page for form in forms)


def test_the_code_never_reaches_the_logs(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    requester = Requester(client)

    code = requester.submit_and_get_code()
    requester.open("2345-6789-ABCD-EFGH-JKMN")
    requester.open(code.lower().replace("-", " "))
    token = csrf_token(client, "/track")
    client.post("/track/message", data={"body": "Logged?", "csrf_token": token})
    client.post("/track/withdraw", data={"confirm": "y", "csrf_token": token})
    client.post("/track/leave", data={"csrf_token": token})

    assert any("request submitted" in record.getMessage() for record in caplog.records)
    forms = {code, code.replace("-", ""), code.lower().replace("-", " ")}
    for record in caplog.records:
        text = " ".join([record.getMessage(), repr(record.args), str(record.exc_text or "")])
        assert not any(form in text for form in forms), text
        assert "Logged?" not in text


@pytest.mark.app_config(TRACK_RATE_LIMIT="3 per minute")
def test_the_logs_hold_no_client_address(app, caplog):
    caplog.set_level(logging.DEBUG)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    requester = Requester(client)

    requester.open(requester.submit_and_get_code())
    for _ in range(5):
        guess_code(client)
    client.get("/missing")

    assert caplog.records, "the flow should have logged something"
    for record in caplog.records:
        assert "198.51.100.23" not in record.getMessage() + repr(record.args)


def test_a_copy_of_the_database_file_holds_no_plaintext_code_or_address(tmp_path, app):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    requester = Requester(client)
    secrets_written = [
        "Leticia Plaintext",
        "Vereda Plaintext",
        "Paramilitaries watch the plaintext house.",
        "Plaintext accompaniment, please.",
        "@leticia.plaintext",
        "A plaintext message.",
    ]
    code = requester.submit_and_get_code(
        name=secrets_written[0],
        place=secrets_written[1],
        situation=secrets_written[2],
        asked_for=secrets_written[3],
        contact_channel="signal",
        contact_detail=secrets_written[4],
    )
    requester.open(code)
    token = csrf_token(client, "/track")
    client.post("/track/message", data={"body": secrets_written[5], "csrf_token": token})

    files = sorted(tmp_path.glob("portal.sqlite3*"))
    assert files
    content = b"".join(path.read_bytes() for path in files)
    assert b"Plaintext" not in content and b"plaintext" not in content
    for secret in [code, code.replace("-", ""), "198.51.100.23", "127.0.0.1"]:
        assert secret.encode() not in content, secret
