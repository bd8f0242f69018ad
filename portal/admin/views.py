"""Administrators: staff accounts, organizations and the audit trail."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from peewee import IntegrityError

from .. import accounts, audit, i18n, offers, organizations
from ..access import staff_required
from ..db import page_of
from ..htmx import render
from ..regions import REGIONS
from ..requests.forms import SERVICE_LABELS
from ..sessions import staff_user
from .forms import ACTION_LABELS, AuditFilterForm, CreateAccountForm, OrganizationForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

EVENTS_PER_PAGE = 50
ORGANIZATIONS_PER_PAGE = 50


@bp.context_processor
def _labels():
    return {
        "action_labels": ACTION_LABELS,
        "region_labels": REGIONS,
        "service_labels": SERVICE_LABELS,
        "countries_by_region": i18n.countries_by_region,
    }


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


# --- organizations ---------------------------------------------------------------------------


def _organization_or_404(key: str):
    organization = organizations.by_key(key)
    if organization is None:
        abort(404)
    return organization


@bp.get("/organizations")
@staff_required("admin")
def organization_list():
    number = request.args.get("page", 1, type=int)
    return render_template(
        "admin/organizations.html",
        page=page_of(organizations.for_administrators(), number, ORGANIZATIONS_PER_PAGE),
        engaged=offers.engagements(),
    )


def _organization_page(form, organization=None):
    members = organizations.members_of(organization) if organization is not None else []
    return render_template(
        "admin/organization.html", form=form, organization=organization, members=members
    )


@bp.route("/organizations/new", methods=["GET", "POST"])
@staff_required("admin")
def new_organization():
    if request.method == "GET":
        return _organization_page(OrganizationForm(formdata=None, creating=True))
    form = OrganizationForm(creating=True)
    if not form.validate():
        return _organization_page(form)
    try:
        organizations.save(form.values(), staff_user())
    except IntegrityError:  # the same key added at the same moment by someone else
        form.key.errors = [_("An organization with this key exists already.")]
        return _organization_page(form)
    flash(_("The organization was added."), "success")
    return redirect(url_for(".organization_list"), 303)


@bp.route("/organizations/<key>", methods=["GET", "POST"])
@staff_required("admin")
def edit_organization(key):
    organization = _organization_or_404(key)
    if request.method == "GET":
        return _organization_page(OrganizationForm.of(organization), organization)
    form = OrganizationForm(creating=False)
    if not form.validate():
        return _organization_page(form, organization)
    organizations.save(form.values(), staff_user(), organization)
    flash(_("The organization was saved."), "success")
    return redirect(url_for(".organization_list"), 303)
