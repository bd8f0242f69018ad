"""axe in the browser tests: the violations that block someone, as lines to report."""

from axe_playwright_python.sync_playwright import Axe

BLOCKING = ("serious", "critical")

_axe = Axe()


def axe_problems(page, where) -> list[str]:
    """The serious and critical axe violations on `page`, each a line naming `where`."""
    found = []
    for violation in _axe.run(page).response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [node["target"] for node in violation["nodes"]]
            found.append(f"{where}: axe {violation['id']} ({violation['impact']}) on {targets}")
    return found
