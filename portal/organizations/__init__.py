"""The organization directory as CSV: checking a file, importing it, exporting it.

An import is all or nothing: every row is checked before anything is written,
every problem is reported with its line, and the rows are written in one
transaction. An import adds and updates organizations by `key`; it never
deletes one that the file leaves out.

Spreadsheets run a cell that starts with = + - @ (or a tab or carriage return)
as a formula, so the export puts a single quote before such a cell, and the
import takes one quote off again: what the database holds survives the round
trip exactly, and only the file is defused.
"""

import csv
import io
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from babel import Locale
from peewee import JOIN, fn

from .. import audit, notices, offers, vocabulary, workflow
from ..db import db
from ..forms import CONTROL_CHARACTERS
from ..models import Offer, Organization, Request, User, utcnow
from ..regions import COUNTRY_REGION, REGIONS
from ..vocabulary import APPROVED, OFFER_CLOSED, OFFER_OPEN, OFFERED, SERVICES

COLUMNS = (
    "key",
    "name",
    "website",
    "regions",
    "countries",
    "services",
    "languages",
    "capacity",
    "public",
    "description_en",
    "description_fr",
    "description_es",
)
LIST_COLUMNS = ("regions", "countries", "services", "languages")
DESCRIPTION_COLUMNS = ("description_en", "description_fr", "description_es")

KEY = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])")
MAX_NAME = 200
MAX_WEBSITE = 300  # the column's size
MAX_DESCRIPTION = 2000
MAX_CAPACITY = 10_000
# The languages column holds 300 characters: 100 two-letter codes and their commas.
MAX_LANGUAGES = 100
TRUE_WORDS = frozenset({"yes", "true", "1"})
FALSE_WORDS = frozenset({"no", "false", "0"})

# ISO 639-1 codes (two letters) that Babel can name, so every page can show them.
LANGUAGE_CODES = frozenset(code for code in Locale("en").languages if len(code) == 2)

# Descriptions may hold tabs and line breaks; the other cells are one line.
# (Control characters are refused as in the web forms: CONTROL_CHARACTERS.)
_LINE_BREAK_OR_TAB = re.compile(r"[\t\n\r\u2028\u2029\x85]")
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


@dataclass(frozen=True)
class RowError:
    """One problem in a file: the line it is on (the header is line 1) and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class OrganizationRow:
    """One checked row of a file, in the shape the Organization table stores."""

    line: int
    key: str
    name: str
    website: str
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    services: tuple[str, ...]
    languages: tuple[str, ...]
    capacity: int
    public: bool
    description_en: str
    description_fr: str
    description_es: str

    def fields(self) -> dict:
        """The Organization fields this row sets (lists comma-separated, as stored)."""
        values = {name: getattr(self, name) for name in COLUMNS}
        for name in LIST_COLUMNS:
            values[name] = ",".join(values[name])
        return values


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int = 0


class ImportRefused(Exception):
    """A file with problems: nothing of it was imported."""

    def __init__(self, errors: list[RowError]):
        super().__init__(f"{len(errors)} problem(s), nothing imported")
        self.errors = errors


def parse_csv(text: str) -> tuple[list[OrganizationRow], list[RowError]]:
    """Check a whole file; the rows it holds, and every problem found (pure, no database)."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[RowError] = []
    rows: list[OrganizationRow] = []
    first_line_of: dict[str, int] = {}
    positions = None
    line = 1
    try:
        for cells in reader:
            if positions is None:
                positions, header_errors = _read_header(cells)
                if header_errors:
                    return [], header_errors
            elif any(cell.strip() for cell in cells):  # blank lines are skipped
                row, row_errors = _read_row(line, cells, positions)
                errors += row_errors
                if row is not None:
                    rows.append(row)
                key = cells[positions["key"]].strip() if len(cells) == len(COLUMNS) else ""
                if key in first_line_of:
                    reason = f'key "{key}" is already used on line {first_line_of[key]}'
                    errors.append(RowError(line, reason))
                elif key:
                    first_line_of[key] = line
            line = reader.line_num + 1
    except csv.Error as exc:
        # Past a broken quote the rest of the file cannot be read reliably.
        errors.append(RowError(line, f"this is not valid CSV ({exc})"))
    if positions is None:
        errors.append(RowError(1, "the file is empty: the first line must be the header"))
    return rows, errors


def _read_header(cells: list[str]) -> tuple[dict[str, int], list[RowError]]:
    names = [cell.strip() for cell in cells]
    problems = []
    unknown = [name for name in names if name not in COLUMNS]
    missing = [name for name in COLUMNS if name not in names]
    repeated = sorted({name for name in names if name in COLUMNS and names.count(name) > 1})
    if unknown:
        problems.append(f"unknown column(s): {_quoted(unknown)}")
    if missing:
        problems.append(f"missing column(s): {_quoted(missing)}")
    if repeated:
        problems.append(f"repeated column(s): {_quoted(repeated)}")
    if problems:
        expected = ",".join(COLUMNS)
        return {}, [RowError(1, f"{problem} (the header is {expected})") for problem in problems]
    return {name: names.index(name) for name in COLUMNS}, []


def _quoted(items) -> str:
    return ", ".join(f'"{item}"' for item in items)


def _read_row(line: int, cells: list[str], positions: dict[str, int]):
    if len(cells) != len(COLUMNS):
        return None, [RowError(line, f"expected {len(COLUMNS)} cells, found {len(cells)}")]
    raw = {name: _unquote_formula(cells[index]) for name, index in positions.items()}
    reasons: list[str] = []
    values: dict = {}
    for name, value in raw.items():
        if CONTROL_CHARACTERS.search(value):
            reasons.append(f"{name} contains control characters (such as NUL)")
        elif name not in DESCRIPTION_COLUMNS and _LINE_BREAK_OR_TAB.search(value.strip()):
            reasons.append(f"{name} must be on one line, without tabs")
        else:
            check = _CHECKS[name]
            value = value if name in DESCRIPTION_COLUMNS else value.strip()
            try:
                values[name] = check(value)
            except ValueError as exc:
                reasons.append(str(exc))
    if reasons:
        return None, [RowError(line, reason) for reason in reasons]
    return OrganizationRow(line=line, **values), []


def _unquote_formula(cell: str) -> str:
    """Undo the export's defusing: "'=x" comes back as "=x", "''=x" as "'=x"."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell) else cell


def _check_key(value: str) -> str:
    if not value:
        raise ValueError("key is required")
    if not KEY.fullmatch(value):
        raise ValueError(
            f'key "{value}" must be 2 to 80 lower-case letters, digits and hyphens, '
            "starting and ending with a letter or digit"
        )
    return value


def _check_name(value: str) -> str:
    if not value:
        raise ValueError("name is required")
    if len(value) > MAX_NAME:
        raise ValueError(f"name is longer than {MAX_NAME} characters ({len(value)})")
    return value


def _check_website(value: str) -> str:
    if not value:
        return ""
    if len(value) > MAX_WEBSITE:
        raise ValueError(f"website is longer than {MAX_WEBSITE} characters")
    problem = "website must be empty or an http:// or https:// address"
    if any(char.isspace() for char in value) or "\\" in value:
        raise ValueError(f"{problem} without spaces or backslashes")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(problem)
    if parts.username is not None or parts.password is not None:
        # https://trusted.example@evil.example reads as one site and opens another.
        raise ValueError("website must not contain a user name or password (@)")
    return value


def _check_capacity(value: str) -> int:
    if not value:
        raise ValueError(f"capacity is required (a whole number from 0 to {MAX_CAPACITY})")
    # ASCII digits only: int() would also take "٣" or "1_000".
    if not re.fullmatch(r"[0-9]+", value) or int(value) > MAX_CAPACITY:
        raise ValueError(f'capacity "{value}" must be a whole number from 0 to {MAX_CAPACITY}')
    return int(value)


def _check_public(value: str) -> bool:
    if not value:
        raise ValueError("public is required (yes or no)")
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f'public "{value}" must be yes, no, true, false, 1 or 0')


def _list_check(column: str, allowed, hint: str, limit: int | None = None):
    def check(value: str) -> tuple[str, ...]:
        items = []
        for item in (part.strip() for part in value.split(";")):
            if item and item not in items:
                items.append(item)
        unknown = [item for item in items if item not in allowed]
        if unknown:
            raise ValueError(f"{column}: unknown {_quoted(unknown)} ({hint})")
        if limit is not None and len(items) > limit:
            raise ValueError(f"{column}: at most {limit} allowed, found {len(items)}")
        return tuple(items)

    return check


def _description_check(column: str):
    def check(value: str) -> str:
        if len(value) > MAX_DESCRIPTION:
            raise ValueError(f"{column} is longer than {MAX_DESCRIPTION} characters ({len(value)})")
        return value

    return check


_CHECKS = {
    "key": _check_key,
    "name": _check_name,
    "website": _check_website,
    "regions": _list_check("regions", REGIONS, "use " + ", ".join(REGIONS)),
    "countries": _list_check(
        "countries", COUNTRY_REGION, "use upper-case ISO 3166 codes such as CO or SN"
    ),
    "services": _list_check("services", SERVICES, "use " + ", ".join(SERVICES)),
    "languages": _list_check(
        "languages",
        LANGUAGE_CODES,
        "use lower-case ISO 639-1 codes such as es or sw",
        MAX_LANGUAGES,
    ),
    "capacity": _check_capacity,
    "public": _check_public,
    **{column: _description_check(column) for column in DESCRIPTION_COLUMNS},
}


def import_csv(text: str, demo: bool = False) -> ImportResult:
    """Add and update organizations by key from a file; all of it, or nothing.

    Raises ImportRefused with every problem when any row is wrong. Organizations
    the file does not mention are left as they are. New organizations get
    `demo`; the demo flag of existing ones is never changed by an import.
    """
    rows, errors = parse_csv(text)
    if errors:
        raise ImportRefused(errors)
    created = updated = unchanged = 0
    with db.atomic():
        # The whole directory is a few thousand rows at most; one query, and no
        # IN list long enough to hit SQLite's limit on bound variables.
        existing = {organization.key: organization for organization in Organization.select()}
        for row in rows:
            values = row.fields()
            organization = existing.get(row.key)
            if organization is None:
                Organization.create(demo=demo, **values)
                created += 1
            elif any(getattr(organization, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(organization, name, value)
                organization.updated_at = utcnow()
                organization.save()
                updated += 1
            else:
                unchanged += 1
    return ImportResult(created, updated, unchanged)


def export_csv() -> str:
    """Every organization as CSV, sorted by key, formula-like cells defused."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for organization in Organization.select().order_by(Organization.key):
        cells = []
        for name in COLUMNS:
            value = getattr(organization, name)
            if name in LIST_COLUMNS:
                value = ";".join(item for item in value.split(",") if item)
            elif name == "public":
                value = "yes" if value else "no"
            cells.append(neutralise(str(value)))
        writer.writerow(cells)
    return out.getvalue()


def neutralise(cell: str) -> str:
    """A cell that a spreadsheet would not run as a formula: "=x" becomes "'=x".

    Cells that already start with quotes before such a character get one more,
    so that the import's unquoting gives back exactly what was stored.
    """
    return "'" + cell if _FORMULA.match(cell) else cell


def by_key(key: str) -> Organization | None:
    """The organization with this key, or None for any other text."""
    if not isinstance(key, str) or not key or len(key) > 80:
        return None
    return Organization.get_or_none(Organization.key == key)


def in_service_by_name():
    """Every organization that is not archived, public or not, by name: for choosing one."""
    return Organization.in_service().order_by(fn.LOWER(Organization.name), Organization.key)


# --- the administrators' pages ---------------------------------------------------------------

# What an administrator sets on the organization form (the key only when creating).
EDITABLE = tuple(column for column in COLUMNS if column != "key")


def check_website(value: str) -> str | None:
    """Why a website cannot be kept (in words for the CSV report), or None when it can."""
    try:
        _check_website(value)
    except ValueError as problem:
        return str(problem)
    return None


def save(values: dict, by: User, organization: Organization | None = None) -> Organization:
    """Create an organization, or change one, from checked values (lists as lists)."""
    fields = {
        name: ",".join(value) if name in LIST_COLUMNS else value
        for name, value in values.items()
        if name in COLUMNS
    }
    with db.atomic():
        if organization is None:
            organization = Organization.create(**fields)
            audit.record("organization.created", user=by, detail=f"key={organization.key}")
        else:
            fields.pop("key", None)  # the key is what imports match on: it never changes
            for name, value in fields.items():
                setattr(organization, name, value)
            organization.updated_at = utcnow()
            organization.save()
            audit.record("organization.updated", user=by, detail=f"key={organization.key}")
    return organization


def for_administrators(archived: bool = False):
    """The organizations in service (or the archived ones) by name, with how many members
    each has (for administrators)."""
    members = fn.COUNT(User.id)
    return (
        Organization.select(Organization, members.alias("member_count"))
        .join(User, JOIN.LEFT_OUTER, on=(User.organization == Organization.id))
        .where(Organization.archived_at.is_null(not archived))
        .group_by(Organization.id)
        .order_by(fn.LOWER(Organization.name), Organization.key)
    )


def counts() -> dict[str, int]:
    """How many organizations are in service, and how many are archived."""
    archived = Organization.select().where(Organization.archived_at.is_null(False)).count()
    return {"in_service": Organization.in_service().count(), "archived": archived}


def members_of(organization: Organization) -> list[User]:
    """The organization's member accounts, by email."""
    return list(User.select().where(User.organization == organization).order_by(User.email))


# --- archiving: out of the directory and matching, history kept --------------------------------


class ArchiveRefused(Exception):
    """The organization works on requests now: archiving it would leave them without anyone."""

    def __init__(self, engaged: int):
        super().__init__(f"{engaged} request(s) in hand")
        self.engaged = engaged


@dataclass(frozen=True)
class ArchiveEffects:
    """What archiving an organization would do now, for the page that asks to confirm it."""

    open_offers: int  # taken back
    engaged: int  # requests it works on: while there is one, it cannot be archived
    members: int  # accounts that stay, with nothing left to answer


def archive_effects(organization: Organization) -> ArchiveEffects:
    return ArchiveEffects(
        open_offers=_open_offers(organization).count(),
        engaged=offers.engagements().get(organization.id, 0),
        members=User.select().where(User.organization == organization).count(),
    )


def _open_offers(organization: Organization):
    return Offer.select().where((Offer.organization == organization) & (Offer.state == OFFER_OPEN))


def archive(organization: Organization, by: User) -> int:
    """Archive an organization; how many of its open offers were taken back.

    It leaves the public directory and matching. Its open offers close, as when a
    reviewer takes offers back: a request left with no open offer goes back to be
    offered again, and reviewers are told. Its members keep their accounts but have
    no offer to answer. Its offers, their timelines and the audit trail stay, and
    `restore` puts it back. Raises ArchiveRefused while it works on a request
    (accepted or under way): the requester relies on it.
    """
    if organization.archived:
        return 0
    now = utcnow()
    taken_back = 0
    with db.atomic():
        # The offers first, then the count of requests in hand: an acceptance that
        # commits meanwhile either finds its offer closed or is counted below.
        for the_offer in list(_open_offers(organization)):
            taken_back += _take_back(the_offer, now)
        engaged = offers.engagements().get(organization.id, 0)
        if engaged:
            raise ArchiveRefused(engaged)  # rolls back the offers taken back above
        (
            Organization.update(archived_at=now, updated_at=now)
            .where((Organization.id == organization.id) & Organization.archived_at.is_null())
            .execute()
        )
        audit.record(
            "organization.archived",
            user=by,
            detail=f"key={organization.key} offers_taken_back={taken_back}",
        )
    organization.archived_at = organization.updated_at = now
    return taken_back


def _take_back(the_offer: Offer, now) -> int:
    """Close one open offer; its request goes back to be matched when no offer is left open."""
    # The request's row first, as an acceptance takes it (the opposite order could deadlock).
    (
        Request.update(updated_at=Request.updated_at)
        .where(Request.id == the_offer.request_id)
        .execute()
    )
    closed = (
        Offer.update(state=OFFER_CLOSED, decided_at=now)
        .where((Offer.id == the_offer.id) & (Offer.state == OFFER_OPEN))
        .execute()
    )
    if not closed:
        return 0
    request = Request.get_by_id(the_offer.request_id)
    still_open = (
        Offer.select().where((Offer.request == request) & (Offer.state == OFFER_OPEN)).exists()
    )
    if request.state == OFFERED and not still_open:
        workflow.transition(request, APPROVED, vocabulary.SYSTEM)
        notices.to_reviewers("offers_ended")
    return 1


def restore(organization: Organization, by: User) -> None:
    """Put an archived organization back in service: matching, and the directory if public."""
    if not organization.archived:
        return
    now = utcnow()
    with db.atomic():
        (
            Organization.update(archived_at=None, updated_at=now)
            .where(Organization.id == organization.id)
            .execute()
        )
        audit.record("organization.restored", user=by, detail=f"key={organization.key}")
    organization.archived_at, organization.updated_at = None, now
