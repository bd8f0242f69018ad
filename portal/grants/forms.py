"""The tick a staff member gives before giving a colleague access to a group's key."""

from flask_babel import lazy_gettext as _l

from ..forms import BaseForm, confirmation


class GrantForm(BaseForm):
    """One per colleague on the page: its prefix (the colleague's uid) keeps ids apart."""

    confirm = confirmation(
        _l(
            "I have checked with this person, by a channel we trust (in person, a known "
            "phone number), that this account is theirs."
        )
    )
