from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from ..forms import BaseForm, choices, one_of
from ..regions import REGIONS
from ..vocabulary import SERVICE_LABELS

_NOT_UNDERSTOOD = _l("This filter was not understood and is ignored.")


class DirectoryForm(BaseForm):
    """The directory's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    region = SelectField(
        _l("Region"),
        choices=choices([("", _l("All regions")), *REGIONS.items()]),
        validate_choice=False,
        validators=[one_of(REGIONS, _NOT_UNDERSTOOD)],
    )
    service = SelectField(
        _l("Service"),
        choices=choices([("", _l("All services")), *SERVICE_LABELS.items()]),
        validate_choice=False,
        validators=[one_of(SERVICE_LABELS, _NOT_UNDERSTOOD)],
    )

    def chosen(self, name: str) -> str | None:
        """A filter's value if it was set and understood; a refused one counts as unset."""
        field = self[name]
        return field.data if field.data and not field.errors else None
