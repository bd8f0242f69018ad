"""Debian's nginx with the site in deploy/nginx/, in front of the portal as
deploy/gunicorn.conf.py serves it, on loopback ports; and clients that reach it over TLS,
or over the onion block as Tor would, from loopback addresses of their own (127.0.0.x).

Started once for the module: nginx and gunicorn together take a few seconds to start.
"""

import contextlib
import http.client
import socket
import ssl
import subprocess
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from portal_testing import unavailable
from portal_testing.nginx import DEBIAN_NGINX_CONF, NGINX, Ports, configure
from portal_testing.served import Answer, free_port, migrated, portal_environment, start
from portal_testing.tls import self_signed_certificate

SERVER_NAME = "portal.test"
# A real v3 onion address (DuckDuckGo's): the portal refuses one that cannot be.
ONION_ADDRESS = "duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion"


class Site:
    """nginx in front of the portal: the listeners a client reaches on loopback."""

    server_name, onion_address = SERVER_NAME, ONION_ADDRESS

    def __init__(self, ports: Ports, certificate: Path, folder: Path, served):
        self.ports, self.folder, self.served = ports, folder, served
        self.tls = ssl.create_default_context(cafile=str(certificate))

    def connect(self, source="127.0.0.1", circuit=None, server_name=SERVER_NAME):
        """A connection, over TLS; or to the onion block as Tor makes one for `circuit`."""
        port = self.ports.https if circuit is None else self.ports.onion
        sock = socket.create_connection(("127.0.0.1", port), 10, (source, 0))
        if circuit is not None:
            # What Tor sends first with HiddenServiceExportCircuitID haproxy.
            sock.sendall(
                f"PROXY TCP6 fc00:dead:beef:4dad::{circuit >> 16:x}:{circuit & 0xFFFF:x} "
                f"::1 40000 80\r\n".encode()
            )
            return sock
        try:
            return self.tls.wrap_socket(sock, server_hostname=server_name)
        except BaseException:
            sock.close()
            raise

    def exchange(self, sock, raw: bytes) -> Answer:
        """Send `raw` on `sock`, read the answer, close."""
        with contextlib.closing(sock):
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(raw)  # nginx may answer and stop reading before the end
            response = http.client.HTTPResponse(sock)
            try:
                response.begin()
                return Answer(response)
            finally:
                response.close()

    def request(
        self, method, path, headers=None, body=b"", source="127.0.0.1", circuit=None
    ) -> Answer:
        host = SERVER_NAME if circuit is None else ONION_ADDRESS
        lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        return self.exchange(self.connect(source, circuit), raw)

    def get(self, path, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def visitor(self, source="127.0.0.1", circuit=None):
        return Visitor(self, source, circuit)


class Visitor:
    """A browser with its own cookies, from `source` (or a Tor `circuit`), through nginx."""

    def __init__(self, site: Site, source: str, circuit: int | None):
        self.site, self.source, self.circuit = site, source, circuit
        self.cookies: dict[str, str] = {}
        scheme, host = ("http", ONION_ADDRESS) if circuit else ("https", SERVER_NAME)
        self.origin = f"{scheme}://{host}"

    def request(self, method, path, body=b"", headers=None) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = self.site.request(method, path, headers, body, self.source, self.circuit)
        for header in answer.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def post_form(self, path, data: dict, headers=None) -> Answer:
        """Open the form's page for its token, then send `data` as a browser would."""
        token = self.request("GET", path).token()
        body = urlencode({**data, "csrf_token": token}).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            # Over HTTPS the portal refuses a form without its own page as Referer.
            "Referer": f"{self.origin}{path}",
            **(headers or {}),
        }
        return self.request("POST", path, body, headers)


@pytest.fixture(scope="module")
def nginx_binary():
    if not NGINX.exists():
        unavailable(f"{NGINX} is missing: apt-get install nginx-light")
    return NGINX


@pytest.fixture(scope="module")
def portal(tmp_path_factory, nginx_binary):
    """The portal served by gunicorn as deploy/gunicorn.conf.py serves it, behind one proxy."""
    environment = portal_environment(
        tmp_path_factory.mktemp("portal"),
        TRUSTED_PROXIES=1,
        HTTPS=True,
        ONION_ADDRESS=ONION_ADDRESS,
        QUEUE_URL="",
        TRACK_RATE_LIMIT="10 per minute; 60 per hour",
    )
    migrated(environment)
    served = start(environment)
    yield served
    served.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory, nginx_binary, portal):
    """nginx with the shipped site in front of `portal`; returns once it answers."""
    folder = tmp_path_factory.mktemp("nginx")
    certificate, key = self_signed_certificate(folder, SERVER_NAME)
    ports = Ports(free_port(), free_port(), free_port())
    values = {
        "@SERVER_NAME@": SERVER_NAME,
        "@CERTIFICATE@": certificate,
        "@CERTIFICATE_KEY@": key,
        "@UPSTREAM@": f"127.0.0.1:{portal.port}",
    }
    if not DEBIAN_NGINX_CONF.exists():
        unavailable(f"{DEBIAN_NGINX_CONF} is missing: install nginx-light")
    config = configure(folder, values, ports)
    log = folder / "nginx.log"
    global_directives = f"daemon off; pid {folder / 'nginx.pid'}; error_log {log} notice;"
    with open(folder / "nginx.out", "wb") as output:
        process = subprocess.Popen(  # noqa: S603 (Debian's nginx, our configuration)
            [str(nginx_binary), "-p", str(folder), "-c", str(config), "-g", global_directives],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    site = Site(ports, certificate, folder, portal)
    try:
        _wait_until_it_answers(site, process)
        yield site
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_it_answers(site: Site, process: subprocess.Popen, deadline=15.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            output = (site.folder / "nginx.out").read_text(errors="replace")
            raise RuntimeError(f"nginx stopped ({process.returncode}):\n{output}")
        with contextlib.suppress(OSError):
            if site.get("/healthz").status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError("nginx did not answer in time")
