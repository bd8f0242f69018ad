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
    groups = directory.directory(get_locale().language, region=region, service=service)
    return render(
        "directory/directory.html",
        "directory/_results.html",
        form=form,
        groups=groups,
        count=len({entry.organization.id for group in groups for entry in group.entries}),
        filtered=bool(region or service),
    )
