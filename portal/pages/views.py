"""Pages without data: home, staying safe, leaving quickly, and the health check."""

from flask import Blueprint, current_app, jsonify, redirect, render_template, session

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


@bp.get("/healthz")
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except Exception:  # any database failure means "not healthy", never a 500 page
        return jsonify(status="error"), 503
    return jsonify(status="ok")
