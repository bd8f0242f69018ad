"""Fixtures the organization tests share."""

import pytest

from portal_testing.admin import add_org


@pytest.fixture
def andes(app):
    """A private organization in Colombia and Peru, as the edit tests find it."""
    return add_org(
        app,
        "andes-collective",
        name="Andes Collective",
        website="https://andes.example.org",
        services="accompaniment,monitoring",
        regions="latin_america_caribbean",
        countries="CO,PE",
        languages="es,qu",
        capacity=5,
        public=False,
        description_en="Accompanies leaders.",
        description_fr="",
        description_es="Acompaña a líderes.",
    )
