"""The network's figures count only the requests whose requesters agreed, and never show a
number small enough to name someone, nor one that the others would give back."""

import pytest

from portal import figures, intake
from portal.db import db
from portal.models import Request

from portal_testing import PASSWORD_ALONE, page_text, request_fields
from portal_testing.staff import StaffClient

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)


def send(app, count, **fields):
    with app.test_request_context():
        for _ in range(count):
            intake.submit(request_fields(**fields), "en")


@pytest.fixture
def counted(app):
    send(app, 7, share_figures=True)  # accompaniment, urgent, in Colombia
    send(app, 2, share_figures=True, service="monitoring")
    send(app, 3, share_figures=False, service="solidarity")
    with app.app_context(), db.connection_context():
        return Request.select().first().created_at.year


def test_only_requests_whose_requesters_agreed_are_counted(app, counted):
    with app.app_context(), db.connection_context():
        found = figures.of_year(counted)

    assert found.counted == figures.Count(9)
    services = dict(found.by_service)
    assert services["solidarity"] == figures.Count(0)  # three sent, none agreed


def test_a_small_count_is_hidden_and_so_is_the_one_that_would_give_it_back(app, counted):
    with app.app_context(), db.connection_context():
        services = dict(figures.of_year(counted).by_service)

    # Two monitoring requests: hidden. Shown alone, the seven accompaniments would give
    # them back (9 - 7): hidden too.
    assert services["monitoring"] == figures.Count(2, hidden=True)
    assert services["accompaniment"] == figures.Count(7, hidden=True)


def test_a_year_with_too_few_shows_nothing(app):
    send(app, 3, share_figures=True)
    admin = StaffClient.create(app, "admin")

    page = page_text(admin.get("/admin/figures/"))

    assert "Too few requests were counted this year to show any figure." in page
    assert "Requests counted" not in page


def test_the_administrator_reads_the_figures_in_their_language(app, counted):
    admin = StaffClient.create(app, "admin")

    page = page_text(admin.get(f"/admin/figures/?year={counted}"))
    assert "Requests counted: 9" in page
    assert "Monitoring visit" in page and "hidden" in page
    assert page_text(admin.get("/admin/figures/?year=abc")).count("Requests counted: 9") == 1
    french = page_text(admin.get(f"/admin/figures/?year={counted}&lang=fr"))
    assert "Chiffres" in french


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_only_administrators_read_the_figures(app, role):
    from portal_testing import add_organization

    organization = None
    if role == "org_member":
        with app.app_context():
            organization = add_organization("brigadas")
    someone = StaffClient.create(app, role, organization=organization)

    assert someone.get("/admin/figures/").status_code in (403, 404)
