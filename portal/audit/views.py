"""Administrators read the audit trail, filtered."""

from flask import Blueprint, request

from .. import audit
from ..access import ADMINISTRATORS, staff_required
from ..db import page_of
from ..htmx import render
from ..sessions import staff_user
from .forms import AuditFilterForm

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

EVENTS_PER_PAGE = 50


@bp.get("", endpoint="trail")
@staff_required(*ADMINISTRATORS)
def audit_trail():
    form = AuditFilterForm(request.args)
    page = None
    if form.validate():
        number = request.args.get("page", 1, type=int)
        page = page_of(audit.trail(**form.filters()), number, EVENTS_PER_PAGE)
    audit.record("audit.viewed", user=staff_user())
    return render("audit/trail.html", "audit/_results.html", form=form, page=page)
