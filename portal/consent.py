"""What the requester allows to be shared, and with whom: said on the form, narrowed later
on the tracking page, never widened by anyone else.

- contact: the accepting organization sees how to reach them (channel and detail);
  otherwise network staff put them in touch through the portal.
- words: the accepting organization reads the situation and what is asked for as they
  were written; otherwise only the reviewer's summary of them.
- figures: the request may be counted, without anything that identifies anyone, in the
  network's figures.

A request made for someone else also says what the person asking knows of that person's
agreement (ON_BEHALF_LABELS), for reviewers to confirm before anything is shared.
"""

from dataclasses import dataclass

from . import audit
from .db import db
from .models import Request, utcnow


@dataclass(frozen=True)
class Sharing:
    contact: bool = True
    words: bool = True
    figures: bool = False

    def narrowed_to(self, wanted: "Sharing") -> "Sharing":
        """What stays allowed when the requester asks for `wanted`: a choice can only be
        taken back, never given again from here."""
        return Sharing(
            contact=self.contact and wanted.contact,
            words=self.words and wanted.words,
            figures=self.figures and wanted.figures,
        )


def sharing_of(request: Request) -> Sharing:
    return Sharing(
        contact=request.share_contact,
        words=request.share_words == "written",
        figures=request.share_figures,
    )


def narrow(request: Request, wanted: Sharing) -> bool:
    """Take back what the requester no longer allows; True if anything changed. Recorded in
    the audit trail, so that staff see that the choices changed."""
    current = sharing_of(request)
    kept = current.narrowed_to(wanted)
    if kept == current:
        return False
    stored = {
        "share_contact": kept.contact,
        "share_words": "written" if kept.words else "summary",
        "share_figures": kept.figures,
    }
    with db.atomic():
        changed = (
            Request.update(**stored, updated_at=utcnow()).where(Request.id == request.id).execute()
        )
        if changed:
            audit.record("request.sharing_narrowed", reference=request.reference)
        for name, value in stored.items():
            setattr(request, name, value)
        from .offers import sharing  # which reads this module's choices

        sharing.settle(request)  # what is no longer allowed, no organization holds
    return True
