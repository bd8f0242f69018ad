"""Access to the keys: who of one's colleagues waits for the group's key, and giving it."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import accounts, keychain
from ..access import found_or_404, staff_required
from ..sessions import staff_user
from .forms import GrantForm

bp = Blueprint("grants", __name__, url_prefix="/staff/keys")


def _form(colleague, posted=False):
    """The colleague's form: as posted, or empty (its prefix keeps each row's ids apart)."""
    prefix = f"grant-{colleague.uid}"
    return GrantForm(prefix=prefix) if posted else GrantForm(formdata=None, prefix=prefix)


def _page(failed=None, error=None, status=200):
    """The page; `failed` is (colleague, form) just refused, shown again in its row with
    `error`."""
    user = staff_user()
    holder = keychain.holder_of(user)
    holding = holder is not None and not keychain.lacks_key(user)
    waiting = keychain.waiting(user) if holding else []
    rows, shown = [], False
    for colleague in waiting:
        form = failed[1] if failed is not None and failed[0].id == colleague.id else None
        shown = shown or form is not None
        rows.append(
            {
                "account": colleague,
                "refusal": keychain.refusal(user, colleague),
                "form": form or _form(colleague),
                "error": error if form is not None else None,
            }
        )
    return render_template(
        "grants/index.html",
        user=user,
        holder=holder,
        holding=holding,
        organization=user.organization if holder not in (None, keychain.NETWORK) else None,
        rows=rows,
        # A refusal about a colleague no longer listed (given access meanwhile) is said on top.
        error=None if shown else error,
    ), status


@bp.get("/")
@staff_required()
def index():
    return _page()


@bp.post("/<uid>")
@staff_required()
def give(uid):
    """Give a colleague their group's key, once ticked; refused without (422) or when the
    colleague may not have it from this account (409)."""
    user = staff_user()
    colleague = found_or_404(accounts.by_uid(uid))
    if not keychain.within_reach(user, colleague):
        return _page(status=404)
    form = _form(colleague, posted=True)
    if not form.validate():
        return _page(failed=(colleague, form), status=422)
    try:
        keychain.grant(user, keychain.session_private(), colleague)
    except keychain.GrantRefused as exc:
        return _page(failed=(colleague, form), error=str(exc), status=409)
    # No email in the message: flash messages travel in the (readable) cookie.
    flash(
        _("Access given. The colleague reads what the group reads from their next page."), "success"
    )
    return redirect(url_for(".index"), 303)
