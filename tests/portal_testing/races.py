"""Moves made at the same moment, each in its own thread and database connection."""

import threading

from portal.db import db


def at_the_same_moment(app, *moves, timeout=30):
    """Run each `move(ready)` in its own thread; every move calls `ready()` just before
    the step that must race, and all are released together.

    Returns, in order, what each move returned or the exception it raised.
    """
    db.close()  # each thread opens its own connection
    start = threading.Barrier(len(moves))
    results = [None] * len(moves)

    def run(index, move):
        with app.app_context():
            try:
                results[index] = move(start.wait)
            except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
                results[index] = exc
            finally:
                if not db.is_closed():
                    db.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a racing move never finished"
    return results
