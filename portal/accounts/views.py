"""Administrators manage staff accounts: create, deactivate, reactivate, reset, move members."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import accounts
from ..access import ADMINISTRATORS, belongs_to_organization, found_or_404, staff_required
from ..sessions import staff_user
from .forms import CreateAccountForm, DeactivateForm, MoveMemberForm

bp = Blueprint("accounts", __name__, url_prefix="/admin/accounts")


def _accounts_page(form=None):
    return render_template(
        "accounts/accounts.html",
        accounts=list(accounts.staff_accounts()),
        form=form or CreateAccountForm(formdata=None),
        me=staff_user(),
    )


def _password_page(account, password, *, created: bool):
    # Shown in this answer only: never in a URL, a flash message (the cookie) or a log.
    return render_template(
        "accounts/password.html",
        account=account,
        password=password,
        created=created,
        enrols=accounts.needs_second_factor(account),
    )


@bp.get("", endpoint="index")
@staff_required(*ADMINISTRATORS)
def account_list():
    return _accounts_page()


@bp.post("", endpoint="create")
@staff_required(*ADMINISTRATORS)
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
    return _password_page(account, password, created=True)


def _deactivate_page(account, form, status=200, error=None):
    return render_template(
        "accounts/deactivate.html", account=account, form=form, error=error, me=staff_user()
    ), status


@bp.route("/<uid>/deactivate", methods=["GET", "POST"])
@staff_required(*ADMINISTRATORS)
def deactivate(uid):
    """Ask to confirm, then deactivate: without the tick nothing changes (422)."""
    account = found_or_404(accounts.by_uid(uid))
    if not account.active:
        return redirect(url_for(".index"), 303)
    if request.method == "GET":
        return _deactivate_page(account, DeactivateForm(formdata=None))
    form = DeactivateForm()
    if not form.validate():
        return _deactivate_page(account, form, 422)
    try:
        accounts.deactivate(account, by=staff_user())
    except accounts.AccountError as exc:
        return _deactivate_page(account, form, 409, error=str(exc))
    # No email in the message: flash messages travel in the (readable) cookie.
    flash(_("The account is deactivated and signed out everywhere."), "success")
    return redirect(url_for(".index"), 303)


def _move_page(account, form, status=200):
    return render_template("accounts/move.html", account=account, form=form), status


@bp.route("/<uid>/move", methods=["GET", "POST"])
@staff_required(*ADMINISTRATORS)
def move(uid):
    """Move an organization member to another organization, once confirmed."""
    account = found_or_404(accounts.by_uid(uid))
    if not belongs_to_organization(account.role):
        abort(404)  # only members belong to an organization
    if request.method == "GET":
        return _move_page(account, MoveMemberForm(formdata=None, member=account))
    form = MoveMemberForm(member=account)
    if not form.validate():
        return _move_page(account, form, 422)
    try:
        accounts.move_member(account, form.chosen_organization(), by=staff_user())
    except accounts.AccountError as exc:  # archived or moved meanwhile
        form.organization.errors = [str(exc)]
        return _move_page(account, form, 409)
    flash(_("The member was moved and signed out everywhere."), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/<uid>/reactivate")
@staff_required(*ADMINISTRATORS)
def reactivate(uid):
    account = found_or_404(accounts.by_uid(uid))
    if not account.active:
        accounts.reactivate(account, by=staff_user())
    flash(_("The account is active again."), "success")
    return redirect(url_for(".index"), 303)


@bp.route("/<uid>/reset", methods=["GET", "POST"])
@staff_required(*ADMINISTRATORS)
def reset(uid):
    account = found_or_404(accounts.by_uid(uid))
    if request.method == "GET":
        return render_template("accounts/reset.html", account=account)
    password = accounts.reset(account, by=staff_user())
    return _password_page(accounts.by_uid(uid), password, created=False)
