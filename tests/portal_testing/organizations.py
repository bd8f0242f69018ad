"""Organizations as an import or an administrator stores them."""

from portal.models import Organization


def add_organization(key, **fields):
    """An organization offering accompaniment in Colombia, in Spanish, with room for three.

    Call inside an app context; `fields` change any column.
    """
    values = {
        "name": key.replace("-", " ").title(),
        "services": "accompaniment",
        "countries": "CO",
        "languages": "es",
        "capacity": 3,
    }
    values.update(fields)
    return Organization.create(key=key, **values)
