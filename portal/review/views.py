from flask import Blueprint, render_template

from ..access import staff_required

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.get("/")
@staff_required("admin", "reviewer")
def queue():
    return render_template("staff/home.html")
