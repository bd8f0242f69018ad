"""The organization directory as CSV: a file is checked whole, imported whole or not at all."""

import csv
import io
import re

import pytest

from portal.models import Organization, Request, User
from portal.organizations import (
    COLUMNS,
    ImportRefused,
    RowError,
    export_csv,
    import_csv,
    parse_csv,
)
from portal.regions import REGIONS

HEADER = ",".join(COLUMNS)


def org(**overrides):
    """A valid row, as a dict of cells."""
    cells = {
        "key": "andes-collective",
        "name": "Andes Collective",
        "website": "https://andes.example.org/about",
        "regions": "latin_america_caribbean",
        "countries": "CO;PE",
        "services": "accompaniment;monitoring",
        "languages": "es;qu;en",
        "capacity": "12",
        "public": "yes",
        "description_en": "Accompanies community leaders.",
        "description_fr": "Accompagne des dirigeants communautaires.",
        "description_es": "Acompaña a líderes comunitarios.",
    }
    cells.update(overrides)
    return cells


def csv_text(*rows, columns=COLUMNS):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue()


def two_organizations():
    return csv_text(
        org(),
        org(
            key="sahel-visits",
            name="Sahel Visits",
            website="",
            regions="africa;mena",
            countries=" ML ; BF;SN; ",
            services="solidarity",
            languages="fr;wo;ha",
            capacity="0",
            public="No",
            description_fr="",
            description_es="",
        ),
    )


def stored(key):
    return Organization.get(Organization.key == key)


def reasons(errors):
    return [str(error) for error in errors]


# --- importing a good file -----------------------------------------------------------------


def test_a_good_file_creates_each_organization_with_its_fields(app):
    with app.app_context():
        result = import_csv(two_organizations())

        assert (result.created, result.updated) == (2, 0)
        assert Organization.select().count() == 2
        andes = stored("andes-collective")
        assert andes.name == "Andes Collective"
        assert andes.website == "https://andes.example.org/about"
        assert andes.region_keys == ["latin_america_caribbean"]
        assert andes.country_codes == ["CO", "PE"]
        assert andes.service_keys == ["accompaniment", "monitoring"]
        assert andes.language_codes == ["es", "qu", "en"]
        assert andes.capacity == 12
        assert andes.public is True
        assert andes.demo is False
        assert andes.description("es") == "Acompaña a líderes comunitarios."
        sahel = stored("sahel-visits")
        assert sahel.regions == "africa,mena"
        assert sahel.countries == "ML,BF,SN"  # spaces and the trailing ";" are dropped
        assert sahel.capacity == 0
        assert sahel.public is False
        assert sahel.website == ""


def test_parsing_needs_no_database_and_gives_typed_rows():
    rows, errors = parse_csv(two_organizations())

    assert errors == []
    assert [row.line for row in rows] == [2, 3]
    sahel = rows[1]
    assert sahel.countries == ("ML", "BF", "SN")
    assert sahel.capacity == 0 and sahel.public is False
    assert sahel.fields()["languages"] == "fr,wo,ha"


def test_repeated_list_items_are_kept_once():
    rows, errors = parse_csv(csv_text(org(languages="es;en;es", countries="CO;CO")))

    assert errors == []
    assert rows[0].languages == ("es", "en")
    assert rows[0].countries == ("CO",)


def test_working_languages_may_be_any_code_babel_knows_not_only_the_form_list(app):
    rows, errors = parse_csv(csv_text(org(languages="rw;iu;cr;kk;ti")))

    assert errors == []
    assert rows[0].languages == ("rw", "iu", "cr", "kk", "ti")


def test_columns_may_come_in_any_order():
    columns = tuple(reversed(COLUMNS))
    rows, errors = parse_csv(csv_text(org(), columns=columns))

    assert errors == []
    assert rows[0].key == "andes-collective" and rows[0].capacity == 12


def test_blank_lines_are_skipped_and_do_not_shift_line_numbers():
    text = HEADER + "\n\n" + csv_text(org(capacity="x")).split("\n", 1)[1]

    rows, errors = parse_csv(text)

    assert reasons(errors) == ['line 3: capacity "x" must be a whole number from 0 to 10000']


# --- re-importing ----------------------------------------------------------------------------


def test_reimport_updates_by_key_keeps_ids_and_never_deletes(app):
    with app.app_context():
        import_csv(two_organizations())
        ids = {o.key: o.id for o in Organization.select()}
        andes_created = stored("andes-collective").created_at
        member = User.create(
            email="member@example.org",
            role="org_member",
            password_hash="x",
            organization=ids["andes-collective"],
        )

        changed = csv_text(
            org(name="Andes Collective (renamed)", capacity="3", languages="es"),
            org(key="new-org", name="New Org"),
        )
        result = import_csv(changed)

        assert (result.created, result.updated) == (1, 1)
        andes = stored("andes-collective")
        assert andes.id == ids["andes-collective"]
        assert andes.created_at == andes_created
        assert andes.updated_at >= andes_created
        assert andes.name == "Andes Collective (renamed)"
        assert andes.capacity == 3
        assert andes.language_codes == ["es"]
        assert User.get_by_id(member.id).organization_id == andes.id
        # Left out of the file, but not deleted:
        assert stored("sahel-visits").id == ids["sahel-visits"]
        assert Organization.select().count() == 3


def test_reimporting_the_same_file_changes_nothing(app):
    with app.app_context():
        import_csv(two_organizations())
        before = stored("andes-collective").updated_at

        result = import_csv(two_organizations())

        assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
        assert stored("andes-collective").updated_at == before


def test_an_import_never_changes_the_demo_flag(app):
    with app.app_context():
        import_csv(csv_text(org()), demo=True)
        import_csv(csv_text(org(name="Changed")))

        assert stored("andes-collective").demo is True
        assert stored("andes-collective").name == "Changed"


# --- a file with problems ------------------------------------------------------------------


def test_every_bad_row_is_reported_by_line_and_nothing_is_imported(app):
    with app.app_context():
        import_csv(csv_text(org()))
        text = csv_text(
            org(name="Andes, changed by a file with errors"),  # line 2: fine
            org(key="Bad Key"),  # line 3
            org(key="good-one", name="Good One"),  # line 4: fine
            org(key="no-name", name=""),  # line 5
            org(key="bad-site", website="javascript:alert(1)", capacity="-1"),  # line 6: two
            org(key="good-two", name="Good Two"),  # line 7: fine
        )

        with pytest.raises(ImportRefused) as refused:
            import_csv(text)

        assert reasons(refused.value.errors) == [
            'line 3: key "Bad Key" must be 2 to 80 lower-case letters, digits and hyphens, '
            "starting and ending with a letter or digit",
            "line 5: name is required",
            "line 6: website must be empty or an http:// or https:// address",
            'line 6: capacity "-1" must be a whole number from 0 to 10000',
        ]
        assert Organization.select().count() == 1
        assert not Organization.select().where(Organization.key.startswith("good")).exists()
        assert stored("andes-collective").name == "Andes Collective"


def test_a_row_spanning_several_lines_is_counted_by_physical_lines():
    text = csv_text(
        org(description_en="first line\nsecond line\nthird line"),  # lines 2-4
        org(key="later", capacity="many"),  # line 5
    )

    rows, errors = parse_csv(text)

    assert rows[0].description_en == "first line\nsecond line\nthird line"
    assert reasons(errors) == ['line 5: capacity "many" must be a whole number from 0 to 10000']


def test_a_row_with_too_many_or_too_few_cells_is_refused():
    text = HEADER + "\n" + "only,three,cells\n" + csv_text(org()).split("\n", 1)[1].rstrip()
    text += ",extra\n"

    rows, errors = parse_csv(text)

    assert reasons(errors) == [
        "line 2: expected 12 cells, found 3",
        "line 3: expected 12 cells, found 13",
    ]


def test_broken_quoting_is_reported_at_its_line():
    text = csv_text(org()) + 'bad-quote,"Unclosed name,,,,,,,,,,\n'

    rows, errors = parse_csv(text)

    assert len(errors) == 1
    assert str(errors[0]).startswith("line 3: this is not valid CSV")


def test_an_empty_file_is_refused():
    assert reasons(parse_csv("")[1]) == [
        "line 1: the file is empty: the first line must be the header"
    ]


# --- the header ----------------------------------------------------------------------------


def test_a_missing_column_is_an_error():
    columns = tuple(c for c in COLUMNS if c != "capacity")

    rows, errors = parse_csv(csv_text(org(), columns=columns))

    assert rows == []
    assert [e.line for e in errors] == [1]
    assert errors[0].reason.startswith('missing column(s): "capacity"')


def test_an_unknown_column_is_an_error():
    rows, errors = parse_csv(csv_text(org(), columns=(*COLUMNS, "notes")))

    assert rows == []
    assert reasons(errors)[0].startswith('line 1: unknown column(s): "notes"')


def test_a_repeated_column_is_an_error():
    rows, errors = parse_csv(csv_text(org(), columns=(*COLUMNS, "name")))

    assert rows == []
    assert reasons(errors)[0].startswith('line 1: repeated column(s): "name"')


def test_a_byte_order_mark_is_accepted(app):
    with app.app_context():
        result = import_csv("\ufeff" + two_organizations())

        assert result.created == 2


# --- each rule -------------------------------------------------------------------------------

REFUSED = [
    ("key", "", "key is required"),
    ("key", "a", "must be 2 to 80"),
    ("key", "x" * 81, "must be 2 to 80"),
    ("key", "Upper", "must be 2 to 80"),
    ("key", "under_score", "must be 2 to 80"),
    ("key", "-leading", "must be 2 to 80"),
    ("key", "trailing-", "must be 2 to 80"),
    ("key", "ümlaut", "must be 2 to 80"),
    ("name", "", "name is required"),
    ("name", "x" * 201, "name is longer than 200 characters (201)"),
    ("name", "two\nlines", "name must be on one line"),
    ("website", "javascript:alert(1)", "website must be empty or an http"),
    ("website", "JavaScript:alert(1)//https://x.org", "website must be empty or an http"),
    ("website", "data:text/html,<script>alert(1)</script>", "website must be empty or an http"),
    ("website", "ftp://files.example.org", "website must be empty or an http"),
    ("website", "//evil.example", "website must be empty or an http"),
    ("website", "https://", "website must be empty or an http"),
    ("website", "www.example.org", "website must be empty or an http"),
    ("website", "https://exa mple.org", "without spaces"),
    ("website", "https://example.org:port/", "website must be empty or an http"),
    ("website", "https://trusted.example@evil.example/", "must not contain a user name"),
    ("website", "https://example.org/" + "x" * 300, "website is longer than 300"),
    ("regions", "europe", 'regions: unknown "europe"'),
    ("regions", "Africa", 'regions: unknown "Africa"'),
    ("countries", "co", 'countries: unknown "co"'),
    ("countries", "CO;ZZ;COL", 'countries: unknown "ZZ", "COL"'),
    ("services", "visit", 'services: unknown "visit"'),
    ("services", "accompaniment,monitoring", 'services: unknown "accompaniment,monitoring"'),
    ("languages", "xx", 'languages: unknown "xx"'),
    ("languages", "EN", 'languages: unknown "EN"'),
    ("languages", "eng", 'languages: unknown "eng"'),
    ("languages", "pt_BR", 'languages: unknown "pt_BR"'),
    ("capacity", "", "capacity is required"),
    ("capacity", "-1", "whole number from 0 to 10000"),
    ("capacity", "10001", "whole number from 0 to 10000"),
    ("capacity", "1.5", "whole number from 0 to 10000"),
    ("capacity", "1_000", "whole number from 0 to 10000"),
    ("capacity", "٣", "whole number from 0 to 10000"),
    ("public", "", "public is required"),
    ("public", "maybe", 'public "maybe" must be yes, no, true, false, 1 or 0'),
    ("public", "oui", "must be yes, no"),
    ("description_en", "x" * 2001, "description_en is longer than 2000 characters (2001)"),
    ("description_fr", "x" * 2001, "description_fr is longer than 2000"),
    ("description_es", "x" * 2001, "description_es is longer than 2000"),
    ("name", "NUL\x00here", "name contains control characters"),
    ("description_en", "bell\x07", "description_en contains control characters"),
    ("description_fr", "escape\x1b[31m", "description_fr contains control characters"),
    ("description_es", "delete\x7f", "description_es contains control characters"),
    ("website", "https://example.org/\x00", "website contains control characters"),
]


@pytest.mark.parametrize(("column", "value", "reason"), REFUSED)
def test_each_rule_refuses_a_bad_value(column, value, reason):
    rows, errors = parse_csv(csv_text(org(**{column: value})))

    assert len(errors) == 1, errors
    assert errors[0].line == 2
    assert reason in errors[0].reason


def test_more_than_a_hundred_languages_are_refused():
    from portal.organizations import LANGUAGE_CODES

    many = ";".join(sorted(LANGUAGE_CODES)[:101])

    rows, errors = parse_csv(csv_text(org(languages=many)))

    assert reasons(errors) == ["line 2: languages: at most 100 allowed, found 101"]


ACCEPTED = [
    ("key", "ab", "ab"),
    ("key", "a" * 80, "a" * 80),
    ("key", "pbi-2-colombia", "pbi-2-colombia"),
    ("name", "  Padded Name  ", "Padded Name"),
    ("name", "x" * 200, "x" * 200),
    ("website", "", ""),
    ("website", "HTTPS://Example.org/path?q=1#top", "HTTPS://Example.org/path?q=1#top"),
    ("website", "http://192.0.2.1:8080/", "http://192.0.2.1:8080/"),
    ("regions", "", ()),
    ("regions", ";".join(REGIONS), tuple(REGIONS)),
    ("countries", "XK;PS;EH", ("XK", "PS", "EH")),
    ("services", "solidarity", ("solidarity",)),
    ("languages", "", ()),
    ("capacity", "0", 0),
    ("capacity", "10000", 10_000),
    ("capacity", " 007 ", 7),
    ("public", "TRUE", True),
    ("public", "1", True),
    ("public", "false", False),
    ("public", "0", False),
    ("description_en", "", ""),
    ("description_en", "x" * 2000, "x" * 2000),
    ("description_fr", "\tindented\r\nlines\n", "\tindented\r\nlines\n"),
]


@pytest.mark.parametrize(("column", "value", "expected"), ACCEPTED)
def test_each_rule_accepts_a_good_value(column, value, expected):
    rows, errors = parse_csv(csv_text(org(**{column: value})))

    assert errors == []
    assert getattr(rows[0], column) == expected


# --- duplicate keys --------------------------------------------------------------------------


def test_a_key_used_twice_in_a_file_is_an_error(app):
    with app.app_context():
        text = csv_text(org(), org(key="other"), org(name="Same key again"))

        with pytest.raises(ImportRefused) as refused:
            import_csv(text)

        assert reasons(refused.value.errors) == [
            'line 4: key "andes-collective" is already used on line 2'
        ]
        assert Organization.select().count() == 0


def test_a_duplicate_key_is_reported_even_when_its_row_has_other_problems():
    rows, errors = parse_csv(csv_text(org(), org(capacity="lots")))

    assert reasons(errors) == [
        'line 3: capacity "lots" must be a whole number from 0 to 10000',
        'line 3: key "andes-collective" is already used on line 2',
    ]


# --- hostile text ----------------------------------------------------------------------------

HOSTILE = {
    "name": "=cmd|' /C calc'!A0",
    "description_en": '<script>alert(1)</script>"><img src=x onerror=alert(1)> {{7*7}}',
    "description_fr": '+HYPERLINK("https://evil.example","clic")\n<div hx-get=/x hx-trigger=load>',
    "description_es": "\u202eالعربية\u202c ‮RTL‬ zero\u200bwidth 👩🏽‍⚖️ '; DROP TABLE organization;--",
}


def test_hostile_text_is_stored_exactly_and_defused_only_in_the_export(app):
    with app.app_context():
        import_csv(
            csv_text(org(**HOSTILE), org(key="at-sign", name="@SUM(A1)", description_en="-1+2"))
        )

        andes = stored("andes-collective")
        for column, value in HOSTILE.items():
            assert getattr(andes, column) == value
        assert stored("at-sign").name == "@SUM(A1)"
        assert stored("at-sign").description_en == "-1+2"

        exported = {row["key"]: row for row in csv.DictReader(io.StringIO(export_csv()))}

        assert exported["andes-collective"]["name"] == "'" + HOSTILE["name"]
        assert exported["andes-collective"]["description_en"] == HOSTILE["description_en"]
        assert exported["andes-collective"]["description_fr"] == "'" + HOSTILE["description_fr"]
        assert exported["andes-collective"]["description_es"] == HOSTILE["description_es"]
        assert exported["at-sign"]["name"] == "'@SUM(A1)"
        assert exported["at-sign"]["description_en"] == "'-1+2"
        for row in exported.values():
            for cell in row.values():
                assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_a_defused_cell_comes_back_exactly_and_a_quote_the_user_wrote_survives(app):
    with app.app_context():
        values = {
            "name": "'=already quoted",
            "description_en": "'plain quote",
            "description_fr": "\tTab",
        }
        import_csv(csv_text(org(**values)))
        assert stored("andes-collective").name == "=already quoted"  # the file's quote is undone

        Organization.update(name="'=kept").execute()
        text = export_csv()
        Organization.delete().execute()
        import_csv(text)

        andes = stored("andes-collective")
        assert andes.name == "'=kept"
        assert andes.description_en == "'plain quote"
        assert andes.description_fr == "\tTab"


# --- exporting -------------------------------------------------------------------------------


def test_the_export_is_sorted_by_key_with_lists_joined_by_semicolons(app):
    with app.app_context():
        import_csv(csv_text(org(key="zulu"), org(key="alpha", public="0", website="")))

        lines = export_csv().splitlines()

        assert lines[0] == HEADER
        assert [line.split(",")[0] for line in lines[1:]] == ["alpha", "zulu"]
        alpha = next(csv.DictReader(io.StringIO(export_csv())))
        assert alpha["countries"] == "CO;PE"
        assert alpha["languages"] == "es;qu;en"
        assert alpha["public"] == "no"
        assert alpha["capacity"] == "12"


def test_export_then_import_gives_back_every_organization(app):
    def snapshot():
        return {
            o.key: {column: getattr(o, column) for column in COLUMNS} for o in Organization.select()
        }

    with app.app_context():
        import_csv(two_organizations())
        import_csv(csv_text(org(key="hostile", **HOSTILE)))
        before = snapshot()

        text = export_csv()
        assert import_csv(text).unchanged == 3
        Organization.delete().execute()
        result = import_csv(text)

        assert result.created == 3
        assert snapshot() == before


# --- the command line ----------------------------------------------------------------------


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
    for email in members:
        assert re.search(rf"demo org_member of \S+: {re.escape(email)} / \S{{20,}}", result.output)


def test_the_demo_file_is_valid():
    from portal.cli import DEMO_ORGANIZATIONS

    rows, errors = parse_csv(DEMO_ORGANIZATIONS.read_text(encoding="utf-8"))

    assert errors == []
    assert len({row.key for row in rows}) == len(rows)


def test_row_errors_read_as_line_and_reason():
    assert str(RowError(7, "name is required")) == "line 7: name is required"
