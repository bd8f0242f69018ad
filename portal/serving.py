"""How the portal may be served: what a web server's settings must agree with.

Rate limits count in the store named by RATELIMIT_STORAGE_URI. A `memory://` store lives
inside one process, so with several worker processes each keeps its own counts and every
limit is multiplied by the number of workers. One process with threads shares one store;
several processes need a shared one (Redis).
"""

import fcntl
import os
import time

PER_PROCESS_STORES = ("memory://",)


def counts_per_process(storage_uri: str) -> bool:
    return (storage_uri or "memory://").startswith(PER_PROCESS_STORES)


def workers_problem(workers: int, config) -> str | None:
    """Why `workers` processes cannot serve a portal with this configuration, or None."""
    storage = config.get("RATELIMIT_STORAGE_URI", "memory://")
    if workers > 1 and counts_per_process(storage):
        return (
            f"{workers} worker processes would each count rate limits on their own "
            f"({storage}), multiplying every limit by {workers}. Serve with one worker and "
            "threads, or set PORTAL_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/1."
        )
    return None


class SeveralProcesses(RuntimeError):
    """Another process already serves this portal with counters of its own."""


def claim_the_counters(config, instance_path: str, wait_seconds: float = 15.0):
    """In a web server's process: make sure no other process serves this portal while
    the rate limits count in memory, however the server was started (a `gunicorn -w 4`
    without deploy/gunicorn.conf.py included).

    Holds an exclusive lock on a file of the instance folder for the life of the
    process. A server restarting gracefully starts the new process before the old one
    has gone, so the lock is waited for a while before the process refuses to serve.
    Returns the open lock file (keep it), or None with a shared store.
    """
    if not counts_per_process(config.get("RATELIMIT_STORAGE_URI", "memory://")):
        return None
    path = os.path.join(instance_path, "web-process.lock")
    lock = open(path, "a")  # noqa: SIM115 (held open for the life of the process)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() >= deadline:
                lock.close()
                raise SeveralProcesses(
                    "another process serves this portal and rate limits count in each "
                    "process's memory: serve with one process and threads, or set "
                    "PORTAL_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/1"
                ) from None
            time.sleep(0.2)
