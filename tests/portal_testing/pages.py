"""Reading pages as a browser would: form values and errors, tags, texts, cookies, languages."""

import functools
import html
import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext

TRANSLATIONS = Path(__file__).resolve().parents[2] / "translations"

_TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def is_page(app, path):
    """Whether `path` is a page (answers GET), as portal.navigation decides."""
    from portal.navigation import is_page as page

    with app.test_request_context():
        return page(path)


def csrf_token(client, path="/request"):
    html_page = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(html_page)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def page_text(response):
    """The page as a person reads it: HTML entities undone."""
    return html.unescape(response.get_data(as_text=True))


@functools.cache
def catalogue(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh)


def shown(lang, msgid):
    """The text a page in `lang` shows for `msgid`: the catalogue's translation (English for en)."""
    if lang == "en":
        return msgid
    message = catalogue(lang).get(msgid)
    assert message is not None, f"{msgid!r} is missing from the {lang} catalogue"
    assert message.string and not message.fuzzy, f"{msgid!r} is not translated into {lang}"
    return message.string


def translated(app, text, locale, **variables):
    """`text` as the application's catalogue says it in `locale`."""
    with app.test_request_context(), force_locale(locale):
        return gettext(text, **variables)


def assert_shows(app, page, english, locale="en", **variables):
    """The page shows `english` in `locale`; in another language it must really be translated."""
    expected = translated(app, english, locale, **variables)
    if locale != "en":
        source = english % variables if variables else english
        assert expected != source, f"{english!r} has no {locale} translation in the catalogue"
        assert f'<html lang="{locale}"' in page
    assert expected in html.unescape(page), f"{expected!r} is not on the page"


def speak_french(client):
    """The person picks Français once; the lang cookie keeps it."""
    client.get("/?lang=fr")


TEXT_INPUTS = {"text", "hidden", "date", "number", "email", "search", "tel", "url", "password"}


class PageForms(HTMLParser):
    """Read a page as a browser would: the values its forms would send, and each field's errors."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}
        self.errors: dict[str, list[str]] = {}
        self._select = None
        self._options: list[tuple[str, bool]] = []
        self._textarea = None
        self._text: list[str] = []
        self._error_field = None
        self._in_error_span = False
        self.feed(html)
        self.close()

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in TEXT_INPUTS:
                self._add(attrs["name"], attrs.get("value") or "")
            elif kind in ("checkbox", "radio") and "checked" in attrs:
                self._add(attrs["name"], attrs.get("value") or "on")
        elif tag == "textarea":
            self._textarea, self._text = attrs.get("name"), []
        elif tag == "select":
            self._select, self._options = attrs.get("name"), []
        elif tag == "option" and self._select:
            self._options.append((attrs.get("value") or "", "selected" in attrs))
        elif tag == "p" and "error-message" in (attrs.get("class") or "").split():
            self._error_field = (attrs.get("id") or "").removesuffix("-error")
            self.errors.setdefault(self._error_field, [])
        elif tag == "span" and self._error_field:
            self._in_error_span, self._text = True, []

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # HTML drops one line break right after <textarea>.
            for newline in ("\r\n", "\n"):
                if text.startswith(newline):
                    text = text[len(newline) :]
                    break
            self._add(self._textarea, text)
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options:
                chosen = [self._options[0][0]]
            for value in chosen:
                self._add(self._select, value)
            self._select = None
        elif tag == "span" and self._in_error_span:
            self.errors[self._error_field].append("".join(self._text).strip())
            self._in_error_span = False
        elif tag == "p" and self._error_field:
            self._error_field = None

    def handle_data(self, data):
        if self._textarea is not None or self._in_error_span:
            self._text.append(data)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags(page):
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


def assert_no_inline_code(page, name):
    """No <style>, no inline <script>, no style= and no event handlers: the CSP allows none."""
    for tag, attrs in tags(page):
        assert tag != "style", name
        if tag == "script":
            assert attrs.get("src"), f"inline <script> on {name}"
        assert "style" not in attrs, f"style= on <{tag}> on {name}"
        handlers = [a for a in attrs if a.startswith("on") or a.startswith("hx-on")]
        assert not handlers, f"{handlers} on <{tag}> on {name}"


URL_ATTRIBUTES = ("href", "action", "src", "formaction", "hx-get", "hx-post", "hx-put", "hx-patch")


def urls_in(page):
    return [
        attrs[name]
        for _, attrs in tags(page)
        for name in URL_ATTRIBUTES
        if attrs.get(name) is not None
    ]


def links_named(page, text):
    """The targets of the links whose text is `text`."""
    return [
        html.unescape(href)
        for href, label in re.findall(r'<a [^>]*href="([^"]*)"[^>]*>([^<]*)</a>', page)
        if html.unescape(label).strip() == text
    ]


def session_contents(app, client):
    """What the signed session cookie of `client` holds."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    return app.session_interface.get_signing_serializer(app).loads(cookie.value)


def set_cookie_headers(response):
    """{cookie name: set of lower-cased attributes} from the Set-Cookie headers."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name = first.split("=", 1)[0]
        cookies[name] = {attribute.lower() for attribute in attributes}
    return cookies
