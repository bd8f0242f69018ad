"""What a requester's browser downloads: bytes on the wire for a first visit to each public
page (the page and every file it links), for a repeat visit with the browser's cache, and
for an htmx swap.

Chromium (Debian's, driven by Playwright) visits each page; its DevTools `Network` events
give each answer's bytes as received (`encodedDataLength`: headers and the body as sent,
compressed or not) and say which files came from its cache without asking. A repeat visit
opens the same page again in the same browser: files kept "immutable" or within their
max-age are not asked for, files marked no-cache are asked again (If-None-Match) and count
their 304. The swaps are sent by hand, as htmx sends them, on a raw connection whose every
received byte is counted.

Measured twice: as `make run` serves the portal (gunicorn alone), and behind the
deployment's nginx (deploy/nginx/, over TLS with a self-signed certificate, set up as
tests/deploy/conftest.py sets it up). Nothing is assumed about how the static files are
named or served: they are whatever the page links.

Run alone: python benchmarks/page_weight.py
"""

import base64
import contextlib
import hashlib
import http.client
import io
import os
import re
import socket
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import sync_playwright
from report import Section
from throughput import ROOT, demo_portal, free_port, serve_portal, serving

# nginx set up as the deployment tests set it up, with their certificate maker.
sys.path.insert(0, str(ROOT / "tests"))
from portal_testing.nginx import DEBIAN_NGINX_CONF, NGINX, Ports, configure  # noqa: E402
from portal_testing.tls import self_signed_certificate  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = [
    ("/", "home"),
    ("/request", "request form"),
    ("/track", "tracking entry"),
    ("/organizations", "directory"),
    ("/safety", "help: staying safe"),
]
KB = 1024
FIRST_VISIT_GOAL = 40 * KB
REPEAT_VISIT_GOAL = 12 * KB
SWAP_GOAL = 5 * KB
ACCEPT_ENCODING = "gzip, br"

SERVER_NAME = "portal.test"


# --- Where a client reaches the portal ---------------------------------------------------


@dataclass
class Origin:
    """The portal as a client reaches it: plain HTTP to gunicorn, or TLS to nginx."""

    name: str
    port: int
    host: str = "127.0.0.1"  # the Host header and, over TLS, the name the certificate bears
    tls: ssl.SSLContext | None = None
    chromium_args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Where the browser goes."""
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def authority(self) -> str:
        """The Host of requests sent by hand: over TLS, the name alone, as a browser sends it
        to a site on port 443 (the portal checks a form's Referer against it)."""
        return self.host if self.tls else f"{self.host}:{self.port}"

    @property
    def page_origin(self) -> str:
        return f"https://{self.host}" if self.tls else self.url

    def exchange(self, method: str, path: str, headers: dict, body: bytes = b"") -> "Answer":
        """Send one request on a connection of its own; every byte received is counted."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.authority}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines += [f"Content-Length: {len(body)}"] if body else []
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        if self.tls:
            sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        received = []
        with contextlib.closing(sock):
            sock.sendall(raw)
            while chunk := sock.recv(65536):
                received.append(chunk)
        return Answer.parse(b"".join(received))


class _Received:
    """What a socket received, for http.client to read as an answer."""

    def __init__(self, data: bytes):
        self.data = data

    def makefile(self, *args, **kwargs):
        return io.BytesIO(self.data)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes  # as sent: compressed if the server compressed it
    wire_bytes: int  # status line, headers and body, as received

    @classmethod
    def parse(cls, data: bytes) -> "Answer":
        response = http.client.HTTPResponse(_Received(data))
        response.begin()
        return cls(response.status, response.headers, response.read(), len(data))

    def cookies(self) -> str:
        values = [h.split(";", 1)[0] for h in self.headers.get_all("Set-Cookie") or ()]
        return "; ".join(values)


# --- nginx as the deployment sets it up ----------------------------------------------------


def trusted_key(certificate: Path) -> str:
    """The base64 SHA-256 of the certificate's public key, which Chromium is told to trust
    (so that it caches as on a real site)."""
    loaded = x509.load_pem_x509_certificate(certificate.read_bytes())
    public_key = loaded.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(public_key).digest()).decode()


@contextlib.contextmanager
def behind_nginx(folder: Path, upstream_port: int):
    """nginx with the shipped site in front of gunicorn on `upstream_port`: an Origin."""
    folder.mkdir(parents=True, exist_ok=True)
    certificate, key = self_signed_certificate(folder, SERVER_NAME)
    spki = trusted_key(certificate)
    ports = Ports(free_port(), free_port(), free_port())
    values = {
        "@SERVER_NAME@": SERVER_NAME,
        "@CERTIFICATE@": certificate,
        "@CERTIFICATE_KEY@": key,
        "@UPSTREAM@": f"127.0.0.1:{upstream_port}",
    }
    config = configure(folder, values, ports)
    directives = f"daemon off; pid {folder / 'nginx.pid'}; error_log {folder / 'error.log'};"
    command = [str(NGINX), "-p", str(folder), "-c", str(config), "-g", directives]
    https = ports.https
    origin = Origin(
        name="behind nginx (TLS)",
        port=https,
        host=SERVER_NAME,
        tls=ssl.create_default_context(cafile=str(certificate)),
        chromium_args=[
            f"--host-resolver-rules=MAP {SERVER_NAME} 127.0.0.1",
            f"--ignore-certificate-errors-spki-list={spki}",
        ],
    )
    # Ready once the plain-HTTP block answers (with its redirect to HTTPS).
    with serving(command, ports.http, os.environ.copy(), folder, folder / "nginx.out", "/"):
        end = time.monotonic() + 30
        while True:
            try:
                if origin.exchange("GET", "/healthz", {}).status == 200:
                    break
            except OSError:
                if time.monotonic() > end:
                    raise
            time.sleep(0.1)
        yield origin


# --- Visits in Chromium ------------------------------------------------------------------


@dataclass
class Fetched:
    url: str
    kind: str  # Document, Stylesheet, Script, Image, ...
    status: int = 0
    encoding: str = ""
    cache_control: str = ""
    wire_bytes: int = 0
    from_cache: bool = False
    finished: bool = False


@dataclass
class Visit:
    fetched: list[Fetched]

    @property
    def from_network(self) -> list[Fetched]:
        return [f for f in self.fetched if not f.from_cache]

    @property
    def wire_bytes(self) -> int:
        return sum(f.wire_bytes for f in self.from_network)

    @property
    def asset_requests(self) -> list[Fetched]:
        return [f for f in self.from_network if f.kind != "Document"]


class Recorder:
    """The requests of a page's visits, as Chromium's DevTools report them."""

    def __init__(self, context, page):
        self.page = page
        self.requests: dict[str, Fetched] = {}
        self.raw_statuses: dict[str, int] = {}
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.responseReceivedExtraInfo", self._raw_status)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._finished)

    def _sent(self, event):
        url = event["request"]["url"]
        if not url.startswith("data:"):
            self.requests[event["requestId"]] = Fetched(url, event.get("type", "Other"))

    def _from_cache(self, event):
        if event["requestId"] in self.requests:
            self.requests[event["requestId"]].from_cache = True

    def _received(self, event):
        fetched = self.requests.get(event["requestId"])
        if fetched is None:
            return
        response = event["response"]
        headers = {name.lower(): value for name, value in response["headers"].items()}
        fetched.status = response["status"]
        fetched.encoding = headers.get("content-encoding", "")
        fetched.cache_control = headers.get("cache-control", "")
        fetched.from_cache |= bool(response.get("fromDiskCache"))

    def _raw_status(self, event):
        # The status on the wire: a revalidated file is a 304 here, a 200 in responseReceived.
        self.raw_statuses[event["requestId"]] = event["statusCode"]

    def _finished(self, event):
        fetched = self.requests.get(event["requestId"])
        if fetched is not None:
            fetched.wire_bytes = int(event.get("encodedDataLength", 0))
            fetched.finished = True

    def visit(self, url: str) -> Visit:
        self.requests.clear()
        self.page.goto(url, wait_until="networkidle")
        end = time.monotonic() + 10
        while any(not f.finished for f in self.requests.values()) and time.monotonic() < end:
            self.page.wait_for_timeout(50)  # the last DevTools events may still be on their way
        for request_id, fetched in self.requests.items():
            fetched.status = self.raw_statuses.get(request_id, fetched.status)
        return Visit(list(self.requests.values()))


def visits(origin: Origin, path: str) -> tuple[Visit, Visit]:
    """A first visit to `path` in a fresh browser, then the same page again."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *origin.chromium_args]
        )
        try:
            context = browser.new_context()
            first = Recorder(context, context.new_page()).visit(origin.url + path)
            # In a new tab: from the HTTP cache, as when the person comes back later (the
            # first tab's memory cache would serve more than the headers allow).
            repeat = Recorder(context, context.new_page()).visit(origin.url + path)
        finally:
            browser.close()
    return first, repeat


# --- htmx swaps ----------------------------------------------------------------------------


def swaps(origin: Origin) -> list[tuple[str, Answer]]:
    """Two swaps the requester's pages make: the directory's filter and a field check on the
    request form, sent as htmx sends them from the page (with its cookie and form token)."""
    directory = origin.exchange(
        "GET",
        "/organizations?" + urlencode({"region": "latin_america_caribbean", "service": ""}),
        {
            "HX-Request": "true",
            "HX-Target": "directory-results",
            "HX-Current-URL": f"{origin.page_origin}/organizations",
            "Accept-Encoding": ACCEPT_ENCODING,
        },
    )
    form = origin.exchange("GET", "/request", {})
    token = re.search(rb'"X-CSRFToken": "([^"]+)"', form.body)
    if token is None:
        raise RuntimeError("the request form holds no form token for htmx (X-CSRFToken)")
    field_check = origin.exchange(
        "POST",
        "/request/validate",
        {
            "HX-Request": "true",
            "HX-Trigger-Name": "people_count",
            "HX-Target": "field-people_count",
            "HX-Current-URL": f"{origin.page_origin}/request",
            "X-CSRFToken": token.group(1).decode(),
            "Cookie": form.cookies(),
            "Origin": origin.page_origin,
            "Referer": f"{origin.page_origin}/request",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        b"people_count=12",
    )
    return [
        ("directory filter (`GET /organizations?region=…`)", directory),
        ("field check (`POST /request/validate`, people_count)", field_check),
    ]


# --- The benchmark -------------------------------------------------------------------------


def _kb(count: int) -> float:
    return count / KB


def _short(url: str) -> str:
    return urlsplit(url).path


def measure(origin: Origin, weights: Section, swap_section: Section, files: Section) -> None:
    listed = set()
    for path, name in PAGES:
        first, repeat = visits(origin, path)
        document = next((f for f in first.fetched if f.kind == "Document"), None)
        if document is None or document.status != 200:
            status = document.status if document else "nothing"
            weights.rows.append([origin.name, name, f"answered {status}", "", "", "", "", "no"])
            continue
        met = (
            first.wire_bytes <= FIRST_VISIT_GOAL
            and repeat.wire_bytes <= REPEAT_VISIT_GOAL
            and not repeat.asset_requests
        )
        weights.rows.append(
            [
                origin.name,
                f"{name} (`{path}`)",
                _kb(first.wire_bytes),
                len(first.from_network),
                _kb(repeat.wire_bytes),
                len(repeat.asset_requests),
                ", ".join(str(f.status) for f in repeat.asset_requests) or "–",
                "yes" if met else "no",
            ]
        )
        for fetched in first.from_network:
            key = _short(fetched.url)
            if fetched.kind == "Document" or key in listed:
                continue
            listed.add(key)
            files.rows.append(
                [
                    origin.name,
                    f"`{key}`",
                    fetched.kind,
                    fetched.encoding or "none",
                    _kb(fetched.wire_bytes),
                    fetched.cache_control or "–",
                ]
            )
    for name, answer in swaps(origin):
        swap_section.rows.append(
            [
                origin.name,
                name,
                answer.status,
                answer.headers.get("Content-Encoding", "none"),
                _kb(answer.wire_bytes),
                "yes" if answer.wire_bytes <= SWAP_GOAL else "no",
            ]
        )


def run(workdir: Path) -> list[Section]:
    folder = Path(tempfile.mkdtemp(prefix="page-weight-", dir=workdir))
    started = time.monotonic()
    weights = Section(
        title="Page weight: a requester's first and repeat visit",
        headers=[
            "served",
            "page",
            "first visit KB (goal ≤ 40)",
            "first visit requests",
            "repeat visit KB (goal ≤ 12)",
            "repeat asset requests (goal 0)",
            "their answers",
            "met",
        ],
    )
    swap_section = Section(
        title="Page weight: htmx swap responses",
        headers=["served", "swap", "status", "encoding", "KB (goal ≤ 5)", "met"],
    )
    files = Section(
        title="Page weight: the files a first visit downloads",
        headers=["served", "file", "kind", "encoding", "KB on the wire", "Cache-Control"],
    )

    environment = demo_portal(folder / "portal")
    with serve_portal(environment, folder / "portal.log") as served:
        measure(Origin("gunicorn (`make run`)", served.port), weights, swap_section, files)
    # The same portal as deployed behind one proxy over HTTPS (deploy/nginx/portal.conf).
    proxied = {**environment, "PORTAL_HTTPS": "true", "PORTAL_TRUSTED_PROXIES": "1"}
    if NGINX.exists() and DEBIAN_NGINX_CONF.exists():
        with (
            serve_portal(proxied, folder / "portal.log") as served,
            behind_nginx(folder / "nginx", served.port) as origin,
        ):
            measure(origin, weights, swap_section, files)
    else:
        weights.notes.append("nginx is not installed (apt-get install nginx-light): not measured.")

    weights.notes += [
        "Bytes as Chromium's DevTools count them (`encodedDataLength`): headers and bodies as "
        "received, compressed where the server compressed them; KB = 1,024 bytes. Chromium "
        "sends its own Accept-Encoding (gzip, deflate, br, zstd).",
        "First visit: a new browser profile. Repeat visit: the same page opened again in a "
        "new tab of that browser; files Chromium took from its cache without asking are "
        "not counted.",
        "Behind nginx: deploy/nginx/portal.conf and portal-proxy.conf on loopback ports, "
        "HTTPS with a self-signed certificate Chromium is told to trust (so that it caches as "
        "on a real site); the portal with PORTAL_HTTPS=true and PORTAL_TRUSTED_PROXIES=1.",
        f"Took {time.monotonic() - started:.0f} s.",
    ]
    swap_section.notes.append(
        f"Sent as htmx sends them, with `Accept-Encoding: {ACCEPT_ENCODING}`; every byte "
        "received on the connection counted (status line, headers, body)."
    )
    return [weights, swap_section, files]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as directory:
        for result in run(Path(directory)):
            print(result.markdown())
