"""How the portal may be served: what a web server's settings must agree with.

Rate limits count in the store named by RATELIMIT_STORAGE_URI. A `memory://` store lives
inside one process, so with several worker processes each keeps its own counts and every
limit is multiplied by the number of workers. One process with threads shares one store;
several processes need a shared one (Redis).
"""

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
