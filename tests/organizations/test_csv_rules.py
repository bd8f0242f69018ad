"""The CSV file's header and the rule of each column."""

import pytest

from portal.organizations import (
    COLUMNS,
    import_csv,
    parse_csv,
)
from portal.regions import REGIONS

from portal_testing.organization_csv import (
    csv_text,
    org,
    reasons,
    two_organizations,
)


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
