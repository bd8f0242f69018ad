"""Locale selection, and names of countries and languages from CLDR (Babel)."""

import functools
import unicodedata

from babel import Locale
from flask import current_app, g, has_request_context, request
from flask_babel import format_date, format_time, format_timedelta, get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from .regions import COUNTRY_REGION

LANGUAGES = {"en": "English", "fr": "Français", "es": "Español"}
DEFAULT_LOCALE = "en"
# Right-to-left locales the layout is ready for, though none is translated yet.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ku", "dv", "yi"})

# Languages a request can say its people speak; names come from CLDR.
SPOKEN_LANGUAGES = (
    "ar en es fr pt ru zh hi ur bn fa tr sw am ha yo so ku ps my th vi id tl ne qu ay gn"
).split()


def selected_locale() -> Locale:
    """select_locale's choice as a Locale, made once per language: flask-babel would
    parse the name again on every request, which costs more than choosing it."""
    return _parsed(select_locale())


@functools.cache
def _parsed(name: str) -> Locale:
    return Locale.parse(name)


def select_locale() -> str:
    """The signed-in account's language; else ?lang= (an unknown one means English),
    then the cookie, then the browser."""
    if not has_request_context():  # command-line tasks speak English
        return DEFAULT_LOCALE
    account = _account_locale()
    if account:
        return account
    asked = request._get_current_object()  # once: each look through the proxy costs
    environ = asked.environ
    if environ.get("QUERY_STRING") and "lang" in asked.args:
        chosen = asked.args.get("lang", "")
        g.lang_chosen = chosen if chosen in LANGUAGES else DEFAULT_LOCALE
        return g.lang_chosen
    if "HTTP_COOKIE" in environ:
        cookie = asked.cookies.get(current_app.config["LANG_COOKIE_NAME"])
        if cookie in LANGUAGES:
            return cookie
    return _best_language(environ.get("HTTP_ACCEPT_LANGUAGE", ""))


@functools.lru_cache(maxsize=1024)
def _best_language(accepted: str) -> str:
    """The browser's choice among ours. Few browsers send different headers; parsing one
    costs more than choosing the rest of the locale."""
    languages = parse_accept_header(accepted, LanguageAccept)
    return languages.best_match(list(LANGUAGES)) or DEFAULT_LOCALE


def _account_locale() -> str | None:
    # Only when a staff session cookie came with the request: public pages and
    # static files never look an account up.
    from .sessions import has_staff_cookie, staff_user

    if not has_staff_cookie():
        return None
    user = staff_user()
    return user.locale if user is not None and user.locale in LANGUAGES else None


def remember_locale(response):
    """Keep a ?lang= choice in a cookie, so that the next page is in that language too."""
    chosen = g.get("lang_chosen")
    if chosen:
        response.set_cookie(
            current_app.config["LANG_COOKIE_NAME"],
            chosen,
            max_age=365 * 24 * 3600,
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
            path="/",
        )
    return response


def text_direction(locale=None) -> str:
    locale = locale or get_locale()
    return "rtl" if locale is not None and locale.language in RTL_LANGUAGES else "ltr"


def country_name(code: str) -> str:
    return get_locale().territories.get(code, code)


def countries() -> list[tuple[str, str]]:
    """(code, name) for every country, sorted by name in the page's language."""
    return list(_countries(get_locale()))


@functools.cache  # one list per language: sorting 250 names took a filtered page 0.3 ms
def _countries(locale: Locale) -> tuple[tuple[str, str], ...]:
    names = locale.territories
    return tuple(
        sorted(
            ((code, names.get(code, code)) for code in COUNTRY_REGION),
            key=lambda item: collation_key(item[1]),
        )
    )


def countries_by_region() -> dict[str, list[tuple[str, str]]]:
    """countries(), grouped by the network's region of each."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name in countries():
        groups.setdefault(COUNTRY_REGION[code], []).append((code, name))
    return groups


def language_name(code: str) -> str:
    name = get_locale().languages.get(code, code)
    # CLDR writes French and Spanish language names in lower case; in a list of
    # choices each one starts a line.
    return name[:1].upper() + name[1:]


# Listed first on the form; the others wait behind "More languages".
COMMON_LANGUAGES = ("ar", "en", "es", "fr", "pt", "ru")


def spoken_languages() -> list[tuple[str, str]]:
    """The common languages by name, then the others by name."""
    return sorted(
        ((code, language_name(code)) for code in SPOKEN_LANGUAGES),
        key=lambda item: (item[0] not in COMMON_LANGUAGES, collation_key(item[1])),
    )


def collation_key(name: str) -> str:
    # Accents should not push "Égypte" after "Zambie"; a plain decomposition is
    # enough for Latin scripts without a full collation library.
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# The largest unit a duration is a whole number of, for stating a promise exactly.
_EXACT_UNITS = (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60))


def exact_duration(span) -> str:
    """A duration as a promise: "36 hours", never rounded up to "2 days"; "24 hours" rather
    than "1 day", and "7 days" rather than "1 week"."""
    seconds = int(span.total_seconds())
    exact = [(name, size) for name, size in _EXACT_UNITS if seconds % size == 0]
    unit = next((name for name, size in exact if seconds // size >= 2), None)
    if unit is None:
        unit = exact[0][0] if exact else "second"
    return format_timedelta(span, granularity=unit, threshold=float("inf"))


def moment(when) -> str:
    """A date and time to the minute, as the page's language writes them ("2 Dec 2026, 14:05")."""
    pattern = get_locale().datetime_formats["medium"]
    return pattern.format(format_time(when, "short"), format_date(when, "medium"))


def ago(when, now=None) -> str:
    """How long ago, in the page's language ("3 hours ago"): for people who read a time in
    their own sense of it, without a time zone to work out."""
    from .models import utcnow

    return format_timedelta(when - (now or utcnow()), add_direction=True, threshold=1.5)
