"""The portal as README starts it (gunicorn with deploy/gunicorn.conf.py), and browsers that
reach it over real sockets, each from a loopback address of its own (127.0.0.2, ...)."""

import contextlib
import html
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from portal.db import migrate

from .app import portal_settings

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal_environment(tmp_path, **settings) -> dict:
    """The environment of a served portal keeping its files in `tmp_path` (PORTAL_*)."""
    values = portal_settings(tmp_path, **settings)
    values.pop("TESTING")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment["PORTAL_INSTANCE_PATH"] = values.pop("INSTANCE_PATH")
    environment.update({f"PORTAL_{name}": str(value) for name, value in values.items()})
    return environment


class Served:
    """A gunicorn process serving the portal on a free loopback port."""

    def __init__(self, environment: dict, port: int, process: subprocess.Popen):
        self.environment, self.port, self.process = environment, port, process

    def browser(self, source="127.0.0.1"):
        return Browser(self.port, source)

    def stop(self) -> str:
        self.process.terminate()
        try:
            output, _ = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        return output


GUNICORN = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), "wsgi:app"]


def _bound(environment: dict, workers: int) -> tuple[int, dict]:
    port = free_port()
    return port, {
        **environment,
        "PORTAL_BIND": f"127.0.0.1:{port}",
        "PORTAL_WORKERS": str(workers),
    }


def refusal(environment: dict, workers: int, config=GUNICORN_CONFIG):
    """gunicorn started with `workers` processes, expected to stop by itself; without a
    `config`, started plainly (`gunicorn -w N -b ADDRESS wsgi:app`)."""
    port, environment = _bound(environment, workers)
    command = GUNICORN
    if config is None:
        command = [*GUNICORN[:3], "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"]
    return subprocess.run(  # noqa: S603 (our own interpreter and files)
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )


def start(environment: dict, workers: int = 1, deadline: float = 30.0) -> Served:
    """gunicorn as `make run` starts it; returns once /healthz answers."""
    port, environment = _bound(environment, workers)
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and files)
        GUNICORN,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(environment, port, process)
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped:\n" + process.communicate()[0])
        with contextlib.suppress(OSError):
            if served.browser().get("/healthz").status == 200:
                return served
        time.sleep(0.05)
    served.stop()
    raise RuntimeError("gunicorn did not answer in time")


def migrated(environment: dict):
    """Build the database the served portal will use, with the migrations; the portal
    (an app of its own, in this process) for setting up what the test needs."""
    from portal import create_app

    settings = {
        name.removeprefix("PORTAL_"): value
        for name, value in environment.items()
        if name.startswith("PORTAL_") and name != "PORTAL_INSTANCE_PATH"
    }
    app = create_app({**settings, "INSTANCE_PATH": environment["PORTAL_INSTANCE_PATH"]})
    with app.app_context():
        migrate()
    return app


class Answer:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()
        self.text = self.body.decode("utf-8", "replace")

    def token(self) -> str:
        return html.unescape(TOKEN.search(self.text).group(1))


class Browser:
    """A browser with its own cookies, connecting from `source` (a loopback address)."""

    def __init__(self, port: int, source: str):
        self.port, self.source = port, source
        self.cookies: dict[str, str] = {}

    def _connection(self):
        return http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=10, source_address=(self.source, 0)
        )

    def request(self, method, path, body=None, headers=None) -> Answer:
        connection = self._connection()
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=headers)
            answer = Answer(connection.getresponse())
        finally:
            connection.close()
        for header in answer.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return answer

    def get(self, path) -> Answer:
        return self.request("GET", path)

    def post_form(self, path, data: dict, form_page: str | None = None) -> Answer:
        """Open the form's page for its token, then send `data` as the form would."""
        token = self.get(form_page or path).token()
        body = urlencode({**data, "csrf_token": token})
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )


def answered(answers) -> list[int]:
    return [answer.status for answer in answers]
