"""Network staff's review queue and request pages."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import checkins, intake, offers, request_keys, review, workflow
from ..access import REVIEWERS, found_or_404, staff_required
from ..htmx import render
from ..risk import RiskPicture
from ..sessions import staff_user
from .forms import ActionForm, AlertForm, MessageForm, NoteForm, OfferForm, QueueForm, RiskForm

bp = Blueprint("review", __name__, url_prefix="/review")

DONE = {
    "start_review": _l("The review has started."),
    "ask_info": _l("Your question was sent to the requester."),
    "approve": _l("The request was approved."),
    "take_back": _l("The open offers were taken back. The request can be offered again."),
    "reject": _l("The request was rejected. The requester will read the reason's explanation."),
    "close": _l("The request was closed as completed."),
    "reopen": _l("The request was reopened. Offer it to organizations for a new round."),
}
NOT_POSSIBLE = _l("This action is not possible in the request's current state.")
CHANGED_MEANWHILE = _l(
    "This request was changed by someone else while you were looking at it. "
    "Reload the page and decide again."
)
SEALED_TO_YOU = _l(
    "Nothing was changed: this request is sealed to the network's key, which you do not hold "
    "yet. A colleague can give you access."
)
ALERT_CHANGED = _l(
    "Nothing was marked: the alert was already handled, or a new check-in arrived since the "
    "page was drawn. Here it is as it is now."
)
MISSING = {
    "message": _l("Please write the question for the requester."),
    "reason": _l("Please choose a reason."),
    "confirm": _l("Tick this box to confirm."),
    "why": _l("Please say why it is reopened."),
}


def _page_number() -> int:
    number = request.args.get("page", 1, type=int)
    return number if 1 <= number <= 1_000_000 else 1


@bp.get("/")
@staff_required(*REVIEWERS)
def queue():
    form = QueueForm(formdata=request.args)
    form.validate()  # a refused filter is shown by its field and left out
    counts = review.state_counts()
    page = review.queue_page(form.filters(_page_number()), counts)
    return render(
        "review/queue.html",
        "review/_results.html",
        form=form,
        page=page,
        activity=review.activity(page.items, staff_user()),
        filter_args=form.valid_values(),
        counts=counts,
        overdue_count=review.overdue_count(),
    )


def _request_page(
    req,
    status=200,
    *,
    action_form=None,
    message_form=None,
    note_form=None,
    offer_form=None,
    risk_form=None,
    problem=None,
):
    """The request page; a form given here (posted, with errors) replaces its blank one."""
    actions = review.actions_for(req)
    posted_action = action_form.action.data if action_form is not None else None
    action_forms = {
        action.key: (action_form if action.key == posted_action else ActionForm(formdata=None))
        for action in actions
    }
    # Opened once: the summary and the form both show it; neither without the key.
    risk = request_keys.opened(req, "risk_picture")
    risk_locked = risk is request_keys.WITHHELD
    risk = RiskPicture() if risk_locked else risk
    check_ins = checkins.history(req)
    page = render_template(
        "review/request.html",
        req=req,
        risk=risk,
        risk_locked=risk_locked,
        events=review.timeline(req),
        messages=list(review.staff_messages(req)),
        notes=list(review.notes(req)),
        # Sealed to the network's key: without it, they are not shown at all.
        messages_locked=not request_keys.readable(req.id, request_keys.THREAD),
        notes_locked=not request_keys.readable(req.id, request_keys.STAFF_NOTES),
        feedback_locked=not request_keys.readable(req.id, request_keys.FEEDBACK),
        matches=review.matches_for(req),
        shows_matches=review.shows_matches(req),
        offering=review.may_offer(req),
        offers_made=list(offers.offers_of(req)),
        in_hand=offers.in_hand(req),
        updates=list(offers.progress_updates(req)),
        closing_reports=offers.closing_reports(req),
        check_ins=check_ins,
        checking_offers=[part for part in offers.parts(req) if part.working and part.started_at],
        alert_form=AlertForm(formdata=None, data={"seen": check_ins[0].uid if check_ins else ""}),
        organization_threads=[
            (part, offers.thread(req, part.organization)) for part in offers.accepted_offers(req)
        ],
        evaluation=intake.evaluation_of(req),
        complaints=intake.complaints(req),
        offer_form=offer_form or OfferForm(formdata=None),
        actions=actions,
        action_forms=action_forms,
        message_form=message_form or MessageForm(formdata=None, prefix="message"),
        note_form=note_form or NoteForm(formdata=None, prefix="note"),
        risk_form=risk_form or RiskForm.of(req, risk),
        risk_corrections=review.risk_corrections(req),
        problem=problem,
    )
    return page, status


def _back_to(req, anchor=""):
    return redirect(url_for(".request_page", reference=req.reference) + anchor, 303)


@bp.get("/<reference>")
@staff_required(*REVIEWERS)
def request_page(reference):
    return _request_page(found_or_404(review.open_for_staff(reference, staff_user())))


def _decide(reference, form, form_name: str, decide, done, fields=None):
    """Run one decision on a request (`decide(req)`), then go back to its page.

    Anything refused changes nothing and shows the page again as it is now
    (someone else may have moved it) with the form as it was sent: 422 with the
    error by the field (and the form's summary) when something was missing or
    wrong, 409 when the request's state or version does not allow it. `done()`
    says, in this page's language, what went through. `fields` maps what
    review.act() calls missing to this form's field, where they differ.
    """
    req = found_or_404(review.find(reference))
    problem, status = None, 422
    if form.validate():
        try:
            decide(req)
        except workflow.ConcurrentChange:
            problem, status = CHANGED_MEANWHILE, 409
        except review.ActionRefused as refused:
            if refused.missing:
                name = (fields or {}).get(refused.missing, refused.missing)
                form[name].errors = [MISSING[refused.missing]]
            else:
                problem, status = NOT_POSSIBLE, 409
        except offers.KeysMissing:
            problem, status = SEALED_TO_YOU, 409
        except (workflow.TransitionRefused, offers.OfferRefused):
            problem, status = NOT_POSSIBLE, 409
        else:
            # Flashed as plain text in this page's language: the session keeps no lazy string.
            flash(str(done()), "success")
            return _back_to(req)
    now = found_or_404(review.find(reference))
    return _request_page(now, status, problem=problem, **{form_name: form})


@bp.post("/<reference>/act")
@staff_required(*REVIEWERS)
def act(reference):
    """Take one staff action (start the review, approve, take back, reject, close).

    Asking the requester for information is written where every message to them is
    (the message form, ticked as a question), not here.
    """
    form = ActionForm()
    if form.action.data == "ask_info":
        return _request_page(found_or_404(review.find(reference)), 409, problem=NOT_POSSIBLE)
    return _decide(
        reference,
        form,
        "action_form",
        lambda req: review.act(
            req,
            staff_user(),
            form.action.data or "",
            expected_version=form.expected_version(),
            message=form.message.data or "",
            reason=form.reason.data or "",
            note=form.note.data or "",
            why=form.why.data or "",
            confirmed=form.confirm.data,
        ),
        lambda: DONE[form.action.data],
    )


@bp.post("/<reference>/offer")
@staff_required(*REVIEWERS)
def offer(reference):
    """Propose an approved request to the chosen organizations."""
    form = OfferForm()
    return _decide(
        reference,
        form,
        "offer_form",
        lambda req: review.offer_to(
            req,
            form.organizations.data,
            staff_user(),
            expected_version=form.expected_version(),
            summary=form.summary.data,
            needed=form.needed_count(),
        ),
        lambda: _("The request was offered to the organizations you chose."),
    )


@bp.post("/<reference>/message")
@staff_required(*REVIEWERS)
def message(reference):
    """Write to the requester; ticked as a question, the request also waits for them."""
    form = MessageForm(prefix="message")
    if form.ask.data:
        return _decide(
            reference,
            form,
            "message_form",
            lambda req: review.act(
                req,
                staff_user(),
                "ask_info",
                expected_version=form.expected_version(),
                message=form.body.data or "",
            ),
            lambda: DONE["ask_info"],
            fields={"message": "body"},
        )
    req = found_or_404(review.find(reference))
    if not form.validate():
        return _request_page(req, 422, message_form=form)
    review.send_message(req, staff_user(), form.body.data)
    flash(_("Your message was sent to the requester."), "success")
    return _back_to(req, "#messages")


@bp.post("/<reference>/risk")
@staff_required(*REVIEWERS)
def correct_risk(reference):
    """Complete or correct the requester's answers about risk."""
    req = found_or_404(review.find(reference))
    form = RiskForm(prefix="risk")
    if not form.validate():
        return _request_page(req, 422, risk_form=form)
    if not request_keys.readable(req.id, request_keys.RISK):
        return _request_page(req, 409, risk_form=form, problem=SEALED_TO_YOU)
    try:
        review.correct_risk(req, staff_user(), form.risk_picture(), form.expected_version())
    except workflow.ConcurrentChange:
        return _request_page(req, 409, risk_form=form, problem=CHANGED_MEANWHILE)
    flash(_("The risk picture was saved."), "success")
    return _back_to(req, "#risk-heading")


@bp.post("/<reference>/note")
@staff_required(*REVIEWERS)
def note(reference):
    req = found_or_404(review.find(reference))
    form = NoteForm(prefix="note")
    if not form.validate():
        return _request_page(req, 422, note_form=form)
    review.add_note(req, staff_user(), form.body.data)
    flash(_("Your internal note was saved."), "success")
    return _back_to(req, "#notes")


@bp.post("/<reference>/alert-handled")
@staff_required(*REVIEWERS)
def alert_handled(reference):
    """A missed check-in or an incident has been looked at: the request leaves the top of
    the queue. Refused when a check-in came since the page was drawn."""
    req = found_or_404(review.find(reference))
    form = AlertForm()
    if not form.validate():
        return _request_page(req, 400)
    if not checkins.handle_alert(req, staff_user(), form.seen.data or ""):
        now = found_or_404(review.find(reference))
        return _request_page(now, 409, problem=ALERT_CHANGED)
    flash(_("Marked as handled. The request takes its usual place in the queue."), "success")
    return _back_to(req, "#check-ins")
