"""Templates and translations never turn text into markup."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


UNSAFE_IN_TEMPLATES = {
    "|safe": re.compile(r"\|\s*safe\b"),
    "Markup(": re.compile(r"\bMarkup\s*\("),
    "autoescape false": re.compile(r"autoescape\s+false", re.IGNORECASE),
}


def test_templates_never_mark_text_safe():
    found = []
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            found += [
                f"{path.name}: {name}"
                for name, rx in UNSAFE_IN_TEMPLATES.items()
                if rx.search(text)
            ]
    for path in sorted((ROOT / "portal").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if UNSAFE_IN_TEMPLATES["Markup("].search(text):
            found.append(f"{path.name}: Markup(")

    assert found == []


def test_translations_carry_no_markup():
    """flask-babel's lazy strings count as safe HTML: a translated '<' would not be escaped."""
    catalogues = sorted((ROOT / "translations").rglob("*.po"))
    assert catalogues
    for catalogue in catalogues:
        text = catalogue.read_text(encoding="utf-8")
        translations = re.findall(r'^msgstr(?:\[\d+\])? "(.*)"$', text, re.MULTILINE)
        assert not [line for line in translations if "<" in line or ">" in line], catalogue
