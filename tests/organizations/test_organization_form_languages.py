"""The organization form takes languages as the request form does: boxes named in the
page's language, the common ones first, the others behind "More languages"; stored as the
same comma-separated codes. No page of the administration speaks to developers."""

import html
import re

import pytest
from babel import Locale

from portal.i18n import COMMON_LANGUAGES, SPOKEN_LANGUAGES
from portal.organizations import LANGUAGE_CODES

from portal_testing import PASSWORD_ALONE, PageForms, page_text
from portal_testing.admin import (
    LIST,
    NEW,
    add_org,
    assert_refused_with,
    complete_form,
    create_organization,
    org_count,
    page_of,
    stored,
)

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

_OPTION = re.compile(
    r'<input[^>]*name="languages"[^>]*value="([a-z]+)"[^>]*>\s*<label for="[^"]+">([^<]+)</label>'
)


def language_field(page):
    """The languages fieldset: (options shown at once, behind "More languages", behind
    "All other languages"), each a list of (code, name as shown)."""
    start = page.index('id="field-languages"')
    field = page[start : page.index("</fieldset>", start)]
    first, rest = field.split("<details", 1)
    more, others = rest.split("<details", 1)

    def options(part):
        return [(code, html.unescape(name).strip()) for code, name in _OPTION.findall(part)]

    return options(first), options(more), options(others)


def name_in(lang, code):
    name = Locale(lang).languages[code]
    return name[:1].upper() + name[1:]


def test_the_common_languages_come_first_and_the_others_wait_behind_a_disclosure(app, admin):
    page = page_of(admin.get(NEW))

    first, more, others = language_field(page)

    assert {code for code, _ in first} == set(COMMON_LANGUAGES)
    assert {code for code, _ in more} == set(SPOKEN_LANGUAGES) - set(COMMON_LANGUAGES)
    assert {code for code, _ in first + more + others} == set(LANGUAGE_CODES)
    assert ("es", "Spanish") in first and ("qu", "Quechua") in more
    assert ("rw", "Kinyarwanda") in others
    assert [name for _, name in more] == sorted(name for _, name in more)
    # Nothing to type: no text box asks for codes, and both disclosures start closed.
    assert 'name="languages" type="text"' not in page and "Two-letter codes" not in page
    field = page[page.index('id="field-languages"') :]
    assert "<summary>More languages</summary>" in field
    assert "<summary>All other languages</summary>" in field
    assert '<details class="more-choices" open' not in field.split("</fieldset>")[0]


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_language_names_are_in_the_pages_language(app, admin, lang):
    page = page_of(admin.get(f"{NEW}?lang={lang}"))

    first, more, others = language_field(page)

    shown = dict(first + more + others)
    for code in ("es", "qu", "ar", "rw"):
        assert shown[code] == name_in(lang, code)
    assert shown["es"] != "Spanish"


def test_ticked_languages_are_stored_as_the_same_comma_separated_codes(app, admin):
    response = create_organization(admin, languages=["qu", "es", "rw"])

    assert response.status_code == 303
    assert stored(app, "andes-collective")["languages"] == "qu,es,rw"


def test_the_edit_form_ticks_the_stored_languages_and_opens_where_they_are(app, admin):
    add_org(app, "andes", languages="es,qu,rw")
    add_org(app, "plain", languages="en,fr")

    andes = page_of(admin.get(f"{LIST}/andes"))
    plain = page_of(admin.get(f"{LIST}/plain"))

    assert sorted(PageForms(andes).values["languages"]) == ["es", "qu", "rw"]
    field = andes[
        andes.index('id="field-languages"') : andes.index(
            "</fieldset>", andes.index('id="field-languages"')
        )
    ]
    assert '<details class="more-choices" open>' in field
    assert "<summary>More languages (2)</summary>" in field  # Quechua and Kinyarwanda
    assert '<details class="more-choices more-choices-nested" open>' in field
    assert sorted(PageForms(plain).values["languages"]) == ["en", "fr"]
    assert (
        " open>"
        not in plain[plain.index('id="field-languages"') : plain.index('id="field-capacity"')]
    )


def test_an_edit_that_leaves_the_languages_untouched_keeps_them(app, admin):
    add_org(app, "andes", languages="es,qu,rw")
    data = PageForms(page_of(admin.get(f"{LIST}/andes"))).values
    data["services"] = ["accompaniment"]

    assert admin.post(f"{LIST}/andes", data).status_code == 303

    assert stored(app, "andes")["languages"] == "es,qu,rw"


@pytest.mark.parametrize(
    "languages", [["xx"], ["es", "ES"], ["es, en"], ["<b>es</b>"], ["es\x00"], ["e" * 5000]]
)
def test_a_language_that_is_not_a_choice_is_refused_by_its_field(app, admin, languages):
    data = complete_form(languages=languages)

    response = admin.post(NEW, data)

    assert_refused_with(response, "languages", "Please choose languages from the list.")
    page = page_of(response)
    assert 'href="#languages-0"' in page  # the summary leads to the first box
    assert 'id="languages-0"' in page
    assert org_count(app) == 0


def test_more_than_a_hundred_languages_are_refused(app, admin):
    data = complete_form(languages=sorted(LANGUAGE_CODES)[:101])

    response = admin.post(NEW, data)

    assert_refused_with(response, "languages", "Please choose at most 100 languages.")
    assert org_count(app) == 0


def test_no_language_at_all_is_allowed(app, admin):
    assert create_organization(admin, languages=None).status_code == 303
    assert stored(app, "andes-collective")["languages"] == ""


def test_a_new_organization_starts_out_of_the_public_directory(app, admin):
    page = page_of(admin.get(NEW))

    assert "public" not in PageForms(page).values
    assert 'aria-describedby="public-hint"' in page and 'id="public-hint"' in page
    assert create_organization(admin, public=None).status_code == 303
    assert stored(app, "andes-collective")["public"] is False
    assert "Andes Collective" not in page_text(app.test_client().get("/organizations"))


DEVELOPER_WORDS = re.compile(
    r"README|import-orgs|\bISO\b|\bCSV\b|command|two-letter code|ISO 639|ISO 3166", re.I
)


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_no_administration_page_speaks_to_developers(app, admin, lang, sign_in_as):
    add_org(app, "andes", name="Andes Collective")
    member = sign_in_as("org_member", "member@example.org")
    pages = {
        "organizations": f"{LIST}",
        "archived organizations": f"{LIST}?archived=1",
        "new organization": NEW,
        "edit organization": f"{LIST}/andes",
        "archive": f"{LIST}/andes/archive",
        "accounts": "/admin/accounts",
        "deactivate": f"/admin/accounts/{member.user.uid}/deactivate",
        "move": f"/admin/accounts/{member.user.uid}/move",
        "reset": f"/admin/accounts/{member.user.uid}/reset",
    }
    for name, path in pages.items():
        response = admin.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
        assert response.status_code == 200, name
        text = page_text(response)
        main = text[text.index("<main") : text.index("</main>")]
        visible = re.sub(r"<[^>]+>", " ", main)  # words a person reads, not attributes
        assert not DEVELOPER_WORDS.search(visible), (name, DEVELOPER_WORDS.search(visible))
