"""Importing organizations from CSV: a file is checked whole, imported whole or not at all."""

import pytest

from portal.models import Organization, User
from portal.organizations import (
    COLUMNS,
    ImportRefused,
    import_csv,
    parse_csv,
)

from portal_testing.organization_csv import (
    HEADER,
    csv_text,
    org,
    reasons,
    stored,
    two_organizations,
)


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
