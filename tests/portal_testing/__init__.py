"""Helpers the test modules share, imported by name: `from portal_testing import make_app`.

pytest puts tests/ on sys.path (see pyproject.toml); the conftest.py files cannot be
imported reliably, since pytest loads every one of them as the module "conftest".
Fixtures live in the conftest.py files; plain functions and classes live here:

- app: a portal on a fresh database (the `app` fixture's make_app), PostgreSQL, settings
- pages: reading pages as a browser would (form values, errors, tags, texts, languages)
- requesters: the request form's data and a requester's browser, stored requests
- staff: staff accounts and StaffClient, a staff member signed in with their own browser
- organizations: organizations as an import stores them
- hostile: what an attacker types
- auth, offers, review, admin: what the tests of one folder (tests/auth/, ...) share
"""

from .app import (
    AS_SHIPPED,
    PASSWORD_ALONE,
    PG,
    ROOM_FOR_MANY,
    TEST_DATA_KEYS,
    admin_connection,
    database_bytes,
    fresh_pg_database,
    make_app,
    pg_url,
    portal_settings,
    redis_connection,
    unavailable,
    unmigrated_app,
)
from .hostile import HOSTILE
from .organizations import add_organization
from .pages import (
    TRANSLATIONS,
    PageForms,
    assert_no_inline_code,
    assert_shows,
    catalogue,
    csrf_token,
    is_page,
    links_named,
    page_text,
    session_contents,
    set_cookie_headers,
    shown,
    speak_french,
    tags,
    translated,
    urls_in,
)
from .requesters import (
    CODE_PAGE,
    WRONG_CODE,
    Requester,
    approved_request,
    code_on,
    guess_code,
    request_fields,
    row_counts,
    send_too_much,
    stored_request,
    throttled,
    tracking_browser,
    tracking_sessions,
    valid_request_data,
)
from .staff import (
    STAFF_PASSWORD,
    StaffClient,
    create_staff_account,
    members_organization,
    shown_password,
    sign_in,
)

__all__ = [
    "is_page",
    "AS_SHIPPED",
    "CODE_PAGE",
    "HOSTILE",
    "PASSWORD_ALONE",
    "PG",
    "ROOM_FOR_MANY",
    "STAFF_PASSWORD",
    "TEST_DATA_KEYS",
    "TRANSLATIONS",
    "WRONG_CODE",
    "PageForms",
    "Requester",
    "StaffClient",
    "add_organization",
    "admin_connection",
    "approved_request",
    "assert_no_inline_code",
    "assert_shows",
    "catalogue",
    "code_on",
    "create_staff_account",
    "csrf_token",
    "database_bytes",
    "fresh_pg_database",
    "guess_code",
    "links_named",
    "make_app",
    "members_organization",
    "page_text",
    "pg_url",
    "redis_connection",
    "portal_settings",
    "request_fields",
    "row_counts",
    "session_contents",
    "set_cookie_headers",
    "shown",
    "shown_password",
    "sign_in",
    "speak_french",
    "send_too_much",
    "stored_request",
    "tags",
    "throttled",
    "tracking_browser",
    "tracking_sessions",
    "translated",
    "unavailable",
    "unmigrated_app",
    "urls_in",
    "valid_request_data",
]
