"""The portal behind Debian's nginx as deploy/ sets it up (conftest.py): slow clients wait
in nginx and not in the portal, what is too large or too long is refused there, the
portal's headers arrive, and rate limits count each real client, however it names itself
in X-Forwarded-For. And gunicorn as deploy/gunicorn.conf.py starts it, without nginx."""

import contextlib
import http.client
import socket
import time

import brotli
import pytest

from portal_testing import WRONG_CODE
from portal_testing.served import ROOT, answered
from portal_testing.static import STATIC, unhashed
from security.test_headers import HSTS, SECURITY_HEADERS

WRONG = {"code": WRONG_CODE}
# Wrong tracking codes a client may send in a minute (TRACK_RATE_LIMIT in conftest.py).
LIMIT = 10
# What gunicorn writes when it answers by itself (gunicorn/util.py, write_error).
GUNICORN_PAGE = "<h1><p>"
NGINX_REFUSAL = "This request was refused before it reached the portal.\n"
NGINX_TOO_LARGE = "What you sent is larger than the portal accepts.\n"


def nginx_answered(answer) -> bool:
    """An answer nginx made itself: its short text, not a page of the portal's."""
    return answer.headers["Content-Type"] == "text/plain" and "<" not in answer.text


@contextlib.contextmanager
def slow_clients(site, count_each):
    """Clients that start a request and never finish it: the TLS handshake, the request
    line, the headers, the body, and on the onion block the headers, each cut off."""
    opened = []
    try:
        for _ in range(count_each):
            opened.append(socket.create_connection(("127.0.0.1", site.ports.https), 10))
            opened.append(site.connect())
            opened[-1].sendall(b"GET /healthz HT")
            opened.append(site.connect())
            opened[-1].sendall(f"GET / HTTP/1.1\r\nHost: {site.server_name}\r\nAccept-".encode())
            opened.append(site.connect())
            opened[-1].sendall(
                f"POST /track HTTP/1.1\r\nHost: {site.server_name}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 100000\r\n\r\ncode=".encode()
                + b"A" * 5000
            )
            opened.append(site.connect(circuit=1))
            opened[-1].sendall(f"GET / HTTP/1.1\r\nHost: {site.onion_address}\r\n".encode())
        yield opened
    finally:
        for sock in opened:
            sock.close()


def timed(request):
    start = time.monotonic()
    answer = request()
    return answer, time.monotonic() - start


def test_slow_clients_do_not_hold_up_anyone_else(site):
    # Of each kind, more unfinished requests than gunicorn has threads (8).
    with slow_clients(site, count_each=9):
        health, through_nginx = timed(lambda: site.get("/healthz"))
        home, page = timed(lambda: site.get("/"))
        direct, portal_itself = timed(lambda: site.served.browser().get("/healthz"))

    assert (health.status, home.status, direct.status) == (200, 200, 200)
    assert through_nginx < 1.0
    assert page < 1.0
    # nginx holds them all: every thread of the portal is free.
    assert portal_itself < 1.0


def test_a_body_over_the_limit_is_refused_by_nginx_before_it_is_sent(site):
    # The headers alone: nginx refuses at once, without reading a byte of the body.
    announced = site.request(
        "POST",
        "/track",
        {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": 1024 * 1024 + 1},
    )

    assert announced.status == 413
    assert announced.text == NGINX_TOO_LARGE  # not the portal's page
    assert nginx_answered(announced)


def test_a_chunked_body_over_the_limit_is_refused_by_nginx(site):
    body = b"code=" + b"x" * (1024 * 1024)
    chunks = b"".join(
        f"{len(body[i : i + 65536]):x}\r\n".encode() + body[i : i + 65536] + b"\r\n"
        for i in range(0, len(body), 65536)
    )
    raw = (
        (
            f"POST /track HTTP/1.1\r\nHost: {site.server_name}\r\nConnection: close\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        ).encode()
        + chunks
        + b"0\r\n\r\n"
    )

    answer = site.exchange(site.connect(), raw)

    assert answer.status == 413
    assert answer.text == NGINX_TOO_LARGE


def test_a_body_within_the_limit_reaches_the_portal(site):
    visitor = site.visitor("127.0.0.9")

    answer = visitor.post_form("/track", {"code": "x" * (1024 * 1024 - 500)})

    assert answer.status in (200, 400, 422)
    assert not nginx_answered(answer)


def test_the_portal_headers_arrive_through_the_proxy(site):
    answer = site.get("/")

    assert answer.status == 200
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get_all(name) == [value], name
    assert answer.headers["Strict-Transport-Security"] == HSTS
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Onion-Location"] == f"http://{site.onion_address}/"
    # nginx names itself, without a version; gunicorn is not named at all.
    assert answer.headers.get_all("Server") == ["nginx"]


def test_static_files_pass_through_compressed_with_the_same_headers_and_a_years_caching(site):
    addresses = STATIC.findall(site.get("/").text)
    answers = {
        address: site.get(address, headers={"Accept-Encoding": "gzip, br"}) for address in addresses
    }
    missing = site.get("/static/js/portal.js")  # a name without its hash: no such file

    assert len(addresses) == 3, addresses
    for address, answer in answers.items():
        assert answer.status == 200, address
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get_all(name) == [value], name
        assert answer.headers["Strict-Transport-Security"] == HSTS
        assert "Onion-Location" not in answer.headers
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert answer.headers["Content-Encoding"] == "br"
        assert "Accept-Encoding" in answer.headers["Vary"]
        source = ROOT / "portal" / "static" / unhashed(address)
        assert brotli.decompress(answer.body) == source.read_bytes()
    assert missing.status == 404
    assert "Page not found" in missing.text


def test_nginx_answers_in_its_own_words_with_the_portal_headers(site):
    too_large = site.request("POST", "/track", {"Content-Length": 2 * 1024 * 1024})

    assert nginx_answered(too_large)
    assert "nginx" not in too_large.text
    assert too_large.headers["X-Content-Type-Options"] == "nosniff"
    assert too_large.headers["X-Frame-Options"] == "DENY"
    assert too_large.headers["Cache-Control"] == "no-store"
    assert too_large.headers["Strict-Transport-Security"] == HSTS
    assert too_large.headers.get_all("Server") == ["nginx"]


def test_a_forged_x_forwarded_for_does_not_escape_the_rate_limit(site):
    visitor = site.visitor("127.0.0.2")

    answers = answered(
        visitor.post_form("/track", WRONG, {"X-Forwarded-For": f"198.51.100.{n}"})
        for n in range(LIMIT + 2)
    )

    assert answers == [200] * LIMIT + [429] * 2
    # Nor does claiming to be the client that reached the limit lock anyone else out.
    other = site.visitor("127.0.0.3")
    assert other.post_form("/track", WRONG, {"X-Forwarded-For": "127.0.0.2"}).status == 200


def test_two_real_client_addresses_are_counted_apart(site):
    first, second = site.visitor("127.0.0.4"), site.visitor("127.0.0.5")

    answers = answered(first.post_form("/track", WRONG) for _ in range(LIMIT + 1))

    assert answers == [200] * LIMIT + [429]
    assert second.post_form("/track", WRONG).status == 200


def test_each_tor_circuit_counts_as_a_client_of_its_own(site):
    first, second = site.visitor(circuit=0x10001), site.visitor(circuit=0x10002)

    answers = answered(first.post_form("/track", WRONG) for _ in range(LIMIT + 1))

    assert answers == [200] * LIMIT + [429]
    assert second.post_form("/track", WRONG).status == 200


def test_the_onion_service_sends_neither_hsts_nor_onion_location(site):
    page = site.get("/", circuit=7)
    script = site.get(STATIC.findall(page.text)[-1], circuit=7)
    refused = site.request("POST", "/track", {"Content-Length": 2 * 1024 * 1024}, circuit=7)

    assert (page.status, script.status, refused.status) == (200, 200, 413)
    for answer in (page, script, refused):
        assert "Strict-Transport-Security" not in answer.headers
        assert "Onion-Location" not in answer.headers
    for name, value in SECURITY_HEADERS.items():
        assert page.headers.get_all(name) == [value], name


@pytest.mark.parametrize("length", [4000, 4093, 4094, 4095, 4096, 5000, 9000])
def test_a_long_request_line_is_refused_by_nginx_or_reaches_the_portal(site, length):
    path = "/" + "a" * (length - len("GET / HTTP/1.1"))

    answer = site.get(path)

    assert len(f"GET {path} HTTP/1.1") == length
    assert GUNICORN_PAGE not in answer.text
    if length > 4094:
        assert (answer.status, answer.text) == (414, NGINX_REFUSAL)
    else:
        assert answer.status == 404  # the portal's own page for an unknown address
        assert not nginx_answered(answer)


@pytest.mark.parametrize("size", [4000, 4094, 4095, 5000, 8190, 9000])
def test_a_long_header_is_refused_by_nginx_or_reaches_the_portal(site, size):
    answer = site.get("/healthz", headers={"X-Long": "a" * (size - len("X-Long: "))})

    assert GUNICORN_PAGE not in answer.text
    if size > 4094:
        assert (answer.status, answer.text) == (400, NGINX_REFUSAL)
    else:
        assert answer.status == 200


def test_more_header_fields_than_gunicorn_takes_are_answered_by_nginx(site):
    # gunicorn takes 60 (deploy/gunicorn.conf.py) and answers 431 itself beyond that.
    answer = site.get("/healthz", headers={f"X-Field-{n}": "x" for n in range(80)})

    assert answer.status == 431
    assert answer.text == NGINX_REFUSAL
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_an_unknown_name_over_tls_is_not_even_shown_a_certificate(site):
    with pytest.raises(OSError):
        site.connect(server_name="portal-at-this-address.example").close()


def test_plain_http_is_sent_to_https(site):
    connection = http.client.HTTPConnection("127.0.0.1", site.ports.http, timeout=10)
    with contextlib.closing(connection):
        connection.request("GET", "/track?x=1", headers={"Host": "203.0.113.9"})
        answer = connection.getresponse()
        answer.read()

    assert answer.status == 301
    assert answer.headers["Location"] == f"https://{site.server_name}/track?x=1"
