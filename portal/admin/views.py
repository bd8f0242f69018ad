from flask import Blueprint, render_template

from ..access import staff_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/accounts")
@staff_required("admin")
def accounts():
    return render_template("staff/home.html")


@bp.get("/audit")
@staff_required("admin")
def audit_trail():
    return render_template("staff/home.html")
