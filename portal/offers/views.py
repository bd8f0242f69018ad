"""What members of an organization see and do: answer offers, then report on the work.

Members know an offer by its handle (K7QM-4XPT), in its address too; the
request's reference is never shown to them, nor accepted in an address. Every
offer is looked up together with the member's own organization, so an offer of
another organization, a handle that was never given, or a reference, is a 404
whichever way the address was found.
"""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import checkins, consent, offers, request_keys, workflow
from ..access import MEMBERS, found_or_404, staff_required
from ..sessions import staff_user
from ..vocabulary import ACTIVE, COMPLETED
from .forms import (
    MOVE_FORMS,
    AcceptForm,
    CheckInForm,
    DeclineForm,
    RhythmForm,
    ThreadForm,
    UpdateForm,
)

bp = Blueprint("offers", __name__, url_prefix="/org")

TAKEN = _l(
    "Another organization accepted this request a moment before you. "
    "Nothing more is needed from your organization; thank you for answering."
)
NO_LONGER_OPEN = _l("This offer is no longer open: nothing was changed.")
CHANGED_MEANWHILE = _l(
    "This request was changed by someone else while you were looking at it. "
    "Here it is as it is now."
)
NOT_ENGAGED = _l("Your organization is no longer working on this request: nothing was changed.")
NOT_UNDER_WAY = _l(
    "Check-ins are kept only while the work is under way, and it no longer is: nothing was changed."
)
MOVED = {
    ACTIVE: _l("The request is marked as under way."),
    COMPLETED: _l("The request is marked as completed. Thank you."),
}


def _organization():
    return staff_user().organization


def _own_offer(handle: str):
    """The member's own organization's offer with this handle, or 404."""
    organization = _organization()
    return found_or_404(
        offers.offer_for(organization, handle) if organization is not None else None
    )


def _offer_page(
    the_offer,
    status=200,
    *,
    accept_form=None,
    decline_form=None,
    update_form=None,
    thread_form=None,
    move_form=None,
    check_in_form=None,
    rhythm_form=None,
    problem=None,
):
    request = the_offer.request
    organization = the_offer.organization
    standing = offers.standing(the_offer, request)
    page = render_template(
        "offers/offer.html",
        offer=the_offer,
        req=request,
        standing=standing,
        show_contact=offers.may_see_contact(organization, request),
        sharing=consent.sharing_of(request),
        updates=list(offers.progress_updates(request, organization)),
        accept_form=accept_form or AcceptForm(formdata=None, prefix="accept"),
        decline_form=decline_form or DeclineForm(formdata=None, prefix="decline"),
        update_form=update_form or UpdateForm(formdata=None, prefix="update"),
        thread_form=thread_form or ThreadForm(formdata=None, prefix="thread"),
        move_form=move_form
        or (MOVE_FORMS[standing.next_move](formdata=None) if standing.working else None),
        conversation=offers.thread(request, organization) if standing.accepted else [],
        checking_in=standing.next_move == "complete",
        check_ins=checkins.history(request, organization) if standing.accepted else [],
        check_in_form=check_in_form or CheckInForm(formdata=None, prefix="check_in"),
        rhythm_form=rhythm_form
        or RhythmForm(formdata=None, prefix="rhythm", data={"rhythm": _rhythm(the_offer)}),
        problem=problem,
    )
    return page, status


def _rhythm(the_offer) -> str:
    """The rhythm as the form shows it chosen."""
    return str(the_offer.check_in_hours) if the_offer.check_in_hours else "none"


def _back_to(the_offer, anchor=""):
    return redirect(url_for(".offer_page", handle=the_offer.handle) + anchor, 303)


@bp.get("/")
@staff_required(*MEMBERS)
def inbox():
    organization = _organization()
    if organization is None:
        return render_template("offers/inbox.html", organization=None)
    waiting, taken = offers.inbox(organization)
    # Each row shows the town or area, sealed to its request's keys: loaded in one go.
    request_keys.preload((row.request_id for row in waiting + taken), [request_keys.BRIEF])
    # ?page=abc reads as 1; a page out of range gives the nearest one (page_of).
    number = request.args.get("page", 1, type=int)
    return render_template(
        "offers/inbox.html",
        organization=organization,
        waiting=waiting,
        taken=taken,
        history=offers.history(organization, number),
    )


@bp.get("/offers/<handle>")
@staff_required(*MEMBERS)
def offer_page(handle):
    the_offer = _own_offer(handle)
    offers.opened(the_offer, staff_user())
    return _offer_page(the_offer)


@bp.post("/offers/<handle>/accept")
@staff_required(*MEMBERS)
def accept(handle):
    the_offer = _own_offer(handle)
    form = AcceptForm(prefix="accept")
    if not form.validate():
        return _offer_page(the_offer, 422, accept_form=form)
    try:
        taken = offers.accept(the_offer, staff_user(), form.contact_plan.data)
    except offers.AlreadyTaken:
        now = _own_offer(handle)
        if offers.standing(now, now.request).accepted:  # a colleague pressed the button first
            flash(_("Your organization had already accepted this request."), "success")
            return _back_to(now)
        return _offer_page(
            now, 409, problem=TAKEN if offers.is_taken(now.request) else NO_LONGER_OPEN
        )
    if taken:
        flash(
            _("Your organization has taken on this request. How to reach the requester is below."),
            "success",
        )
    else:
        flash(
            _(
                "Your organization accepted its part. More organizations are needed: you will "
                "see who asked, and how to reach them, once enough have accepted."
            ),
            "success",
        )
    return _back_to(the_offer)


@bp.post("/offers/<handle>/decline")
@staff_required(*MEMBERS)
def decline(handle):
    the_offer = _own_offer(handle)
    form = DeclineForm(prefix="decline")
    if not offers.standing(the_offer, the_offer.request).waiting:
        return _offer_page(the_offer, 409, problem=NO_LONGER_OPEN)
    if not form.validate():
        return _offer_page(the_offer, 422, decline_form=form)
    try:
        offers.decline(the_offer, staff_user(), form.reason.data)
    except offers.OfferRefused:
        return _offer_page(_own_offer(handle), 409, problem=NO_LONGER_OPEN)
    flash(_("You declined the offer. Network staff will read your reason."), "success")
    return redirect(url_for(".inbox"), 303)


def _move(handle, step, move, to_state):
    the_offer = _own_offer(handle)
    form = MOVE_FORMS[step]()
    if not form.validate():
        if form.expected_version() is None:  # a hand-made post: the page always sends it
            abort(400)
        # Not ticked: nothing changes, and the page says so by the box.
        standing = offers.standing(the_offer, the_offer.request)
        if not standing.working or standing.next_move != step:
            return _offer_page(the_offer, 409, problem=NOT_ENGAGED)
        return _offer_page(the_offer, 422, move_form=form)
    try:
        move(the_offer, staff_user(), form)
    except workflow.ConcurrentChange:
        return _offer_page(_own_offer(handle), 409, problem=CHANGED_MEANWHILE)
    except (offers.OfferRefused, workflow.TransitionRefused, checkins.CheckInRefused):
        return _offer_page(_own_offer(handle), 409, problem=NOT_ENGAGED)
    flash(str(MOVED[to_state]), "success")
    return _back_to(the_offer)


@bp.post("/offers/<handle>/start")
@staff_required(*MEMBERS)
def start(handle):
    def begin(the_offer, user, form):
        checkins.begin(
            the_offer, user, expected_version=form.expected_version(), hours=form.hours()
        )

    return _move(handle, "start", begin, ACTIVE)


@bp.post("/offers/<handle>/complete")
@staff_required(*MEMBERS)
def complete(handle):
    def end(the_offer, user, form):
        offers.complete(
            the_offer, user, expected_version=form.expected_version(), report=form.closing()
        )

    return _move(handle, "complete", end, COMPLETED)


@bp.post("/offers/<handle>/update")
@staff_required(*MEMBERS)
def update(handle):
    the_offer = _own_offer(handle)
    form = UpdateForm(prefix="update")
    if not form.validate():
        return _offer_page(the_offer, 422, update_form=form)
    try:
        offers.post_update(the_offer, staff_user(), form.body.data)
    except offers.OfferRefused:
        # Kept in the form: what they wrote is not lost.
        return _offer_page(the_offer, 409, update_form=form, problem=NOT_ENGAGED)
    flash(_("Your update was sent to network staff."), "success")
    return _back_to(the_offer, "#progress")


@bp.post("/offers/<handle>/message")
@staff_required(*MEMBERS)
def message(handle):
    """Write to the requester, who reads it on the tracking page."""
    the_offer = _own_offer(handle)
    form = ThreadForm(prefix="thread")
    if not form.validate():
        return _offer_page(the_offer, 422, thread_form=form)
    try:
        offers.write_to_requester(the_offer, staff_user(), form.body.data)
    except offers.OfferRefused:
        return _offer_page(the_offer, 409, thread_form=form, problem=NOT_ENGAGED)
    flash(_("Your message was sent to the requester."), "success")
    return _back_to(the_offer, "#thread")


@bp.post("/offers/<handle>/check-in")
@staff_required(*MEMBERS)
def check_in(handle):
    """All well, a concern, or an incident: a few seconds while the work is under way."""
    the_offer = _own_offer(handle)
    form = CheckInForm(prefix="check_in")
    if not form.validate():
        return _offer_page(the_offer, 422, check_in_form=form)
    try:
        checkins.record(the_offer, staff_user(), form.status.data, form.note.data)
    except checkins.CheckInRefused:
        # Kept in the form: what they wrote is not lost.
        return _offer_page(the_offer, 409, check_in_form=form, problem=NOT_UNDER_WAY)
    flash(_("Your check-in was recorded."), "success")
    return _back_to(the_offer, "#check-ins")


@bp.post("/offers/<handle>/rhythm")
@staff_required(*MEMBERS)
def rhythm(handle):
    the_offer = _own_offer(handle)
    form = RhythmForm(prefix="rhythm")
    if not form.validate():
        return _offer_page(the_offer, 422, rhythm_form=form)
    try:
        checkins.set_rhythm(the_offer, staff_user(), form.hours())
    except checkins.CheckInRefused:
        return _offer_page(the_offer, 409, rhythm_form=form, problem=NOT_UNDER_WAY)
    flash(_("The check-in rhythm was saved."), "success")
    return _back_to(the_offer, "#check-ins")
