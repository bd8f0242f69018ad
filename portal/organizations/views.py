"""Administrators add, edit, archive and restore organizations, one at a time."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from peewee import IntegrityError

from .. import offers, organizations
from ..access import ADMINISTRATORS, found_or_404, staff_required
from ..db import page_of
from ..sessions import staff_user
from .forms import ArchiveForm, OrganizationForm

bp = Blueprint("organizations", __name__, url_prefix="/admin/organizations")

ORGANIZATIONS_PER_PAGE = 50


@bp.get("", endpoint="index")
@staff_required(*ADMINISTRATORS)
def organization_list():
    number = request.args.get("page", 1, type=int)
    archived = request.args.get("archived") == "1"
    return render_template(
        "organizations/organizations.html",
        page=page_of(organizations.for_administrators(archived), number, ORGANIZATIONS_PER_PAGE),
        engaged=offers.engagements(),
        archived=archived,
        counts=organizations.counts(),
    )


def _organization_page(form, organization=None):
    members = organizations.members_of(organization) if organization is not None else []
    return render_template(
        "organizations/organization.html", form=form, organization=organization, members=members
    )


@bp.route("/new", methods=["GET", "POST"])
@staff_required(*ADMINISTRATORS)
def new():
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
    return redirect(url_for(".index"), 303)


@bp.route("/<key>", methods=["GET", "POST"])
@staff_required(*ADMINISTRATORS)
def edit(key):
    organization = found_or_404(organizations.by_key(key))
    if request.method == "GET":
        return _organization_page(OrganizationForm.of(organization), organization)
    form = OrganizationForm(creating=False)
    if not form.validate():
        return _organization_page(form, organization)
    organizations.save(form.values(), staff_user(), organization)
    flash(_("The organization was saved."), "success")
    return redirect(url_for(".index"), 303)


def _archive_page(organization, form, status=200):
    return render_template(
        "organizations/archive.html",
        organization=organization,
        form=form,
        effects=organizations.archive_effects(organization),
    ), status


@bp.route("/<key>/archive", methods=["GET", "POST"])
@staff_required(*ADMINISTRATORS)
def archive(key):
    """Ask to confirm, then archive: without the tick nothing changes (422)."""
    organization = found_or_404(organizations.by_key(key))
    if organization.archived:
        return redirect(url_for(".edit", key=key), 303)
    if request.method == "GET":
        return _archive_page(organization, ArchiveForm(formdata=None))
    form = ArchiveForm()
    if not form.validate():
        return _archive_page(organization, form, 422)
    try:
        taken_back = organizations.archive(organization, staff_user())
    except organizations.ArchiveRefused:
        return _archive_page(organization, form, 409)  # the page says what it works on
    flash(
        ngettext(
            "The organization was archived, and its %(num)d open offer was taken back.",
            "The organization was archived, and its %(num)d open offers were taken back.",
            taken_back,
        )
        if taken_back
        else _("The organization was archived."),
        "success",
    )
    return redirect(url_for(".index"), 303)


@bp.post("/<key>/restore")
@staff_required(*ADMINISTRATORS)
def restore(key):
    organization = found_or_404(organizations.by_key(key))
    organizations.restore(organization, staff_user())
    flash(_("The organization is in service again."), "success")
    return redirect(url_for(".edit", key=key), 303)
