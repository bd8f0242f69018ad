"""WSGI entry point: gunicorn --config deploy/gunicorn.conf.py wsgi:app"""

import os

from portal import create_app, serving

app = create_app()
# Refuses to serve beside another process when rate limits count in memory.
_counters = serving.claim_the_counters(
    app.config, app.instance_path, float(os.environ.get("PORTAL_LOCK_WAIT_SECONDS", "15"))
)
