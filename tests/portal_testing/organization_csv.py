"""The organization directory as a CSV file: rows, files, and what the database holds."""

import csv
import io

from portal.models import Organization
from portal.organizations import COLUMNS

HEADER = ",".join(COLUMNS)


def org(**overrides):
    """A valid row, as a dict of cells."""
    cells = {
        "key": "andes-collective",
        "name": "Andes Collective",
        "website": "https://andes.example.org/about",
        "regions": "latin_america_caribbean",
        "countries": "CO;PE",
        "services": "accompaniment;monitoring",
        "languages": "es;qu;en",
        "capacity": "12",
        "public": "yes",
        "description_en": "Accompanies community leaders.",
        "description_fr": "Accompagne des dirigeants communautaires.",
        "description_es": "Acompaña a líderes comunitarios.",
    }
    cells.update(overrides)
    return cells


def csv_text(*rows, columns=COLUMNS):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue()


def two_organizations():
    return csv_text(
        org(),
        org(
            key="sahel-visits",
            name="Sahel Visits",
            website="",
            regions="africa;mena",
            countries=" ML ; BF;SN; ",
            services="solidarity",
            languages="fr;wo;ha",
            capacity="0",
            public="No",
            description_fr="",
            description_es="",
        ),
    )


def stored(key):
    return Organization.get(Organization.key == key)


def reasons(errors):
    return [str(error) for error in errors]
