"""The public directory: organizations by region, filtered by region and service."""

from flask import Blueprint, request
from flask_babel import get_locale

from .. import directory
from ..htmx import render
from ..page_cache import public_page
from .forms import DirectoryForm

bp = Blueprint("directory", __name__)


@bp.get("/organizations", endpoint="index")
@public_page(version=directory.version)
def listing():
    form = DirectoryForm(formdata=request.args)
    form.validate()  # a refused filter is shown by its field and left out
    region, service = form.chosen("region"), form.chosen("service")
    number = request.args.get("page", 1, type=int)
    listing = directory.directory(get_locale().language, region, service, number)
    return render(
        "directory/directory.html",
        "directory/_results.html",
        form=form,
        listing=listing,
        groups=listing.groups,
        count=listing.organizations,
        filtered=bool(region or service),
        filters={
            name: value for name, value in (("region", region), ("service", service)) if value
        },
    )
