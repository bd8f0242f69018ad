"""Administrators read the audit trail, filtered, and export it as CSV."""

from flask import Blueprint, Response, redirect, request, stream_with_context, url_for

from .. import audit
from ..access import ADMINISTRATORS, staff_required
from ..htmx import render
from ..models import utcnow
from ..sessions import staff_user
from .forms import AuditFilterForm

# No url_prefix: the export sits beside the page, at /admin/audit.csv.
bp = Blueprint("audit", __name__)

EVENTS_PER_PAGE = 50


@bp.get("/admin/audit", endpoint="trail")
@staff_required(*ADMINISTRATORS)
def audit_trail():
    form = AuditFilterForm(request.args)
    page = entries = None
    if form.validate():
        number = request.args.get("page", 1, type=int)
        page = audit.trail_page(number, EVENTS_PER_PAGE, **form.filters())
        entries = audit.entries(page.items)
    audit.record("audit.viewed", user=staff_user())
    return render("audit/trail.html", "audit/_results.html", form=form, page=page, entries=entries)


@bp.get("/admin/audit.csv", endpoint="export")
@staff_required(*ADMINISTRATORS)
def audit_export():
    """The events the same filters show on the page, every page of them, as a CSV file."""
    form = AuditFilterForm(request.args)
    if not form.validate():
        # The page shows each filter's error by its field.
        return redirect(url_for(".trail", **form.query_args()), 303)
    args = form.query_args()
    audit.record(
        "audit.exported",
        user=staff_user(),
        detail=" ".join(f"{name}={value}" for name, value in sorted(args.items())),
    )
    # The request's context (the page's language, the database connection) lives on
    # while the file streams, and ends with it.
    response = Response(
        stream_with_context(audit.export_lines(**form.filters())),
        mimetype="text/csv",  # Flask adds "; charset=utf-8"
    )
    name = f"audit-trail-{utcnow():%Y%m%d-%H%M%S}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
