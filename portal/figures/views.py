"""Administrators read the network's figures, a year at a time."""

from flask import Blueprint, render_template, request

from .. import figures
from ..access import ADMINISTRATORS, staff_required
from ..models import utcnow

bp = Blueprint("figures", __name__, url_prefix="/admin/figures")


@bp.get("/")
@staff_required(*ADMINISTRATORS)
def index():
    years = figures.years() or [utcnow().year]
    # ?year=abc, or a year without requests, reads as the latest.
    year = request.args.get("year", type=int)
    if year not in years:
        year = years[0]
    return render_template(
        "figures/index.html",
        figures=figures.of_year(year),
        years=years,
        outcome_labels=figures.OUTCOME_LABELS,
        fewest_shown=figures.FEWEST_SHOWN,
    )
