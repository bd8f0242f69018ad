"""Pages without data: home, staying safe, leaving quickly, and the health check."""

import json
import time

from flask import Blueprint, current_app, redirect, render_template, session

from .. import sessions
from ..db import db
from ..page_cache import public_page

bp = Blueprint("pages", __name__)


@bp.get("/")
@public_page
def home():
    return render_template("pages/home.html")


@bp.get("/safety")
@public_page
def safety():
    return render_template("pages/safety.html")


@bp.get("/leave")
def leave():
    """Leave quickly: end whatever this browser holds here and go to an ordinary site.

    A link (GET), so that it works without JavaScript and from any page; all it
    can do to someone tricked into following it is sign them out.
    """
    sessions.end_all()
    session.clear()
    response = redirect(current_app.config["EXIT_URL"], 303)
    # The browser forgets this site's cookies, storage and cached pages.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


# A health check polled often, or flooded, asks the database at most this often.
HEALTH_SECONDS = 1.0
HEALTH_ANSWERS = {True: json.dumps({"status": "ok"}), False: json.dumps({"status": "error"})}
JSON = {"Content-Type": "application/json"}


@bp.get("/healthz")
def healthz():
    checked = current_app.extensions.setdefault("health", {"at": None})
    now = time.monotonic()
    if checked["at"] is None or now - checked["at"] >= HEALTH_SECONDS:
        checked["healthy"], checked["at"] = _database_answers(), now
    if not checked["healthy"]:
        return HEALTH_ANSWERS[False], 503, JSON
    return HEALTH_ANSWERS[True], 200, JSON


def _database_answers() -> bool:
    try:
        db.execute_sql("SELECT 1")
    except Exception:  # any database failure means "not healthy", never a 500 page
        return False
    return True
