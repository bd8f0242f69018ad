"""Requests per second for the requester's pages, against a bare Flask app on the same server.

The portal is served as `make run` serves it: gunicorn with deploy/gunicorn.conf.py, an
instance folder of its own in the work folder (never ./instance), migrated and given the
demo data by the portal's own commands. The floor is benchmarks/bare.py, a Flask app that
answers one small page, served by gunicorn with the same workers, threads and keep-alive.
Both run side by side; wrk loads each page of the portal and the bare app in turn, in
short rounds (after a warm-up), so that whatever else the machine does weighs on both
alike. The directory is measured with the demo data, then again after 500 organizations
are imported.

This module also holds what the other benchmarks of requester pages share: the portal's
environment, its set-up, and servers started on free loopback ports.

Run alone: python benchmarks/throughput.py
"""

import contextlib
import csv
import http.client
import io
import os
import random
import re
import runpy
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from report import Section

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
GUNICORN_CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
GUNICORN = [sys.executable, "-m", "gunicorn"]

# wrk as the issue measured: 20 clients at once on 2 threads; a warm-up whose figures are
# dropped (first renders, template compilation, SQLite's page cache), then the measure in
# short rounds, the bare app's and the portal's in turn.
CONNECTIONS = 20
WRK_THREADS = 2
WARM_UP_SECONDS = 1
ROUNDS = 3
ROUND_SECONDS = 2
# What every browser sends: a page the portal compresses costs it the compression too.
BROWSER_HEADERS = {"Accept-Encoding": "gzip, br", "Accept": "text/html"}
DIRECTORY_SIZE = 500

# (path, name, goal: the least share of the bare app's requests per second)
PAGES = [
    ("/healthz", "`/healthz`", 0.7),
    ("/", "home", 0.6),
    ("/track", "tracking entry (`/track`)", 0.5),
    ("/request", "request form (`/request`)", 0.4),
    ("/organizations", "directory (`/organizations`), {count} demo organizations", 0.4),
]
BIG_DIRECTORY = ("/organizations", "directory (`/organizations`), {count} organizations", 0.2)


# --- The portal as `make run` serves it, and servers on loopback ports -------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portal_environment(folder: Path, **settings) -> dict:
    """The environment of a portal keeping its files in `folder`/instance, with `settings`
    (PORTAL_<name>); nothing of the shell's own PORTAL_* variables."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    environment["PORTAL_INSTANCE_PATH"] = str(folder / "instance")
    environment.update({f"PORTAL_{name}": str(value) for name, value in settings.items()})
    return environment


def flask(environment: dict, *args: str) -> str:
    """`flask --app portal ARGS` for the portal of `environment`; its output."""
    result = subprocess.run(  # noqa: S603 (our own interpreter and commands)
        [sys.executable, "-m", "flask", "--app", "portal", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def demo_portal(folder: Path, **settings) -> dict:
    """A portal in `folder`, set up as `make run` sets it up: migrated, with the demo data.
    Returns its environment."""
    folder.mkdir(parents=True, exist_ok=True)
    environment = portal_environment(folder, **settings)
    flask(environment, "db", "upgrade")
    flask(environment, "demo")
    return environment


def listed_organizations(environment: dict) -> int:
    """How many organizations the portal's directory lists."""
    script = (
        "from portal import create_app\n"
        "from portal.db import db\n"
        "from portal.models import Organization\n"
        "with create_app().app_context(), db.connection_context():\n"
        "    print(Organization.listed().count())\n"
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


@dataclass
class Served:
    """A server process answering on a loopback port."""

    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def serving(command: list[str], port: int, environment: dict, cwd: Path, log: Path, ready: str):
    """Run `command` (a server on `port`) until the block ends; its output goes to `log`.
    Yields once `ready` (a path) answers."""
    with open(log, "ab") as output:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, gunicorn or nginx)
            command, cwd=cwd, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    served = Served(port, process)
    try:
        end = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} stopped:\n{log.read_text(errors='replace')}")
            with contextlib.suppress(OSError):
                if fetch(served.url + ready)[0] < 500:
                    break
            if time.monotonic() > end:
                raise RuntimeError(f"nothing answered on port {port}")
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve_portal(environment: dict, log: Path):
    """The portal as `make run` starts it: gunicorn --config deploy/gunicorn.conf.py wsgi:app."""
    port = free_port()
    return serving(
        [*GUNICORN, "--config", str(GUNICORN_CONFIG), "wsgi:app"],
        port,
        {**environment, "PORTAL_BIND": f"127.0.0.1:{port}"},
        ROOT,
        log,
        ready="/healthz",
    )


def gunicorn_settings() -> dict:
    """Workers, threads, worker class, keep-alive and timeout as deploy/gunicorn.conf.py
    sets them (with the environment of this process)."""
    config = runpy.run_path(str(GUNICORN_CONFIG))
    names = ("workers", "threads", "worker_class", "keepalive", "timeout")
    return {name: config[name] for name in names}


def serve_bare(log: Path):
    """benchmarks/bare.py on gunicorn with the portal's worker settings. (Not with the
    portal's config file itself: its start-up hook builds the portal to check it.)"""
    port = free_port()
    settings = gunicorn_settings()
    command = [
        *GUNICORN,
        f"--bind=127.0.0.1:{port}",
        f"--workers={settings['workers']}",
        f"--worker-class={settings['worker_class']}",
        f"--threads={settings['threads']}",
        f"--keep-alive={settings['keepalive']}",
        f"--timeout={settings['timeout']}",
        "bare:app",
    ]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    return serving(command, port, environment, BENCHMARKS, log, ready="/")


def fetch(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    """GET `url` (http on loopback): the status and the body as sent."""
    address = url.removeprefix("http://")
    host, _, path = address.partition("/")
    connection = http.client.HTTPConnection(host, timeout=30)
    try:
        connection.request("GET", "/" + path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- Organizations for a large directory ----------------------------------------------------

WORDS = (
    "Peace Brigades Witness Companions Solidarity Watch Accompaniment Observers Network "
    "Defenders Collective Presence Shelter Friends Mission Bridge Voices Circle Alliance"
).split()
LANGUAGES = ("en", "es", "fr", "pt", "ar", "sw", "ru", "tr", "fa", "qu", "de", "it")
DESCRIPTION = {
    "en": "Volunteers accompany defenders and communities under threat, observe hearings "
    "and assemblies, and keep an international presence where it protects.",
    "fr": "Des volontaires accompagnent défenseurs et communautés menacés, observent "
    "audiences et assemblées, et maintiennent une présence internationale protectrice.",
    "es": "Voluntarios acompañan a defensores y comunidades amenazadas, observan audiencias "
    "y asambleas, y mantienen una presencia internacional donde protege.",
}


def organizations_csv(count: int, seed: int = 14) -> str:
    """`count` fictional organizations in the import's CSV format, spread over every region."""
    from portal.organizations import COLUMNS
    from portal.regions import COUNTRY_REGION, REGIONS
    from portal.vocabulary import SERVICES

    rng = random.Random(seed)
    countries = sorted(COUNTRY_REGION)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for number in range(1, count + 1):
        name = " ".join(rng.sample(WORDS, 3))
        row = {
            "key": f"bench-{number:04d}",
            "name": f"{name} {number}",
            "website": f"https://org-{number}.example.org",
            "regions": ";".join(rng.sample(sorted(REGIONS), rng.choice((0, 0, 1, 2)))),
            "countries": ";".join(rng.sample(countries, rng.randint(1, 8))),
            "services": ";".join(rng.sample(SERVICES, rng.randint(1, len(SERVICES)))),
            "languages": ";".join(rng.sample(LANGUAGES, rng.randint(1, 4))),
            "capacity": str(rng.randint(0, 20)),
            "public": "yes",
            **{f"description_{code}": f"{text} ({number})" for code, text in DESCRIPTION.items()},
        }
        writer.writerow([row[column] for column in COLUMNS])
    return out.getvalue()


def grow_directory(environment: dict, folder: Path, total: int) -> int:
    """Import organizations (`flask import-orgs`) until the directory lists `total`."""
    missing = total - listed_organizations(environment)
    if missing > 0:
        path = folder / "organizations.csv"
        path.write_text(organizations_csv(missing), encoding="utf-8")
        flask(environment, "import-orgs", str(path))
    return listed_organizations(environment)


# --- wrk ---------------------------------------------------------------------------------


@dataclass
class Load:
    requests_per_second: float
    median_ms: float
    p99_ms: float
    requests: int
    failed: int  # answers other than 2xx/3xx, socket errors and timeouts


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, seconds: float) -> Load:
    """Load `url` with wrk for `seconds`, as browsers would ask for it."""
    headers = [arg for name, value in BROWSER_HEADERS.items() for arg in ("-H", f"{name}: {value}")]
    command = [
        "wrk",
        f"-t{WRK_THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout=10s",
        "--latency",
        *headers,
        url,
    ]
    output = subprocess.run(  # noqa: S603 (Debian's wrk)
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    latencies = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    socket_errors = re.search(r"Socket errors: (.*)", output)
    failed = sum(map(int, re.findall(r"\d+", socket_errors.group(1)))) if socket_errors else 0
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failed += int(refused.group(1)) if refused else 0
    return Load(
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        median_ms=_milliseconds(latencies["50"]),
        p99_ms=_milliseconds(latencies["99"]),
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
        failed=failed,
    )


@dataclass
class Paired:
    """A page of the portal and the bare app, loaded in turn, round after round."""

    portal: list[Load]
    bare: list[Load]

    @property
    def portal_rate(self) -> float:
        return statistics.mean(load.requests_per_second for load in self.portal)

    @property
    def bare_rate(self) -> float:
        return statistics.mean(load.requests_per_second for load in self.bare)

    @property
    def ratio(self) -> float:
        return self.portal_rate / self.bare_rate


def paired(portal_url: str, bare_url: str) -> Paired:
    """Rounds of the bare app then the portal's page, after a warm-up of each: whatever
    else the machine does weighs on both alike."""
    wrk(bare_url, WARM_UP_SECONDS)
    wrk(portal_url, WARM_UP_SECONDS)
    result = Paired([], [])
    for _ in range(ROUNDS):
        result.bare.append(wrk(bare_url, ROUND_SECONDS))
        result.portal.append(wrk(portal_url, ROUND_SECONDS))
    return result


# --- The benchmark ---------------------------------------------------------------------------


@dataclass
class Row:
    page: str
    goal: float
    measured: Paired | None  # None: the page did not answer 200
    status: int = 200


def _page_rows(portal: Served, bare: Served, pages) -> list[Row]:
    rows = []
    for path, name, goal in pages:
        status, _ = fetch(portal.url + path, BROWSER_HEADERS)
        measured = paired(portal.url + path, bare.url + "/") if status == 200 else None
        rows.append(Row(name, goal, measured, status))
    return rows


def run(workdir: Path) -> list[Section]:
    folder = Path(tempfile.mkdtemp(prefix="throughput-", dir=workdir))
    started = time.monotonic()
    environment = demo_portal(folder)
    demo_count = listed_organizations(environment)
    settings = gunicorn_settings()

    with serve_bare(folder / "bare.log") as bare:
        with serve_portal(environment, folder / "portal.log") as portal:
            pages = [(path, name.format(count=demo_count), goal) for path, name, goal in PAGES]
            rows = _page_rows(portal, bare, pages)
        # Served again after the import: a portal that keeps the directory rendered must
        # not be measured on the copy it made before.
        count = grow_directory(environment, folder, DIRECTORY_SIZE)
        with serve_portal(environment, folder / "portal.log") as portal:
            path, name, goal = BIG_DIRECTORY
            rows += _page_rows(portal, bare, [(path, name.format(count=count), goal)])

    section = Section(
        title="Throughput: the portal against a bare Flask app on the same server",
        headers=[
            "page",
            "portal req/s",
            "bare Flask req/s",
            "ratio",
            "goal",
            "met",
            "portal median ms",
            "portal p99 ms",
        ],
    )
    for row in rows:
        if row.measured is None:
            answered = [row.page, f"answered {row.status}", "", "", f"≥ {row.goal}", "no"]
            section.rows.append(answered + [""] * (len(section.headers) - len(answered)))
            continue
        measured = row.measured
        section.rows.append(
            [
                row.page,
                measured.portal_rate,
                measured.bare_rate,
                f"{measured.ratio:.3f}",
                f"≥ {row.goal}",
                "yes" if measured.ratio >= row.goal else "no",
                statistics.median(load.median_ms for load in measured.portal),
                max(load.p99_ms for load in measured.portal),
            ]
        )
    measured = [row.measured for row in rows if row.measured]
    bare_rates = [load.requests_per_second for pair in measured for load in pair.bare]
    failed = {
        row.page: sum(load.failed for load in row.measured.portal)
        for row in rows
        if row.measured and any(load.failed for load in row.measured.portal)
    }
    section.notes += [
        f"wrk: {CONNECTIONS} connections on {WRK_THREADS} threads, sending "
        "`Accept-Encoding: gzip, br` as browsers do. For each page, after a "
        f"{WARM_UP_SECONDS} s warm-up of each, {ROUNDS} rounds of {ROUND_SECONDS} s on the "
        "bare app then on the page; the figures are the means of the rounds, so that what "
        "else the machine does weighs on both alike.",
        f"Both on gunicorn with {settings['workers']} process(es) of class "
        f"{settings['worker_class']}, {settings['threads']} threads, keep-alive "
        f"{settings['keepalive']} s (deploy/gunicorn.conf.py); the portal with its "
        "config file, the bare app (benchmarks/bare.py) with those values on the command line.",
        f"The bare app's rounds ranged from {min(bare_rates, default=0):.0f} to "
        f"{max(bare_rates, default=0):.0f} req/s over the run.",
        "The portal on SQLite with the demo data (`flask demo`), then "
        f"{count} organizations imported with `flask import-orgs`, restarted before the "
        "second directory measure.",
        "wrk sends no cookie, as a first visit sends none: home and the tracking entry are "
        "then answered before Flask (portal/page_cache.py, WholeAnswers), the tracking "
        "entry with a new form token and session each time; the bare app goes through Flask.",
        "No rate limit applies to these GET pages (the portal limits sign-ins, tracking "
        "codes and sent requests only), so none was changed.",
        f"Took {time.monotonic() - started:.0f} s.",
    ]
    if failed:
        section.notes.append(f"Failed answers or socket errors under load: {failed}.")
    return [section]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as directory:
        for result in run(Path(directory)):
            print(result.markdown())
