"""How many SQL statements a page runs: counted, never timed (timings stay in benchmarks/)."""

import contextlib
import logging


class _Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements = []

    def emit(self, record):
        if record.name == "peewee":  # not peewee.pool, which says when it lends a connection
            self.statements.append(record.getMessage())


@contextlib.contextmanager
def counted_queries():
    """The statements peewee runs inside the block (it logs each one at DEBUG): a list."""
    counter = _Counter()
    log = logging.getLogger("peewee")
    level = log.level
    log.addHandler(counter)
    log.setLevel(logging.DEBUG)
    try:
        yield counter.statements
    finally:
        log.removeHandler(counter)
        log.setLevel(level)


def queries_of(client, path) -> int:
    """How many statements opening `path` runs (the page must open)."""
    with counted_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements)
