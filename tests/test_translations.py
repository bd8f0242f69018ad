"""The French and Spanish catalogues follow translations/GLOSSARY.md where a machine can tell."""

import re

import pytest
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from portal_testing import PASSWORD_ALONE, catalogue
from portal_testing.pages import TRANSLATIONS

TRANSLATED = ("fr", "es")
GLOSSARY = TRANSLATIONS / "GLOSSARY.md"
NO_BREAK = "\u00a0\u202f"

# "Offer" also means "provide" where it speaks of services, not of requests
# proposed to organizations: there « offrir » / "ofrecer" is right.
OFFER_A_SERVICE = (
    "All offer the service asked for. Best first: same country, then same region, then "
    "elsewhere; then a language in common, then what the risk answers call for, then free "
    "capacity.",
    "No organization in the directory offers this service.",
    "Offers the service asked for",
    "Services it offers",
    "The network's organizations offer these services in the regions where they work.",
    "What you asked for is not something the organizations of this network can offer. "
    "This says nothing about the importance of your situation.",
)
# (language, English term, msgid): where a message rightly says the term otherwise.
EXCEPTIONS = {
    (lang, "offers?|offered", msgid) for lang in ("fr", "es") for msgid in OFFER_A_SERVICE
}


def texts(lang):
    """(msgid, msgstr) for every message of a catalogue, plural forms one by one."""
    for message in catalogue(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            for msgstr in strings:
                yield msgid, msgstr


def glossary():
    """The terms table of GLOSSARY.md: (English pattern, French stem, Spanish stem)."""
    text = GLOSSARY.read_text(encoding="utf-8")
    table = text.split("<!-- glossary:start -->")[1].split("<!-- glossary:end -->")[0]
    rows = []
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        english, stem_fr, stem_es = (cells[i].strip("`").replace("\\|", "|") for i in (0, 3, 4))
        rows.append((english, {"fr": stem_fr, "es": stem_es}))
    return rows


def test_the_glossary_names_every_term_the_issue_asks_for():
    terms = " ".join(english for english, _ in glossary())
    for word in (
        "request",
        "tracking code",
        "reviewer",
        "organization",
        "protective accompaniment",
        "solidarity visit",
        "monitoring visit",
        "withdraw",
        "offer",
        "accept",
        "decline",
        "reject",
        "under way",
        "completed",
        "two-step sign-in",
        "recovery code",
        "check-in",
        "verification phrase",
    ):
        assert word in terms, word


@pytest.mark.parametrize("lang", TRANSLATED)
def test_each_term_is_rendered_as_the_glossary_says(lang):
    astray = []
    for english, stems in glossary():
        term = re.compile(rf"\b(?:{english})\b", re.IGNORECASE)
        stem = re.compile(stems[lang], re.IGNORECASE)
        for msgid, msgstr in texts(lang):
            missing = term.search(msgid) and not stem.search(msgstr)
            if missing and (lang, english, msgid) not in EXCEPTIONS:
                astray.append(f"{english!r} in {msgid!r}: {msgstr!r}")
    assert astray == []


def test_decline_and_reject_read_differently_in_every_language():
    for lang in TRANSLATED:
        stems = {english: stems[lang] for english, stems in glossary()}
        decline = next(stem for english, stem in stems.items() if english.startswith("decline"))
        reject = next(stem for english, stem in stems.items() if english.startswith("reject"))
        assert not re.search(decline, reject) and not re.search(reject, decline)


def test_french_puts_a_non_breaking_space_before_high_punctuation_and_inside_guillemets():
    loose = []
    for _, msgstr in texts("fr"):
        for match in re.finditer(r"[:;!?]", msgstr):
            before, after = msgstr[: match.start()], msgstr[match.end() :]
            if match.group() == ":" and (after.startswith("//") or before[-1:].isdigit()):
                continue  # an address (https://) or a time
            if not before or before[-1] not in NO_BREAK:
                loose.append(msgstr)
        if re.search(rf"«[^{NO_BREAK}]|[^{NO_BREAK}]»", msgstr):
            loose.append(msgstr)
    assert loose == []


def test_french_uses_the_typographic_apostrophe():
    assert [msgstr for _, msgstr in texts("fr") if "'" in msgstr] == []


def test_spanish_opens_its_questions_and_exclamations():
    unopened = [
        msgstr
        for _, msgstr in texts("es")
        if ("?" in msgstr and "¿" not in msgstr) or ("!" in msgstr and "¡" not in msgstr)
    ]
    assert unopened == []


@pytest.mark.parametrize("lang", ("en", *TRANSLATED))
def test_no_message_writes_a_large_number_by_hand(lang):
    grouped = re.compile(r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+")
    if lang == "en":
        found = [msgid for msgid, _ in texts("fr") if grouped.search(msgid)]
    else:
        found = [msgstr for _, msgstr in texts(lang) if grouped.search(msgstr)]
    assert found == []


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "10,000"), ("fr", "10\u202f000"), ("es", "10.000")],
)
def test_a_number_in_a_message_is_written_as_the_language_writes_it(app, lang, expected):
    from portal.organizations.forms import OrganizationForm

    with app.test_request_context(), force_locale(lang):
        form = OrganizationForm(
            MultiDict({"name": "x", "services": "accompaniment", "capacity": "20000"}),
            creating=False,
            meta={"csrf": False},
        )
        form.validate()
        message = form.capacity.errors[0]
    assert message.endswith(f"{expected}.")


@pytest.mark.app_config(**PASSWORD_ALONE)
@pytest.mark.parametrize(
    ("lang", "role"),
    [
        ("en", "(reviewer)"),
        ("fr", "(examinateur ou examinatrice)"),
        ("es", "(revisor o revisora)"),
    ],
)
def test_a_role_named_inside_a_sentence_is_written_in_lower_case(reviewer, lang, role):
    page = reviewer.text(f"/staff/?lang={lang}")
    assert role in page
