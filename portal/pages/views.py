from flask import Blueprint, jsonify, render_template

from ..db import db

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    return render_template("pages/home.html")


@bp.get("/healthz")
def healthz():
    try:
        db.execute_sql("SELECT 1")
    except Exception:  # any database failure means "not healthy", never a 500 page
        return jsonify(status="error"), 503
    return jsonify(status="ok")
