"""How long the request form takes to load on a slow network: Tor-like round trips on a
prepaid mobile connection.

Chromium (Debian's, driven by Playwright) opens the form with DevTools' network emulation
(800 ms latency, 256 kbit/s down and up) against the portal as `make run` serves it
(gunicorn). The time is the page's own Navigation Timing: from the start of the navigation
to the end of its load event. A first visit is a new browser profile (empty cache); a
repeat visit opens the form again in a new tab of the same profile, as a person coming
back does. Each is measured with JavaScript on and off (Tor Browser's "Safest" level), and
the median of a few runs is kept.

Run alone: python benchmarks/slow_network.py
"""

import statistics
import tempfile
import time
from pathlib import Path

from page_weight import CHROMIUM, CHROMIUM_ARGS
from playwright.sync_api import sync_playwright
from report import Section
from throughput import demo_portal, serve_portal

PATH = "/request"
RUNS = 3
LATENCY_MS = 800
THROUGHPUT = 256 * 1024 // 8  # bytes per second: 256 kbit/s
GOALS = {"first": 3.0, "repeat": 1.5}  # seconds, JavaScript on

LOAD_TIME = """() => {
    const [entry] = performance.getEntriesByType("navigation");
    return entry.loadEventEnd - entry.startTime;
}"""


def _slow_tab(context):
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": LATENCY_MS,
            "downloadThroughput": THROUGHPUT,
            "uploadThroughput": THROUGHPUT,
        },
    )
    return page


def _load_seconds(page, url: str) -> float:
    page.goto(url, wait_until="load", timeout=60_000)
    # loadEventEnd is set just after the load event's handlers have run.
    page.wait_for_function(
        "performance.getEntriesByType('navigation')[0].loadEventEnd > 0", timeout=10_000
    )
    return page.evaluate(LOAD_TIME) / 1000


def timings(browser, url: str, javascript: bool) -> tuple[float, float]:
    """Seconds to the end of the load event: a first visit, then a repeat visit."""
    context = browser.new_context(java_script_enabled=javascript)
    try:
        first = _load_seconds(_slow_tab(context), url)
        repeat = _load_seconds(_slow_tab(context), url)
    finally:
        context.close()
    return first, repeat


def run(workdir: Path) -> list[Section]:
    folder = Path(tempfile.mkdtemp(prefix="slow-network-", dir=workdir))
    started = time.monotonic()
    environment = demo_portal(folder)
    measured: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    with (
        serve_portal(environment, folder / "portal.log") as served,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(RUNS):
                for javascript in (True, False):
                    measured[javascript].append(timings(browser, served.url + PATH, javascript))
        finally:
            browser.close()

    section = Section(
        title="Slow network: the request form on 800 ms latency and 256 kbit/s",
        headers=["visit", "JavaScript", "load event, s (median)", "runs, s", "goal, s", "met"],
    )
    for index, visit in enumerate(("first", "repeat")):
        for javascript in (True, False):
            runs = [pair[index] for pair in measured[javascript]]
            median = statistics.median(runs)
            goal = GOALS[visit]
            section.rows.append(
                [
                    visit,
                    "on" if javascript else "off",
                    median,
                    ", ".join(f"{value:.2f}" for value in runs),
                    f"≤ {goal}" if javascript else f"(≤ {goal} with it on)",
                    ("yes" if median <= goal else "no") if javascript else "–",
                ]
            )
    section.notes += [
        f"Chromium {browser.version} with DevTools' Network.emulateNetworkConditions: "
        f"{LATENCY_MS} ms latency, {THROUGHPUT} bytes/s down and up; the portal on gunicorn "
        "(`make run`), on loopback.",
        "Time from the navigation's start to the end of its load event (Navigation Timing). "
        "First visit: a new browser profile; repeat visit: the form again in a new tab of "
        f"that profile. Median of {RUNS} runs each.",
        f"Took {time.monotonic() - started:.0f} s.",
    ]
    return [section]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="portal-bench-") as directory:
        for result in run(Path(directory)):
            print(result.markdown())
