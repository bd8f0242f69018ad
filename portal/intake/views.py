"""The requester's pages: the request form, the one-time code, and the tracking page."""

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from .. import consent, intake, offers, request_keys, sessions, tracking, workflow
from ..extensions import limiter
from ..htmx import navigate, render, wants_partial
from ..page_cache import per_answer, public_page
from ..vocabulary import REJECTED, REJECTION_REASONS, STAFF
from .forms import (
    CHECKED_WHILE_TYPING,
    ComplaintForm,
    EvaluationForm,
    InformationForm,
    KeptForm,
    OrganizationMessageForm,
    RequestForm,
    SharingForm,
    TrackForm,
    WithdrawForm,
)

bp = Blueprint("intake", __name__)


# Fields whose htmx validation may be asked for one by one.
def _invalid_status() -> int:
    # A no-JS post gets the page back with 200; an htmx swap says 422.
    return 422 if wants_partial() else 200


@bp.get("/request")
@public_page
def new():
    form = RequestForm()
    form.submission_token.data = per_answer("submission", lambda: secrets.token_urlsafe(24))
    # A code not yet confirmed would be replaced by the next request's: say so first.
    unconfirmed = sessions.held_code() is not None
    return render("intake/new.html", "intake/_new.html", form=form, unconfirmed=unconfirmed)


@bp.post("/request")
@limiter.limit(lambda: current_app.config["SUBMIT_RATE_LIMIT"])
def submit():
    form = RequestForm()
    if not form.validate():
        return render("intake/new.html", "intake/_new.html", _invalid_status(), form=form)
    try:
        result = intake.submit(form.request_fields(), str(get_locale()), form.submission_token.data)
    except intake.AlreadySubmitted:
        held = sessions.held_code()
        if held is not None and intake.sent_with(held.request, form.submission_token.data):
            return navigate(url_for(".code_page"))  # sent twice from this browser: it is here
        return render("intake/already.html", "intake/_already.html")
    current_app.logger.info("request submitted")
    # The code is shown by a page of its own (Post/Redirect/Get): a refresh, Back or a
    # second tab shows it again until the person says they kept it.
    sessions.hold_code(result.request, result.code)
    return navigate(url_for(".code_page"))


def _code_page(held, form=None, status=200):
    if held is None:
        return render("intake/code_gone.html", "intake/_code_gone.html", status)
    return render(
        "intake/submitted.html",
        "intake/_submitted.html",
        status,
        code=held.code,
        req=held.request,
        form=form or KeptForm(formdata=None),
        held_for=sessions.CODE_HELD_MINUTES,
    )


@bp.get("/request/code")
def code_page():
    """The new request's code, for the browser that sent it, until it is confirmed kept."""
    return _code_page(sessions.held_code())


@bp.post("/request/code")
def confirm_code():
    """The person shows they kept the code; it is then erased from the server."""
    held = sessions.held_code()
    form = KeptForm()
    if held is None:
        return _code_page(None)
    if not form.validate():
        return _code_page(held, form, _invalid_status())
    if not tracking.confirms(held.code, form.kept.data):
        form.kept.errors = [
            _("This is not the end of your code. Look at the code above and type it again.")
        ]
        return _code_page(held, form, _invalid_status())
    sessions.forget_code()
    flash(_("Thank you. Keep the code safe: you need it to follow your request."), "success")
    return redirect(url_for(".track"), 303)


@bp.post("/request/language")
def switch_language():
    """The form again in the language chosen (?lang=), with all that was typed in it.

    Nothing is checked and nothing is stored: the person has not sent it yet.
    """
    return render("intake/new.html", "intake/_new.html", form=RequestForm())


@bp.post("/request/validate")
def validate_field():
    """Check the field the person has left, sent alone, and answer with just that field."""
    name = request.headers.get("HX-Trigger-Name", "")
    if name not in CHECKED_WHILE_TYPING:
        abort(400)
    form = RequestForm()
    form.validate()
    field = form[name]
    status = 422 if field.errors else 200
    response = current_app.response_class(
        render_template("intake/_field.html", field=field), status
    )
    response.vary.add("HX-Request")
    return response


def _track_entry(form=None, status=200):
    return render("intake/track.html", "intake/_track.html", status, form=form or TrackForm())


@bp.get("/track")
@public_page
def track():
    tracked = sessions.tracked_request()
    if tracked is None:
        return _track_entry()
    return _status_page(tracked)


def _organization_choices(organizations) -> list:
    """Organizations to choose from by uid; with several, nothing chosen until the requester
    chooses (a browser would otherwise send the first one unasked)."""
    found = [(org.uid, org.name) for org in organizations]
    return [("", _("Choose the organization"))] + found if len(found) > 1 else found


def _status_page(
    tracked,
    message_form=None,
    status=200,
    organization_form=None,
    evaluation_form=None,
    complaint_form=None,
):
    events = list(tracked.timeline())
    messages = list(tracked.messages())
    rejection = next((e.reason for e in reversed(events) if e.to_state == REJECTED), None)
    # Looked up once: the status card, the threads and the forms below all need them.
    taking = offers.working_parts(tracked)
    organization_form = organization_form or OrganizationMessageForm(
        formdata=None, prefix="organization"
    )
    complaint_form = complaint_form or ComplaintForm(formdata=None, prefix="complaint")
    complaint_form.about.choices = _organization_choices(intake.complained_of(tracked))
    organization_form.to.choices = _organization_choices(part.organization for part in taking)
    return render_template(
        "intake/status.html",
        req=tracked,
        rejection=REJECTION_REASONS.get(rejection),
        events=events,
        messages=messages,
        reply_waiting=bool(messages) and messages[-1].author == STAFF,
        can_write=intake.can_write(tracked),
        taking=taking,
        # Each organization that ever took the request on, with its thread (kept after the
        # work ends, and across a reopening).
        organization_threads=[
            (part, offers.thread(tracked, part.organization))
            for part in offers.accepted_offers(tracked)
        ],
        message_form=message_form or InformationForm(formdata=None),
        organization_form=organization_form,
        may_evaluate=intake.may_evaluate(tracked),
        evaluated=intake.evaluation_of(tracked) is not None,
        evaluation_form=evaluation_form or EvaluationForm(formdata=None, prefix="evaluation"),
        may_complain=intake.may_complain(tracked),
        complaint_form=complaint_form,
    ), status


@bp.post("/track")
@limiter.limit(
    lambda: current_app.config["TRACK_RATE_LIMIT"],
    # Everything but an opened request (a redirect to it) counts: the limit
    # is there to stop guessing, and keeps counting while a guesser hammers.
    deduct_when=lambda response: response.status_code not in (204, 303),
)
def open_tracking():
    form = TrackForm()
    if not form.validate():
        return _track_entry(form, _invalid_status())
    found = intake.open_with_code(form.code.data)
    if found is None:
        form.code.errors = [_("This code does not open a request. Check it and try again.")]
        return _track_entry(form, _invalid_status())
    from_code = request_keys.requester_key(form.code.data, found)
    request_keys.at_code(found, from_code)
    sessions.start_tracking(found, keys={request_keys.REQUESTER: from_code})
    pending = form.pending_message.data
    if pending and intake.can_write(found):
        intake.add_information(found, pending)
        flash(_("Your message was sent."), "success")
    elif pending:
        flash(_("This request is closed; messages can no longer be added."), "error")
    return navigate(url_for(".track"))


@bp.post("/track/message")
def add_message():
    form = InformationForm()
    tracked = sessions.tracked_request()
    if tracked is None:
        # The session ended while they wrote: keep their words with the code form.
        entry = TrackForm(formdata=None, pending_message=form.body.data)
        entry.code.errors = [
            _("Your tracking session has ended. Enter your code to send your message.")
        ]
        return _track_entry(entry)
    if not intake.can_write(tracked):
        flash(_("This request is closed; messages can no longer be added."), "error")
        return redirect(url_for(".track"), 303)
    if not form.validate():
        return _status_page(tracked, form)
    intake.add_information(tracked, form.body.data)
    flash(_("Your message was sent."), "success")
    return redirect(url_for(".track") + "#messages", 303)


@bp.post("/track/organization-message")
def write_to_organization():
    """Write to the organization working on the request (it may have no other way back)."""
    # Prefixed: the page has another message box, to network staff.
    form = OrganizationMessageForm(prefix="organization")
    tracked = sessions.tracked_request()
    if tracked is None:
        flash(_("Your tracking session has ended. Enter your code again."), "error")
        return redirect(url_for(".track"), 303)
    if not offers.working_parts(tracked):
        flash(_("No organization is working on this request now."), "error")
        return redirect(url_for(".track"), 303)
    if not form.validate():
        return _status_page(tracked, organization_form=form)
    try:
        offers.write_to_organization(tracked, form.body.data, form.to.data or "")
    except offers.OfferRefused:
        form.to.errors = [_("Please choose the organization to write to.")]
        return _status_page(tracked, organization_form=form, status=422)
    flash(_("Your message was sent to the organization."), "success")
    return redirect(url_for(".track") + "#organization-thread", 303)


def _tracked_or_back():
    tracked = sessions.tracked_request()
    if tracked is None:
        flash(_("Your tracking session has ended. Enter your code again."), "error")
    return tracked


@bp.post("/track/evaluation")
def evaluate():
    """How it went, in the requester's words: optional, once, after completion."""
    tracked = _tracked_or_back()
    if tracked is None:
        return redirect(url_for(".track"), 303)
    form = EvaluationForm(prefix="evaluation")
    if not intake.may_evaluate(tracked):
        return redirect(url_for(".track"), 303)
    if not form.validate():
        return _status_page(tracked, evaluation_form=form)
    try:
        intake.evaluate(tracked, form.useful.data, form.safer.data, form.comment.data or "")
    except intake.NotNow:
        return redirect(url_for(".track"), 303)
    flash(_("Thank you. Network staff will read your answer."), "success")
    return redirect(url_for(".track") + "#evaluation", 303)


@bp.post("/track/complaint")
def complain():
    """A complaint about the organization, for network staff only."""
    tracked = _tracked_or_back()
    if tracked is None:
        return redirect(url_for(".track"), 303)
    form = ComplaintForm(prefix="complaint")
    if not intake.may_complain(tracked):
        return redirect(url_for(".track"), 303)
    if not form.validate():
        return _status_page(tracked, complaint_form=form)
    try:
        intake.complain(tracked, form.body.data, form.about.data or "")
    except intake.NotNow:
        form.about.errors = [_("Please choose the organization it is about.")]
        return _status_page(tracked, complaint_form=form, status=422)
    flash(
        _("Your complaint was sent to network staff. The organization does not see it."), "success"
    )
    return redirect(url_for(".track") + "#complaint", 303)


@bp.post("/track/language")
def track_language():
    """The tracking page again in the language chosen (?lang=), with the message being written.

    Nothing is sent: the person has not pressed Send.
    """
    form = InformationForm()
    tracked = sessions.tracked_request()
    if tracked is None:
        # The session ended meanwhile: keep their words with the code form.
        return _track_entry(TrackForm(formdata=None, pending_message=form.body.data))
    return _status_page(tracked, form)


@bp.route("/track/withdraw", methods=["GET", "POST"])
def withdraw():
    tracked = sessions.tracked_request()
    if tracked is None:
        flash(_("Your tracking session has ended. Enter your code again."), "error")
        return redirect(url_for(".track"), 303)
    form = WithdrawForm()
    if not intake.can_write(tracked):
        flash(_("This request is already closed."), "error")
        return redirect(url_for(".track"), 303)
    if request.method == "POST" and form.validate():
        try:
            intake.withdraw(tracked)
        except (workflow.TransitionRefused, workflow.ConcurrentChange):
            flash(_("The request changed meanwhile. Please look at it again."), "error")
        else:
            flash(_("Your request has been withdrawn."), "success")
        return redirect(url_for(".track"), 303)
    return render_template("intake/withdraw.html", form=form, req=tracked)


@bp.post("/track/sharing")
def narrow_sharing():
    """Take back some of what may be shared; never give back what was taken back."""
    tracked = _tracked_or_back()
    if tracked is None:
        return redirect(url_for(".track"), 303)
    form = SharingForm()
    if form.validate():
        wanted = consent.Sharing(
            contact=form.contact.data, words=form.words.data, figures=form.figures.data
        )
        if consent.narrow(tracked, wanted):
            flash(_("Saved. What you took back is no longer shared."), "success")
    return redirect(url_for(".track") + "#sharing", 303)


@bp.post("/track/stop-notices")
def stop_notices():
    """No more emails: the mailbox may have stopped being safe."""
    tracked = sessions.tracked_request()
    if tracked is None:
        flash(_("Your tracking session has ended. Enter your code again."), "error")
        return redirect(url_for(".track"), 303)
    intake.stop_notices(tracked)
    flash(_("No more emails will be sent about this request. The address was deleted."), "success")
    return redirect(url_for(".track"), 303)


@bp.post("/track/leave")
def leave():
    sessions.end(sessions.TRACKING)
    sessions.forget_code()
    flash(_("You have left the tracking page. Your code is needed to come back."), "success")
    return redirect(url_for("pages.home"), 303)
