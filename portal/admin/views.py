"""Administrators: staff accounts and the audit trail."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import accounts, audit
from ..access import staff_required
from ..db import page_of
from ..htmx import render
from ..sessions import staff_user
from .forms import ACTION_LABELS, AuditFilterForm, CreateAccountForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

EVENTS_PER_PAGE = 50


@bp.context_processor
def _labels():
    return {"action_labels": ACTION_LABELS}


def _account_or_404(uid: str):
    account = accounts.by_uid(uid)
    if account is None:
        abort(404)
    return account


def _accounts_page(form=None, error=None, status=200):
    return render_template(
        "admin/accounts.html",
        accounts=list(accounts.staff_accounts()),
        form=form or CreateAccountForm(formdata=None),
        error=error,
        me=staff_user(),
    ), status


@bp.get("/accounts", endpoint="accounts")
@staff_required("admin")
def account_list():
    return _accounts_page()


@bp.post("/accounts")
@staff_required("admin")
def create_account():
    form = CreateAccountForm()
    if not form.validate():
        return _accounts_page(form)
    try:
        account, password = accounts.create_with_generated_password(
            form.email.data,
            form.role.data,
            by=staff_user(),
            organization=form.chosen_organization(),
        )
    except accounts.AccountError as exc:
        form.email.errors = [str(exc)]
        return _accounts_page(form)
    # Shown in this answer only: never in a URL, a flash message (the cookie) or a log.
    return render_template(
        "admin/password.html",
        account=account,
        password=password,
        created=True,
        enrols=accounts.needs_second_factor(account),
    )


@bp.post("/accounts/<uid>/deactivate")
@staff_required("admin")
def deactivate(uid):
    account = _account_or_404(uid)
    if account.active:
        try:
            accounts.deactivate(account, by=staff_user())
        except accounts.AccountError as exc:
            return _accounts_page(error=str(exc), status=409)
    # No email in the message: flash messages travel in the (readable) cookie.
    flash(_("The account is deactivated and signed out everywhere."), "success")
    return redirect(url_for(".accounts"), 303)


@bp.post("/accounts/<uid>/reactivate")
@staff_required("admin")
def reactivate(uid):
    account = _account_or_404(uid)
    if not account.active:
        accounts.reactivate(account, by=staff_user())
    flash(_("The account is active again."), "success")
    return redirect(url_for(".accounts"), 303)


@bp.route("/accounts/<uid>/reset", methods=["GET", "POST"])
@staff_required("admin")
def reset(uid):
    account = _account_or_404(uid)
    if request.method == "GET":
        return render_template("admin/reset.html", account=account)
    password = accounts.reset(account, by=staff_user())
    account = accounts.by_uid(uid)
    return render_template(
        "admin/password.html",
        account=account,
        password=password,
        created=False,
        enrols=accounts.needs_second_factor(account),
    )


@bp.get("/audit")
@staff_required("admin")
def audit_trail():
    form = AuditFilterForm(request.args)
    page = None
    if form.validate():
        number = request.args.get("page", 1, type=int)
        page = page_of(audit.trail(**form.filters()), number, EVENTS_PER_PAGE)
    audit.record("audit.viewed", user=staff_user())
    return render("admin/audit.html", "admin/_audit_results.html", form=form, page=page)
