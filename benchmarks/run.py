"""`make bench`: every benchmark in turn, on this machine, printed as one report.

Each benchmark module has `run(workdir) -> list[Section]` (benchmarks/report.py) and keeps
its files (instance folders, databases, logs) under one temporary folder, removed at the
end. With --write the report is kept in benchmarks/RESULTS.md, with the machine it ran on.

    python benchmarks/run.py [--write]
"""

import argparse
import datetime
import importlib
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from report import Section

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent
RESULTS = BENCHMARKS / "RESULTS.md"
# In this order: the requester's side, then the staff side (written separately: a module
# without `run` yet is named and left out).
MODULES = (
    "throughput",
    "page_weight",
    "slow_network",
    "staff_pages",
    "rank_organizations",
    "keys",
)

# The modules import each other and report.py by plain name (they run alone as scripts
# too); `benchmarks.<name>` works as well, from the project's folder.
for folder in (str(BENCHMARKS), str(ROOT)):
    if folder not in sys.path:
        sys.path.append(folder)


def _first_line(command: list[str]) -> str:
    try:
        result = subprocess.run(  # noqa: S603 (version queries of installed programs)
            command, capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0] if text else "not installed"


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else platform.machine()


def _memory() -> str:
    try:
        found = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    except OSError:
        return "unknown"
    return f"{int(found.group(1)) / 1024 / 1024:.1f} GiB" if found else "unknown"


def _postgresql() -> str:
    """The server on 127.0.0.1:5432 the staff benchmark uses, else the installed client."""
    try:
        import psycopg2

        connection = psycopg2.connect(
            host="127.0.0.1", port=5432, user="postgres", dbname="postgres", connect_timeout=3
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                return f"{cursor.fetchone()[0]} (server on 127.0.0.1:5432)"
        finally:
            connection.close()
    except Exception:  # not installed, not running, not reachable: say what is installed
        return _first_line(["psql", "--version"]) + " (client; no server reached)"


def machine() -> list[tuple[str, str]]:
    """What the figures depend on: the hardware and the versions of what served them."""
    return [
        ("CPU", _cpu_model()),
        ("cores", str(os.cpu_count())),
        ("RAM", _memory()),
        ("system", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("PostgreSQL", _postgresql()),
        ("wrk", _first_line(["wrk", "--version"])),
        ("nginx", _first_line(["/usr/sbin/nginx", "-v"])),
        ("Chromium", _first_line(["/usr/bin/chromium", "--version"])),
    ]


def run_module(name: str, workdir: Path) -> tuple[list[Section], str | None]:
    """A benchmark's sections, or None with the reason it gave none."""
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as missing:
        if missing.name != name:
            raise
        return [], f"{name}: no benchmarks/{name}.py yet"
    if not callable(getattr(module, "run", None)):
        return [], f"{name}: has no run(workdir) yet, so it is not part of this report"
    folder = workdir / name
    folder.mkdir()
    return list(module.run(folder)), None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"keep the report in {RESULTS}")
    arguments = parser.parse_args()

    started = time.monotonic()
    print("| machine | |\n|---|---|")
    print("\n".join(f"| {name} | {value} |" for name, value in machine()) + "\n", flush=True)
    sections: list[Section] = []
    skipped: list[str] = []
    failed: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    try:
        for name in MODULES:
            print(f"# {name} …", flush=True)
            begun = time.monotonic()
            try:
                produced, reason = run_module(name, workdir)
            except Exception:
                failed.append(f"{name}: failed\n\n```\n{traceback.format_exc()}```")
                print(traceback.format_exc(), file=sys.stderr, flush=True)
                continue
            if reason:
                skipped.append(reason)
                print(reason, flush=True)
                continue
            for section in produced:
                print(section.markdown(), flush=True)
            sections += produced
            print(f"({name} took {time.monotonic() - begun:.0f} s)\n", flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    elapsed = time.monotonic() - started
    print(f"All benchmarks took {elapsed:.0f} s ({elapsed / 60:.1f} minutes).")
    if arguments.write:
        RESULTS.write_text(report(sections, skipped, failed, elapsed), encoding="utf-8")
        print(f"Written to {RESULTS.relative_to(ROOT)}.")
    return 1 if failed else 0


def report(sections: list[Section], skipped: list[str], failed: list[str], elapsed: float) -> str:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Measured by `make bench` (benchmarks/run.py) on {now}, in {elapsed / 60:.1f} minutes.",
        "Figures are from one run on the machine below; compare runs on the same machine.",
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in machine()),
        "",
    ]
    lines += [section.markdown() for section in sections]
    if skipped or failed:
        lines += ["## Not measured", ""]
        lines += [f"- {reason}" for reason in skipped]
        lines += [f"- {reason}" for reason in failed]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
