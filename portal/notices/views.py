"""Administrators see what could not be sent, and which background jobs failed."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import notices
from ..access import ADMINISTRATORS, staff_required
from ..sessions import staff_user

bp = Blueprint("notices", __name__, url_prefix="/admin/notices")


@bp.get("", endpoint="backlog")
@staff_required(*ADMINISTRATORS)
def backlog():
    return render_template("notices/backlog.html", backlog=notices.backlog())


@bp.post("/<uid>/retry")
@staff_required(*ADMINISTRATORS)
def retry(uid):
    # CSRFProtect has checked the token before this runs, as for every form.
    if notices.retry(uid, staff_user()):
        flash(_("The notification will be sent again in a moment."), "success")
    else:
        flash(_("This notification is not waiting to be sent again."), "warning")
    return redirect(url_for(".backlog"), 303)
