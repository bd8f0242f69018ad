"""The staff's own pages under /staff: sign-in in two steps (password, then a code),
enrolment, sign-out, password change, settings, and the start page."""

from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import refresh

from .. import accounts, audit, devices, held, keychain, notices, sessions
from ..access import home_for, is_safe_next, may_administer, staff_required
from ..extensions import limiter
from ..i18n import LANGUAGES
from ..keys import keyed_hash
from ..models import User
from ..navigation import is_page
from ..security import render_error
from .forms import CodeForm, EnrolForm, PasswordForm, SignInForm, settings_form

bp = Blueprint("auth", __name__, url_prefix="/staff")

_NEXT = "sign_in_next"


def _account_key() -> str:
    """Rate-limit key for the account being tried: one for every browser it has never
    completed a sign-in from, and one for each browser it has (portal.devices), so
    that nobody can keep a colleague out of their own browser with wrong passwords."""
    tag = devices.account_tag(request.form.get("email", ""))
    device = devices.known_device(tag)
    if device is None:
        return f"account:{tag}"
    return f"account:{tag}:device:" + keyed_hash("rate_limit_device", device)[:32]


def _pending_key() -> str:
    user = sessions.pending_user()
    return f"second-factor:{user.id if user else 'none'}"


def _account_codes_key() -> str:
    user = sessions.pending_user()
    return f"second-factor-account:{user.id if user else 'none'}"


def _complete_sign_in(user: User, keys: dict | None = None):
    target = session.pop(_NEXT, None)
    # A fresh session: new server-side id and a new CSRF token (flask-wtf also keeps
    # the token it made for this request in g: a page drawn now must get the new one).
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    keys = sessions.start_staff(user, keys=keys)
    accounts.signed_in(user)
    keychain.signed_in(user, keys.get("person"))
    devices.remember(user.email)
    return redirect(target if is_safe_next(target) else home_for(user), 303)


@bp.get("/")
@staff_required()
def home():
    user = sessions.staff_user()
    given_up = notices.given_up_count() if may_administer(user) else 0
    lacks_key = keychain.lacks_key(user)
    holding = keychain.holder_of(user) is not None and not lacks_key
    return render_template(
        "auth/home.html",
        user=user,
        given_up=given_up,
        lacks_key=lacks_key,
        waiting=len(keychain.waiting(user)) if holding else 0,
    )


@bp.get("/sign-in")
def sign_in():
    user = sessions.staff_user()
    if user is not None:
        return redirect(home_for(user), 303)
    form = SignInForm(formdata=None)
    target = request.args.get("next")
    form.next.data = target if is_safe_next(target) else ""
    return render_template("auth/sign_in.html", form=form)


@bp.post("/sign-in")
@limiter.limit(
    lambda: current_app.config["SIGN_IN_RATE_LIMIT"], deduct_when=lambda r: r.status_code != 303
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_ACCOUNT_RATE_LIMIT"],
    key_func=_account_key,
    deduct_when=lambda r: r.status_code != 303,
)
def sign_in_post():
    form = SignInForm()
    if not form.validate():
        return render_template("auth/sign_in.html", form=form)
    user = accounts.authenticate(form.email.data, form.password.data)
    if user is None:
        audit.record(
            "sign_in.failed", target_user=User.by_email(form.email.data), detail="password"
        )
        form.password.errors = [_("The email address or the password is not right.")]
        return render_template("auth/sign_in.html", form=form)
    session[_NEXT] = form.next.data if is_safe_next(form.next.data) else None
    # The password opens the account's own key; the session keeps it, sealed under its id.
    keys = {"person": keychain.unlock(user, form.password.data)}
    if not accounts.needs_second_factor(user):
        return _complete_sign_in(user, keys)
    sessions.start_staff(user, sessions.STAFF_PENDING, keys=keys)
    if not user.totp_confirmed:
        return redirect(url_for(".enrol"), 303)
    return redirect(url_for(".code"), 303)


def _recovery_codes_page(codes):
    return render_template("auth/recovery_codes.html", codes=codes)


@bp.route("/recovery-codes", methods=["GET", "POST"])
@staff_required()
def recovery_codes():
    """The new recovery codes, in any language, until the person says they saved them."""
    user = sessions.staff_user()
    kept = held.recovery_codes(user)
    if kept is None:
        return redirect(home_for(user), 303)
    codes, onward = kept
    if request.method == "POST":  # "I have saved them" (CSRFProtect checked the token)
        held.forget(held.RECOVERY_CODES)
        return redirect(onward if is_safe_next(onward) else home_for(user), 303)
    return _recovery_codes_page(codes)


def _pending_or_restart():
    if sessions.staff_user() is not None:
        return None  # signed in already: the caller sends them on, without a false alarm
    user = sessions.pending_user()
    if user is None:
        flash(_("Please sign in again: the sign-in took too long."), "error")
    return user


def _signed_in_or_restart():
    """Where a sign-in step sends someone who has no sign-in pending: signed in already,
    to their recovery codes if they have not saved them yet, else onward; otherwise back
    to the first step."""
    user = sessions.staff_user()
    if user is None:
        return redirect(url_for(".sign_in"), 303)
    if held.recovery_codes(user) is not None:
        return redirect(url_for(".recovery_codes"), 303)
    return redirect(home_for(user), 303)


def _codes_blocked(_limit):
    """Too many wrong codes for one account in an hour or a day: someone who has the
    password is guessing. The sign-in ends, and administrators hear of it at once."""
    user = sessions.pending_user()
    sessions.end(sessions.STAFF_PENDING)
    if user is not None:
        accounts.second_step_blocked(user)
    return render_error(
        429,
        _("Too many wrong sign-in codes"),
        _(
            "This sign-in has ended, and the administrators have been told. If it was "
            "you, ask an administrator; codes can be tried again later."
        ),
    )


def _second_factor_limit(deduct_when):
    """Five codes a minute for one pending sign-in, whichever client sends them, and a
    cap per account by the hour and by the day (SECOND_STEP_ACCOUNT_LIMIT)."""
    per_minute = limiter.limit(
        "5 per minute", key_func=_pending_key, methods=["POST"], deduct_when=deduct_when
    )
    capped = limiter.limit(
        lambda: current_app.config["SECOND_STEP_ACCOUNT_LIMIT"],
        key_func=_account_codes_key,
        methods=["POST"],
        deduct_when=deduct_when,
        on_breach=_codes_blocked,
    )
    return lambda view: capped(per_minute(view))


@bp.route("/code", methods=["GET", "POST"])
@_second_factor_limit(deduct_when=lambda r: r.status_code != 303)
def code():
    user = _pending_or_restart()
    if user is None:
        return _signed_in_or_restart()
    if not user.totp_confirmed:
        return redirect(url_for(".enrol"), 303)
    form = CodeForm()
    if request.method == "POST" and form.validate():
        if accounts.verify_second_factor(user, form.code.data):
            return _complete_sign_in(user)
        audit.record("sign_in.second_factor_failed", target_user=user)
        form.code.errors = [_("That code is not right, or it was used already.")]
    return render_template("auth/code.html", form=form)


@bp.route("/enrol", methods=["GET", "POST"])
# Only a confirmed code (201) or a redirect is free: every wrong code counts.
@_second_factor_limit(deduct_when=lambda r: r.status_code not in (201, 303))
def enrol():
    user = _pending_or_restart()
    if user is None:
        return _signed_in_or_restart()
    if user.totp_confirmed:
        return redirect(url_for(".code"), 303)
    form = EnrolForm()
    if request.method == "POST" and form.validate():
        codes = accounts.confirm_enrolment(user, form.code.data)
        if codes is not None:
            onward = _complete_sign_in(user).location  # the page asked for before sign-in
            # Held until the person says they saved them: a language switch or a reload
            # must not throw them away.
            held.keep_recovery_codes(user, codes, onward)
            return _recovery_codes_page(codes), 201
        form.code.errors = [
            _("That code is not right. Check the time on your phone and try again.")
        ]
    # The secret stays the same until confirmed, so a reload does not break a scanned code.
    secret = user.totp_secret if user.totp_secret_sealed else accounts.start_enrolment(user)
    return render_template(
        "auth/enrol.html",
        form=form,
        secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        qr=accounts.qr_data_uri(accounts.provisioning_uri(user, secret)),
    )


@bp.post("/language")
def switch_language():
    """The page again in the language chosen (?lang=), with the words of the form the
    button was pressed in (held for that page, portal.held): nothing is sent.

    For an account with a language of its own, this changes that setting.
    """
    chosen = request.args.get("lang", "")
    back = request.args.get("back", "")
    if not is_page(back):
        back = url_for(".home")
    user = sessions.staff_user()
    if user is None:
        # The session ended while they typed: keep the words, as any staff form does.
        return staff_required()(lambda: None)()
    held.keep_draft(user, request.form, back)
    if chosen in LANGUAGES and user.locale and user.locale != chosen:
        notices.save_language(user, chosen)
    separator = "&" if "?" in back else "?"
    return redirect(f"{back}{separator}{urlencode({'lang': chosen})}", 303)


@bp.post("/sign-out")
def sign_out():
    user = sessions.staff_user()
    sessions.end(sessions.STAFF)
    sessions.end(sessions.STAFF_PENDING)
    held.forget()
    if user is not None:
        audit.record("sign_out", user=user, target_user=user)
    flash(_("You are signed out."), "success")
    return redirect(url_for(".sign_in"), 303)


def _signed_in_key() -> str:
    user = sessions.staff_user()
    return f"password-change:{user.id if user else 'none'}"


@bp.route("/password", methods=["GET", "POST"])
@staff_required()
@limiter.limit(
    "5 per 15 minutes",
    key_func=_signed_in_key,
    methods=["POST"],
    # A stolen session must not become a way to guess the current password.
    deduct_when=lambda r: r.status_code != 303,
)
def password():
    user = sessions.staff_user()
    form = PasswordForm()
    if request.method == "POST" and form.validate():
        if accounts.authenticate(user.email, form.current.data) is None:
            form.current.errors = [_("This is not your current password.")]
        else:
            private = keychain.unlock(user, form.current.data)
            accounts.set_password(user, form.new.data, private=private)
            # Every session of the account ended; this browser gets a new one.
            sessions.start_staff(user, keys={"person": private})
            # Now chosen by the person: a key kept for them may be taken.
            keychain.signed_in(user, private)
            flash(_("Your password was changed. Other sessions were signed out."), "success")
            return redirect(home_for(user), 303)
    return render_template("auth/password.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@staff_required()
def settings():
    """The account's language, and how soon it hears of each kind of notice."""
    user = sessions.staff_user()
    form = settings_form(user, notices.timings(user))
    if request.method == "POST" and form.validate():
        notices.save_settings(user, form.language.data or None, form.chosen_timings())
        # This answer is drawn in the language just chosen.
        refresh()
        flash(_("Your settings were saved."), "success")
        return redirect(url_for(".settings"), 303)
    return render_template("auth/settings.html", form=form, user=user)
