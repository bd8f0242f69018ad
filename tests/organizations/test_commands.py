"""The import-orgs, export-orgs and demo commands."""

import re

from portal import checkins
from portal.models import Organization, Request, User
from portal.organizations import (
    RowError,
    export_csv,
    import_csv,
    parse_csv,
)
from portal.regions import REGIONS

from portal_testing.organization_csv import (
    csv_text,
    org,
    two_organizations,
)


def count_organizations(app):
    with app.app_context():
        return Organization.select().count()


def test_import_orgs_reports_what_it_created_and_updated(app, runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(two_organizations(), encoding="utf-8")

    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created 2, updated 0"

    path.write_text(csv_text(org(capacity="1"), org(key="third")), encoding="utf-8")
    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created 1, updated 1"
    assert count_organizations(app) == 3


def test_import_orgs_accepts_a_file_with_a_byte_order_mark(app, runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_bytes(two_organizations().encode("utf-8-sig"))

    result = runner.invoke(args=["import-orgs", str(path)])

    assert result.exit_code == 0, result.output
    assert count_organizations(app) == 2


def test_import_orgs_lists_every_problem_and_fails(app, runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(
        csv_text(org(), org(key="x"), org(key="fine"), org(key="also-bad", public="maybe")),
        encoding="utf-8",
    )

    result = runner.invoke(args=["import-orgs", str(path)])

    assert result.exit_code != 0
    assert 'line 3: key "x" must be 2 to 80' in result.output
    assert 'line 5: public "maybe" must be yes, no' in result.output
    assert "nothing imported" in result.output
    assert "created" not in result.output
    assert count_organizations(app) == 0


def test_import_orgs_refuses_a_file_that_is_not_utf8(app, runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_bytes(
        csv_text(org(description_es="ASCII"), org(key="latin", name="Société")).encode("latin-1")
    )

    result = runner.invoke(args=["import-orgs", str(path)])

    assert result.exit_code != 0
    assert "line 3: the file is not UTF-8 text" in result.output
    assert count_organizations(app) == 0


def test_import_orgs_needs_an_existing_file(runner, tmp_path):
    result = runner.invoke(args=["import-orgs", str(tmp_path / "missing.csv")])

    assert result.exit_code != 0


def test_export_orgs_writes_to_standard_output_or_a_file(app, runner, tmp_path):
    with app.app_context():
        import_csv(two_organizations())

    result = runner.invoke(args=["export-orgs"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert result.output == export_csv()

    path = tmp_path / "out.csv"
    result = runner.invoke(args=["export-orgs", str(path)])
    assert result.exit_code == 0, result.output
    assert "exported 2 organizations" in result.output
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # so that spreadsheets read UTF-8

    result = runner.invoke(args=["import-orgs", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created 0, updated 0, unchanged 2"


# --- demo data -----------------------------------------------------------------------------


def test_demo_adds_fictional_organizations_in_every_region(app, runner):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        organizations = list(Organization.select())
        assert organizations
        assert all(o.demo for o in organizations)
        assert all(o.name.endswith("(demo)") for o in organizations)
        for region in REGIONS:
            in_region = [o for o in organizations if region in o.region_keys]
            assert 2 <= len(in_region) <= 3, region
        assert {s for o in organizations for s in o.service_keys} == {
            "accompaniment",
            "solidarity",
            "monitoring",
        }
        count = len(organizations)

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "no demo organizations added" in again.output
    assert count_organizations(app) == count


def test_demo_members_belong_to_demo_organizations_that_match_the_demo_request(app, runner):
    from portal import review

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        members = {u.email: u.organization.key for u in User.select() if u.role == "org_member"}
        assert members == {
            "andean@example.org": "andean-watch-demo",
            "mesoamerica@example.org": "mesoamerica-companions-demo",
        }
        colombia = Request.get(Request.country == "CO")
        colombia.state = "approved"  # as if reviewed: matches are shown from then on
        ranked = [m.candidate.key for m in review.matches_for(colombia)]
        assert set(members.values()) <= set(ranked)
        # One is under way with the Andean member's organization, with two check-ins.
        peru = Request.get(Request.country == "PE")
        assert peru.state == "active"
        assert [c.status for c in checkins.history(peru)] == ["concern", "well"]
    assert "demo request under way, with check-ins (PE): tracking code" in result.output
    for email in members:
        assert re.search(rf"demo org_member of \S+: {re.escape(email)} / \S{{20,}}", result.output)


def test_the_demo_file_is_valid():
    from portal.cli import DEMO_ORGANIZATIONS

    rows, errors = parse_csv(DEMO_ORGANIZATIONS.read_text(encoding="utf-8"))

    assert errors == []
    assert len({row.key for row in rows}) == len(rows)


def test_row_errors_read_as_line_and_reason():
    assert str(RowError(7, "name is required")) == "line 7: name is required"
