"""Languages: how a page's language is chosen, and what the French and Spanish pages say."""

import functools
import html as htmllib
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pycountry
import pytest
from babel import Locale
from babel.messages.pofile import read_po

from portal import vocabulary
from portal.i18n import text_direction
from portal.regions import COUNTRY_REGION, REGIONS
from portal.vocabulary import SERVICE_LABELS, URGENCY_LABELS

from portal_testing import catalogue, shown

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
TRANSLATED = ["fr", "es"]
LANG_ATTRIBUTE = re.compile(r'<html lang="([^"]+)" dir="([^"]+)">')
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa%])")


@functools.cache
def template():
    with open(TRANSLATIONS / "messages.pot", "rb") as fh:
        return read_po(fh)


def messages(lang):
    """Every real message of a catalogue (not the header)."""
    return [message for message in catalogue(lang) if message.id]


translation = shown


def strings(message_part):
    """msgid or msgstr as a tuple of strings (plural messages have several)."""
    if isinstance(message_part, list | tuple):
        return tuple(message_part)
    return (message_part,)


def placeholders(text):
    return {match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(2) != "%"}


def page_language(response):
    """(lang, dir) of a page's <html> element."""
    match = LANG_ATTRIBUTE.search(response.get_data(as_text=True))
    assert match, "no <html lang dir> on the page"
    return match.groups()


def text(response):
    return htmllib.unescape(response.get_data(as_text=True))


class SelectOptions(HTMLParser):
    """The (value, label) options of one <select> on a page."""

    def __init__(self, html, name):
        super().__init__(convert_charrefs=True)
        self.name = name
        self.options: list[tuple[str, str]] = []
        self._inside = False
        self._value = None
        self._label: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select" and attrs.get("name") == self.name:
            self._inside = True
        elif tag == "option" and self._inside:
            self._value, self._label = attrs.get("value", ""), []

    def handle_endtag(self, tag):
        if tag == "option" and self._value is not None:
            self.options.append((self._value, "".join(self._label).strip()))
            self._value = None
        elif tag == "select":
            self._inside = False

    def handle_data(self, data):
        if self._value is not None:
            self._label.append(data)


def accent_free(name):
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Choosing the language


def test_a_browser_asking_for_french_gets_french(client):
    response = client.get("/", headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"})
    assert page_language(response) == ("fr", "ltr")
    assert translation("fr", "Protection for defenders at risk") in text(response)


def test_a_browser_asking_for_spanish_gets_spanish(client):
    response = client.get("/", headers={"Accept-Language": "es-CO,es;q=0.9"})
    assert page_language(response) == ("es", "ltr")
    assert translation("es", "Protection for defenders at risk") in text(response)


def test_a_browser_language_the_portal_lacks_gets_english(client):
    response = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9,ja;q=0.5"})
    assert page_language(response) == ("en", "ltr")
    assert "Protection for defenders at risk" in text(response)


def test_the_language_cookie_beats_the_browser_language(client):
    client.set_cookie("lang", "es")
    response = client.get("/", headers={"Accept-Language": "fr"})
    assert page_language(response)[0] == "es"


def test_choosing_a_language_in_the_address_keeps_it_for_the_next_pages(client):
    response = client.get("/?lang=es", headers={"Accept-Language": "fr"})
    assert page_language(response)[0] == "es"
    cookie = client.get_cookie("lang")
    assert cookie is not None and cookie.value == "es"
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert cookie.path == "/"

    following = client.get("/request", headers={"Accept-Language": "fr"})
    assert page_language(following)[0] == "es"


def test_the_address_beats_the_cookie(client):
    client.set_cookie("lang", "fr")
    response = client.get("/?lang=es")
    assert page_language(response)[0] == "es"
    assert client.get_cookie("lang").value == "es"


def test_an_unknown_language_in_the_address_gives_english(client):
    client.set_cookie("lang", "fr")
    response = client.get("/?lang=xx", headers={"Accept-Language": "fr"})
    assert page_language(response) == ("en", "ltr")
    assert "Protection for defenders at risk" in text(response)
    assert client.get_cookie("lang").value == "en"


def test_a_forged_language_cookie_is_ignored(client):
    client.set_cookie("lang", '"><script>alert(1)</script>')
    response = client.get("/", headers={"Accept-Language": "es"})
    assert page_language(response)[0] == "es"
    assert "<script>alert(1)" not in response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_every_language_of_the_site_is_written_left_to_right(client, lang):
    for path in ("/", "/request", "/track"):
        assert page_language(client.get(f"{path}?lang={lang}")) == (lang, "ltr")


def test_right_to_left_languages_would_be_laid_out_right_to_left():
    assert text_direction(Locale.parse("ar")) == "rtl"
    assert text_direction(Locale.parse("fa")) == "rtl"
    assert text_direction(Locale.parse("fr")) == "ltr"


# Countries


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_country_list_names_every_country_in_the_page_language(client, lang):
    html = client.get(f"/request?lang={lang}").get_data(as_text=True)
    options = SelectOptions(html, "country").options
    assert options[0][0] == "", "the list starts with an empty choice"
    countries = options[1:]
    assert sorted(code for code, _ in countries) == sorted(COUNTRY_REGION)
    names = Locale.parse(lang).territories
    for code, label in countries:
        assert label == names[code], code


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_country_list_is_in_alphabetical_order_ignoring_accents(client, lang):
    html = client.get(f"/request?lang={lang}").get_data(as_text=True)
    labels = [label for _, label in SelectOptions(html, "country").options[1:]]
    assert labels == sorted(labels, key=accent_free)


def test_in_french_egypt_is_among_the_e_not_after_zambia(client):
    html = client.get("/request?lang=fr").get_data(as_text=True)
    codes = [code for code, _ in SelectOptions(html, "country").options[1:]]
    assert codes.index("DK") < codes.index("EG") < codes.index("ES") < codes.index("ZM")


def test_the_countries_are_exactly_the_iso_codes_and_kosovo():
    iso = {country.alpha_2 for country in pycountry.countries}
    assert set(COUNTRY_REGION) == iso | {"XK"}


def test_every_country_belongs_to_one_of_the_six_regions():
    assert len(REGIONS) == 6
    unknown = {code: region for code, region in COUNTRY_REGION.items() if region not in REGIONS}
    assert unknown == {}


# The catalogues


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_catalogue_has_every_message_of_the_template(lang):
    expected = {message.id for message in template() if message.id}
    present = {message.id for message in messages(lang)}
    assert sorted(map(str, expected - present)) == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang):
    untranslated = [message.id for message in messages(lang) if not all(strings(message.string))]
    assert untranslated == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_no_translation_is_left_fuzzy(lang):
    fuzzy = [message.id for message in messages(lang) if message.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_add_no_markup(lang):
    added = []
    for message in messages(lang):
        source = "".join(strings(message.id))
        for translated in strings(message.string):
            for bracket in "<>":
                if bracket in translated and bracket not in source:
                    added.append((message.id, translated))
    assert added == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_same_placeholders(lang):
    mismatched = []
    for message in messages(lang):
        expected = set().union(*(placeholders(s) for s in strings(message.id)))
        for translated in strings(message.string):
            if translated and placeholders(translated) != expected:
                mismatched.append((message.id, translated))
    assert mismatched == []


def test_the_placeholder_check_sees_placeholders():
    assert placeholders("Please keep this under %(max)d characters.") == {"%(max)d"}
    assert placeholders("Error %(code)d, 100%% sure") == {"%(code)d"}


# Labels


LABELS = {
    "region": REGIONS,
    "service": SERVICE_LABELS,
    "urgency": URGENCY_LABELS,
    "state": vocabulary.PUBLIC_LABELS,
    "state explanation": vocabulary.PUBLIC_EXPLANATIONS,
}


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("group", LABELS)
def test_labels_are_translated(app, group, lang):
    labels = LABELS[group]
    with app.test_request_context("/?lang=en"):
        english = {key: str(label) for key, label in labels.items()}
    with app.test_request_context(f"/?lang={lang}"):
        translated = {key: str(label) for key, label in labels.items()}
    for key in labels:
        assert translated[key] == translation(lang, english[key]), key
        assert translated[key] != english[key], key


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_request_form_shows_services_and_urgencies_in_the_page_language(app, client, lang):
    with app.test_request_context("/?lang=en"):
        english = [str(label) for label in [*SERVICE_LABELS.values(), *URGENCY_LABELS.values()]]
    page = text(client.get(f"/request?lang={lang}"))
    for label in english:
        assert translation(lang, label) in page, label


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize(
    "path, english",
    [
        ("/", "Protection for defenders at risk"),
        ("/request", "Ask for accompaniment or a visit"),
        ("/track", "Follow your request"),
    ],
)
def test_each_page_heading_differs_from_english(client, lang, path, english):
    english_page = text(client.get(f"{path}?lang=en"))
    assert english in english_page
    page = text(client.get(f"{path}?lang={lang}"))
    assert english not in page.split('id="page-heading"')[1].split("</h1>")[0]
    assert translation(lang, english) in page


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_tracking_page_shows_the_state_in_the_page_language(client, requester, lang):
    client.get(f"/request?lang={lang}")
    code = requester.submit_and_get_code()
    requester.open(code)
    page = text(client.get("/track"))
    status = page.split('id="status-heading"')[1].split("</h2>")[0]
    assert translation(lang, "Received") in status
    assert "Received" not in status
