"""Exporting organizations to CSV, with hostile cells defused and given back exactly."""

import csv
import io

from portal.models import Organization
from portal.organizations import (
    COLUMNS,
    export_csv,
    import_csv,
)

from portal_testing.organization_csv import (
    HEADER,
    csv_text,
    org,
    stored,
    two_organizations,
)

HOSTILE_CELLS = {
    "name": "=cmd|' /C calc'!A0",
    "description_en": '<script>alert(1)</script>"><img src=x onerror=alert(1)> {{7*7}}',
    "description_fr": '+HYPERLINK("https://evil.example","clic")\n<div hx-get=/x hx-trigger=load>',
    "description_es": "\u202eالعربية\u202c ‮RTL‬ zero\u200bwidth 👩🏽‍⚖️ '; DROP TABLE organization;--",
}


def test_hostile_text_is_stored_exactly_and_defused_only_in_the_export(app):
    with app.app_context():
        import_csv(
            csv_text(
                org(**HOSTILE_CELLS), org(key="at-sign", name="@SUM(A1)", description_en="-1+2")
            )
        )

        andes = stored("andes-collective")
        for column, value in HOSTILE_CELLS.items():
            assert getattr(andes, column) == value
        assert stored("at-sign").name == "@SUM(A1)"
        assert stored("at-sign").description_en == "-1+2"

        exported = {row["key"]: row for row in csv.DictReader(io.StringIO(export_csv()))}

        assert exported["andes-collective"]["name"] == "'" + HOSTILE_CELLS["name"]
        assert exported["andes-collective"]["description_en"] == HOSTILE_CELLS["description_en"]
        assert (
            exported["andes-collective"]["description_fr"] == "'" + HOSTILE_CELLS["description_fr"]
        )
        assert exported["andes-collective"]["description_es"] == HOSTILE_CELLS["description_es"]
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
        import_csv(csv_text(org(key="hostile", **HOSTILE_CELLS)))
        before = snapshot()

        text = export_csv()
        assert import_csv(text).unchanged == 3
        Organization.delete().execute()
        result = import_csv(text)

        assert result.created == 3
        assert snapshot() == before
