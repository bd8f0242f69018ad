"""Fixtures the background jobs' tests share: a worker in a process of its own, and Redis."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal_testing import redis_connection

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).with_name("flask")
# Not 15: tests/test_postgres_redis.py empties that one while its tests run.
REDIS_DB = 14
REDIS_QUEUE_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
# What the worker takes from the test portal: the same files, keys and queue.
SHARED = ("INSTANCE_PATH", "DATABASE_URL", "SECRET_KEY", "DATA_KEYS", "TRACKING_KEY", "QUEUE_URL")


class Worker:
    """`flask --app portal worker` for `app`, as a deployment runs it beside the web server."""

    def __init__(self, app, log_path, settings=None):
        env = {name: value for name, value in os.environ.items() if not name.startswith("PORTAL_")}
        env.update({f"PORTAL_{name}": str(app.config[name]) for name in SHARED})
        env["PORTAL_INSTANCE_PATH"] = app.instance_path
        env["PORTAL_SMTP_URL"] = ""  # every notice goes to instance/outbox/
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(  # noqa: S603 - our own command, no shell
            [str(FLASK), "--app", self.app_argument(settings), "worker", "--workers", "2"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @staticmethod
    def app_argument(settings):
        """`portal`, or `portal:create_app({...})` for settings no environment variable sets."""
        return f"portal:create_app({settings!r})" if settings else "portal"

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def until(self, condition, what, timeout=30.0):
        """Wait for the worker to do something: ask `condition` every 0.1 s until it answers
        something true, for at most `timeout` seconds; fail at once if the worker died."""
        deadline = time.monotonic() + timeout
        while True:
            answer = condition()
            if answer:
                return answer
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the worker stopped ({self.process.returncode}) before {what}:\n{self.log()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"still waiting after {timeout:.0f} s for {what}:\n{self.log()}"
                )
            time.sleep(0.1)  # polling another process, not waiting for time to pass

    def stop(self, signum, timeout=30) -> int:
        """Stop it as systemd (SIGTERM) or Ctrl-C (SIGINT) would; its exit status."""
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        if not self._log.closed:
            self._log.close()


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(app, settings=None): a worker process for `app` (`settings` go to
    create_app on its command line); killed after the test if still running."""
    started = []

    def start(app, settings=None):
        worker = Worker(app, tmp_path / f"worker-{len(started)}.log", settings)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture
def redis_queue():
    """A queue name of this test's own on Redis (database 14); its keys are deleted after it."""
    connection = redis_connection(REDIS_DB)
    name = f"portal-test-{os.getpid()}-{time.monotonic_ns()}"
    yield {"QUEUE_URL": REDIS_QUEUE_URL, "QUEUE_NAME": name}
    for key in connection.scan_iter(match=f"*{name}*"):
        connection.delete(key)
    connection.close()
