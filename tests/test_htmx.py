"""htmx: the vendored library, its settings, and the partials the server answers with."""

import html
import json
import re
from pathlib import Path

import pytest

from portal.assets import asset_url

from portal_testing import (
    CODE_PAGE,
    Requester,
    assert_no_inline_code,
    code_on,
    csrf_token,
    tags,
    valid_request_data,
)

ROOT = Path(__file__).resolve().parent.parent
JS = ROOT / "portal" / "static" / "js"
HTMX = {"HX-Request": "true"}


def first(page, tag_name, **attributes):
    for tag, attrs in tags(page):
        if tag == tag_name and all(attrs.get(k) == v for k, v in attributes.items()):
            return attrs
    raise AssertionError(f"no <{tag_name} {attributes}> on the page")


def form_token(page):
    return first(page, "input", name="csrf_token")["value"]


def htmx_post(client, path, data, **headers):
    return client.post(path, data=data, headers={**HTMX, **headers})


# --- the library and its settings ----------------------------------------------------------


def vendored_htmx():
    files = sorted(JS.glob("htmx-*.js"))
    assert len(files) == 1, files
    return files[0]


def test_htmx_is_vendored_with_its_version_in_the_name():
    path = vendored_htmx()

    match = re.fullmatch(r"htmx-(\d+\.\d+\.\d+)(\.min)?\.js", path.name)
    assert match, path.name
    version = match.group(1)
    assert f'version:"{version}"' in path.read_text(encoding="utf-8")
    assert (JS / f"htmx-{version}.LICENSE").is_file()


def test_pages_load_the_vendored_htmx_served_as_javascript(client):
    path = vendored_htmx()
    page = client.get("/").get_data(as_text=True)
    sources = [attrs["src"] for tag, attrs in tags(page) if tag == "script"]
    address = asset_url(f"js/{path.name}", client.application)
    assert address in sources

    response = client.get(address)

    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.data == path.read_bytes()
    response.close()


def test_htmx_settings_keep_no_history_and_run_no_eval(client):
    page = client.get("/").get_data(as_text=True)

    config = json.loads(first(page, "meta", name="htmx-config")["content"])

    assert config["historyCacheSize"] == 0
    assert config["allowEval"] is False
    assert config["allowScriptTags"] is False
    assert config["includeIndicatorStyles"] is False
    assert config["selfRequestsOnly"] is True
    assert first(page, "body")["hx-history"] == "false"


def test_the_body_sends_the_csrf_token_with_every_htmx_request(client):
    page = client.get("/request").get_data(as_text=True)

    headers = json.loads(first(page, "body")["hx-headers"])

    assert headers == {"X-CSRFToken": form_token(page)}
    answer = client.post(
        "/request/validate",
        data={"people_count": "12"},
        headers={**HTMX, "HX-Trigger-Name": "people_count", **headers},
    )
    assert answer.status_code == 200


# --- no inline script or style anywhere (the CSP forbids them) -----------------------------


def _pages(client):
    """Every page a requester meets, full and partial."""
    requester = Requester(client)
    pages = {
        "home": client.get("/"),
        "form": client.get("/request"),
        "form partial": client.get("/request", headers=HTMX),
        "track": client.get("/track"),
        "track partial": client.get("/track", headers=HTMX),
        "not found": client.get("/missing"),
    }
    token = csrf_token(client)
    pages["form with errors"] = client.post("/request", data={"csrf_token": token})
    pages["form with errors partial"] = htmx_post(client, "/request", {"csrf_token": token})
    pages["code page"] = requester.submit_and_follow()
    code = code_on(pages["code page"])
    pages["code page partial"] = client.get(CODE_PAGE, headers=HTMX)
    pages["code page with errors"] = requester.keep_code("nope")
    pages["code page with errors partial"] = htmx_post(
        client, CODE_PAGE, {"kept": "nope", "csrf_token": token}
    )
    requester.keep_code(code)
    pages["code no longer shown"] = client.get(CODE_PAGE)
    pages["code no longer shown partial"] = client.get(CODE_PAGE, headers=HTMX)
    pages["wrong code"] = requester.open("not a code")
    requester.open(code)
    pages["status"] = client.get("/track")
    pages["status with errors"] = client.post(
        "/track/message", data={"body": "", "csrf_token": token}
    )
    pages["withdraw"] = client.get("/track/withdraw")
    pages["withdraw with errors"] = client.post("/track/withdraw", data={"csrf_token": token})
    return pages


def test_no_page_has_inline_script_style_or_event_handlers(client):
    pages = _pages(client)

    for name, response in pages.items():
        page = response.get_data(as_text=True)
        assert response.status_code in (200, 404, 422), name
        assert_no_inline_code(page, name)
        for _, attrs in tags(page):
            assert not (attrs.get("href") or "").lower().startswith("javascript:"), name


def test_pages_with_a_script_element_always_name_its_source(client):
    page = client.get("/").get_data(as_text=True)

    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.DOTALL)

    assert scripts, "the page should load its scripts"
    assert all(body.strip() == "" for body in scripts)


# --- validating one field as the person leaves it ------------------------------------------


def _validate(client, trigger, **data):
    token = csrf_token(client)
    form = valid_request_data(csrf_token=token, **data)
    return htmx_post(client, "/request/validate", form, **{"HX-Trigger-Name": trigger})


@pytest.mark.parametrize("value", ["lots", "0", "-4", "100001", ""])
def test_a_wrong_number_of_people_answers_with_just_that_field(client, value):
    response = _validate(client, "people_count", people_count=value)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in page
    assert page.strip().startswith('<div class="field field-invalid" id="field-people_count">')
    assert len(re.findall(r'id="field-', page)) == 1
    assert 'id="people_count-error"' in page
    assert 'aria-invalid="true"' in page
    assert re.search(r'<p class="error-message" id="people_count-error">\s*<span>\w', page)
    assert "HX-Request" in response.vary


def test_the_error_text_says_what_to_do(client):
    page = _validate(client, "people_count", people_count="lots").get_data(as_text=True)

    assert "Please enter a whole number, for example 3." in page


def test_a_right_number_of_people_clears_the_error(client):
    response = _validate(client, "people_count", people_count="12")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="field-people_count"' in page
    assert "<html" not in page
    assert "error-message" not in page
    assert "aria-invalid" not in page
    assert 'value="12"' in page
    assert "HX-Request" in response.vary


def test_one_field_is_answered_even_when_others_are_wrong(client):
    response = _validate(client, "people_count", people_count="12", name="", consent="")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="field-name"' not in page
    assert "error-message" not in page


@pytest.mark.parametrize("trigger", ["csrf_token", "submission_token", "state", "", "__class__"])
def test_validation_is_refused_for_unknown_or_hidden_fields(client, trigger):
    response = _validate(client, trigger)

    assert response.status_code == 400
    assert 'id="field-' not in response.get_data(as_text=True)


# --- sending the form with htmx ------------------------------------------------------------


def test_an_htmx_post_with_errors_gets_the_form_partial_with_the_values_kept(client):
    token = csrf_token(client)
    data = valid_request_data(
        csrf_token=token, name="Keep Me", situation="Still here", people_count="many", consent=""
    )

    response = htmx_post(client, "/request", data)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in page
    assert "<form" in page
    assert 'id="error-summary"' in page
    assert 'value="Keep Me"' in page
    assert "Still here</textarea>" in page
    assert 'value="many"' in page
    assert "HX-Request" in response.vary
    assert response.headers["Cache-Control"] == "no-store"


def test_an_htmx_post_that_is_valid_sends_the_browser_to_the_code_page(client):
    """htmx would follow a 303 itself and swap the whole code page into the form: a full
    navigation (HX-Redirect) leaves a page one can refresh, with the code off the URL."""
    page_with_form = client.get("/request").get_data(as_text=True)
    token = form_token(page_with_form)
    submission = first(page_with_form, "input", name="submission_token")["value"]

    answer = htmx_post(
        client, "/request", valid_request_data(csrf_token=token, submission_token=submission)
    )

    assert answer.status_code == 204
    assert answer.get_data() == b""
    assert answer.headers["HX-Redirect"] == CODE_PAGE
    assert "Location" not in answer.headers
    assert answer.headers["Cache-Control"] == "no-store"
    page = client.get(CODE_PAGE).get_data(as_text=True)
    assert page.lstrip().startswith("<!doctype html>")
    assert re.search(r'id="tracking-code"[^>]*>[0-9A-Z]{4}(-[0-9A-Z]{4}){4}<', page)


def test_an_htmx_get_of_the_code_page_gets_its_partial(client):
    Requester(client).submit()

    answer = client.get(CODE_PAGE, headers=HTMX)

    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "<html" not in page
    assert re.search(r'id="tracking-code"[^>]*>[0-9A-Z]{4}(-[0-9A-Z]{4}){4}<', page)
    assert "HX-Request" in answer.vary
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_plain_post_is_sent_on_to_the_full_code_page(client):
    response = Requester(client).submit()

    assert response.status_code == 303
    assert response.headers["Location"] == CODE_PAGE
    page = client.get(CODE_PAGE).get_data(as_text=True)
    assert page.lstrip().startswith("<!doctype html>")
    assert "</html>" in page
    assert 'id="tracking-code"' in page


def test_a_boosted_post_gets_the_full_page(client):
    token = csrf_token(client)

    valid = htmx_post(
        client, "/request", valid_request_data(csrf_token=token), **{"HX-Boosted": "true"}
    )
    invalid = htmx_post(
        client,
        "/request",
        valid_request_data(csrf_token=token, consent=""),
        **{"HX-Boosted": "true"},
    )

    assert valid.status_code == 303
    assert valid.headers["Location"] == CODE_PAGE
    # The browser follows the 303 inside the boosted request, its headers with it.
    followed = client.get(CODE_PAGE, headers={**HTMX, "HX-Boosted": "true"})
    assert followed.get_data(as_text=True).lstrip().startswith("<!doctype html>")
    assert 'id="tracking-code"' in followed.get_data(as_text=True)
    assert invalid.status_code == 200
    assert invalid.get_data(as_text=True).lstrip().startswith("<!doctype html>")
    assert 'id="error-summary"' in invalid.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/request", "/track"])
def test_a_history_restore_gets_the_full_page(client, path):
    response = client.get(path, headers={**HTMX, "HX-History-Restore-Request": "true"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith("<!doctype html>")
    assert "HX-Request" in response.vary


@pytest.mark.parametrize("path", ["/request", "/track"])
def test_an_htmx_get_gets_the_partial_and_a_plain_get_the_page(client, path):
    partial = client.get(path, headers=HTMX)
    full = client.get(path)

    assert "<html" not in partial.get_data(as_text=True)
    assert "<form" in partial.get_data(as_text=True)
    assert full.get_data(as_text=True).lstrip().startswith("<!doctype html>")
    assert "HX-Request" in partial.vary
    assert "HX-Request" in full.vary


def test_an_htmx_request_with_a_wrong_code_gets_the_track_partial(client):
    token = csrf_token(client, "/track")

    response = htmx_post(
        client, "/track", {"code": "2222-3333-4444-5555-6666", "csrf_token": token}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in page
    assert "This code does not open a request." in page


def test_opening_the_tracking_page_with_htmx_does_not_nest_a_whole_page_in_main(client):
    """The track form posts with hx-target="#main" hx-swap="innerHTML".

    The browser follows the 303 inside the same XHR, sending HX-Request again, and
    htmx swaps what comes back into #main: a whole document there would put a
    second header, navigation, footer and id="main" inside the page.
    """
    requester = Requester(client)
    code = requester.submit_and_get_code(name="Nested Page Person")
    token = csrf_token(client, "/track")

    response = htmx_post(client, "/track", {"code": code, "csrf_token": token})

    navigates = response.headers.get("HX-Redirect") or response.headers.get("HX-Location")
    if navigates:
        assert code not in navigates
        return
    assert response.status_code == 303
    assert code not in response.headers["Location"]
    swapped = client.get(response.headers["Location"], headers=HTMX)
    page = swapped.get_data(as_text=True)
    assert "Nested Page Person" in page
    assert "<html" not in page, "a whole page would be swapped into #main"
    assert 'class="site-header"' not in page
    assert 'id="main"' not in page


# --- errors in htmx requests ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/request", "/request/validate", "/request/code", "/track"])
def test_an_htmx_post_without_csrf_token_gets_the_error_partial_in_main(client, path):
    client.get("/request")

    response = htmx_post(client, path, valid_request_data(), **{"HX-Trigger-Name": "people_count"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#main"
    assert response.headers["HX-Reswap"] == "innerHTML"
    assert "<html" not in page
    assert "This form has expired" in html.unescape(page)
    assert "HX-Request" in response.vary


def test_a_plain_post_without_csrf_token_gets_the_full_error_page(client):
    response = client.post("/request", data=valid_request_data())

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "HX-Retarget" not in response.headers
    assert page.lstrip().startswith("<!doctype html>")
    assert "This form has expired" in page
