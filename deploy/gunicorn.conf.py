"""Gunicorn's settings for the portal, used by `make run` and deploy/systemd/portal-web.service.

One process with threads by default: the rate limits count in that process (see
portal/serving.py), and a small server has no use for more. Several processes
(PORTAL_WORKERS) need a shared rate-limit store; the portal refuses to start otherwise.
"""

import os

from gunicorn.http import wsgi

bind = os.environ.get("PORTAL_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("PORTAL_WORKERS", "1"))
worker_class = "gthread"
threads = int(os.environ.get("PORTAL_THREADS", "8"))
# A request is answered in well under a second; a client that has not sent its
# headers in this time is dropped (the proxy in front buffers slow clients).
timeout = 30
keepalive = 5
graceful_timeout = 10
# No control socket (gunicornc): nothing here needs one, and it would be one more way in,
# written to the service user's home.
control_socket_disable = True
# The portal writes one line per request itself, without addresses or paths.
accesslog = None
errorlog = "-"
# Headers and request lines no page needs; the proxy in front refuses them first.
limit_request_line = 4094
limit_request_fields = 60
limit_request_field_size = 8190


def on_starting(server):
    from portal import create_app
    from portal.serving import workers_problem

    problem = workers_problem(server.cfg.workers, create_app().config)
    if problem:
        server.log.error("The portal will not start: %s", problem)
        raise SystemExit(1)


# The software and version of the server tell an attacker what to try; say nothing.
_default_headers = wsgi.Response.default_headers


def _without_server(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


wsgi.Response.default_headers = _without_server
