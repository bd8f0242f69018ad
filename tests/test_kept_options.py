"""forms.KeptOptions draws a select exactly as WTForms' Select does, from options kept."""

import pytest
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.widgets import Select

from portal.forms import KeptOptions, choices

HOSTILE = [
    ("", "Any"),
    ("a", '<script>alert("x")</script>'),
    ('"><b>', "Quote & ampersand"),
    ("rtl", "مرحبا \u202e‮gnp.exe"),
    ("emoji", "🏳️‍🌈 and ' apostrophe"),
]


class Picks(Form):
    one = SelectField(choices=choices(HOSTILE), widget=KeptOptions())
    many = SelectMultipleField(choices=choices(HOSTILE), widget=KeptOptions(multiple=True))


@pytest.mark.parametrize("chosen", ["", "a", '"><b>', "rtl", "nothing listed"])
def test_a_kept_select_is_drawn_as_wtforms_draws_it(chosen):
    form = Picks(data={"one": chosen, "many": [chosen, "emoji"]})
    for field in (form.one, form.many):
        plain = Select(multiple=field is form.many)(field, **{"aria-describedby": "hint"})
        assert field(**{"aria-describedby": "hint"}) == plain
    assert "<script>" not in form.one()


def test_what_was_chosen_before_is_not_chosen_after():
    assert '<option selected value="a">' in Picks(data={"one": "a"}).one()
    again = Picks(data={"one": "rtl"}).one()
    assert '<option selected value="a">' not in again
    assert again.count("<option selected") == 1
