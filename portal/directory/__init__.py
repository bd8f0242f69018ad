"""The public directory of accompanying organizations: who is listed, and under which regions.

The directory is the list on the public page "sorted by region": an
organization appears under every region it works in, whether it names the
region or only countries of it. Grouping and filtering are plain functions of
the organizations given; only `listed_organizations` and `directory` read the
database.
"""

import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app
from peewee import fn

from ..db import Page
from ..i18n import collation_key, country_name, language_name
from ..models import Organization
from ..regions import COUNTRY_REGION, REGIONS
from ..vocabulary import SERVICE_LABELS

WEB_SCHEMES = ("https://", "http://")


def regions_of(organization) -> list[str]:
    """The regions it works in (named, or holding one of its countries), in the page's order."""
    keys = set(organization.region_keys)
    keys.update(
        COUNTRY_REGION[code] for code in organization.country_codes if code in COUNTRY_REGION
    )
    return [key for key in REGIONS if key in keys]


def group_by_region(organizations, region: str | None = None, service: str | None = None):
    """[(region key, organizations)] in the order of REGIONS, without empty groups.

    `region` keeps one group; `service` keeps the organizations that offer it.
    Within a group, organizations are sorted by name, ignoring case.
    """
    chosen = [org for org in organizations if service is None or service in org.service_keys]
    chosen.sort(key=lambda org: (collation_key(org.name), org.key))
    placed = [(org, set(regions_of(org))) for org in chosen]
    groups = []
    for key in REGIONS:
        if region is not None and key != region:
            continue
        members = [org for org, keys in placed if key in keys]
        if members:
            groups.append((key, members))
    return groups


def listed_organizations() -> list[Organization]:
    """The organizations the public may see: never a private or an archived one."""
    return list(Organization.listed())


# How often a process asks the database whether another process changed the
# organizations: a kept directory page (portal/page_cache.py) is shown at most this long
# after such a change. A change made by this process drops it at once.
VERSION_SECONDS = 1.0
clock = time.monotonic


def version() -> tuple:
    """What the organizations are now, as far as the directory can tell: the writes this
    process made, their number and the last change to any (every change sets updated_at)."""
    checked = current_app.extensions.setdefault("directory_version", {"at": None})
    now = clock()
    if checked["at"] is None or now - checked["at"] >= VERSION_SECONDS:
        query = Organization.select(fn.COUNT(Organization.id), fn.MAX(Organization.updated_at))
        checked["value"] = tuple(query.tuples().get())
        checked["at"] = now
    return (Organization.writes, *checked["value"])


def website_link(website: str) -> str | None:
    """The website as a link target if it is an http(s) address, else None.

    Anything else (`javascript:`, `data:`, a bare host name) is never put in an href.
    """
    address = (website or "").strip()
    if not address.lower().startswith(WEB_SCHEMES):
        return None
    try:
        host = urlsplit(address).netloc
    except ValueError:  # a malformed address, such as an unclosed IPv6 bracket
        return None
    return address if host else None


@dataclass(frozen=True)
class Entry:
    """One organization as the directory shows it, in the page's language."""

    organization: Organization
    services: list[str]
    regions: list[str]
    countries: list[str]
    languages: list[str]
    description: str
    description_language: str | None
    website: str | None  # an http(s) address to link to
    website_text: str  # what to show when the address is not one to link to


def entry_for(organization, language: str) -> Entry:
    """What the directory says about an organization on a page in `language`.

    Needs a request context: country and language names come from Babel in
    the page's locale, labels from the page's catalogue.
    """
    description = organization.description(language)
    link = website_link(organization.website)
    return Entry(
        organization=organization,
        services=[
            str(label) for key, label in SERVICE_LABELS.items() if key in organization.service_keys
        ],
        regions=[str(REGIONS[key]) for key in regions_of(organization)],
        countries=sorted(map(country_name, set(organization.country_codes)), key=collation_key),
        languages=sorted(map(language_name, set(organization.language_codes)), key=collation_key),
        description=description,
        description_language=_language_of(organization, description, language),
        website=link,
        website_text="" if link else (organization.website or "").strip(),
    )


@dataclass(frozen=True)
class RegionGroup:
    key: str
    label: str
    entries: list[Entry]


# Organizations shown on one page of the directory, each counted once per region it is
# listed under: a page stays light on a slow connection and a cheap phone, however many
# organizations the network lists (500 in one page would be over a megabyte).
ENTRIES_PER_PAGE = 30


@dataclass(frozen=True)
class DirectoryPage:
    groups: list[RegionGroup]  # this page's entries, by region
    regions: list[RegionGroup]  # every region with organizations (entries left empty)
    organizations: int  # how many organizations match, on all pages
    page: Page


def directory(
    language: str,
    region: str | None = None,
    service: str | None = None,
    number: int = 1,
    size: int = ENTRIES_PER_PAGE,
) -> DirectoryPage:
    """Page `number` of the directory in `language`, filtered by region and service."""
    grouped = group_by_region(listed_organizations(), region, service)
    placed = [(key, org) for key, members in grouped for org in members]
    pages = max(1, math.ceil(len(placed) / size))
    number = min(max(1, number), pages)
    shown = placed[(number - 1) * size : number * size]
    entries: dict[int, Entry] = {}  # built once per organization, however many regions it has
    groups: list[RegionGroup] = []
    for key, org in shown:
        if org.id not in entries:
            entries[org.id] = entry_for(org, language)
        if not groups or groups[-1].key != key:
            groups.append(RegionGroup(key, str(REGIONS[key]), []))
        groups[-1].entries.append(entries[org.id])
    return DirectoryPage(
        groups=groups,
        regions=[RegionGroup(key, str(REGIONS[key]), []) for key, _ in grouped],
        organizations=len({org.id for _, org in placed}),
        page=Page(shown, len(placed), number, pages),
    )


def _language_of(organization, description: str, language: str) -> str | None:
    """Which language the description shown is written in (it may be a fallback)."""
    if not description:
        return None
    for code in (language, "en", "fr", "es"):
        if getattr(organization, f"description_{code}", None) == description:
            return code
    return None
