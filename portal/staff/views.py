from flask import Blueprint, render_template

from ..access import staff_required
from ..sessions import staff_user

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@staff_required()
def home():
    return render_template("staff/home.html", user=staff_user())
